"""The Lake Formation and Glue checks of ``ops audit`` against moto: each drift is caught on its
resource, and what the stack declares (its synthesized grants and security configuration) passes.

The checks are called directly, one at a time (a full ``main(["audit", ...])`` costs seconds a case).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from contracts import naming
from contracts.config import FEATURES_DATABASE, Settings
from offline.engine import StackPreview
from ops.__main__ import _settings
from ops.audit import CHECKS
from ops.audit.findings import Check
from ops.audit.lake import (
    consumer_grants,
    glue_jobs,
    iam_allowed_grants,
    registered_locations,
    security_configuration,
)
from ops.audit.studio import key_alias
from tests.conftest import ROOT, of_type
from tests.ops.conftest import assert_drift, in_account

DATAMGMT, DATASCI = "333333333333", "222222222222"
PERMISSIONS = "aws:lakeformation/permissions:Permissions"


@pytest.fixture(scope="module")
def datamgmt() -> Settings:
    return _settings(ROOT, "datamgmt")


@pytest.fixture(scope="module")
def datasci() -> Settings:
    return _settings(ROOT, "datasci")


def _resource(inputs: dict[str, Any]) -> dict[str, Any]:
    """A synthesized aws.lakeformation.Permissions' resource, in the Lake Formation API's shape."""
    if "lfTagPolicy" in inputs:
        policy = inputs["lfTagPolicy"]
        expression = [{"TagKey": e["key"], "TagValues": e["values"]} for e in policy["expressions"]]
        return {"LFTagPolicy": {"ResourceType": policy["resourceType"], "Expression": expression}}
    if "dataLocation" in inputs:
        return {"DataLocation": {"ResourceArn": inputs["dataLocation"]["arn"]}}
    if "database" in inputs:
        return {"Database": {"Name": inputs["database"]["name"]}}
    table = inputs["table"]
    return {
        "Table": {
            "DatabaseName": table["databaseName"],
            **({"CatalogId": table["catalogId"]} if table.get("catalogId") else {}),
            **({"TableWildcard": {}} if table.get("wildcard") else {"Name": table["name"]}),
        }
    }


@pytest.fixture(scope="module")
def declared(stack: Callable[[str], StackPreview]) -> dict[str, Any]:
    """What the stacks declare: each account's Lake Formation grants (API shape), and datamgmt's
    Glue security configuration."""
    grants = {
        name: [
            {
                "Principal": {"DataLakePrincipalIdentifier": r.inputs["principal"]},
                "Resource": _resource(r.inputs),
                "Permissions": r.inputs["permissions"],
                "PermissionsWithGrantOption": r.inputs.get("permissionsWithGrantOptions") or [],
            }
            for r in of_type(stack(name), PERMISSIONS)
        ]
        for name in ("datamgmt", "datasci")
    }
    (security,) = of_type(stack("datamgmt"), "aws:glue/securityConfiguration:SecurityConfiguration")
    return {"grants": grants, "security": security.inputs}


def _encryption(declared: dict[str, Any], key: str) -> dict[str, Any]:
    """The stack's security configuration (components/catalog.py), with ``key`` for the account key."""
    configuration = declared["security"]["encryptionConfiguration"]
    return {
        "S3Encryption": [{"S3EncryptionMode": configuration["s3Encryption"]["s3EncryptionMode"], "KmsKeyArn": key}],
        "CloudWatchEncryption": {
            "CloudWatchEncryptionMode": configuration["cloudwatchEncryption"]["cloudwatchEncryptionMode"],
            "KmsKeyArn": key,
        },
        "JobBookmarksEncryption": {
            "JobBookmarksEncryptionMode": configuration["jobBookmarksEncryption"]["jobBookmarksEncryptionMode"],
            "KmsKeyArn": key,
        },
    }


