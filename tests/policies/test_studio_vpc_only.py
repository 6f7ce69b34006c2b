"""The studio-vpc-only pack (guardrails 9-20 of docs/guardrails.md), policy by policy, with no server.

Resource policies: a compliant baseline per resource type passes; changing (or removing) one property
at a time fails with a message naming the resource, the property and the fix; a missing property is
judged by its AWS default; an unknown value either counts as set (presence checks) or raises
``UnknownValueError`` (value checks), never passes silently.

Stack policies: a small compliant stack passes; changing one property or removing or adding one
resource fails. Each stack case runs three ways: ids known and property dependencies present (as after
an update), every id unknown (as in a first preview: the joins must go through the dependencies), and
no dependencies (the joins fall back to known ids).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import pytest
from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.policy import PolicyCustomTimeouts, PolicyResourceOptions
from pulumi_policy.proxy import (
    UNKNOWN_ARRAY_VALUE,
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_OBJECT_VALUE,
    UNKNOWN_STRING_VALUE,
    UnknownValueError,
    unknown_checking_proxy,
)

from tests import policy_harness
from tests.policy_harness import (
    DELETE,
    Res,
    changed,
    load_rules,
    resource_violations,
    schema_defaults,
    stack_violations,
)

PACK = "studio-vpc-only"
RULES = load_rules(PACK)
POLICY = {p.name: p for p in RULES.POLICIES}
NAME = "subject"
Path = tuple[str | int, ...]

DOMAIN = "aws:sagemaker/domain:Domain"
USER_PROFILE = "aws:sagemaker/userProfile:UserProfile"
NOTEBOOK = "aws:sagemaker/notebookInstance:NotebookInstance"
MODEL = "aws:sagemaker/model:Model"
ENDPOINT_CONFIGURATION = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
FEATURE_GROUP = "aws:sagemaker/featureGroup:FeatureGroup"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"
ROUTE = "aws:ec2/route:Route"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
INTERNET_GATEWAY_ATTACHMENT = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
EGRESS_ONLY_INTERNET_GATEWAY = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
ROLE = "aws:iam/role:Role"

KEY = "arn:aws:kms:eu-west-1:222222222222:key/ae97fd75-6a55-6517-2f07-68277e53bcab"
EXECUTION_ROLE = "arn:aws:iam::222222222222:role/mlops/mlops-datasci-studio-execution"
REQUIRED = [
    "sagemaker.api",
    "sagemaker.runtime",
    "sagemaker.featurestore-runtime",
    "sts",
    "logs",
    "ecr.api",
    "ecr.dkr",
    "kms",
    "glue",
    "studio",
]
EXTERNAL_SG = "sg-0aaaaaaaaaaaaaaaa"


def assert_violation(messages: Sequence[str], name: str, prop: str, *fragments: str) -> None:
    """One of ``messages`` is ``"<name>: <property> <problem>; <fix>."`` and holds every fragment."""
    assert messages, f"expected a violation of {name} {prop}"
    hits = [m for m in messages if m.startswith(f"{name}: ") and prop in m.split(";")[0]]
    assert hits, messages
    message = hits[0]
    assert re.fullmatch(rf"{re.escape(name)}: \S.*; \S.*\.", message, re.DOTALL), message
    for fragment in fragments:
        assert fragment in message, (fragment, message)


# --- resource policies ------------------------------------------------------------------------------

# Compliant baselines; the domain and the feature group as the program deploys them.
BASELINES: dict[str, tuple[str, dict[str, Any]]] = {
    "domain": (
        DOMAIN,
        {
            "domainName": "mlops-datasci-studio",
            "authMode": "IAM",
            "appNetworkAccessType": "VpcOnly",
            "vpcId": "vpc-b8d94ea5e9207e108",
            "subnetIds": ["subnet-b53d85ab87fa620a7", "subnet-92a8a23d8f9536f83"],
            "kmsKeyId": KEY,
            "defaultUserSettings": {"executionRole": EXECUTION_ROLE, "securityGroups": ["sg-cb502dc95aa51d9a7"]},
            "defaultSpaceSettings": {"executionRole": EXECUTION_ROLE, "securityGroups": ["sg-cb502dc95aa51d9a7"]},
        },
    ),
    "notebook": (
        NOTEBOOK,
        {
            "instanceType": "ml.t3.medium",
            "roleArn": EXECUTION_ROLE,
            "directInternetAccess": "Disabled",
            "subnetId": "subnet-b53d85ab87fa620a7",
            "securityGroups": ["sg-cb502dc95aa51d9a7"],
            "rootAccess": "Disabled",
            "kmsKeyId": KEY,
            "instanceMetadataServiceConfiguration": {"minimumInstanceMetadataServiceVersion": "2"},
        },
    ),
    "model": (
        MODEL,
        {
            "executionRoleArn": EXECUTION_ROLE,
            "primaryContainer": {"image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/mlops/processing:1"},
            "enableNetworkIsolation": True,
            "vpcConfig": {"subnets": ["subnet-b53d85ab87fa620a7"], "securityGroupIds": ["sg-cb502dc95aa51d9a7"]},
        },
    ),
    "endpoint-config": (
        ENDPOINT_CONFIGURATION,
        {
            "kmsKeyArn": KEY,
            "productionVariants": [{"variantName": "main", "modelName": "churn", "initialInstanceCount": 1}],
        },
    ),
    "feature-group": (
        FEATURE_GROUP,
        {
            "featureGroupName": "customer-churn",
            "recordIdentifierFeatureName": "customer_id",
            "eventTimeFeatureName": "event_time",
            "roleArn": "arn:aws:iam::222222222222:role/mlops/mlops-datasci-feature-store",
            "offlineStoreConfig": {
                "tableFormat": "Iceberg",
                "s3StorageConfig": {"kmsKeyId": KEY, "s3Uri": "s3://mlops-datasci-feature-store/offline-store"},
            },
            "onlineStoreConfig": {"enableOnlineStore": True, "securityConfig": {"kmsKeyId": KEY}},
        },
    ),
    "security-group": (
        SECURITY_GROUP,
        {
            "vpcId": "vpc-b8d94ea5e9207e108",
            "description": "Studio apps",
            "ingress": [
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["10.20.0.0/16"]},
                {"protocol": "tcp", "fromPort": 443, "toPort": 443, "ipv6CidrBlocks": ["fd00::/8"]},
            ],
            "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
        },
    ),
    "ingress-rule": (
        INGRESS_RULE,
        {
            "securityGroupId": "sg-a4e6aefee050d0186",
            "ipProtocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "referencedSecurityGroupId": "sg-cb502dc95aa51d9a7",
        },
    ),
    "sg-rule": (
        SECURITY_GROUP_RULE,
        {
            "type": "ingress",
            "securityGroupId": "sg-a4e6aefee050d0186",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrBlocks": ["10.20.0.0/16"],
        },
    ),
}
NOTEBOOK_POLICIES = (
    "notebook-instance-no-direct-internet",
    "notebook-instance-in-vpc",
    "notebook-instance-no-root-access",
    "notebook-instance-kms",
    "notebook-instance-imdsv2",
)
RESOURCE_POLICIES = {
    "studio-domain-vpc-only": ["domain"],
    "studio-domain-subnets": ["domain"],
    "studio-domain-security-groups": ["domain"],
    "studio-domain-kms": ["domain"],
    **{name: ["notebook"] for name in NOTEBOOK_POLICIES},
    "sagemaker-model-network-isolation": ["model"],
    "sagemaker-model-in-vpc": ["model"],
    "sagemaker-endpoint-config-kms": ["endpoint-config"],
    "feature-group-offline-store-kms": ["feature-group"],
    "feature-group-online-store-kms": ["feature-group"],
    "security-group-no-public-ingress": ["security-group", "ingress-rule", "sg-rule"],
}


def run(policy: str, baseline: str, path: Path = (), value: Any = None) -> list[str]:
    resource_type, props = BASELINES[baseline]
    policy_object = POLICY[policy]
    assert isinstance(policy_object, ResourceValidationPolicy)
    return resource_violations(policy_object, resource_type, changed(props, path, value) if path else props, NAME)


@pytest.mark.parametrize(
    ("policy", "baseline"),
    [(policy, baseline) for policy, baselines in RESOURCE_POLICIES.items() for baseline in BASELINES],
    ids=lambda v: str(v),
)
def test_resource_policies_pass_every_compliant_baseline(policy: str, baseline: str) -> None:
    # Each baseline passes its own policy, and the other policies ignore resource types not theirs.
    assert run(policy, baseline) == []


class Bad(NamedTuple):
    policy: str
    baseline: str
    path: Path
    value: Any
    prop: str
    fragments: tuple[str, ...] = ()


BAD = [
    # 9
    Bad("studio-domain-vpc-only", "domain", ("appNetworkAccessType",), "PublicInternetOnly", "appNetworkAccessType"),
    Bad("studio-domain-vpc-only", "domain", ("appNetworkAccessType",), DELETE, "appNetworkAccessType", ("default",)),
    # 10
    Bad("studio-domain-subnets", "domain", ("subnetIds",), DELETE, "subnetIds", ("set subnetIds",)),
    Bad("studio-domain-subnets", "domain", ("subnetIds",), [], "subnetIds"),
    Bad(
        "studio-domain-security-groups",
        "domain",
        ("defaultUserSettings", "securityGroups"),
        DELETE,
        "defaultUserSettings.securityGroups",
        ("set defaultUserSettings.securityGroups",),
    ),
    Bad(
        "studio-domain-security-groups",
        "domain",
        ("defaultUserSettings", "securityGroups"),
        [],
        "defaultUserSettings.securityGroups",
    ),
    Bad(
        "studio-domain-security-groups",
        "domain",
        ("defaultUserSettings",),
        DELETE,
        "defaultUserSettings.securityGroups",
    ),
    # 11
    Bad("studio-domain-kms", "domain", ("kmsKeyId",), DELETE, "kmsKeyId", ("set kmsKeyId",)),
    Bad("studio-domain-kms", "domain", ("kmsKeyId",), "", "kmsKeyId", ("set kmsKeyId",)),
    Bad("studio-domain-kms", "domain", ("kmsKeyId",), "alias/aws/sagemaker", "kmsKeyId", ("AWS managed",)),
    Bad(
        "studio-domain-kms",
        "domain",
        ("kmsKeyId",),
        "arn:aws:kms:eu-west-1:222222222222:alias/aws/sagemaker",
        "kmsKeyId",
        ("AWS managed",),
    ),
    # 12
    Bad(
        "notebook-instance-no-direct-internet", "notebook", ("directInternetAccess",), "Enabled", "directInternetAccess"
    ),
    Bad(
        "notebook-instance-no-direct-internet",
        "notebook",
        ("directInternetAccess",),
        DELETE,
        "directInternetAccess",
        ("AWS defaults to Enabled",),
    ),
    Bad("notebook-instance-in-vpc", "notebook", ("subnetId",), DELETE, "subnetId", ("set subnetId",)),
    Bad("notebook-instance-in-vpc", "notebook", ("subnetId",), "", "subnetId", ("set subnetId",)),
    Bad("notebook-instance-no-root-access", "notebook", ("rootAccess",), "Enabled", "rootAccess"),
    Bad(
        "notebook-instance-no-root-access",
        "notebook",
        ("rootAccess",),
        DELETE,
        "rootAccess",
        ("AWS defaults to Enabled",),
    ),
    Bad("notebook-instance-kms", "notebook", ("kmsKeyId",), DELETE, "kmsKeyId", ("set kmsKeyId",)),
    Bad(
        "notebook-instance-imdsv2",
        "notebook",
        ("instanceMetadataServiceConfiguration", "minimumInstanceMetadataServiceVersion"),
        "1",
        "minimumInstanceMetadataServiceVersion",
        ('to "2"',),
    ),
    Bad(
        "notebook-instance-imdsv2",
        "notebook",
        ("instanceMetadataServiceConfiguration",),
        DELETE,
        "minimumInstanceMetadataServiceVersion",
        ("IMDSv1",),
    ),
    # 13
    Bad("sagemaker-model-network-isolation", "model", ("enableNetworkIsolation",), False, "enableNetworkIsolation"),
    Bad(
        "sagemaker-model-network-isolation",
        "model",
        ("enableNetworkIsolation",),
        DELETE,
        "enableNetworkIsolation",
        ("AWS defaults to false",),
    ),
    Bad("sagemaker-model-in-vpc", "model", ("vpcConfig",), DELETE, "vpcConfig", ("set vpcConfig",)),
    Bad("sagemaker-model-in-vpc", "model", ("vpcConfig", "subnets"), [], "vpcConfig.subnets"),
    Bad(
        "sagemaker-model-in-vpc",
        "model",
        ("vpcConfig", "securityGroupIds"),
        [],
        "vpcConfig.securityGroupIds",
    ),
    # 14
    Bad("sagemaker-endpoint-config-kms", "endpoint-config", ("kmsKeyArn",), DELETE, "kmsKeyArn", ("set kmsKeyArn",)),
    # 15
    Bad(
        "feature-group-offline-store-kms",
        "feature-group",
        ("offlineStoreConfig", "s3StorageConfig", "kmsKeyId"),
        DELETE,
        "offlineStoreConfig.s3StorageConfig.kmsKeyId",
    ),
    Bad(
        "feature-group-offline-store-kms",
        "feature-group",
        ("offlineStoreConfig", "s3StorageConfig"),
        DELETE,
        "offlineStoreConfig.s3StorageConfig.kmsKeyId",
    ),
    Bad(
        "feature-group-online-store-kms",
        "feature-group",
        ("onlineStoreConfig", "securityConfig", "kmsKeyId"),
        DELETE,
        "onlineStoreConfig.securityConfig.kmsKeyId",
    ),
    Bad(
        "feature-group-online-store-kms",
        "feature-group",
        ("onlineStoreConfig", "securityConfig"),
        DELETE,
        "onlineStoreConfig.securityConfig.kmsKeyId",
    ),
    # 20
    Bad(
        "security-group-no-public-ingress",
        "security-group",
        ("ingress", 0, "cidrBlocks"),
        ["10.0.0.0/8", "0.0.0.0/0"],
        "ingress[0].cidrBlocks",
        ("0.0.0.0/0",),
    ),
    Bad(
        "security-group-no-public-ingress",
        "security-group",
        ("ingress", 1, "ipv6CidrBlocks"),
        ["::/0"],
        "ingress[1].ipv6CidrBlocks",
        ("::/0",),
    ),
    Bad("security-group-no-public-ingress", "ingress-rule", ("cidrIpv4",), "0.0.0.0/0", "cidrIpv4"),
    Bad("security-group-no-public-ingress", "ingress-rule", ("cidrIpv6",), "::/0", "cidrIpv6"),
    Bad("security-group-no-public-ingress", "ingress-rule", ("cidrIpv6",), "0::0/0", "cidrIpv6", ("0::0/0",)),
    Bad("security-group-no-public-ingress", "sg-rule", ("cidrBlocks",), ["0.0.0.0/0"], "cidrBlocks"),
    Bad("security-group-no-public-ingress", "sg-rule", ("ipv6CidrBlocks",), ["::/0"], "ipv6CidrBlocks"),
]


@pytest.mark.parametrize("case", BAD, ids=[f"{c.policy}:{'.'.join(map(str, c.path))}={c.value!r}" for c in BAD])
def test_each_bad_or_missing_property_fails_with_resource_property_and_fix(case: Bad) -> None:
    messages = run(case.policy, case.baseline, case.path, case.value)
    assert len(messages) == 1, messages
    assert_violation(messages, NAME, case.prop, *case.fragments)


@pytest.mark.parametrize("case", BAD, ids=[f"{c.policy}:{'.'.join(map(str, c.path))}={c.value!r}" for c in BAD])
def test_each_bad_or_missing_property_fails_no_other_policy(case: Bad) -> None:
    """One policy per guarded property: each can be made advisory or disabled without hiding another."""
    others = [name for name in RESOURCE_POLICIES if name != case.policy]
    assert [name for name in others if run(name, case.baseline, case.path, case.value)] == []


GOOD = [
    # No offline store, or an online store that is not enabled (AWS default), has nothing to encrypt.
    ("feature-group-offline-store-kms", "feature-group", ("offlineStoreConfig",), DELETE),
    ("feature-group-online-store-kms", "feature-group", ("onlineStoreConfig",), DELETE),
    ("feature-group-online-store-kms", "feature-group", ("onlineStoreConfig", "enableOnlineStore"), DELETE),
    ("feature-group-online-store-kms", "feature-group", ("onlineStoreConfig", "enableOnlineStore"), False),
    # Egress anywhere is not ingress; a private range is fine.
    ("security-group-no-public-ingress", "sg-rule", ("type",), "egress"),
    ("security-group-no-public-ingress", "ingress-rule", ("cidrIpv4",), "10.20.0.0/16"),
    ("security-group-no-public-ingress", "security-group", ("ingress",), DELETE),
    ("studio-domain-kms", "domain", ("kmsKeyId",), "alias/mlops-datasci"),
]


@pytest.mark.parametrize(("policy", "baseline", "path", "value"), GOOD, ids=[f"{g[0]}:{g[2]}" for g in GOOD])
def test_safe_variants_pass(policy: str, baseline: str, path: Path, value: Any) -> None:
    assert run(policy, baseline, path, value) == []


# Presence checks: an unknown ARN or object counts as set.
UNKNOWN_SET = [
    ("studio-domain-kms", "domain", ("kmsKeyId",), UNKNOWN_STRING_VALUE),
    ("studio-domain-subnets", "domain", ("subnetIds",), UNKNOWN_ARRAY_VALUE),
    ("studio-domain-security-groups", "domain", ("defaultUserSettings", "securityGroups"), UNKNOWN_ARRAY_VALUE),
    ("notebook-instance-in-vpc", "notebook", ("subnetId",), UNKNOWN_STRING_VALUE),
    ("notebook-instance-kms", "notebook", ("kmsKeyId",), UNKNOWN_STRING_VALUE),
    ("sagemaker-model-in-vpc", "model", ("vpcConfig",), UNKNOWN_OBJECT_VALUE),
    ("sagemaker-model-in-vpc", "model", ("vpcConfig", "subnets"), UNKNOWN_ARRAY_VALUE),
    ("sagemaker-model-in-vpc", "model", ("vpcConfig", "securityGroupIds"), UNKNOWN_ARRAY_VALUE),
    ("sagemaker-endpoint-config-kms", "endpoint-config", ("kmsKeyArn",), UNKNOWN_STRING_VALUE),
    (
        "feature-group-offline-store-kms",
        "feature-group",
        ("offlineStoreConfig", "s3StorageConfig", "kmsKeyId"),
        UNKNOWN_STRING_VALUE,
    ),
    (
        "feature-group-online-store-kms",
        "feature-group",
        ("onlineStoreConfig", "securityConfig", "kmsKeyId"),
        UNKNOWN_STRING_VALUE,
    ),
    # The rule's type is read only when a CIDR is public.
    ("security-group-no-public-ingress", "sg-rule", ("type",), UNKNOWN_STRING_VALUE),
    ("security-group-no-public-ingress", "ingress-rule", ("referencedSecurityGroupId",), UNKNOWN_STRING_VALUE),
]

# Value checks: an unknown value makes the policy unable to run (UnknownValueError), never pass.
UNKNOWN_RAISES = [
    ("studio-domain-vpc-only", "domain", ("appNetworkAccessType",), UNKNOWN_STRING_VALUE),
    ("studio-domain-security-groups", "domain", ("defaultUserSettings",), UNKNOWN_OBJECT_VALUE),
    ("notebook-instance-no-direct-internet", "notebook", ("directInternetAccess",), UNKNOWN_STRING_VALUE),
    ("notebook-instance-no-root-access", "notebook", ("rootAccess",), UNKNOWN_STRING_VALUE),
    ("notebook-instance-imdsv2", "notebook", ("instanceMetadataServiceConfiguration",), UNKNOWN_OBJECT_VALUE),
    (
        "notebook-instance-imdsv2",
        "notebook",
        ("instanceMetadataServiceConfiguration", "minimumInstanceMetadataServiceVersion"),
        UNKNOWN_STRING_VALUE,
    ),
    ("sagemaker-model-network-isolation", "model", ("enableNetworkIsolation",), UNKNOWN_BOOLEAN_VALUE),
    ("feature-group-offline-store-kms", "feature-group", ("offlineStoreConfig",), UNKNOWN_OBJECT_VALUE),
    (
        "feature-group-offline-store-kms",
        "feature-group",
        ("offlineStoreConfig", "s3StorageConfig"),
        UNKNOWN_OBJECT_VALUE,
    ),
    ("feature-group-online-store-kms", "feature-group", ("onlineStoreConfig",), UNKNOWN_OBJECT_VALUE),
    (
        "feature-group-online-store-kms",
        "feature-group",
        ("onlineStoreConfig", "enableOnlineStore"),
        UNKNOWN_BOOLEAN_VALUE,
    ),
    ("feature-group-online-store-kms", "feature-group", ("onlineStoreConfig", "securityConfig"), UNKNOWN_OBJECT_VALUE),
    ("security-group-no-public-ingress", "security-group", ("ingress",), UNKNOWN_ARRAY_VALUE),
    ("security-group-no-public-ingress", "security-group", ("ingress", 0), UNKNOWN_OBJECT_VALUE),
    ("security-group-no-public-ingress", "security-group", ("ingress", 0, "cidrBlocks"), UNKNOWN_ARRAY_VALUE),
    ("security-group-no-public-ingress", "security-group", ("ingress", 0, "cidrBlocks", 0), UNKNOWN_STRING_VALUE),
    ("security-group-no-public-ingress", "ingress-rule", ("cidrIpv4",), UNKNOWN_STRING_VALUE),
    ("security-group-no-public-ingress", "ingress-rule", ("cidrIpv6",), UNKNOWN_STRING_VALUE),
    ("security-group-no-public-ingress", "sg-rule", ("cidrBlocks",), UNKNOWN_ARRAY_VALUE),
]


@pytest.mark.parametrize(
    ("policy", "baseline", "path", "value"), UNKNOWN_SET, ids=[f"{u[0]}:{u[2]}" for u in UNKNOWN_SET]
)
def test_an_unknown_value_counts_as_set_for_presence_checks(policy: str, baseline: str, path: Path, value: Any) -> None:
    assert run(policy, baseline, path, value) == []


@pytest.mark.parametrize(
    ("policy", "baseline", "path", "value"), UNKNOWN_RAISES, ids=[f"{u[0]}:{u[2]}" for u in UNKNOWN_RAISES]
)
def test_an_unknown_value_a_check_needs_stops_the_policy(policy: str, baseline: str, path: Path, value: Any) -> None:
    with pytest.raises(UnknownValueError):
        run(policy, baseline, path, value)


def test_an_unknown_rule_type_with_a_public_cidr_stops_the_policy() -> None:
    props = changed(changed(BASELINES["sg-rule"][1], ("cidrBlocks",), ["0.0.0.0/0"]), ("type",), UNKNOWN_STRING_VALUE)
    policy = POLICY["security-group-no-public-ingress"]
    assert isinstance(policy, ResourceValidationPolicy)
    with pytest.raises(UnknownValueError):
        resource_violations(policy, SECURITY_GROUP_RULE, props, NAME)


def test_known_violations_are_reported_before_an_unknown_value_stops_the_policy() -> None:
    props = changed(BASELINES["security-group"][1], ("ingress", 0, "cidrBlocks"), UNKNOWN_ARRAY_VALUE)
    props = changed(props, ("ingress", 1, "ipv6CidrBlocks"), ["::/0"])
    messages: list[str] = []
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    args = ResourceValidationArgs(SECURITY_GROUP, unknown_checking_proxy(props), "urn", NAME, options, None, {})
    policy = POLICY["security-group-no-public-ingress"]
    assert isinstance(policy, ResourceValidationPolicy)

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    with pytest.raises(UnknownValueError):
        policy.validate(args, report)
    assert len(messages) == 1
    assert_violation(messages, NAME, "ingress[1].ipv6CidrBlocks")


@pytest.mark.parametrize(
    ("policy", "path"),
    [
        ("notebook-instance-no-direct-internet", ("directInternetAccess",)),
        ("notebook-instance-no-root-access", ("rootAccess",)),
        ("notebook-instance-imdsv2", ("instanceMetadataServiceConfiguration",)),
    ],
)
def test_an_unknown_value_stops_only_the_policy_that_needs_it(policy: str, path: Path) -> None:
    props = changed(changed(BASELINES["notebook"][1], path, UNKNOWN_STRING_VALUE), ("kmsKeyId",), DELETE)
    checked = POLICY[policy]
    assert isinstance(checked, ResourceValidationPolicy)
    with pytest.raises(UnknownValueError):
        resource_violations(checked, NOTEBOOK, props, NAME)
    kms = POLICY["notebook-instance-kms"]
    assert isinstance(kms, ResourceValidationPolicy)
    assert_violation(resource_violations(kms, NOTEBOOK, props, NAME), NAME, "kmsKeyId")


# --- stack policies ------------------------------------------------------------------------------


def endpoint(short: str, vpc: str = "vpc", region: str = "eu-west-1") -> Res:
    service = f"aws.sagemaker.{region}.{short}" if short == "studio" else f"com.amazonaws.{region}.{short}"
    return Res(
        VPC_ENDPOINT,
        f"ep-{short}",
        {
            "id": f"vpce-{short.replace('.', '-')}",
            "vpcId": f"{vpc}-id",
            "serviceName": service,
            "vpcEndpointType": "Interface",
            "privateDnsEnabled": True,
            "subnetIds": ["subnet-a-id", "subnet-b-id"],
            "securityGroupIds": ["sg-endpoints-id"],
        },
        {"vpcId": [vpc], "subnetIds": ["subnet-a", "subnet-b"], "securityGroupIds": ["endpoints-sg"]},
    )


def vpc(name: str = "vpc") -> Res:
    return Res(
        VPC,
        name,
        {
            "id": f"{name}-id",
            "cidrBlock": "10.20.0.0/16",
            "enableDnsSupport": True,
            "enableDnsHostnames": True,
            # Outputs AnalyzeStack sees: the VPC's main route table and default security group.
            "mainRouteTableId": f"{name}-main-rtb",
            "defaultRouteTableId": f"{name}-main-rtb",
            "defaultSecurityGroupId": f"{name}-default-sg",
        },
    )


def stack() -> list[Res]:
    """A compliant VPC-only Studio stack shaped like the program's data science account."""
    settings = {"executionRole": EXECUTION_ROLE, "securityGroups": ["sg-studio-id"]}
    return [
        vpc(),
        Res(
            SUBNET,
            "subnet-a",
            {"id": "subnet-a-id", "vpcId": "vpc-id", "cidrBlock": "10.20.0.0/20"},
            {"vpcId": ["vpc"]},
        ),
        Res(
            SUBNET,
            "subnet-b",
            {"id": "subnet-b-id", "vpcId": "vpc-id", "cidrBlock": "10.20.16.0/20"},
            {"vpcId": ["vpc"]},
        ),
        Res(ROUTE_TABLE, "rtb-a", {"id": "rtb-a-id", "vpcId": "vpc-id"}, {"vpcId": ["vpc"]}),
        Res(
            DEFAULT_SECURITY_GROUP,
            "default-sg",
            {"id": "vpc-default-sg", "vpcId": "vpc-id", "ingress": [], "egress": []},
            {"vpcId": ["vpc"]},
        ),
        Res(
            FLOW_LOG,
            "flow-logs",
            {"id": "fl-1", "vpcId": "vpc-id", "trafficType": "ALL", "logDestinationType": "cloud-watch-logs"},
            {"vpcId": ["vpc"]},
        ),
        Res(SECURITY_GROUP, "studio-sg", {"id": "sg-studio-id", "vpcId": "vpc-id"}, {"vpcId": ["vpc"]}),
        Res(SECURITY_GROUP, "endpoints-sg", {"id": "sg-endpoints-id", "vpcId": "vpc-id"}, {"vpcId": ["vpc"]}),
        Res(
            INGRESS_RULE,
            "endpoints-from-studio",
            {
                "id": "sgr-1",
                "securityGroupId": "sg-endpoints-id",
                "referencedSecurityGroupId": "sg-studio-id",
                "ipProtocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
            },
            {"securityGroupId": ["endpoints-sg"], "referencedSecurityGroupId": ["studio-sg"]},
        ),
        *[endpoint(short) for short in REQUIRED],
        Res(
            VPC_ENDPOINT,
            "ep-s3",
            {
                "id": "vpce-s3",
                "vpcId": "vpc-id",
                "serviceName": "com.amazonaws.eu-west-1.s3",
                "vpcEndpointType": "Gateway",
                "routeTableIds": ["rtb-a-id"],
            },
            {"vpcId": ["vpc"], "routeTableIds": ["rtb-a"]},
        ),
        Res(ROLE, "execution-role", {"id": "mlops-datasci-studio-execution", "arn": EXECUTION_ROLE}),
        Res(
            DOMAIN,
            "domain",
            {
                "id": "d-1",
                "domainName": "mlops-datasci-studio",
                "authMode": "IAM",
                "appNetworkAccessType": "VpcOnly",
                "vpcId": "vpc-id",
                "subnetIds": ["subnet-a-id", "subnet-b-id"],
                "kmsKeyId": KEY,
                "defaultUserSettings": dict(settings),
                "defaultSpaceSettings": dict(settings),
            },
            {
                "vpcId": ["vpc"],
                "subnetIds": ["subnet-a", "subnet-b"],
                "defaultUserSettings": ["studio-sg", "execution-role"],
                "defaultSpaceSettings": ["studio-sg", "execution-role"],
            },
        ),
        *[
            Res(
                USER_PROFILE,
                user,
                {"id": f"{user}-profile", "domainId": "d-1", "userProfileName": user, "userSettings": dict(settings)},
                {"domainId": ["domain"], "userSettings": ["studio-sg", "execution-role"]},
            )
            for user in ("alice", "bob")
        ],
    ]


