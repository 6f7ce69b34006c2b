"""``python -m ops audit`` against accounts built from the synthesized stacks: each stack's resources
are created in moto with the inputs the program declares (tests/ops/deployed.py), and the audit finds
no drift; a drift made after the deploy is caught.

Where a check reads an API moto lacks, that one operation (not the client) is answered by a
``botocore.stub.Stubber`` from what the stack declared; every other call goes to moto."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from botocore.stub import Stubber
from botocore.validate import validate_parameters

from contracts import naming
from contracts.audit import AUDIT_ACTIONS
from contracts.endpoints import endpoint_service_name
from offline.engine import StackPreview
from ops.__main__ import main
from tests.ops.conftest import RENAMED_ACTIONS, in_account
from tests.ops.deployed import (
    HANDLERS,
    IGNORED,
    RECORDED,
    SAGEMAKER_NAMES,
    Deployed,
    UnhandledTypeError,
    deploy,
    on_the_emulator,
    pascal,
)

STACKS = ("tooling", "datasci", "datamgmt")

#: An operation's answer from the declared stack: the call's parameters to the response.
Answer = Callable[[Mapping[str, Any]], dict[str, Any]]


class AnsweredError(Exception):
    """Raised by an answer: the stubbed operation fails as AWS would, with this code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class Answering(Stubber):
    """A ``Stubber`` for some operations of a client only: those in ``answers`` are answered (each
    answer checked against the operation's output shape, as ``add_response`` checks it); every other
    call goes on to moto. By operation, not by queue, since the checks' call order is theirs."""

    def __init__(self, client: Any, answers: Mapping[str, Answer]) -> None:
        super().__init__(client)
        self.answers = answers
        self.answered: list[str] = []

    def _assert_expected_params(self, model: Any, params: Any, context: Any, **kwargs: Any) -> None:
        # The call's parameters, as the caller gave them (``before-call`` sees the serialized request).
        context["answering_params"] = dict(params)

    def _get_response_handler(self, model: Any, params: Any, context: Any, **kwargs: Any) -> Any:
        answer = self.answers.get(model.name)
        if answer is None:
            return None  # moto has it
        self.answered.append(model.name)
        try:
            response = answer(context["answering_params"])
        except AnsweredError as error:
            failure = {"Error": {"Code": error.code, "Message": error.message}, "ResponseMetadata": {}}
            return AWSResponse(None, 400, {}, None), failure
        # As ``add_response`` checks a stubbed response: against the operation's output shape.
        validate_parameters(response, model.output_shape)
        return AWSResponse(None, 200, {}, None), response


def _shaped(client: Any, shape: str, declared: Mapping[str, Any]) -> dict[str, Any]:
    """The declared inputs that are members of an API structure (Pulumi's camelCase names are the
    API's for redshift-serverless), tags left out (a map in Pulumi, a list in the API)."""
    members = client.meta.service_model.shape_for(shape).members
    return {key: value for key, value in declared.items() if key in members and key != "tags"}


