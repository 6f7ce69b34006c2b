"""The storage checks alone (``ops.audit.storage``), against moto: the account-level public access
block, every bucket's public access block, default encryption, TLS-only policy and versioning, and the
KMS keys. A compliant account is what the stacks deploy (components/storage.py, its policy statements
from components/policy_documents.py); each drift is one hand change to it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components import policy_documents as docs
from contracts import naming
from contracts.config import Settings
from ops.__main__ import _settings
from ops.audit import storage
from ops.audit.findings import Finding
from tests.conftest import ROOT
from tests.ops.conftest import REGION, in_account
from tests.ops.test_audit_services import StubbedSession

DATAMGMT = "333333333333"
ALL_ON = dict.fromkeys(storage.PUBLIC_ACCESS_FLAGS, True)
#: A bucket of the account that is not the platform's, made by hand but kept to the guardrails.
OTHER = "team-scratch-data"
#: A non-platform bucket that receives another bucket's server access logs, so SSE-S3 is allowed.
OTHER_LOGS = "team-scratch-logs"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return _settings(ROOT, "datamgmt")


def _name(settings: Settings, purpose: str) -> str:
    return naming.bucket_name(settings.role, purpose, settings.account_id, settings.region)


def _arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def _bucket(
    s3: Any, name: str, key: str | None, log_to: str | None, log_target: bool = False, versioned: bool = True
) -> None:
    """A bucket as components/storage.EncryptedBucket makes it: all four blocks on, SSE-KMS with the
    key (SSE-S3 for a log target), versioned, TLS only, logging to ``log_to``."""
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=ALL_ON)
    default = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key} if key else {"SSEAlgorithm": "AES256"}
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bool(key)}]
        },
    )
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    statements = [docs.deny_insecure_transport(_arn(name))]
    if log_target:
        # First: moto's PutBucketLogging reads each statement's Principal as a mapping until one
        # admits the logging service, and fails on the "*" of the TLS statement.
        statements.insert(0, docs.allow_access_log_delivery("aws", _arn(name), DATAMGMT))
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps(docs.document(statements)))
    if log_to:
        s3.put_bucket_logging(
            Bucket=name, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": log_to, "TargetPrefix": f"{name}/"}}
        )


def build_compliant(account: boto3.Session, settings: Settings) -> dict[str, str]:
    """The platform's access-log and one data bucket, a hand-made bucket and its log target kept to
    the guardrails, and the account key with rotation on and the stack's key policy."""
    kms = account.client("kms")
    key = kms.create_key(
        Policy=json.dumps(docs.kms_key_policy("aws", DATAMGMT, [], REGION, False)), Description="platform data"
    )["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=key)
    s3 = account.client("s3")
    logs = _name(settings, "access-logs")
    _bucket(s3, logs, None, None, log_target=True)
    _bucket(s3, _name(settings, "curated"), key, logs)
    _bucket(s3, OTHER_LOGS, None, None, log_target=True)
    _bucket(s3, OTHER, key, OTHER_LOGS)
    return {"key": key, "logs": logs, "curated": _name(settings, "curated")}


@pytest.fixture
def account(aws: boto3.Session) -> boto3.Session:
    return in_account(aws, DATAMGMT)


def _one(findings: Iterator[Finding], check: str, resource: str) -> Finding:
    (found,) = [f for f in findings if f.check == check and f.resource == resource]
    return found


# --- buckets and keys, against moto ------------------------------------------------------------------


def _no_tls_policy(s3: Any, built: dict[str, str]) -> None:
    s3.delete_bucket_policy(Bucket=OTHER)


def _tls_policy_narrowed(s3: Any, built: dict[str, str]) -> None:
    """The stack's Deny, with a further condition: it denies insecure requests through one endpoint
    only (a loose match on aws:SecureTransport would pass it)."""
    statement = docs.deny_insecure_transport(_arn(OTHER))
    statement["Condition"] = {"Bool": {"aws:SecureTransport": "false"}, "StringEquals": {"aws:SourceVpce": "vpce-1"}}
    s3.put_bucket_policy(Bucket=OTHER, Policy=json.dumps(docs.document([statement])))


def _tls_policy_on_objects_only(s3: Any, built: dict[str, str]) -> None:
    statement = {**docs.deny_insecure_transport(_arn(OTHER)), "Resource": f"{_arn(OTHER)}/*"}
    s3.put_bucket_policy(Bucket=OTHER, Policy=json.dumps(docs.document([statement])))


def _versioning_suspended(s3: Any, built: dict[str, str]) -> None:
    s3.put_bucket_versioning(Bucket=built["curated"], VersioningConfiguration={"Status": "Suspended"})


def _unversioned_bucket(s3: Any, built: dict[str, str]) -> None:
    _bucket(s3, "unversioned-by-hand", built["key"], OTHER_LOGS, versioned=False)


def _sse_s3_not_a_log_target(s3: Any, built: dict[str, str]) -> None:
    s3.put_bucket_encryption(
        Bucket=OTHER,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )


def _aws_managed_key(s3: Any, built: dict[str, str]) -> None:
    s3.put_bucket_encryption(
        Bucket=built["curated"],
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/aws/s3"}}
            ]
        },
    )


