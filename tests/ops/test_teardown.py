"""``python -m ops teardown`` against moto, with SageMaker's Studio calls stubbed.

What moto 5.2.5 emulates is used as is: EC2 (VPCs, subnets, security groups, network interfaces, VPC
endpoints), EFS (file systems, mount targets and their interfaces) and SageMaker's ListDomains. It does not
implement SageMaker's apps, spaces or user profiles (ListApps, DeleteApp, DescribeApp and the like), and its
DescribeDomain names a home file system that is not in its EFS; so where a test has a domain, SageMaker is a
botocore ``Stubber`` of the real client, which checks every request and response against the service's model,
and answers in the order the calls are expected: the deletion order itself. moto also never refuses to delete a
security group still in use (DependencyViolation): that retry is tested with EC2 stubbed the same way.
"""

from __future__ import annotations

import argparse
import datetime
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import boto3
import pytest
from botocore.client import BaseClient
from botocore.stub import Stubber

import ops.__main__ as cli
from contracts import naming
from offline.engine import StackPreview
from ops.teardown import Clients, Leftover, Plan, add_parser, delete, domain_name
from tests.conftest import one
from tests.ops.conftest import REGION, in_account

DATASCI = "222222222222"
ROLE = f"arn:aws:iam::{DATASCI}:role/mlops/teardown"
STACK = "datasci"
DOMAIN = "mlops-datasci-studio"
DOMAIN_ID = "d-4k2pzxq9tvwn"
DOMAIN_ARN = f"arn:aws:sagemaker:{REGION}:{DATASCI}:domain/{DOMAIN_ID}"
NOW = datetime.datetime(2026, 1, 5, 9, 30, tzinfo=datetime.UTC)
FORBIDDEN = ("s3", "kms", "glue", "lakeformation")


def studio_description(domain_id: str, suffix: str) -> str:
    return f"[DO NOT DELETE] ENI managed by SageMaker for Studio Domain({domain_id}) - {suffix}"


@dataclass
class World:
    """The datasci stack's network as Pulumi leaves it, and what Studio added to it."""

    account: boto3.Session
    vpc: str
    subnets: list[str]
    studio_group: str
    endpoint_interfaces: list[str]
    nfs_groups: list[str]
    file_system: str
    mount_targets: list[str]
    efs_interfaces: list[str]
    studio_interfaces: list[str]
    #: Interfaces in the VPC that are not Studio's (another domain's, the stack's own).
    others_in_vpc: list[str] = field(default_factory=list)
    #: What sits outside the VPC and must stay.
    outside: dict[str, str] = field(default_factory=dict)

    @functools.cached_property
    def ec2(self) -> Any:
        return self.account.client("ec2")

    @functools.cached_property
    def efs(self) -> Any:
        return self.account.client("efs")

    def interfaces(self, vpc: str | None = None) -> set[str]:
        found = self.ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [vpc or self.vpc]}])
        return {eni["NetworkInterfaceId"] for eni in found["NetworkInterfaces"]}

    def groups(self) -> set[str]:
        found = self.ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [self.vpc]}])
        return {g["GroupId"] for g in found["SecurityGroups"] if g["GroupName"] != "default"}

    def file_systems(self) -> set[str]:
        return {fs["FileSystemId"] for fs in self.efs.describe_file_systems()["FileSystems"]}


