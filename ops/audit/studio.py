"""SageMaker Studio and the VPC it lives in: VPC-only domains on the platform's subnets, security
groups and key, profiles and spaces that keep the domain's network, notebook instances, and the
VPC's endpoints (and their policies), no path beyond it, no peering."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from contracts import naming
from contracts.config import Settings
from contracts.endpoints import (
    PACKAGE_MIRROR_ENDPOINTS,
    PACKAGE_MIRROR_READ_ACTIONS,
    S3_GATEWAY_ACTIONS,
    endpoint_service_name,
)
from ops.audit.findings import Check, Finding, Rule, pages, read_once, statements, strings

LIVE_ENDPOINT_STATES = ("available", "pending", "pendingacceptance")
#: Peering connections that carry, or are about to carry, traffic.
LIVE_PEERING_STATES = ("initiating-request", "pending-acceptance", "provisioning", "active")
ANYWHERE = ("0.0.0.0/0", "::/0")

VPC_ONLY = Rule("studio-vpc-only", guardrail="9", control="sagemaker-domain-in-vpc")
DOMAIN_SUBNETS = Rule("studio-domain-subnets", guardrail="10", control="")
DOMAIN_GROUPS = Rule("studio-domain-security-groups", guardrail="10", control="")
DOMAIN_KEY = Rule("studio-domain-kms", guardrail="11", control="")
PROFILE_GROUPS = Rule("studio-profile-security-groups", guardrail="10", control="")
SPACE_NETWORK = Rule("studio-space-network", guardrail="10", control="")
NOTEBOOK_INTERNET = Rule("notebook-direct-internet", guardrail="12", control="SageMaker.1")
NOTEBOOK_VPC = Rule("notebook-in-vpc", guardrail="12", control="SageMaker.2")
NOTEBOOK_ROOT = Rule("notebook-root-access", guardrail="12", control="SageMaker.3")
NOTEBOOK_KEY = Rule("notebook-kms", guardrail="12", control="")
MODEL_ISOLATION = Rule("sagemaker-model-network-isolation", guardrail="13", control="SageMaker.5")
MODEL_VPC = Rule("sagemaker-model-in-vpc", guardrail="13", control="")
ENDPOINT_CONFIG_KEY = Rule("sagemaker-endpoint-config-kms", guardrail="14", control="")
ENDPOINTS = Rule("vpc-endpoints", guardrail="16", control="")
ENDPOINT_POLICIES = Rule("vpc-endpoint-policies", guardrail="16", control="")
INTERNET_PATH = Rule("vpc-internet-path", guardrail="17", control="")
PEERING = Rule("vpc-peering", guardrail="17", control="")
FLOW_LOGS = Rule("vpc-flow-logs", guardrail="18", control="EC2.6")
DEFAULT_GROUP = Rule("default-security-group", guardrail="19", control="EC2.2")
# EC2.18 (AWS Config vpc-sg-open-only-to-authorized-ports) with no authorized port: what guardrail 20 asks.
OPEN_INGRESS = Rule("open-ingress", guardrail="20", control="EC2.18")

#: What the CodeArtifact endpoints' policy lets through (components/policy_documents.py
#: package_mirror_endpoint_policy): reading the mirror, and bearer tokens for CodeArtifact only.
MIRROR_ACTIONS = frozenset({*PACKAGE_MIRROR_READ_ACTIONS, "sts:GetServiceBearerToken"})
#: What the S3 gateway endpoint's policy lets through (policy_documents.s3_gateway_endpoint_policy).
GATEWAY_ACTIONS = frozenset(S3_GATEWAY_ACTIONS)


def _domains(session: boto3.Session) -> list[Mapping[str, Any]]:
    def read() -> list[Mapping[str, Any]]:
        client = session.client("sagemaker")
        return [dict(client.describe_domain(DomainId=d["DomainId"])) for d in pages(client, "list_domains", "Domains")]

    return read_once(session, "sagemaker:domains", read)


@dataclass(frozen=True)
class Platform:
    """What the stack deployed that the audit recognises resources by: the VPC of the configured
    CIDR, its subnets of the configured CIDRs, the Studio security group (by the Name tag
    components/network.py gives it) and the account key (by its alias, components/accounts/foundation.py)."""

    vpcs: frozenset[str]
    subnets: frozenset[str]
    studio_groups: frozenset[str]
    #: Ways a resource may name the key (id, ARN, alias name and ARN); empty when the alias is gone.
    key_names: frozenset[str]
    key_alias: str
    studio_group_name: str

    def names_key(self, key: str | None) -> bool:
        return bool(key) and key in self.key_names


def studio_group_name(settings: Settings) -> str:
    """The Name tag of the Studio security group: PrivateNetwork ``<account component>-network``
    (the component is named after the account role, __main__.py) tags it ``<network>-studio-sg``."""
    return f"{settings.role}-network-studio-sg"


def key_alias(settings: Settings) -> str:
    return f"alias/{naming.physical_name(settings.role, 'data')}"


def platform(session: boto3.Session, settings: Settings) -> Platform:
    return read_once(session, "platform", lambda: _read_platform(session, settings))


def _read_platform(session: boto3.Session, settings: Settings) -> Platform:
    assert settings.network is not None
    ec2 = session.client("ec2")
    vpcs = frozenset(
        str(vpc["VpcId"])
        for vpc in ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": [settings.network.vpc_cidr]}])["Vpcs"]
        if vpc.get("CidrBlock") == settings.network.vpc_cidr
    )
    in_vpcs: Any = [{"Name": "vpc-id", "Values": sorted(vpcs)}]
    subnets = frozenset(
        str(subnet["SubnetId"])
        for subnet in (ec2.describe_subnets(Filters=in_vpcs)["Subnets"] if vpcs else [])
        if subnet.get("CidrBlock") in settings.network.subnet_cidrs
    )
    name = studio_group_name(settings)
    groups = frozenset(
        str(group["GroupId"])
        for group in (
            ec2.describe_security_groups(Filters=[*in_vpcs, {"Name": "tag:Name", "Values": [name]}])["SecurityGroups"]
            if vpcs
            else []
        )
    )
    alias = key_alias(settings)
    kms = session.client("kms")
    try:
        key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    except kms.exceptions.NotFoundException:
        key = {}
    usable = key.get("KeyManager") == "CUSTOMER" and key.get("KeyState") == "Enabled"
    alias_arn = f"arn:{settings.partition}:kms:{settings.region}:{settings.account_id}:{alias}"
    names = frozenset({str(key["KeyId"]), str(key["Arn"]), alias, alias_arn}) if usable else frozenset()
    return Platform(vpcs, subnets, groups, names, alias, name)


def _outside(found: Sequence[str], allowed: frozenset[str]) -> list[str]:
    return [item for item in found if item not in allowed]


def studio_domains(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Each domain: VPC-only, on the platform's VPC and subnets, giving apps and spaces the Studio
    security group only, and storing its volumes under the account key."""
    domains = _domains(session)
    if not domains:
        yield VPC_ONLY("Studio", False, "no domain; expected the stack's VPC-only domain")
        return
    ours = platform(session, settings)
    for domain in domains:
        name = str(domain["DomainId"])
        mode = domain.get("AppNetworkAccessType", "PublicInternetOnly")
        yield VPC_ONLY(name, mode == "VpcOnly", f"AppNetworkAccessType {mode}")
        yield _domain_subnets(name, domain, ours)
        yield _domain_groups(name, domain, ours)
        yield _key_finding(DOMAIN_KEY, name, domain.get("KmsKeyId"), ours)


