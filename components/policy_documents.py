"""IAM, KMS and S3 policy documents as plain dicts: pure, tested without the Pulumi runtime.

Callers serialise them with ``json.dumps`` (inside ``Output.apply`` when an ARN is not yet known);
the program never calls ``get_policy_document``, a provider invoke.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Statement = dict[str, Any]
Document = dict[str, Any]

VERSION = "2012-10-17"


def document(statements: Iterable[Mapping[str, Any]]) -> Document:
    return {"Version": VERSION, "Statement": list(statements)}


def account_root(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:root"


def service_trust(services: Sequence[str], source_account: str) -> Document:
    """Trust for AWS services acting for this account only (confused-deputy guard)."""
    return document(
        [
            {
                "Sid": "TrustedServices",
                "Effect": "Allow",
                "Principal": {"Service": sorted(services)},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": source_account}},
            }
        ]
    )


def role_trust(role_arn: str) -> Document:
    """Trust for exactly one role of another account, named by its ARN, never by the account root."""
    return document(
        [
            {
                "Sid": "TrustedRole",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": "sts:AssumeRole",
            }
        ]
    )


def assume_roles(role_arns: Sequence[str]) -> Statement:
    return {"Sid": "AssumeTargetRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": sorted(role_arns)}


def object_access(bucket_arn: str, key_arn: str, sid: str, write: bool = False) -> list[Statement]:
    """Read (and with ``write``, also put) a bucket's objects, with the key that encrypts them."""
    objects = ["s3:GetObject", "s3:GetObjectVersion", *(["s3:PutObject"] if write else [])]
    crypto = ["kms:Decrypt", "kms:DescribeKey", *(["kms:Encrypt", "kms:GenerateDataKey"] if write else [])]
    return [
        {
            "Sid": f"{sid}List",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": bucket_arn,
        },
        {"Sid": f"{sid}Objects", "Effect": "Allow", "Action": objects, "Resource": f"{bucket_arn}/*"},
        {"Sid": f"{sid}Key", "Effect": "Allow", "Action": crypto, "Resource": key_arn},
    ]


def write_logs(partition: str, region: str, account_id: str, log_group_prefix: str) -> Statement:
    return {
        "Sid": "WriteLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [
            f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_prefix}*",
            f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_prefix}*:log-stream:*",
        ],
    }


def kms_key_policy(partition: str, account_id: str, decrypt_roles: Sequence[str] = ()) -> Document:
    """A key policy that leaves administration to IAM in this account and lets named roles of
    other accounts decrypt.

    The cross-account roles may not exist yet when this key is created (the tooling stack deploys
    first), and KMS rejects a policy naming a missing principal. So the statement names each other
    account's root as principal and pins the exact roles with ``aws:PrincipalArn``.
    """
    statements: list[Statement] = [
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": account_root(partition, account_id)},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if decrypt_roles:
        statements.append(
            {
                "Sid": "NamedRolesOfOtherAccountsDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": _account_roots(partition, decrypt_roles)},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:PrincipalArn": sorted(decrypt_roles)}},
            }
        )
    return document(statements)


def deny_insecure_transport(bucket_arn: str) -> Statement:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def allow_access_log_delivery(partition: str, bucket_arn: str, source_account: str) -> Statement:
    """S3 server access logging writes as the logging service, from this account's buckets only."""
    return {
        "Sid": "AllowAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": source_account},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:s3:::*"},
        },
    }


def allow_roles_read(partition: str, bucket_arn: str, role_arns: Sequence[str]) -> Statement:
    """Let named roles of other accounts read a bucket's objects (their own policies must allow it
    too). As in the key policy, the accounts are the principals and ``aws:PrincipalArn`` pins the
    roles, because S3 rejects a policy naming a role that does not exist yet."""
    return {
        "Sid": "NamedRolesOfOtherAccountsRead",
        "Effect": "Allow",
        "Principal": {"AWS": _account_roots(partition, role_arns)},
        "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"],
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"ArnEquals": {"aws:PrincipalArn": sorted(role_arns)}},
    }


def _account_roots(partition: str, role_arns: Sequence[str]) -> list[str]:
    return [account_root(partition, account) for account in sorted({arn.split(":")[4] for arn in role_arns})]