#: Outputs that name a resource: every one becomes unknown in the "unknown-ids" mode.
ID_OUTPUTS = ("id", "mainRouteTableId", "defaultRouteTableId", "defaultSecurityGroupId")
MODES = ["ids-and-dependencies", "unknown-ids", "ids-only"]


def _unknown(value: Any, ids: set[str]) -> Any:
    if isinstance(value, str) and value in ids:
        return UNKNOWN_STRING_VALUE
    if isinstance(value, list):
        return [_unknown(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _unknown(v, ids) for k, v in value.items()}
    return value


def in_mode(resources: list[Res], mode: str) -> list[Res]:
    resources = copy.deepcopy(resources)
    if mode == "ids-only":
        for r in resources:
            r.property_dependencies = {}
    elif mode == "unknown-ids":
        ids = {r.props[k] for r in resources for k in ID_OUTPUTS if isinstance(r.props.get(k), str)}
        for r in resources:
            r.props = _unknown(r.props, ids)
    return resources


Mutate = Callable[[list[Res]], None]


def find(resources: list[Res], name: str) -> Res:
    return next(r for r in resources if r.name == name)


def set_(name: str, path: Path, value: Any) -> Mutate:
    def mutate(resources: list[Res]) -> None:
        resource = find(resources, name)
        resource.props = changed(resource.props, path, value)

    return mutate


def drop(name: str) -> Mutate:
    return lambda resources: resources.remove(find(resources, name))


def add(*added: Res) -> Mutate:
    return lambda resources: resources.extend(copy.deepcopy(list(added)))


def both(*mutations: Mutate) -> Mutate:
    def mutate(resources: list[Res]) -> None:
        for m in mutations:
            m(resources)

    return mutate


def depend(name: str, key: str, *on: str) -> Mutate:
    def mutate(resources: list[Res]) -> None:
        find(resources, name).property_dependencies[key] = list(on)

    return mutate


def stack_run(policy: str, resources: list[Res], config: dict[str, Any] | None = None) -> list[str]:
    policy_object = POLICY[policy]
    assert isinstance(policy_object, StackValidationPolicy)
    return stack_violations(policy_object, resources, config)


STACK_POLICIES = [name for name, p in POLICY.items() if isinstance(p, StackValidationPolicy)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("policy", STACK_POLICIES)
def test_stack_policies_pass_the_compliant_stack(policy: str, mode: str) -> None:
    assert stack_run(policy, in_mode(stack(), mode)) == []


EXTRA_SG = Res(SECURITY_GROUP, "extra-sg", {"id": "sg-extra-id", "vpcId": "vpc-id"}, {"vpcId": ["vpc"]})
OTHER_VPC = vpc("other-vpc")
IGW = Res(INTERNET_GATEWAY, "igw", {"id": "igw-1", "vpcId": "vpc-id"}, {"vpcId": ["vpc"]})


class StackCase(NamedTuple):
    policy: str
    what: str
    mutate: Mutate
    name: str
    prop: str
    fragments: tuple[str, ...] = ()


def _sg_added(name: str, key: str, path: Path) -> Mutate:
    """``name`` lists the extra security group besides the studio one (a new resource of the stack)."""
    return both(
        add(EXTRA_SG),
        set_(name, path, ["sg-studio-id", "sg-extra-id"]),
        depend(name, key, "studio-sg", "extra-sg", "execution-role"),
    )


STACK_CASES = [
    # 10 (a domain's own subnets and security groups are resource policies, above)
    StackCase(
        "studio-profile-security-groups",
        "a profile adds a new group",
        _sg_added("alice", "userSettings", ("userSettings", "securityGroups")),
        "alice",
        "userSettings.securityGroups",
        ("extra-sg", "domain", "allowedSecurityGroups"),
    ),
    StackCase(
        "studio-profile-security-groups",
        "a profile uses the endpoints group instead",
        both(
            set_("bob", ("userSettings", "securityGroups"), ["sg-endpoints-id"]),
            depend("bob", "userSettings", "endpoints-sg", "execution-role"),
        ),
        "bob",
        "userSettings.securityGroups",
        ("endpoints-sg",),
    ),
    StackCase(
        "studio-profile-security-groups",
        "a profile adds a group from outside the stack",
        set_("alice", ("userSettings", "securityGroups"), ["sg-studio-id", EXTERNAL_SG]),
        "alice",
        "userSettings.securityGroups",
        (EXTERNAL_SG,),
    ),
    StackCase(
        "studio-profile-security-groups",
        "spaces add a group",
        _sg_added("domain", "defaultSpaceSettings", ("defaultSpaceSettings", "securityGroups")),
        "domain",
        "defaultSpaceSettings.securityGroups",
        ("extra-sg",),
    ),
    # 16
    *[
        StackCase(
            "studio-required-vpc-endpoints",
            f"no {short} endpoint",
            drop(f"ep-{short}"),
            "domain",
            "vpcId",
            (f".<region>.{short} (no endpoint)", "vpc", "privateDnsEnabled true"),
        )
        for short in REQUIRED
    ],
    StackCase(
        "studio-required-vpc-endpoints",
        "sts without private DNS",
        set_("ep-sts", ("privateDnsEnabled",), False),
        "domain",
        "vpcId",
        ("com.amazonaws.<region>.sts (privateDnsEnabled is false on ep-sts)",),
    ),
    StackCase(
        "studio-required-vpc-endpoints",
        "sts private DNS left to AWS",
        set_("ep-sts", ("privateDnsEnabled",), DELETE),
        "domain",
        "vpcId",
        ("privateDnsEnabled is not set (AWS defaults to false) on ep-sts",),
    ),
    StackCase(
        "studio-required-vpc-endpoints",
        "kms as a gateway endpoint",
        set_("ep-kms", ("vpcEndpointType",), "Gateway"),
        "domain",
        "vpcId",
        ("com.amazonaws.<region>.kms (ep-kms has vpcEndpointType Gateway, not Interface)",),
    ),
    StackCase(
        "studio-required-vpc-endpoints",
        "kms endpoint type left to AWS (Gateway)",
        set_("ep-kms", ("vpcEndpointType",), DELETE),
        "domain",
        "vpcId",
        ("ep-kms has vpcEndpointType Gateway",),
    ),
    StackCase(
        "studio-required-vpc-endpoints",
        "no S3 gateway",
        drop("ep-s3"),
        "domain",
        "vpcId",
        ("com.amazonaws.<region>.s3 Gateway (no endpoint)", "Gateway endpoint for S3"),
    ),
    StackCase(
        "studio-required-vpc-endpoints",
        "S3 as an interface endpoint",
        set_("ep-s3", ("vpcEndpointType",), "Interface"),
        "domain",
        "vpcId",
        ("com.amazonaws.<region>.s3 Gateway (ep-s3 has vpcEndpointType Interface, not Gateway)",),
    ),
    StackCase(
        "studio-required-vpc-endpoints",
        "logs endpoint in another VPC",
        both(add(OTHER_VPC), set_("ep-logs", ("vpcId",), "other-vpc-id"), depend("ep-logs", "vpcId", "other-vpc")),
        "domain",
        "vpcId",
        ("com.amazonaws.<region>.logs (no endpoint)",),
    ),
    # 17
    StackCase("vpc-no-internet-path", "an internet gateway", add(IGW), "igw", "vpcId", ("internet gateway", "domain")),
    StackCase(
        "vpc-no-internet-path",
        "an internet gateway attachment",
        add(
            Res(
                INTERNET_GATEWAY_ATTACHMENT,
                "igw-attachment",
                {"id": "igw-attach-1", "vpcId": "vpc-id", "internetGatewayId": "igw-0123456789abcdef0"},
                {"vpcId": ["vpc"]},
            )
        ),
        "igw-attachment",
        "vpcId",
    ),
    StackCase(
        "vpc-no-internet-path",
        "an egress-only internet gateway",
        add(Res(EGRESS_ONLY_INTERNET_GATEWAY, "eigw", {"id": "eigw-1", "vpcId": "vpc-id"}, {"vpcId": ["vpc"]})),
        "eigw",
        "vpcId",
        ("egress-only",),
    ),
    StackCase(
        "vpc-no-internet-path",
        "a NAT gateway in a subnet",
        add(Res(NAT_GATEWAY, "nat", {"id": "nat-1", "subnetId": "subnet-b-id"}, {"subnetId": ["subnet-b"]})),
        "nat",
        "subnetId",
        ("NAT gateway",),
    ),
    StackCase(
        "vpc-no-internet-path",
        "a regional NAT gateway",
        add(
            Res(
                NAT_GATEWAY,
                "regional-nat",
                {"id": "nat-2", "vpcId": "vpc-id", "availabilityMode": "regional"},
                {"vpcId": ["vpc"]},
            )
        ),
        "regional-nat",
        "vpcId",
        ("NAT gateway",),
    ),
    StackCase(
        "vpc-no-internet-path",
        "a default route",
        add(
            Res(
                ROUTE,
                "default-route",
                {"id": "r-1", "routeTableId": "rtb-a-id", "destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
                {"routeTableId": ["rtb-a"]},
            )
        ),
        "default-route",
        "destinationCidrBlock",
        ("0.0.0.0/0", "remove the route"),
    ),
    StackCase(
        "vpc-no-internet-path",
        "an IPv6 default route in the main route table",
        add(
            Res(
                ROUTE,
                "v6-route",
                {"id": "r-2", "routeTableId": "vpc-main-rtb", "destinationIpv6CidrBlock": "::/0"},
                {"routeTableId": ["vpc"]},
            )
        ),
        "v6-route",
        "destinationIpv6CidrBlock",
        ("::/0",),
    ),
    StackCase(
        "vpc-no-internet-path",
        "an inline default route",
        set_("rtb-a", ("routes",), [{"cidrBlock": "10.99.0.0/16"}, {"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]),
        "rtb-a",
        "routes[1].cidrBlock",
        ("0.0.0.0/0",),
    ),
    StackCase(
        "vpc-no-internet-path",
        "a default route in the default route table",
        add(
            Res(
                DEFAULT_ROUTE_TABLE,
                "default-rtb",
                {"id": "vpc-main-rtb", "defaultRouteTableId": "vpc-main-rtb", "routes": [{"ipv6CidrBlock": "::/0"}]},
                {"defaultRouteTableId": ["vpc"]},
            )
        ),
        "default-rtb",
        "routes[0].ipv6CidrBlock",
    ),
    # 18
    StackCase("vpc-flow-logs", "no flow logs", drop("flow-logs"), "vpc", "vpcId", ("add a FlowLog",)),
    StackCase(
        "vpc-flow-logs",
        "flow logs of another VPC",
        both(add(OTHER_VPC), set_("flow-logs", ("vpcId",), "other-vpc-id"), depend("flow-logs", "vpcId", "other-vpc")),
        "vpc",
        "vpcId",
    ),
    StackCase("vpc-flow-logs", "a second VPC without flow logs", add(OTHER_VPC), "other-vpc", "vpcId"),
    StackCase(
        "vpc-flow-logs",
        "flow logs of a subnet only",
        both(
            set_("flow-logs", ("vpcId",), DELETE),
            depend("flow-logs", "vpcId"),
            set_("flow-logs", ("subnetId",), "subnet-a-id"),
            depend("flow-logs", "subnetId", "subnet-a"),
        ),
        "vpc",
        "vpcId",
    ),
    # 19
    StackCase(
        "vpc-default-security-group-closed",
        "default group left to AWS",
        drop("default-sg"),
        "vpc",
        "vpcId",
        ("DefaultSecurityGroup", "no ingress and no egress"),
    ),
    StackCase(
        "vpc-default-security-group-closed",
        "default group allows ingress from itself",
        set_("default-sg", ("ingress",), [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}]),
        "default-sg",
        "ingress",
        ("set ingress to an empty list",),
    ),
    StackCase(
        "vpc-default-security-group-closed",
        "default group allows all egress",
        set_("default-sg", ("egress",), [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]),
        "default-sg",
        "egress",
    ),
    StackCase(
        "vpc-default-security-group-closed",
        "a separate rule on the default group",
        add(
            Res(
                EGRESS_RULE,
                "default-egress",
                {"id": "sgr-2", "securityGroupId": "vpc-default-sg", "ipProtocol": "-1", "cidrIpv4": "10.0.0.0/8"},
                {"securityGroupId": ["default-sg"]},
            )
        ),
        "default-egress",
        "securityGroupId",
        ("default security group",),
    ),
    StackCase(
        "vpc-default-security-group-closed",
        "a separate rule on the VPC's defaultSecurityGroupId",
        add(
            Res(
                SECURITY_GROUP_RULE,
                "default-ingress",
                {"id": "sgr-3", "type": "ingress", "securityGroupId": "vpc-default-sg", "protocol": "-1"},
                {"securityGroupId": ["vpc"]},
            )
        ),
        "default-ingress",
        "securityGroupId",
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("case", STACK_CASES, ids=[f"{c.policy}:{c.what}" for c in STACK_CASES])
def test_each_stack_mutation_fails_with_resource_property_and_fix(case: StackCase, mode: str) -> None:
    resources = stack()
    case.mutate(resources)
    messages = stack_run(case.policy, in_mode(resources, mode))
    assert_violation(messages, case.name, case.prop, *case.fragments)
    # Only the mutated thing is reported.
    assert all(m.startswith(f"{case.name}: ") for m in messages), messages


SAFE_STACKS = [
    (
        "studio-profile-security-groups",
        "a profile inherits the domain's groups",
        set_("alice", ("userSettings", "securityGroups"), DELETE),
    ),
    ("studio-profile-security-groups", "a profile with no user settings", set_("bob", ("userSettings",), DELETE)),
    (
        "studio-profile-security-groups",
        "spaces inherit the domain's groups",
        set_("domain", ("defaultSpaceSettings",), DELETE),
    ),
    (
        "studio-required-vpc-endpoints",
        "another region",
        lambda resources: [
            r.props.update(serviceName=r.props["serviceName"].replace("eu-west-1", "us-east-1"))
            for r in resources
            if r.type == VPC_ENDPOINT
        ],
    ),
    ("vpc-no-internet-path", "a private route", set_("rtb-a", ("routes",), [{"cidrBlock": "10.99.0.0/16"}])),
    (
        "vpc-no-internet-path",
        "an internet gateway in a VPC without Studio",
        both(add(OTHER_VPC, IGW), set_("igw", ("vpcId",), "other-vpc-id"), depend("igw", "vpcId", "other-vpc")),
    ),
    (
        "vpc-no-internet-path",
        "a public-internet domain is rule 9's to fail",
        both(add(IGW), set_("domain", ("appNetworkAccessType",), "PublicInternetOnly")),
    ),
    (
        "vpc-default-security-group-closed",
        "no inline rules means none (the provider removes them when it adopts the group)",
        both(set_("default-sg", ("ingress",), DELETE), set_("default-sg", ("egress",), DELETE)),
    ),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("policy", "what", "mutate"), SAFE_STACKS, ids=[f"{s[0]}:{s[1]}" for s in SAFE_STACKS])
def test_safe_stack_variants_pass(policy: str, what: str, mutate: Mutate, mode: str) -> None:
    resources = stack()
    mutate(resources)
    assert stack_run(policy, in_mode(resources, mode)) == []


# Joins that cannot be made (an unknown id with no dependency to follow) and values a check needs:
# the policy cannot run, and says so, instead of passing or failing on a guess.
UNKNOWN_STACKS = [
    (
        "studio-profile-security-groups",
        "a profile's domain",
        both(set_("alice", ("domainId",), UNKNOWN_STRING_VALUE), depend("alice", "domainId")),
    ),
    (
        "studio-profile-security-groups",
        "the domain's default user settings",
        set_("domain", ("defaultUserSettings",), UNKNOWN_OBJECT_VALUE),
    ),
    (
        "studio-profile-security-groups",
        "a profile's group from no security group resource",
        both(
            set_("alice", ("userSettings", "securityGroups"), [UNKNOWN_STRING_VALUE]),
            depend("alice", "userSettings", "execution-role"),
        ),
    ),
    (
        "studio-profile-security-groups",
        "a profile's whole list, from no security group resource",
        both(set_("alice", ("userSettings", "securityGroups"), UNKNOWN_ARRAY_VALUE), depend("alice", "userSettings")),
    ),
    (
        "studio-required-vpc-endpoints",
        "an endpoint's VPC",
        both(set_("ep-sts", ("vpcId",), UNKNOWN_STRING_VALUE), depend("ep-sts", "vpcId")),
    ),
    (
        "studio-required-vpc-endpoints",
        "an endpoint's private DNS",
        set_("ep-sts", ("privateDnsEnabled",), UNKNOWN_BOOLEAN_VALUE),
    ),
    ("studio-required-vpc-endpoints", "an endpoint's service", set_("ep-glue", ("serviceName",), UNKNOWN_STRING_VALUE)),
    (
        "studio-required-vpc-endpoints",
        "the domain's VPC",
        both(set_("domain", ("vpcId",), UNKNOWN_STRING_VALUE), depend("domain", "vpcId")),
    ),
    (
        "vpc-no-internet-path",
        "the domain's network mode",
        set_("domain", ("appNetworkAccessType",), UNKNOWN_STRING_VALUE),
    ),
    (
        "vpc-no-internet-path",
        "an internet gateway's VPC",
        both(add(IGW), set_("igw", ("vpcId",), UNKNOWN_STRING_VALUE), depend("igw", "vpcId")),
    ),
    (
        "vpc-no-internet-path",
        "the routes of a table of the domain's VPC",
        set_("rtb-a", ("routes",), UNKNOWN_ARRAY_VALUE),
    ),
    (
        "vpc-no-internet-path",
        "a route's destination",
        add(
            Res(
                ROUTE,
                "route",
                {"id": "r-1", "routeTableId": "rtb-a-id", "destinationCidrBlock": UNKNOWN_STRING_VALUE},
                {"routeTableId": ["rtb-a"]},
            )
        ),
    ),
    (
        "vpc-flow-logs",
        "a flow log's VPC",
        both(set_("flow-logs", ("vpcId",), UNKNOWN_STRING_VALUE), depend("flow-logs", "vpcId")),
    ),
    (
        "vpc-default-security-group-closed",
        "the default group's VPC",
        both(set_("default-sg", ("vpcId",), UNKNOWN_STRING_VALUE), depend("default-sg", "vpcId")),
    ),
    (
        "vpc-default-security-group-closed",
        "the default group's ingress",
        set_("default-sg", ("ingress",), UNKNOWN_ARRAY_VALUE),
    ),
    (
        "vpc-default-security-group-closed",
        "a separate rule's group",
        add(
            Res(
                INGRESS_RULE,
                "rule",
                {"id": "sgr-9", "securityGroupId": UNKNOWN_STRING_VALUE, "ipProtocol": "-1", "cidrIpv4": "10.0.0.0/8"},
            )
        ),
    ),
]


@pytest.mark.parametrize(("policy", "what", "mutate"), UNKNOWN_STACKS, ids=[f"{u[0]}:{u[1]}" for u in UNKNOWN_STACKS])
def test_an_unknown_that_leaves_a_stack_policy_open_stops_it(policy: str, what: str, mutate: Mutate) -> None:
    resources = stack()
    mutate(resources)
    with pytest.raises(UnknownValueError):
        stack_run(policy, resources)


UNKNOWN_DECIDED = [
    # The unknown entry is the studio group's (unknown) id: the dependency tells which group it is.
    (
        "studio-profile-security-groups",
        "a profile's whole list from the domain's group",
        set_("alice", ("userSettings", "securityGroups"), UNKNOWN_ARRAY_VALUE),
        None,
    ),
    (
        "studio-profile-security-groups",
        "a profile's whole list from another group",
        both(
            add(EXTRA_SG),
            set_("alice", ("userSettings", "securityGroups"), UNKNOWN_ARRAY_VALUE),
            depend("alice", "userSettings", "extra-sg"),
        ),
        "alice",
    ),
    # An endpoint nobody needs may be unknown; a route table of a VPC without Studio is not read.
    (
        "studio-required-vpc-endpoints",
        "an extra endpoint's service",
        add(
            Res(VPC_ENDPOINT, "ep-extra", {"vpcId": "vpc-id", "serviceName": UNKNOWN_STRING_VALUE}, {"vpcId": ["vpc"]})
        ),
        None,
    ),
    (
        "vpc-no-internet-path",
        "the routes of a table of a VPC without Studio",
        add(
            OTHER_VPC,
            Res(
                ROUTE_TABLE,
                "other-rtb",
                {"vpcId": "other-vpc-id", "routes": UNKNOWN_ARRAY_VALUE},
                {"vpcId": ["other-vpc"]},
            ),
        ),
        None,
    ),
    # A definite violation is still reported when another resource is unknown.
    (
        "vpc-flow-logs",
        "a subnet's flow log with an unknown subnet is no VPC's and is not read",
        add(Res(FLOW_LOG, "subnet-logs", {"subnetId": UNKNOWN_STRING_VALUE}, {"subnetId": ["subnet-a"]})),
        None,
    ),
]


@pytest.mark.parametrize(
    ("policy", "what", "mutate", "fails"), UNKNOWN_DECIDED, ids=[f"{u[0]}:{u[1]}" for u in UNKNOWN_DECIDED]
)
def test_an_unknown_the_policy_can_decide_around(policy: str, what: str, mutate: Mutate, fails: str | None) -> None:
    resources = stack()
    mutate(resources)
    messages = stack_run(policy, resources)
    if fails is None:
        assert messages == []
    else:
        assert_violation(messages, fails, "userSettings.securityGroups", "extra-sg")


# --- configuration -------------------------------------------------------------------------------


def test_the_config_defaults_are_the_programs() -> None:
    """Written out, so a wrong default fails: the endpoints VPC-only Studio cannot work without (the
    program's VPCs have these and more), and no security group beyond a profile's domain's."""
    configurable = {name: schema_defaults(p) for name, p in POLICY.items() if p.config_schema is not None}
    assert configurable == {
        "studio-profile-security-groups": {"allowedSecurityGroups": []},
        "studio-required-vpc-endpoints": {"requiredEndpoints": REQUIRED},
    }


def _external_group(resources: list[Res]) -> None:
    set_("alice", ("userSettings", "securityGroups"), ["sg-studio-id", EXTERNAL_SG])(resources)


def test_allowed_security_groups_lets_profiles_use_a_listed_group() -> None:
    resources = stack()
    _external_group(resources)
    assert stack_run("studio-profile-security-groups", resources)  # the default allows none
    assert stack_run("studio-profile-security-groups", resources, {"allowedSecurityGroups": [EXTERNAL_SG]}) == []
    assert stack_run("studio-profile-security-groups", resources, {"allowedSecurityGroups": ["sg-other"]})


def test_allowed_security_groups_matches_a_stack_group_by_its_known_id() -> None:
    resources = stack()
    _sg_added("alice", "userSettings", ("userSettings", "securityGroups"))(resources)
    assert stack_run("studio-profile-security-groups", resources, {"allowedSecurityGroups": ["sg-extra-id"]}) == []
    # While its id is unknown the group cannot be one of the listed (existing) groups.
    assert stack_run(
        "studio-profile-security-groups", in_mode(resources, "unknown-ids"), {"allowedSecurityGroups": ["sg-extra-id"]}
    )


def test_a_profile_of_a_domain_outside_the_stack_may_use_only_allowed_groups() -> None:
    resources = stack()
    both(set_("alice", ("domainId",), "d-elsewhere"), depend("alice", "domainId"))(resources)
    messages = stack_run("studio-profile-security-groups", resources)
    assert_violation(messages, "alice", "userSettings.securityGroups", "studio-sg", "d-elsewhere is not in this stack")
    assert stack_run("studio-profile-security-groups", resources, {"allowedSecurityGroups": ["sg-studio-id"]}) == []


def test_required_endpoints_is_configurable() -> None:
    resources = stack()
    messages = stack_run("studio-required-vpc-endpoints", resources, {"requiredEndpoints": [*REQUIRED, "ssm"]})
    assert_violation(messages, "domain", "vpcId", "com.amazonaws.<region>.ssm (no endpoint)")
    drop("ep-glue")(resources)
    assert stack_run("studio-required-vpc-endpoints", resources)
    without_glue = [short for short in REQUIRED if short != "glue"]
    assert stack_run("studio-required-vpc-endpoints", resources, {"requiredEndpoints": without_glue}) == []


def test_without_config_the_policies_fall_back_to_the_same_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policy_harness, "schema_defaults", lambda policy: {})
    resources = stack()
    assert stack_run("studio-profile-security-groups", resources) == []
    assert stack_run("studio-required-vpc-endpoints", resources) == []
    _external_group(resources)
    drop("ep-glue")(resources)
    assert_violation(
        stack_run("studio-profile-security-groups", resources), "alice", "userSettings.securityGroups", EXTERNAL_SG
    )
    assert_violation(stack_run("studio-required-vpc-endpoints", resources), "domain", "vpcId", ".glue (no endpoint)")
