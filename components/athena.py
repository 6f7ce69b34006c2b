"""Athena workgroups whose queries cannot choose another result location or drop the encryption."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws


def enforced_workgroup(
    resource_name: str,
    name: str,
    description: str,
    bucket: pulumi.Output[str],
    prefix: str,
    kms_key_arn: pulumi.Input[str],
    tags: Mapping[str, str],
    opts: pulumi.ResourceOptions,
) -> aws.athena.Workgroup:
    """A workgroup that enforces its configuration: results (and a CTAS's files) SSE-KMS with the
    key under ``s3://<bucket>/<prefix>``, metrics published."""
    return aws.athena.Workgroup(
        resource_name,
        name=name,
        description=description,
        configuration={
            "enforce_workgroup_configuration": True,
            "publish_cloudwatch_metrics_enabled": True,
            "result_configuration": {
                "output_location": bucket.apply(lambda b: f"s3://{b}/{prefix}"),
                "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": kms_key_arn},
            },
        },
        tags=dict(tags),
        opts=opts,
    )
