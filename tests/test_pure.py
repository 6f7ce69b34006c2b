"""Pure logic, no Pulumi runtime: CIDR planning, names and ARNs, policy documents."""

from __future__ import annotations

import pytest

from components import policy_documents as docs
from contracts import cidr, naming

# --- cidr -------------------------------------------------------------------------------------


def test_carve_takes_the_first_blocks_in_address_order() -> None:
    assert cidr.carve_subnets("10.20.0.0/16", 2, 18) == ("10.20.0.0/18", "10.20.64.0/18")


def test_carve_fills_the_vpc_exactly() -> None:
    assert len(cidr.carve_subnets("10.20.0.0/24", 4, 26)) == 4
    with pytest.raises(ValueError, match="too small for 5 subnets of /26; expected a prefix length of /27"):
        cidr.carve_subnets("10.20.0.0/24", 5, 26)


def test_carve_says_when_no_prefix_can_fit() -> None:
    with pytest.raises(ValueError, match=r"expected a larger VPC$"):
        cidr.carve_subnets("10.20.0.0/28", 2, 28)


@pytest.mark.parametrize("bad", ["10.20.0.0", "10.20.0.0/33", "fd00::/64", "10.20.0.5/16", "x"])
def test_parse_network_refuses_non_networks(bad: str) -> None:
    with pytest.raises(ValueError, match="expected"):
        cidr.parse_network(bad)


def test_check_subnets_accepts_disjoint_subnets_inside_the_vpc() -> None:
    cidr.check_subnets("10.0.0.0/16", ("10.0.0.0/24", "10.0.1.0/24"))
    with pytest.raises(ValueError, match="overlap"):
        cidr.check_subnets("10.0.0.0/16", ("10.0.0.0/23", "10.0.1.0/24"))


def test_studio_capacity_counts_aws_reserved_addresses() -> None:
    assert cidr.usable_addresses("10.0.0.0/28") == 11
    assert cidr.studio_users_per_subnet("10.0.0.0/28") == 2
    assert cidr.studio_users_per_subnet("10.0.0.0/20") == 1022
    assert cidr.studio_users_per_subnet("10.0.0.0/28", reserved=11) == 0


# --- naming -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("eu-west-1", "aws"),
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-isob-east-1", "aws-iso-b"),
        ("us-iso-east-1", "aws-iso"),
    ],
)
def test_partition_of_region(region: str, partition: str) -> None:
    assert naming.partition(region) == partition


def test_cross_account_roles_are_computed_from_account_ids_alone() -> None:
    targets = (
        naming.Target("datasci", "222222222222", "datasci", "analytics", "aws"),
        naming.Target("datasci", "444444444444", "datasci-fraud", "fraud", "aws"),
        naming.Target("preprod", "666666666666", "preprod", naming.PRODUCTION, "aws"),
        naming.Target("datamgmt", "333333333333", "datamgmt", naming.PRODUCTION, "aws"),
    )
    roles = naming.CrossAccountRoles("111111111111", targets, "aws")
    assert roles.ci == "arn:aws:iam::111111111111:role/mlops/mlops-tooling-ci"
    assert roles.build_role("fraud") == "arn:aws:iam::111111111111:role/mlops/mlops-tooling-build-fraud"
    assert roles.runners == (
        "arn:aws:iam::222222222222:role/mlops/mlops-datasci-feature-runner",
        "arn:aws:iam::444444444444:role/mlops/mlops-datasci-feature-runner",
        "arn:aws:iam::666666666666:role/mlops/mlops-preprod-feature-runner",
        "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-feature-deployer",
    )
    assert roles.target("preprod").job_execution == "arn:aws:iam::666666666666:role/mlops/mlops-preprod-job-execution"
    assert roles.target("datasci-fraud").training == "arn:aws:iam::444444444444:role/mlops/mlops-datasci-training"
    # Each pipeline's builds reach its targets only: a team's its own account, production the rest.
    assert {pipeline: [t.stack for t in ts] for pipeline, ts in roles.pipelines.items()} == {
        "analytics": ["datasci"],
        "fraud": ["datasci-fraud"],
        naming.PRODUCTION: ["preprod", "datamgmt"],
    }
    # The data management catalog's readers: the teams' and pre-production's job and training roles.
    assert len(roles.catalog_readers) == 6 and not any("datamgmt" in arn for arn in roles.catalog_readers)


