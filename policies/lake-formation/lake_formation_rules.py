"""Lake Formation governance and Glue catalog rules (GUARDRAILS.md 1-8).

Every policy here is a resource policy over the inputs the engine sends to ``Analyze`` (camelCase,
wrapped in pulumi-policy's unknown-checking proxy). A check that only needs to know that a property
is set looks at the keys (``_is_set``), so a value still unknown during a preview (an ARN of a key
or role being created) counts as set. A check that needs the value reads it, and an unknown value
raises ``UnknownValueError``, which pulumi-policy turns into an advisory "can't run policy ... during
preview". ``_each`` runs a policy's independent checks so that an unknown value stops only its own
check: the others still report, then the first unknown is raised.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import Any, TypeVar, cast

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
BROAD_PERMISSIONS = ("ALL", "DATA_LOCATION_ACCESS")
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

T = TypeVar("T")
Check = Callable[[], None]


# --- helpers -------------------------------------------------------------------------------------


def _each(checks: Iterable[Check]) -> None:
    """Run independent checks; an unknown value stops only the check that read it, and the first
    one is raised once every check has reported."""
    unknown: UnknownValueError | None = None
    for check in checks:
        try:
            check()
        except UnknownValueError as error:
            unknown = unknown or error
    if unknown is not None:
        raise unknown


def _is_set(props: Mapping[str, Any], key: str) -> bool:
    """Whether ``key`` is set, for checks that need no value: the key is looked up among the keys,
    so an unknown value counts as set; only a known null or empty string counts as unset."""
    if key not in list(props):
        return False
    try:
        value = props[key]
    except UnknownValueError:
        return True
    return value is not None and value != ""


def _block(props: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    """A nested object, ``None`` when missing; an unknown object raises (its fields are needed)."""
    value = props.get(key)
    return value if isinstance(value, Mapping) else None


def _items(props: Mapping[str, Any], key: str) -> Sequence[Any]:
    """A list property, empty when missing; an unknown list raises (its elements are needed)."""
    value = props.get(key)
    return value if isinstance(value, Sequence) and not isinstance(value, str) else []


def _setting(args: ResourceValidationArgs, key: str, default: T) -> T:
    """A policy config setting; the engine sends the schema defaults, and this falls back to the same
    module-level defaults when it sends nothing."""
    value = (args.get_config() or {}).get(key)
    return default if value is None else cast(T, value)


def _patterns(policy: str, key: str, patterns: Sequence[str]) -> list[re.Pattern[str]]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as error:
            raise ValueError(
                f"{policy}: config {key} entry {pattern!r} is not a regular expression: {error}"
            ) from error
    return compiled


def _matches(patterns: Sequence[re.Pattern[str]], value: str) -> bool:
    return any(p.search(value) for p in patterns)


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)


# --- 1. lf-settings-no-iam-allowed-principals ----------------------------------------------------


def _no_iam_allowed_principals(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DATA_LAKE_SETTINGS:
        return

    def check(prop: str) -> None:
        grants = args.props.get(prop)
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

    _each(partial(check, prop) for prop in DEFAULT_PERMISSION_PROPERTIES)


lf_settings_no_iam_allowed_principals = ResourceValidationPolicy(
    name="lf-settings-no-iam-allowed-principals",
    description="Data lake settings give no default permissions to IAM_ALLOWED_PRINCIPALS.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_iam_allowed_principals,
)


# --- 2. lf-admins-allowlisted --------------------------------------------------------------------


def _admins_allowlisted(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DATA_LAKE_SETTINGS:
        return
    allowed: list[str] = _setting(args, "allowedAdmins", DEFAULT_ALLOWED_ADMINS)
    fix = f"set admins to IAM roles matching allowedAdmins ({_quoted(allowed)})"
    admins = _items(args.props, "admins")
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
                f"{args.name}: admins[{index}] {admin!r} is not in allowedAdmins ({_quoted(allowed)}); "
                "remove it, or add it to the allowedAdmins config.",
                None,
            )

    _each(partial(check, index) for index in range(len(admins)))


lf_admins_allowlisted = ResourceValidationPolicy(
    name="lf-admins-allowlisted",
    description="Data lake administrators are set, are IAM roles, and are each in the configured allowlist.",
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
    if args.props.get("principal") == IAM_ALLOWED_PRINCIPALS:
        report_violation(
            f"{args.name}: principal is {IAM_ALLOWED_PRINCIPALS}, which leaves access to IAM policies alone; "
            "grant to a named IAM role or account instead.",
            None,
        )


lf_no_grants_to_iam_allowed_principals = ResourceValidationPolicy(
    name="lf-no-grants-to-iam-allowed-principals",
    description="No Lake Formation permission is granted to IAM_ALLOWED_PRINCIPALS.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_grants_to_iam_allowed_principals,
)


# --- 4. lf-least-privilege-grants ----------------------------------------------------------------


def _least_privilege_grants(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PERMISSIONS:
        return
    policy = "lf-least-privilege-grants"
    grant_option = _patterns(
        policy, "grantOptionPrincipals", _setting(args, "grantOptionPrincipals", DEFAULT_GRANT_OPTION_PRINCIPALS)
    )
    producers = _patterns(
        policy, "producerPrincipals", _setting(args, "producerPrincipals", DEFAULT_PRODUCER_PRINCIPALS)
    )

    # The principal is read only when a grant needs it judged, so a grant of narrow permissions to a
    # role whose ARN is still unknown is checked in full during a preview.
    def principal() -> str:
        value = args.props.get("principal")
        return value if isinstance(value, str) else ""

    def broad(prop: str) -> None:
        for permission in _items(args.props, prop):
            if permission not in BROAD_PERMISSIONS:
                continue
            if permission == "ALL":
                if _matches(producers, principal()):
                    continue
                problem = "which is every permission on the resource"
                fix = "grant only the permissions the principal needs (such as SELECT and DESCRIBE)"
            elif not _is_set(args.props, "dataLocation"):
                # Through an LF-tag expression or a catalog resource it would reach every location
                # the expression ever matches: location access is granted one location at a time.
                problem = "which is location access granted other than on one exact location"
                fix = "grant DATA_LOCATION_ACCESS on the dataLocation it is for, to a producer role"
            elif not _matches(producers, principal()):
                problem = "which lets it create tables over any path of the location"
                fix = "grant DATA_LOCATION_ACCESS only to producer roles"
            else:
                continue
            report_violation(
                f"{args.name}: {prop} includes {permission} for {principal()!r}, {problem}; {fix}, "
                "or list the principal in the producerPrincipals config.",
                None,
            )

    def with_grant_option() -> None:
        # Only the length is needed: a known list of unknown permissions is still non-empty.
        if len(_items(args.props, "permissionsWithGrantOptions")) and not _matches(grant_option, principal()):
            report_violation(
                f"{args.name}: permissionsWithGrantOptions is set for {principal()!r}, which lets it pass the "
                "permissions on; remove permissionsWithGrantOptions, or list the principal in the "
                "grantOptionPrincipals config.",
                None,
            )

    _each([*(partial(broad, prop) for prop in GRANT_PROPERTIES), with_grant_option])


lf_least_privilege_grants = ResourceValidationPolicy(
    name="lf-least-privilege-grants",
    description=(
        "Lake Formation grants give ALL only to producers, DATA_LOCATION_ACCESS only to producers on one exact "
        "data location, and the grant option only to the configured principals."
    ),
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
            },
            "producerPrincipals": {
                "type": "array",
                "items": {"type": "string"},
                "description": (
                    "Regular expressions (searched) of the producer principals that may receive ALL or "
                    "DATA_LOCATION_ACCESS."
                ),
                "default": list(DEFAULT_PRODUCER_PRINCIPALS),
            },
        }
    ),
    validate=_least_privilege_grants,
)


# --- 5. lf-tag-based-grants (advisory) and lf-sensitive-never-to-consumers (mandatory) -----------
#
# GUARDRAILS.md rule 5 is two policies: granting the sensitive LF-tag value to a consumer exposes
# sensitive data and blocks a deployment; the rest (consumer grants by LF-tag expression, not by
# named resource; tags from the vocabulary) is advice. Both need to know who is a consumer: each has
# its own ``consumerPrincipals`` setting (the engine gives a policy only its own config), with the
# one default below, and the schema descriptions say to configure the two together.

CONSUMER_PRINCIPALS_DESCRIPTION = (
    "Regular expressions (searched) of the consumer principals (data science accounts and roles){what}. "
    "Each policy reads only its own consumerPrincipals: set the same list for {other}, which otherwise "
    "keeps the default."
)


def _consumer_principals_schema(what: str, other: str) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string"},
        "description": CONSUMER_PRINCIPALS_DESCRIPTION.format(what=what, other=other),
        "default": list(DEFAULT_CONSUMER_PRINCIPALS),
    }


def _consumers(args: ResourceValidationArgs, policy: str) -> list[re.Pattern[str]]:
    return _patterns(policy, "consumerPrincipals", _setting(args, "consumerPrincipals", DEFAULT_CONSUMER_PRINCIPALS))


def _consumer(args: ResourceValidationArgs, consumers: Sequence[re.Pattern[str]]) -> str | None:
    """The grant's principal when it is a consumer. Read only once a finding depends on it: the
    principal is often an ARN unknown during a preview, and then the policy cannot run."""
    principal = args.props.get("principal")
    return principal if isinstance(principal, str) and _matches(consumers, principal) else None


def _tag_expressions(props: Mapping[str, Any]) -> Sequence[Any] | None:
    """A grant's LF-tag expressions, ``None`` when it has no lfTagPolicy."""
    policy = _block(props, "lfTagPolicy")
    return None if policy is None else _items(policy, "expressions")


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
            f"{args.name}: {prefix}key {key!r} is not in the LF-tag vocabulary ({_quoted(vocabulary)}); "
            "use a vocabulary key, or add it to the vocabulary config.",
            None,
        )
        return
    raw = tag.get(values_key)
    for value in [raw] if isinstance(raw, str) else list(raw or []):
        if value not in vocabulary[key]:
            report_violation(
                f"{args.name}: {prefix}{values_key} {value!r} is not a vocabulary value of {key!r} "
                f"({_quoted(vocabulary[key])}); use one of them, or add it to the vocabulary config.",
                None,
            )


