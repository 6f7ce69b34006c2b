"""Audit a live account against the guardrails the program deploys: the drift the policy packs cannot
see, because someone changed the account by hand after ``pulumi up``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from contracts import naming
from contracts.config import FEATURES_DATABASE, Settings
from contracts.endpoints import endpoint_service_name

IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"
LIVE_ENDPOINT_STATES = ("available", "pending", "pendingacceptance")
PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


@dataclass(frozen=True)
class Finding:
    check: str
    resource: str
    ok: bool
    detail: str

    @property
    def guardrail(self) -> str:
        """The guardrail (docs/guardrails.md) the check watches, or "" for a setting of the platform's own."""
        return GUARDRAILS[self.check][0]

    @property
    def control(self) -> str:
        """The Security Hub control that checks the same, where one exists."""
        return GUARDRAILS[self.check][1]


#: Each check's guardrail (docs/guardrails.md, by number) and the AWS Security Hub control
#: (Foundational Security Best Practices) that checks the same thing, where there is one:
#: https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-standards-fsbp-controls.html
GUARDRAILS: dict[str, tuple[str, str]] = {
    "lake-formation-defaults": ("1", ""),
    "lake-formation-admins": ("2", ""),
    "lake-formation-iam-allowed": ("3", ""),
    "glue-catalog-encryption": ("7", ""),
    "lake-location": ("6", ""),
    "studio-vpc-only": ("9", ""),
    "vpc-endpoints": ("16", ""),
    "vpc-internet-path": ("17", ""),
    "vpc-flow-logs": ("18", "EC2.6"),
    "default-security-group": ("19", "EC2.2"),
    "open-ingress": ("20", ""),
    "buckets": ("21", ""),
    "bucket-public-access-block": ("21", "S3.8"),
    "bucket-encryption": ("22", "S3.17"),
    "kms-key-rotation": ("25", "KMS.4"),
    "kms-key-policy": ("25", ""),
    "training-workgroup": ("", ""),
}


Check = Callable[[boto3.Session, Settings], Iterator[Finding]]