def stack_tags(kind: str) -> list[dict[str, Any]]:
    tags = naming.common_tags("mlops-feature-platform", "datasci", STACK, None, {})
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def build(aws: boto3.Session, domain_id: str = DOMAIN_ID) -> World:
    account = in_account(aws, DATASCI)
    ec2, efs = account.client("ec2"), account.client("efs")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=stack_tags("vpc"))["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone, TagSpecifications=stack_tags("subnet"))[
            "Subnet"
        ]["SubnetId"]
        for cidr, zone in (("10.20.0.0/20", f"{REGION}a"), ("10.20.16.0/20", f"{REGION}b"))
    ]
    studio_group = ec2.create_security_group(
        GroupName="datasci-network-studio-sg",
        Description="Studio",
        VpcId=vpc,
        TagSpecifications=stack_tags("security-group"),
    )["GroupId"]
    endpoint = ec2.create_vpc_endpoint(
        VpcId=vpc,
        ServiceName=f"com.amazonaws.{REGION}.sagemaker.api",
        VpcEndpointType="Interface",
        SubnetIds=subnets,
        PrivateDnsEnabled=True,
        TagSpecifications=stack_tags("vpc-endpoint"),
    )["VpcEndpoint"]
    endpoint_interfaces = list(endpoint["NetworkInterfaceIds"])
    # An endpoint's interface that even reads like Studio's stays: it is the endpoint's.
    ec2.modify_network_interface_attribute(
        NetworkInterfaceId=endpoint_interfaces[0], Description={"Value": studio_description(domain_id, "mimic")}
    )
    inbound, outbound = (
        ec2.create_security_group(
            GroupName=f"security-group-for-{way}-nfs-{domain_id}",
            Description=f"[DO NOT DELETE] Security Group that allows {way} NFS traffic for SageMaker Notebooks Domain",
            VpcId=vpc,
        )["GroupId"]
        for way in ("inbound", "outbound")
    )

    def nfs_from(group: str) -> list[dict[str, Any]]:
        return [{"IpProtocol": "tcp", "FromPort": 2049, "ToPort": 2049, "UserIdGroupPairs": [{"GroupId": group}]}]

    ec2.authorize_security_group_ingress(GroupId=inbound, IpPermissions=nfs_from(outbound))
    ec2.authorize_security_group_egress(GroupId=outbound, IpPermissions=nfs_from(inbound))
    file_system = efs.create_file_system(
        CreationToken=f"studio-{domain_id}",
        Encrypted=True,
        Tags=[
            {
                "Key": "ManagedByAmazonSageMakerResource",
                "Value": f"arn:aws:sagemaker:{REGION}:{DATASCI}:domain/{domain_id}",
            }
        ],
    )["FileSystemId"]
    targets = [efs.create_mount_target(FileSystemId=file_system, SubnetId=s, SecurityGroups=[inbound]) for s in subnets]
    studio_interfaces = [
        ec2.create_network_interface(
            SubnetId=subnet, Description=studio_description(domain_id, f"{n:032x}"), Groups=[outbound, studio_group]
        )["NetworkInterface"]["NetworkInterfaceId"]
        for n, subnet in enumerate(subnets)
    ]
    others_in_vpc = [
        ec2.create_network_interface(SubnetId=subnets[0], Description=studio_description("d-0therdomain0", "x"))[
            "NetworkInterface"
        ]["NetworkInterfaceId"],
        ec2.create_network_interface(
            SubnetId=subnets[1],
            Description=studio_description(domain_id, "owned"),
            TagSpecifications=stack_tags("network-interface"),
        )["NetworkInterface"]["NetworkInterfaceId"],
    ]
    other_vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.30.0.0/20", AvailabilityZone=f"{REGION}a")[
        "Subnet"
    ]["SubnetId"]
    other_file_system = efs.create_file_system(
        CreationToken="another-domain",
        Tags=[
            {
                "Key": "ManagedByAmazonSageMakerResource",
                "Value": f"arn:aws:sagemaker:{REGION}:{DATASCI}:domain/d-0therdomain0",
            }
        ],
    )["FileSystemId"]
    efs.create_mount_target(FileSystemId=other_file_system, SubnetId=other_subnet)
    outside = {
        "vpc": other_vpc,
        "interface": ec2.create_network_interface(
            SubnetId=other_subnet, Description=studio_description(domain_id, "y")
        )["NetworkInterface"]["NetworkInterfaceId"],
        "file-system": other_file_system,
    }
    return World(
        account,
        vpc,
        subnets,
        studio_group,
        endpoint_interfaces,
        [inbound, outbound],
        file_system,
        [t["MountTargetId"] for t in targets],
        [t["NetworkInterfaceId"] for t in targets],
        studio_interfaces,
        others_in_vpc,
        outside,
    )


# SageMaker, stubbed --------------------------------------------------------------------------------------------

APPS = [
    {
        "DomainId": DOMAIN_ID,
        "SpaceName": "alice-lab",
        "AppType": "JupyterLab",
        "AppName": "default",
        "Status": "InService",
    },
    {
        "DomainId": DOMAIN_ID,
        "UserProfileName": "bob",
        "AppType": "KernelGateway",
        "AppName": "datascience-1-0-ml-t3-medium",
        "Status": "Deleting",
    },
    {
        "DomainId": DOMAIN_ID,
        "UserProfileName": "bob",
        "AppType": "JupyterServer",
        "AppName": "default",
        "Status": "Deleted",
    },
]
SPACES = [{"DomainId": DOMAIN_ID, "SpaceName": "alice-lab", "Status": "InService", "CreationTime": NOW}]
PROFILES = [
    {"DomainId": DOMAIN_ID, "UserProfileName": name, "Status": "InService", "CreationTime": NOW}
    for name in ("alice", "bob")
]