def _tag_based_grants(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in (PERMISSIONS, LF_TAG, RESOURCE_LF_TAGS):
        return
    vocabulary: Mapping[str, Sequence[str]] = _setting(args, "vocabulary", DEFAULT_VOCABULARY)
    in_vocabulary = partial(_in_vocabulary, args, report_violation, vocabulary)

    if args.resource_type == LF_TAG:
        in_vocabulary(args.props, "values")
        return
    if args.resource_type == RESOURCE_LF_TAGS:
        tags = _items(args.props, "lfTags")
        _each(partial(in_vocabulary, tags[i], "value", f"lfTags[{i}]") for i in range(len(tags)))
        return

    # Vocabulary: every grant's tags, whoever the principal.
    def expressions_in_vocabulary() -> None:
        found = _tag_expressions(args.props) or []
        _each(partial(in_vocabulary, found[i], "values", f"lfTagPolicy.expressions[{i}]") for i in range(len(found)))

    def lf_tag_in_vocabulary() -> None:
        lf_tag = _block(args.props, "lfTag")
        if lf_tag is not None:
            in_vocabulary(lf_tag, "values", "lfTag")

    consumers = _consumers(args, "lf-tag-based-grants")

    # Named resources: found first; the principal is read only to decide whether they apply.
    def named_resource_grant() -> None:
        named = [(prop, kind) for prop, kind in NAMED_RESOURCE_PROPERTIES.items() if _is_set(args.props, prop)]
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

    _each([expressions_in_vocabulary, lf_tag_in_vocabulary, named_resource_grant])


lf_tag_based_grants = ResourceValidationPolicy(
    name="lf-tag-based-grants",
    description=(
        "Consumer grants use LF-tag expressions rather than named databases or tables, and LF-tag keys and "
        "values come from the configured vocabulary."
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    config_schema=PolicyConfigSchema(
        properties={
            "vocabulary": {
                "type": "object",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
                "description": "The LF-tag vocabulary: each tag key and the values it may take.",
                "default": {key: list(values) for key, values in DEFAULT_VOCABULARY.items()},
            },
            "consumerPrincipals": _consumer_principals_schema(
                ", whose grants should be LF-tag expressions rather than named databases or tables",
                "lf-sensitive-never-to-consumers",
            ),
        }
    ),
    validate=_tag_based_grants,
)


def _sensitive_never_to_consumers(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PERMISSIONS:
        return
    sensitive: Mapping[str, str] = _setting(args, "sensitive", DEFAULT_SENSITIVE)
    key, value = sensitive.get("key", ""), sensitive.get("value", "")
    consumers = _consumers(args, "lf-sensitive-never-to-consumers")

    # The problems are found first, and the principal (often an ARN unknown during a preview) is read
    # only to decide whether they apply. Named-resource grants have no expressions to judge here.
    found = _tag_expressions(args.props)
    if found is None:
        return
    on_key = [i for i in range(len(found)) if found[i].get("key") == key]
    problems = [
        f"lfTagPolicy.expressions[{i}].values includes {value!r}"
        for i in on_key
        if value in list(found[i].get("values") or [])
    ]
    if not on_key:
        problems.append(
            f"lfTagPolicy.expressions has no expression on {key!r}, so the grant also matches {value!r} data"
        )
    if not problems:
        return
    principal = _consumer(args, consumers)
    if principal is None:
        return
    for problem in problems:
        report_violation(
            f"{args.name}: {problem} for consumer {principal!r}, which exposes sensitive data; grant through "
            f"lfTagPolicy with an expression on {key!r} whose values exclude {value!r}.",
            None,
        )


lf_sensitive_never_to_consumers = ResourceValidationPolicy(
    name="lf-sensitive-never-to-consumers",
    description=(
        "LF-tag grants to consumers constrain the sensitive tag key to values that exclude the sensitive value."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "consumerPrincipals": _consumer_principals_schema(
                ", whose LF-tag grants must exclude the sensitive value", "lf-tag-based-grants"
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


# --- 6. lf-location-registration -----------------------------------------------------------------


def _location_registration(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != LOCATION:
        return
    fix_role = "set roleArn to the platform's data-access role"

    def role() -> None:
        if not _is_set(args.props, "roleArn"):
            report_violation(
                f"{args.name}: roleArn is not set, so Lake Formation uses its service-linked role; {fix_role}.", None
            )
            return
        try:
            role_arn = args.props["roleArn"]
        except UnknownValueError:
            return  # a role still being created: set, and not the service-linked role
        if not isinstance(role_arn, str) or not IAM_ROLE_ARN.fullmatch(role_arn):
            report_violation(f"{args.name}: roleArn {role_arn!r} is not an IAM role ARN; {fix_role}.", None)
        elif SERVICE_LINKED_ROLE_PATH in role_arn:
            report_violation(
                f"{args.name}: roleArn {role_arn!r} is a service-linked role, which every Lake Formation "
                f"location shares; {fix_role}.",
                None,
            )

    def service_linked() -> None:
        if args.props.get("useServiceLinkedRole") is True:
            report_violation(
                f"{args.name}: useServiceLinkedRole is true, so Lake Formation reads the location with its "
                f"service-linked role; set useServiceLinkedRole to false and {fix_role}.",
                None,
            )

    def hybrid() -> None:
        if args.props.get("hybridAccessEnabled") is True:
            report_violation(
                f"{args.name}: hybridAccessEnabled is true, so IAM and S3 policies keep granting access beside "
                "Lake Formation; set hybridAccessEnabled to false.",
                None,
            )

    _each([role, service_linked, hybrid])


lf_location_registration = ResourceValidationPolicy(
    name="lf-location-registration",
    description=(
        "Registered data lake locations use the platform's own data-access role, not the service-linked "
        "role, and no hybrid access mode."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_location_registration,
)


# --- 7. glue-catalog-encryption (CKV_AWS_94) -----------------------------------------------------


def _catalog_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != CATALOG_ENCRYPTION:
        return
    # CKV_AWS_94: metadata encrypted at rest with KMS, and connection passwords returned encrypted.
    top = "dataCatalogEncryptionSettings"
    settings = _block(args.props, top)
    if settings is None:
        report_violation(
            f"{args.name}: {top} is not set, so the catalog and its connection passwords are not encrypted; "
            f"set {top}.encryptionAtRest to SSE-KMS with a customer key and {top}.connectionPasswordEncryption "
            "to return encrypted passwords with a customer key.",
            None,
        )
        return

    def at_rest() -> None:
        where = f"{top}.encryptionAtRest"
        block = _block(settings, "encryptionAtRest")
        fix = f"set {where}.catalogEncryptionMode to 'SSE-KMS' with sseAwsKmsKeyId a customer KMS key"
        if block is None:
            report_violation(f"{args.name}: {where} is not set, so AWS leaves the catalog unencrypted; {fix}.", None)
            return
        mode = block.get("catalogEncryptionMode")
        if mode not in CATALOG_KMS_MODES:
            shown = "not set (AWS defaults to DISABLED)" if mode is None else f"{mode!r}"
            report_violation(
                f"{args.name}: {where}.catalogEncryptionMode is {shown}, not one of {_quoted(CATALOG_KMS_MODES)}; "
                f"{fix}.",
                None,
            )
        if not _is_set(block, "sseAwsKmsKeyId"):
            report_violation(
                f"{args.name}: {where}.sseAwsKmsKeyId is not set, so the catalog is not encrypted with a customer "
                f"key; set {where}.sseAwsKmsKeyId to a customer KMS key.",
                None,
            )

    def passwords() -> None:
        where = f"{top}.connectionPasswordEncryption"
        block = _block(settings, "connectionPasswordEncryption")
        fix = f"set {where}.returnConnectionPasswordEncrypted to true with awsKmsKeyId a customer KMS key"
        if block is None:
            report_violation(
                f"{args.name}: {where} is not set, so connection passwords are returned in clear; {fix}.", None
            )
            return
        if block.get("returnConnectionPasswordEncrypted") is not True:
            report_violation(
                f"{args.name}: {where}.returnConnectionPasswordEncrypted is not true, so connection passwords "
                f"are returned in clear; {fix}.",
                None,
            )
        if not _is_set(block, "awsKmsKeyId"):
            report_violation(
                f"{args.name}: {where}.awsKmsKeyId is not set, so connection passwords are not encrypted with a "
                f"customer key; set {where}.awsKmsKeyId to a customer KMS key.",
                None,
            )

    _each([at_rest, passwords])


glue_catalog_encryption = ResourceValidationPolicy(
    name="glue-catalog-encryption",
    description="The Glue Data Catalog is encrypted at rest with a KMS key and encrypts connection passwords.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_catalog_encryption,
)


# --- 8. glue-security-configuration (CKV_AWS_99, CKV_AWS_195) ------------------------------------

#: Each block of a security configuration: its mode property, the required mode.
SECURITY_CONFIGURATION_BLOCKS = {
    "s3Encryption": ("s3EncryptionMode", "SSE-KMS"),
    "cloudwatchEncryption": ("cloudwatchEncryptionMode", "SSE-KMS"),
    "jobBookmarksEncryption": ("jobBookmarksEncryptionMode", "CSE-KMS"),
}


def _security_configuration(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type in (GLUE_JOB, GLUE_CRAWLER):
        # CKV_AWS_195 (jobs), CKV_AWS_99 (crawlers and jobs): without one, Glue writes S3 output, logs
        # and bookmarks unencrypted.
        if not _is_set(args.props, "securityConfiguration"):
            kind = "job" if args.resource_type == GLUE_JOB else "crawler"
            report_violation(
                f"{args.name}: securityConfiguration is not set, so the {kind}'s S3 data, CloudWatch logs and "
                "bookmarks are not encrypted with a customer key; set securityConfiguration to a Glue security "
                "configuration that encrypts them with KMS.",
                None,
            )
        return
    if args.resource_type != SECURITY_CONFIGURATION:
        return
    top = "encryptionConfiguration"
    configuration = _block(args.props, top)
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
        block = _block(configuration, name)
        if block is None:
            report_violation(f"{args.name}: {where} is not set, so AWS defaults to DISABLED; {fix}.", None)
            return
        mode = block.get(mode_key)
        if mode != required:
            shown = "not set (AWS defaults to DISABLED)" if mode is None else repr(mode)
            report_violation(f"{args.name}: {where}.{mode_key} is {shown}; {fix}.", None)
        if not _is_set(block, "kmsKeyArn"):
            report_violation(
                f"{args.name}: {where}.kmsKeyArn is not set, so there is no customer key; set {where}.kmsKeyArn "
                "to a customer KMS key.",
                None,
            )

    _each(partial(check, name, *spec) for name, spec in SECURITY_CONFIGURATION_BLOCKS.items())


glue_security_configuration = ResourceValidationPolicy(
    name="glue-security-configuration",
    description=(
        "Glue jobs and crawlers use a security configuration, and security configurations encrypt S3, "
        "CloudWatch and job bookmarks with KMS."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_security_configuration,
)


POLICIES = [
    lf_settings_no_iam_allowed_principals,
    lf_admins_allowlisted,
    lf_no_grants_to_iam_allowed_principals,
    lf_least_privilege_grants,
    lf_tag_based_grants,
    lf_sensitive_never_to_consumers,
    lf_location_registration,
    glue_catalog_encryption,
    glue_security_configuration,
]
