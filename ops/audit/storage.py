"""S3 buckets, KMS keys and the training workgroup's results."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

import boto3
from botocore.exceptions import ClientError

from contracts import naming
from contracts.config import Settings
from ops.audit.findings import Check, Finding, Rule, error_code, is_customer_key, pages, statements, strings

PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
#: The default key S3 (and CodeBuild, CodePipeline) fall back to: AWS managed, not the platform's.
AWS_MANAGED_S3_KEY = "alias/aws/s3"

PLATFORM_BUCKETS = Rule("buckets", guardrail="21", control="")
ACCOUNT_PUBLIC_ACCESS_BLOCK = Rule("account-public-access-block", guardrail="21", control="S3.1")
PUBLIC_ACCESS_BLOCK = Rule("bucket-public-access-block", guardrail="21", control="S3.8")
ENCRYPTION = Rule("bucket-encryption", guardrail="22", control="S3.17")
TLS_ONLY = Rule("bucket-tls-only", guardrail="23", control="S3.5")
VERSIONING = Rule("bucket-versioning", guardrail="24", control="S3.14")
KEY_ROTATION = Rule("kms-key-rotation", guardrail="25", control="KMS.4")
KEY_POLICY = Rule("kms-key-policy", guardrail="25", control="KMS.5")
TRAINING_WORKGROUP = Rule("training-workgroup", guardrail="", control="")


def _anyone(principal: Any) -> bool:
    """Whether a policy principal is everyone: ``"*"``, or ``"*"`` among its AWS principals."""
    if principal == "*":
        return True
    named = principal.get("AWS", []) if isinstance(principal, Mapping) else []
    return "*" in ([named] if isinstance(named, str) else named)


def _flags_off(block: Mapping[str, Any]) -> str:
    off = [flag for flag in PUBLIC_ACCESS_FLAGS if not block.get(flag)]
    return f"off: {', '.join(off)}" if off else ""


def account_public_access_block(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """The account-level public access block, which overrides every bucket's, has all four flags on."""
    try:
        block = session.client("s3control").get_public_access_block(AccountId=settings.account_id)[
            "PublicAccessBlockConfiguration"
        ]
    except ClientError as error:
        if error_code(error) != "NoSuchPublicAccessBlockConfiguration":
            raise
        yield ACCOUNT_PUBLIC_ACCESS_BLOCK(settings.account_id, False, "no account-level public access block")
        return
    off = _flags_off(block)
    yield ACCOUNT_PUBLIC_ACCESS_BLOCK(settings.account_id, not off, off or "all four on")


def _log_targets(s3: Any, names: list[str]) -> set[str]:
    """The buckets of the account that receive another bucket's server access logs (S3 delivers
    them only to a bucket of the same account and Region)."""
    targets = set()
    for name in names:
        enabled = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled") or {}
        if enabled.get("TargetBucket"):
            targets.add(str(enabled["TargetBucket"]))
    return targets


def _encryption(s3: Any, name: str, log_target: bool) -> tuple[bool, str]:
    try:
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        default: Mapping[str, Any] = rules[0]["ApplyServerSideEncryptionByDefault"]
    except ClientError as error:
        if error_code(error) != "ServerSideEncryptionConfigurationNotFoundError":
            raise
        return False, "no default encryption"
    except (KeyError, IndexError):
        return False, "no default encryption"
    algorithm = str(default.get("SSEAlgorithm", "none"))
    if algorithm == "AES256":
        # S3 delivers server access logs only to SSE-S3 buckets.
        return (True, algorithm) if log_target else (False, "AES256 (SSE-S3); expected SSE-KMS with a customer key")
    if algorithm not in ("aws:kms", "aws:kms:dsse"):
        return False, f"{algorithm}; expected SSE-KMS with a customer key"
    key = str(default.get("KMSMasterKeyID") or AWS_MANAGED_S3_KEY)
    if not is_customer_key(key):
        return False, f"{algorithm} with the AWS managed key {key}; expected a customer key"
    return True, algorithm


def _condition_is_insecure_transport(condition: Any) -> bool:
    """Whether a Condition is exactly ``{"Bool": {"aws:SecureTransport": "false"}}`` (the key in any
    case, the value a string, a boolean or a one-item list; BoolIfExists also denies a request
    without the key): a Deny under any further condition would deny only some insecure requests."""
    if not isinstance(condition, Mapping) or len(condition) != 1:
        return False
    ((operator, tests),) = condition.items()
    if operator not in ("Bool", "BoolIfExists") or not isinstance(tests, Mapping) or len(tests) != 1:
        return False
    ((key, value),) = tests.items()
    values = value if isinstance(value, list) else [value]
    return str(key).lower() == "aws:securetransport" and len(values) == 1 and str(values[0]).lower() == "false"


