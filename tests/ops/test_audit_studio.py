"""The Studio checks of ``ops audit`` against moto: each drift is caught on its resource, and what the
stack deploys (its synthesized resources where the audit compares with them) passes.

The checks are called directly, one at a time (a full ``main(["audit", ...])`` costs seconds a case).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from contracts.config import Settings
from contracts.endpoints import PACKAGE_MIRROR_ENDPOINTS, endpoint_service_name
from offline.engine import StackPreview
from ops.__main__ import _settings
from ops.audit import CHECKS
from ops.audit.findings import Check, Finding
from ops.audit.studio import (
    key_alias,
    models,
    notebook_instances,
    studio_domains,
    studio_group_name,
    studio_profiles,
    studio_vpcs,
)
from tests.conftest import ROOT, of_type
from tests.ops.conftest import REGION, assert_drift, in_account

DATAMGMT = "333333333333"
ROLE = f"arn:aws:iam::{DATAMGMT}:role/mlops/mlops-datamgmt-studio-readonly"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return _settings(ROOT, "datamgmt")


@pytest.fixture(scope="module")
def endpoint_policies(stack: Callable[[str], StackPreview]) -> dict[str, str]:
    """The endpoint policies the datamgmt stack sets, by service name (its synthesized resources)."""
    return {
        str(r.inputs["serviceName"]): str(r.inputs["policy"])
        for r in of_type(stack("datamgmt"), "aws:ec2/vpcEndpoint:VpcEndpoint")
        if r.inputs.get("policy")
    }


@pytest.fixture
def account(aws: boto3.Session) -> boto3.Session:
    return in_account(aws, DATAMGMT)


def build(
    account: boto3.Session, settings: Settings, policies: dict[str, str], endpoints: bool = True
) -> dict[str, Any]:
    """The datamgmt stack's network, key and VPC-only Studio domain (components/network.py,
    studio.py, kms.py), for the parts these checks read; the interface endpoints (a second each in
    moto) only for the checks that read them."""
    assert settings.network is not None
    ec2, kms = account.client("ec2"), account.client("kms")
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName=key_alias(settings), TargetKeyId=key["KeyId"])
    vpc = ec2.create_vpc(CidrBlock=settings.network.vpc_cidr)["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=block, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for block, zone in zip(settings.network.subnet_cidrs, settings.network.availability_zones, strict=True)
    ]

    def group(name: str) -> str:
        created = ec2.create_security_group(
            GroupName=f"{name}-1234", Description=name, VpcId=vpc, TagSpecifications=[_named("security-group", name)]
        )
        return str(created["GroupId"])

    studio_group = group(studio_group_name(settings))
    endpoint_group = group("datamgmt-network-endpoints-sg")
    created = {
        name: ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=endpoint_service_name(REGION, name),
            VpcEndpointType="Interface",
            SubnetIds=subnets,
            SecurityGroupIds=[endpoint_group],
            PrivateDnsEnabled=True,
            **_policy(policies, endpoint_service_name(REGION, name)),
        )["VpcEndpoint"]["VpcEndpointId"]
        for name in (settings.network.interface_endpoints if endpoints else ())
    }
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    created["s3"] = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=endpoint_service_name(REGION, "s3"),
        VpcEndpointType="Gateway",
        RouteTableIds=[table],
        **_policy(policies, endpoint_service_name(REGION, "s3")),
    )["VpcEndpoint"]["VpcEndpointId"]
    domain = account.client("sagemaker").create_domain(
        DomainName="mlops-datamgmt-studio-readonly",
        AuthMode="IAM",
        AppNetworkAccessType="VpcOnly",
        VpcId=vpc,
        SubnetIds=subnets,
        KmsKeyId=key["Arn"],
        DefaultUserSettings={"ExecutionRole": ROLE, "SecurityGroups": [studio_group]},
        DefaultSpaceSettings={"ExecutionRole": ROLE, "SecurityGroups": [studio_group]},
    )["DomainArn"]
    return {
        "vpc": vpc,
        "subnets": subnets,
        "studio_group": studio_group,
        "key": key["Arn"],
        "endpoints": created,
        "domain": domain.rsplit("/", 1)[-1],
    }


def _named(kind: str, name: str) -> Any:
    return {"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}


def _policy(policies: dict[str, str], service: str) -> dict[str, str]:
    return {"PolicyDocument": policies[service]} if service in policies else {}


def _shadow_domain(account: boto3.Session, built: dict[str, Any], **changes: Any) -> str:
    """A second domain someone made in the console: the stack's settings but for ``changes``."""
    arguments: dict[str, Any] = {
        "DomainName": "shadow-it",
        "AuthMode": "IAM",
        "AppNetworkAccessType": "VpcOnly",
        "VpcId": built["vpc"],
        "SubnetIds": built["subnets"],
        "KmsKeyId": built["key"],
        "DefaultUserSettings": {"ExecutionRole": ROLE, "SecurityGroups": [built["studio_group"]]},
    }
    arguments.update(changes)
    return str(account.client("sagemaker").create_domain(**arguments)["DomainArn"]).rsplit("/", 1)[-1]


