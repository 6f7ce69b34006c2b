"""Data protection rules: S3 buckets, KMS keys and Redshift (GUARDRAILS.md 21-26)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

# The v7 Bucket (formerly BucketV2) and the legacy token; the companions' V2 tokens are v7 aliases.
BUCKETS = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
PUBLIC_ACCESS_BLOCKS = frozenset({"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"})
ENCRYPTION_CONFIGURATIONS = frozenset(
    {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    }
)
BUCKET_POLICIES = frozenset({"aws:s3/bucketPolicy:BucketPolicy"})
VERSIONINGS = frozenset({"aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"})
LOGGINGS = frozenset({"aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2"})
KMS_KEY = "aws:kms/key:Key"
REDSHIFT_CLUSTER = "aws:redshift/cluster:Cluster"
REDSHIFT_PARAMETER_GROUP = "aws:redshift/parameterGroup:ParameterGroup"
SERVERLESS_NAMESPACE = "aws:redshiftserverless/namespace:Namespace"
SERVERLESS_WORKGROUP = "aws:redshiftserverless/workgroup:Workgroup"

PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")


# --- small helpers -------------------------------------------------------------------------------


def _is_set(props: Mapping[str, Any], key: str) -> bool:
    """Whether a property is set. Presence only: iterating a proxy's keys never reads a value, and a
    value unknown during preview (an ARN not created yet) counts as set; None or "" (outputs of
    unset properties) do not."""
    if key not in list(props):
        return False
    try:
        value = props[key]
    except UnknownValueError:
        return True
    if value is None:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, Mapping | Sequence):
        return len(value) > 0
    return True


def _strings(value: Any) -> list[str]:
    """A policy element that is a string or a list of strings, as a list."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [item for item in value if isinstance(item, str)]
    return []


def _document(value: Any) -> Mapping[str, Any] | None:
    """A policy document from its JSON string (or an object); None when it is not one."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statement = document.get("Statement")
    return [statement] if isinstance(statement, Mapping) else _items(statement)


def _obj(value: Any) -> Mapping[str, Any]:
    """A nested object; an empty one when the value is missing or not an object."""
    return value if isinstance(value, Mapping) else {}


def _items(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a nested list; empty when the value is missing or not a list."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [item for item in value if isinstance(item, Mapping)]
    return []


def _is_everyone(principal: Any) -> bool:
    """Principal ``*`` or ``{"AWS": "*"}`` (alone or in a list)."""
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in _strings(principal.get("AWS"))


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def _of_type(resources: Iterable[PolicyResource], types: frozenset[str]) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in types]


def _bucket_names(bucket: PolicyResource) -> set[str]:
    """A bucket's known name and id (reading them raises while they are unknown)."""
    values = [bucket.props[key] for key in ("bucket", "id") if key in list(bucket.props)]
    return {value for value in values if isinstance(value, str) and value}


def _joined(bucket: PolicyResource, companions: Sequence[PolicyResource], prop: str) -> list[PolicyResource]:
    """The companions whose ``prop`` names the bucket: through their property dependencies, which
    works while names and ids are unknown; failing that, a companion whose ``prop`` depends on no
    bucket joins by its value equal to the bucket's known name or id."""
    linked = [c for c in companions if any(d.urn == bucket.urn for d in c.property_dependencies.get(prop, []))]
    if linked:
        return linked
    loose = [
        c for c in companions if not any(d.resource_type in BUCKETS for d in c.property_dependencies.get(prop, []))
    ]
    if not loose:
        return []
    names = _bucket_names(bucket)
    return [c for c in loose if isinstance(value := c.props.get(prop), str) and value in names]


def _is_log_target(bucket: PolicyResource, resources: Sequence[PolicyResource]) -> bool:
    """Whether some BucketLogging delivers server access logs to this bucket."""
    return bool(_joined(bucket, _of_type(resources, LOGGINGS), "targetBucket"))


# --- 21. s3-public-access-block (S3.8, CKV2_AWS_6) -------------------------------------------------