def _denies_insecure_transport(policy: Mapping[str, Any], bucket_arn: str) -> bool:
    """Whether a bucket policy denies everyone every S3 action on the bucket and its objects when
    the request does not use TLS, as components/storage.py writes it."""
    for statement in statements(policy):
        actions = [action.lower() for action in strings(statement.get("Action"))]
        resources = strings(statement.get("Resource"))
        if (
            statement.get("Effect") == "Deny"
            and _anyone(statement.get("Principal"))
            and any(action in ("*", "s3:*") for action in actions)
            and any(fnmatchcase(bucket_arn, resource) for resource in resources)
            and any(fnmatchcase(f"{bucket_arn}/key", resource) for resource in resources)
            and _condition_is_insecure_transport(statement.get("Condition"))
        ):
            return True
    return False


def _tls_only(s3: Any, name: str, partition: str) -> tuple[bool, str]:
    try:
        text = s3.get_bucket_policy(Bucket=name)["Policy"]
    except ClientError as error:
        if error_code(error) != "NoSuchBucketPolicy":
            raise
        return False, "no bucket policy; expected a Deny on aws:SecureTransport false"
    try:
        policy = json.loads(text)
    except json.JSONDecodeError:
        return False, "the bucket policy is not JSON"
    if not isinstance(policy, Mapping) or not _denies_insecure_transport(policy, f"arn:{partition}:s3:::{name}"):
        return False, "no Deny of s3:* on the bucket and its objects when aws:SecureTransport is false"
    return True, "denies requests without TLS"


def buckets(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Every bucket of the account, the platform's and any other: public access block, default
    encryption, TLS only and versioning, as components/storage.py sets them.

    SSE-S3 is allowed on a server access log target only, since S3 delivers those logs to SSE-S3
    buckets alone: the platform's access-log bucket (by its name), or any bucket another bucket of
    the account logs to (its logging configuration says so, whoever made it)."""
    s3 = session.client("s3")
    prefix = f"{naming.PREFIX}-{settings.role}-"
    names = sorted(b["Name"] for b in s3.list_buckets().get("Buckets", []))
    if not any(name.startswith(prefix) for name in names):
        yield PLATFORM_BUCKETS(prefix + "*", False, "no platform bucket; expected the stack's buckets")
    targets = _log_targets(s3, names)
    for name in names:
        try:
            off = _flags_off(s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"])
        except ClientError as error:
            if error_code(error) != "NoSuchPublicAccessBlockConfiguration":
                raise
            off = "no public access block"
        yield PUBLIC_ACCESS_BLOCK(name, not off, off or "all four on")
        log_target = name.startswith(f"{prefix}access-logs-") or name in targets
        yield ENCRYPTION(name, *_encryption(s3, name, log_target))
        yield TLS_ONLY(name, *_tls_only(s3, name, settings.partition))
        status = s3.get_bucket_versioning(Bucket=name).get("Status")
        yield VERSIONING(
            name,
            status == "Enabled",
            "enabled" if status == "Enabled" else f"{status or 'never enabled'}; expected Enabled",
        )


def kms_keys(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Every enabled symmetric customer key of the account rotates (AWS-managed keys rotate by
    themselves), and its policy lets nobody in with a wildcard principal outside a condition."""
    kms = session.client("kms")
    listed_keys = pages(kms, "list_keys", "Keys")
    for listed in listed_keys:
        key = kms.describe_key(KeyId=listed["KeyId"])["KeyMetadata"]
        if key.get("KeyManager") != "CUSTOMER" or key.get("KeyState") != "Enabled":
            continue
        if key.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or key.get("Origin") != "AWS_KMS":
            continue
        rotating = bool(kms.get_key_rotation_status(KeyId=key["KeyId"]).get("KeyRotationEnabled"))
        yield KEY_ROTATION(str(key["Arn"]), rotating, "rotates" if rotating else "rotation off")
        policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
        # NotPrincipal in an Allow lets in everyone but those it names.
        anyone = [
            str(statement.get("Sid", index))
            for index, statement in enumerate(statements(policy))
            if statement.get("Effect") == "Allow"
            and (_anyone(statement.get("Principal")) or "NotPrincipal" in statement)
            and not statement.get("Condition")
        ]
        yield KEY_POLICY(
            str(key["Arn"]),
            not anyone,
            f"anyone allowed, unconditionally, by {', '.join(anyone)}" if anyone else "no unconditional wildcard",
        )


def training_workgroup(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Training datasets' query results stay in the training bucket, encrypted with the account key."""
    name = naming.training_workgroup(settings.role)
    try:
        group = session.client("athena").get_work_group(WorkGroup=name).get("WorkGroup")
    except ClientError:
        group = None
    if not group:
        yield TRAINING_WORKGROUP(name, False, "missing; expected the stack's Athena workgroup")
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
    yield TRAINING_WORKGROUP(name, not problems, "; ".join(problems) or "enforced, results SSE-KMS")


#: Which checks of this module apply to which account role.
CHECKS: dict[str, tuple[Check, ...]] = {
    "tooling": (account_public_access_block, buckets, kms_keys),
    **{
        role: (account_public_access_block, buckets, training_workgroup, kms_keys)
        for role in ("datasci", "preprod", "datamgmt")
    },
}
