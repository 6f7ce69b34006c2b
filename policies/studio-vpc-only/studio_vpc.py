"""VPC rules of the Studio pack (guardrails 16-20 of docs/guardrails.md): the endpoints VPC-only
Studio needs, no internet path, flow logs, the default security group closed, no public ingress.

Most are stack policies: whether a VPC hosts a VPC-only domain, has flow logs, or manages its
default security group is a join of several resources. ``_Network`` makes those joins through
property dependencies first, so they work while ids are unknown (a first preview), and falls back to
matching known ids.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError
from studio_resource_types import (
    DEFAULT_ROUTE_TABLE,
    DEFAULT_SECURITY_GROUP,
    DOMAIN,
    EGRESS_ONLY_INTERNET_GATEWAY,
    FLOW_LOG,
    INTERNET_GATEWAY,
    INTERNET_GATEWAY_ATTACHMENT,
    NAT_GATEWAY,
    ROUTE,
    ROUTE_TABLE_TYPES,
    SECURITY_GROUP,
    SECURITY_GROUP_INGRESS_RULE,
    SECURITY_GROUP_RULE,
    SECURITY_GROUP_TYPES,
    STANDALONE_RULE_TYPES,
    SUBNET,
    VPC,
    VPC_ENDPOINT,
)
from studio_vpc_only_helpers import (
    Unknowns,
    by_id,
    described,
    known_id,
    of_type,
    sequence,
    setting,
    shown,
    target,
    value,
)

#: The default of studio-required-vpc-endpoints; it matches this program (policy-config.example.json).
DEFAULT_REQUIRED_ENDPOINTS = [
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
#: Short names whose service is named ``aws.sagemaker.<region>.<short>``, not ``com.amazonaws.<region>.<short>``.
SAGEMAKER_UI_SERVICES = ("studio", "notebook")


# --- joining a VPC's resources --------------------------------------------------------------------


def _list(props: Any, key: str) -> list[Any]:
    """A list property's elements; raises UnknownValueError when the list or an element is unknown."""
    return list(sequence(value(props, key)))


def _is_everywhere(cidr: Any) -> bool:
    """0.0.0.0/0, ::/0 or any other spelling of a prefix of length zero."""
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False  # not a CIDR; AWS rejects it


class _Network:
    """The stack's VPCs and what places a resource in one. A VPC is keyed by its Vpc resource's URN,
    or by its id when it is not in this stack."""

    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = resources
        self.vpcs = of_type(self.resources, VPC)
        self.vpc_by_id = by_id(self.vpcs)
        self.subnet_by_id = by_id(of_type(self.resources, SUBNET))
        # A route names a route table, or a Vpc's main or default route table through the Vpc's outputs.
        self.table_by_id = {
            **by_id(self.vpcs, "mainRouteTableId", "defaultRouteTableId"),
            **by_id(of_type(self.resources, *ROUTE_TABLE_TYPES)),
        }
        self.names = {vpc.urn: vpc.name for vpc in self.vpcs}

    def vpc_of(self, resource: PolicyResource, key: str = "vpcId") -> str | None:
        """The VPC ``resource``'s ``key`` names; raises UnknownValueError when it cannot tell."""
        found = target(resource, key, (VPC,), self.vpc_by_id)
        if isinstance(found, PolicyResource):
            return found.urn
        return found

    def label(self, vpc: str) -> str:
        return self.names.get(vpc, vpc)

    def subnet_vpc(self, resource: PolicyResource, key: str = "subnetId") -> str | None:
        """The VPC of the subnet ``resource``'s ``key`` names; None when the subnet is not in this stack."""
        subnet = target(resource, key, (SUBNET,), self.subnet_by_id)
        return self.vpc_of(subnet) if isinstance(subnet, PolicyResource) else None

    def default_route_table_vpc(self, table: PolicyResource) -> str | None:
        # A default route table has no vpcId input: it names the VPC's default route table, usually
        # through the Vpc's defaultRouteTableId output (a dependency on the Vpc); vpcId is an output.
        for dependency in table.property_dependencies.get("defaultRouteTableId", []):
            if dependency.resource_type == VPC:
                return dependency.urn
        known = known_id(table, "defaultRouteTableId")
        owner = by_id(self.vpcs, "defaultRouteTableId", "mainRouteTableId").get(known or "")
        if owner is not None:
            return owner.urn
        return self.vpc_of(table)

    def table_vpc(self, table: PolicyResource) -> str | None:
        if table.resource_type == DEFAULT_ROUTE_TABLE:
            return self.default_route_table_vpc(table)
        return self.vpc_of(table)

    def route_table_vpc(self, resource: PolicyResource, key: str = "routeTableId") -> str | None:
        """The VPC of the route table ``resource``'s ``key`` names (a Vpc's main route table counts)."""
        table = target(resource, key, (*ROUTE_TABLE_TYPES, VPC), self.table_by_id)
        if not isinstance(table, PolicyResource):
            return None
        return table.urn if table.resource_type == VPC else self.table_vpc(table)