def _notebook(account: boto3.Session, built: dict[str, Any], **changes: Any) -> str:
    """A notebook instance as guardrail 12 allows one: in a platform subnet, no internet, no root, the key."""
    arguments: dict[str, Any] = {
        "NotebookInstanceName": "exploration",
        "InstanceType": "ml.t3.medium",
        "RoleArn": ROLE,
        "SubnetId": built["subnets"][0],
        "SecurityGroupIds": [built["studio_group"]],
        "KmsKeyId": built["key"],
        "DirectInternetAccess": "Disabled",
        "RootAccess": "Disabled",
    }
    arguments.update(changes)
    account.client("sagemaker").create_notebook_instance(**{k: v for k, v in arguments.items() if v is not None})
    return "exploration"


def _model(account: boto3.Session, built: dict[str, Any], **changes: Any) -> str:
    """A SageMaker model as guardrail 13 allows one: network-isolated, in the platform's subnets."""
    arguments: dict[str, Any] = {
        "ModelName": "churn-by-hand",
        "ExecutionRoleArn": ROLE,
        "PrimaryContainer": {"Image": "123456789012.dkr.ecr.eu-west-1.amazonaws.com/churn:1"},
        "VpcConfig": {"Subnets": built["subnets"], "SecurityGroupIds": [built["studio_group"]]},
        "EnableNetworkIsolation": True,
    }
    arguments.update(changes)
    account.client("sagemaker").create_model(**{k: v for k, v in arguments.items() if v is not None})
    return "churn-by-hand"


def _endpoint_config(account: boto3.Session, built: dict[str, Any], **changes: Any) -> str:
    """An endpoint configuration as guardrail 14 allows one: its storage under the account key."""
    arguments: dict[str, Any] = {
        "EndpointConfigName": "churn-serving",
        "ProductionVariants": [
            {
                "VariantName": "all",
                "ModelName": "churn-by-hand",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
            }
        ],
        "KmsKeyId": built["key"],
    }
    arguments.update(changes)
    account.client("sagemaker").create_endpoint_config(**{k: v for k, v in arguments.items() if v is not None})
    return "churn-serving"


