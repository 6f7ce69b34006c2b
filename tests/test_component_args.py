"""Each component's args refuse bad values up front, with a line naming the field and the fix."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.iam import PlatformRoleArgs
from components.kms import CustomerKeyArgs
from components.lake_formation import (
    LakeFormationSettingsArgs,
    LakeGovernanceArgs,
    LakeLocationsArgs,
    TagGrant,
    TagTarget,
)
from components.network import PrivateNetworkArgs
from components.storage import EncryptedBucketArgs
from components.studio import StudioDomainArgs
from components.warehouse import WarehouseArgs
from contracts.endpoints import REQUIRED_INTERFACE_ENDPOINTS

KEY = "arn:aws:kms:eu-west-1:222222222222:key/k"


def network(**changes: object) -> PrivateNetworkArgs:
    values: dict[str, object] = {
        "vpc_cidr": "10.0.0.0/16",
        "availability_zones": ["eu-west-1a", "eu-west-1b"],
        "subnet_cidrs": ["10.0.0.0/20", "10.0.16.0/20"],
        "region": "eu-west-1",
        "partition": "aws",
        "account_id": "222222222222",
        "interface_endpoints": list(REQUIRED_INTERFACE_ENDPOINTS),
        "flow_log_key_arn": KEY,
        "log_retention_days": 365,
        "gateway_bucket_arns": [],
    }
    return PrivateNetworkArgs(**{**values, **changes})  # type: ignore[arg-type]


def bucket(**changes: object) -> EncryptedBucketArgs:
    values: dict[str, object] = {
        "bucket_name": "b",
        "partition": "aws",
        "account_id": "1",
        "kms_key_arn": KEY,
        "access_log_bucket": "logs",
    }
    return EncryptedBucketArgs(**{**values, **changes})  # type: ignore[arg-type]


def studio(**changes: object) -> StudioDomainArgs:
    values: dict[str, object] = {
        "domain_name": "d",
        "vpc_id": "vpc-1",
        "subnet_ids": [],
        "security_group_id": "sg-1",
        "kms_key_arn": KEY,
        "execution_role_name": "r",
        "execution_role_arn": "arn",
        "user_profiles": ["alice"],
        "region": "eu-west-1",
        "partition": "aws",
        "account_id": "1",
    }
    return StudioDomainArgs(**{**values, **changes})  # type: ignore[arg-type]


CASES: list[tuple[Callable[[], object], str]] = [
    (lambda: network(subnet_cidrs=["10.0.0.0/20"]), "expected one subnet per zone, at least two"),
    (lambda: network(subnet_cidrs=["10.0.0.0/20", "10.1.0.0/20"]), "outside VPC"),
    (lambda: network(interface_endpoints=["sts"]), "lacks sagemaker.api"),
    (lambda: bucket(kms_key_arn=None), "kms_key_arn is missing"),
    (lambda: bucket(access_log_bucket=None), "access_log_bucket is missing"),
    (lambda: bucket(access_log_target=True), "must not log to another bucket"),
    (lambda: bucket(noncurrent_version_days=0), "noncurrent_version_days is 0; expected a whole number of days"),
    (lambda: bucket(expire_after_days=-1), "expire_after_days is -1; expected a whole number of days"),
    (lambda: studio(idle_timeout_minutes=5), "expected 60 to 525600 minutes"),
    (lambda: studio(user_profiles=["alice", "alice"]), "repeats a name"),
    (lambda: CustomerKeyArgs(description="d", alias="alias/x", policy="{}"), "without alias/ or aws"),
    (lambda: CustomerKeyArgs(description="d", alias="x", policy="{}", deletion_window_in_days=3), "7 to 30 days"),
    (lambda: PlatformRoleArgs(role_name="r", description="d", trust_policy={}, statements=[]), "statements is empty"),
    (lambda: PlatformRoleArgs(role_name="r" * 65, description="d", trust_policy={}, statements=[{}]), "longer than 64"),
    (lambda: LakeFormationSettingsArgs(admins=[]), "expected at least the role that deploys"),
    (lambda: TagGrant("p", ["ALL"], "TABLE", {}), "too broad"),
    (lambda: TagGrant("p", ["DATA_LOCATION_ACCESS"], "TABLE", {}), "too broad"),
    (lambda: TagGrant("p", ["SELECT"], "COLUMN", {}), "expected DATABASE or TABLE"),
    (lambda: TagTarget(database="db", key="k", value="v", column="c"), "without a table"),
    (
        lambda: LakeGovernanceArgs(tags={"layer": ["raw"]}, targets=[TagTarget("db", "layer", "gold")], grants=[]),
        "layer=gold is not in the vocabulary",
    ),
    (
        lambda: LakeGovernanceArgs(
            tags={"layer": ["raw"]}, targets=[], grants=[TagGrant("p", ["SELECT"], "TABLE", {"layer": ["gold"]})]
        ),
        "not in the vocabulary",
    ),
    # One catalog resource holds one value per tag key (its one assignment could not hold both).
    (
        lambda: LakeGovernanceArgs(
            tags={"layer": ["raw", "curated"]},
            targets=[TagTarget("db", "layer", "raw", table="t"), TagTarget("db", "layer", "curated", table="t")],
            grants=[],
        ),
        "layer is both raw and curated on db.t; expected one value per tag key",
    ),
    (
        lambda: LakeLocationsArgs(locations={"raw": "arn:aws:s3:::b"}, data_access_role_arn="r", producers={"x": []}),
        "producers: ['x'] are not locations",
    ),
    (
        lambda: WarehouseArgs(
            namespace_name="n",
            vpc_id="v",
            subnet_ids=[],
            client_security_group_id="sg",
            s3_prefix_list_id="pl",
            kms_key_arn=KEY,
            iam_role_arn="r",
            base_capacity=12,
        ),
        "multiple of 8",
    ),
]


@pytest.mark.parametrize(("build", "fragment"), CASES, ids=[fragment for _, fragment in CASES])
def test_bad_args_are_refused_with_the_fix(build: Callable[[], object], fragment: str) -> None:
    with pytest.raises(ValueError) as caught:
        build()
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


#: Args right at the edge of what each check refuses, and the fields they were given: validation
#: accepts them and keeps each value as given (it refuses; it never "fixes" a value quietly).
GOOD: list[tuple[Callable[[], object], dict[str, object]]] = [
    (lambda: network(), {"subnet_cidrs": ["10.0.0.0/20", "10.0.16.0/20"], "vpc_cidr": "10.0.0.0/16"}),
    (
        lambda: network(interface_endpoints=[*REQUIRED_INTERFACE_ENDPOINTS, "athena"]),
        {"interface_endpoints": [*REQUIRED_INTERFACE_ENDPOINTS, "athena"]},
    ),
    (lambda: bucket(), {"kms_key_arn": KEY, "access_log_bucket": "logs", "access_log_target": False}),
    (
        lambda: bucket(kms_key_arn=None, access_log_bucket=None, access_log_target=True),
        {"kms_key_arn": None, "access_log_bucket": None, "access_log_target": True},
    ),
    (
        lambda: bucket(noncurrent_version_days=1, expire_after_days=1),
        {"noncurrent_version_days": 1, "expire_after_days": 1},
    ),
    (lambda: studio(), {"idle_timeout_minutes": 60, "user_profiles": ["alice"]}),
    (lambda: studio(idle_timeout_minutes=525600), {"idle_timeout_minutes": 525600}),
    (lambda: studio(user_profiles=["bob", "alice"]), {"user_profiles": ["bob", "alice"]}),
    (
        lambda: CustomerKeyArgs(description="d", alias="x", policy="{}", deletion_window_in_days=7),
        {"deletion_window_in_days": 7},
    ),
    (lambda: CustomerKeyArgs(description="d", alias="x", policy="{}"), {"alias": "x", "deletion_window_in_days": 30}),
    (
        lambda: PlatformRoleArgs(role_name="r" * 64, description="d", trust_policy={}, statements=[{}]),
        {"role_name": "r" * 64, "statements": [{}]},
    ),
    (
        lambda: LakeFormationSettingsArgs(admins=["arn:aws:iam::1:role/deployer"]),
        {"admins": ["arn:aws:iam::1:role/deployer"]},
    ),
    (
        lambda: TagGrant("p", ["SELECT", "DESCRIBE"], "TABLE", {"layer": ["raw"]}),
        {"permissions": ["SELECT", "DESCRIBE"]},
    ),
    (
        lambda: WarehouseArgs(
            namespace_name="n",
            vpc_id="v",
            subnet_ids=[],
            client_security_group_id="sg",
            s3_prefix_list_id="pl",
            kms_key_arn=KEY,
            iam_role_arn="r",
            base_capacity=512,
        ),
        {"base_capacity": 512},
    ),
]


@pytest.mark.parametrize(("build", "given"), GOOD, ids=[",".join(given) for _, given in GOOD])
def test_good_args_pass_and_keep_their_values(build: Callable[[], object], given: dict[str, object]) -> None:
    args = build()
    assert {name: getattr(args, name) for name in given} == given