# --- 16. studio-required-vpc-endpoints ------------------------------------------------------------


def _service(name: str, prefix: str) -> str | None:
    """``<service>`` of ``<prefix><region>.<service>``; None for another form."""
    if not name.startswith(prefix):
        return None
    region, _, service = name[len(prefix) :].partition(".")
    return service if region and service else None


def _serves(endpoint_service: str, short: str) -> bool:
    if short in SAGEMAKER_UI_SERVICES:
        return _service(endpoint_service, "aws.sagemaker.") == short
    return _service(endpoint_service, "com.amazonaws.") == short


def _pattern(short: str) -> str:
    prefix = "aws.sagemaker" if short in SAGEMAKER_UI_SERVICES else "com.amazonaws"
    return f"{prefix}.<region>.{short}"


class _Endpoint(NamedTuple):
    name: str
    service: str
    kind: str
    private_dns: Any


def _missing_endpoints(endpoints: Sequence[_Endpoint], required: Sequence[str]) -> list[str]:
    missing: list[str] = []
    for short in required:
        serving = [e for e in endpoints if _serves(e.service, short)]
        if any(e.kind == "Interface" and e.private_dns is True for e in serving):
            continue
        if not serving:
            reason = "no endpoint"
        elif all(e.kind != "Interface" for e in serving):
            reason = f"{serving[0].name} has vpcEndpointType {serving[0].kind}, not Interface"
        else:
            interface = next(e for e in serving if e.kind == "Interface")
            reason = f"privateDnsEnabled is {shown(interface.private_dns, 'false')} on {interface.name}"
        missing.append(f"{_pattern(short)} ({reason})")
    s3 = [e for e in endpoints if _serves(e.service, "s3")]
    if not any(e.kind == "Gateway" for e in s3):
        reason = f"{s3[0].name} has vpcEndpointType {s3[0].kind}, not Gateway" if s3 else "no endpoint"
        missing.append(f"{_pattern('s3')} Gateway ({reason})")
    return missing


