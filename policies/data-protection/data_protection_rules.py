"""Data protection rules: S3 buckets, KMS keys and Redshift (guardrails 21-26 of docs/guardrails.md).

One policy per guarded property, so that each can be made advisory or disabled on its own: S3
versioning and access logging are two (advisory) policies, KMS key hygiene three, Redshift four. The
S3 policies are stack policies: a bucket's settings are separate resources, joined to it by
``_joined``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from data_protection_helpers import (
    described,
    document,
    is_everyone,
    is_false,
    is_set,
    is_true,
    obj,
    objects,
    of_type,
    shown,
    statements,
    strings,
    value,
)
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

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


def _bucket_names(bucket: PolicyResource) -> set[str]:
    """A bucket's known name and id (reading them raises while they are unknown)."""
    known = [bucket.props[key] for key in ("bucket", "id") if key in list(bucket.props)]
    return {name for name in known if isinstance(name, str) and name}


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
    return [c for c in loose if isinstance(named := c.props.get(prop), str) and named in names]


def _is_log_target(bucket: PolicyResource, resources: Sequence[PolicyResource]) -> bool:
    """Whether some BucketLogging delivers server access logs to this bucket."""
    return bool(_joined(bucket, of_type(resources, *LOGGINGS), "targetBucket"))


# --- 21. s3-public-access-block -------------------------------------------------------------------