def test_bucket_names_are_unique_per_account_and_region_and_valid() -> None:
    assert (
        naming.bucket_name("datasci", "snapshots", "222222222222", "eu-west-1")
        == "mlops-datasci-snapshots-222222222222-eu-west-1"
    )
    with pytest.raises(ValueError, match="3-63 lowercase"):
        naming.bucket_name("datasci", "a-purpose-far-too-long-for-s3", "222222222222", "ap-southeast-1")


def test_our_tags_win_over_extra_tags() -> None:
    tags = naming.common_tags("p", "datasci", "s", None, {"mlops:stack": "spoofed", "Owner": "x"})
    assert tags["mlops:stack"] == "s"
    assert tags["Owner"] == "x"
    assert "mlops:git-revision" not in tags


@pytest.mark.parametrize(
    ("email", "profile"),
    [
        ("alice@example.com", "alice"),
        ("Bob.Smith@x.org", "bob-smith"),
        ("__dev++@x.org", "dev"),
        ("ünïcode@x.org", "n-code"),
    ],
)
def test_studio_profile_names_use_the_allowed_alphabet(email: str, profile: str) -> None:
    assert naming.studio_profile_name(email) == profile


# --- policy documents -------------------------------------------------------------------------


def test_key_policy_pins_cross_account_roles_by_principal_arn() -> None:
    roles = ["arn:aws:iam::222222222222:role/mlops/a", "arn:aws:iam::333333333333:role/mlops/b"]
    policy = docs.kms_key_policy("aws", "111111111111", roles)
    admin, decrypt = policy["Statement"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert decrypt["Principal"] == {"AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"]}
    assert decrypt["Condition"] == {"ArnEquals": {"aws:PrincipalArn": roles}}
    assert decrypt["Action"] == ["kms:Decrypt", "kms:DescribeKey"]


def test_key_policy_without_cross_account_roles_has_one_statement() -> None:
    assert len(docs.kms_key_policy("aws", "111111111111")["Statement"]) == 1


def test_tls_deny_covers_bucket_and_objects() -> None:
    statement = docs.deny_insecure_transport("arn:aws:s3:::b")
    assert statement["Effect"] == "Deny"
    assert statement["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_role_trust_names_a_role_never_an_account_root() -> None:
    trust = docs.role_trust("arn:aws:iam::111111111111:role/mlops/mlops-tooling-ci")
    assert trust["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::111111111111:role/mlops/mlops-tooling-ci"}


def test_service_trust_guards_against_confused_deputies() -> None:
    trust = docs.service_trust(["codepipeline.amazonaws.com", "codebuild.amazonaws.com"], "111111111111")
    statement = trust["Statement"][0]
    assert statement["Principal"] == {"Service": ["codebuild.amazonaws.com", "codepipeline.amazonaws.com"]}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}


def test_object_access_writes_only_when_asked() -> None:
    read = docs.object_access("arn:aws:s3:::b", "arn:aws:kms:eu-west-1:1:key/k", "A")
    write = docs.object_access("arn:aws:s3:::b", "arn:aws:kms:eu-west-1:1:key/k", "A", write=True)
    assert "s3:PutObject" not in read[1]["Action"] and "kms:GenerateDataKey" not in read[2]["Action"]
    assert "s3:PutObject" in write[1]["Action"] and "kms:GenerateDataKey" in write[2]["Action"]
    assert read[0]["Resource"] == "arn:aws:s3:::b" and read[1]["Resource"] == "arn:aws:s3:::b/*"