def _required_endpoints(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    required = setting(args, "requiredEndpoints", DEFAULT_REQUIRED_ENDPOINTS)
    network = _Network(args.resources)
    by_vpc: dict[str | None, list[_Endpoint]] = {}
    # Endpoints whose VPC, service, type or DNS setting is unknown: (their VPC if known, the error).
    undecided: list[tuple[str | None, UnknownValueError]] = []
    for resource in of_type(args.resources, VPC_ENDPOINT):
        vpc: str | None = None
        try:
            vpc = network.vpc_of(resource)
            service = value(resource.props, "serviceName")
            kind = value(resource.props, "vpcEndpointType") or "Gateway"  # the AWS default
            private_dns = value(resource.props, "privateDnsEnabled") if kind == "Interface" else None
        except UnknownValueError as error:
            undecided.append((vpc, error))
            continue
        if isinstance(service, str):
            by_vpc.setdefault(vpc, []).append(_Endpoint(resource.name, service, str(kind), private_dns))
    unknowns = Unknowns()
    for domain in of_type(args.resources, DOMAIN):
        with unknowns:
            vpc = network.vpc_of(domain)
            if vpc is None:
                continue  # the provider requires vpcId
            missing = _missing_endpoints(by_vpc.get(vpc, []), required)
            if not missing:
                continue
            for place, unread in undecided:
                if place in (None, vpc):
                    raise unread  # an endpoint we could not read may be the missing one
            report_violation(
                f"{domain.name}: vpcId names VPC {network.label(vpc)}, which lacks the VPC endpoints VPC-only "
                f"Studio needs: {', '.join(missing)}; add an Interface endpoint with privateDnsEnabled true "
                "for each missing service, and a Gateway endpoint for S3.",
                domain.urn,
            )
    unknowns.reraise()


studio_required_vpc_endpoints = StackValidationPolicy(
    name="studio-required-vpc-endpoints",
    description=described(
        "The VPC of each Studio domain has Interface endpoints with private DNS for the AWS services Studio needs, "
        "and the S3 Gateway endpoint.",
        16,
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_required_endpoints,
    config_schema=PolicyConfigSchema(
        properties={
            "requiredEndpoints": {
                "type": "array",
                "items": {"type": "string"},
                "description": (
                    "Short names of the services that need an Interface endpoint with private DNS: "
                    "com.amazonaws.<region>.<name>, or aws.sagemaker.<region>.<name> for studio and notebook."
                ),
                "default": DEFAULT_REQUIRED_ENDPOINTS,
            }
        }
    ),
)


# --- 17. vpc-no-internet-path ---------------------------------------------------------------------


def _no_internet_path(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = args.resources
    network = _Network(resources)
    unknowns = Unknowns()
    hosted: dict[str, str] = {}  # VPC -> the VpcOnly domain it hosts
    for domain in of_type(resources, DOMAIN):
        with unknowns:
            if value(domain.props, "appNetworkAccessType") == "VpcOnly":
                vpc = network.vpc_of(domain)
                if vpc is not None:
                    hosted.setdefault(vpc, domain.name)

    def where(vpc: str | None) -> str | None:
        """How a message names a VPC that hosts a VpcOnly domain; None for other VPCs."""
        if vpc is None or vpc not in hosted:
            return None
        return f"VPC {network.label(vpc)}, which hosts the VpcOnly Studio domain {hosted[vpc]}"

    fix = "reach AWS services through VPC endpoints instead"
    gateways = {
        INTERNET_GATEWAY: "an internet gateway",
        INTERNET_GATEWAY_ATTACHMENT: "an internet gateway",
        EGRESS_ONLY_INTERNET_GATEWAY: "an egress-only internet gateway",
    }
    for gateway in of_type(resources, *gateways):
        with unknowns:
            if (hosts := where(network.vpc_of(gateway))) is not None:
                report_violation(
                    f"{gateway.name}: vpcId attaches {gateways[gateway.resource_type]} to {hosts}; remove it "
                    f"and {fix}.",
                    gateway.urn,
                )
    for nat in of_type(resources, NAT_GATEWAY):
        with unknowns:
            # A zonal NAT gateway lives in a subnet (joined to its VPC); a regional one names its VPC.
            # vpcId is read only when the subnet does not tell: a zonal gateway has it as an output,
            # unknown during a preview.
            prop, vpc = "subnetId", network.subnet_vpc(nat)
            if vpc is None:
                prop, vpc = "vpcId", network.vpc_of(nat)
            if (hosts := where(vpc)) is not None:
                report_violation(
                    f"{nat.name}: {prop} places a NAT gateway in {hosts}; remove the NAT gateway and {fix}.",
                    nat.urn,
                )
    for route in of_type(resources, ROUTE):
        with unknowns:
            for prop in ("destinationCidrBlock", "destinationIpv6CidrBlock"):
                cidr = value(route.props, prop)
                if _is_everywhere(cidr) and (hosts := where(network.route_table_vpc(route))) is not None:
                    report_violation(
                        f"{route.name}: {prop} {cidr} sends traffic out of {hosts}; remove the route and {fix}.",
                        route.urn,
                    )
    for table in of_type(resources, *ROUTE_TABLE_TYPES):
        with unknowns:
            # The VPC first: routes are read only for tables of a VPC that hosts a VpcOnly domain.
            if (hosts := where(network.table_vpc(table))) is None:
                continue
            for index, entry in enumerate(_list(table.props, "routes")):
                for prop in ("cidrBlock", "ipv6CidrBlock"):
                    with unknowns:
                        if _is_everywhere(cidr := value(entry, prop)):
                            report_violation(
                                f"{table.name}: routes[{index}].{prop} {cidr} sends traffic out of {hosts}; "
                                f"remove the route and {fix}.",
                                table.urn,
                            )
    unknowns.reraise()


vpc_no_internet_path = StackValidationPolicy(
    name="vpc-no-internet-path",
    description=described(
        "A VPC that hosts a VPC-only Studio domain has no internet gateway, NAT gateway or route to 0.0.0.0/0 or ::/0.",
        17,
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_internet_path,
)


# --- 18. vpc-flow-logs ---------------------------------------------------------------------------


def _vpcs_with(
    members: Iterable[PolicyResource], placed: Callable[[PolicyResource], str | None]
) -> tuple[dict[str, list[PolicyResource]], UnknownValueError | None]:
    """``members`` by the VPC ``placed(member)`` names, and the first member that could not be placed."""
    found: dict[str, list[PolicyResource]] = {}
    undecided: UnknownValueError | None = None
    for member in members:
        try:
            vpc = placed(member)
        except UnknownValueError as error:
            undecided = undecided or error
            continue
        if vpc is not None:
            found.setdefault(vpc, []).append(member)
    return found, undecided


def _flow_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    network = _Network(args.resources)
    logged, undecided = _vpcs_with(of_type(args.resources, FLOW_LOG), network.vpc_of)
    for vpc in network.vpcs:
        if vpc.urn in logged:
            continue
        if undecided is not None:
            raise undecided  # a flow log whose VPC is unknown may be this VPC's
        report_violation(
            f"{vpc.name}: vpcId of no aws:ec2/flowLog:FlowLog names this VPC, so its traffic is not logged; "
            "add a FlowLog with vpcId set to this VPC.",
            vpc.urn,
        )


vpc_flow_logs = StackValidationPolicy(
    name="vpc-flow-logs",
    description=described("Every VPC has flow logs.", 18, security_hub=["EC2.6"], checkov=["CKV2_AWS_11"]),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_flow_logs,
)


# --- 19. vpc-default-security-group-closed -------------------------------------------------------


def _default_group_closed(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = args.resources
    network = _Network(resources)
    default_groups = of_type(resources, DEFAULT_SECURITY_GROUP)
    managed, undecided = _vpcs_with(default_groups, network.vpc_of)
    for vpc in network.vpcs:
        if vpc.urn in managed:
            continue
        if undecided is not None:
            raise undecided
        report_violation(
            f"{vpc.name}: vpcId of no aws:ec2/defaultSecurityGroup:DefaultSecurityGroup names this VPC, so its "
            "default security group keeps AWS's rules (all egress, all ingress from the group itself); add a "
            "DefaultSecurityGroup for this VPC with no ingress and no egress rules.",
            vpc.urn,
        )
    unknowns = Unknowns()
    for group in default_groups:
        # A DefaultSecurityGroup without ingress or egress leaves none: when the provider adopts the
        # group it removes all its rules and creates only those listed (pulumi-aws docs of
        # ec2.DefaultSecurityGroup), so missing is as closed as an empty list.
        for prop in ("ingress", "egress"):
            with unknowns:
                rules = _list(group.props, prop)
                if rules:
                    report_violation(
                        f"{group.name}: {prop} has {len(rules)} rule(s), so the VPC's default security group "
                        f"allows traffic; set {prop} to an empty list.",
                        group.urn,
                    )
    # Rules added to the default group by separate resources open it just the same. A rule names the
    # default group through the DefaultSecurityGroup, or through its Vpc's defaultSecurityGroupId.
    groups_by_id = {
        **by_id(of_type(resources, SECURITY_GROUP)),
        **by_id(network.vpcs, "defaultSecurityGroupId"),
        **by_id(default_groups),
    }
    for rule in of_type(resources, *STANDALONE_RULE_TYPES):
        with unknowns:
            named = target(rule, "securityGroupId", (*SECURITY_GROUP_TYPES, VPC), groups_by_id)
            if isinstance(named, PolicyResource) and named.resource_type in (DEFAULT_SECURITY_GROUP, VPC):
                report_violation(
                    f"{rule.name}: securityGroupId adds a rule to the default security group of "
                    f"{named.name}; remove the rule and attach it to a dedicated security group.",
                    rule.urn,
                )
    unknowns.reraise()


vpc_default_security_group_closed = StackValidationPolicy(
    name="vpc-default-security-group-closed",
    description=described(
        "Every VPC manages its default security group and leaves it with no rules.",
        19,
        security_hub=["EC2.2"],
        checkov=["CKV2_AWS_12"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_default_group_closed,
)


# --- 20. security-group-no-public-ingress ---------------------------------------------------------

_PUBLIC_FIX = "allow only the security groups or private CIDR ranges that need access"


def _public_ingress(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props, name = args.props, args.name
    unknowns = Unknowns()
    if args.resource_type == SECURITY_GROUP:
        with unknowns:
            for index, rule in enumerate(_list(props, "ingress")):
                for prop in ("cidrBlocks", "ipv6CidrBlocks"):
                    with unknowns:
                        for cidr in _list(rule, prop):
                            if _is_everywhere(cidr):
                                report_violation(
                                    f"{name}: ingress[{index}].{prop} includes {cidr}, which opens the group to "
                                    f"the whole internet; {_PUBLIC_FIX}.",
                                    None,
                                )
    elif args.resource_type == SECURITY_GROUP_INGRESS_RULE:
        for prop in ("cidrIpv4", "cidrIpv6"):
            with unknowns:
                cidr = value(props, prop)
                if _is_everywhere(cidr):
                    report_violation(
                        f"{name}: {prop} is {cidr}, which opens the group to the whole internet; {_PUBLIC_FIX}.",
                        None,
                    )
    elif args.resource_type == SECURITY_GROUP_RULE:
        for prop in ("cidrBlocks", "ipv6CidrBlocks"):
            with unknowns:
                public = [cidr for cidr in _list(props, prop) if _is_everywhere(cidr)]
                # The rule's type is read only when it matters: an egress rule may go anywhere.
                if public and value(props, "type") == "ingress":
                    report_violation(
                        f"{name}: {prop} includes {public[0]} on an ingress rule, which opens the group to the "
                        f"whole internet; {_PUBLIC_FIX}.",
                        None,
                    )
    unknowns.reraise()


security_group_no_public_ingress = ResourceValidationPolicy(
    name="security-group-no-public-ingress",
    description=described("No security group allows ingress from 0.0.0.0/0 or ::/0.", 20),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_public_ingress,
)


POLICIES = [
    studio_required_vpc_endpoints,
    vpc_no_internet_path,
    vpc_flow_logs,
    vpc_default_security_group_closed,
    security_group_no_public_ingress,
]