def build(account: boto3.Session, settings: Settings, declared: dict[str, Any]) -> dict[str, Any]:
    """An account's catalog as its stack leaves it: the account key and its alias, the declared
    grants, and (datamgmt) the registered lake buckets and the Glue security configuration."""
    kms = account.client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName=key_alias(settings), TargetKeyId=key)
    lf = account.client("lakeformation")
    for grant in declared["grants"][settings.stack]:
        lf.grant_permissions(**grant)
    built: dict[str, Any] = {"key": key}
    if settings.role == "datamgmt":
        role = naming.role_arn(
            settings.partition, settings.account_id, naming.physical_name("datamgmt", "lake-data-access")
        )
        for database in (*settings.lake.databases, FEATURES_DATABASE):
            bucket = naming.bucket_name("datamgmt", database.replace("_", "-"), settings.account_id, settings.region)
            lf.register_resource(ResourceArn=f"arn:aws:s3:::{bucket}", RoleArn=role, HybridAccessEnabled=False)
        name = declared["security"]["name"]
        account.client("glue").create_security_configuration(
            Name=name, EncryptionConfiguration=_encryption(declared, key)
        )
        built["security"] = name
    return built


def _grant(account: boto3.Session, principal: str, resource: dict[str, Any], *permissions: str) -> None:
    account.client("lakeformation").grant_permissions(
        Principal={"DataLakePrincipalIdentifier": principal}, Resource=resource, Permissions=list(permissions)
    )


def _tables(**expression: list[str]) -> dict[str, Any]:
    return {
        "LFTagPolicy": {
            "ResourceType": "TABLE",
            "Expression": [{"TagKey": key, "TagValues": values} for key, values in expression.items()],
        }
    }


SHARED = {"layer": ["curated", "features"], "classification": ["public", "internal"]}
READONLY = f"arn:aws:iam::{DATAMGMT}:role/mlops/mlops-datamgmt-studio-readonly"


# --- drift, one per case ----------------------------------------------------------------------------


def _unknown_account(account: boto3.Session, *_: Any) -> str:
    _grant(account, "999999999999", _tables(**SHARED), "SELECT")
    return "999999999999"


def _named_table(account: boto3.Session, *_: Any) -> str:
    _grant(account, DATASCI, {"Table": {"DatabaseName": "mlops_curated", "Name": "churn_labels"}}, "SELECT")
    return DATASCI


def _alter(account: boto3.Session, *_: Any) -> str:
    _grant(account, DATASCI, _tables(**SHARED), "SELECT", "ALTER")
    return DATASCI


def _raw_layer(account: boto3.Session, *_: Any) -> str:
    _grant(account, DATASCI, _tables(layer=["raw", "curated"], classification=["public"]), "SELECT")
    return DATASCI


def _role_of_a_consumer(account: boto3.Session, *_: Any) -> str:
    role = f"arn:aws:iam::{DATASCI}:role/mlops/mlops-datasci-job-execution"
    _grant(account, role, _tables(**SHARED), "SELECT")
    return role


def _unclassified(account: boto3.Session, *_: Any) -> str:
    _grant(account, DATASCI, _tables(layer=["curated"]), "SELECT")
    return DATASCI


def _sensitive_to_consumer(account: boto3.Session, *_: Any) -> str:
    _grant(account, DATASCI, _tables(layer=["curated"], classification=["internal", "sensitive"]), "SELECT")
    return DATASCI


def _sensitive_tag(account: boto3.Session, *_: Any) -> str:
    steward = f"arn:aws:iam::{DATAMGMT}:role/data-steward"
    _grant(account, steward, {"LFTag": {"TagKey": "classification", "TagValues": ["sensitive"]}}, "ASSOCIATE")
    return steward


def _readonly_unclassified(account: boto3.Session, *_: Any) -> str:
    _grant(account, READONLY, {"Database": {"Name": "mlops_curated"}}, "DESCRIBE")
    return READONLY


def _linked_location(account: boto3.Session, *_: Any) -> str:
    arn = "arn:aws:s3:::shadow-lake"
    account.client("lakeformation").register_resource(ResourceArn=arn, UseServiceLinkedRole=True)
    return arn


def _configuration_gone(account: boto3.Session, _: Settings, built: dict[str, Any], __: Any) -> str:
    account.client("glue").delete_security_configuration(Name=built["security"])
    return str(built["security"])