def lake_formation_settings(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    lf: dict[str, Any] = dict(session.client("lakeformation").get_data_lake_settings()["DataLakeSettings"])
    for key in ("CreateDatabaseDefaultPermissions", "CreateTableDefaultPermissions"):
        holders = [p["Principal"]["DataLakePrincipalIdentifier"] for p in lf.get(key, [])]
        ok = IAM_ALLOWED_PRINCIPALS not in holders
        yield Finding("lake-formation-defaults", key, ok, "no IAM_ALLOWED_PRINCIPALS" if ok else f"grants to {holders}")
    admins = sorted(a["DataLakePrincipalIdentifier"] for a in lf.get("DataLakeAdmins", []))
    expected = sorted(settings.lake_formation_admins)
    yield Finding(
        "lake-formation-admins",
        "DataLakeAdmins",
        admins == expected,
        "as configured" if admins == expected else f"{admins}; expected {expected}",
    )


def _catalog_resource(resource: Mapping[str, Any]) -> str:
    """A Lake Formation grant's database or table, as DATABASE[.TABLE]."""
    table = resource.get("Table") or {}
    database = (resource.get("Database") or {}).get("Name") or table.get("DatabaseName")
    name = table.get("Name") or ("*" if table.get("TableWildcard") is not None else None)
    return ".".join(str(part) for part in (database, name) if part) or "a catalog resource"


def iam_allowed_grants(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """No database or table is granted to IAM_ALLOWED_PRINCIPALS: Lake Formation decides, not IAM."""
    listed: list[Any] = session.client("lakeformation").list_permissions().get("PrincipalResourcePermissions", [])
    granted = sorted(
        {
            _catalog_resource(grant.get("Resource", {}))
            for grant in listed
            if grant.get("Principal", {}).get("DataLakePrincipalIdentifier") == IAM_ALLOWED_PRINCIPALS
        }
    )
    yield Finding(
        "lake-formation-iam-allowed",
        "catalog",
        not granted,
        f"granted on {', '.join(granted)}" if granted else f"nothing granted to {IAM_ALLOWED_PRINCIPALS}",
    )


def catalog_encryption(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """The Glue Data Catalog's metadata and connection passwords are encrypted with a KMS key."""
    found = session.client("glue").get_data_catalog_encryption_settings().get("DataCatalogEncryptionSettings", {})
    at_rest = found.get("EncryptionAtRest", {})
    passwords = found.get("ConnectionPasswordEncryption", {})
    problems = [
        problem
        for problem, bad in (
            (
                "metadata not SSE-KMS",
                at_rest.get("CatalogEncryptionMode") != "SSE-KMS" or not at_rest.get("SseAwsKmsKeyId"),
            ),
            ("connection passwords not encrypted", not passwords.get("ReturnConnectionPasswordEncrypted")),
        )
        if bad
    ]
    yield Finding("glue-catalog-encryption", settings.account_id, not problems, "; ".join(problems) or "SSE-KMS")


def registered_locations(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    registered = {
        r["ResourceArn"]: r for r in session.client("lakeformation").list_resources().get("ResourceInfoList", [])
    }
    for database in (*settings.lake.databases, FEATURES_DATABASE):
        bucket = naming.bucket_name(settings.role, database.replace("_", "-"), settings.account_id, settings.region)
        arn = f"arn:{settings.partition}:s3:::{bucket}"
        info = registered.get(arn)
        if info is None:
            yield Finding("lake-location", bucket, False, "not registered with Lake Formation")
            continue
        role = str(info.get("RoleArn", ""))
        problems = [
            problem
            for problem, bad in (
                ("registered with the service-linked role", not role or "aws-service-role" in role),
                ("hybrid access enabled", bool(info.get("HybridAccessEnabled"))),
            )
            if bad
        ]
        yield Finding("lake-location", bucket, not problems, "; ".join(problems) or f"registered with {role}")


def _domains(session: boto3.Session) -> list[Mapping[str, Any]]:
    client = session.client("sagemaker")
    return [dict(client.describe_domain(DomainId=d["DomainId"])) for d in client.list_domains().get("Domains", [])]


def studio_domains(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    domains = _domains(session)
    if not domains:
        yield Finding("studio-vpc-only", "Studio", False, "no domain; expected the stack's VPC-only domain")
    for domain in domains:
        mode = domain.get("AppNetworkAccessType", "PublicInternetOnly")
        yield Finding("studio-vpc-only", str(domain["DomainId"]), mode == "VpcOnly", f"AppNetworkAccessType {mode}")


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
    yield Finding(
        "vpc-endpoints",
        vpc,
        not missing,
        f"missing {', '.join(missing)}" if missing else "all present with private DNS",
    )


def buckets(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    s3 = session.client("s3")
    prefix = f"{naming.PREFIX}-{settings.role}-"
    names = sorted(b["Name"] for b in s3.list_buckets().get("Buckets", []) if b["Name"].startswith(prefix))
    if not names:
        yield Finding("buckets", prefix + "*", False, "no platform bucket; expected the stack's buckets")
    for name in names:
        try:
            block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
            off = [flag for flag in PUBLIC_ACCESS_FLAGS if not block.get(flag)]
        except ClientError:
            off = list(PUBLIC_ACCESS_FLAGS)
        yield Finding("bucket-public-access-block", name, not off, f"off: {', '.join(off)}" if off else "all four on")
        try:
            rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
            algorithm: str = rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]
        except (ClientError, KeyError, IndexError):
            algorithm = "none"
        # S3 delivers server access logs only to SSE-S3 buckets.
        allowed = (
            ("aws:kms", "aws:kms:dsse", "AES256")
            if name.startswith(f"{prefix}access-logs-")
            else ("aws:kms", "aws:kms:dsse")
        )
        yield Finding("bucket-encryption", name, algorithm in allowed, algorithm)


def _anyone(principal: Any) -> bool:
    """Whether a policy principal is everyone: ``"*"``, or ``"*"`` among its AWS principals."""
    if principal == "*":
        return True
    named = principal.get("AWS", []) if isinstance(principal, Mapping) else []
    return "*" in ([named] if isinstance(named, str) else named)


def kms_keys(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Every enabled symmetric customer key of the account rotates (AWS-managed keys rotate by
    themselves), and its policy lets nobody in with a wildcard principal outside a condition."""
    kms = session.client("kms")
    for listed in kms.list_keys().get("Keys", []):
        key = kms.describe_key(KeyId=listed["KeyId"])["KeyMetadata"]
        if key.get("KeyManager") != "CUSTOMER" or key.get("KeyState") != "Enabled":
            continue
        if key.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or key.get("Origin") != "AWS_KMS":
            continue
        rotating = bool(kms.get_key_rotation_status(KeyId=key["KeyId"]).get("KeyRotationEnabled"))
        yield Finding("kms-key-rotation", str(key["Arn"]), rotating, "rotates" if rotating else "rotation off")
        policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
        statements = policy.get("Statement", [])
        anyone = [
            str(statement.get("Sid", index))
            for index, statement in enumerate(statements if isinstance(statements, list) else [statements])
            if statement.get("Effect") == "Allow"
            and _anyone(statement.get("Principal"))
            and not statement.get("Condition")
        ]
        yield Finding(
            "kms-key-policy",
            str(key["Arn"]),
            not anyone,
            f"anyone allowed, unconditionally, by {', '.join(anyone)}" if anyone else "no unconditional wildcard",
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
    yield Finding("vpc-internet-path", vpc, not problems, "; ".join(problems) or "no path beyond the VPC")


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
    yield Finding("vpc-flow-logs", vpc, bool(flows), "logging" if flows else "no active flow log")
    in_vpc: Any = [{"Name": "vpc-id", "Values": [vpc]}]
    groups = ec2.describe_security_groups(Filters=in_vpc).get("SecurityGroups", [])
    for group in groups:
        if group.get("GroupName") == "default":
            rules = len(group.get("IpPermissions", [])) + len(group.get("IpPermissionsEgress", []))
            yield Finding(
                "default-security-group", str(group["GroupId"]), not rules, f"{rules} rules" if rules else "closed"
            )
    open_groups = [(str(g["GroupId"]), sources) for g in groups if (sources := _open_to_the_internet(g))]
    for group_id, sources in open_groups:
        yield Finding("open-ingress", group_id, False, f"ingress from {', '.join(sources)}")
    if not open_groups:
        yield Finding("open-ingress", vpc, True, "no security group admits the internet")


def training_workgroup(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Training datasets' query results stay in the training bucket, encrypted with the account key."""
    name = naming.training_workgroup(settings.role)
    try:
        group = session.client("athena").get_work_group(WorkGroup=name).get("WorkGroup")
    except ClientError:
        group = None
    if not group:
        yield Finding("training-workgroup", name, False, "missing; expected the stack's Athena workgroup")
        return
    configuration = group.get("Configuration", {})
    encryption = configuration.get("ResultConfiguration", {}).get("EncryptionConfiguration", {})
    problems = [
        problem
        for problem, bad in (
            ("queries may override its settings", not configuration.get("EnforceWorkGroupConfiguration")),
            ("results not encrypted with KMS", encryption.get("EncryptionOption") not in ("SSE_KMS", "CSE_KMS")),
        )
        if bad
    ]
    yield Finding("training-workgroup", name, not problems, "; ".join(problems) or "enforced, results SSE-KMS")


#: What every account with a Studio domain and a private VPC is checked for.
STUDIO_ACCOUNT: tuple[Check, ...] = (
    lake_formation_settings,
    studio_domains,
    studio_vpcs,
    buckets,
    training_workgroup,
)
#: Which checks apply to which account (every account's keys are checked too, see ``audit``).
CHECKS: dict[str, tuple[Check, ...]] = {
    "tooling": (buckets,),
    "datasci": STUDIO_ACCOUNT,
    "preprod": STUDIO_ACCOUNT,
    # The lake house: its catalog, grants and registered locations besides.
    "datamgmt": (iam_allowed_grants, catalog_encryption, registered_locations, *STUDIO_ACCOUNT),
}


def audit(session: boto3.Session, settings: Settings) -> list[Finding]:
    everywhere = (kms_keys,)
    return [finding for check in (*CHECKS[settings.role], *everywhere) for finding in check(session, settings)]


def to_json(findings: list[Finding]) -> str:
    """One object per check, for other tools: check, guardrail, control, resource, result, detail."""
    return json.dumps(
        [
            {
                "check": f.check,
                "guardrail": f.guardrail,
                "control": f.control,
                "resource": f.resource,
                "result": "ok" if f.ok else "drift",
                "detail": f.detail,
            }
            for f in findings
        ],
        indent=2,
    )


def table(findings: list[Finding]) -> str:
    rows = [("CHECK", "RESOURCE", "RESULT", "GUARDRAIL", "CONTROL", "DETAIL")] + [
        (f.check, f.resource, "ok" if f.ok else "DRIFT", f.guardrail or "-", f.control or "-", f.detail)
        for f in findings
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)) + "  " + row[5]
        for row in rows
    ]
    drift = sum(not f.ok for f in findings)
    lines.append(f"{len(findings)} checks, {drift} drift" + ("" if drift else ": the account matches the guardrails"))
    return "\n".join(lines)
