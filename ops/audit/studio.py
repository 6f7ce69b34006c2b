"""SageMaker Studio and the VPC it lives in: VPC-only domains, endpoints, no path to the internet."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import boto3

from contracts.config import Settings
from contracts.endpoints import endpoint_service_name
from ops.audit.findings import Check, Finding, Rule

LIVE_ENDPOINT_STATES = ("available", "pending", "pendingacceptance")

VPC_ONLY = Rule("studio-vpc-only", guardrail="9", control="AWS Config sagemaker-domain-in-vpc")
ENDPOINTS = Rule("vpc-endpoints", guardrail="16", control="")
INTERNET_PATH = Rule("vpc-internet-path", guardrail="17", control="")
FLOW_LOGS = Rule("vpc-flow-logs", guardrail="18", control="EC2.6")
DEFAULT_GROUP = Rule("default-security-group", guardrail="19", control="EC2.2")
OPEN_INGRESS = Rule("open-ingress", guardrail="20", control="")


def _domains(session: boto3.Session) -> list[Mapping[str, Any]]:
    client = session.client("sagemaker")
    return [dict(client.describe_domain(DomainId=d["DomainId"])) for d in client.list_domains().get("Domains", [])]


def studio_domains(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    domains = _domains(session)
    if not domains:
        yield VPC_ONLY("Studio", False, "no domain; expected the stack's VPC-only domain")
    for domain in domains:
        mode = domain.get("AppNetworkAccessType", "PublicInternetOnly")
        yield VPC_ONLY(str(domain["DomainId"]), mode == "VpcOnly", f"AppNetworkAccessType {mode}")


def studio_vpcs(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Each Studio domain's VPC, listed once: its endpoints, no path beyond it, and its network guards."""
    ec2 = session.client("ec2")
    for vpc in sorted({str(d["VpcId"]) for d in _domains(session) if d.get("VpcId")}):
        yield from _vpc_endpoints(ec2, vpc, settings)
        yield from _internet_path(ec2, vpc)
        yield from _network_guards(ec2, vpc)


def _vpc_endpoints(ec2: Any, vpc: str, settings: Settings) -> Iterator[Finding]:
    """The configured interface endpoints, with private DNS, and S3's gateway."""
    assert settings.network is not None
    endpoints = [
        e
        for e in ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["VpcEndpoints"]
        # Deleted endpoints stay listed for a while.
        if str(e.get("State", "available")).lower() in LIVE_ENDPOINT_STATES
    ]
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
            if destination in ("0.0.0.0/0", "::/0"):
                problems.append(f"route {destination} in {table['RouteTableId']}")
    yield INTERNET_PATH(vpc, not problems, "; ".join(problems) or "no path beyond the VPC")


def _open_to_the_internet(group: Mapping[str, Any]) -> list[str]:
    """The internet-wide sources a security group admits."""
    return [
        cidr
        for permission in group.get("IpPermissions", [])
        for cidr in [
            *(r.get("CidrIp") for r in permission.get("IpRanges", [])),
            *(r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])),
        ]
        if cidr in ("0.0.0.0/0", "::/0")
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
    role: (studio_domains, studio_vpcs) for role in ("datasci", "preprod", "datamgmt")
}