def studio(world: World) -> tuple[Any, Stubber]:
    """A real SageMaker client whose calls the stubber answers; nothing is sent."""
    client = world.account.client("sagemaker")
    return client, Stubber(client)


def expect_domain(
    stubber: Stubber, world: World, apps: list[dict[str, Any]], spaces: list[Any], profiles: list[Any]
) -> None:
    """What listing calls, in order, and the real responses' shapes."""
    url = f"https://{DOMAIN_ID}.studio.{REGION}.sagemaker.aws"
    summary = {
        "DomainArn": DOMAIN_ARN,
        "DomainId": DOMAIN_ID,
        "DomainName": DOMAIN,
        "Status": "InService",
        "CreationTime": NOW,
        "Url": url,
    }
    other = {
        **summary,
        "DomainArn": DOMAIN_ARN.replace(DOMAIN_ID, "d-0therdomain0"),
        "DomainId": "d-0therdomain0",
        "DomainName": "sandbox",
    }
    stubber.add_response("list_domains", {"Domains": [other, summary]}, {})
    stubber.add_response(
        "describe_domain",
        {
            **summary,
            "HomeEfsFileSystemId": world.file_system,
            "AuthMode": "IAM",
            "AppNetworkAccessType": "VpcOnly",
            "SubnetIds": world.subnets,
            "VpcId": world.vpc,
            "KmsKeyId": f"arn:aws:kms:{REGION}:{DATASCI}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            "LastModifiedTime": NOW,
        },
        {"DomainId": DOMAIN_ID},
    )
    listed = [{**app, "CreationTime": NOW} for app in apps]
    stubber.add_response("list_apps", {"Apps": listed}, {"DomainIdEquals": DOMAIN_ID})
    stubber.add_response("list_spaces", {"Spaces": spaces}, {"DomainIdEquals": DOMAIN_ID})
    stubber.add_response("list_user_profiles", {"UserProfiles": profiles}, {"DomainIdEquals": DOMAIN_ID})


def _app_key(app: dict[str, Any]) -> dict[str, Any]:
    owner = {"SpaceName": app["SpaceName"]} if "SpaceName" in app else {"UserProfileName": app["UserProfileName"]}
    return {"DomainId": DOMAIN_ID, "AppType": app["AppType"], "AppName": app["AppName"], **owner}


def expect_deletions(stubber: Stubber) -> None:
    """The deletions in order, with SageMaker taking its time: alice's app is still Deleting at the first look,
    alice's profile too; bob's app was Deleting already, so it is only watched."""
    running, deleting = APPS[0], APPS[1]
    stubber.add_response("delete_app", {}, _app_key(running))
    stubber.add_response("describe_app", {**_app_key(running), "Status": "Deleting"}, _app_key(running))
    stubber.add_response("describe_app", {**_app_key(deleting), "Status": "Deleted"}, _app_key(deleting))
    stubber.add_response("describe_app", {**_app_key(running), "Status": "Deleted"}, _app_key(running))
    space = {"DomainId": DOMAIN_ID, "SpaceName": "alice-lab"}
    stubber.add_response("delete_space", {}, space)
    stubber.add_client_error("describe_space", "ResourceNotFound", "Space not found", 400, expected_params=space)
    alice, bob = ({"DomainId": DOMAIN_ID, "UserProfileName": name} for name in ("alice", "bob"))
    stubber.add_response("delete_user_profile", {}, alice)
    stubber.add_response("delete_user_profile", {}, bob)
    stubber.add_response("describe_user_profile", {**alice, "Status": "Deleting"}, alice)
    stubber.add_client_error("describe_user_profile", "ResourceNotFound", "Profile not found", 400, expected_params=bob)
    stubber.add_client_error(
        "describe_user_profile", "ResourceNotFound", "Profile not found", 400, expected_params=alice
    )


# The command, run as ``python -m ops`` runs it ------------------------------------------------------------------


