from data_protection_rules import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="mlops-data-protection", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
