"""S3 buckets, KMS keys and the training workgroup's results."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
from botocore.exceptions import ClientError

from contracts import naming
from contracts.config import Settings
from ops.audit.findings import Check, Finding, Rule

PUBLIC_ACCESS_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

PLATFORM_BUCKETS = Rule("buckets", guardrail="21", control="")
PUBLIC_ACCESS_BLOCK = Rule("bucket-public-access-block", guardrail="21", control="S3.8")
ENCRYPTION = Rule("bucket-encryption", guardrail="22", control="S3.17")
KEY_ROTATION = Rule("kms-key-rotation", guardrail="25", control="KMS.4")
KEY_POLICY = Rule("kms-key-policy", guardrail="25", control="KMS.5")
TRAINING_WORKGROUP = Rule("training-workgroup", guardrail="", control="")


def buckets(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    s3 = session.client("s3")
    prefix = f"{naming.PREFIX}-{settings.role}-"
    names = sorted(b["Name"] for b in s3.list_buckets().get("Buckets", []) if b["Name"].startswith(prefix))
    if not names:
        yield PLATFORM_BUCKETS(prefix + "*", False, "no platform bucket; expected the stack's buckets")
    for name in names:
        try:
            block = s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
            off = [flag for flag in PUBLIC_ACCESS_FLAGS if not block.get(flag)]
        except ClientError:
            off = list(PUBLIC_ACCESS_FLAGS)
        yield PUBLIC_ACCESS_BLOCK(name, not off, f"off: {', '.join(off)}" if off else "all four on")
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
        yield ENCRYPTION(name, algorithm in allowed, algorithm)


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
        yield KEY_ROTATION(str(key["Arn"]), rotating, "rotates" if rotating else "rotation off")
        policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
        statements = policy.get("Statement", [])
        anyone = [
            str(statement.get("Sid", index))
            for index, statement in enumerate(statements if isinstance(statements, list) else [statements])
            if statement.get("Effect") == "Allow"
            and _anyone(statement.get("Principal"))
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
    "tooling": (buckets, kms_keys),
    **{role: (buckets, training_workgroup, kms_keys) for role in ("datasci", "preprod", "datamgmt")},
}