def _replace_configuration(account: boto3.Session, name: str, encryption: dict[str, Any]) -> str:
    glue = account.client("glue")
    glue.delete_security_configuration(Name=name)
    glue.create_security_configuration(Name=name, EncryptionConfiguration=encryption)
    return name


def _logs_unencrypted(account: boto3.Session, _: Settings, built: dict[str, Any], declared: Any) -> str:
    encryption = _encryption(declared, built["key"])
    encryption["CloudWatchEncryption"] = {"CloudWatchEncryptionMode": "DISABLED"}
    return _replace_configuration(account, built["security"], encryption)


def _other_key(account: boto3.Session, _: Settings, built: dict[str, Any], declared: Any) -> str:
    other = account.client("kms").create_key()["KeyMetadata"]["Arn"]
    built["other"] = other
    encryption = _encryption(declared, built["key"])
    encryption["JobBookmarksEncryption"]["KmsKeyArn"] = other
    return _replace_configuration(account, built["security"], encryption)


def _job(account: boto3.Session, configuration: str | None) -> str:
    account.client("glue").create_job(
        Name="backfill",
        Role=f"arn:aws:iam::{DATAMGMT}:role/mlops/mlops-datamgmt-data-engineering",
        Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/backfill.py"},
        **({"SecurityConfiguration": configuration} if configuration else {}),
    )
    return "job backfill"


def _job_without(account: boto3.Session, *_: Any) -> str:
    return _job(account, None)


def _crawler_missing(account: boto3.Session, *_: Any) -> str:
    account.client("glue").create_crawler(
        Name="discover",
        Role=f"arn:aws:iam::{DATAMGMT}:role/mlops/mlops-datamgmt-data-engineering",
        Targets={"S3Targets": [{"Path": "s3://mlops-datamgmt-raw/"}]},
        CrawlerSecurityConfiguration="deleted-configuration",
    )
    return "crawler discover"


def _job_weak(account: boto3.Session, *_: Any) -> str:
    account.client("glue").create_security_configuration(
        Name="weak",
        EncryptionConfiguration={
            "S3Encryption": [{"S3EncryptionMode": "SSE-S3"}],
            "CloudWatchEncryption": {"CloudWatchEncryptionMode": "DISABLED"},
            "JobBookmarksEncryption": {"JobBookmarksEncryptionMode": "DISABLED"},
        },
    )
    return _job(account, "weak")


