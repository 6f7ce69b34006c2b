"""The tooling account's model registry: what a target account's training role may do there, and the
model package group's resource policy. The program declares both (components/); ``ops audit``
compares the live policy with the declared one, and may not import the program."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from contracts.naming import PENDING_APPROVAL, account_roots

VERSION = "2012-10-17"


def register_model_versions(group_arn: str) -> list[dict[str, Any]]:
    """Register versions in the tooling account's model registry, pending approval, and read them
    back; never approve or change one."""
    versions = group_arn.replace(":model-package-group/", ":model-package/") + "/*"
    return [
        {
            "Sid": "RegisterModelVersionsPendingApproval",
            "Effect": "Allow",
            "Action": "sagemaker:CreateModelPackage",
            "Resource": versions,
            "Condition": {"StringEquals": {"sagemaker:ModelApprovalStatus": PENDING_APPROVAL}},
        },
        {
            "Sid": "ReadModelRegistry",
            "Effect": "Allow",
            "Action": ["sagemaker:DescribeModelPackageGroup", "sagemaker:DescribeModelPackage"],
            "Resource": [group_arn, versions],
        },
    ]


def model_registry_policy(partition: str, group_arn: str, trainer_role_arns: Sequence[str]) -> dict[str, Any]:
    """The model package group's resource policy (AWS's cross-account registration pattern): the
    target accounts' training roles register versions, pending approval, and read them; approving
    one stays with the tooling account."""
    principal = {"AWS": account_roots(partition, trainer_role_arns)}
    # The roles may not exist yet when the tooling stack deploys first: pinned by ARN.
    pinned = {"ArnEquals": {"aws:PrincipalArn": sorted(trainer_role_arns)}}
    return {
        "Version": VERSION,
        "Statement": [
            {**statement, "Principal": principal, "Condition": {**pinned, **statement.get("Condition", {})}}
            for statement in register_model_versions(group_arn)
        ],
    }