class Guarded:
    """The session the command gets: it refuses to make a client of S3, KMS, Glue or Lake Formation, and its
    SageMaker client is the stubbed one when there is one."""

    def __init__(self, inner: boto3.Session, sagemaker: Any | None) -> None:
        self._inner = inner
        self._sagemaker = sagemaker

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:
        assert service_name not in FORBIDDEN, f"teardown made a {service_name} client"
        if service_name == "sagemaker" and self._sagemaker is not None:
            return self._sagemaker
        return cast(Any, self._inner).client(service_name, *args, **kwargs)


@dataclass
class Run:
    code: int
    out: str
    err: str
    #: (service, operation) of every AWS call the command made, stubbed or not, in order.
    calls: list[tuple[str, str]]

    def mutations(self) -> list[tuple[str, str]]:
        return [call for call in self.calls if call[1].startswith(("Delete", "Revoke"))]

    def index(self, operation: str, last: bool = False) -> int:
        positions = [n for n, (_, op) in enumerate(self.calls) if op == operation]
        assert positions, f"no {operation} call"
        return positions[-1] if last else positions[0]


@pytest.fixture
def teardown(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    """Runs ``python -m ops teardown ARGS`` through ``ops.__main__.main``: its settings, its role assumption,
    its error handling. Every AWS call in the process is recorded meanwhile, and any to S3, KMS, Glue or Lake
    Formation fails the test."""
    original_target, original_parser = cli._target, cli._parser

    def parser() -> argparse.ArgumentParser:
        built = original_parser()
        (commands,) = [a for a in built._actions if isinstance(a, argparse._SubParsersAction)]
        if "teardown" not in commands.choices:  # until ops/__main__.py registers the command itself
            add_parser(commands, cli._settings, cli._target)
        return built

    def run(*args: str, sagemaker: Any | None = None) -> Run:
        def target(parsed: argparse.Namespace, settings: Any, role: str | None) -> boto3.Session:
            return cast(boto3.Session, Guarded(original_target(parsed, settings, role), sagemaker))

        calls: list[tuple[str, str]] = []
        make_call: Callable[..., Any] = BaseClient._make_api_call  # type: ignore[attr-defined]

        def recorded(client: BaseClient, operation: str, params: Any) -> Any:
            service = client.meta.service_model.service_name
            calls.append((service, operation))
            assert service not in FORBIDDEN, f"teardown called {service}:{operation}"
            return make_call(client, operation, params)

        capsys.readouterr()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(cli, "_target", target)
            patch.setattr(cli, "_parser", parser)
            patch.setattr(BaseClient, "_make_api_call", recorded)
            code = cli.main(["teardown", *args])
        out, err = capsys.readouterr()
        return Run(code, out, err, calls)

    return run


def row(output: str, kind: str, resource: str) -> str:
    (line,) = [
        line for line in output.splitlines() if re.match(rf"\d+ +{re.escape(kind)} +{re.escape(resource)} ", line)
    ]
    return line


# Tests -----------------------------------------------------------------------------------------------------------


def test_it_looks_for_the_domain_and_the_vpc_the_program_creates(stack: Callable[[str], StackPreview]) -> None:
    for name in ("datasci", "datamgmt"):
        preview = stack(name)
        assert one(preview, "aws:sagemaker/domain:Domain").inputs["domainName"] == domain_name(name)
        assert one(preview, "aws:ec2/vpc:Vpc").inputs["tags"]["mlops:stack"] == name
    assert domain_name("preprod") == "mlops-preprod-studio"


def test_without_yes_it_lists_and_deletes_nothing(aws: boto3.Session, teardown: Callable[..., Run]) -> None:
    world = build(aws)
    client, stubber = studio(world)
    expect_domain(stubber, world, APPS, SPACES, PROFILES)
    before = (world.interfaces(), world.groups(), world.file_systems())
    with stubber:
        run = teardown("--account", STACK, "--role-arn", ROLE, sagemaker=client)
        stubber.assert_no_pending_responses()
    assert run.code == 0, run.err
    assert run.mutations() == []
    assert (world.interfaces(), world.groups(), world.file_systems()) == before
    out = run.out
    assert out.startswith(f"datasci stack in {REGION}: domain {DOMAIN} ({DOMAIN_ID}), {world.vpc}\n")
    assert "InService, of space alice-lab" in row(out, "app", f"{DOMAIN_ID}/alice-lab/JupyterLab/default")
    assert "Deleting" in row(out, "app", f"{DOMAIN_ID}/bob/KernelGateway/datascience-1-0-ml-t3-medium")
    assert "JupyterServer" not in out  # already Deleted
    row(out, "space", f"{DOMAIN_ID}/alice-lab")
    row(out, "user-profile", f"{DOMAIN_ID}/alice")
    row(out, "user-profile", f"{DOMAIN_ID}/bob")
    for target, eni in zip(world.mount_targets, world.efs_interfaces, strict=True):
        assert row(out, "mount-target", target).startswith("4 ")
        assert f"mount target {target}: EFS deletes it" in row(out, "network-interface", eni)
    assert row(out, "file-system", world.file_system).endswith(
        f"home folders of {DOMAIN_ID}, 0 bytes: deleted for good"
    )
    for eni in world.studio_interfaces:
        assert row(out, "network-interface", eni).startswith("7 ")
    for group in world.nfs_groups:
        assert row(out, "security-group", group).startswith("8 ")
    untouched = [*world.endpoint_interfaces, *world.others_in_vpc, world.studio_group, *world.outside.values()]
    assert not [resource for resource in untouched if resource in out]
    assert out.rstrip().endswith(
        "14 to delete, in step order; the domain and the VPC stay, for pulumi destroy\n"
        "nothing deleted: run again with --yes to delete them"
    )


def test_yes_deletes_in_dependency_order_and_waits(aws: boto3.Session, teardown: Callable[..., Run]) -> None:
    world = build(aws)
    client, stubber = studio(world)
    expect_domain(stubber, world, APPS, SPACES, PROFILES)
    expect_deletions(stubber)
    with stubber:
        run = teardown("--account", STACK, "--role-arn", ROLE, "--yes", "--poll-seconds", "0", sagemaker=client)
        stubber.assert_no_pending_responses()  # every wait above was waited for
    assert run.code == 0, run.err
    assert run.mutations() == [
        ("sagemaker", "DeleteApp"),
        ("sagemaker", "DeleteSpace"),
        ("sagemaker", "DeleteUserProfile"),
        ("sagemaker", "DeleteUserProfile"),
        ("efs", "DeleteMountTarget"),
        ("efs", "DeleteMountTarget"),
        ("efs", "DeleteFileSystem"),
        ("ec2", "DeleteNetworkInterface"),
        ("ec2", "DeleteNetworkInterface"),
        # The two NFS groups name each other: every rule goes before either group.
        ("ec2", "RevokeSecurityGroupIngress"),
        ("ec2", "RevokeSecurityGroupEgress"),
        ("ec2", "RevokeSecurityGroupEgress"),
        ("ec2", "DeleteSecurityGroup"),
        ("ec2", "DeleteSecurityGroup"),
    ]
    # Each step starts once the one before it is confirmed done.
    assert run.index("DescribeApp", last=True) < run.index("DeleteSpace")
    assert run.index("DescribeSpace", last=True) < run.index("DeleteUserProfile")
    assert run.index("DescribeUserProfile", last=True) < run.index("DeleteMountTarget")
    assert (
        run.index("DeleteMountTarget", last=True)
        < run.index("DescribeMountTargets", last=True)
        < run.index("DeleteFileSystem")
    )
    assert (
        run.index("DeleteFileSystem")
        < run.index("DescribeFileSystems", last=True)
        < run.index("DeleteNetworkInterface")
    )
    assert run.index("DeleteNetworkInterface", last=True) < run.index("RevokeSecurityGroupIngress")
    assert [line for line in run.out.splitlines() if line.endswith(" ...")] == [
        "apps: deleting 2 ...",
        "spaces: deleting 1 ...",
        "user profiles: deleting 2 ...",
        "EFS mount targets: deleting 2 ...",
        "EFS network interfaces: waiting for 2 ...",
        "EFS file systems: deleting 1 ...",
        "Studio network interfaces: deleting 2 ...",
        "NFS security groups: deleting 2 ...",
    ]
    assert run.out.rstrip().endswith("deleted 14: pulumi destroy can proceed (with protectResources: false)")
    # What pulumi destroy needs gone is gone; what it owns is there for it to delete.
    assert world.interfaces() == {*world.endpoint_interfaces, *world.others_in_vpc}
    assert world.groups() == {world.studio_group}
    assert world.file_systems() == {world.outside["file-system"]}
    assert world.ec2.describe_vpcs(VpcIds=[world.vpc])["Vpcs"]
    assert world.outside["interface"] in world.interfaces(world.outside["vpc"])
    assert ("sagemaker", "DeleteDomain") not in run.calls


def test_interfaces_of_vpc_endpoints_are_left_alone(aws: boto3.Session, teardown: Callable[..., Run]) -> None:
    """Even the endpoint interface described like Studio's, and one carrying the stack's tag."""
    world = build(aws)
    client, stubber = studio(world)
    expect_domain(stubber, world, [], [], [])
    endpoints = world.ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [world.vpc]}])["VpcEndpoints"]
    with stubber:
        run = teardown("--account", STACK, "--role-arn", ROLE, "--yes", "--poll-seconds", "0", sagemaker=client)
    assert run.code == 0, run.err
    deleted = [call for call in run.mutations() if call[1] == "DeleteNetworkInterface"]
    assert len(deleted) == len(world.studio_interfaces)
    assert set(world.endpoint_interfaces) <= world.interfaces()
    assert (
        world.ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [world.vpc]}])["VpcEndpoints"]
        == endpoints
    )
    assert not world.interfaces() & set(world.studio_interfaces)
    assert set(world.others_in_vpc) <= world.interfaces()