def _sagemaker_answers(deployed: Deployed) -> dict[str, Answer]:
    """SageMaker operations moto (5.x) lacks, answered from the declared profiles, spaces, feature
    groups and model package group policies."""
    profiles = deployed.declared_inputs("aws:sagemaker/userProfile:UserProfile")
    spaces = deployed.declared_inputs("aws:sagemaker/space:Space")
    groups = deployed.declared_inputs("aws:sagemaker/featureGroup:FeatureGroup")
    policies = deployed.declared_inputs("aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy")

    def in_domain(found: list[dict[str, Any]], params: Mapping[str, Any]) -> list[dict[str, Any]]:
        return [p for p in found if "DomainIdEquals" not in params or p["domainId"] == params["DomainIdEquals"]]

    def one(found: list[dict[str, Any]], key: str, name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        matching = [p for p in found if p["domainId"] == params["DomainId"] and p[key] == params[name]]
        if not matching:
            raise AnsweredError("ResourceNotFound", f"{params[name]} not declared")
        return matching[0]

    def policy(params: Mapping[str, Any]) -> dict[str, Any]:
        for declared in policies:
            if declared["modelPackageGroupName"] == params["ModelPackageGroupName"]:
                return {"ResourcePolicy": declared["resourcePolicy"]}
        raise AnsweredError("ValidationException", "no resource policy")

    return {
        "ListUserProfiles": lambda params: {
            "UserProfiles": [
                {"DomainId": p["domainId"], "UserProfileName": p["userProfileName"], "Status": "InService"}
                for p in in_domain(profiles, params)
            ]
        },
        "DescribeUserProfile": lambda params: _described_profile(
            one(profiles, "userProfileName", "UserProfileName", params)
        ),
        "ListSpaces": lambda params: {
            "Spaces": [{"DomainId": s["domainId"], "SpaceName": s["spaceName"]} for s in in_domain(spaces, params)]
        },
        "DescribeSpace": lambda params: _described_space(one(spaces, "spaceName", "SpaceName", params)),
        "ListFeatureGroups": lambda params: {
            "FeatureGroupSummaries": [
                {
                    "FeatureGroupName": g["featureGroupName"],
                    "FeatureGroupArn": f"arn:aws:sagemaker:{deployed.region}:{deployed.account_id}:"
                    f"feature-group/{g['featureGroupName'].lower()}",
                    "CreationTime": "2026-01-01T00:00:00Z",
                    "FeatureGroupStatus": "Created",
                }
                for g in groups
            ]
        },
        "GetModelPackageGroupPolicy": policy,
    }


def _described_profile(declared: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "DomainId": declared["domainId"],
        "UserProfileName": declared["userProfileName"],
        "Status": "InService",
        "UserSettings": pascal(declared.get("userSettings") or {}, SAGEMAKER_NAMES),
    }


def _described_space(declared: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "DomainId": declared["domainId"],
        "SpaceName": declared["spaceName"],
        "Status": "InService",
        "SpaceSettings": pascal(declared.get("spaceSettings") or {}, SAGEMAKER_NAMES),
    }


def _redshift_serverless_answers(deployed: Deployed, client: Any) -> dict[str, Answer]:
    """moto has no redshift-serverless: the declared workgroups and namespaces."""
    workgroups = deployed.declared_inputs("aws:redshiftserverless/workgroup:Workgroup")
    namespaces = deployed.declared_inputs("aws:redshiftserverless/namespace:Namespace")
    return {
        "ListWorkgroups": lambda params: {"workgroups": [_shaped(client, "Workgroup", w) for w in workgroups]},
        "ListNamespaces": lambda params: {"namespaces": [_shaped(client, "Namespace", n) for n in namespaces]},
    }


@contextlib.contextmanager
def moto_gaps(monkeypatch: pytest.MonkeyPatch, deployed: Deployed) -> Iterator[list[Answering]]:
    """Every client made meanwhile has the operations moto lacks answered from ``deployed`` (and
    S3 Control's requests sent to the emulator's address)."""
    made = boto3.Session.client
    stubbers: list[Answering] = []

    def client(self: boto3.Session, service: str, *args: Any, **kwargs: Any) -> Any:
        created = on_the_emulator(made(self, service, *args, **kwargs))  # type: ignore[call-overload]
        answers = {
            "sagemaker": lambda: _sagemaker_answers(deployed),
            "redshift-serverless": lambda: _redshift_serverless_answers(deployed, created),
        }.get(service)
        if answers is not None:
            stubber = Answering(created, answers())
            stubber.activate()
            stubbers.append(stubber)
        return created

    with monkeypatch.context() as patch:
        patch.setattr(boto3.Session, "client", client)
        yield stubbers


def drift_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "  DRIFT  " in line]


