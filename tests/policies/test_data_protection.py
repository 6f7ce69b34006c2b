"""The data-protection pack (guardrails 21-26 of docs/guardrails.md), policy by policy, without a server."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, UnknownValueError

from tests.policy_harness import (
    DELETE,
    Res,
    assert_reported,
    changed,
    load_rules,
    reporting,
    resource_violations,
    stack_violations,
)

RULES = load_rules("data-protection")
BY_NAME = {policy.name: policy for policy in RULES.POLICIES}

BUCKET = "aws:s3/bucket:Bucket"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
LOGGING = "aws:s3/bucketLogging:BucketLogging"
KEY = "aws:kms/key:Key"
CLUSTER = "aws:redshift/cluster:Cluster"
PARAMETER_GROUP = "aws:redshift/parameterGroup:ParameterGroup"
NAMESPACE = "aws:redshiftserverless/namespace:Namespace"
WORKGROUP = "aws:redshiftserverless/workgroup:Workgroup"

KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/0f1e2d3c-aaaa-bbbb-cccc-000000000001"
FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
STACK_POLICIES = ("s3-public-access-block", "s3-kms-encryption", "s3-tls-only", "s3-versioning", "s3-access-logging")


def stack_policy(name: str) -> StackValidationPolicy:
    policy = BY_NAME[name]
    assert isinstance(policy, StackValidationPolicy)
    return policy


def resource_policy(name: str) -> ResourceValidationPolicy:
    policy = BY_NAME[name]
    assert isinstance(policy, ResourceValidationPolicy)
    return policy


# --- a small compliant stack: a data bucket logging to an access-log bucket ----------------------


def tls_policy(name: str, **overrides: Any) -> str:
    statement = {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    statement.update(overrides)
    statement = {k: v for k, v in statement.items() if v != DELETE}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def bucket_resources(short: str, logs_to: str | None, sse: dict[str, Any]) -> list[Res]:
    bucket, name = f"{short}-bucket", f"mlops-{short}-111111111111-eu-west-1"
    on_bucket = {"bucket": [bucket]}
    resources = [
        Res(BUCKET, bucket, {"bucket": name, "arn": f"arn:aws:s3:::{name}"}),
        Res(BLOCK, f"{short}-block", {"bucket": name, **dict.fromkeys(FLAGS, True)}, on_bucket),
        Res(
            SSE,
            f"{short}-encryption",
            {"bucket": name, "rules": [{"applyServerSideEncryptionByDefault": sse}]},
            on_bucket,
        ),
        Res(
            BUCKET_POLICY,
            f"{short}-policy",
            {"bucket": name, "policy": tls_policy(name)},
            {**on_bucket, "policy": [bucket]},
        ),
        Res(
            VERSIONING,
            f"{short}-versioning",
            {"bucket": name, "versioningConfiguration": {"status": "Enabled"}},
            on_bucket,
        ),
    ]
    if logs_to is not None:
        target = f"mlops-{logs_to}-111111111111-eu-west-1"
        resources.append(
            Res(
                LOGGING,
                f"{short}-logging",
                {"bucket": name, "targetBucket": target, "targetPrefix": f"{name}/"},
                {**on_bucket, "targetBucket": [f"{logs_to}-bucket"]},
            )
        )
    return resources


def compliant_stack() -> list[Res]:
    kms = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}
    return [
        Res(KEY, "data-key", {"enableKeyRotation": True}),
        *bucket_resources("logs", None, {"sseAlgorithm": "AES256"}),
        *bucket_resources("data", "logs", kms),
    ]


def find(stack: list[Res], name: str) -> Res:
    (found,) = [r for r in stack if r.name == name]
    return found


def set_prop(name: str, path: tuple[str | int, ...], value: Any) -> Callable[[list[Res]], None]:
    def mutate(stack: list[Res]) -> None:
        resource = find(stack, name)
        resource.props = changed(resource.props, path, value)

    return mutate


def remove(name: str) -> Callable[[list[Res]], None]:
    return lambda stack: stack.remove(find(stack, name))


def unlink(stack: list[Res]) -> None:
    """Drop every property dependency: companions join their bucket by name only."""
    for resource in stack:
        resource.property_dependencies = {}


def run(policy: str, mutate: Callable[[list[Res]], None] | None = None) -> list[str]:
    stack = compliant_stack()
    if mutate is not None:
        mutate(stack)
    return stack_violations(stack_policy(policy), stack)


# --- the S3 stack policies -----------------------------------------------------------------------


@pytest.mark.parametrize("policy", STACK_POLICIES)
def test_the_compliant_stack_passes(policy: str) -> None:
    assert run(policy) == []


@pytest.mark.parametrize("policy", STACK_POLICIES)
def test_companions_join_by_name_when_there_are_no_property_dependencies(policy: str) -> None:
    assert run(policy, unlink) == []


@pytest.mark.parametrize(
    "policy", ["s3-public-access-block", "s3-kms-encryption", "s3-versioning", "s3-access-logging"]
)
def test_joins_work_while_names_are_unknown(policy: str) -> None:
    def unknown_names(stack: list[Res]) -> None:
        for resource in stack:
            for key in ("bucket", "targetBucket", "arn"):
                if key in resource.props:
                    resource.props[key] = UNKNOWN_STRING_VALUE

    assert run(policy, unknown_names) == []


def test_tls_only_needs_the_bucket_name_so_it_cannot_run_while_unknown() -> None:
    with pytest.raises(UnknownValueError):
        run("s3-tls-only", set_prop("data-bucket", ("bucket",), UNKNOWN_STRING_VALUE))


def test_a_companion_joined_to_another_bucket_does_not_count() -> None:
    def move_block(stack: list[Res]) -> None:
        block = find(stack, "data-block")
        block.property_dependencies = {"bucket": ["logs-bucket"]}
        block.props["bucket"] = find(stack, "logs-bucket").props["bucket"]

    assert_reported(run("s3-public-access-block", move_block), "data-bucket: BucketPublicAccessBlock is missing")


def test_a_companion_named_for_another_bucket_does_not_join() -> None:
    def rename(stack: list[Res]) -> None:
        unlink(stack)
        find(stack, "data-block").props["bucket"] = "someone-elses-bucket"

    assert_reported(run("s3-public-access-block", rename), "data-bucket: BucketPublicAccessBlock is missing")


def test_a_loose_companion_whose_bucket_is_unknown_cannot_be_judged() -> None:
    def loose_unknown(stack: list[Res]) -> None:
        block = find(stack, "data-block")
        block.property_dependencies = {}
        block.props["bucket"] = UNKNOWN_STRING_VALUE

    with pytest.raises(UnknownValueError):
        run("s3-public-access-block", loose_unknown)


def test_legacy_bucket_v2_is_checked() -> None:
    def legacy(stack: list[Res]) -> None:
        find(stack, "data-bucket").type = "aws:s3/bucketV2:BucketV2"
        stack.remove(find(stack, "data-block"))

    assert_reported(run("s3-public-access-block", legacy), "data-bucket: BucketPublicAccessBlock is missing")


def test_v2_companion_tokens_join() -> None:
    def legacy(stack: list[Res]) -> None:
        find(
            stack, "data-encryption"
        ).type = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
        find(stack, "data-versioning").type = "aws:s3/bucketVersioningV2:BucketVersioningV2"
        find(stack, "data-logging").type = "aws:s3/bucketLoggingV2:BucketLoggingV2"

    assert run("s3-kms-encryption", legacy) == []
    assert run("s3-versioning", legacy) == []
    assert run("s3-access-logging", legacy) == []


BLOCK_CASES = [
    *[
        (
            f"{flag} false",
            set_prop("data-block", (flag,), False),
            (f"data-block: {flag} is false", f"set {flag} to true"),
        )
        for flag in FLAGS
    ],
    *[
        (
            f"{flag} missing",
            set_prop("data-block", (flag,), DELETE),
            (f"data-block: {flag} is not set (AWS defaults to false)", f"set {flag} to true"),
        )
        for flag in FLAGS
    ],
    (
        "no block",
        remove("data-block"),
        ("data-bucket: BucketPublicAccessBlock is missing", "add a BucketPublicAccessBlock"),
    ),
]


@pytest.mark.parametrize(("what", "mutate", "expected"), BLOCK_CASES, ids=[c[0] for c in BLOCK_CASES])
def test_public_access_block_violations(
    what: str, mutate: Callable[[list[Res]], None], expected: tuple[str, ...]
) -> None:
    assert_reported(run("s3-public-access-block", mutate), *expected)


def test_public_access_block_flag_unknown_cannot_be_judged() -> None:
    with pytest.raises(UnknownValueError):
        run("s3-public-access-block", set_prop("data-block", ("blockPublicPolicy",), UNKNOWN_BOOLEAN_VALUE))


DEFAULT = ("rules", 0, "applyServerSideEncryptionByDefault")
ENCRYPTION_CASES = [
    (
        "SSE-S3 on a data bucket",
        set_prop("data-encryption", DEFAULT, {"sseAlgorithm": "AES256"}),
        (
            "data-encryption: rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is 'AES256'",
            "set sseAlgorithm to aws:kms",
        ),
    ),
    (
        "the AWS managed key",
        set_prop("data-encryption", (*DEFAULT, "kmsMasterKeyId"), DELETE),
        (
            "data-encryption: rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId is not set",
            "customer managed key",
        ),
    ),
    (
        "an empty key id",
        set_prop("data-encryption", (*DEFAULT, "kmsMasterKeyId"), ""),
        ("data-encryption: rules[0].applyServerSideEncryptionByDefault.kmsMasterKeyId is not set",),
    ),
    (
        "no algorithm",
        set_prop("data-encryption", DEFAULT, {}),
        (
            "data-encryption: rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is not set",
            "(S3 defaults to SSE-S3)",
        ),
    ),
    ("no rules", set_prop("data-encryption", ("rules",), []), ("data-encryption: rules is empty", "aws:kms")),
    (
        "no configuration",
        remove("data-encryption"),
        ("data-bucket: BucketServerSideEncryptionConfiguration is missing", "add one for this bucket"),
    ),
    (
        "SSE-S3 on a bucket that is no longer a log target",
        remove("data-logging"),
        ("logs-encryption: rules[0].applyServerSideEncryptionByDefault.sseAlgorithm is 'AES256'",),
    ),
    (
        "a log target without configuration",
        remove("logs-encryption"),
        ("logs-bucket: BucketServerSideEncryptionConfiguration is missing",),
    ),
]


@pytest.mark.parametrize(("what", "mutate", "expected"), ENCRYPTION_CASES, ids=[c[0] for c in ENCRYPTION_CASES])
def test_kms_encryption_violations(what: str, mutate: Callable[[list[Res]], None], expected: tuple[str, ...]) -> None:
    assert_reported(run("s3-kms-encryption", mutate), *expected)


@pytest.mark.parametrize(
    "sse",
    [
        {"sseAlgorithm": "aws:kms:dsse", "kmsMasterKeyId": KEY_ARN},
        {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": UNKNOWN_STRING_VALUE},
    ],
    ids=["dsse", "key id unknown counts as set"],
)
def test_kms_encryption_accepts(sse: dict[str, Any]) -> None:
    assert run("s3-kms-encryption", set_prop("data-encryption", DEFAULT, sse)) == []


def test_a_log_target_may_also_use_kms() -> None:
    sse = {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": KEY_ARN}
    assert run("s3-kms-encryption", set_prop("logs-encryption", DEFAULT, sse)) == []


def test_kms_encryption_algorithm_unknown_cannot_be_judged() -> None:
    with pytest.raises(UnknownValueError):
        run("s3-kms-encryption", set_prop("data-encryption", (*DEFAULT, "sseAlgorithm"), UNKNOWN_STRING_VALUE))


DATA = "mlops-data-111111111111-eu-west-1"
TLS_CASES = [
    ("no bucket policy", remove("data-policy"), ("data-bucket: BucketPolicy is missing", "aws:SecureTransport")),
    ("allow instead of deny", set_prop("data-policy", ("policy",), tls_policy(DATA, Effect="Allow")), ()),
    (
        "a named principal",
        set_prop("data-policy", ("policy",), tls_policy(DATA, Principal={"AWS": "arn:aws:iam::111111111111:root"})),
        (),
    ),
    ("only some actions", set_prop("data-policy", ("policy",), tls_policy(DATA, Action="s3:GetObject")), ()),
    (
        "the bucket but not its objects",
        set_prop("data-policy", ("policy",), tls_policy(DATA, Resource=f"arn:aws:s3:::{DATA}")),
        (),
    ),
    (
        "another bucket",
        set_prop(
            "data-policy", ("policy",), tls_policy("other", Resource=["arn:aws:s3:::other", "arn:aws:s3:::other/*"])
        ),
        (),
    ),
    (
        "secure transport true",
        set_prop("data-policy", ("policy",), tls_policy(DATA, Condition={"Bool": {"aws:SecureTransport": "true"}})),
        (),
    ),
    ("no condition", set_prop("data-policy", ("policy",), tls_policy(DATA, Condition=DELETE)), ()),
    (
        "a TLS version condition instead",
        set_prop("data-policy", ("policy",), tls_policy(DATA, Condition={"NumericLessThan": {"s3:TlsVersion": "1.2"}})),
        (),
    ),
    (
        "not JSON",
        set_prop("data-policy", ("policy",), "Deny everything insecure"),
        ("data-policy: policy is not a JSON policy document",),
    ),
]


@pytest.mark.parametrize(("what", "mutate", "expected"), TLS_CASES, ids=[c[0] for c in TLS_CASES])
def test_tls_only_violations(what: str, mutate: Callable[[list[Res]], None], expected: tuple[str, ...]) -> None:
    messages = run("s3-tls-only", mutate)
    assert_reported(
        messages,
        *(expected or ("data-policy: policy does not deny requests to bucket data-bucket without TLS", "Effect Deny")),
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"Principal": {"AWS": "*"}},
        {"Principal": {"AWS": ["*"]}},
        {"Action": ["s3:GetObject", "*"]},
        {"Resource": "*"},
        {"Resource": f"arn:aws:s3:::{DATA}*"},
        {"Condition": {"Bool": {"aws:securetransport": False}}},
        {"Condition": {"Bool": {"aws:SecureTransport": ["false"]}}},
    ],
    ids=["AWS *", "AWS [*]", "*", "resource *", "prefix wildcard", "boolean false", "list of false"],
)
def test_tls_only_accepts(overrides: dict[str, Any]) -> None:
    assert run("s3-tls-only", set_prop("data-policy", ("policy",), tls_policy(DATA, **overrides))) == []


def test_tls_only_accepts_a_single_statement_object() -> None:
    document = json.loads(tls_policy(DATA))
    document["Statement"] = document["Statement"][0]
    assert run("s3-tls-only", set_prop("data-policy", ("policy",), json.dumps(document))) == []


def test_tls_only_policy_unknown_cannot_be_judged() -> None:
    with pytest.raises(UnknownValueError):
        run("s3-tls-only", set_prop("data-policy", ("policy",), UNKNOWN_STRING_VALUE))


VERSIONING_CASES = [
    (
        "suspended",
        set_prop("data-versioning", ("versioningConfiguration", "status"), "Suspended"),
        (
            "data-versioning: versioningConfiguration.status is 'Suspended'",
            'set versioningConfiguration.status to "Enabled"',
        ),
    ),
    (
        "no status",
        set_prop("data-versioning", ("versioningConfiguration", "status"), DELETE),
        ("data-versioning: versioningConfiguration.status is not set",),
    ),
    (
        "no versioning",
        remove("data-versioning"),
        ("data-bucket: BucketVersioning is missing", "add a BucketVersioning"),
    ),
]


@pytest.mark.parametrize(("what", "mutate", "expected"), VERSIONING_CASES, ids=[c[0] for c in VERSIONING_CASES])
def test_versioning_violations(what: str, mutate: Callable[[list[Res]], None], expected: tuple[str, ...]) -> None:
    assert_reported(run("s3-versioning", mutate), *expected)
    assert run("s3-access-logging", mutate) == []


def test_access_logging_violation() -> None:
    messages = run("s3-access-logging", remove("data-logging"))
    assert_reported(messages, "data-bucket: BucketLogging is missing", "targetBucket")
    assert run("s3-versioning", remove("data-logging")) == []


def test_a_log_target_needs_no_access_logging_of_its_own() -> None:
    assert not any("logs-bucket" in m for m in run("s3-access-logging"))
    # Once nothing logs to it, it is an ordinary bucket again.
    assert_reported(run("s3-access-logging", remove("data-logging")), "logs-bucket: BucketLogging is missing")


# --- KMS key hygiene -----------------------------------------------------------------------------

ROTATION, LOCKOUT, NOT_PUBLIC = "kms-key-rotation", "kms-key-no-lockout-bypass", "kms-key-not-public"
KEY_POLICIES = (ROTATION, LOCKOUT, NOT_PUBLIC)

KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "Account",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "NamedRoles",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "kms:Decrypt",
            "Resource": "*",
            "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::222222222222:role/mlops/runner"}},
        },
        {"Sid": "Guard", "Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
    ],
}
KEY_PROPS: dict[str, Any] = {"enableKeyRotation": True, "policy": json.dumps(KEY_POLICY), "deletionWindowInDays": 30}


def key_policy_with(statement: dict[str, Any]) -> str:
    return json.dumps({**KEY_POLICY, "Statement": [*KEY_POLICY["Statement"], statement]})


def key_violations(props: dict[str, Any]) -> dict[str, list[str]]:
    """What each KMS key policy reports."""
    return {name: resource_violations(resource_policy(name), KEY, props, name="data-key") for name in KEY_POLICIES}


EVERYONE = {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}
KEY_CASES = [
    (
        "rotation off",
        ROTATION,
        ("enableKeyRotation",),
        False,
        ("data-key: enableKeyRotation is false", "set enableKeyRotation to true"),
    ),
    (
        "rotation left to AWS",
        ROTATION,
        ("enableKeyRotation",),
        DELETE,
        ("data-key: enableKeyRotation is not set (AWS defaults to false)",),
    ),
    (
        "lockout check bypassed",
        LOCKOUT,
        ("bypassPolicyLockoutSafetyCheck",),
        True,
        ("data-key: bypassPolicyLockoutSafetyCheck is true", "set it to false"),
    ),
    (
        "principal *",
        NOT_PUBLIC,
        ("policy",),
        key_policy_with({**EVERYONE, "Principal": "*"}),
        ("data-key: policy Statement[3] allows principal * with no Condition", "add a Condition"),
    ),
    (
        "AWS *",
        NOT_PUBLIC,
        ("policy",),
        key_policy_with({**EVERYONE, "Principal": {"AWS": "*"}}),
        ("data-key: policy Statement[3] allows principal *",),
    ),
    (
        "AWS [.., *]",
        NOT_PUBLIC,
        ("policy",),
        key_policy_with({**EVERYONE, "Principal": {"AWS": ["arn:aws:iam::111111111111:root", "*"]}}),
        ("data-key: policy Statement[3]",),
    ),
    (
        "empty condition",
        NOT_PUBLIC,
        ("policy",),
        key_policy_with({**EVERYONE, "Principal": "*", "Condition": {}}),
        ("data-key: policy Statement[3]",),
    ),
    ("not JSON", NOT_PUBLIC, ("policy",), "allow everyone", ("data-key: policy is not a JSON policy document",)),
]


def test_kms_key_baseline_passes() -> None:
    assert reporting(key_violations(KEY_PROPS)) == []


@pytest.mark.parametrize(("what", "name", "path", "value", "expected"), KEY_CASES, ids=[c[0] for c in KEY_CASES])
def test_kms_key_violations(what: str, name: str, path: tuple[str, ...], value: Any, expected: tuple[str, ...]) -> None:
    """Each bad property fails its own policy, and only that one."""
    found = key_violations(changed(KEY_PROPS, path, value))
    assert reporting(found) == [name], found
    assert_reported(found[name], *expected)


@pytest.mark.parametrize(
    ("path", "value"),
    [(("policy",), DELETE), (("bypassPolicyLockoutSafetyCheck",), False)],
    ids=["default key policy", "lockout check kept"],
)
def test_kms_key_passes(path: tuple[str, ...], value: Any) -> None:
    assert reporting(key_violations(changed(KEY_PROPS, path, value))) == []


@pytest.mark.parametrize(
    ("name", "path", "value"),
    [
        (NOT_PUBLIC, ("policy",), UNKNOWN_STRING_VALUE),
        (ROTATION, ("enableKeyRotation",), UNKNOWN_BOOLEAN_VALUE),
        (LOCKOUT, ("bypassPolicyLockoutSafetyCheck",), UNKNOWN_BOOLEAN_VALUE),
    ],
    ids=["policy unknown", "rotation unknown", "lockout check unknown"],
)
def test_kms_key_values_unknown_cannot_be_judged(name: str, path: tuple[str, ...], value: Any) -> None:
    props = changed(KEY_PROPS, path, value)
    with pytest.raises(UnknownValueError):
        resource_violations(resource_policy(name), KEY, props, name="data-key")
    # The other two still judge the key.
    for other in set(KEY_POLICIES) - {name}:
        assert resource_violations(resource_policy(other), KEY, props, name="data-key") == []


@pytest.mark.parametrize(
    "extra",
    [{"customerMasterKeySpec": "RSA_2048", "keyUsage": "SIGN_VERIFY"}, {"customKeyStoreId": "cks-1234567890abcdef0"}],
    ids=["asymmetric", "custom key store"],
)
def test_keys_aws_cannot_rotate_need_no_rotation(extra: dict[str, Any]) -> None:
    assert reporting(key_violations({**changed(KEY_PROPS, ("enableKeyRotation",), DELETE), **extra})) == []


# --- Redshift ------------------------------------------------------------------------------------

REDSHIFT_KMS, NOT_PUBLIC_WAREHOUSE = "redshift-kms", "redshift-not-public"
ROUTING, SSL = "redshift-enhanced-vpc-routing", "redshift-require-ssl"
REDSHIFT_POLICIES = (REDSHIFT_KMS, NOT_PUBLIC_WAREHOUSE, ROUTING, SSL)

CLUSTER_PROPS: dict[str, Any] = {
    "clusterIdentifier": "mlops-warehouse",
    "nodeType": "ra3.xlplus",
    "encrypted": "true",
    "kmsKeyId": KEY_ARN,
    "publiclyAccessible": False,
    "enhancedVpcRouting": True,
    "clusterParameterGroupName": "mlops-require-ssl",
}
PARAMETER_GROUP_PROPS: dict[str, Any] = {
    "family": "redshift-1.0",
    "parameters": [{"name": "enable_user_activity_logging", "value": "true"}, {"name": "require_ssl", "value": "true"}],
}
NAMESPACE_PROPS: dict[str, Any] = {"namespaceName": "mlops-warehouse", "kmsKeyId": KEY_ARN, "manageAdminPassword": True}
WORKGROUP_PROPS: dict[str, Any] = {
    "workgroupName": "mlops-warehouse",
    "namespaceName": "mlops-warehouse",
    "publiclyAccessible": False,
    "enhancedVpcRouting": True,
    "configParameters": [
        {"parameterKey": "require_ssl", "parameterValue": "true"},
        {"parameterKey": "enable_user_activity_logging", "parameterValue": "true"},
    ],
}
REDSHIFT_BASELINES = {
    CLUSTER: CLUSTER_PROPS,
    PARAMETER_GROUP: PARAMETER_GROUP_PROPS,
    NAMESPACE: NAMESPACE_PROPS,
    WORKGROUP: WORKGROUP_PROPS,
}


def redshift(name: str, token: str, props: dict[str, Any]) -> list[str]:
    return resource_violations(resource_policy(name), token, props, name="warehouse")


def redshift_violations(token: str, props: dict[str, Any]) -> dict[str, list[str]]:
    """What each Redshift policy reports."""
    return {name: redshift(name, token, props) for name in REDSHIFT_POLICIES}


@pytest.mark.parametrize("token", list(REDSHIFT_BASELINES))
def test_redshift_baselines_pass(token: str) -> None:
    assert reporting(redshift_violations(token, REDSHIFT_BASELINES[token])) == []


def test_cluster_encrypted_left_to_aws_is_encrypted() -> None:
    assert reporting(redshift_violations(CLUSTER, changed(CLUSTER_PROPS, ("encrypted",), DELETE))) == []


REDSHIFT_CASES = [
    (REDSHIFT_KMS, CLUSTER, ("encrypted",), "false", ("warehouse: encrypted is false", "set encrypted to true")),
    (REDSHIFT_KMS, CLUSTER, ("encrypted",), False, ("warehouse: encrypted is false",)),
    (
        REDSHIFT_KMS,
        CLUSTER,
        ("kmsKeyId",),
        DELETE,
        ("warehouse: kmsKeyId is not set", "AWS owned key", "customer managed key"),
    ),
    (
        NOT_PUBLIC_WAREHOUSE,
        CLUSTER,
        ("publiclyAccessible",),
        True,
        ("warehouse: publiclyAccessible is true", "set publiclyAccessible to false"),
    ),
    (
        ROUTING,
        CLUSTER,
        ("enhancedVpcRouting",),
        False,
        ("warehouse: enhancedVpcRouting is false", "set enhancedVpcRouting to true"),
    ),
    (
        ROUTING,
        CLUSTER,
        ("enhancedVpcRouting",),
        DELETE,
        ("warehouse: enhancedVpcRouting is not set (AWS defaults to false)",),
    ),
    (
        SSL,
        CLUSTER,
        ("clusterParameterGroupName",),
        DELETE,
        ("warehouse: clusterParameterGroupName is not set", "require_ssl true"),
    ),
    (
        SSL,
        PARAMETER_GROUP,
        ("parameters", 1, "value"),
        "false",
        ("warehouse: parameters require_ssl is 'false'", 'value "true"'),
    ),
    (
        SSL,
        PARAMETER_GROUP,
        ("parameters",),
        DELETE,
        ("warehouse: parameters require_ssl is not set (AWS defaults to false)",),
    ),
    (
        REDSHIFT_KMS,
        NAMESPACE,
        ("kmsKeyId",),
        DELETE,
        ("warehouse: kmsKeyId is not set", "AWS owned key", "customer managed key"),
    ),
    (REDSHIFT_KMS, NAMESPACE, ("kmsKeyId",), "", ("warehouse: kmsKeyId is not set",)),
    (
        NOT_PUBLIC_WAREHOUSE,
        WORKGROUP,
        ("publiclyAccessible",),
        True,
        ("warehouse: publiclyAccessible is true", "set publiclyAccessible to false"),
    ),
    (ROUTING, WORKGROUP, ("enhancedVpcRouting",), False, ("warehouse: enhancedVpcRouting is false",)),
    (
        ROUTING,
        WORKGROUP,
        ("enhancedVpcRouting",),
        DELETE,
        ("warehouse: enhancedVpcRouting is not set (AWS defaults to false)",),
    ),
    (SSL, WORKGROUP, ("configParameters",), [], ("warehouse: configParameters require_ssl is not set", 'value "true"')),
    (SSL, WORKGROUP, ("configParameters",), DELETE, ("warehouse: configParameters require_ssl is not set",)),
    (
        SSL,
        WORKGROUP,
        ("configParameters", 0, "parameterValue"),
        "false",
        ("warehouse: configParameters require_ssl is 'false'",),
    ),
]


@pytest.mark.parametrize(
    ("name", "token", "path", "value", "expected"),
    REDSHIFT_CASES,
    ids=[f"{c[1].rsplit(':', 1)[1]}-{'.'.join(map(str, c[2]))}={c[3]!r}" for c in REDSHIFT_CASES],
)
def test_redshift_violations(
    name: str, token: str, path: tuple[str | int, ...], value: Any, expected: tuple[str, ...]
) -> None:
    """Each bad property fails its own policy, and only that one."""
    found = redshift_violations(token, changed(REDSHIFT_BASELINES[token], path, value))
    assert reporting(found) == [name], found
    assert_reported(found[name], *expected)


@pytest.mark.parametrize("token", [CLUSTER, NAMESPACE])
def test_redshift_key_unknown_counts_as_set(token: str) -> None:
    props = changed(REDSHIFT_BASELINES[token], ("kmsKeyId",), UNKNOWN_STRING_VALUE)
    assert reporting(redshift_violations(token, props)) == []


@pytest.mark.parametrize(
    ("name", "token", "path"),
    [
        (NOT_PUBLIC_WAREHOUSE, WORKGROUP, ("publiclyAccessible",)),
        (ROUTING, WORKGROUP, ("enhancedVpcRouting",)),
        (SSL, WORKGROUP, ("configParameters", 0, "parameterValue")),
        (REDSHIFT_KMS, CLUSTER, ("encrypted",)),
        (SSL, PARAMETER_GROUP, ("parameters", 1, "value")),
    ],
    ids=["workgroup public", "workgroup routing", "workgroup require_ssl", "cluster encrypted", "group require_ssl"],
)
def test_redshift_values_unknown_cannot_be_judged(name: str, token: str, path: tuple[str | int, ...]) -> None:
    props = changed(REDSHIFT_BASELINES[token], path, UNKNOWN_STRING_VALUE)
    with pytest.raises(UnknownValueError):
        redshift(name, token, props)
    # Only that policy stops: the others judge the rest of the warehouse.
    for other in set(REDSHIFT_POLICIES) - {name}:
        assert redshift(other, token, props) == []


@pytest.mark.parametrize("name", REDSHIFT_POLICIES)
def test_redshift_ignores_other_types(name: str) -> None:
    props = {"publiclyAccessible": True, "enhancedVpcRouting": False, "configParameters": [], "encrypted": False}
    assert redshift(name, KEY, props) == []