def test_it_never_calls_s3_kms_glue_or_lake_formation(aws: boto3.Session, teardown: Callable[..., Run]) -> None:
    world = build(aws)
    bucket = f"mlops-datasci-snapshots-{DATASCI}-{REGION}"
    world.account.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    key = world.account.client("kms").create_key()["KeyMetadata"]["KeyId"]
    world.account.client("glue").create_database(DatabaseInput={"Name": naming.SNAPSHOT_DATABASE})
    client, stubber = studio(world)
    expect_domain(stubber, world, APPS, SPACES, PROFILES)
    expect_deletions(stubber)
    with stubber:
        run = teardown("--account", STACK, "--role-arn", ROLE, "--yes", "--poll-seconds", "0", sagemaker=client)
    assert run.code == 0, run.err
    assert {service for service, _ in run.calls} == {"sts", "sagemaker", "ec2", "efs"}
    assert world.account.client("s3").head_bucket(Bucket=bucket)
    assert world.account.client("kms").describe_key(KeyId=key)["KeyMetadata"]["KeyState"] == "Enabled"
    assert world.account.client("glue").get_database(Name=naming.SNAPSHOT_DATABASE)["Database"]


def test_after_a_destroy_that_failed_on_the_vpc_it_finds_the_leftovers_through_the_vpc(
    aws: boto3.Session, teardown: Callable[..., Run]
) -> None:
    """The domain is gone (Pulumi deleted it, then failed on the VPC): moto's own, empty, ListDomains answers."""
    world = build(aws)
    run = teardown("--account", STACK, "--role-arn", ROLE)
    assert run.code == 0, run.err
    assert run.out.startswith(f"datasci stack in {REGION}: no domain {DOMAIN}, {world.vpc}\n")
    listed = {line.split()[2] for line in run.out.splitlines()[2:-2]}
    assert listed == {
        *world.mount_targets,
        *world.efs_interfaces,
        world.file_system,
        *world.studio_interfaces,
        *world.nfs_groups,
    }
    assert ("sagemaker", "ListApps") not in run.calls