def _key_finding(rule: Rule, name: str, key: str | None, ours: Platform) -> Finding:
    """Whether ``key`` is the account key the platform encrypts with (unset: AWS-managed)."""
    if ours.names_key(key):
        return rule(name, True, f"encrypted with the platform key {ours.key_alias}")
    if not ours.key_names:
        return rule(name, False, f"the platform key {ours.key_alias} is missing or not an enabled customer key")
    if not key:
        return rule(name, False, "no KMS key: AWS-managed encryption")
    return rule(name, False, f"encrypted with {key}, not the platform key {ours.key_alias}")


def _domain_subnets(name: str, domain: Mapping[str, Any], ours: Platform) -> Finding:
    vpc = str(domain.get("VpcId") or "")
    subnets = [str(s) for s in domain.get("SubnetIds") or []]
    if vpc not in ours.vpcs:
        return DOMAIN_SUBNETS(name, False, f"in VPC {vpc or 'none'}, not the platform VPC")
    if not subnets:
        return DOMAIN_SUBNETS(name, False, "no subnet")
    outside = _outside(subnets, ours.subnets)
    return DOMAIN_SUBNETS(
        name,
        not outside,
        f"subnet {', '.join(outside)} is not a platform subnet" if outside else f"{len(subnets)} platform subnets",
    )


