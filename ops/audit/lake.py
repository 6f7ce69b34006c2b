"""Lake Formation and the Glue Data Catalog: settings, admins, grants, registered locations, encryption."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import boto3

from contracts import naming
from contracts.config import FEATURES_DATABASE, Settings
from ops.audit.findings import Check, Finding, Rule

IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"

DEFAULTS = Rule("lake-formation-defaults", guardrail="1", control="")
ADMINS = Rule("lake-formation-admins", guardrail="2", control="")
IAM_ALLOWED = Rule("lake-formation-iam-allowed", guardrail="3", control="")
CATALOG_ENCRYPTION = Rule("glue-catalog-encryption", guardrail="7", control="")
LOCATION = Rule("lake-location", guardrail="6", control="")


def lake_formation_settings(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    lf: dict[str, Any] = dict(session.client("lakeformation").get_data_lake_settings()["DataLakeSettings"])
    for key in ("CreateDatabaseDefaultPermissions", "CreateTableDefaultPermissions"):
        holders = [p["Principal"]["DataLakePrincipalIdentifier"] for p in lf.get(key, [])]
        ok = IAM_ALLOWED_PRINCIPALS not in holders
        yield DEFAULTS(key, ok, "no IAM_ALLOWED_PRINCIPALS" if ok else f"grants to {holders}")
    admins = sorted(a["DataLakePrincipalIdentifier"] for a in lf.get("DataLakeAdmins", []))
    expected = sorted(settings.lake_formation_admins)
    yield ADMINS(
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
    yield IAM_ALLOWED(
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
    yield CATALOG_ENCRYPTION(settings.account_id, not problems, "; ".join(problems) or "SSE-KMS")


def registered_locations(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    registered = {
        r["ResourceArn"]: r for r in session.client("lakeformation").list_resources().get("ResourceInfoList", [])
    }
    for database in (*settings.lake.databases, FEATURES_DATABASE):
        bucket = naming.bucket_name(settings.role, database.replace("_", "-"), settings.account_id, settings.region)
        arn = f"arn:{settings.partition}:s3:::{bucket}"
        info = registered.get(arn)
        if info is None:
            yield LOCATION(bucket, False, "not registered with Lake Formation")
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
        yield LOCATION(bucket, not problems, "; ".join(problems) or f"registered with {role}")


#: Which checks of this module apply to which account role.
CHECKS: dict[str, tuple[Check, ...]] = {
    "datasci": (lake_formation_settings,),
    "preprod": (lake_formation_settings,),
    # The lake house: its catalog, grants and registered locations besides.
    "datamgmt": (lake_formation_settings, iam_allowed_grants, catalog_encryption, registered_locations),
}