def test_a_deletion_that_does_not_finish_is_an_error_of_one_line(
    aws: boto3.Session, teardown: Callable[..., Run]
) -> None:
    world = build(aws)
    instance = world.ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=world.subnets[0])
    stuck = world.studio_interfaces[0]
    world.ec2.attach_network_interface(
        NetworkInterfaceId=stuck, InstanceId=instance["Instances"][0]["InstanceId"], DeviceIndex=1
    )
    run = teardown(
        "--account", STACK, "--role-arn", ROLE, "--yes", "--poll-seconds", "0", "--timeout-minutes", "0.0001"
    )
    assert run.code == 2
    (line,) = run.err.splitlines()
    assert line == (
        f"error: Studio network interfaces: not deleted after 0.006 s: {stuck} (in-use); expected them gone: "
        "look at them in the console, or run again with a longer --timeout-minutes"
    )
    assert stuck in world.interfaces()
    assert world.file_system not in world.file_systems()  # the steps before it finished


def one_line_exit_2(run: Run, expected: str) -> None:
    assert run.code == 2
    (line,) = run.err.splitlines()
    assert line.startswith(expected), line
    assert run.mutations() == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--account", "nope"], "error: --account: 'nope' is not a stack of mlops-feature-platform; expected one of "),
        (
            ["--account", "tooling"],
            "error: --account: 'tooling' is the tooling stack; "
            "expected a stack of a datasci or preprod or datamgmt account",
        ),
        (
            ["--account", STACK, "--region", "eu-west"],
            "error: --region: 'eu-west' is not an AWS region; expected one such as eu-west-1",
        ),
        (
            ["--account", STACK, "--timeout-minutes", "0"],
            "error: --timeout-minutes: 0 is not positive; expected minutes, such as 20",
        ),
        (
            ["--account", STACK, "--poll-seconds", "-1"],
            "error: --poll-seconds: -1 is negative; expected seconds, such as 10",
        ),
    ],
    ids=["unknown-stack", "tooling-stack", "not-a-region", "no-timeout", "negative-poll"],
)
def test_bad_arguments_are_one_line_and_exit_2(
    aws: boto3.Session, teardown: Callable[..., Run], args: list[str], expected: str
) -> None:
    run = teardown(*args, "--role-arn", ROLE)
    one_line_exit_2(run, expected)
    assert run.calls == []  # refused before any AWS call


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["--account", STACK, "--region", "us-east-1"],
            f"error: --region: 'us-east-1' has no Studio domain {DOMAIN} nor a VPC tagged mlops:stack=datasci; "
            f"expected the region of the datasci stack, {REGION}",
        ),
        (
            ["--account", "datamgmt"],
            f"error: --account: 'datamgmt' has no Studio domain mlops-datamgmt-studio-readonly nor a VPC tagged "
            f"mlops:stack=datamgmt in {REGION} of this account; expected the stack deployed there (or --role-arn of "
            "its account)",
        ),
    ],
    ids=["region-without-the-domain", "account-without-the-stack"],
)
def test_a_region_or_account_without_the_stack_is_one_line_and_exit_2(
    aws: boto3.Session, teardown: Callable[..., Run], args: list[str], expected: str
) -> None:
    """The datasci stack is deployed, in eu-west-1 of the datasci account, and nothing else."""
    build(aws)
    one_line_exit_2(teardown(*args, "--role-arn", ROLE), expected)