def _no_public_access_block_on_other(s3: Any, built: dict[str, str]) -> None:
    s3.delete_public_access_block(Bucket=OTHER)


def _log_target_stops_receiving(s3: Any, built: dict[str, str]) -> None:
    """The hand-made log target is SSE-S3 only because a bucket logs to it; once none does, it drifts."""
    s3.put_bucket_logging(Bucket=OTHER, BucketLoggingStatus={})


BUCKET_DRIFTS: list[tuple[str, Callable[[Any, dict[str, str]], None], str, str, str]] = [
    (
        "no bucket policy",
        _no_tls_policy,
        "bucket-tls-only",
        OTHER,
        "no bucket policy; expected a Deny on aws:SecureTransport false",
    ),
    (
        "a Deny narrowed by another condition",
        _tls_policy_narrowed,
        "bucket-tls-only",
        OTHER,
        "no Deny of s3:* on the bucket and its objects when aws:SecureTransport is false",
    ),
    (
        "a Deny on the objects only",
        _tls_policy_on_objects_only,
        "bucket-tls-only",
        OTHER,
        "no Deny of s3:* on the bucket and its objects when aws:SecureTransport is false",
    ),
    ("versioning suspended", _versioning_suspended, "bucket-versioning", "curated", "Suspended; expected Enabled"),
    (
        "a bucket never versioned",
        _unversioned_bucket,
        "bucket-versioning",
        "unversioned-by-hand",
        "never enabled; expected Enabled",
    ),
    (
        "SSE-S3 on a bucket no bucket logs to",
        _sse_s3_not_a_log_target,
        "bucket-encryption",
        OTHER,
        "AES256 (SSE-S3); expected SSE-KMS with a customer key",
    ),
    (
        "SSE-KMS with the AWS managed key",
        _aws_managed_key,
        "bucket-encryption",
        "curated",
        "aws:kms with the AWS managed key alias/aws/s3; expected a customer key",
    ),
    (
        "a hand-made bucket without public access block",
        _no_public_access_block_on_other,
        "bucket-public-access-block",
        OTHER,
        "no public access block",
    ),
    (
        "a log target nothing logs to any more",
        _log_target_stops_receiving,
        "bucket-encryption",
        OTHER_LOGS,
        "AES256 (SSE-S3); expected SSE-KMS with a customer key",
    ),
]


@pytest.mark.parametrize(
    ("what", "drift", "check", "bucket", "detail"), BUCKET_DRIFTS, ids=[d[0] for d in BUCKET_DRIFTS]
)
def test_each_bucket_drift_is_caught(
    account: boto3.Session,
    settings: Settings,
    what: str,
    drift: Callable[[Any, dict[str, str]], None],
    check: str,
    bucket: str,
    detail: str,
) -> None:
    built = build_compliant(account, settings)
    drift(account.client("s3"), built)
    findings = list(storage.buckets(account, settings))
    resource = built.get(bucket, bucket)
    finding = _one(iter(findings), check, resource)
    assert (finding.ok, finding.detail) == (False, detail), what
    assert [f for f in findings if not f.ok] == [finding], what


def test_compliant_buckets_pass_every_bucket_check(account: boto3.Session, settings: Settings) -> None:
    """The twin of every bucket drift: the stack's buckets, and hand-made ones kept to the guardrails
    (a log target on SSE-S3 because a bucket logs to it), pass each check."""
    built = build_compliant(account, settings)
    findings = list(storage.buckets(account, settings))
    assert [f for f in findings if not f.ok] == []
    by_check: dict[str, set[str]] = {}
    for finding in findings:
        by_check.setdefault(finding.check, set()).add(finding.resource)
    buckets = {built["logs"], built["curated"], OTHER, OTHER_LOGS}
    assert by_check == dict.fromkeys(
        ("bucket-public-access-block", "bucket-encryption", "bucket-tls-only", "bucket-versioning"), buckets
    )
    assert _one(iter(findings), "bucket-encryption", OTHER_LOGS).detail == "AES256"
    assert _one(iter(findings), "bucket-tls-only", OTHER).detail == "denies requests without TLS"
    tls = _one(iter(findings), "bucket-tls-only", OTHER).rule
    assert (tls.guardrail, tls.control) == ("23", "S3.5")
    versioning = _one(iter(findings), "bucket-versioning", OTHER).rule
    assert (versioning.guardrail, versioning.control) == ("24", "S3.14")


def test_an_account_without_platform_buckets_is_drift(account: boto3.Session, settings: Settings) -> None:
    s3 = account.client("s3")
    _bucket(s3, OTHER_LOGS, None, None, log_target=True)
    findings = list(storage.buckets(account, settings))
    finding = _one(iter(findings), "buckets", "mlops-datamgmt-*")
    assert (finding.ok, finding.detail) == (False, "no platform bucket; expected the stack's buckets")


