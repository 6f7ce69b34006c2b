from pulumi_policy import EnforcementLevel, PolicyPack
from studio_vpc_only_rules import POLICIES

PolicyPack(name="mlops-studio-vpc-only", enforcement_level=EnforcementLevel.MANDATORY, policies=POLICIES)
