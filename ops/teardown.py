"""``python -m ops teardown``: remove what SageMaker Studio leaves in a stack's VPC, so that ``pulumi destroy``
completes.

Studio creates things no Pulumi state holds: the apps and spaces people start, the domain's home EFS file
system with a mount target (and its network interface) in each subnet, network interfaces for the apps, and
two NFS security groups. The domain keeps its home file system when it is deleted (``Retain``), SageMaker
leaves the rest, and the VPC's deletion then fails (terraform-provider-aws#20986,
cloudformation-coverage-roadmap#1085). Without ``--yes`` this lists them; with it, it deletes them in
dependency order, each step waiting until its deletions are done. It never deletes the domain, the VPC nor
anything else Pulumi owns, and it calls SageMaker, EC2 and EFS only: no bucket, key or catalog data.

How each thing is recognised, in the region of ``--region`` (default: the stack's ``aws:region``):

- the domain: by name, ``mlops-<role>-studio`` (``mlops-datamgmt-studio-readonly`` in data management);
- the VPC: the domain's, which must be the VPC tagged ``mlops:stack=<stack>``; the tagged VPC alone when the
  domain is gone already (a ``pulumi destroy`` that failed on the VPC);
- the domain's apps (not ``Deleted``), spaces and user profiles: listed by domain ID;
- home file systems: the domain's ``HomeEfsFileSystemId``, and any file system SageMaker tagged
  ``ManagedByAmazonSageMakerResource=<a domain's ARN>`` whose mount targets are all in the VPC (an earlier
  domain's home);
- the file systems' network interfaces: each mount target's ``NetworkInterfaceId``, never deleted directly:
  EFS removes it with its mount target;
- Studio's network interfaces: in the VPC, of type ``interface``, described ``[DO NOT DELETE] ENI managed by
  SageMaker for Studio Domain(<domain ID>)`` for one of the domains above, deleted once ``available``;
- NFS security groups: in the VPC, named ``security-group-for-{inbound,outbound}-nfs-<domain ID>``.

Nothing that carries the ``mlops:stack`` tag and no interface of a VPC endpoint is ever taken, whatever
its description.

The permissions it needs, in the account (``--role-arn``):

- ``sagemaker:ListDomains``, ``ListApps``, ``ListSpaces``, ``ListUserProfiles`` on ``*``;
  ``sagemaker:DescribeDomain`` on ``domain/*``; ``sagemaker:DescribeApp``, ``DeleteApp`` on ``app/<domain>/*``;
  ``sagemaker:DescribeSpace``, ``DeleteSpace`` on ``space/<domain>/*``; ``sagemaker:DescribeUserProfile``,
  ``DeleteUserProfile`` on ``user-profile/<domain>/*``;
- ``elasticfilesystem:DescribeFileSystems``, ``DescribeMountTargets``, ``DeleteMountTarget``,
  ``DeleteFileSystem`` on ``file-system/*``;
- ``ec2:DescribeVpcs``, ``DescribeVpcEndpoints``, ``DescribeNetworkInterfaces``, ``DescribeSecurityGroups`` on
  ``*``; ``ec2:DeleteNetworkInterface`` on ``network-interface/*`` (EFS's DeleteMountTarget needs it too);
  ``ec2:RevokeSecurityGroupIngress``, ``RevokeSecurityGroupEgress``, ``DeleteSecurityGroup`` on
  ``security-group/*``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from contracts import naming
from contracts.config import Settings
from contracts.regions import REGIONS
from ops import OpsError

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sagemaker.literals import AppTypeType

#: The accounts with a Studio domain, and the domain's name part there (components/accounts/datasci.py
#: for datasci and preprod, components/accounts/datamgmt.py).
STUDIO_DOMAINS: dict[str, str] = {
    "datasci": naming.STUDIO,
    "preprod": naming.STUDIO,
    "datamgmt": naming.STUDIO_READONLY,
}
STACK_TAG = f"{naming.TAG_PREFIX}stack"
#: SageMaker tags the home file system of a domain with the domain's ARN.
EFS_DOMAIN_TAG = "ManagedByAmazonSageMakerResource"
DOMAIN_ARN = re.compile(r"arn:[\w-]+:sagemaker:[\w-]+:\d{12}:domain/(d-[a-z0-9]+)")
STUDIO_INTERFACE = re.compile(r"\[DO NOT DELETE\] ENI managed by SageMaker for Studio Domain\((d-[a-z0-9]+)\)")
NFS_GROUP = re.compile(r"security-group-for-(?:inbound|outbound)-nfs-(d-[a-z0-9]+)")

SettingsOf = Callable[[Path, str, Sequence[str]], Settings]
TargetOf = Callable[[argparse.Namespace, Settings, "str | None"], boto3.Session]


def domain_name(role: str) -> str:
    """The name of the Studio domain the stack of an account ``role`` creates."""
    return naming.physical_name(role, STUDIO_DOMAINS[role])


@dataclass(frozen=True)
class Clients:
    """The only services teardown talks to."""

    sagemaker: SageMakerClient
    ec2: EC2Client
    #: No type stubs for EFS are installed.
    efs: Any

    @classmethod
    def of(cls, session: boto3.Session) -> Clients:
        return cls(session.client("sagemaker"), session.client("ec2"), session.client("efs"))


@dataclass(frozen=True)
class Leftover:
    #: A key of KINDS.
    kind: str
    resource: str
    detail: str
    #: What the deletion calls take, and the state when listed.
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    stack: str
    region: str
    domain_name: str
    #: None when the domain is gone already.
    domain_id: str | None
    vpc_id: str
    #: In deletion order.
    leftovers: tuple[Leftover, ...]


# Finding ---------------------------------------------------------------------------------------------------


def find(clients: Clients, settings: Settings, region: str) -> Plan:
    """What Studio left in the stack's VPC, in deletion order; bad input if neither the stack's domain nor
    its VPC is in ``region``."""
    name = domain_name(settings.role)
    with _aws("listing what Studio left behind"):
        domain = _domain(clients.sagemaker, name)
        vpc = _vpc(clients.ec2, settings, region, name, domain)
        domain_id = str(domain["DomainId"]) if domain else None
        studio = _studio(clients.sagemaker, domain_id) if domain_id else []
        home = str(domain.get("HomeEfsFileSystemId") or "") if domain else ""
        file_systems = _file_systems(clients.efs, vpc, home, domain_id)
        interfaces = _pages(clients.ec2, "describe_network_interfaces", "NetworkInterfaces", vpc)
        endpoints = _pages(clients.ec2, "describe_vpc_endpoints", "VpcEndpoints", vpc)
        groups = _pages(clients.ec2, "describe_security_groups", "SecurityGroups", vpc)
    domains = {domain_id} if domain_id else set()
    domains |= {d for _, _, d in file_systems if d}
    domains |= {match[1] for g in groups if (match := NFS_GROUP.fullmatch(g.get("GroupName", ""))) and not _owned(g)}
    mounts = [(fs, target) for fs, targets, _ in file_systems for target in targets]
    taken = {str(target["NetworkInterfaceId"]) for _, target in mounts if target.get("NetworkInterfaceId")}
    taken |= {eni for endpoint in endpoints for eni in endpoint.get("NetworkInterfaceIds", [])}
    leftovers = [
        *studio,
        *(
            Leftover(
                "mount-target",
                str(t["MountTargetId"]),
                f"of {fs['FileSystemId']} in {t.get('SubnetId', '?')}, {t.get('LifeCycleState', '?')}",
                {"MountTargetId": str(t["MountTargetId"]), "state": str(t.get("LifeCycleState", ""))},
            )
            for fs, t in mounts
        ),
        *(
            Leftover(
                "efs-interface",
                str(t["NetworkInterfaceId"]),
                f"of mount target {t['MountTargetId']}: EFS deletes it with the mount target",
                {"NetworkInterfaceId": str(t["NetworkInterfaceId"])},
            )
            for _, t in mounts
            if t.get("NetworkInterfaceId")
        ),
        *(
            Leftover(
                "file-system",
                str(fs["FileSystemId"]),
                f"home folders of {owner or 'a deleted domain'}, {_size(fs)}: deleted for good",
                {"FileSystemId": str(fs["FileSystemId"])},
            )
            for fs, _, owner in file_systems
        ),
        *_studio_interfaces(interfaces, domains, taken),
        *(
            Leftover("security-group", str(g["GroupId"]), str(g["GroupName"]), {"GroupId": str(g["GroupId"])})
            for g in groups
            if (match := NFS_GROUP.fullmatch(g.get("GroupName", ""))) and match[1] in domains and not _owned(g)
        ),
    ]
    order = list(KINDS)
    leftovers.sort(key=lambda item: order.index(item.kind))
    return Plan(settings.stack, region, name, domain_id, vpc, tuple(leftovers))


def _domain(sagemaker: SageMakerClient, name: str) -> dict[str, Any] | None:
    found = [
        d["DomainId"]
        for page in sagemaker.get_paginator("list_domains").paginate()
        for d in page.get("Domains", [])
        if d.get("DomainName") == name
    ]
    if len(found) > 1:
        raise OpsError(f"Studio: {len(found)} domains are named {name} ({', '.join(found)}); expected one")
    return dict(sagemaker.describe_domain(DomainId=found[0])) if found else None


def _vpc(ec2: EC2Client, settings: Settings, region: str, name: str, domain: Mapping[str, Any] | None) -> str:
    tag = f"{STACK_TAG}={settings.stack}"
    tagged = sorted(
        v["VpcId"]
        for v in ec2.describe_vpcs(Filters=[{"Name": f"tag:{STACK_TAG}", "Values": [settings.stack]}])["Vpcs"]
    )
    if len(tagged) > 1:
        raise OpsError(f"VPC: {', '.join(tagged)} are all tagged {tag}; expected one, the stack's")
    if domain is None:
        if not tagged:
            if region != settings.region:
                raise OpsError(
                    f"--region: {region!r} has no Studio domain {name} nor a VPC tagged {tag}; "
                    f"expected the region of the {settings.stack} stack, {settings.region}"
                )
            raise OpsError(
                f"--account: {settings.stack!r} has no Studio domain {name} nor a VPC tagged {tag} in {region} of "
                "this account; expected the stack deployed there (or --role-arn of its account)"
            )
        return tagged[0]
    vpc = str(domain.get("VpcId") or "")
    if tagged and vpc != tagged[0]:
        raise OpsError(
            f"Studio: domain {name} is in {vpc or 'no VPC'}, not in the stack's VPC {tagged[0]} ({tag}); "
            "expected the stack's domain in the stack's VPC"
        )
    if not vpc:
        raise OpsError(f"Studio: domain {name} has no VPC and no VPC is tagged {tag}; expected the stack's VPC")
    return vpc


def _studio(sagemaker: SageMakerClient, domain_id: str) -> list[Leftover]:
    apps = [
        a
        for page in sagemaker.get_paginator("list_apps").paginate(DomainIdEquals=domain_id)
        for a in page.get("Apps", [])
        if a.get("Status") != "Deleted"
    ]
    spaces = [
        s
        for page in sagemaker.get_paginator("list_spaces").paginate(DomainIdEquals=domain_id)
        for s in page.get("Spaces", [])
    ]
    profiles = [
        p
        for page in sagemaker.get_paginator("list_user_profiles").paginate(DomainIdEquals=domain_id)
        for p in page.get("UserProfiles", [])
    ]
    items = []
    for app in apps:
        # An app belongs to a space (Studio) or to a user profile (Studio Classic).
        owner_key = "SpaceName" if app.get("SpaceName") else "UserProfileName"
        owner_name = str(app.get(owner_key, ""))
        items.append(
            Leftover(
                "app",
                f"{domain_id}/{owner_name}/{app['AppType']}/{app['AppName']}",
                f"{app.get('Status', '?')}, of {'space' if owner_key == 'SpaceName' else 'user profile'} {owner_name}",
                {
                    "DomainId": domain_id,
                    owner_key: owner_name,
                    "AppType": app["AppType"],
                    "AppName": app["AppName"],
                    "state": app.get("Status", ""),
                },
            )
        )
    for space in spaces:
        items.append(
            Leftover(
                "space",
                f"{domain_id}/{space['SpaceName']}",
                str(space.get("Status", "?")),
                {"DomainId": domain_id, "SpaceName": space["SpaceName"], "state": space.get("Status", "")},
            )
        )
    for profile in profiles:
        items.append(
            Leftover(
                "user-profile",
                f"{domain_id}/{profile['UserProfileName']}",
                str(profile.get("Status", "?")),
                {
                    "DomainId": domain_id,
                    "UserProfileName": profile["UserProfileName"],
                    "state": profile.get("Status", ""),
                },
            )
        )
    return items


def _file_systems(
    efs: Any, vpc: str, home: str, domain_id: str | None
) -> list[tuple[dict[str, Any], list[dict[str, Any]], str | None]]:
    """Home file systems in the VPC: each with its mount targets and the ID of the domain it belongs to."""
    found = []
    for page in efs.get_paginator("describe_file_systems").paginate():
        for fs in page.get("FileSystems", []):
            tags = {t["Key"]: t["Value"] for t in fs.get("Tags", [])}
            match = DOMAIN_ARN.fullmatch(tags.get(EFS_DOMAIN_TAG, ""))
            if STACK_TAG in tags or (fs["FileSystemId"] != home and not match):
                continue
            targets = [
                t
                for target_page in efs.get_paginator("describe_mount_targets").paginate(FileSystemId=fs["FileSystemId"])
                for t in target_page.get("MountTargets", [])
            ]
            # Another domain's home is ours only if it serves this VPC and nothing else.
            if fs["FileSystemId"] == home or (targets and all(t.get("VpcId") == vpc for t in targets)):
                owner = match[1] if match else domain_id if fs["FileSystemId"] == home else None
                found.append((dict(fs), [dict(t) for t in targets], owner))
    return found


def _studio_interfaces(interfaces: list[dict[str, Any]], domains: set[str], taken: set[str]) -> list[Leftover]:
    items = []
    for eni in interfaces:
        match = STUDIO_INTERFACE.match(str(eni.get("Description", "")))
        if (
            match is None
            or match[1] not in domains
            or eni.get("InterfaceType", "interface") != "interface"
            or eni["NetworkInterfaceId"] in taken
            or _owned(eni)
        ):
            continue
        status = str(eni.get("Status", "?"))
        items.append(
            Leftover(
                "studio-interface",
                str(eni["NetworkInterfaceId"]),
                f"of Studio domain {match[1]} in {eni.get('SubnetId', '?')}, {status}",
                {"NetworkInterfaceId": str(eni["NetworkInterfaceId"]), "state": status},
            )
        )
    return items


def _size(fs: Mapping[str, Any]) -> str:
    size, units = float(fs.get("SizeInBytes", {}).get("Value", 0)), ["bytes", "KiB", "MiB", "GiB", "TiB"]
    while size >= 1024 and len(units) > 1:
        size, units = size / 1024, units[1:]
    return f"{size:.0f} bytes" if units[0] == "bytes" else f"{size:.1f} {units[0]}"


def _pages(ec2: EC2Client, operation: str, key: str, vpc: str) -> list[dict[str, Any]]:
    paginator = cast(Any, ec2).get_paginator(operation)
    return [
        dict(item)
        for page in paginator.paginate(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
        for item in page.get(key, [])
    ]


def _owned(resource: Mapping[str, Any]) -> bool:
    """Whether the stack owns it (its tag), whatever else it looks like."""
    tags = resource.get("Tags") or resource.get("TagSet") or []
    return any(tag.get("Key") == STACK_TAG for tag in tags)


# Deleting --------------------------------------------------------------------------------------------------


class Kind(NamedTuple):
    """How one kind of leftover is shown, deleted and watched until it is gone."""

    shown_as: str
    plural: str
    #: Starts the deletion (or nothing, if it is under way or happens with something else).
    start: Callable[[Clients, Leftover], None]
    #: None once it is gone, else its state; raises OpsError if the deletion failed.
    poll: Callable[[Clients, Leftover], str | None]


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@contextlib.contextmanager
def _absent(*codes: str) -> Iterator[None]:
    """Swallows the errors that mean the resource is gone already."""
    try:
        yield
    except ClientError as error:
        if _code(error) not in codes:
            raise


def _failed(item: Leftover, reason: object) -> OpsError:
    kind = KINDS[item.kind]
    return OpsError(
        f"{kind.shown_as} {item.resource}: its deletion failed ({reason or 'no reason given'}); "
        "expected it deleted: fix it in the console, then run teardown again"
    )


def _owner(item: Leftover) -> dict[str, str]:
    key = "SpaceName" if "SpaceName" in item.params else "UserProfileName"
    return {key: item.params[key]}


def _app_start(c: Clients, item: Leftover) -> None:
    if item.params["state"] != "Deleting":
        with _absent("ResourceNotFound"):
            c.sagemaker.delete_app(
                DomainId=item.params["DomainId"],
                AppType=cast("AppTypeType", item.params["AppType"]),
                AppName=item.params["AppName"],
                **_owner(item),
            )


def _app_poll(c: Clients, item: Leftover) -> str | None:
    try:
        app = c.sagemaker.describe_app(
            DomainId=item.params["DomainId"],
            AppType=cast("AppTypeType", item.params["AppType"]),
            AppName=item.params["AppName"],
            **_owner(item),
        )
    except ClientError as error:
        if _code(error) == "ResourceNotFound":
            return None
        raise
    status = app.get("Status", "")
    if status == "Failed":
        raise _failed(item, app.get("FailureReason"))
    return None if status == "Deleted" else status


def _space_start(c: Clients, item: Leftover) -> None:
    if item.params["state"] != "Deleting":
        with _absent("ResourceNotFound"):
            c.sagemaker.delete_space(DomainId=item.params["DomainId"], SpaceName=item.params["SpaceName"])


def _space_poll(c: Clients, item: Leftover) -> str | None:
    try:
        space = c.sagemaker.describe_space(DomainId=item.params["DomainId"], SpaceName=item.params["SpaceName"])
    except ClientError as error:
        if _code(error) == "ResourceNotFound":
            return None
        raise
    if space.get("Status") == "Delete_Failed":
        raise _failed(item, space.get("FailureReason"))
    return space.get("Status", "")


def _profile_start(c: Clients, item: Leftover) -> None:
    if item.params["state"] != "Deleting":
        with _absent("ResourceNotFound"):
            c.sagemaker.delete_user_profile(
                DomainId=item.params["DomainId"], UserProfileName=item.params["UserProfileName"]
            )


def _profile_poll(c: Clients, item: Leftover) -> str | None:
    try:
        profile = c.sagemaker.describe_user_profile(
            DomainId=item.params["DomainId"], UserProfileName=item.params["UserProfileName"]
        )
    except ClientError as error:
        if _code(error) == "ResourceNotFound":
            return None
        raise
    if profile.get("Status") == "Delete_Failed":
        raise _failed(item, profile.get("FailureReason"))
    return profile.get("Status", "")


def _mount_target_start(c: Clients, item: Leftover) -> None:
    if item.params["state"] not in ("deleting", "deleted"):
        with _absent("MountTargetNotFound"):
            c.efs.delete_mount_target(MountTargetId=item.params["MountTargetId"])


def _mount_target_poll(c: Clients, item: Leftover) -> str | None:
    try:
        (target,) = c.efs.describe_mount_targets(MountTargetId=item.params["MountTargetId"])["MountTargets"]
    except ClientError as error:
        if _code(error) == "MountTargetNotFound":
            return None
        raise
    state = str(target.get("LifeCycleState", ""))
    if state == "error":
        raise _failed(item, "mount target in state error")
    return None if state == "deleted" else state


def _nothing(c: Clients, item: Leftover) -> None:
    """Deleted with something else (an EFS mount target's interface, with the mount target)."""


def _interface_state(c: Clients, item: Leftover) -> str | None:
    try:
        (eni,) = c.ec2.describe_network_interfaces(NetworkInterfaceIds=[item.params["NetworkInterfaceId"]])[
            "NetworkInterfaces"
        ]
    except ClientError as error:
        if _code(error) == "InvalidNetworkInterfaceID.NotFound":
            return None
        raise
    return str(eni.get("Status", ""))


def _interface_start(c: Clients, item: Leftover) -> None:
    if item.params["state"] == "available":
        _interface_poll(c, item)


def _interface_poll(c: Clients, item: Leftover) -> str | None:
    """Deletes it once SageMaker has let go of it (``available``); until then, its status."""
    status = _interface_state(c, item)
    if status != "available":
        return status
    try:
        c.ec2.delete_network_interface(NetworkInterfaceId=item.params["NetworkInterfaceId"])
    except ClientError as error:
        if _code(error) == "InvalidNetworkInterfaceID.NotFound":
            return None
        if _code(error) == "InvalidNetworkInterface.InUse":
            return "in-use"
        raise
    return None


def _file_system_start(c: Clients, item: Leftover) -> None:
    with _absent("FileSystemNotFound"):
        c.efs.delete_file_system(FileSystemId=item.params["FileSystemId"])


def _file_system_poll(c: Clients, item: Leftover) -> str | None:
    try:
        (fs,) = c.efs.describe_file_systems(FileSystemId=item.params["FileSystemId"])["FileSystems"]
    except ClientError as error:
        if _code(error) == "FileSystemNotFound":
            return None
        raise
    state = str(fs.get("LifeCycleState", ""))
    if state == "error":
        raise _failed(item, "file system in state error")
    return None if state == "deleted" else state


def _group_start(c: Clients, item: Leftover) -> None:
    """Revokes its rules: the inbound and outbound NFS groups name each other, so neither can go first."""
    try:
        (group,) = c.ec2.describe_security_groups(GroupIds=[item.params["GroupId"]])["SecurityGroups"]
    except ClientError as error:
        if _code(error) == "InvalidGroup.NotFound":
            return
        raise
    with _absent("InvalidGroup.NotFound", "InvalidPermission.NotFound"):
        if group.get("IpPermissions"):
            c.ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
        if group.get("IpPermissionsEgress"):
            c.ec2.revoke_security_group_egress(GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"])


def _group_poll(c: Clients, item: Leftover) -> str | None:
    """Deletes it; refused while an interface still uses it."""
    try:
        c.ec2.delete_security_group(GroupId=item.params["GroupId"])
    except ClientError as error:
        if _code(error) == "InvalidGroup.NotFound":
            return None
        if _code(error) == "DependencyViolation":
            return "in use"
        raise
    return None


#: In deletion order: each step starts once the one before it is done.
KINDS: dict[str, Kind] = {
    "app": Kind("app", "apps", _app_start, _app_poll),
    "space": Kind("space", "spaces", _space_start, _space_poll),
    "user-profile": Kind("user-profile", "user profiles", _profile_start, _profile_poll),
    "mount-target": Kind("mount-target", "EFS mount targets", _mount_target_start, _mount_target_poll),
    "efs-interface": Kind("network-interface", "EFS network interfaces", _nothing, _interface_state),
    "file-system": Kind("file-system", "EFS file systems", _file_system_start, _file_system_poll),
    "studio-interface": Kind("network-interface", "Studio network interfaces", _interface_start, _interface_poll),
    "security-group": Kind("security-group", "NFS security groups", _group_start, _group_poll),
}


def delete(
    plan: Plan,
    clients: Clients,
    timeout_seconds: float,
    poll_seconds: float,
    say: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Deletes the plan's leftovers step by step; each step waits up to ``timeout_seconds`` for its own."""
    for kind_name, kind in KINDS.items():
        items = [item for item in plan.leftovers if item.kind == kind_name]
        if not items:
            continue
        verb = "waiting for" if kind.start is _nothing else "deleting"
        say(f"{kind.plural}: {verb} {len(items)} ...")
        started = time.monotonic()
        for item in items:
            with _aws(f"deleting {kind.shown_as} {item.resource}"):
                kind.start(clients, item)
        while True:
            states = {}
            for item in items:
                with _aws(f"waiting for {kind.shown_as} {item.resource}"):
                    state = kind.poll(clients, item)
                if state is not None:
                    states[item.resource] = state
            elapsed = time.monotonic() - started
            if not states:
                say(f"  gone after {elapsed:.0f} s")
                break
            if elapsed > timeout_seconds:
                pending = ", ".join(f"{resource} ({state or '?'})" for resource, state in states.items())
                raise OpsError(
                    f"{kind.plural}: not deleted after {timeout_seconds:g} s: {pending}; expected them gone: "
                    "look at them in the console, or run again with a longer --timeout-minutes"
                )
            items = [item for item in items if item.resource in states]
            sleep(poll_seconds)


@contextlib.contextmanager
def _aws(what: str) -> Iterator[None]:
    """An AWS error as one line: what was being done, the error, what teardown expects."""
    try:
        yield
    except ClientError as error:
        message = " ".join(str(error.response.get("Error", {}).get("Message", "")).split())
        raise OpsError(
            f"{what}: {error.operation_name} failed ({_code(error) or 'error'}: {message}); "
            "expected the permissions listed in ops/teardown.py, in the stack's account"
        ) from None
    except BotoCoreError as error:
        raise OpsError(f"{what}: {error}; expected AWS reachable with the account's credentials") from None


# Output and command ----------------------------------------------------------------------------------------


def table(plan: Plan) -> str:
    domain = f"domain {plan.domain_name} ({plan.domain_id})" if plan.domain_id else f"no domain {plan.domain_name}"
    head = f"{plan.stack} stack in {plan.region}: {domain}, {plan.vpc_id}"
    if not plan.leftovers:
        return f"{head}\nnothing Studio left behind: pulumi destroy can proceed"
    rows = [("STEP", "KIND", "RESOURCE", "DETAIL")]
    steps = list(KINDS)
    rows += [
        (str(steps.index(item.kind) + 1), KINDS[item.kind].shown_as, item.resource, item.detail)
        for item in plan.leftovers
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [head] + [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3]
        for row in rows
    ]
    lines.append(f"{len(plan.leftovers)} to delete, in step order; the domain and the VPC stay, for pulumi destroy")
    return "\n".join(lines)


def teardown(args: argparse.Namespace, settings_of: SettingsOf, target_of: TargetOf) -> int:
    """List what Studio left in the ``--account`` stack's VPC; with ``--yes``, delete it."""
    if not args.timeout_minutes > 0:
        raise OpsError(f"--timeout-minutes: {args.timeout_minutes:g} is not positive; expected minutes, such as 20")
    if not args.poll_seconds >= 0:
        raise OpsError(f"--poll-seconds: {args.poll_seconds:g} is negative; expected seconds, such as 10")
    if args.region is not None and args.region not in REGIONS:
        raise OpsError(f"--region: {args.region!r} is not an AWS region; expected one such as eu-west-1")
    settings = settings_of(args.project, args.account, tuple(STUDIO_DOMAINS))
    clients = Clients.of(target_of(args, settings, None))
    plan = find(clients, settings, args.region or settings.region)
    print(table(plan))
    if not plan.leftovers:
        return 0
    if not args.yes:
        print("nothing deleted: run again with --yes to delete them")
        return 0
    delete(plan, clients, args.timeout_minutes * 60, args.poll_seconds, print)
    print(f"deleted {len(plan.leftovers)}: pulumi destroy can proceed (with protectResources: false)")
    return 0


def add_parser(
    commands: argparse._SubParsersAction[Any], settings_of: SettingsOf, target_of: TargetOf
) -> argparse.ArgumentParser:
    """The ``teardown`` command, with ``ops.__main__``'s ``_settings`` and ``_target``."""
    command: argparse.ArgumentParser = commands.add_parser(
        "teardown", help="remove what SageMaker Studio left in a stack's VPC, before pulumi destroy"
    )
    command.add_argument("--account", required=True, help="the stack: datasci, datasci-<team>, preprod or datamgmt")
    command.add_argument("--region", help="default: the stack's aws:region")
    roles = command.add_mutually_exclusive_group()
    roles.add_argument("--role-arn", help="the role to assume in the account")
    roles.add_argument("--no-assume-role", action="store_true", help="use the ambient credentials")
    command.add_argument("--yes", action="store_true", help="delete; without it, only list what would be deleted")
    command.add_argument("--timeout-minutes", type=float, default=20.0, help="how long each step may take")
    command.add_argument("--poll-seconds", type=float, default=10.0)
    command.set_defaults(handler=functools.partial(teardown, settings_of=settings_of, target_of=target_of))
    return command
