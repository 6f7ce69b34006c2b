"""Lake Formation governance and Glue catalog rules (guardrails 1-8 of docs/guardrails.md).

Every policy here is a resource policy over the inputs the engine sends to ``Analyze`` (camelCase,
wrapped in pulumi-policy's unknown-checking proxy). A check that only needs to know that a property
is set looks at the keys (``is_set``), so a value still unknown during a preview (an ARN of a key
or role being created) counts as set. A check that needs the value reads it, and an unknown value
raises ``UnknownValueError``, which pulumi-policy turns into an advisory "can't run policy ... during
preview". ``each`` runs a policy's independent checks so that an unknown value stops only its own
check: the others still report, then the first unknown is raised.

One policy per guarded property, so that each can be made advisory or disabled on its own: least
privilege is three policies (ALL, location access, the grant option), tag-based grants two (by
expression, from the vocabulary) beside the sensitive-data one, location registration two (the
role, hybrid access), and each Glue guardrail two. Policies that judge the same principals carry
the same setting (the engine gives a policy only its own config), with one default, and each
setting's description names the other policy to configure alike.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

from lake_formation_helpers import (
    block,
    described,
    each,
    is_set,
    matches,
    patterns,
    quoted,
    sequence,
    setting,
    value,
)
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

DATA_LAKE_SETTINGS = "aws:lakeformation/dataLakeSettings:DataLakeSettings"
PERMISSIONS = "aws:lakeformation/permissions:Permissions"
LOCATION = "aws:lakeformation/resource:Resource"
LF_TAG = "aws:lakeformation/lfTag:LfTag"
RESOURCE_LF_TAGS = "aws:lakeformation/resourceLfTags:ResourceLfTags"
CATALOG_ENCRYPTION = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration"
GLUE_JOB = "aws:glue/job:Job"
GLUE_CRAWLER = "aws:glue/crawler:Crawler"

IAM_ALLOWED_PRINCIPALS = "IAM_ALLOWED_PRINCIPALS"
DEFAULT_PERMISSION_PROPERTIES = ("createDatabaseDefaultPermissions", "createTableDefaultPermissions")
GRANT_PROPERTIES = ("permissions", "permissionsWithGrantOptions")
#: The properties of a Permissions that name one catalog resource instead of an LF-tag expression.
NAMED_RESOURCE_PROPERTIES = {"database": "database", "table": "table", "tableWithColumns": "table"}
IAM_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::[0-9]{12}:role/\S+")
SERVICE_LINKED_ROLE_PATH = ":role/aws-service-role/"
CATALOG_KMS_MODES = ("SSE-KMS", "SSE-KMS-WITH-SERVICE-ROLE")

# Policy configuration defaults: the schemas publish them and the rules fall back to them, so they
# live here only. They match the program's own configuration.
DEFAULT_ALLOWED_ADMINS = ["arn:aws:iam::*:role/pulumi-deployer"]
#: Account-level cross-account shares: the consumer account's admin needs the grant option to
#: grant the shared data on to its own roles.
DEFAULT_GRANT_OPTION_PRINCIPALS = ["^[0-9]{12}$"]
#: The producers of the program's lake: the Feature Store writing its offline tables, the data engineers' jobs.
DEFAULT_PRODUCER_PRINCIPALS = [":role/mlops/mlops-datamgmt-(feature-store|data-engineering)$"]
DEFAULT_VOCABULARY = {"classification": ["public", "internal", "sensitive"], "layer": ["raw", "curated", "features"]}
DEFAULT_CONSUMER_PRINCIPALS = ["^[0-9]{12}$", ":role/mlops/mlops-datamgmt-studio-readonly$"]
DEFAULT_SENSITIVE = {"key": "classification", "value": "sensitive"}

SHARED_SETTING = (
    "Each policy reads only its own {setting}: set the same list for {other}, which otherwise keeps the default."
)


def _principals_schema(setting_name: str, what: str, default: Sequence[str], other: str) -> dict[str, Any]:
    """The schema of a list of principal patterns that two policies both read."""
    return {
        "type": "array",
        "items": {"type": "string"},
        "description": f"{what} {SHARED_SETTING.format(setting=setting_name, other=other)}",
        "default": list(default),
    }


def _principal(args: ResourceValidationArgs) -> str:
    """A grant's principal. Read only when a finding depends on it: it is often an ARN unknown during
    a preview, and reading it then stops the check."""
    found = value(args.props, "principal")
    return found if isinstance(found, str) else ""


# --- 1. lf-settings-no-iam-allowed-principals ----------------------------------------------------


def _no_iam_allowed_principals(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DATA_LAKE_SETTINGS:
        return

    def check(prop: str) -> None:
        grants = value(args.props, prop)
        if grants is None:
            # Lake Formation's own default grants ALL to IAM_ALLOWED_PRINCIPALS on new databases and
            # tables, which leaves them governed by IAM alone.
            report_violation(
                f"{args.name}: {prop} is not set, so Lake Formation keeps its default of ALL to "
                f"{IAM_ALLOWED_PRINCIPALS}; set {prop} to an empty list.",
                None,
            )
            return
        if isinstance(grants, str) or not isinstance(grants, Sequence):
            report_violation(
                f"{args.name}: {prop} is {grants!r}, not a list of grants, so Lake Formation's default of ALL to "
                f"{IAM_ALLOWED_PRINCIPALS} is not ruled out; set {prop} to an empty list.",
                None,
            )
            return
        for index in range(len(grants)):
            grant = grants[index]
            if isinstance(grant, Mapping) and grant.get("principal") == IAM_ALLOWED_PRINCIPALS:
                report_violation(
                    f"{args.name}: {prop}[{index}].principal is {IAM_ALLOWED_PRINCIPALS}, so IAM policies alone "
                    "open new databases and tables; remove that entry and grant through Lake Formation.",
                    None,
                )

    each(partial(check, prop) for prop in DEFAULT_PERMISSION_PROPERTIES)


lf_settings_no_iam_allowed_principals = ResourceValidationPolicy(
    name="lf-settings-no-iam-allowed-principals",
    description=described("Data lake settings give no default permissions to IAM_ALLOWED_PRINCIPALS.", 1),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_iam_allowed_principals,
)


# --- 2. lf-admins-allowlisted --------------------------------------------------------------------


def _admins_allowlisted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DATA_LAKE_SETTINGS:
        return
    allowed: list[str] = setting(args, "allowedAdmins", DEFAULT_ALLOWED_ADMINS)
    fix = f"set admins to IAM roles matching allowedAdmins ({quoted(allowed)})"
    admins = sequence(value(args.props, "admins"))
    if not admins:
        shown = "empty" if "admins" in list(args.props) else "not set"
        report_violation(f"{args.name}: admins is {shown}, so nobody administers the data lake; {fix}.", None)
        return

    def check(index: int) -> None:
        admin = admins[index]
        if not isinstance(admin, str) or not IAM_ROLE_ARN.fullmatch(admin):
            report_violation(
                f"{args.name}: admins[{index}] {admin!r} is not an IAM role ARN; {fix} "
                "(arn:<partition>:iam::<account>:role/<name>), not users, groups, accounts or SAML identities.",
                None,
            )
        elif not any(fnmatch.fnmatchcase(admin, glob) for glob in allowed):
            report_violation(
                f"{args.name}: admins[{index}] {admin!r} is not in allowedAdmins ({quoted(allowed)}); "
                "remove it, or add it to the allowedAdmins config.",
                None,
            )

    each(partial(check, index) for index in range(len(admins)))


lf_admins_allowlisted = ResourceValidationPolicy(
    name="lf-admins-allowlisted",
    description=described(
        "Data lake administrators are set, are IAM roles, and are each in the configured allowlist.", 2
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedAdmins": {
                "type": "array",
                "items": {"type": "string"},
                "description": "fnmatch globs of the IAM role ARNs that may be data lake administrators.",
                "default": list(DEFAULT_ALLOWED_ADMINS),
            }
        }
    ),
    validate=_admins_allowlisted,
)


# --- 3. lf-no-grants-to-iam-allowed-principals ---------------------------------------------------


def _no_grants_to_iam_allowed_principals(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PERMISSIONS:
        return
    if value(args.props, "principal") == IAM_ALLOWED_PRINCIPALS:
        report_violation(
            f"{args.name}: principal is {IAM_ALLOWED_PRINCIPALS}, which leaves access to IAM policies alone; "
            "grant to a named IAM role or account instead.",
            None,
        )


lf_no_grants_to_iam_allowed_principals = ResourceValidationPolicy(
    name="lf-no-grants-to-iam-allowed-principals",
    description=described("No Lake Formation permission is granted to IAM_ALLOWED_PRINCIPALS.", 3),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_grants_to_iam_allowed_principals,
)


# --- 4. least privilege: ALL, location access, the grant option ---------------------------------
#
# The principal is read only when a grant needs it judged, so a grant of narrow permissions to a
# role whose ARN is still unknown is checked in full during a preview. Each grant property
# (permissions, permissionsWithGrantOptions) is an independent check.


def _producers(args: ResourceValidationArgs, policy: str) -> list[re.Pattern[str]]:
    return patterns(policy, "producerPrincipals", setting(args, "producerPrincipals", DEFAULT_PRODUCER_PRINCIPALS))


def _all_only_to_producers(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PERMISSIONS:
        return
    producers = _producers(args, "lf-all-only-to-producers")

    def check(prop: str) -> None:
        for permission in sequence(value(args.props, prop)):
            if permission != "ALL" or matches(producers, _principal(args)):
                continue
            report_violation(
                f"{args.name}: {prop} includes ALL for {_principal(args)!r}, which is every permission on the "
                "resource; grant only the permissions the principal needs (such as SELECT and DESCRIBE), "
                "or list the principal in the producerPrincipals config.",
                None,
            )

    each(partial(check, prop) for prop in GRANT_PROPERTIES)


lf_all_only_to_producers = ResourceValidationPolicy(
    name="lf-all-only-to-producers",
    description=described("Lake Formation grants give ALL only to the configured producers.", 4),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "producerPrincipals": _principals_schema(
                "producerPrincipals",
                "Regular expressions (searched) of the producer principals that may receive ALL.",
                DEFAULT_PRODUCER_PRINCIPALS,
                "lf-location-access-only-to-producers",
            )
        }
    ),
    validate=_all_only_to_producers,
)


def _location_access_only_to_producers(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PERMISSIONS:
        return
    producers = _producers(args, "lf-location-access-only-to-producers")

    def check(prop: str) -> None:
        for permission in sequence(value(args.props, prop)):
            if permission != "DATA_LOCATION_ACCESS":
                continue
            if not is_set(args.props, "dataLocation"):
                # Through an LF-tag expression or a catalog resource it would reach every location
                # the expression ever matches: location access is granted one location at a time.
                problem = "which is location access granted other than on one exact location"
                fix = "grant DATA_LOCATION_ACCESS on the dataLocation it is for, to a producer role"
            elif not matches(producers, _principal(args)):
                problem = "which lets it create tables over any path of the location"
                fix = "grant DATA_LOCATION_ACCESS only to producer roles"
            else:
                continue
            report_violation(
                f"{args.name}: {prop} includes DATA_LOCATION_ACCESS for {_principal(args)!r}, {problem}; {fix}, "
                "or list the principal in the producerPrincipals config.",
                None,
            )

    each(partial(check, prop) for prop in GRANT_PROPERTIES)


lf_location_access_only_to_producers = ResourceValidationPolicy(
    name="lf-location-access-only-to-producers",
    description=described(
        "Lake Formation grants give DATA_LOCATION_ACCESS only to the configured producers, on one exact data location.",
        4,
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "producerPrincipals": _principals_schema(
                "producerPrincipals",
                "Regular expressions (searched) of the producer principals that may receive DATA_LOCATION_ACCESS.",
                DEFAULT_PRODUCER_PRINCIPALS,
                "lf-all-only-to-producers",
            )
        }
    ),
    validate=_location_access_only_to_producers,
)


def _grant_option_allowlisted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PERMISSIONS:
        return
    allowed = patterns(
        "lf-grant-option-allowlisted",
        "grantOptionPrincipals",
        setting(args, "grantOptionPrincipals", DEFAULT_GRANT_OPTION_PRINCIPALS),
    )
    # Only the length is needed: a known list of unknown permissions is still non-empty.
    if len(sequence(value(args.props, "permissionsWithGrantOptions"))) and not matches(allowed, _principal(args)):
        report_violation(
            f"{args.name}: permissionsWithGrantOptions is set for {_principal(args)!r}, which lets it pass the "
            "permissions on; remove permissionsWithGrantOptions, or list the principal in the "
            "grantOptionPrincipals config.",
            None,
        )


lf_grant_option_allowlisted = ResourceValidationPolicy(
    name="lf-grant-option-allowlisted",
    description=described("Lake Formation grants give the grant option only to the configured principals.", 4),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "grantOptionPrincipals": {
                "type": "array",
                "items": {"type": "string"},
                "description": (
                    "Regular expressions (searched) of the principals that may receive "
                    "permissionsWithGrantOptions; by default account ids, for cross-account shares."
                ),
                "default": list(DEFAULT_GRANT_OPTION_PRINCIPALS),
            }
        }
    ),
    validate=_grant_option_allowlisted,
)


# --- 5. LF-tags: grants by expression and the vocabulary (advisory), never the sensitive value --
#
# Granting the sensitive LF-tag value to a consumer exposes sensitive data and blocks a deployment;
# the rest (consumer grants by LF-tag expression, not by named resource; tags from the vocabulary)
# is advice.


def _consumers(args: ResourceValidationArgs, policy: str) -> list[re.Pattern[str]]:
    return patterns(policy, "consumerPrincipals", setting(args, "consumerPrincipals", DEFAULT_CONSUMER_PRINCIPALS))


def _consumer(args: ResourceValidationArgs, consumers: Sequence[re.Pattern[str]]) -> str | None:
    """The grant's principal when it is a consumer. Read only once a finding depends on it: the
    principal is often an ARN unknown during a preview, and then the policy cannot run."""
    principal = value(args.props, "principal")
    return principal if isinstance(principal, str) and matches(consumers, principal) else None


def _tag_expressions(props: Mapping[str, Any]) -> Sequence[Any] | None:
    """A grant's LF-tag expressions, ``None`` when it has no lfTagPolicy."""
    policy = block(props, "lfTagPolicy")
    return None if policy is None else sequence(value(policy, "expressions"))