Drift = Callable[[boto3.Session, Settings, dict[str, Any], dict[str, Any]], str]
#: What someone changes by hand in the data management account, the check that must catch it, its
#: rule, and the detail it gives (``{name}`` stands for a value of what was built).
DRIFTS: list[tuple[str, Drift, Check, str, str]] = [
    (
        "grant to an unknown account",
        _unknown_account,
        consumer_grants,
        "lake-formation-consumer-grants",
        r"granted to 999999999999, not a data science or pre-production account",
    ),
    (
        "consumer granted a named table",
        _named_table,
        consumer_grants,
        "lake-formation-consumer-grants",
        r"^mlops_curated\.churn_labels: on mlops_curated\.churn_labels, not an LF-tag expression$",
    ),
    (
        "consumer granted ALTER",
        _alter,
        consumer_grants,
        "lake-formation-consumer-grants",
        r"grants ALTER beyond SELECT and DESCRIBE",
    ),
    (
        "consumer granted the raw layer",
        _raw_layer,
        consumer_grants,
        "lake-formation-consumer-grants",
        r"layer raw is not shared",
    ),
    (
        "a consumer's role granted directly",
        _role_of_a_consumer,
        consumer_grants,
        "lake-formation-consumer-grants",
        r"not to its account 222222222222",
    ),
    (
        "consumer expression without classification",
        _unclassified,
        consumer_grants,
        "lake-formation-sensitive",
        r"^tables where layer=curated: classification unconstrained, so sensitive data too$",
    ),
    (
        "sensitive granted to a consumer",
        _sensitive_to_consumer,
        consumer_grants,
        "lake-formation-sensitive",
        r"^on classification=sensitive data$",
    ),
    (
        "the sensitive tag granted",
        _sensitive_tag,
        consumer_grants,
        "lake-formation-sensitive",
        r"^on the LF-tag classification=sensitive$",
    ),
    (
        "read-only Studio granted a named database",
        _readonly_unclassified,
        consumer_grants,
        "lake-formation-sensitive",
        r"^on mlops_curated, whatever its classification$",
    ),
    (
        "another location on the service-linked role",
        _linked_location,
        registered_locations,
        "lake-location",
        r"^registered with the service-linked role$",
    ),
    (
        "security configuration deleted",
        _configuration_gone,
        security_configuration,
        "glue-security-configuration",
        r"^missing; expected the stack's security configuration$",
    ),
    (
        "security configuration logs unencrypted",
        _logs_unencrypted,
        security_configuration,
        "glue-security-configuration",
        r"^CloudWatch logs DISABLED, not SSE-KMS$",
    ),
    (
        "security configuration on another key",
        _other_key,
        security_configuration,
        "glue-security-configuration",
        r"^job bookmarks with {other}, not the platform key$",
    ),
    (
        "Glue job without a configuration",
        _job_without,
        glue_jobs,
        "glue-job-security-configuration",
        r"^no security configuration$",
    ),
    (
        "crawler naming a deleted configuration",
        _crawler_missing,
        glue_jobs,
        "glue-job-security-configuration",
        r"^security configuration deleted-configuration does not exist$",
    ),
    (
        "Glue job on a weak configuration",
        _job_weak,
        glue_jobs,
        "glue-job-security-configuration",
        r"^security configuration weak: S3 data SSE-S3, not SSE-KMS; CloudWatch logs DISABLED, not SSE-KMS; "
        r"job bookmarks DISABLED, not CSE-KMS$",
    ),
]


@pytest.mark.parametrize(("what", "drift", "check", "rule", "detail"), DRIFTS, ids=[d[0] for d in DRIFTS])
def test_each_drift_is_caught_on_its_resource(
    aws: boto3.Session,
    datamgmt: Settings,
    declared: dict[str, Any],
    what: str,
    drift: Drift,
    check: Check,
    rule: str,
    detail: str,
) -> None:
    account = in_account(aws, DATAMGMT)
    built = build(account, datamgmt, declared)
    resource = drift(account, datamgmt, built, declared)
    pattern = detail.format(**{k: re.escape(str(v)) for k, v in built.items()})
    assert_drift(check(account, datamgmt), rule, resource, pattern, what)


def test_what_the_datamgmt_stack_declares_passes(
    aws: boto3.Session, datamgmt: Settings, declared: dict[str, Any]
) -> None:
    """Its synthesized grants (the consumer accounts' by LF-tag, with the grant option; the read-only
    Studio's, training's, producers'), its registered buckets and security configuration, and a job
    and a crawler that name the configuration."""
    account = in_account(aws, DATAMGMT)
    built = build(account, datamgmt, declared)
    _job(account, built["security"])
    account.client("glue").create_crawler(
        Name="discover",
        Role=f"arn:aws:iam::{DATAMGMT}:role/mlops/mlops-datamgmt-data-engineering",
        Targets={"S3Targets": [{"Path": "s3://mlops-datamgmt-raw/"}]},
        CrawlerSecurityConfiguration=built["security"],
    )
    assert any(g["Principal"]["DataLakePrincipalIdentifier"] == DATASCI for g in declared["grants"]["datamgmt"])
    findings = [
        finding
        for check in (consumer_grants, iam_allowed_grants, registered_locations, security_configuration, glue_jobs)
        for finding in check(account, datamgmt)
    ]
    assert all(f.ok for f in findings), [f for f in findings if not f.ok]
    assert {(f.check, f.resource) for f in findings} >= {
        ("lake-formation-consumer-grants", "catalog"),
        ("lake-formation-sensitive", "catalog"),
        ("glue-security-configuration", "mlops-datamgmt-glue"),
        ("glue-job-security-configuration", "job backfill"),
        ("glue-job-security-configuration", "crawler discover"),
    }


