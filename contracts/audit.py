"""The nightly audit's contract: what the read-only auditor roles may call, and when the audit runs.

``python -m ops audit`` (ops/audit/) makes these calls and no others; the program grants exactly these
actions to each account's auditor role (components/policy_documents.audit_read), and a test records
the calls the audit makes against the emulator and compares them with this list. Every action reads
settings or metadata: none reads data (no s3:GetObject, no lakeformation:GetDataAccess, no
kms:Decrypt) and none writes.
"""

from __future__ import annotations

import re

#: IAM actions the audit calls, by service: the auditor role holds exactly these, on every resource of
#: its account (policy_documents.audit_read); most take no resource anyway.
AUDIT_ACTIONS: dict[str, tuple[str, ...]] = {
    "athena": ("athena:GetWorkGroup",),
    "codebuild": ("codebuild:BatchGetProjects", "codebuild:ListProjects"),
    "codepipeline": ("codepipeline:GetPipeline", "codepipeline:ListPipelines"),
    "ec2": (
        "ec2:DescribeFlowLogs",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeNatGateways",
        "ec2:DescribeRouteTables",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSubnets",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeVpcPeeringConnections",
        "ec2:DescribeVpcs",
    ),
    "glue": (
        "glue:GetCrawlers",
        "glue:GetDataCatalogEncryptionSettings",
        "glue:GetJobs",
        "glue:GetSecurityConfigurations",
    ),
    "iam": (
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:GetRolePolicy",
        "iam:ListAttachedRolePolicies",
        "iam:ListRolePolicies",
        "iam:ListRoles",
    ),
    "kms": (
        "kms:DescribeKey",
        "kms:GetKeyPolicy",
        "kms:GetKeyRotationStatus",
        "kms:ListKeys",
    ),
    "lakeformation": (
        "lakeformation:GetDataLakeSettings",
        "lakeformation:ListPermissions",
        "lakeformation:ListResources",
    ),
    "redshift": ("redshift:DescribeClusterParameters", "redshift:DescribeClusters"),
    "redshift-serverless": (
        "redshift-serverless:ListNamespaces",
        "redshift-serverless:ListWorkgroups",
    ),
    "s3": (
        "s3:GetAccountPublicAccessBlock",
        "s3:GetBucketLogging",
        "s3:GetBucketPolicy",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetBucketVersioning",
        "s3:GetEncryptionConfiguration",
        "s3:ListAllMyBuckets",
    ),
    "sagemaker": (
        "sagemaker:DescribeDomain",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:DescribeFeatureGroup",
        "sagemaker:DescribeModel",
        "sagemaker:DescribeNotebookInstance",
        "sagemaker:DescribeSpace",
        "sagemaker:DescribeUserProfile",
        "sagemaker:GetModelPackageGroupPolicy",
        "sagemaker:ListDomains",
        "sagemaker:ListEndpointConfigs",
        "sagemaker:ListFeatureGroups",
        "sagemaker:ListModels",
        "sagemaker:ListNotebookInstances",
        "sagemaker:ListSpaces",
        "sagemaker:ListUserProfiles",
    ),
}

#: The default schedule: every night at 02:00 UTC.
DEFAULT_SCHEDULE = "cron(0 2 * * ? *)"
_RATE = re.compile(r"rate\((?P<value>[1-9][0-9]*) (?P<unit>minutes?|hours?|days?)\)")
_CRON = re.compile(r"cron\((?P<fields>[^()]+)\)")
_MINUTES = {"minute": 1, "hour": 60, "day": 24 * 60}


def check_schedule(expression: str) -> str:
    """An EventBridge schedule expression that runs the audit at most hourly, or ValueError.

    ``rate(value unit)``, the unit singular for 1 and plural otherwise, or ``cron(...)`` with six
    fields, one of day-of-month and day-of-week ``?``:
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html
    """
    expected = "rate(1 day), rate(N hours) or cron(minutes hours day-of-month month day-of-week year) in UTC"
    rate = _RATE.fullmatch(expression)
    if rate:
        value, unit = int(rate["value"]), rate["unit"]
        if (value == 1) == unit.endswith("s"):
            raise ValueError(f"{expression!r} has the unit {unit!r} for {value}; expected {expected}")
        if value * _MINUTES[unit.rstrip("s")] < 60:
            raise ValueError(f"{expression!r} runs more often than hourly; expected {expected}")
        return expression
    cron = _CRON.fullmatch(expression)
    fields = cron["fields"].split() if cron else []
    if len(fields) != 6:
        raise ValueError(f"{expression!r} is not a schedule expression; expected {expected}")
    if "?" not in (fields[2], fields[4]):
        raise ValueError(f"{expression!r} sets both day-of-month and day-of-week; expected one of them '?'")
    if fields[0] in ("*", "?") or "/" in fields[0] or "," in fields[0] or "-" in fields[0]:
        raise ValueError(f"{expression!r} runs more often than hourly; expected one minute, as in {DEFAULT_SCHEDULE}")
    return expression
