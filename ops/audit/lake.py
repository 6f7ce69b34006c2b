"""Lake Formation and the Glue Data Catalog: settings, admins, grants, registered locations, encryption."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

import boto3

from contracts import naming
from contracts.config import FEATURES_DATABASE, Settings
from ops.audit.findings import Check, Finding, Rule, pages, read_once
from ops.audit.studio import platform

IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"
#: The LF-tag that marks sensitive data, and its value (contracts/config.py REQUIRED_TAG_VALUES; the
#: lake-formation policy pack's ``sensitive`` setting): never granted to a consumer.
SENSITIVE_KEY, SENSITIVE_VALUE = "classification", "sensitive"
#: What a consumer account holds on the shared data, and may grant its own roles
#: (components/accounts/datamgmt.py READ and DESCRIBE, with the grant option).
CONSUMER_PERMISSIONS = frozenset({"SELECT", "DESCRIBE"})
ACCOUNT = re.compile(r"^[0-9]{12}$")
ARN_ACCOUNT = re.compile(r"^arn:[^:]+:iam::([0-9]{12}):")

DEFAULTS = Rule("lake-formation-defaults", guardrail="1", control="")
ADMINS = Rule("lake-formation-admins", guardrail="2", control="")
IAM_ALLOWED = Rule("lake-formation-iam-allowed", guardrail="3", control="")
CONSUMER_GRANTS = Rule("lake-formation-consumer-grants", guardrail="4", control="")
SENSITIVE = Rule("lake-formation-sensitive", guardrail="5", control="")
LOCATION = Rule("lake-location", guardrail="6", control="")
CATALOG_ENCRYPTION = Rule("glue-catalog-encryption", guardrail="7", control="")
SECURITY_CONFIGURATION = Rule("glue-security-configuration", guardrail="8", control="")
JOB_SECURITY = Rule("glue-job-security-configuration", guardrail="8", control="")


def lake_formation_settings(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    lf: dict[str, Any] = dict(session.client("lakeformation").get_data_lake_settings()["DataLakeSettings"])
    for key in ("CreateDatabaseDefaultPermissions", "CreateTableDefaultPermissions"):
        holders = [p["Principal"]["DataLakePrincipalIdentifier"] for p in lf.get(key, [])]
        ok = IAM_ALLOWED_PRINCIPALS not in holders
        yield DEFAULTS(key, ok, "no IAM_ALLOWED_PRINCIPALS" if ok else f"grants to {holders}")
    # The auditor is the read-only admin: without it, ListPermissions would hide the grants it audits.
    for key, expected in (
        ("DataLakeAdmins", sorted(settings.lake_formation_admins)),
        ("ReadOnlyAdmins", [settings.target.auditor]),
    ):
        found = sorted(a["DataLakePrincipalIdentifier"] for a in lf.get(key, []))
        yield ADMINS(key, found == expected, "as configured" if found == expected else f"{found}; expected {expected}")


def _permissions(session: boto3.Session) -> list[Mapping[str, Any]]:
    """Every Lake Formation grant of the catalog, listed once per audit."""

    def read() -> list[Mapping[str, Any]]:
        client: Any = session.client("lakeformation")
        found: list[Mapping[str, Any]] = []
        token = ""
        while True:
            page = client.list_permissions(**({"NextToken": token} if token else {}))
            found += page.get("PrincipalResourcePermissions", [])
            token = page.get("NextToken") or ""
            if not token:
                return found

    return read_once(session, "lakeformation:permissions", read)


def _catalog_resource(resource: Mapping[str, Any]) -> str:
    """A Lake Formation grant's resource: DATABASE[.TABLE], an LF-tag expression, a tag or a location."""
    policy = resource.get("LFTagPolicy")
    if policy:
        terms = " and ".join(f"{e.get('TagKey')}={','.join(e.get('TagValues', []))}" for e in _expression(policy))
        return f"{str(policy.get('ResourceType', '')).lower()}s where {terms or 'a named expression'}"
    tag = resource.get("LFTag")
    if tag:
        return f"LF-tag {tag.get('TagKey')}={','.join(tag.get('TagValues', []))}"
    location = resource.get("DataLocation")
    if location:
        return str(location.get("ResourceArn"))
    table = resource.get("Table") or resource.get("TableWithColumns") or {}
    database = (resource.get("Database") or {}).get("Name") or table.get("DatabaseName")
    name = table.get("Name") or ("*" if table.get("TableWildcard") is not None else None)
    return ".".join(str(part) for part in (database, name) if part) or "a catalog resource"