def test_a_security_group_still_in_use_is_retried_until_free() -> None:
    """moto deletes a group whatever uses it; EC2 answers DependencyViolation until the interfaces are gone."""
    ec2 = boto3.Session(region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x").client("ec2")
    group = "sg-0a1b2c3d4e5f60718"
    item = Leftover("security-group", group, f"security-group-for-inbound-nfs-{DOMAIN_ID}", {"GroupId": group})
    plan = Plan(STACK, REGION, DOMAIN, DOMAIN_ID, "vpc-0a1b2c3d4e5f60718", (item,))
    rule = {
        "IpProtocol": "tcp",
        "FromPort": 2049,
        "ToPort": 2049,
        "UserIdGroupPairs": [{"GroupId": "sg-0f1e2d3c4b5a69788", "UserId": DATASCI}],
    }
    sleeps: list[float] = []
    with Stubber(ec2) as stubber:
        stubber.add_response(
            "describe_security_groups",
            {
                "SecurityGroups": [
                    {"GroupId": group, "GroupName": item.detail, "IpPermissions": [rule], "IpPermissionsEgress": []}
                ]
            },
            {"GroupIds": [group]},
        )
        stubber.add_response(
            "revoke_security_group_ingress", {"Return": True}, {"GroupId": group, "IpPermissions": [rule]}
        )
        stubber.add_client_error(
            "delete_security_group",
            "DependencyViolation",
            "resource has a dependent object",
            400,
            expected_params={"GroupId": group},
        )
        stubber.add_response("delete_security_group", {"Return": True, "GroupId": group}, {"GroupId": group})
        delete(plan, Clients(sagemaker=None, ec2=ec2, efs=None), 60.0, 5.0, lambda _: None, sleeps.append)
        stubber.assert_no_pending_responses()
    assert sleeps == [5.0]
