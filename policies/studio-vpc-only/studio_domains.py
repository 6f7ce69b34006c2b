"""Studio domain rules of the Studio pack (guardrails 9-11 of docs/guardrails.md): VPC-only mode, the
domain's subnets and security groups, the security groups of its user profiles and spaces, the
domain's KMS key.

Values unknown during a preview: a check that only needs to know a property is set looks at the
property's key (an unknown ARN or id counts as set); a check that needs the value reads it through
pulumi-policy's proxy, which raises ``UnknownValueError`` so the pack reports that the policy could
not run. Checks that can run still report first: ``Unknowns`` holds the first error back until the
other checks of the policy are done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError
from studio_resource_types import DOMAIN, SECURITY_GROUP_TYPES, USER_PROFILE
from studio_vpc_only_helpers import (
    ABSENT,
    Unknowns,
    by_id,
    described,
    is_set,
    known_id,
    of_type,
    peek,
    setting,
    target,
    value,
)

#: The default of studio-profile-security-groups; it matches this program (policy-config.example.json).
DEFAULT_ALLOWED_SECURITY_GROUPS: list[str] = []


# --- 9. studio-domain-vpc-only ---------------------------------------------------------------------


def _vpc_only(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DOMAIN:
        return
    mode = value(args.props, "appNetworkAccessType")
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
    description=described(
        "SageMaker Studio domains run in VPC-only mode, with no direct internet access.",
        9,
        aws_config=["sagemaker-domain-in-vpc"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_vpc_only,
)


# --- 10. the domain's network: subnets, security groups, and those of its profiles and spaces ------


def _domain_subnets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == DOMAIN and not is_set(args.props, "subnetIds"):
        report_violation(
            f"{args.name}: subnetIds is not set, so Studio has no subnets of the VPC to run in; "
            "set subnetIds to the VPC's private subnets.",
            None,
        )


studio_domain_subnets = ResourceValidationPolicy(
    name="studio-domain-subnets",
    description=described("Studio domains name the VPC subnets their apps run in.", 10),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_domain_subnets,
)


def _domain_security_groups(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == DOMAIN and not is_set(value(args.props, "defaultUserSettings"), "securityGroups"):
        report_violation(
            f"{args.name}: defaultUserSettings.securityGroups is not set, so Studio apps get no "
            "platform security group; set defaultUserSettings.securityGroups to the Studio "
            "security group.",
            None,
        )


studio_domain_security_groups = ResourceValidationPolicy(
    name="studio-domain-security-groups",
    description=described("Studio domains give their apps the platform's security groups by default.", 10),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_domain_security_groups,
)


class _Groups:
    """The security groups one setting lists: the SecurityGroup resources the setting depends on, the
    ids known, and how many entries are unknown (-1: the whole list is)."""

    def __init__(self, resources: list[PolicyResource]) -> None:
        self.resources = resources
        self.known: list[str] = []
        self.unknown = 0
        self.error: UnknownValueError | None = None

    def unaccounted(self) -> bool:
        """Whether unknown entries may be more than the security group resources with unknown ids:
        then something other than those groups is listed, and could be anything."""
        if self.error is None:
            return False
        if self.unknown == -1:
            return not self.resources
        return self.unknown > sum(1 for r in self.resources if known_id(r) is None)


def _groups(resource: PolicyResource, prop: str, settings: Any) -> _Groups:
    depended = [d for d in resource.property_dependencies.get(prop, []) if d.resource_type in SECURITY_GROUP_TYPES]
    groups = _Groups(depended)
    if peek(settings, "securityGroups") is ABSENT:
        return groups
    try:
        listed = settings["securityGroups"]
    except UnknownValueError as error:
        groups.unknown, groups.error = -1, error
        return groups
    if isinstance(listed, str) or not isinstance(listed, Sequence):
        return groups
    for index in range(len(listed)):
        try:
            group_id = listed[index]
        except UnknownValueError as error:
            groups.unknown += 1
            groups.error = groups.error or error
            continue
        if isinstance(group_id, str):
            groups.known.append(group_id)
    return groups


def _outside(
    subject: _Groups, domain: _Groups | None, allowlist: set[str], sg_by_id: Mapping[str, PolicyResource]
) -> list[str]:
    """The security groups ``subject`` lists beyond the domain's defaultUserSettings ones and the
    allowlist, compared as resources (ids may be unknown), then as known ids. Raises
    UnknownValueError when unknown entries leave the answer open."""
    domain_urns = {r.urn for r in domain.resources} if domain else set()
    allowed = set(allowlist)
    if domain is not None:
        allowed |= set(domain.known) | {i for i in (known_id(r) for r in domain.resources) if i}
    outside: list[str] = []
    subject_ids: set[str] = set()
    for group in subject.resources:
        known = known_id(group)
        if known is not None:
            subject_ids.add(known)
        if group.urn in domain_urns or (known is not None and known in allowed):
            continue
        outside.append(group.name)
    for group_id in subject.known:
        if group_id in allowed or group_id in subject_ids:
            continue  # allowed, or already judged as the resource it is
        owner = sg_by_id.get(group_id)
        if owner is not None and owner.urn in domain_urns:
            continue
        outside.append(owner.name if owner is not None else group_id)
    if outside and domain is not None and domain.error is not None and domain.unaccounted():
        raise domain.error  # the domain's own list may hold these groups
    if not outside and subject.error is not None and subject.unaccounted():
        raise subject.error
    return list(dict.fromkeys(outside))


def _profile_security_groups(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    # A stack policy: whether a user profile (or the domain's default space settings) adds a security
    # group can only be judged against its domain's defaultUserSettings, which is another resource,
    # joined through the profile's domainId; and the groups are compared as the SecurityGroup
    # resources each setting depends on, which only AnalyzeStack's property dependencies show while
    # ids are unknown.
    allowlist = set(setting(args, "allowedSecurityGroups", DEFAULT_ALLOWED_SECURITY_GROUPS))
    resources = args.resources
    domains = of_type(resources, DOMAIN)
    sg_by_id = by_id(of_type(resources, *SECURITY_GROUP_TYPES))
    unknowns = Unknowns()
    defaults: dict[str, _Groups] = {}
    for domain in domains:
        with unknowns:
            user_settings = value(domain.props, "defaultUserSettings")
            # A domain without groups of its own has nothing to compare profiles and spaces with:
            # studio-domain-security-groups reports it, and that is the one to fix first.
            if is_set(user_settings, "securityGroups"):
                defaults[domain.urn] = _groups(domain, "defaultUserSettings", user_settings)
        with unknowns:
            space_settings = value(domain.props, "defaultSpaceSettings")
            if domain.urn in defaults:
                outside = _outside(
                    _groups(domain, "defaultSpaceSettings", space_settings), defaults[domain.urn], allowlist, sg_by_id
                )
                if outside:
                    report_violation(
                        f"{domain.name}: defaultSpaceSettings.securityGroups adds {', '.join(outside)}, which "
                        "defaultUserSettings.securityGroups does not use; give spaces only the domain's "
                        "security groups, or add the group ids to allowedSecurityGroups.",
                        domain.urn,
                    )
    domain_by_id = by_id(domains)
    # aws:sagemaker/space:Space has no security group setting of its own: spaces use the domain's
    # defaultSpaceSettings, checked above.
    for profile in of_type(resources, USER_PROFILE):
        with unknowns:
            owner = target(profile, "domainId", (DOMAIN,), domain_by_id)
            settings = value(profile.props, "userSettings")
            subject = _groups(profile, "userSettings", settings)
            if owner is None:
                continue  # the provider requires domainId
            if isinstance(owner, PolicyResource):
                if owner.urn not in defaults:
                    continue  # the domain's groups are missing (reported) or unknown (reraised below)
                outside = _outside(subject, defaults[owner.urn], allowlist, sg_by_id)
                problem = f"which the domain {owner.name} does not use in defaultUserSettings.securityGroups"
            else:
                outside = _outside(subject, None, allowlist, sg_by_id)
                problem = f"which are not in allowedSecurityGroups, and its domain {owner} is not in this stack"
            if outside:
                report_violation(
                    f"{profile.name}: userSettings.securityGroups adds {', '.join(outside)}, {problem}; use "
                    "only the domain's security groups, or add the group ids to allowedSecurityGroups.",
                    profile.urn,
                )
    unknowns.reraise()


studio_profile_security_groups = StackValidationPolicy(
    name="studio-profile-security-groups",
    description=described(
        "Studio user profiles and spaces use no security groups beyond their domain's and the allowed ones.", 10
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_profile_security_groups,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedSecurityGroups": {
                "type": "array",
                "items": {"type": "string"},
                "description": (
                    "Security group ids user profiles and spaces may use besides the domain's "
                    "defaultUserSettings.securityGroups."
                ),
                "default": DEFAULT_ALLOWED_SECURITY_GROUPS,
            }
        }
    ),
)


# --- 11. studio-domain-kms -------------------------------------------------------------------------


def _is_aws_managed_key(key: str) -> bool:
    return key.startswith("alias/aws/") or ":alias/aws/" in key


def _domain_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DOMAIN:
        return
    key = peek(args.props, "kmsKeyId")
    if not is_set(args.props, "kmsKeyId"):
        report_violation(
            f"{args.name}: kmsKeyId is not set, so the domain's storage is encrypted with an AWS managed "
            "key; set kmsKeyId to the platform's customer managed KMS key.",
            None,
        )
    elif isinstance(key, str) and _is_aws_managed_key(key):
        report_violation(
            f"{args.name}: kmsKeyId is {key!r}, an AWS managed key; set kmsKeyId to the platform's customer "
            "managed KMS key.",
            None,
        )


studio_domain_kms = ResourceValidationPolicy(
    name="studio-domain-kms",
    description=described(
        "Studio domain storage is encrypted with a customer managed KMS key.", 11, checkov=["CKV_AWS_187"]
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_domain_kms,
)


POLICIES = [
    studio_domain_vpc_only,
    studio_domain_subnets,
    studio_domain_security_groups,
    studio_profile_security_groups,
    studio_domain_kms,
]
