from lake_formation_rules import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="mlops-lake-formation", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