def _expression(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(policy.get("Expression") or [])


def _principal(grant: Mapping[str, Any]) -> str:
    return str(grant.get("Principal", {}).get("DataLakePrincipalIdentifier", ""))


def iam_allowed_grants(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """No database or table is granted to IAM_ALLOWED_PRINCIPALS: Lake Formation decides, not IAM."""
    granted = sorted(
        {
            _catalog_resource(grant.get("Resource", {}))
            for grant in _permissions(session)
            if _principal(grant) == IAM_ALLOWED_PRINCIPALS
        }
    )
    yield IAM_ALLOWED(
        "catalog",
        not granted,
        f"granted on {', '.join(granted)}" if granted else f"nothing granted to {IAM_ALLOWED_PRINCIPALS}",
    )


def _account_of(principal: str) -> str | None:
    """The account a principal belongs to (an account ID, or an IAM ARN's); None for another kind."""
    if ACCOUNT.match(principal):
        return principal
    matched = ARN_ACCOUNT.match(principal)
    return matched.group(1) if matched else None


def _foreign(principal: str, settings: Settings) -> bool:
    """A principal outside the account: another account or its role, an organization, a unit."""
    if principal == IAM_ALLOWED_PRINCIPALS:
        return False
    return _account_of(principal) != settings.account_id


def _consumer_problems(grant: Mapping[str, Any], principal: str, settings: Settings) -> list[str]:
    """How a grant to another account goes beyond the stack's: the data management account shares,
    by LF-tag expression and with read permissions only, the shared layers with the data science
    and pre-production accounts themselves (RAM); the other accounts share nothing."""
    if settings.role != "datamgmt":
        return [f"granted outside the account to {principal}; the stack grants nothing beyond the account"]
    consumers = {target.account_id for target in settings.cross_account_roles.of_role("datasci", "preprod")}
    account = _account_of(principal)
    if account not in consumers:
        return [f"granted to {principal}, not a data science or pre-production account"]
    problems = [] if principal == account else [f"granted to {principal}, not to its account {account}"]
    resource = grant.get("Resource", {})
    policy = resource.get("LFTagPolicy")
    if not policy:
        problems.append(f"on {_catalog_resource(resource)}, not an LF-tag expression")
    extra = sorted({*grant.get("Permissions", []), *grant.get("PermissionsWithGrantOption", [])} - CONSUMER_PERMISSIONS)
    if extra:
        problems.append(f"grants {', '.join(extra)} beyond SELECT and DESCRIBE")
    for term in _expression(policy or {}):
        if term.get("TagKey") == "layer":
            unshared = sorted(set(term.get("TagValues", [])) - set(naming.SHARED_LAKE_DATABASES))
            if unshared:
                problems.append(f"layer {', '.join(unshared)} is not shared")
    return problems


def _sensitive_problem(grant: Mapping[str, Any], consumer: bool) -> str | None:
    """Whether a grant reaches sensitive data: any grant naming the sensitive value (the stack
    names it in none), or a consumer's expression that does not narrow the sensitive key."""
    resource = grant.get("Resource", {})
    tag = resource.get("LFTag") or {}
    if tag.get("TagKey") == SENSITIVE_KEY and SENSITIVE_VALUE in tag.get("TagValues", []):
        return f"on the LF-tag {SENSITIVE_KEY}={SENSITIVE_VALUE}"
    policy = resource.get("LFTagPolicy")
    values = [term.get("TagValues", []) for term in _expression(policy or {}) if term.get("TagKey") == SENSITIVE_KEY]
    if any(SENSITIVE_VALUE in listed for listed in values):
        return f"on {SENSITIVE_KEY}={SENSITIVE_VALUE} data"
    if consumer and not values:
        if policy:
            return f"{_catalog_resource(resource)}: {SENSITIVE_KEY} unconstrained, so sensitive data too"
        return f"on {_catalog_resource(resource)}, whatever its {SENSITIVE_KEY}"
    return None


def consumer_grants(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Grants beyond the account are the stack's: to the data science and pre-production accounts,
    by LF-tag, read-only, on the shared layers (guardrail 4), and never sensitive data (guardrail 5;
    nor does any grant name the sensitive value)."""
    readonly = naming.role_arn(
        settings.partition, settings.account_id, naming.physical_name(settings.role, naming.STUDIO_READONLY)
    )
    beyond = sensitive = False
    for grant in _permissions(session):
        principal = _principal(grant)
        foreign = _foreign(principal, settings)
        what = _catalog_resource(grant.get("Resource", {}))
        if foreign and (problems := _consumer_problems(grant, principal, settings)):
            beyond = True
            yield CONSUMER_GRANTS(principal, False, f"{what}: {'; '.join(problems)}")
        if problem := _sensitive_problem(grant, foreign or principal == readonly):
            sensitive = True
            yield SENSITIVE(principal, False, problem)
    if not beyond:
        yield CONSUMER_GRANTS("catalog", True, "only the stack's LF-tag grants beyond the account")
    if not sensitive:
        yield SENSITIVE("catalog", True, f"no grant reaches {SENSITIVE_KEY}={SENSITIVE_VALUE} data")


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
    yield CATALOG_ENCRYPTION(settings.account_id, not problems, "; ".join(problems) or "SSE-KMS")


def registered_locations(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """The lake buckets are registered with the platform's role, without hybrid access; nor does
    any other registered location use hybrid access or the service-linked role."""
    registered = {
        r["ResourceArn"]: r for r in session.client("lakeformation").list_resources().get("ResourceInfoList", [])
    }
    ours = set()
    for database in (*settings.lake.databases, FEATURES_DATABASE):
        bucket = naming.bucket_name(settings.role, database.replace("_", "-"), settings.account_id, settings.region)
        arn = f"arn:{settings.partition}:s3:::{bucket}"
        ours.add(arn)
        info = registered.get(arn)
        if info is None:
            yield LOCATION(bucket, False, "not registered with Lake Formation")
            continue
        problems = _location_problems(info)
        yield LOCATION(bucket, not problems, "; ".join(problems) or f"registered with {info.get('RoleArn')}")
    for arn, info in sorted(registered.items()):
        if arn not in ours and (problems := _location_problems(info)):
            yield LOCATION(arn, False, "; ".join(problems))


def _location_problems(info: Mapping[str, Any]) -> list[str]:
    role = str(info.get("RoleArn", ""))
    return [
        problem
        for problem, bad in (
            ("registered with the service-linked role", not role or "aws-service-role" in role),
            ("hybrid access enabled", bool(info.get("HybridAccessEnabled"))),
        )
        if bad
    ]


def _encryption_problems(configuration: Mapping[str, Any], key_names: frozenset[str]) -> list[str]:
    """How a Glue security configuration falls short of the stack's: S3 data and CloudWatch logs
    SSE-KMS, job bookmarks CSE-KMS, each with the account key (components/catalog.py)."""
    encryption = configuration.get("EncryptionConfiguration", {})
    s3 = list(encryption.get("S3Encryption") or [])
    cloudwatch = encryption.get("CloudWatchEncryption") or {}
    bookmarks = encryption.get("JobBookmarksEncryption") or {}
    parts = [
        *(("S3 data", e.get("S3EncryptionMode"), e.get("KmsKeyArn"), "SSE-KMS") for e in s3 or [{}]),
        ("CloudWatch logs", cloudwatch.get("CloudWatchEncryptionMode"), cloudwatch.get("KmsKeyArn"), "SSE-KMS"),
        ("job bookmarks", bookmarks.get("JobBookmarksEncryptionMode"), bookmarks.get("KmsKeyArn"), "CSE-KMS"),
    ]
    problems = []
    for what, mode, key, expected in parts:
        if mode != expected:
            problems.append(f"{what} {mode or 'DISABLED'}, not {expected}")
        elif key not in key_names:
            problems.append(f"{what} with {key}, not the platform key")
    return problems


def _security_configurations(session: boto3.Session, settings: Settings) -> dict[str, list[str]]:
    """Each security configuration of the account, by name, to how it falls short (none: it encrypts)."""

    def read() -> dict[str, list[str]]:
        glue, keys = session.client("glue"), platform(session, settings).key_names
        listed = pages(glue, "get_security_configurations", "SecurityConfigurations")
        return {str(c["Name"]): _encryption_problems(c, keys) for c in listed}

    return read_once(session, "glue:security-configurations", read)


def security_configuration(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """The stack's security configuration still exists and encrypts with the account key."""
    name = naming.physical_name(settings.role, "glue")
    problems = _security_configurations(session, settings).get(name)
    if problems is None:
        yield SECURITY_CONFIGURATION(name, False, "missing; expected the stack's security configuration")
        return
    yield SECURITY_CONFIGURATION(
        name, not problems, "; ".join(problems) or "S3 and logs SSE-KMS, bookmarks CSE-KMS, with the platform key"
    )


def glue_jobs(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Every Glue job and crawler names a security configuration that exists and encrypts."""
    glue = session.client("glue")
    configurations = _security_configurations(session, settings)
    named = [
        *((f"job {job['Name']}", job.get("SecurityConfiguration")) for job in pages(glue, "get_jobs", "Jobs")),
        *(
            (f"crawler {crawler['Name']}", crawler.get("CrawlerSecurityConfiguration"))
            for crawler in pages(glue, "get_crawlers", "Crawlers")
        ),
    ]
    for resource, configuration in named:
        problems = configurations.get(configuration or "")
        yield JOB_SECURITY(resource, problems == [], _configuration_detail(configuration, problems))
    if not named:
        yield JOB_SECURITY("Glue", True, "no job or crawler")


def _configuration_detail(configuration: str | None, problems: list[str] | None) -> str:
    if not configuration:
        return "no security configuration"
    if problems is None:
        return f"security configuration {configuration} does not exist"
    return f"security configuration {configuration}" + (f": {'; '.join(problems)}" if problems else "")


#: Which checks of this module apply to which account role.
CHECKS: dict[str, tuple[Check, ...]] = {
    # Their catalog holds the resource links, the snapshots and experimentation feature databases.
    "datasci": (lake_formation_settings, iam_allowed_grants, consumer_grants, glue_jobs),
    "preprod": (lake_formation_settings, iam_allowed_grants, consumer_grants, glue_jobs),
    # The lake house: its catalog, grants and registered locations besides.
    "datamgmt": (
        lake_formation_settings,
        iam_allowed_grants,
        consumer_grants,
        catalog_encryption,
        registered_locations,
        security_configuration,
        glue_jobs,
    ),
}