def _public_access_block(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    blocks = _of_type(args.resources, PUBLIC_ACCESS_BLOCKS)
    for bucket in _of_type(args.resources, BUCKETS):
        joined = _joined(bucket, blocks, "bucket")
        if not joined:
            report_violation(
                f"{bucket.name}: BucketPublicAccessBlock is missing, so only account settings stand between "
                "the bucket and public ACLs or policies; add a BucketPublicAccessBlock for this bucket with "
                f"{', '.join(PUBLIC_ACCESS_FLAGS)} true.",
                bucket.urn,
            )
        for block in joined:
            for flag in PUBLIC_ACCESS_FLAGS:
                value = block.props.get(flag)
                if value is not True:
                    shown = "not set (AWS defaults to false)" if value is None else f"{value!r}"
                    report_violation(
                        f"{block.name}: {flag} is {shown}, which leaves bucket {bucket.name} open to public "
                        f"access; set {flag} to true.",
                        block.urn,
                    )


s3_public_access_block = StackValidationPolicy(
    name="s3-public-access-block",
    description="Every S3 bucket has a public access block with all four flags on.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_public_access_block,
)


# --- 22. s3-kms-encryption (S3.17, CKV_AWS_145) ----------------------------------------------------


def _kms_encryption(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    configurations = _of_type(args.resources, ENCRYPTION_CONFIGURATIONS)
    for bucket in _of_type(args.resources, BUCKETS):
        joined = _joined(bucket, configurations, "bucket")
        if not joined:
            report_violation(
                f"{bucket.name}: BucketServerSideEncryptionConfiguration is missing, so S3 encrypts with its "
                "default SSE-S3 key; add one for this bucket with sseAlgorithm aws:kms and kmsMasterKeyId a "
                "customer key.",
                bucket.urn,
            )
        for configuration in joined:
            rules = _items(configuration.props.get("rules"))
            if len(rules) == 0:
                report_violation(
                    f"{configuration.name}: rules is empty, so S3 encrypts bucket {bucket.name} with SSE-S3; "
                    "add a rule with sseAlgorithm aws:kms and kmsMasterKeyId a customer key.",
                    configuration.urn,
                )
            for index, rule in enumerate(rules):
                where = f"rules[{index}].applyServerSideEncryptionByDefault"
                default = _obj(rule.get("applyServerSideEncryptionByDefault"))
                algorithm = default.get("sseAlgorithm")
                if algorithm in KMS_ALGORITHMS:
                    if not _is_set(default, "kmsMasterKeyId"):
                        report_violation(
                            f"{configuration.name}: {where}.kmsMasterKeyId is not set, so bucket {bucket.name} "
                            "uses the AWS managed aws/s3 key; set kmsMasterKeyId to a customer managed key.",
                            configuration.urn,
                        )
                elif algorithm == "AES256" and _is_log_target(bucket, args.resources):
                    # S3 server access logs cannot be delivered to a bucket whose default is SSE-KMS.
                    continue
                else:
                    shown = "not set (S3 defaults to SSE-S3)" if algorithm is None else f"{algorithm!r}"
                    report_violation(
                        f"{configuration.name}: {where}.sseAlgorithm is {shown}, not SSE-KMS with a customer key "
                        f"(only access-log target buckets may use AES256); set sseAlgorithm to aws:kms and "
                        "kmsMasterKeyId to a customer managed key.",
                        configuration.urn,
                    )


s3_kms_encryption = StackValidationPolicy(
    name="s3-kms-encryption",
    description=(
        "Every S3 bucket defaults to SSE-KMS with a customer managed key; server access log target buckets "
        "may use SSE-S3."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_kms_encryption,
)


# --- 23. s3-tls-only (S3.5) ------------------------------------------------------------------------


def _covers(resources: list[str], name: str) -> bool:
    """Whether Resource patterns cover both the bucket and all of its objects."""
    paths = ["*" if r == "*" else r.split(":s3:::", 1)[1] for r in resources if r == "*" or ":s3:::" in r]
    return any(fnmatchcase(name, p) for p in paths) and any(fnmatchcase(f"{name}/*", p) for p in paths)


def _denies_insecure_transport(statement: Mapping[str, Any], names: set[str]) -> bool:
    if statement.get("Effect") != "Deny" or not _is_everyone(statement.get("Principal")):
        return False
    if not {"s3:*", "*"} & {a.lower() for a in _strings(statement.get("Action"))}:
        return False
    if not any(_covers(_strings(statement.get("Resource")), name) for name in names):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping) or not isinstance(condition.get("Bool"), Mapping):
        return False
    values = [v for k, v in condition["Bool"].items() if k.lower() == "aws:securetransport"]
    return any(_is_false(v) or (isinstance(v, Sequence) and any(_is_false(i) for i in v)) for v in values)


def _tls_only(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    policies = _of_type(args.resources, BUCKET_POLICIES)
    fix = (
        "add a statement with Effect Deny, Principal *, Action s3:*, Resource the bucket and bucket/*, "
        'Condition {"Bool": {"aws:SecureTransport": "false"}}.'
    )
    for bucket in _of_type(args.resources, BUCKETS):
        joined = _joined(bucket, policies, "bucket")
        if not joined:
            report_violation(
                f"{bucket.name}: BucketPolicy is missing, so requests over plain HTTP are not denied; "
                f"add a BucketPolicy for this bucket and {fix}",
                bucket.urn,
            )
            continue
        names = _bucket_names(bucket)
        denied = invalid = False
        for policy in joined:
            document = _document(policy.props.get("policy"))
            if document is None:
                invalid = True
                report_violation(
                    f"{policy.name}: policy is not a JSON policy document; write it as JSON and {fix}", policy.urn
                )
                continue
            denied = denied or any(_denies_insecure_transport(s, names) for s in _statements(document))
        if not denied and not invalid:
            policy = joined[0]
            report_violation(
                f"{policy.name}: policy does not deny requests to bucket {bucket.name} without TLS; {fix}",
                policy.urn,
            )


s3_tls_only = StackValidationPolicy(
    name="s3-tls-only",
    description="Every S3 bucket's policy denies requests that do not use TLS (aws:SecureTransport false).",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_tls_only,
)


# --- 24. s3-versioning-and-logging (S3.14, S3.9) ---------------------------------------------------


def _versioning_and_logging(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    versionings = _of_type(args.resources, VERSIONINGS)
    loggings = _of_type(args.resources, LOGGINGS)
    for bucket in _of_type(args.resources, BUCKETS):
        joined = _joined(bucket, versionings, "bucket")
        if not joined:
            report_violation(
                f"{bucket.name}: BucketVersioning is missing, so S3 keeps no earlier versions of objects; "
                'add a BucketVersioning for this bucket with versioningConfiguration.status "Enabled".',
                bucket.urn,
            )
        for versioning in joined:
            status = _obj(versioning.props.get("versioningConfiguration")).get("status")
            if status != "Enabled":
                shown = "not set" if status is None else f"{status!r}"
                report_violation(
                    f"{versioning.name}: versioningConfiguration.status is {shown}, so bucket {bucket.name} "
                    'keeps no earlier versions of objects; set versioningConfiguration.status to "Enabled".',
                    versioning.urn,
                )
        if not _joined(bucket, loggings, "bucket") and not _is_log_target(bucket, args.resources):
            report_violation(
                f"{bucket.name}: BucketLogging is missing, so requests to the bucket leave no server access "
                "logs; add a BucketLogging for this bucket whose targetBucket is the account's access-log bucket.",
                bucket.urn,
            )


s3_versioning_and_logging = StackValidationPolicy(
    name="s3-versioning-and-logging",
    description="Every S3 bucket is versioned and, unless it is itself an access-log target, logs server access.",
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_versioning_and_logging,
)


# --- 25. kms-key-hygiene (KMS.4, KMS.5, CKV_AWS_7, CKV_AWS_33) -------------------------------------


def _rotates(props: Mapping[str, Any]) -> bool:
    """AWS rotates only symmetric encryption keys in its own key store."""
    spec = props.get("customerMasterKeySpec")
    return spec in (None, "SYMMETRIC_DEFAULT") and not _is_set(props, "customKeyStoreId")


def _key_hygiene(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != KMS_KEY:
        return
    props = args.props
    if _rotates(props) and props.get("enableKeyRotation") is not True:
        value = props.get("enableKeyRotation")
        shown = "not set (AWS defaults to false)" if value is None else f"{value!r}"
        report_violation(
            f"{args.name}: enableKeyRotation is {shown}, so the key material is never rotated; "
            "set enableKeyRotation to true.",
            None,
        )
    if props.get("bypassPolicyLockoutSafetyCheck") is True:
        report_violation(
            f"{args.name}: bypassPolicyLockoutSafetyCheck is true, so a key policy that locks everyone out "
            "is accepted; remove bypassPolicyLockoutSafetyCheck or set it to false.",
            None,
        )
    if not _is_set(props, "policy"):
        return  # The AWS default key policy trusts the account's own IAM policies only.
    document = _document(props["policy"])
    if document is None:
        report_violation(
            f"{args.name}: policy is not a JSON policy document; write the key policy as JSON.",
            None,
        )
        return
    for index, statement in enumerate(_statements(document)):
        public = statement.get("Effect") == "Allow" and _is_everyone(statement.get("Principal"))
        if public and not statement.get("Condition"):
            report_violation(
                f"{args.name}: policy Statement[{index}] allows principal * with no Condition, so any AWS "
                "account may use the key; name the account roles as principals or add a Condition such as "
                "aws:PrincipalArn or kms:CallerAccount.",
                None,
            )


kms_key_hygiene = ResourceValidationPolicy(
    name="kms-key-hygiene",
    description=("KMS keys rotate, keep the policy lockout safety check and allow no unconditioned * principal."),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_key_hygiene,
)


# --- 26. redshift-guardrails (Redshift.1, Redshift.2, Redshift.7, Redshift.10) ---------------------


def _parameter(entries: Any, key_field: str, value_field: str, wanted: str) -> Any:
    """The value of one named parameter in a list of {key, value} entries, or None."""
    for entry in _items(entries):
        if entry.get(key_field) == wanted:
            return entry.get(value_field)
    return None


def _redshift_network(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.props.get("publiclyAccessible") is True:
        report_violation(
            f"{args.name}: publiclyAccessible is true, so the warehouse gets a public endpoint; "
            "set publiclyAccessible to false.",
            None,
        )
    routing = args.props.get("enhancedVpcRouting")
    if routing is not True:
        shown = "not set (AWS defaults to false)" if routing is None else f"{routing!r}"
        report_violation(
            f"{args.name}: enhancedVpcRouting is {shown}, so COPY and UNLOAD traffic can leave the VPC; "
            "set enhancedVpcRouting to true.",
            None,
        )


def _redshift(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = args.props
    if args.resource_type == REDSHIFT_CLUSTER:
        if _is_false(props.get("encrypted")):
            report_violation(
                f"{args.name}: encrypted is false, so the cluster's data is not encrypted at rest; "
                "set encrypted to true with kmsKeyId a customer managed key.",
                None,
            )
        if not _is_set(props, "kmsKeyId"):
            report_violation(
                f"{args.name}: kmsKeyId is not set, so the cluster is encrypted with an AWS owned key; "
                "set kmsKeyId to a customer managed key.",
                None,
            )
        _redshift_network(args, report_violation)
        if not _is_set(props, "clusterParameterGroupName"):
            report_violation(
                f"{args.name}: clusterParameterGroupName is not set, so the cluster uses the default parameter "
                "group, and SSL is only required by a parameter group with require_ssl true; set "
                "clusterParameterGroupName to such a group.",
                None,
            )
    elif args.resource_type == REDSHIFT_PARAMETER_GROUP:
        value = _parameter(props.get("parameters"), "name", "value", "require_ssl")
        if not _is_true(value):
            shown = "not set (AWS defaults to false)" if value is None else f"{value!r}"
            report_violation(
                f"{args.name}: parameters require_ssl is {shown}, so clusters using the group accept "
                'unencrypted connections; add the parameter require_ssl with value "true".',
                None,
            )
    elif args.resource_type == SERVERLESS_NAMESPACE:
        if not _is_set(props, "kmsKeyId"):
            report_violation(
                f"{args.name}: kmsKeyId is not set, so the namespace is encrypted with an AWS owned key; "
                "set kmsKeyId to a customer managed key.",
                None,
            )
    elif args.resource_type == SERVERLESS_WORKGROUP:
        _redshift_network(args, report_violation)
        value = _parameter(props.get("configParameters"), "parameterKey", "parameterValue", "require_ssl")
        if not _is_true(value):
            shown = "not set" if value is None else f"{value!r}"
            report_violation(
                f"{args.name}: configParameters require_ssl is {shown}, so the workgroup accepts unencrypted "
                'connections; add the config parameter require_ssl with value "true".',
                None,
            )


redshift_guardrails = ResourceValidationPolicy(
    name="redshift-guardrails",
    description=(
        "Redshift clusters and serverless warehouses are encrypted with a customer key, private, use enhanced "
        "VPC routing and require SSL."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_redshift,
)

POLICIES = [
    s3_public_access_block,
    s3_kms_encryption,
    s3_tls_only,
    s3_versioning_and_logging,
    kms_key_hygiene,
    redshift_guardrails,
]