def _domain_groups(name: str, domain: Mapping[str, Any], ours: Platform) -> Finding:
    if not ours.studio_groups:
        return DOMAIN_GROUPS(name, False, f"the stack's security group {ours.studio_group_name} is missing")
    users = [str(g) for g in (domain.get("DefaultUserSettings") or {}).get("SecurityGroups") or []]
    spaces = [str(g) for g in (domain.get("DefaultSpaceSettings") or {}).get("SecurityGroups") or []]
    problems = [
        f"{where} {', '.join(outside)}, not the platform's Studio group"
        for where, groups in (("apps get", users), ("spaces get", spaces))
        if (outside := _outside(groups, ours.studio_groups))
    ]
    if not set(users) & ours.studio_groups:
        problems.append(f"apps do not get {ours.studio_group_name}")
    return DOMAIN_GROUPS(name, not problems, "; ".join(problems) or f"only {ours.studio_group_name}")


def studio_profiles(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """User profiles add no security group beyond their domain's (SageMaker adds a profile's groups
    to the domain's), and no space opens itself to remote access from outside the VPC (a space has
    no security groups of its own: it takes the domain's)."""
    client = session.client("sagemaker")
    for domain in _domains(session):
        domain_id = str(domain["DomainId"])
        try:
            yield from _profiles_and_spaces(client, domain_id, domain)
        except ClientError as error:
            # The auditor may lack sagemaker:ListUserProfiles and the like: say so, and go on.
            code = error.response.get("Error", {}).get("Code", "an error")
            yield PROFILE_GROUPS(domain_id, False, f"could not read its profiles and spaces: {code}")


def _profiles_and_spaces(client: Any, domain_id: str, domain: Mapping[str, Any]) -> Iterator[Finding]:
    allowed = frozenset(str(g) for g in (domain.get("DefaultUserSettings") or {}).get("SecurityGroups") or [])
    profiles = pages(client, "list_user_profiles", "UserProfiles", DomainIdEquals=domain_id)
    for listed in profiles:
        profile = client.describe_user_profile(DomainId=domain_id, UserProfileName=listed["UserProfileName"])
        groups = [str(g) for g in (profile.get("UserSettings") or {}).get("SecurityGroups") or []]
        outside = _outside(groups, allowed)
        yield PROFILE_GROUPS(
            f"{domain_id}/{listed['UserProfileName']}",
            not outside,
            f"adds {', '.join(outside)}, beyond the domain's security groups"
            if outside
            else "the domain's security groups only",
        )
    if not profiles:
        yield PROFILE_GROUPS(domain_id, True, "no user profile")
    for listed in pages(client, "list_spaces", "Spaces", DomainIdEquals=domain_id):
        space = client.describe_space(DomainId=domain_id, SpaceName=listed["SpaceName"])
        remote = (space.get("SpaceSettings") or {}).get("RemoteAccess", "DISABLED")
        yield SPACE_NETWORK(
            f"{domain_id}/{listed['SpaceName']}",
            remote != "ENABLED",
            "remote access ENABLED: reachable from an IDE outside the VPC"
            if remote == "ENABLED"
            else "the domain's network, no remote access",
        )


def notebook_instances(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Notebook instances (the stack deploys none; a console user can create one): no direct
    internet access, in a platform subnet, no root access, storage under the account key."""
    client = session.client("sagemaker")
    names = [str(n["NotebookInstanceName"]) for n in pages(client, "list_notebook_instances", "NotebookInstances")]
    if not names:
        for rule in (NOTEBOOK_INTERNET, NOTEBOOK_VPC, NOTEBOOK_ROOT, NOTEBOOK_KEY):
            yield rule("notebook instances", True, "no notebook instance")
        return
    ours = platform(session, settings)
    for name in names:
        notebook = client.describe_notebook_instance(NotebookInstanceName=name)
        internet = notebook.get("DirectInternetAccess", "Enabled")
        yield NOTEBOOK_INTERNET(name, internet == "Disabled", f"direct internet access {internet}")
        subnet = notebook.get("SubnetId")
        yield NOTEBOOK_VPC(
            name,
            subnet in ours.subnets,
            f"in platform subnet {subnet}"
            if subnet in ours.subnets
            else f"in subnet {subnet}, not a platform subnet"
            if subnet
            else "in no VPC: SageMaker's network",
        )
        root = notebook.get("RootAccess", "Enabled")
        yield NOTEBOOK_ROOT(name, root == "Disabled", f"root access {root}")
        yield _key_finding(NOTEBOOK_KEY, name, notebook.get("KmsKeyId"), ours)


def models(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """SageMaker models and endpoint configurations (the platform creates none, training registers
    model packages; someone may create one by hand): models network-isolated, in platform subnets;
    endpoint configurations' storage under the account key."""
    client = session.client("sagemaker")
    names = [str(m["ModelName"]) for m in pages(client, "list_models", "Models")]
    configurations = [str(c["EndpointConfigName"]) for c in pages(client, "list_endpoint_configs", "EndpointConfigs")]
    if not names:
        for rule in (MODEL_ISOLATION, MODEL_VPC):
            yield rule("SageMaker models", True, "no model")
    if not configurations:
        yield ENDPOINT_CONFIG_KEY("endpoint configurations", True, "no endpoint configuration")
    if not names and not configurations:
        return
    ours = platform(session, settings)
    for name in names:
        model = client.describe_model(ModelName=name)
        isolated = bool(model.get("EnableNetworkIsolation"))
        yield MODEL_ISOLATION(name, isolated, "network-isolated" if isolated else "network isolation off")
        subnets = [str(s) for s in (model.get("VpcConfig") or {}).get("Subnets", [])]
        outside = _outside(subnets, ours.subnets)
        yield MODEL_VPC(
            name,
            bool(subnets) and not outside,
            f"subnet {', '.join(outside)} is not a platform subnet"
            if outside
            else f"{len(subnets)} platform subnets"
            if subnets
            else "in no VPC: SageMaker's network",
        )
    for name in configurations:
        configuration = client.describe_endpoint_config(EndpointConfigName=name)
        yield _key_finding(ENDPOINT_CONFIG_KEY, name, configuration.get("KmsKeyId"), ours)


def studio_vpcs(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Each Studio domain's VPC, listed once: its endpoints and their policies, no path beyond it,
    and its network guards."""
    ec2 = session.client("ec2")
    vpcs = sorted({str(d["VpcId"]) for d in _domains(session) if d.get("VpcId")})
    peerings = pages(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections") if vpcs else []
    for vpc in vpcs:
        endpoints = [
            e
            for e in pages(ec2, "describe_vpc_endpoints", "VpcEndpoints", Filters=[{"Name": "vpc-id", "Values": [vpc]}])
            # Deleted endpoints stay listed for a while.
            if str(e.get("State", "available")).lower() in LIVE_ENDPOINT_STATES
        ]
        yield from _vpc_endpoints(endpoints, vpc, settings)
        yield from _endpoint_policies(endpoints, settings)
        yield from _internet_path(ec2, vpc)
        yield from _peering(peerings, vpc)
        yield from _network_guards(ec2, vpc)


def _vpc_endpoints(endpoints: list[Any], vpc: str, settings: Settings) -> Iterator[Finding]:
    """The configured interface endpoints, with private DNS, and S3's gateway."""
    assert settings.network is not None
    interface = {
        e["ServiceName"] for e in endpoints if e.get("VpcEndpointType") == "Interface" and e.get("PrivateDnsEnabled")
    }
    gateway = {e["ServiceName"] for e in endpoints if e.get("VpcEndpointType") == "Gateway"}
    missing = [
        name
        for name in settings.network.interface_endpoints
        if endpoint_service_name(settings.region, name) not in interface
    ]
    if endpoint_service_name(settings.region, "s3") not in gateway:
        missing.append("s3 (gateway)")
    yield ENDPOINTS(
        vpc,
        not missing,
        f"missing {', '.join(missing)}" if missing else "all present with private DNS",
    )


def _policy(document: str | None) -> Mapping[str, Any] | None:
    """An endpoint's policy document, parsed; None when it is not a JSON object."""
    try:
        policy = json.loads(document or "")
    except ValueError:
        return None
    return policy if isinstance(policy, Mapping) else None


def _policy_problems(
    policy: Mapping[str, Any] | None,
    actions: frozenset[str],
    resource_allowed: Callable[[str], bool],
    principal: str | None,
) -> list[str]:
    """How an endpoint policy lets through more than the stack's: AWS's default full access, or an
    Allow beyond ``actions``, beyond the resources ``resource_allowed`` accepts, or (with
    ``principal``, the account root the stack names) to anyone else."""
    if policy is None:
        return ["no readable policy"]
    problems: list[str] = []
    for statement in statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        granted = strings(statement.get("Action"))
        on = strings(statement.get("Resource"))
        if "NotAction" in statement or "NotResource" in statement or ("*" in granted and "*" in on):
            problems.append("full access (AWS's default policy)")
            continue
        problems += [f"allows {action}" for action in granted if action not in actions]
        problems += [f"on {resource}" for resource in on if not resource_allowed(resource)]
        who = statement.get("Principal")
        named = who.get("AWS") if isinstance(who, Mapping) else who
        if principal is not None and strings(named) != [principal]:
            problems.append(f"to {named}")
    return list(dict.fromkeys(problems))


def _endpoint_policies(endpoints: list[Any], settings: Settings) -> Iterator[Finding]:
    """Where the stack narrows an endpoint's policy (components/accounts/foundation.py): the S3
    gateway reaches the platform's buckets and ECR's layers only; with a package mirror, the
    CodeArtifact endpoints let this account's principals read the mirror only."""
    partition, region = settings.partition, settings.region
    buckets = f"arn:{partition}:s3:::{naming.PREFIX}-{settings.role}-"
    layers = f"arn:{partition}:s3:::prod-{region}-starport-layer-bucket/*"

    def platform_bucket(resource: str) -> bool:
        return resource.startswith(buckets) or resource == layers

    narrowed: dict[str, tuple[frozenset[str], Callable[[str], bool], str | None]] = {
        endpoint_service_name(region, "s3"): (GATEWAY_ACTIONS, platform_bucket, None)
    }
    mirror = settings.package_mirror
    if mirror is not None:
        mirror_arns = {mirror.domain_arn(partition), mirror.repository_arn(partition), "*"}
        root = f"arn:{partition}:iam::{settings.account_id}:root"
        for name in PACKAGE_MIRROR_ENDPOINTS:
            narrowed[endpoint_service_name(region, name)] = (MIRROR_ACTIONS, mirror_arns.__contains__, root)
    for endpoint in endpoints:
        if endpoint.get("ServiceName") not in narrowed:
            continue
        actions, allowed, principal = narrowed[endpoint["ServiceName"]]
        policy = _policy(endpoint.get("PolicyDocument"))
        problems = _policy_problems(policy, actions, allowed, principal)
        # "*" is the resource of the bearer-token statement only, which its condition narrows.
        problems += _unconditioned_token(policy) if principal and policy is not None else []
        short = str(endpoint["ServiceName"]).removeprefix(f"com.amazonaws.{region}.")
        yield ENDPOINT_POLICIES(
            f"{endpoint['VpcEndpointId']} ({short})",
            not problems,
            "; ".join(problems) or "as narrow as the stack's",
        )


def _unconditioned_token(policy: Mapping[str, Any]) -> list[str]:
    """A statement on every resource ("*") that is not the bearer-token one narrowed to CodeArtifact."""
    return [
        "allows on * beyond CodeArtifact's bearer token"
        for statement in statements(policy)
        if statement.get("Effect") == "Allow"
        and "*" in strings(statement.get("Resource"))
        and (
            strings(statement.get("Action")) != ["sts:GetServiceBearerToken"]
            or "sts:AWSServiceName" not in json.dumps(statement.get("Condition", {}))
        )
        and "*" not in strings(statement.get("Action"))
    ]


def _internet_path(ec2: Any, vpc: str) -> Iterator[Finding]:
    """No internet gateway, no NAT gateway and no route to anywhere beyond the VPC."""
    in_vpc: Any = [{"Name": "vpc-id", "Values": [vpc]}]
    problems = [
        f"internet gateway {gateway['InternetGatewayId']}"
        for gateway in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}]).get(
            "InternetGateways", []
        )
    ]
    problems += [
        f"NAT gateway {nat['NatGatewayId']}"
        for nat in ec2.describe_nat_gateways(Filters=in_vpc).get("NatGateways", [])
        if nat.get("State") not in ("deleted", "deleting", "failed")
    ]
    for table in ec2.describe_route_tables(Filters=in_vpc).get("RouteTables", []):
        for route in table.get("Routes", []):
            destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
            if destination in ANYWHERE:
                problems.append(f"route {destination} in {table['RouteTableId']}")
    yield INTERNET_PATH(vpc, not problems, "; ".join(problems) or "no path beyond the VPC")


