from cicd_iam_rules import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="mlops-cicd-iam", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