def called_actions(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """From now on, the IAM action of every AWS call made (signing name and operation), moto's and
    answered alike."""
    called: set[str] = set()
    make = BaseClient._make_api_call  # type: ignore[attr-defined]  # botocore's stubs omit it

    def recording(self: Any, operation: str, params: Mapping[str, Any]) -> Any:
        model = self.meta.service_model
        called.add(RENAMED_ACTIONS.get((model.service_name, operation), f"{model.signing_name}:{operation}"))
        return make(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return called


def deploy_and_audit(
    preview: StackPreview,
    aws: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    drift: Callable[[boto3.Session, Deployed], None] = lambda account, deployed: None,
) -> tuple[Deployed, int, str, set[str]]:
    """Deploy ``preview`` into its account, apply ``drift``, audit: what was deployed, the exit code,
    the table and the operations answered for moto. The audit's calls must be what the auditor role
    holds (contracts/audit.AUDIT_ACTIONS), besides assuming it."""
    account = in_account(aws, preview.result.account_id)
    deployed = deploy(preview, account)
    drift(account, deployed)
    capsys.readouterr()
    auditor = f"arn:aws:iam::{preview.result.account_id}:role/auditor"
    with monkeypatch.context() as recording:
        called = called_actions(recording)
        with moto_gaps(monkeypatch, deployed) as stubbers:
            code = main(["audit", "--account", preview.result.name, "--role-arn", auditor])
    held = {action for actions in AUDIT_ACTIONS.values() for action in actions}
    assert called - held == {"sts:AssumeRole"}, f"the audit calls what its auditor role does not hold: {called - held}"
    return deployed, code, capsys.readouterr().out, {name for stubber in stubbers for name in stubber.answered}


@pytest.mark.parametrize("name", STACKS)
def test_the_deployed_stack_passes_its_audit(
    name: str,
    stack: Callable[[str], StackPreview],
    aws: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    deployed, code, output, answered = deploy_and_audit(stack(name), aws, monkeypatch, capsys)
    assert drift_lines(output) == [], output
    assert code == 0, output
    assert re.search(rf"^\d+ checks, {len(drift_lines(output))} drift", output, re.M), output
    # The audit read what was deployed: every bucket has its public access block row ...
    for bucket in deployed.declared_inputs("aws:s3/bucket:Bucket"):
        assert re.search(rf"^bucket-public-access-block +{re.escape(bucket['bucket'])} +ok ", output, re.M), output
    # ... and what moto lacks was answered from the declaration.
    expected = {
        "aws:redshiftserverless/workgroup:Workgroup": "ListWorkgroups",
        "aws:redshiftserverless/namespace:Namespace": "ListNamespaces",
        "aws:sagemaker/userProfile:UserProfile": "DescribeUserProfile",
        "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": "GetModelPackageGroupPolicy",
        "aws:sagemaker/featureGroup:FeatureGroup": "ListFeatureGroups",
    }
    for token, operation in expected.items():
        if deployed.declared_inputs(token):
            assert operation in answered, (token, operation, answered)


def test_every_synthesized_type_is_deployed_recorded_or_ignored(stack: Callable[[str], StackPreview]) -> None:
    assert not (set(HANDLERS) & set(RECORDED)) and not (set(HANDLERS) & set(IGNORED))
    assert not set(RECORDED) & set(IGNORED)
    types = {r.type for name in STACKS for r in stack(name).result.resources if r.custom}
    unknown = sorted(types - set(HANDLERS) - set(RECORDED) - set(IGNORED))
    assert unknown == [], f"types tests/ops/deployed.py neither creates, records nor ignores: {unknown}"


def test_a_type_the_translator_does_not_know_stops_the_deploy(
    stack: Callable[[str], StackPreview], aws: boto3.Session
) -> None:
    synthesized = stack("tooling")
    (bucket, *_) = [r for r in synthesized.result.resources if r.type == "aws:s3/bucket:Bucket"]
    unknown = dataclasses.replace(bucket, type="aws:s3/directoryBucket:DirectoryBucket", name="new")
    result = dataclasses.replace(synthesized.result, resources=[unknown])
    with pytest.raises(UnhandledTypeError, match="aws:s3/directoryBucket:DirectoryBucket"):
        deploy(StackPreview(result, []), aws)


def _no_public_access_block(account: boto3.Session, deployed: Deployed) -> None:
    bucket = deployed.declared_inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[-1]["bucket"]
    account.client("s3").delete_public_access_block(Bucket=bucket)


def _rotation_off(account: boto3.Session, deployed: Deployed) -> None:
    kms = account.client("kms")
    for key in kms.list_keys()["Keys"]:
        kms.disable_key_rotation(KeyId=key["KeyId"])


def _no_bucket_policy(account: boto3.Session, deployed: Deployed) -> None:
    bucket = deployed.declared_inputs("aws:s3/bucketPolicy:BucketPolicy")[0]["bucket"]
    account.client("s3").delete_bucket_policy(Bucket=bucket)


def _public_warehouse(account: boto3.Session, deployed: Deployed) -> None:
    """Redshift Serverless is answered from the declaration (moto has none): drift it there."""
    (workgroup,) = deployed.declared_inputs("aws:redshiftserverless/workgroup:Workgroup")
    workgroup["publiclyAccessible"] = True


def _profile_with_another_group(account: boto3.Session, deployed: Deployed) -> None:
    """User profiles are answered from the declaration (moto has none): drift one there."""
    vpc = deployed.declared_inputs("aws:ec2/vpc:Vpc")[0]["cidrBlock"]
    (found,) = account.client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": [vpc]}])["Vpcs"]
    group = account.client("ec2").create_security_group(GroupName="debug", Description="by hand", VpcId=found["VpcId"])[
        "GroupId"
    ]
    profile = deployed.declared_inputs("aws:sagemaker/userProfile:UserProfile")[0]
    profile["userSettings"]["securityGroups"].append(group)


def _admin_role(account: boto3.Session, deployed: Deployed) -> None:
    role = deployed.declared_inputs("aws:iam/role:Role")[0]["name"]
    account.client("iam").put_role_policy(
        RoleName=role,
        PolicyName="by-hand",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ),
    )


#: The data management stack's account and where its lake lives (Pulumi.datamgmt.yaml).
DATAMGMT, REGION = "333333333333", "eu-west-1"


def _bucket(purpose: str) -> str:
    return naming.bucket_name("datamgmt", purpose, DATAMGMT, REGION)


def _studio_vpc(account: boto3.Session, deployed: Deployed) -> str:
    cidr = deployed.declared_inputs("aws:ec2/vpc:Vpc")[0]["cidrBlock"]
    (found,) = account.client("ec2").describe_vpcs(Filters=[{"Name": "cidr", "Values": [cidr]}])["Vpcs"]
    return str(found["VpcId"])


def _in_vpc(account: boto3.Session, deployed: Deployed) -> list[Any]:
    return [{"Name": "vpc-id", "Values": [_studio_vpc(account, deployed)]}]


def _a_subnet(account: boto3.Session, deployed: Deployed) -> str:
    subnets = account.client("ec2").describe_subnets(Filters=_in_vpc(account, deployed))["Subnets"]
    return str(subnets[0]["SubnetId"])


def _data_key(account: boto3.Session) -> str:
    aliases = account.client("kms").list_aliases()["Aliases"]
    (key,) = [a["TargetKeyId"] for a in aliases if a["AliasName"] == "alias/mlops-datamgmt-data"]
    return str(key)


def _lake_settings(account: boto3.Session, change: Callable[[dict[str, Any]], None]) -> None:
    lf = account.client("lakeformation")
    current = lf.get_data_lake_settings()["DataLakeSettings"]
    change(current)
    lf.put_data_lake_settings(DataLakeSettings=current)


def _defaults_to_iam(account: boto3.Session, deployed: Deployed) -> None:
    everyone = {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}
    _lake_settings(account, lambda s: s.update(CreateDatabaseDefaultPermissions=[everyone]))


def _extra_admin(account: boto3.Session, deployed: Deployed) -> None:
    someone = {"DataLakePrincipalIdentifier": f"arn:aws:iam::{DATAMGMT}:role/someone"}
    _lake_settings(account, lambda s: s["DataLakeAdmins"].append(someone))


def _auditor_no_longer_sees_every_grant(account: boto3.Session, deployed: Deployed) -> None:
    _lake_settings(account, lambda s: s.update(ReadOnlyAdmins=[]))


def _public_domain(account: boto3.Session, deployed: Deployed) -> None:
    account.client("sagemaker").create_domain(
        DomainName="shadow-it",
        AuthMode="IAM",
        AppNetworkAccessType="PublicInternetOnly",
        VpcId=_studio_vpc(account, deployed),
        SubnetIds=[_a_subnet(account, deployed)],
        DefaultUserSettings={"ExecutionRole": f"arn:aws:iam::{DATAMGMT}:role/x"},
    )


def _no_endpoint(service: str) -> Callable[[boto3.Session, Deployed], None]:
    def drift(account: boto3.Session, deployed: Deployed) -> None:
        ec2 = account.client("ec2")
        filters = [
            *_in_vpc(account, deployed),
            {"Name": "service-name", "Values": [endpoint_service_name(REGION, service)]},
        ]
        (endpoint,) = ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]
        ec2.delete_vpc_endpoints(VpcEndpointIds=[endpoint["VpcEndpointId"]])

    return drift


def _public_policy_allowed(account: boto3.Session, deployed: Deployed) -> None:
    flags = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": True,
    }
    account.client("s3").put_public_access_block(Bucket=_bucket("raw"), PublicAccessBlockConfiguration=flags)