def _peering(peerings: list[Any], vpc: str) -> Iterator[Finding]:
    """No peering connection, requested, pending or active: the stacks create none, and configure
    no VPC a Studio VPC may peer with."""
    found = False
    for peering in peerings:
        state = str((peering.get("Status") or {}).get("Code", ""))
        if state not in LIVE_PEERING_STATES:
            continue
        requester, accepter = peering.get("RequesterVpcInfo") or {}, peering.get("AccepterVpcInfo") or {}
        if vpc not in (requester.get("VpcId"), accepter.get("VpcId")):
            continue
        other = accepter if requester.get("VpcId") == vpc else requester
        found = True
        yield PEERING(
            vpc,
            False,
            f"peered with {other.get('VpcId')} of {other.get('OwnerId')} "
            f"({peering['VpcPeeringConnectionId']}, {state}), not a platform VPC",
        )
    if not found:
        yield PEERING(vpc, True, "no peering connection")


def _open_to_the_internet(group: Mapping[str, Any]) -> list[str]:
    """The internet-wide sources a security group admits."""
    return [
        cidr
        for permission in group.get("IpPermissions", [])
        for cidr in [
            *(r.get("CidrIp") for r in permission.get("IpRanges", [])),
            *(r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])),
        ]
        if cidr in ANYWHERE
    ]