def _public_access_block(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    blocks = of_type(args.resources, *PUBLIC_ACCESS_BLOCKS)
    for bucket in of_type(args.resources, *BUCKETS):
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
                flag_value = value(block.props, flag)
                if flag_value is not True:
                    report_violation(
                        f"{block.name}: {flag} is {shown(flag_value, 'false')}, which leaves bucket {bucket.name} "
                        f"open to public access; set {flag} to true.",
                        block.urn,
                    )


s3_public_access_block = StackValidationPolicy(
    name="s3-public-access-block",
    description=described(
        "Every S3 bucket has a public access block with all four flags on.",
        21,
        security_hub=["S3.8"],
        checkov=["CKV2_AWS_6"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_public_access_block,
)


# --- 22. s3-kms-encryption --------------------------------------------------------------------------


def _kms_encryption(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    configurations = of_type(args.resources, *ENCRYPTION_CONFIGURATIONS)
    for bucket in of_type(args.resources, *BUCKETS):
        joined = _joined(bucket, configurations, "bucket")
        if not joined:
            report_violation(
                f"{bucket.name}: BucketServerSideEncryptionConfiguration is missing, so S3 encrypts with its "
                "default SSE-S3 key; add one for this bucket with sseAlgorithm aws:kms and kmsMasterKeyId a "
                "customer key.",
                bucket.urn,
            )
        for configuration in joined:
            rules = objects(value(configuration.props, "rules"))
            if len(rules) == 0:
                report_violation(
                    f"{configuration.name}: rules is empty, so S3 encrypts bucket {bucket.name} with SSE-S3; "
                    "add a rule with sseAlgorithm aws:kms and kmsMasterKeyId a customer key.",
                    configuration.urn,
                )
            for index, rule in enumerate(rules):
                where = f"rules[{index}].applyServerSideEncryptionByDefault"
                default = obj(rule.get("applyServerSideEncryptionByDefault"))
                algorithm = default.get("sseAlgorithm")
                if algorithm in KMS_ALGORITHMS:
                    if not is_set(default, "kmsMasterKeyId"):
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
    description=described(
        "Every S3 bucket defaults to SSE-KMS with a customer managed key; server access log target buckets may use "
        "SSE-S3.",
        22,
        security_hub=["S3.17"],
        checkov=["CKV_AWS_145"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_kms_encryption,
)


# --- 23. s3-tls-only -------------------------------------------------------------------------------


def _covers(resources: list[str], name: str) -> bool:
    """Whether Resource patterns cover both the bucket and all of its objects."""
    paths = ["*" if r == "*" else r.split(":s3:::", 1)[1] for r in resources if r == "*" or ":s3:::" in r]
    return any(fnmatchcase(name, p) for p in paths) and any(fnmatchcase(f"{name}/*", p) for p in paths)


def _denies_insecure_transport(statement: Mapping[str, Any], names: set[str]) -> bool:
    if statement.get("Effect") != "Deny" or not is_everyone(statement.get("Principal")):
        return False
    if not {"s3:*", "*"} & {a.lower() for a in strings(statement.get("Action"))}:
        return False
    if not any(_covers(strings(statement.get("Resource")), name) for name in names):
        return False
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping) or not isinstance(condition.get("Bool"), Mapping):
        return False
    values = [v for k, v in condition["Bool"].items() if k.lower() == "aws:securetransport"]
    return any(is_false(v) or (isinstance(v, Sequence) and any(is_false(i) for i in v)) for v in values)


def _tls_only(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    policies = of_type(args.resources, *BUCKET_POLICIES)
    fix = (
        "add a statement with Effect Deny, Principal *, Action s3:*, Resource the bucket and bucket/*, "
        'Condition {"Bool": {"aws:SecureTransport": "false"}}.'
    )
    for bucket in of_type(args.resources, *BUCKETS):
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
            parsed = document(value(policy.props, "policy"))
            if parsed is None:
                invalid = True
                report_violation(
                    f"{policy.name}: policy is not a JSON policy document; write it as JSON and {fix}", policy.urn
                )
                continue
            denied = denied or any(_denies_insecure_transport(s, names) for s in statements(parsed))
        if not denied and not invalid:
            policy = joined[0]
            report_violation(
                f"{policy.name}: policy does not deny requests to bucket {bucket.name} without TLS; {fix}",
                policy.urn,
            )


s3_tls_only = StackValidationPolicy(
    name="s3-tls-only",
    description=described(
        "Every S3 bucket's policy denies requests that do not use TLS (aws:SecureTransport false).",
        23,
        security_hub=["S3.5"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_tls_only,
)


# --- 24. S3 versioning and access logging (advisory) ----------------------------------------------


def _versioning(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    versionings = of_type(args.resources, *VERSIONINGS)
    for bucket in of_type(args.resources, *BUCKETS):
        joined = _joined(bucket, versionings, "bucket")
        if not joined:
            report_violation(
                f"{bucket.name}: BucketVersioning is missing, so S3 keeps no earlier versions of objects; "
                'add a BucketVersioning for this bucket with versioningConfiguration.status "Enabled".',
                bucket.urn,
            )
        for versioning in joined:
            status = obj(value(versioning.props, "versioningConfiguration")).get("status")
            if status != "Enabled":
                report_violation(
                    f"{versioning.name}: versioningConfiguration.status is "
                    f"{'not set' if status is None else repr(status)}, so bucket {bucket.name} keeps no earlier "
                    'versions of objects; set versioningConfiguration.status to "Enabled".',
                    versioning.urn,
                )


s3_versioning = StackValidationPolicy(
    name="s3-versioning",
    description=described("Every S3 bucket is versioned.", 24, security_hub=["S3.14"]),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_versioning,
)


def _access_logging(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    loggings = of_type(args.resources, *LOGGINGS)
    for bucket in of_type(args.resources, *BUCKETS):
        # A log target logging to itself (or to another target) would log its own log deliveries.
        if not _joined(bucket, loggings, "bucket") and not _is_log_target(bucket, args.resources):
            report_violation(
                f"{bucket.name}: BucketLogging is missing, so requests to the bucket leave no server access "
                "logs; add a BucketLogging for this bucket whose targetBucket is the account's access-log bucket.",
                bucket.urn,
            )


s3_access_logging = StackValidationPolicy(
    name="s3-access-logging",
    description=described(
        "Every S3 bucket logs server access, unless it is itself an access-log target.", 24, security_hub=["S3.9"]
    ),
    enforcement_level=EnforcementLevel.ADVISORY,
    validate=_access_logging,
)


# --- 25. KMS key hygiene -------------------------------------------------------------------------


def _rotates(props: Mapping[str, Any]) -> bool:
    """AWS rotates only symmetric encryption keys in its own key store."""
    spec = value(props, "customerMasterKeySpec")
    return spec in (None, "SYMMETRIC_DEFAULT") and not is_set(props, "customKeyStoreId")


def _key_rotation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != KMS_KEY or not _rotates(args.props):
        return
    rotation = value(args.props, "enableKeyRotation")
    if rotation is not True:
        report_violation(
            f"{args.name}: enableKeyRotation is {shown(rotation, 'false')}, so the key material is never rotated; "
            "set enableKeyRotation to true.",
            None,
        )


kms_key_rotation = ResourceValidationPolicy(
    name="kms-key-rotation",
    description=described(
        "KMS keys that AWS can rotate (symmetric, in AWS's key store) rotate their key material.",
        25,
        security_hub=["KMS.4"],
        checkov=["CKV_AWS_7"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_key_rotation,
)


def _no_lockout_bypass(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == KMS_KEY and value(args.props, "bypassPolicyLockoutSafetyCheck") is True:
        report_violation(
            f"{args.name}: bypassPolicyLockoutSafetyCheck is true, so a key policy that locks everyone out "
            "is accepted; remove bypassPolicyLockoutSafetyCheck or set it to false.",
            None,
        )


kms_key_no_lockout_bypass = ResourceValidationPolicy(
    name="kms-key-no-lockout-bypass",
    description=described("KMS keys keep the key policy lockout safety check.", 25),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_lockout_bypass,
)


def _key_not_public(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != KMS_KEY or not is_set(args.props, "policy"):
        return  # The AWS default key policy trusts the account's own IAM policies only.
    parsed = document(args.props["policy"])
    if parsed is None:
        report_violation(f"{args.name}: policy is not a JSON policy document; write the key policy as JSON.", None)
        return
    for index, statement in enumerate(statements(parsed)):
        public = statement.get("Effect") == "Allow" and is_everyone(statement.get("Principal"))
        if public and not statement.get("Condition"):
            report_violation(
                f"{args.name}: policy Statement[{index}] allows principal * with no Condition, so any AWS "
                "account may use the key; name the account roles as principals or add a Condition such as "
                "aws:PrincipalArn or kms:CallerAccount.",
                None,
            )


kms_key_not_public = ResourceValidationPolicy(
    name="kms-key-not-public",
    description=described(
        "KMS key policies allow no * principal without a Condition.",
        25,
        security_hub=["KMS.5"],
        checkov=["CKV_AWS_33"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_key_not_public,
)


# --- 26. Redshift ---------------------------------------------------------------------------------


def _parameter(entries: Any, key_field: str, value_field: str, wanted: str) -> Any:
    """The value of one named parameter in a list of {key, value} entries, or None."""
    for entry in objects(entries):
        if entry.get(key_field) == wanted:
            return entry.get(value_field)
    return None


def _redshift_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = args.props
    if args.resource_type == REDSHIFT_CLUSTER:
        if is_false(value(props, "encrypted")):
            report_violation(
                f"{args.name}: encrypted is false, so the cluster's data is not encrypted at rest; "
                "set encrypted to true with kmsKeyId a customer managed key.",
                None,
            )
        if not is_set(props, "kmsKeyId"):
            report_violation(
                f"{args.name}: kmsKeyId is not set, so the cluster is encrypted with an AWS owned key; "
                "set kmsKeyId to a customer managed key.",
                None,
            )
    elif args.resource_type == SERVERLESS_NAMESPACE and not is_set(props, "kmsKeyId"):
        report_violation(
            f"{args.name}: kmsKeyId is not set, so the namespace is encrypted with an AWS owned key; "
            "set kmsKeyId to a customer managed key.",
            None,
        )


redshift_kms = ResourceValidationPolicy(
    name="redshift-kms",
    description=described(
        "Redshift clusters and serverless namespaces are encrypted at rest with a customer managed KMS key.",
        26,
        security_hub=["Redshift.10"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_redshift_kms,
)


def _redshift_not_public(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in (REDSHIFT_CLUSTER, SERVERLESS_WORKGROUP):
        return
    if value(args.props, "publiclyAccessible") is True:
        report_violation(
            f"{args.name}: publiclyAccessible is true, so the warehouse gets a public endpoint; "
            "set publiclyAccessible to false.",
            None,
        )


redshift_not_public = ResourceValidationPolicy(
    name="redshift-not-public",
    description=described(
        "Redshift clusters and serverless workgroups are not publicly accessible.",
        26,
        security_hub=["Redshift.1"],
        aws_config=["redshift-serverless-workgroup-no-public-access"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_redshift_not_public,
)


def _enhanced_vpc_routing(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in (REDSHIFT_CLUSTER, SERVERLESS_WORKGROUP):
        return
    routing = value(args.props, "enhancedVpcRouting")
    if routing is not True:
        report_violation(
            f"{args.name}: enhancedVpcRouting is {shown(routing, 'false')}, so COPY and UNLOAD traffic can leave "
            "the VPC; set enhancedVpcRouting to true.",
            None,
        )


redshift_enhanced_vpc_routing = ResourceValidationPolicy(
    name="redshift-enhanced-vpc-routing",
    description=described(
        "Redshift clusters and serverless workgroups use enhanced VPC routing.",
        26,
        security_hub=["Redshift.7", "RedshiftServerless.1"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_enhanced_vpc_routing,
)


def _require_ssl(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = args.props
    if args.resource_type == REDSHIFT_CLUSTER:
        if not is_set(props, "clusterParameterGroupName"):
            report_violation(
                f"{args.name}: clusterParameterGroupName is not set, so the cluster uses the default parameter "
                "group, and SSL is only required by a parameter group with require_ssl true; set "
                "clusterParameterGroupName to such a group.",
                None,
            )
    elif args.resource_type == REDSHIFT_PARAMETER_GROUP:
        required = _parameter(value(props, "parameters"), "name", "value", "require_ssl")
        if not is_true(required):
            report_violation(
                f"{args.name}: parameters require_ssl is {shown(required, 'false')}, so clusters using the group "
                'accept unencrypted connections; add the parameter require_ssl with value "true".',
                None,
            )
    elif args.resource_type == SERVERLESS_WORKGROUP:
        required = _parameter(value(props, "configParameters"), "parameterKey", "parameterValue", "require_ssl")
        if not is_true(required):
            report_violation(
                f"{args.name}: configParameters require_ssl is {'not set' if required is None else repr(required)}, "
                "so the workgroup accepts unencrypted connections; add the config parameter require_ssl with value "
                '"true".',
                None,
            )


redshift_require_ssl = ResourceValidationPolicy(
    name="redshift-require-ssl",
    description=described(
        "Redshift clusters (through their parameter group) and serverless workgroups require SSL.",
        26,
        security_hub=["Redshift.2", "RedshiftServerless.2"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_require_ssl,
)


POLICIES = [
    s3_public_access_block,
    s3_kms_encryption,
    s3_tls_only,
    s3_versioning,
    s3_access_logging,
    kms_key_rotation,
    kms_key_no_lockout_bypass,
    kms_key_not_public,
    redshift_kms,
    redshift_not_public,
    redshift_enhanced_vpc_routing,
    redshift_require_ssl,
]
