"""Lake Formation governance rules."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

DATA_LAKE_SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"
DEFAULT_PERMISSION_PROPERTIES = ("createDatabaseDefaultPermissions", "createTableDefaultPermissions")


def _no_iam_allowed_principals(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DATA_LAKE_SETTINGS:
        return
    for prop in DEFAULT_PERMISSION_PROPERTIES:
        grants = args.props.get(prop)
        if grants is None:
            # Lake Formation's own default grants ALL to IAM_ALLOWED_PRINCIPALS on new databases and
            # tables, which leaves them governed by IAM alone.
            report_violation(
                f"{args.name}: {prop} is not set, so Lake Formation keeps its default of ALL to "
                f"{IAM_ALLOWED_PRINCIPALS}; set {prop} to an empty list.",
                None,
            )
            continue
        for grant in grants:
            if grant.get("principal") == IAM_ALLOWED_PRINCIPALS:
                report_violation(
                    f"{args.name}: {prop} grants {list(grant.get('permissions') or [])} to {IAM_ALLOWED_PRINCIPALS}, "
                    "so IAM policies alone open new databases and tables; remove that entry and grant "
                    "through Lake Formation.",
                    None,
                )


lf_settings_no_iam_allowed_principals = ResourceValidationPolicy(
    name="lf-settings-no-iam-allowed-principals",
    description="Data lake settings give no default permissions to IAM_ALLOWED_PRINCIPALS.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_iam_allowed_principals,
)

POLICIES = [lf_settings_no_iam_allowed_principals]
