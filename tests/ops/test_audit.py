"""``python -m ops audit`` against moto: a compliant account passes, and each injected drift is caught."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from contracts import naming
from contracts.config import FEATURES_DATABASE, Settings
from contracts.endpoints import endpoint_service_name
from ops.__main__ import _settings, main
from tests.conftest import ROOT
from tests.ops.conftest import REGION, in_account

DATAMGMT = "333333333333"
AUDITOR = f"arn:aws:iam::{DATAMGMT}:role/auditor"


#: The training workgroup's configuration as the stack sets it (components/accounts/training.py).
TRAINING_WORKGROUP: dict[str, Any] = {
    "EnforceWorkGroupConfiguration": True,
    "ResultConfiguration": {
        "OutputLocation": f"s3://mlops-datamgmt-training-{DATAMGMT}-{REGION}/athena/",
        "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": "key"},
    },
}


def catalog_encryption_settings(key: str) -> dict[str, Any]:
    """The catalog's encryption as components/catalog.py sets it."""
    return {
        "EncryptionAtRest": {"CatalogEncryptionMode": "SSE-KMS", "SseAwsKmsKeyId": key},
        "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": True, "AwsKmsKeyId": key},
    }


@pytest.fixture(scope="module")
def settings() -> Settings:
    return _settings(ROOT, "datamgmt")


def _bucket(settings: Settings, purpose: str) -> str:
    return naming.bucket_name(settings.role, purpose, settings.account_id, settings.region)


def lake_buckets(settings: Settings) -> list[str]:
    return [_bucket(settings, db.replace("_", "-")) for db in (*settings.lake.databases, FEATURES_DATABASE)]


def build_compliant(account: boto3.Session, settings: Settings) -> dict[str, Any]:
    """What the datamgmt stack deploys, for the parts the audit reads."""
    assert settings.network is not None
    s3 = account.client("s3")
    kms = account.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    for name in [_bucket(settings, "access-logs"), *lake_buckets(settings), _bucket(settings, "feature-jobs")]:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                flag: True
                for flag in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
            },
        )
        default = (
            {"SSEAlgorithm": "AES256"} if "access-logs" in name else {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
        )
        s3.put_bucket_encryption(
            Bucket=name, ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": default}]}
        )
    account.client("glue").put_data_catalog_encryption_settings(
        DataCatalogEncryptionSettings=catalog_encryption_settings(key)
    )
    lf = account.client("lakeformation")
    lf.put_data_lake_settings(
        DataLakeSettings={
            "DataLakeAdmins": [{"DataLakePrincipalIdentifier": admin} for admin in settings.lake_formation_admins],
            "CreateDatabaseDefaultPermissions": [],
            "CreateTableDefaultPermissions": [],
        }
    )
    data_access = f"arn:aws:iam::{DATAMGMT}:role/mlops/mlops-datamgmt-lake-data-access"
    for name in lake_buckets(settings):
        lf.register_resource(ResourceArn=f"arn:aws:s3:::{name}", RoleArn=data_access, HybridAccessEnabled=False)
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=settings.network.vpc_cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(
        VpcId=vpc, CidrBlock=settings.network.subnet_cidrs[0], AvailabilityZone=settings.network.availability_zones[0]
    )["Subnet"]["SubnetId"]
    endpoints = {
        name: ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=endpoint_service_name(REGION, name),
            VpcEndpointType="Interface",
            SubnetIds=[subnet],
            PrivateDnsEnabled=True,
        )["VpcEndpoint"]["VpcEndpointId"]
        for name in settings.network.interface_endpoints
    }
    # Flow logs on, and the default security group emptied, as components/network.py leaves them.
    flow_log = ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="/mlops/flow-logs",
        DeliverLogsPermissionArn=f"arn:aws:iam::{DATAMGMT}:role/mlops/flow-logs",
    )["FlowLogIds"][0]
    (default_group,) = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    if default_group["IpPermissions"]:
        ec2.revoke_security_group_ingress(
            GroupId=default_group["GroupId"], IpPermissions=default_group["IpPermissions"]
        )
    if default_group["IpPermissionsEgress"]:
        ec2.revoke_security_group_egress(
            GroupId=default_group["GroupId"], IpPermissions=default_group["IpPermissionsEgress"]
        )
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    endpoints["s3"] = ec2.create_vpc_endpoint(
        VpcId=vpc, ServiceName=endpoint_service_name(REGION, "s3"), VpcEndpointType="Gateway", RouteTableIds=[table]
    )["VpcEndpoint"]["VpcEndpointId"]
    account.client("athena").create_work_group(Name="mlops-datamgmt-training", Configuration=TRAINING_WORKGROUP)
    account.client("sagemaker").create_domain(
        DomainName="mlops-datamgmt-studio-readonly",
        AuthMode="IAM",
        AppNetworkAccessType="VpcOnly",
        VpcId=vpc,
        SubnetIds=[subnet],
        DefaultUserSettings={"ExecutionRole": f"arn:aws:iam::{DATAMGMT}:role/mlops/readonly"},
    )
    return {
        "vpc": vpc,
        "subnet": subnet,
        "endpoints": endpoints,
        "key": key,
        "flow_log": flow_log,
        "default_group": default_group["GroupId"],
    }