def _in_vocabulary(
    args: ResourceValidationArgs,
    report_violation: ReportViolation,
    vocabulary: Mapping[str, Sequence[str]],
    tag: Mapping[str, Any],
    values_key: str,
    where: str = "",
) -> None:
    """One tag (its ``key`` and its ``values_key``, a string or a list) is in the vocabulary; ``where``
    is the tag's property path in the resource, empty when the tag is the resource itself."""
    prefix = f"{where}." if where else ""
    key = tag.get("key")
    if not isinstance(key, str) or key not in vocabulary:
        report_violation(
            f"{args.name}: {prefix}key {key!r} is not in the LF-tag vocabulary ({quoted(vocabulary)}); "
            "use a vocabulary key, or add it to the vocabulary config.",
            None,
        )
        return
    raw = tag.get(values_key)
    for tag_value in [raw] if isinstance(raw, str) else list(raw or []):
        if tag_value not in vocabulary[key]:
            report_violation(
                f"{args.name}: {prefix}{values_key} {tag_value!r} is not a vocabulary value of {key!r} "
                f"({quoted(vocabulary[key])}); use one of them, or add it to the vocabulary config.",
                None,
            )


def _tag_vocabulary(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in (PERMISSIONS, LF_TAG, RESOURCE_LF_TAGS):
        return
    vocabulary: Mapping[str, Sequence[str]] = setting(args, "vocabulary", DEFAULT_VOCABULARY)
    in_vocabulary = partial(_in_vocabulary, args, report_violation, vocabulary)

    if args.resource_type == LF_TAG:
        in_vocabulary(args.props, "values")
        return
    if args.resource_type == RESOURCE_LF_TAGS:
        tags = sequence(value(args.props, "lfTags"))
        each(partial(in_vocabulary, tags[i], "value", f"lfTags[{i}]") for i in range(len(tags)))
        return

    # A grant's tags, whoever the principal.
    def expressions_in_vocabulary() -> None:
        found = _tag_expressions(args.props) or []
        each(partial(in_vocabulary, found[i], "values", f"lfTagPolicy.expressions[{i}]") for i in range(len(found)))

    def lf_tag_in_vocabulary() -> None:
        lf_tag = block(args.props, "lfTag")
        if lf_tag is not None:
            in_vocabulary(lf_tag, "values", "lfTag")

    each([expressions_in_vocabulary, lf_tag_in_vocabulary])


lf_tag_vocabulary = ResourceValidationPolicy(
    name="lf-tag-vocabulary",
    description=described(
        "LF-tags, their assignments and the tags grants name use keys and values of the configured vocabulary.", 5
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(
        properties={
            "vocabulary": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "description": "The LF-tag vocabulary: each tag key and the values it may take.",
                "default": {key: list(values) for key, values in DEFAULT_VOCABULARY.items()},
            }
        }
    ),
    validate=_tag_vocabulary,
)


def _tag_based_grants(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PERMISSIONS:
        return
    consumers = _consumers(args, "lf-tag-based-grants")
    # Named resources are found first; the principal is read only to decide whether they apply.
    named = [(prop, kind) for prop, kind in NAMED_RESOURCE_PROPERTIES.items() if is_set(args.props, prop)]
    if not named:
        return
    principal = _consumer(args, consumers)
    if principal is None:
        return
    for prop, kind in named:
        report_violation(
            f"{args.name}: {prop} grants a named {kind} to consumer {principal!r}, which does not follow the "
            "data's LF-tags; grant through lfTagPolicy with LF-tag expressions instead.",
            None,
        )


lf_tag_based_grants = ResourceValidationPolicy(
    name="lf-tag-based-grants",
    description=described("Consumer grants use LF-tag expressions rather than named databases or tables.", 5),
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(
        properties={
            "consumerPrincipals": _principals_schema(
                "consumerPrincipals",
                "Regular expressions (searched) of the consumer principals (data science accounts and roles), "
                "whose grants should be LF-tag expressions rather than named databases or tables.",
                DEFAULT_CONSUMER_PRINCIPALS,
                "lf-sensitive-never-to-consumers",
            )
        }
    ),
    validate=_tag_based_grants,
)


def _sensitive_never_to_consumers(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PERMISSIONS:
        return
    sensitive: Mapping[str, str] = setting(args, "sensitive", DEFAULT_SENSITIVE)
    key, sensitive_value = sensitive.get("key", ""), sensitive.get("value", "")
    consumers = _consumers(args, "lf-sensitive-never-to-consumers")

    # The problems are found first, and the principal (often an ARN unknown during a preview) is read
    # only to decide whether they apply. Named-resource grants have no expressions to judge here.
    found = _tag_expressions(args.props)
    if found is None:
        return
    on_key = [i for i in range(len(found)) if found[i].get("key") == key]
    problems = [
        f"lfTagPolicy.expressions[{i}].values includes {sensitive_value!r}"
        for i in on_key
        if sensitive_value in list(found[i].get("values") or [])
    ]
    if not on_key:
        problems.append(
            f"lfTagPolicy.expressions has no expression on {key!r}, so the grant also matches {sensitive_value!r} data"
        )
    if not problems:
        return
    principal = _consumer(args, consumers)
    if principal is None:
        return
    for problem in problems:
        report_violation(
            f"{args.name}: {problem} for consumer {principal!r}, which exposes sensitive data; grant through "
            f"lfTagPolicy with an expression on {key!r} whose values exclude {sensitive_value!r}.",
            None,
        )


lf_sensitive_never_to_consumers = ResourceValidationPolicy(
    name="lf-sensitive-never-to-consumers",
    description=described(
        "LF-tag grants to consumers constrain the sensitive tag key to values that exclude the sensitive value.", 5
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "consumerPrincipals": _principals_schema(
                "consumerPrincipals",
                "Regular expressions (searched) of the consumer principals (data science accounts and roles), "
                "whose LF-tag grants must exclude the sensitive value.",
                DEFAULT_CONSUMER_PRINCIPALS,
                "lf-tag-based-grants",
            ),
            "sensitive": {
                "type": "object",
                "properties": {"key": {"type": "string"}, "value": {"type": "string"}},
                "required": ["key", "value"],
                "description": "The LF-tag key and value of sensitive data, never granted to consumers.",
                "default": dict(DEFAULT_SENSITIVE),
            },
        }
    ),
    validate=_sensitive_never_to_consumers,
)


# --- 6. registered locations: the data-access role, no hybrid access ----------------------------

_FIX_ROLE = "set roleArn to the platform's data-access role"


def _location_data_access_role(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != LOCATION:
        return

    def role() -> None:
        if not is_set(args.props, "roleArn"):
            report_violation(
                f"{args.name}: roleArn is not set, so Lake Formation uses its service-linked role; {_FIX_ROLE}.", None
            )
            return
        try:
            role_arn = args.props["roleArn"]
        except UnknownValueError:
            return  # a role still being created: set, and not the service-linked role
        if not isinstance(role_arn, str) or not IAM_ROLE_ARN.fullmatch(role_arn):
            report_violation(f"{args.name}: roleArn {role_arn!r} is not an IAM role ARN; {_FIX_ROLE}.", None)
        elif SERVICE_LINKED_ROLE_PATH in role_arn:
            report_violation(
                f"{args.name}: roleArn {role_arn!r} is a service-linked role, which every Lake Formation "
                f"location shares; {_FIX_ROLE}.",
                None,
            )

    def service_linked() -> None:
        if value(args.props, "useServiceLinkedRole") is True:
            report_violation(
                f"{args.name}: useServiceLinkedRole is true, so Lake Formation reads the location with its "
                f"service-linked role; set useServiceLinkedRole to false and {_FIX_ROLE}.",
                None,
            )

    each([role, service_linked])


lf_location_data_access_role = ResourceValidationPolicy(
    name="lf-location-data-access-role",
    description=described(
        "Registered data lake locations use the platform's own data-access role, not the service-linked role.", 6
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_location_data_access_role,
)


def _location_no_hybrid_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == LOCATION and value(args.props, "hybridAccessEnabled") is True:
        report_violation(
            f"{args.name}: hybridAccessEnabled is true, so IAM and S3 policies keep granting access beside "
            "Lake Formation; set hybridAccessEnabled to false.",
            None,
        )


lf_location_no_hybrid_access = ResourceValidationPolicy(
    name="lf-location-no-hybrid-access",
    description=described("Registered data lake locations do not use hybrid access mode.", 6),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_location_no_hybrid_access,
)


# --- 7. the Glue Data Catalog: encrypted at rest, connection passwords encrypted ----------------
#
# CKV_AWS_94 checks both; they are two settings, so two policies. A missing
# dataCatalogEncryptionSettings leaves both unset, and each policy reports its own half.

_CATALOG_SETTINGS = "dataCatalogEncryptionSettings"


def _catalog_encryption_at_rest(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != CATALOG_ENCRYPTION:
        return
    where = f"{_CATALOG_SETTINGS}.encryptionAtRest"
    at_rest = block(block(args.props, _CATALOG_SETTINGS), "encryptionAtRest")
    fix = f"set {where}.catalogEncryptionMode to 'SSE-KMS' with sseAwsKmsKeyId a customer KMS key"
    if at_rest is None:
        report_violation(f"{args.name}: {where} is not set, so AWS leaves the catalog unencrypted; {fix}.", None)
        return
    mode = at_rest.get("catalogEncryptionMode")
    if mode not in CATALOG_KMS_MODES:
        shown = "not set (AWS defaults to DISABLED)" if mode is None else f"{mode!r}"
        report_violation(
            f"{args.name}: {where}.catalogEncryptionMode is {shown}, not one of {quoted(CATALOG_KMS_MODES)}; {fix}.",
            None,
        )
    if not is_set(at_rest, "sseAwsKmsKeyId"):
        report_violation(
            f"{args.name}: {where}.sseAwsKmsKeyId is not set, so the catalog is not encrypted with a customer "
            f"key; set {where}.sseAwsKmsKeyId to a customer KMS key.",
            None,
        )


glue_catalog_encryption_at_rest = ResourceValidationPolicy(
    name="glue-catalog-encryption-at-rest",
    description=described(
        "The Glue Data Catalog is encrypted at rest with a customer managed KMS key.", 7, checkov=["CKV_AWS_94"]
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_catalog_encryption_at_rest,
)


def _connection_password_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != CATALOG_ENCRYPTION:
        return
    where = f"{_CATALOG_SETTINGS}.connectionPasswordEncryption"
    passwords = block(block(args.props, _CATALOG_SETTINGS), "connectionPasswordEncryption")
    fix = f"set {where}.returnConnectionPasswordEncrypted to true with awsKmsKeyId a customer KMS key"
    if passwords is None:
        report_violation(
            f"{args.name}: {where} is not set, so connection passwords are returned in clear; {fix}.", None
        )
        return
    if passwords.get("returnConnectionPasswordEncrypted") is not True:
        report_violation(
            f"{args.name}: {where}.returnConnectionPasswordEncrypted is not true, so connection passwords "
            f"are returned in clear; {fix}.",
            None,
        )
    if not is_set(passwords, "awsKmsKeyId"):
        report_violation(
            f"{args.name}: {where}.awsKmsKeyId is not set, so connection passwords are not encrypted with a "
            f"customer key; set {where}.awsKmsKeyId to a customer KMS key.",
            None,
        )


glue_connection_password_encryption = ResourceValidationPolicy(
    name="glue-connection-password-encryption",
    description=described(
        "The Glue Data Catalog returns connection passwords encrypted with a customer managed KMS key.",
        7,
        checkov=["CKV_AWS_94"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_connection_password_encryption,
)


# --- 8. Glue security configurations: used by jobs and crawlers, encrypting everything ----------

#: Each block of a security configuration: its mode property, the required mode.
SECURITY_CONFIGURATION_BLOCKS = {
    "s3Encryption": ("s3EncryptionMode", "SSE-KMS"),
    "cloudwatchEncryption": ("cloudwatchEncryptionMode", "SSE-KMS"),
    "jobBookmarksEncryption": ("jobBookmarksEncryptionMode", "CSE-KMS"),
}


def _security_configuration_attached(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    # Without one, Glue writes a job's or crawler's S3 output, logs and bookmarks unencrypted.
    if args.resource_type in (GLUE_JOB, GLUE_CRAWLER) and not is_set(args.props, "securityConfiguration"):
        kind = "job" if args.resource_type == GLUE_JOB else "crawler"
        report_violation(
            f"{args.name}: securityConfiguration is not set, so the {kind}'s S3 data, CloudWatch logs and "
            "bookmarks are not encrypted with a customer key; set securityConfiguration to a Glue security "
            "configuration that encrypts them with KMS.",
            None,
        )


glue_security_configuration_attached = ResourceValidationPolicy(
    name="glue-security-configuration-attached",
    description=described("Glue jobs and crawlers use a security configuration.", 8, checkov=["CKV_AWS_195"]),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_security_configuration_attached,
)


def _security_configuration_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != SECURITY_CONFIGURATION:
        return
    top = "encryptionConfiguration"
    configuration = block(args.props, top)
    if configuration is None:
        report_violation(
            f"{args.name}: {top} is not set, so S3 data, CloudWatch logs and job bookmarks are not encrypted; "
            f"set {top} with s3Encryption and cloudwatchEncryption 'SSE-KMS' and jobBookmarksEncryption "
            "'CSE-KMS', each with kmsKeyArn a customer key.",
            None,
        )
        return

    def check(name: str, mode_key: str, required: str) -> None:
        where = f"{top}.{name}"
        fix = f"set {where}.{mode_key} to {required!r} with kmsKeyArn a customer KMS key"
        encryption = block(configuration, name)
        if encryption is None:
            report_violation(f"{args.name}: {where} is not set, so AWS defaults to DISABLED; {fix}.", None)
            return
        mode = encryption.get(mode_key)
        if mode != required:
            shown = "not set (AWS defaults to DISABLED)" if mode is None else repr(mode)
            report_violation(f"{args.name}: {where}.{mode_key} is {shown}; {fix}.", None)
        if not is_set(encryption, "kmsKeyArn"):
            report_violation(
                f"{args.name}: {where}.kmsKeyArn is not set, so there is no customer key; set {where}.kmsKeyArn "
                "to a customer KMS key.",
                None,
            )

    each(partial(check, name, *spec) for name, spec in SECURITY_CONFIGURATION_BLOCKS.items())


glue_security_configuration_encryption = ResourceValidationPolicy(
    name="glue-security-configuration-encryption",
    description=described(
        "Glue security configurations encrypt S3 data, CloudWatch logs and job bookmarks with a customer managed "
        "KMS key.",
        8,
        checkov=["CKV_AWS_99"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_security_configuration_encryption,
)


POLICIES = [
    lf_settings_no_iam_allowed_principals,
    lf_admins_allowlisted,
    lf_no_grants_to_iam_allowed_principals,
    lf_all_only_to_producers,
    lf_location_access_only_to_producers,
    lf_grant_option_allowlisted,
    lf_tag_based_grants,
    lf_tag_vocabulary,
    lf_sensitive_never_to_consumers,
    lf_location_data_access_role,
    lf_location_no_hybrid_access,
    glue_catalog_encryption_at_rest,
    glue_connection_password_encryption,
    glue_security_configuration_attached,
    glue_security_configuration_encryption,
]