def _rotation_off(kms: Any, key: str) -> None:
    kms.disable_key_rotation(KeyId=key)


def _open_by_not_principal(kms: Any, key: str) -> None:
    policy = docs.kms_key_policy("aws", DATAMGMT, [], REGION, False)
    policy["Statement"].append(
        {
            "Sid": "EveryoneButOne",
            "Effect": "Allow",
            "NotPrincipal": {"AWS": f"arn:aws:iam::{DATAMGMT}:role/someone"},
            "Action": "kms:Decrypt",
            "Resource": "*",
        }
    )
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))


def _open_to_anyone(kms: Any, key: str) -> None:
    policy = docs.kms_key_policy("aws", DATAMGMT, [], REGION, False)
    policy["Statement"].append(
        {"Sid": "Anyone", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    )
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(policy))


KEY_DRIFTS: list[tuple[str, Callable[[Any, str], None], str, str]] = [
    ("rotation off", _rotation_off, "kms-key-rotation", "rotation off"),
    ("anyone but one", _open_by_not_principal, "kms-key-policy", "anyone allowed, unconditionally, by EveryoneButOne"),
    ("principal *", _open_to_anyone, "kms-key-policy", "anyone allowed, unconditionally, by Anyone"),
]


@pytest.mark.parametrize(("what", "drift", "check", "detail"), KEY_DRIFTS, ids=[d[0] for d in KEY_DRIFTS])
def test_each_key_drift_is_caught(
    account: boto3.Session, what: str, drift: Callable[[Any, str], None], check: str, detail: str
) -> None:
    kms = account.client("kms")
    key = kms.create_key(Policy=json.dumps(docs.kms_key_policy("aws", DATAMGMT, [], REGION, False)))["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    drift(kms, key["KeyId"])
    findings = list(storage.kms_keys(account, _settings(ROOT, "datamgmt")))
    finding = _one(iter(findings), check, key["Arn"])
    assert (finding.ok, finding.detail) == (False, detail)
    assert [f for f in findings if not f.ok] == [finding]


def test_the_stacks_key_passes(account: boto3.Session, settings: Settings) -> None:
    """The twin: a rotating key with the stack's policy (components/policy_documents.kms_key_policy),
    whose service statements hold conditions; AWS managed keys are not judged."""
    built = build_compliant(account, settings)
    findings = list(storage.kms_keys(account, settings))
    assert [(f.check, f.resource, f.ok) for f in findings] == [
        ("kms-key-rotation", built["key"], True),
        ("kms-key-policy", built["key"], True),
    ]


# --- the account's public access block, stubbed ----------------------------------------------------


def _s3control(aws: boto3.Session, response: dict[str, Any] | None, error: str = "") -> StubbedSession:
    client = aws.client("s3control")
    stubber = Stubber(client)
    if error:
        stubber.add_client_error(
            "get_public_access_block",
            service_error_code=error,
            http_status_code=404,
            expected_params={"AccountId": DATAMGMT},
        )
    else:
        stubber.add_response("get_public_access_block", response or {}, expected_params={"AccountId": DATAMGMT})
    stubber.activate()
    return StubbedSession(aws, {"s3control": (client, stubber)})


@pytest.mark.parametrize(
    ("configuration", "error", "ok", "detail"),
    [
        (ALL_ON, "", True, "all four on"),
        (None, "NoSuchPublicAccessBlockConfiguration", False, "no account-level public access block"),
        ({**ALL_ON, "RestrictPublicBuckets": False}, "", False, "off: RestrictPublicBuckets"),
        (
            {**ALL_ON, "BlockPublicAcls": False, "IgnorePublicAcls": False},
            "",
            False,
            "off: BlockPublicAcls, IgnorePublicAcls",
        ),
    ],
    ids=["all on (twin)", "none", "one flag off", "ACL flags off"],
)
def test_the_account_public_access_block(
    aws: boto3.Session, settings: Settings, configuration: dict[str, bool] | None, error: str, ok: bool, detail: str
) -> None:
    """Stubbed: moto's server mode cannot take s3control calls, because botocore puts the account id
    in front of the host (``333333333333.127.0.0.1:<port>``, its endpoint rules for s3control), which
    does not resolve (EndpointConnectionError; AWS_DISABLE_HOST_PREFIX_INJECTION does not change the
    endpoint rules). The Stubber checks the request and the response against botocore's model."""
    session = _s3control(aws, {"PublicAccessBlockConfiguration": configuration} if configuration else None, error)
    (finding,) = storage.account_public_access_block(session, settings)
    assert (finding.check, finding.resource, finding.ok, finding.detail) == (
        "account-public-access-block",
        DATAMGMT,
        ok,
        detail,
    )
    assert (finding.guardrail, finding.control) == ("21", "S3.1")
    session.verify()


def test_every_role_audits_the_account_block_and_every_bucket() -> None:
    for role in ("tooling", "datasci", "preprod", "datamgmt"):
        assert storage.CHECKS[role][:2] == (storage.account_public_access_block, storage.buckets)