def audit(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["audit", "--account", "datamgmt", "--role-arn", AUDITOR])
    return code, capsys.readouterr().out


def drift_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "  DRIFT  " in line]


def test_a_compliant_account_passes(aws: boto3.Session, settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    build_compliant(in_account(aws, DATAMGMT), settings)
    code, output = audit(capsys)
    assert code == 0, output
    assert drift_lines(output) == []
    assert output.strip().endswith("0 drift: the account matches the guardrails")
    assert "lake-location" in output and "vpc-endpoints" in output and "studio-vpc-only" in output
    assert re.search(
        r"^training-workgroup +mlops-datamgmt-training +ok +- +- +enforced, results SSE-KMS$", output, re.M
    )
    assert re.search(r"^bucket-encryption +\S+ +ok +22 +S3\.17 +aws:kms$", output, re.M)


def _all_to_iam(account: boto3.Session, _: Settings, __: dict[str, Any]) -> None:
    lf = account.client("lakeformation")
    current = lf.get_data_lake_settings()["DataLakeSettings"]
    current["CreateDatabaseDefaultPermissions"] = [
        {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}
    ]
    lf.put_data_lake_settings(DataLakeSettings=current)


def _extra_admin(account: boto3.Session, _: Settings, __: dict[str, Any]) -> None:
    lf = account.client("lakeformation")
    current = lf.get_data_lake_settings()["DataLakeSettings"]
    current["DataLakeAdmins"].append({"DataLakePrincipalIdentifier": f"arn:aws:iam::{DATAMGMT}:role/someone"})
    lf.put_data_lake_settings(DataLakeSettings=current)


def _public_domain(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    account.client("sagemaker").create_domain(
        DomainName="shadow-it",
        AuthMode="IAM",
        AppNetworkAccessType="PublicInternetOnly",
        VpcId=built["vpc"],
        SubnetIds=[built["subnet"]],
        DefaultUserSettings={"ExecutionRole": f"arn:aws:iam::{DATAMGMT}:role/x"},
    )


def _no_sts_endpoint(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    account.client("ec2").delete_vpc_endpoints(VpcEndpointIds=[built["endpoints"]["sts"]])


def _no_s3_gateway(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    account.client("ec2").delete_vpc_endpoints(VpcEndpointIds=[built["endpoints"]["s3"]])


def _no_public_access_block(account: boto3.Session, settings: Settings, _: dict[str, Any]) -> None:
    account.client("s3").delete_public_access_block(Bucket=_bucket(settings, "curated"))


def _public_policy_allowed(account: boto3.Session, settings: Settings, _: dict[str, Any]) -> None:
    flags = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True,
    }
    account.client("s3").put_public_access_block(Bucket=_bucket(settings, "raw"), PublicAccessBlockConfiguration=flags)


def _sse_s3_on_lake(account: boto3.Session, settings: Settings, _: dict[str, Any]) -> None:
    account.client("s3").put_bucket_encryption(
        Bucket=_bucket(settings, "features"),
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def _unregistered(account: boto3.Session, settings: Settings, _: dict[str, Any]) -> None:
    account.client("lakeformation").deregister_resource(ResourceArn=f"arn:aws:s3:::{_bucket(settings, 'raw')}")


def _service_linked_role(account: boto3.Session, settings: Settings, _: dict[str, Any]) -> None:
    lf, arn = account.client("lakeformation"), f"arn:aws:s3:::{_bucket(settings, 'curated')}"
    lf.deregister_resource(ResourceArn=arn)
    lf.register_resource(ResourceArn=arn, UseServiceLinkedRole=True)


def _rotation_off(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    account.client("kms").disable_key_rotation(KeyId=built["key"])


def _internet_gateway(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    ec2 = account.client("ec2")
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=built["vpc"])


def _nat_gateway(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    ec2 = account.client("ec2")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=built["subnet"], AllocationId=allocation)


def _default_route(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    ec2 = account.client("ec2")
    (table,) = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [built["vpc"]]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"]
    peer = ec2.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    peering = ec2.create_vpc_peering_connection(VpcId=built["vpc"], PeerVpcId=peer)["VpcPeeringConnection"]
    ec2.create_route(
        RouteTableId=table["RouteTableId"],
        DestinationCidrBlock="0.0.0.0/0",
        VpcPeeringConnectionId=peering["VpcPeeringConnectionId"],
    )


def _granted_to_iam(account: boto3.Session, _: Settings, __: dict[str, Any]) -> None:
    account.client("lakeformation").grant_permissions(
        Principal={"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"},
        Resource={"Database": {"Name": "mlops_curated"}},
        Permissions=["ALL"],
    )


def _catalog_unencrypted(account: boto3.Session, _: Settings, __: dict[str, Any]) -> None:
    account.client("glue").put_data_catalog_encryption_settings(
        DataCatalogEncryptionSettings={
            "EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"},
            "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": False},
        }
    )


def _key_open_to_anyone(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{DATAMGMT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "kms:Decrypt", "Resource": "*"},
        ],
    }
    account.client("kms").put_key_policy(KeyId=built["key"], PolicyName="default", Policy=json.dumps(policy))


def _flow_logs_off(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    account.client("ec2").delete_flow_logs(FlowLogIds=[built["flow_log"]])


def _default_group_opened(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    account.client("ec2").authorize_security_group_egress(
        GroupId=built["default_group"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}],
    )


def _world_open_group(account: boto3.Session, _: Settings, built: dict[str, Any]) -> None:
    ec2 = account.client("ec2")
    group = ec2.create_security_group(GroupName="debug", Description="temporary", VpcId=built["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )


DRIFTS: list[tuple[str, Callable[[boto3.Session, Settings, dict[str, Any]], None], str]] = [
    ("default permissions to IAMAllowedPrincipals", _all_to_iam, "lake-formation-defaults"),
    ("an admin added by hand", _extra_admin, "lake-formation-admins"),
    ("a domain on the public internet", _public_domain, "studio-vpc-only"),
    ("a missing interface endpoint", _no_sts_endpoint, "vpc-endpoints"),
    ("a missing S3 gateway endpoint", _no_s3_gateway, "vpc-endpoints"),
    ("a bucket without public access block", _no_public_access_block, "bucket-public-access-block"),
    ("a public access block with a flag off", _public_policy_allowed, "bucket-public-access-block"),
    ("a lake bucket on SSE-S3", _sse_s3_on_lake, "bucket-encryption"),
    ("an unregistered location", _unregistered, "lake-location"),
    ("a location on the service-linked role", _service_linked_role, "lake-location"),
    ("key rotation turned off", _rotation_off, "kms-key-rotation"),
    ("an internet gateway attached to the Studio VPC", _internet_gateway, "vpc-internet-path"),
    ("a NAT gateway in the Studio VPC", _nat_gateway, "vpc-internet-path"),
    ("a route to anywhere", _default_route, "vpc-internet-path"),
    ("flow logs turned off", _flow_logs_off, "vpc-flow-logs"),
    ("a rule on the default security group", _default_group_opened, "default-security-group"),
    ("a security group open to the internet", _world_open_group, "open-ingress"),
    ("a database granted to IAM_ALLOWED_PRINCIPALS", _granted_to_iam, "lake-formation-iam-allowed"),
    ("catalog encryption turned off", _catalog_unencrypted, "glue-catalog-encryption"),
    ("a key policy open to anyone", _key_open_to_anyone, "kms-key-policy"),
]


def test_json_names_each_checks_guardrail_and_control(
    aws: boto3.Session, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    build_compliant(in_account(aws, DATAMGMT), settings)
    assert main(["audit", "--account", "datamgmt", "--role-arn", AUDITOR, "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all(set(row) == {"check", "guardrail", "control", "resource", "result", "detail"} for row in rows)
    assert all(row["result"] == "ok" for row in rows)
    by_check = {row["check"]: row for row in rows}
    blocks = by_check["bucket-public-access-block"]
    assert (blocks["guardrail"], blocks["control"]) == ("21", "S3.8")
    assert by_check["training-workgroup"]["guardrail"] == "" and by_check["training-workgroup"]["control"] == ""
    assert by_check["kms-key-rotation"]["control"] == "KMS.4"
    assert by_check["vpc-internet-path"]["guardrail"] == "17"


@pytest.mark.parametrize(("what", "drift", "check"), DRIFTS, ids=[d[0] for d in DRIFTS])
def test_each_injected_drift_is_caught(
    aws: boto3.Session,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    what: str,
    drift: Callable[[boto3.Session, Settings, dict[str, Any]], None],
    check: str,
) -> None:
    account = in_account(aws, DATAMGMT)
    built = build_compliant(account, settings)
    drift(account, settings, built)
    code, output = audit(capsys)
    assert code == 1, output
    lines = drift_lines(output)
    assert lines and all(line.startswith(check) for line in lines), (what, lines)


def test_the_audit_needs_a_role_or_the_ambient_credentials(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--account", "datamgmt"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--role-arn: not given" in line and "--no-assume-role" in line


def test_tooling_audit_checks_its_buckets(aws: boto3.Session, capsys: pytest.CaptureFixture[str]) -> None:
    tooling = _settings(ROOT, "tooling", ("tooling",))
    s3 = aws.client("s3")
    name = naming.bucket_name("tooling", "artifacts", tooling.account_id, REGION)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    assert main(["audit", "--account", "tooling", "--no-assume-role"]) == 1
    output = capsys.readouterr().out
    assert f"bucket-public-access-block  {name}" in output.replace("  DRIFT", "")
    assert "2 drift" in output


@pytest.mark.parametrize(
    ("configuration", "detail"),
    [
        (None, "missing; expected the stack's Athena workgroup"),
        ({**TRAINING_WORKGROUP, "EnforceWorkGroupConfiguration": False}, "queries may override its settings"),
        (
            {**TRAINING_WORKGROUP, "ResultConfiguration": {"OutputLocation": "s3://x/"}},
            "results not encrypted with KMS",
        ),
    ],
    ids=["missing", "not enforced", "not encrypted"],
)
def test_a_drifted_training_workgroup_is_caught(
    aws: boto3.Session, settings: Settings, configuration: dict[str, Any] | None, detail: str
) -> None:
    """The workgroup check alone (the full account above costs seconds a case)."""
    from ops.audit.storage import training_workgroup

    if configuration is not None:
        aws.client("athena").create_work_group(Name="mlops-datamgmt-training", Configuration=configuration)
    (finding,) = training_workgroup(aws, settings)
    assert (finding.check, finding.resource, finding.ok, finding.detail) == (
        "training-workgroup",
        "mlops-datamgmt-training",
        False,
        detail,
    )