def _network_guards(ec2: Any, vpc: str) -> Iterator[Finding]:
    """Flow logs on, the default security group closed, and no security group admitting the whole internet."""
    flows = [
        f
        for f in ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}]).get("FlowLogs", [])
        if f.get("FlowLogStatus", "ACTIVE") == "ACTIVE"
    ]
    yield FLOW_LOGS(vpc, bool(flows), "logging" if flows else "no active flow log")
    in_vpc: Any = [{"Name": "vpc-id", "Values": [vpc]}]
    groups = ec2.describe_security_groups(Filters=in_vpc).get("SecurityGroups", [])
    for group in groups:
        if group.get("GroupName") == "default":
            rules = len(group.get("IpPermissions", [])) + len(group.get("IpPermissionsEgress", []))
            yield DEFAULT_GROUP(str(group["GroupId"]), not rules, f"{rules} rules" if rules else "closed")
    open_groups = [(str(g["GroupId"]), sources) for g in groups if (sources := _open_to_the_internet(g))]
    for group_id, sources in open_groups:
        yield OPEN_INGRESS(group_id, False, f"ingress from {', '.join(sources)}")
    if not open_groups:
        yield OPEN_INGRESS(vpc, True, "no security group admits the internet")


#: Which checks of this module apply to which account role.
CHECKS: dict[str, tuple[Check, ...]] = {
    role: (studio_domains, studio_profiles, notebook_instances, models, studio_vpcs)
    for role in ("datasci", "preprod", "datamgmt")
}