def _model_not_isolated(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    return _model(account, built, EnableNetworkIsolation=False)


def _model_outside(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    return _model(account, built, VpcConfig=None)


def _endpoint_config_without_key(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    _model(account, built)  # what the configuration serves: moto requires it
    return _endpoint_config(account, built, KmsKeyId=None)


# --- drift, one per case ----------------------------------------------------------------------------


def _foreign_subnet(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    subnet = account.client("ec2").create_subnet(VpcId=built["vpc"], CidrBlock="10.30.200.0/24")["Subnet"]["SubnetId"]
    return _shadow_domain(account, built, SubnetIds=[subnet])


def _foreign_vpc(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="172.16.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="172.16.0.0/24")["Subnet"]["SubnetId"]
    return _shadow_domain(account, built, VpcId=vpc, SubnetIds=[subnet])


def _extra_group(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    group = account.client("ec2").create_security_group(GroupName="debug", Description="x", VpcId=built["vpc"])
    built["extra_group"] = group["GroupId"]
    return _shadow_domain(
        account,
        built,
        DefaultUserSettings={"ExecutionRole": ROLE, "SecurityGroups": [built["studio_group"], group["GroupId"]]},
    )


def _spaces_other_group(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    group = account.client("ec2").create_security_group(GroupName="spaces", Description="x", VpcId=built["vpc"])
    return _shadow_domain(
        account, built, DefaultSpaceSettings={"ExecutionRole": ROLE, "SecurityGroups": [group["GroupId"]]}
    )


def _no_key(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    arguments = {
        "DomainName": "shadow-it",
        "AuthMode": "IAM",
        "AppNetworkAccessType": "VpcOnly",
        "VpcId": built["vpc"],
        "SubnetIds": built["subnets"],
        "DefaultUserSettings": {"ExecutionRole": ROLE, "SecurityGroups": [built["studio_group"]]},
    }
    return str(account.client("sagemaker").create_domain(**arguments)["DomainArn"]).rsplit("/", 1)[-1]


def _other_key(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    other = account.client("kms").create_key()["KeyMetadata"]["Arn"]
    built["other_key"] = other
    return _shadow_domain(account, built, KmsKeyId=other)


def _key_alias_gone(account: boto3.Session, settings: Settings, built: dict[str, Any]) -> str:
    account.client("kms").delete_alias(AliasName=key_alias(settings))
    return str(built["domain"])


def _internet_notebook(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    return _notebook(account, built, DirectInternetAccess="Enabled")


def _notebook_outside(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    return _notebook(account, built, SubnetId=None, SecurityGroupIds=None)


def _root_notebook(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    return _notebook(account, built, RootAccess="Enabled")


def _notebook_without_key(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    return _notebook(account, built, KmsKeyId=None)


def _peered(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    ec2 = account.client("ec2")
    peer = ec2.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    peering = ec2.create_vpc_peering_connection(VpcId=built["vpc"], PeerVpcId=peer)["VpcPeeringConnection"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=peering["VpcPeeringConnectionId"])
    built["peer"], built["peering"] = peer, peering["VpcPeeringConnectionId"]
    return str(built["vpc"])


def _peering_requested(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    """Requested by the other VPC, not yet accepted: a pending peering counts too."""
    ec2 = account.client("ec2")
    peer = ec2.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    peering = ec2.create_vpc_peering_connection(VpcId=peer, PeerVpcId=built["vpc"])["VpcPeeringConnection"]
    built["peer"], built["peering"] = peer, peering["VpcPeeringConnectionId"]
    return str(built["vpc"])


FULL_ACCESS = json.dumps(
    {"Version": "2008-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
)


def _set_policy(account: boto3.Session, built: dict[str, Any], endpoint: str, policy: str) -> str:
    account.client("ec2").modify_vpc_endpoint(VpcEndpointId=built["endpoints"][endpoint], PolicyDocument=policy)
    return f"{built['endpoints'][endpoint]} ({endpoint})"


def _mirror_full_access(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    return _set_policy(account, built, "codeartifact.api", FULL_ACCESS)


def _mirror_publish(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    policy = json.loads(built["policies"][endpoint_service_name(REGION, "codeartifact.repositories")])
    policy["Statement"][0]["Action"].append("codeartifact:PublishPackageVersion")
    return _set_policy(account, built, "codeartifact.repositories", json.dumps(policy))


def _mirror_to_anyone(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    policy = json.loads(built["policies"][endpoint_service_name(REGION, "codeartifact.api")])
    policy["Statement"][0]["Principal"] = "*"
    return _set_policy(account, built, "codeartifact.api", json.dumps(policy))


def _gateway_full_access(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    return _set_policy(account, built, "s3", FULL_ACCESS)


def _gateway_other_bucket(account: boto3.Session, _: Settings, built: dict[str, Any]) -> str:
    policy = json.loads(built["policies"][endpoint_service_name(REGION, "s3")])
    policy["Statement"][0]["Resource"].append("arn:aws:s3:::exfiltration/*")
    return _set_policy(account, built, "s3", json.dumps(policy))


Drift = Callable[[boto3.Session, Settings, dict[str, Any]], str]
#: What someone changes by hand, the check that must catch it, its rule, and the detail it gives
#: (``{name}`` stands for a value of what was built).
DRIFTS: list[tuple[str, Drift, Check, str, str]] = [
    (
        "domain on a foreign subnet",
        _foreign_subnet,
        studio_domains,
        "studio-domain-subnets",
        r"subnet subnet-\w+ is not a platform subnet",
    ),
    (
        "domain in another VPC",
        _foreign_vpc,
        studio_domains,
        "studio-domain-subnets",
        r"in VPC vpc-\w+, not the platform VPC",
    ),
    (
        "domain apps get an extra group",
        _extra_group,
        studio_domains,
        "studio-domain-security-groups",
        r"apps get {extra_group}, not the platform's Studio group",
    ),
    (
        "domain spaces get another group",
        _spaces_other_group,
        studio_domains,
        "studio-domain-security-groups",
        r"spaces get sg-\w+, not the platform's Studio group",
    ),
    ("domain without a key", _no_key, studio_domains, "studio-domain-kms", r"no KMS key: AWS-managed encryption"),
    (
        "domain with another key",
        _other_key,
        studio_domains,
        "studio-domain-kms",
        r"encrypted with {other_key}, not the platform key alias/mlops-datamgmt-data",
    ),
    (
        "the key's alias deleted",
        _key_alias_gone,
        studio_domains,
        "studio-domain-kms",
        r"the platform key alias/mlops-datamgmt-data is missing",
    ),
    (
        "notebook with direct internet",
        _internet_notebook,
        notebook_instances,
        "notebook-direct-internet",
        r"direct internet access Enabled",
    ),
    (
        "notebook outside the VPC",
        _notebook_outside,
        notebook_instances,
        "notebook-in-vpc",
        r"in no VPC: SageMaker's network",
    ),
    ("notebook with root access", _root_notebook, notebook_instances, "notebook-root-access", r"root access Enabled"),
    (
        "notebook without a key",
        _notebook_without_key,
        notebook_instances,
        "notebook-kms",
        r"no KMS key: AWS-managed encryption",
    ),
    (
        "model without network isolation",
        _model_not_isolated,
        models,
        "sagemaker-model-network-isolation",
        r"^network isolation off$",
    ),
    ("model outside the VPC", _model_outside, models, "sagemaker-model-in-vpc", r"^in no VPC: SageMaker's network$"),
    (
        "endpoint configuration without a key",
        _endpoint_config_without_key,
        models,
        "sagemaker-endpoint-config-kms",
        r"^no KMS key: AWS-managed encryption$",
    ),
    (
        "VPC peered",
        _peered,
        studio_vpcs,
        "vpc-peering",
        r"peered with {peer} of 333333333333 \({peering}, active\), not a platform VPC",
    ),
    (
        "VPC peering requested",
        _peering_requested,
        studio_vpcs,
        "vpc-peering",
        r"peered with {peer} of 333333333333 \({peering}, (initiating-request|pending-acceptance)\)",
    ),
    (
        "mirror endpoint full access",
        _mirror_full_access,
        studio_vpcs,
        "vpc-endpoint-policies",
        r"^full access \(AWS's default policy\)$",
    ),
    (
        "mirror endpoint may publish",
        _mirror_publish,
        studio_vpcs,
        "vpc-endpoint-policies",
        r"^allows codeartifact:PublishPackageVersion$",
    ),
    ("mirror endpoint to anyone", _mirror_to_anyone, studio_vpcs, "vpc-endpoint-policies", r"^to \*$"),
    (
        "S3 gateway full access",
        _gateway_full_access,
        studio_vpcs,
        "vpc-endpoint-policies",
        r"^full access \(AWS's default policy\)$",
    ),
    (
        "S3 gateway to another bucket",
        _gateway_other_bucket,
        studio_vpcs,
        "vpc-endpoint-policies",
        r"^on arn:aws:s3:::exfiltration/\*$",
    ),
]


@pytest.mark.parametrize(("what", "drift", "check", "rule", "detail"), DRIFTS, ids=[d[0] for d in DRIFTS])
def test_each_drift_is_caught_on_its_resource(
    account: boto3.Session,
    settings: Settings,
    endpoint_policies: dict[str, str],
    what: str,
    drift: Drift,
    check: Check,
    rule: str,
    detail: str,
) -> None:
    built = {**build(account, settings, endpoint_policies, check is studio_vpcs), "policies": endpoint_policies}
    resource = drift(account, settings, built)
    pattern = detail.format(**{k: re.escape(str(v)) for k, v in built.items() if isinstance(v, str)})
    assert_drift(check(account, settings), rule, resource, pattern, what)


#: Each check and the rules it reports, for the compliant twins.
TWINS: list[tuple[Check, tuple[str, ...]]] = [
    (
        studio_domains,
        ("studio-vpc-only", "studio-domain-subnets", "studio-domain-security-groups", "studio-domain-kms"),
    ),
    (
        studio_vpcs,
        (
            "vpc-endpoints",
            "vpc-endpoint-policies",
            "vpc-internet-path",
            "vpc-peering",
            "vpc-flow-logs",
            "default-security-group",
            "open-ingress",
        ),
    ),
]


def _rules(findings: list[Finding]) -> dict[str, list[Finding]]:
    by_rule: dict[str, list[Finding]] = {}
    for finding in findings:
        by_rule.setdefault(finding.check, []).append(finding)
    return by_rule


def test_what_the_stack_deploys_passes_the_domain_checks(
    account: boto3.Session, settings: Settings, endpoint_policies: dict[str, str]
) -> None:
    built = build(account, settings, endpoint_policies, endpoints=False)
    by_rule = _rules(list(studio_domains(account, settings)))
    assert set(by_rule) == set(TWINS[0][1])
    assert all(f.ok and f.resource == built["domain"] for findings in by_rule.values() for f in findings), by_rule
    assert by_rule["studio-domain-kms"][0].detail == "encrypted with the platform key alias/mlops-datamgmt-data"
    assert by_rule["studio-domain-security-groups"][0].detail == f"only {studio_group_name(settings)}"
    assert by_rule["studio-domain-subnets"][0].detail == "3 platform subnets"


def test_what_the_stack_deploys_passes_the_vpc_checks(
    account: boto3.Session, settings: Settings, endpoint_policies: dict[str, str]
) -> None:
    """The stack's own endpoint policies (its synthesized CodeArtifact and S3 gateway endpoints) pass,
    and a peering that was rejected is no peering."""
    built = build(account, settings, endpoint_policies)
    ec2 = account.client("ec2")
    peer = ec2.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    rejected = ec2.create_vpc_peering_connection(VpcId=peer, PeerVpcId=built["vpc"])["VpcPeeringConnection"]
    ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=rejected["VpcPeeringConnectionId"])
    # Flow logs and the default group as components/network.py leaves them.
    ec2.create_flow_logs(
        ResourceIds=[built["vpc"]],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="/mlops/datamgmt-network/vpc-flow-logs",
        DeliverLogsPermissionArn=f"arn:aws:iam::{DATAMGMT}:role/mlops/flow-logs",
    )
    (default,) = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [built["vpc"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    ec2.revoke_security_group_egress(GroupId=default["GroupId"], IpPermissions=default["IpPermissionsEgress"])
    ec2.revoke_security_group_ingress(GroupId=default["GroupId"], IpPermissions=default["IpPermissions"])
    by_rule = _rules(list(studio_vpcs(account, settings)))
    assert set(by_rule) == set(TWINS[1][1])
    assert all(f.ok for findings in by_rule.values() for f in findings), by_rule
    narrowed = {f.resource.split(" ")[1] for f in by_rule["vpc-endpoint-policies"]}
    assert narrowed == {"(s3)", *(f"({name})" for name in PACKAGE_MIRROR_ENDPOINTS)}
    assert {f.detail for f in by_rule["vpc-endpoint-policies"]} == {"as narrow as the stack's"}
    assert [f.detail for f in by_rule["vpc-peering"]] == ["no peering connection"]


def test_a_notebook_as_guardrail_12_allows_passes(
    account: boto3.Session, settings: Settings, endpoint_policies: dict[str, str]
) -> None:
    assert {(f.check, f.ok, f.detail) for f in notebook_instances(account, settings)} == {
        (rule, True, "no notebook instance")
        for rule in ("notebook-direct-internet", "notebook-in-vpc", "notebook-root-access", "notebook-kms")
    }
    built = build(account, settings, endpoint_policies, endpoints=False)
    name = _notebook(account, built)
    found = list(notebook_instances(account, settings))
    assert len(found) == 4 and all(f.ok and f.resource == name for f in found), found
    assert {f.check: f.control for f in found} == {
        "notebook-direct-internet": "SageMaker.1",
        "notebook-in-vpc": "SageMaker.2",
        "notebook-root-access": "SageMaker.3",
        "notebook-kms": "",
    }


# --- profiles and spaces: moto 5.2.5 lacks them -----------------------------------------------------


def _shape(value: Any) -> Any:
    """A moto response as the API returns it: no metadata, no null members."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items() if v is not None and k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_shape(v) for v in value]
    return value


@contextlib.contextmanager
def stubbed(account: boto3.Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The account's SageMaker client behind a Stubber, from here on: moto 5.2.5 does not implement
    ListUserProfiles, DescribeUserProfile, ListSpaces or DescribeSpace (its server answers 500,
    "not implemented"). The domains are moto's own, read back from moto into the stub; the profiles
    and spaces are queued in the API's response shape (the Stubber validates each against the
    botocore service model)."""
    real = account.client
    client = real("sagemaker")
    stub = Stubber(client)
    monkeypatch.setattr(account, "client", lambda name, *a, **k: client if name == "sagemaker" else real(name, *a, **k))
    with stub:
        yield stub
    stub.assert_no_pending_responses()


def _queue_domain(stub: Stubber, account: boto3.Session, domain: str) -> None:
    moto = boto3.Session.client(account, "sagemaker")
    stub.add_response("list_domains", _shape(moto.list_domains()), {})
    stub.add_response("describe_domain", _shape(moto.describe_domain(DomainId=domain)), {"DomainId": domain})


def _queue_profiles(stub: Stubber, domain: str, profiles: dict[str, list[str]], spaces: dict[str, str]) -> None:
    stub.add_response(
        "list_user_profiles",
        {"UserProfiles": [{"DomainId": domain, "UserProfileName": name, "Status": "InService"} for name in profiles]},
        {"DomainIdEquals": domain},
    )
    for name, groups in profiles.items():
        stub.add_response(
            "describe_user_profile",
            {
                "DomainId": domain,
                "UserProfileName": name,
                "Status": "InService",
                "UserSettings": {"ExecutionRole": ROLE, "SecurityGroups": groups},
            },
            {"DomainId": domain, "UserProfileName": name},
        )
    stub.add_response(
        "list_spaces",
        {"Spaces": [{"DomainId": domain, "SpaceName": name, "Status": "InService"} for name in spaces]},
        {"DomainIdEquals": domain},
    )
    for name, remote in spaces.items():
        stub.add_response(
            "describe_space",
            {
                "DomainId": domain,
                "SpaceName": name,
                "Status": "InService",
                "SpaceSettings": {"AppType": "JupyterLab", "RemoteAccess": remote},
                "OwnershipSettings": {"OwnerUserProfileName": "alice-example-com"},
                "SpaceSharingSettings": {"SharingType": "Private"},
            },
            {"DomainId": domain, "SpaceName": name},
        )


@pytest.mark.parametrize(
    ("profile_groups", "remote", "rule", "resource", "detail"),
    [
        (
            ["{studio}", "sg-0ffbeat"],
            "DISABLED",
            "studio-profile-security-groups",
            "alice-example-com",
            "adds sg-0ffbeat, beyond the domain's security groups",
        ),
        (
            ["sg-0ffbeat"],
            "DISABLED",
            "studio-profile-security-groups",
            "alice-example-com",
            "adds sg-0ffbeat, beyond the domain's security groups",
        ),
        (
            ["{studio}"],
            "ENABLED",
            "studio-space-network",
            "alice-lab",
            "remote access ENABLED: reachable from an IDE outside the VPC",
        ),
    ],
    ids=["profile adds a group", "profile swaps the group", "space opened to remote access"],
)
def test_profiles_and_spaces_keep_the_domains_network(
    account: boto3.Session,
    settings: Settings,
    endpoint_policies: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    profile_groups: list[str],
    remote: str,
    rule: str,
    resource: str,
    detail: str,
) -> None:
    """Moto lacks user profiles and spaces: see ``stubbed``."""
    built = build(account, settings, endpoint_policies, endpoints=False)
    groups = [group.format(studio=built["studio_group"]) for group in profile_groups]
    with stubbed(account, monkeypatch) as stub:
        _queue_domain(stub, account, built["domain"])
        _queue_profiles(stub, built["domain"], {"alice-example-com": groups}, {"alice-lab": remote})
        findings = {(f.check, f.resource): f for f in studio_profiles(account, settings)}
    finding = findings[(rule, f"{built['domain']}/{resource}")]
    assert (finding.ok, finding.detail) == (False, detail)


def test_the_stacks_profiles_pass(
    account: boto3.Session, settings: Settings, endpoint_policies: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A profile as components/studio.py makes it (the domain's group) and a private space without
    remote access pass. Moto lacks user profiles and spaces: see ``stubbed``."""
    built = build(account, settings, endpoint_policies, endpoints=False)
    with stubbed(account, monkeypatch) as stub:
        _queue_domain(stub, account, built["domain"])
        _queue_profiles(
            stub, built["domain"], {"alice-example-com": [built["studio_group"]]}, {"alice-lab": "DISABLED"}
        )
        found = [(f.check, f.resource, f.ok, f.detail) for f in studio_profiles(account, settings)]
    assert found == [
        (
            "studio-profile-security-groups",
            f"{built['domain']}/alice-example-com",
            True,
            "the domain's security groups only",
        ),
        ("studio-space-network", f"{built['domain']}/alice-lab", True, "the domain's network, no remote access"),
    ]


def test_every_studio_check_runs_in_each_account_with_studio() -> None:
    for role in ("datasci", "preprod", "datamgmt"):
        assert {studio_domains, studio_profiles, notebook_instances, studio_vpcs} <= set(CHECKS[role])
    assert not {studio_domains, studio_profiles, notebook_instances, studio_vpcs} & set(CHECKS["tooling"])


@pytest.mark.parametrize("name", ["datamgmt", "datasci"])
def test_the_audit_knows_the_stacks_resources_by_their_names(stack: Callable[[str], StackPreview], name: str) -> None:
    """The Studio security group's Name tag and the key's alias the audit looks for are the ones
    the stack gives them (its synthesized resources)."""
    settings = _settings(ROOT, name)
    preview = stack(name)
    tags = {r.inputs.get("tags", {}).get("Name") for r in of_type(preview, "aws:ec2/securityGroup:SecurityGroup")}
    aliases = {r.inputs["name"] for r in of_type(preview, "aws:kms/alias:Alias")}
    assert studio_group_name(settings) in tags and key_alias(settings) in aliases, (tags, aliases)


def test_a_model_and_endpoint_configuration_as_guardrails_13_and_14_allow_pass(
    account: boto3.Session, settings: Settings, endpoint_policies: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto 5.2.5 keeps a model's VPC but drops EnableNetworkIsolation (it reads back False): the
    model's description is moto's, with the flag as created, answered by a Stubber."""
    assert {(f.check, f.ok, f.detail) for f in models(account, settings)} == {
        ("sagemaker-model-network-isolation", True, "no model"),
        ("sagemaker-model-in-vpc", True, "no model"),
        ("sagemaker-endpoint-config-kms", True, "no endpoint configuration"),
    }
    built = build(account, settings, endpoint_policies, endpoints=False)
    model, configuration = _model(account, built), _endpoint_config(account, built)
    moto = boto3.Session.client(account, "sagemaker")
    with stubbed(account, monkeypatch) as stub:
        stub.add_response("list_models", _shape(moto.list_models()), {})
        stub.add_response("list_endpoint_configs", _shape(moto.list_endpoint_configs()), {})
        described = {**_shape(moto.describe_model(ModelName=model)), "EnableNetworkIsolation": True}
        stub.add_response("describe_model", described, {"ModelName": model})
        # moto's answer carries an empty DataCaptureConfig, which the API never returns.
        config = _shape(moto.describe_endpoint_config(EndpointConfigName=configuration))
        config = {key: value for key, value in config.items() if value != {}}
        stub.add_response("describe_endpoint_config", config, {"EndpointConfigName": configuration})
        found = {(f.check, f.resource): f for f in models(account, settings)}
    assert set(found) == {
        ("sagemaker-model-network-isolation", model),
        ("sagemaker-model-in-vpc", model),
        ("sagemaker-endpoint-config-kms", configuration),
    }
    assert all(f.ok for f in found.values()), found
    assert found[("sagemaker-model-network-isolation", model)].control == "SageMaker.5"
