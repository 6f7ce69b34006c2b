"""VPC-only SageMaker Studio rules."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

DOMAIN = "aws:sagemaker/domain:Domain"


def _vpc_only(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DOMAIN:
        return
    mode = args.props.get("appNetworkAccessType")
    if mode != "VpcOnly":
        # Missing means the AWS default, PublicInternetOnly: Studio apps reach the internet directly.
        shown = "not set (AWS defaults to PublicInternetOnly)" if mode is None else f"{mode!r}"
        report_violation(
            f"{args.name}: appNetworkAccessType is {shown}, which gives Studio apps a path to the "
            'internet; set appNetworkAccessType to "VpcOnly".',
            None,
        )


studio_domain_vpc_only = ResourceValidationPolicy(
    name="studio-domain-vpc-only",
    description="SageMaker Studio domains run in VPC-only mode, with no direct internet access.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_vpc_only,
)

POLICIES = [studio_domain_vpc_only]