def _sse_s3_on_lake(account: boto3.Session, deployed: Deployed) -> None:
    account.client("s3").put_bucket_encryption(
        Bucket=_bucket("features"),
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def _unregistered(account: boto3.Session, deployed: Deployed) -> None:
    account.client("lakeformation").deregister_resource(ResourceArn=f"arn:aws:s3:::{_bucket('raw')}")


def _service_linked_role(account: boto3.Session, deployed: Deployed) -> None:
    lf, arn = account.client("lakeformation"), f"arn:aws:s3:::{_bucket('curated')}"
    lf.deregister_resource(ResourceArn=arn)
    lf.register_resource(ResourceArn=arn, UseServiceLinkedRole=True)


def _internet_gateway(account: boto3.Session, deployed: Deployed) -> None:
    ec2 = account.client("ec2")
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=_studio_vpc(account, deployed))


def _nat_gateway(account: boto3.Session, deployed: Deployed) -> None:
    ec2 = account.client("ec2")
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=_a_subnet(account, deployed), AllocationId=allocation)


def _route_to_anywhere(account: boto3.Session, deployed: Deployed) -> None:
    """A default route through a network interface: no gateway, no peering, only the route."""
    ec2 = account.client("ec2")
    (table,) = ec2.describe_route_tables(
        Filters=[*_in_vpc(account, deployed), {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"]
    interface = ec2.create_network_interface(SubnetId=_a_subnet(account, deployed))["NetworkInterface"]
    ec2.create_route(
        RouteTableId=table["RouteTableId"],
        DestinationCidrBlock="0.0.0.0/0",
        NetworkInterfaceId=interface["NetworkInterfaceId"],
    )


def _flow_logs_off(account: boto3.Session, deployed: Deployed) -> None:
    ec2 = account.client("ec2")
    vpc = _studio_vpc(account, deployed)
    flows = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
    ec2.delete_flow_logs(FlowLogIds=[f["FlowLogId"] for f in flows])


def _default_group_opened(account: boto3.Session, deployed: Deployed) -> None:
    ec2 = account.client("ec2")
    filters = [*_in_vpc(account, deployed), {"Name": "group-name", "Values": ["default"]}]
    (group,) = ec2.describe_security_groups(Filters=filters)["SecurityGroups"]
    ec2.authorize_security_group_egress(
        GroupId=group["GroupId"],
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}],
    )


def _world_open_group(account: boto3.Session, deployed: Deployed) -> None:
    ec2 = account.client("ec2")
    group = ec2.create_security_group(GroupName="debug", Description="temporary", VpcId=_studio_vpc(account, deployed))[
        "GroupId"
    ]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )


def _granted_to_iam(account: boto3.Session, deployed: Deployed) -> None:
    account.client("lakeformation").grant_permissions(
        Principal={"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"},
        Resource={"Database": {"Name": "mlops_curated"}},
        Permissions=["ALL"],
    )


def _catalog_unencrypted(account: boto3.Session, deployed: Deployed) -> None:
    account.client("glue").put_data_catalog_encryption_settings(
        DataCatalogEncryptionSettings={
            "EncryptionAtRest": {"CatalogEncryptionMode": "DISABLED"},
            "ConnectionPasswordEncryption": {"ReturnConnectionPasswordEncrypted": False},
        }
    )


def _key_open_to_anyone(account: boto3.Session, deployed: Deployed) -> None:
    kms = account.client("kms")
    key = _data_key(account)
    policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    anyone = {"Sid": "Anyone", "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "kms:Decrypt", "Resource": "*"}
    policy["Statement"].append(anyone)
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))


DRIFTS: list[tuple[str, str, Callable[[boto3.Session, Deployed], None], str]] = [
    ("datamgmt", "a bucket's public access block deleted", _no_public_access_block, "bucket-public-access-block"),
    ("tooling", "a bucket's public access block deleted", _no_public_access_block, "bucket-public-access-block"),
    ("datasci", "key rotation off", _rotation_off, "kms-key-rotation"),
    ("datamgmt", "a bucket policy deleted", _no_bucket_policy, "bucket-tls-only"),
    ("datamgmt", "the warehouse made public", _public_warehouse, "redshift-serverless-not-public"),
    (
        "datasci",
        "a profile given another security group",
        _profile_with_another_group,
        "studio-profile-security-groups",
    ),
    ("tooling", "a role made admin", _admin_role, "iam-no-admin"),
    ("datamgmt", "default permissions to IAMAllowedPrincipals", _defaults_to_iam, "lake-formation-defaults"),
    ("datamgmt", "an admin added by hand", _extra_admin, "lake-formation-admins"),
    (
        "datasci",
        "the auditor removed from the read-only admins",
        _auditor_no_longer_sees_every_grant,
        "lake-formation-admins",
    ),
    ("datamgmt", "a domain on the public internet", _public_domain, "studio-vpc-only"),
    ("datamgmt", "a missing interface endpoint", _no_endpoint("sts"), "vpc-endpoints"),
    ("datamgmt", "a missing S3 gateway endpoint", _no_endpoint("s3"), "vpc-endpoints"),
    ("datamgmt", "a public access block with a flag off", _public_policy_allowed, "bucket-public-access-block"),
    ("datamgmt", "a lake bucket on SSE-S3", _sse_s3_on_lake, "bucket-encryption"),
    ("datamgmt", "an unregistered location", _unregistered, "lake-location"),
    ("datamgmt", "a location on the service-linked role", _service_linked_role, "lake-location"),
    ("datamgmt", "an internet gateway attached to the Studio VPC", _internet_gateway, "vpc-internet-path"),
    ("datamgmt", "a NAT gateway in the Studio VPC", _nat_gateway, "vpc-internet-path"),
    ("datamgmt", "a route to anywhere", _route_to_anywhere, "vpc-internet-path"),
    ("datamgmt", "flow logs turned off", _flow_logs_off, "vpc-flow-logs"),
    ("datamgmt", "a rule on the default security group", _default_group_opened, "default-security-group"),
    ("datamgmt", "a security group open to the internet", _world_open_group, "open-ingress"),
    ("datamgmt", "a database granted to IAM_ALLOWED_PRINCIPALS", _granted_to_iam, "lake-formation-iam-allowed"),
    ("datamgmt", "catalog encryption turned off", _catalog_unencrypted, "glue-catalog-encryption"),
    ("datamgmt", "a key policy open to anyone", _key_open_to_anyone, "kms-key-policy"),
]


@pytest.mark.parametrize(("name", "what", "drift", "check"), DRIFTS, ids=[f"{d[0]}: {d[1]}" for d in DRIFTS])
def test_a_drift_after_the_deploy_is_caught(
    name: str,
    what: str,
    drift: Callable[[boto3.Session, Deployed], None],
    check: str,
    stack: Callable[[str], StackPreview],
    aws: boto3.Session,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, code, output, _ = deploy_and_audit(stack(name), aws, monkeypatch, capsys, drift)
    assert code == 1, output
    lines = drift_lines(output)
    # The drift is caught by its check, and nothing else drifts but the resource it names (a domain
    # made by hand also lacks the platform's key and security groups: more rows, same domain).
    resources = {line.split()[1] for line in lines if line.startswith(f"{check} ")}
    assert resources and all(line.split()[1] in resources for line in lines), (what, lines)