def test_what_a_data_science_stack_declares_passes(
    aws: boto3.Session, datasci: Settings, declared: dict[str, Any]
) -> None:
    """Its grants to its own roles on the resource links, the feature store and snapshot databases."""
    account = in_account(aws, DATASCI)
    build(account, datasci, declared)
    found = [
        (f.check, f.resource, f.ok)
        for c in (consumer_grants, iam_allowed_grants, glue_jobs)
        for f in c(account, datasci)
    ]
    assert found == [
        ("lake-formation-consumer-grants", "catalog", True),
        ("lake-formation-sensitive", "catalog", True),
        ("lake-formation-iam-allowed", "catalog", True),
        ("glue-job-security-configuration", "Glue", True),
    ]


@pytest.mark.parametrize(
    ("principal", "resource", "check", "rule", "detail"),
    [
        (
            DATAMGMT,
            {"Database": {"Name": "mlops_snapshots"}},
            consumer_grants,
            "lake-formation-consumer-grants",
            "mlops_snapshots: granted outside the account to 333333333333; the stack grants nothing beyond the account",
        ),
        (
            "IAM_ALLOWED_PRINCIPALS",
            {"Database": {"Name": "mlops_snapshots"}},
            iam_allowed_grants,
            "lake-formation-iam-allowed",
            "granted on mlops_snapshots",
        ),
    ],
    ids=["grant to another account", "grant to IAM_ALLOWED_PRINCIPALS"],
)
def test_a_data_science_catalog_grants_nothing_beyond_its_stack(
    aws: boto3.Session,
    datasci: Settings,
    declared: dict[str, Any],
    principal: str,
    resource: dict[str, Any],
    check: Check,
    rule: str,
    detail: str,
) -> None:
    account = in_account(aws, DATASCI)
    build(account, datasci, declared)
    _grant(account, principal, resource, "DESCRIBE")
    (finding,) = [f for f in check(account, datasci) if f.check == rule and not f.ok]
    assert (finding.resource, finding.detail) == (principal if check is consumer_grants else "catalog", detail)


def test_the_catalog_checks_run_where_a_catalog_lives() -> None:
    for role in ("datasci", "preprod", "datamgmt"):
        assert {iam_allowed_grants, consumer_grants, glue_jobs} <= set(CHECKS[role])
    assert {registered_locations, security_configuration} <= set(CHECKS["datamgmt"])


def test_a_location_in_hybrid_access_mode_is_caught(
    aws: boto3.Session, datamgmt: Settings, declared: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Moto 5.2.5 ignores RegisterResource's HybridAccessEnabled (ListResources never returns it), so
    ListResources is stubbed here, in its API shape: a lake bucket and another location in hybrid
    access mode are caught, the other lake buckets (registered with the platform's role) pass."""
    account = in_account(aws, DATAMGMT)
    build(account, datamgmt, declared)
    real = account.client
    client = real("lakeformation")
    listed: list[dict[str, Any]] = [
        {k: v for k, v in r.items() if v is not None} for r in client.list_resources()["ResourceInfoList"]
    ]
    curated = next(r for r in listed if "-curated-" in r["ResourceArn"])
    curated["HybridAccessEnabled"] = True
    role = curated["RoleArn"]
    listed.append({"ResourceArn": "arn:aws:s3:::shadow-lake", "RoleArn": role, "HybridAccessEnabled": True})
    monkeypatch.setattr(
        account, "client", lambda name, *a, **k: client if name == "lakeformation" else real(name, *a, **k)
    )
    with Stubber(client) as stub:
        stub.add_response("list_resources", {"ResourceInfoList": listed}, {})
        found = {f.resource: (f.ok, f.detail) for f in registered_locations(account, datamgmt)}
    curated_bucket = str(curated["ResourceArn"]).removeprefix("arn:aws:s3:::")
    assert found.pop(curated_bucket) == (False, "hybrid access enabled")
    assert found.pop("arn:aws:s3:::shadow-lake") == (False, "hybrid access enabled")
    assert found and all(result == (True, f"registered with {role}") for result in found.values()), found
