"""The cicd-iam pack (guardrails 27-31 of docs/guardrails.md), policy by policy, without a server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.policy import PolicyCustomTimeouts, PolicyResourceOptions
from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from components import policy_documents
from tests.policy_harness import (
    DELETE,
    Res,
    assert_reported,
    changed,
    load_rules,
    reporting,
    resource_violations,
    schema_defaults,
    stack_violations,
)

RULES = load_rules("cicd-iam")
BY_NAME = {policy.name: policy for policy in RULES.POLICIES}

PROJECT = "aws:codebuild/project:Project"
PIPELINE = "aws:codepipeline/pipeline:Pipeline"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY_ARN = "arn:aws:kms:eu-west-1:111111111111:key/0f1e2d3c-aaaa-bbbb-cccc-000000000001"


def policy(name: str) -> ResourceValidationPolicy:
    found = BY_NAME[name]
    assert isinstance(found, ResourceValidationPolicy)
    return found


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# --- configuration -------------------------------------------------------------------------------


def test_no_project_may_run_privileged_by_default() -> None:
    """The program runs no privileged build, so the allowlist is empty."""
    assert schema_defaults(policy("codebuild-not-privileged")) == {"privilegedAllowlist": []}
    assert list(RULES.DEFAULT_PRIVILEGED_ALLOWLIST) == []


# --- CodeBuild projects --------------------------------------------------------------------------

PRIVILEGED = "codebuild-not-privileged"
ARTIFACTS = "codebuild-artifacts-kms"
LOGS = "codebuild-logs"
SECRETS = "codebuild-no-plaintext-secrets"
CODEBUILD = (PRIVILEGED, ARTIFACTS, LOGS, SECRETS)

PROJECT_PROPS: dict[str, Any] = {
    "name": "mlops-tooling-checks",
    "serviceRole": "arn:aws:iam::111111111111:role/mlops/mlops-tooling-ci",
    "encryptionKey": KEY_ARN,
    "artifacts": {"type": "CODEPIPELINE"},
    "source": {"type": "CODEPIPELINE", "buildspec": "buildspecs/checks.yml"},
    "environment": {
        "computeType": "BUILD_GENERAL1_MEDIUM",
        "image": "aws/codebuild/standard:7.0",
        "type": "LINUX_CONTAINER",
        "privilegedMode": False,
        "environmentVariables": [
            {"name": "TARGET_ACCOUNT", "value": "datamgmt", "type": "PLAINTEXT"},
            {"name": "STAGE", "value": "prod"},
            {"name": "DB_PASSWORD", "value": "/mlops/warehouse/password", "type": "PARAMETER_STORE"},
            {"name": "GITHUB_TOKEN", "value": "mlops/github-token", "type": "SECRETS_MANAGER"},
        ],
    },
    "logsConfig": {"cloudwatchLogs": {"status": "ENABLED", "groupName": "/aws/codebuild/mlops-tooling-checks"}},
}


def codebuild(name: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    return resource_violations(policy(name), PROJECT, props, name="checks", config=config)


def every_codebuild_policy(props: dict[str, Any]) -> dict[str, list[str]]:
    return {name: codebuild(name, props) for name in CODEBUILD}


def with_variable(variable: dict[str, Any]) -> dict[str, Any]:
    variables = [*PROJECT_PROPS["environment"]["environmentVariables"], variable]
    return changed(PROJECT_PROPS, ("environment", "environmentVariables"), variables)


def test_codebuild_baseline_passes() -> None:
    assert reporting(every_codebuild_policy(PROJECT_PROPS)) == []


FIX_SECRET = "set type to PARAMETER_STORE or SECRETS_MANAGER"
CODEBUILD_CASES: list[tuple[str, str, dict[str, Any], tuple[str, ...]]] = [
    (
        "privileged",
        PRIVILEGED,
        changed(PROJECT_PROPS, ("environment", "privilegedMode"), True),
        (
            "checks: environment.privilegedMode is true",
            "set environment.privilegedMode to false",
            "privilegedAllowlist",
        ),
    ),
    (
        "AWS managed key",
        ARTIFACTS,
        changed(PROJECT_PROPS, ("encryptionKey",), DELETE),
        ("checks: encryptionKey is not set", "set encryptionKey to a customer managed KMS key"),
    ),
    ("empty key", ARTIFACTS, changed(PROJECT_PROPS, ("encryptionKey",), ""), ("checks: encryptionKey is not set",)),
    (
        "artifacts unencrypted",
        ARTIFACTS,
        changed(PROJECT_PROPS, ("artifacts", "encryptionDisabled"), True),
        ("checks: artifacts.encryptionDisabled is true", "set it to false"),
    ),
    (
        "secondary artifacts unencrypted",
        ARTIFACTS,
        changed(
            PROJECT_PROPS,
            ("secondaryArtifacts",),
            [{"type": "S3", "artifactIdentifier": "a", "encryptionDisabled": True}],
        ),
        ("checks: secondaryArtifacts[0].encryptionDisabled is true",),
    ),
    (
        "logs off",
        LOGS,
        changed(PROJECT_PROPS, ("logsConfig", "cloudwatchLogs", "status"), "DISABLED"),
        ("checks: logsConfig.cloudwatchLogs.status is DISABLED", 'set logsConfig.cloudwatchLogs.status to "ENABLED"'),
    ),
    (
        "logs off, S3 logs named but disabled",
        LOGS,
        changed(
            changed(PROJECT_PROPS, ("logsConfig", "cloudwatchLogs", "status"), "DISABLED"),
            ("logsConfig", "s3Logs"),
            {"status": "DISABLED", "location": "bucket/logs"},
        ),
        ("checks: logsConfig.cloudwatchLogs.status is DISABLED",),
    ),
    (
        "S3 logs unencrypted",
        LOGS,
        changed(
            PROJECT_PROPS,
            ("logsConfig", "s3Logs"),
            {"status": "ENABLED", "location": "b/l", "encryptionDisabled": True},
        ),
        ("checks: logsConfig.s3Logs.encryptionDisabled is true",),
    ),
    (
        "plaintext password",
        SECRETS,
        with_variable({"name": "DB_PASSWORD", "value": "hunter2", "type": "PLAINTEXT"}),
        ("checks: environment.environmentVariables[4] (DB_PASSWORD) is a PLAINTEXT variable", FIX_SECRET),
    ),
    (
        "secret of the default type",
        SECRETS,
        with_variable({"name": "stripe-api-key", "value": "sk_live"}),
        ("checks: environment.environmentVariables[4] (stripe-api-key)", "name suggests a secret"),
    ),
    *[
        (
            f"plaintext {part}",
            SECRETS,
            with_variable({"name": f"MY_{part}", "value": "x", "type": "PLAINTEXT"}),
            (f"(MY_{part})",),
        )
        for part in ("SECRET", "TOKEN", "ACCESS_KEY", "PRIVATE_KEY")
    ],
    (
        "an access key id as a value",
        SECRETS,
        with_variable({"name": "CREDENTIALS", "value": "id=AKIAIOSFODNN7EXAMPLE", "type": "PLAINTEXT"}),
        ("(CREDENTIALS) is a PLAINTEXT variable whose value holds an AWS access key id", FIX_SECRET),
    ),
    (
        "a session key id as a value",
        SECRETS,
        with_variable({"name": "CALLER", "value": "ASIAIOSFODNN7EXAMPLE"}),
        ("(CALLER)", "access key id"),
    ),
]


@pytest.mark.parametrize(("what", "name", "props", "expected"), CODEBUILD_CASES, ids=[c[0] for c in CODEBUILD_CASES])
def test_codebuild_violations(what: str, name: str, props: dict[str, Any], expected: tuple[str, ...]) -> None:
    """Each bad property fails its own policy, and only that one: each can be made advisory alone."""
    found = every_codebuild_policy(props)
    assert reporting(found) == [name], found
    assert_reported(found[name], *expected)


def test_codebuild_message_does_not_repeat_the_secret() -> None:
    (message,) = codebuild(SECRETS, with_variable({"name": "DB_PASSWORD", "value": "hunter2", "type": "PLAINTEXT"}))
    assert "hunter2" not in message


@pytest.mark.parametrize(
    "props",
    [
        changed(PROJECT_PROPS, ("logsConfig",), DELETE),
        changed(
            changed(PROJECT_PROPS, ("logsConfig", "cloudwatchLogs", "status"), "DISABLED"),
            ("logsConfig", "s3Logs"),
            {"status": "ENABLED", "location": "bucket/logs"},
        ),
        changed(PROJECT_PROPS, ("environment", "privilegedMode"), DELETE),
        with_variable({"name": "AKIA_NOTE", "value": "not a key id"}),
    ],
    ids=["logs left to AWS (CloudWatch on)", "logs in S3 instead", "privileged left to AWS", "harmless plaintext"],
)
def test_codebuild_accepts(props: dict[str, Any]) -> None:
    assert reporting(every_codebuild_policy(props)) == []


def test_privileged_allowlist_config() -> None:
    privileged = changed(PROJECT_PROPS, ("environment", "privilegedMode"), True)
    assert codebuild(PRIVILEGED, privileged, {"privilegedAllowlist": ["mlops-tooling-checks"]}) == []
    assert_reported(
        codebuild(PRIVILEGED, privileged, {"privilegedAllowlist": ["mlops-other"]}), "'mlops-tooling-checks'"
    )
    # Without a name property the project is known by its resource name.
    assert codebuild(PRIVILEGED, changed(privileged, ("name",), DELETE), {"privilegedAllowlist": ["checks"]}) == []


def test_config_falls_back_to_the_module_defaults() -> None:
    """With no config at all (as an engine that sends none), the module's defaults apply."""
    messages: list[str] = []
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    args = ResourceValidationArgs(
        PROJECT,
        unknown_checking_proxy(changed(PROJECT_PROPS, ("environment", "privilegedMode"), True)),
        "urn:pulumi:test::project::aws:codebuild/project:Project::checks",
        "checks",
        options,
        None,
        None,
    )

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    policy(PRIVILEGED).validate(args, report)
    assert_reported(messages, "checks: environment.privilegedMode is true")


def test_codebuild_presence_checks_accept_unknown_values() -> None:
    assert codebuild(ARTIFACTS, changed(PROJECT_PROPS, ("encryptionKey",), UNKNOWN_STRING_VALUE)) == []


@pytest.mark.parametrize(
    ("name", "props"),
    [
        (PRIVILEGED, changed(PROJECT_PROPS, ("environment", "privilegedMode"), UNKNOWN_BOOLEAN_VALUE)),
        (
            PRIVILEGED,
            changed(changed(PROJECT_PROPS, ("environment", "privilegedMode"), True), ("name",), UNKNOWN_STRING_VALUE),
        ),
        (LOGS, changed(PROJECT_PROPS, ("logsConfig", "cloudwatchLogs", "status"), UNKNOWN_STRING_VALUE)),
        (SECRETS, with_variable({"name": "BUCKET", "value": UNKNOWN_STRING_VALUE})),
        (SECRETS, with_variable({"name": "DB_PASSWORD", "value": "x", "type": UNKNOWN_STRING_VALUE})),
    ],
    ids=["privileged", "privileged project name", "logs status", "plaintext value", "variable type"],
)
def test_codebuild_values_unknown_cannot_be_judged(name: str, props: dict[str, Any]) -> None:
    with pytest.raises(UnknownValueError):
        codebuild(name, props)


def test_an_unknown_value_stops_only_the_policy_that_needs_it() -> None:
    props = changed(PROJECT_PROPS, ("environment", "privilegedMode"), UNKNOWN_BOOLEAN_VALUE)
    props = changed(props, ("encryptionKey",), DELETE)
    with pytest.raises(UnknownValueError):
        codebuild(PRIVILEGED, props)
    assert_reported(codebuild(ARTIFACTS, props), "checks: encryptionKey is not set")


@pytest.mark.parametrize("name", CODEBUILD)
def test_codebuild_ignores_other_types(name: str) -> None:
    props = {"environment": {"privilegedMode": True}, "logsConfig": {"cloudwatchLogs": {"status": "DISABLED"}}}
    assert resource_violations(policy(name), PIPELINE, props) == []


# --- codepipeline-artifact-kms -------------------------------------------------------------------

STORE: dict[str, Any] = {
    "type": "S3",
    "location": "mlops-tooling-artifacts",
    "encryptionKey": {"type": "KMS", "id": KEY_ARN},
}
PIPELINE_PROPS: dict[str, Any] = {
    "name": "mlops-tooling-production",
    "pipelineType": "V2",
    "roleArn": "arn:aws:iam::111111111111:role/mlops/mlops-tooling-ci",
    "artifactStores": [STORE, {**STORE, "region": "eu-central-1"}],
    "stages": [],
}


def pipeline(props: dict[str, Any]) -> list[str]:
    return resource_violations(policy("codepipeline-artifact-kms"), PIPELINE, props, name="production")


def test_pipeline_baseline_passes() -> None:
    assert pipeline(PIPELINE_PROPS) == []


PIPELINE_CASES = [
    ("no key", ("artifactStores", 0, "encryptionKey"), DELETE, "artifactStores[0].encryptionKey is not set"),
    (
        "second store without key",
        ("artifactStores", 1, "encryptionKey"),
        DELETE,
        "artifactStores[1].encryptionKey is not set",
    ),
    (
        "no key id",
        ("artifactStores", 0, "encryptionKey", "id"),
        DELETE,
        "artifactStores[0].encryptionKey has type 'KMS' and no id",
    ),
    (
        "empty key id",
        ("artifactStores", 0, "encryptionKey", "id"),
        "",
        "artifactStores[0].encryptionKey has type 'KMS' and no id",
    ),
    (
        "not KMS",
        ("artifactStores", 0, "encryptionKey", "type"),
        "AES256",
        "artifactStores[0].encryptionKey has type 'AES256'",
    ),
]


@pytest.mark.parametrize(("what", "path", "value", "expected"), PIPELINE_CASES, ids=[c[0] for c in PIPELINE_CASES])
def test_pipeline_violations(what: str, path: tuple[str | int, ...], value: Any, expected: str) -> None:
    assert_reported(pipeline(changed(PIPELINE_PROPS, path, value)), f"production: {expected}", '{"type": "KMS"')


def test_pipeline_key_id_unknown_counts_as_set() -> None:
    assert pipeline(changed(PIPELINE_PROPS, ("artifactStores", 0, "encryptionKey", "id"), UNKNOWN_STRING_VALUE)) == []


def test_pipeline_key_type_unknown_cannot_be_judged() -> None:
    with pytest.raises(UnknownValueError):
        pipeline(changed(PIPELINE_PROPS, ("artifactStores", 0, "encryptionKey", "type"), UNKNOWN_STRING_VALUE))


# --- IAM wildcards --------------------------------------------------------------------------------

ADMIN = "iam-no-admin"
SERVICE_WIDE = "iam-no-service-wildcard"
DECRYPT = "iam-no-kms-decrypt-on-all-keys"
WILDCARDS = (ADMIN, SERVICE_WIDE, DECRYPT)

LEAST_PRIVILEGE: list[dict[str, Any]] = [
    {"Sid": "Artifacts", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "arn:aws:s3:::b/*"},
    {"Sid": "Key", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": KEY_ARN},
    {"Sid": "ListOnly", "Effect": "Allow", "Action": "sagemaker:ListFeatureGroups", "Resource": "*"},
    {"Sid": "Describe", "Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": "*"},
    {
        "Sid": "ServiceOnOwnBucket",
        "Effect": "Allow",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    },
    {
        "Sid": "Guard",
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    },
]
POLICY_TYPES = [
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/policy:Policy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
]


def wildcard(token: str, props: dict[str, Any], name: str = ADMIN) -> list[str]:
    return resource_violations(policy(name), token, props, name="ci")


def every_wildcard_policy(token: str, props: dict[str, Any]) -> dict[str, list[str]]:
    return {name: wildcard(token, props, name) for name in WILDCARDS}


def with_statement(statement: dict[str, Any]) -> dict[str, Any]:
    return {"role": "mlops-ci", "policy": document(*LEAST_PRIVILEGE, statement)}


@pytest.mark.parametrize("token", POLICY_TYPES)
def test_wildcard_baseline_passes(token: str) -> None:
    assert reporting(every_wildcard_policy(token, {"policy": document(*LEAST_PRIVILEGE)})) == []


WILDCARD_CASES = [
    ("admin", ADMIN, {"Effect": "Allow", "Action": "*", "Resource": "*"}, "allows every action (Action *)"),
    (
        "admin on one resource",
        ADMIN,
        {"Effect": "Allow", "Action": ["s3:GetObject", "*"], "Resource": "arn:aws:s3:::b"},
        "Action *",
    ),
    ("*:*", ADMIN, {"Effect": "Allow", "Action": "*:*", "Resource": "*"}, "allows every action"),
    (
        "NotAction",
        ADMIN,
        {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
        "every action except those in NotAction",
    ),
    (
        "service:* on *",
        SERVICE_WIDE,
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:*"], "Resource": "*"},
        "allows s3:* on Resource *",
    ),
    (
        "service:* via NotResource",
        SERVICE_WIDE,
        {"Effect": "Allow", "Action": "iam:*", "NotResource": "arn:aws:iam::1:role/x"},
        "iam:*",
    ),
    (
        "kms:Decrypt on *",
        DECRYPT,
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"},
        "allows kms:decrypt on Resource *",
    ),
    ("kms:Decrypt* on *", DECRYPT, {"Effect": "Allow", "Action": ["kms:Decrypt*"], "Resource": ["*"]}, "kms:decrypt*"),
    ("KMS:DECRYPT on *", DECRYPT, {"Effect": "Allow", "Action": "KMS:DECRYPT", "Resource": "*"}, "kms:decrypt"),
    (
        "kms:ReEncryptFrom on *",
        DECRYPT,
        {"Effect": "Allow", "Action": "kms:ReEncryptFrom", "Resource": "*"},
        "kms:reencryptfrom",
    ),
    # kms:* is a service wildcard (it also decrypts, but one finding is enough).
    ("kms:* on *", SERVICE_WIDE, {"Effect": "Allow", "Action": "kms:*", "Resource": "*"}, "allows kms:* on Resource *"),
]


@pytest.mark.parametrize(("what", "name", "statement", "expected"), WILDCARD_CASES, ids=[c[0] for c in WILDCARD_CASES])
def test_wildcard_violations(what: str, name: str, statement: dict[str, Any], expected: str) -> None:
    """Each finding is one policy's: Action * is admin, not also a service wildcard or kms:Decrypt."""
    found = every_wildcard_policy(ROLE_POLICY, with_statement(statement))
    assert reporting(found) == [name], found
    assert_reported(found[name], f"ci: policy Statement[{len(LEAST_PRIVILEGE)}]", expected)


def test_one_statement_may_fail_two_wildcard_policies() -> None:
    statement = {"Effect": "Allow", "Action": ["s3:*", "kms:Decrypt"], "Resource": "*"}
    found = every_wildcard_policy(ROLE_POLICY, with_statement(statement))
    assert_reported(found[SERVICE_WIDE], "allows s3:* on Resource *")
    assert_reported(found[DECRYPT], "allows kms:decrypt on Resource *")
    assert found[ADMIN] == []


@pytest.mark.parametrize("token", POLICY_TYPES)
def test_wildcard_every_policy_type(token: str) -> None:
    assert_reported(wildcard(token, with_statement({"Effect": "Allow", "Action": "*", "Resource": "*"})), "ci: policy")


def test_wildcard_single_statement_object() -> None:
    props = {"policy": json.dumps({"Statement": {"Sid": "All", "Effect": "Allow", "Action": "*", "Resource": "*"}})}
    assert_reported(wildcard(ROLE_POLICY, props), "ci: policy Statement[0] (All) allows every action")


def test_wildcard_policy_not_json_is_reported_once() -> None:
    found = every_wildcard_policy(ROLE_POLICY, {"policy": "Allow *"})
    assert reporting(found) == [ADMIN], found
    assert_reported(found[ADMIN], "ci: policy is not a JSON policy document")


ROLE_PROPS: dict[str, Any] = {
    "name": "mlops-ci",
    "assumeRolePolicy": document(
        {"Effect": "Allow", "Principal": {"Service": "codebuild.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ),
    "inlinePolicies": [{"name": "least", "policy": document(*LEAST_PRIVILEGE)}],
    "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
}


def test_role_baseline_passes() -> None:
    assert reporting(every_wildcard_policy(ROLE, ROLE_PROPS)) == []
    assert reporting(every_wildcard_policy(ROLE, changed(ROLE_PROPS, ("inlinePolicies",), [{}]))) == []


@pytest.mark.parametrize(
    ("name", "path", "value", "expected"),
    [
        (
            ADMIN,
            ("inlinePolicies", 0, "policy"),
            document({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            "ci: inlinePolicies[0].policy Statement[0] allows every action",
        ),
        (
            DECRYPT,
            ("inlinePolicies", 0, "policy"),
            document({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}),
            "ci: inlinePolicies[0].policy Statement[0] allows kms:decrypt",
        ),
        (
            ADMIN,
            ("inlinePolicies", 0, "policy"),
            "{not json",
            "ci: inlinePolicies[0].policy is not a JSON policy document",
        ),
        (
            ADMIN,
            ("managedPolicyArns", 0),
            "arn:aws:iam::aws:policy/AdministratorAccess",
            "ci: managedPolicyArns[0] is AdministratorAccess",
        ),
    ],
    ids=["inline admin", "inline kms:Decrypt", "inline not JSON", "managed AdministratorAccess"],
)
def test_role_violations(name: str, path: tuple[str | int, ...], value: Any, expected: str) -> None:
    found = every_wildcard_policy(ROLE, changed(ROLE_PROPS, path, value))
    assert reporting(found) == [name], found
    assert_reported(found[name], expected)


@pytest.mark.parametrize(
    "token",
    ["aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/userPolicyAttachment:UserPolicyAttachment"],
)
def test_attachment_of_administrator_access(token: str) -> None:
    admin = {"role": "mlops-ci", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}
    assert_reported(wildcard(token, admin), "ci: policyArn attaches AdministratorAccess", "attach a policy that grants")
    assert wildcard(token, {**admin, "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}) == []


@pytest.mark.parametrize(
    ("token", "props", "stopped"),
    [
        (ROLE_POLICY, {"role": "r", "policy": UNKNOWN_STRING_VALUE}, WILDCARDS),
        (ROLE, changed(ROLE_PROPS, ("managedPolicyArns", 0), UNKNOWN_STRING_VALUE), (ADMIN,)),
        (ROLE, changed(ROLE_PROPS, ("inlinePolicies", 0, "policy"), UNKNOWN_STRING_VALUE), WILDCARDS),
        (
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            {"role": "r", "policyArn": UNKNOWN_STRING_VALUE},
            (ADMIN,),
        ),
    ],
    ids=["policy", "managed policy ARN", "inline policy", "attachment ARN"],
)
def test_wildcard_values_unknown_cannot_be_judged(token: str, props: dict[str, Any], stopped: tuple[str, ...]) -> None:
    """An unknown document stops every wildcard policy; an unknown policy ARN only the admin one."""
    for name in WILDCARDS:
        if name in stopped:
            with pytest.raises(UnknownValueError):
                wildcard(token, props, name)
        else:
            assert wildcard(token, props, name) == []


# --- IAM trust -----------------------------------------------------------------------------------

ANYONE = "iam-trust-no-wildcard-principal"
ROOT = "iam-trust-no-account-root"
GITHUB_PINNED = "iam-trust-github-oidc-pinned"
TRUST_POLICIES = (ANYONE, ROOT, GITHUB_PINNED)

GITHUB_PROVIDER = "arn:aws:iam::111111111111:oidc-provider/token.actions.githubusercontent.com"
GITHUB: dict[str, Any] = {
    "Sid": "GitHub",
    "Effect": "Allow",
    "Principal": {"Federated": GITHUB_PROVIDER},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {
        "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
        "StringLike": {
            "token.actions.githubusercontent.com:sub": "repo:example-org/mlops-feature-platform:ref:refs/heads/main"
        },
    },
}
TRUST: list[dict[str, Any]] = [
    {
        "Sid": "Services",
        "Effect": "Allow",
        "Principal": {"Service": ["codebuild.amazonaws.com", "codepipeline.amazonaws.com"]},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111"}},
    },
    {
        "Sid": "ToolingCi",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111111111111:role/mlops/mlops-tooling-ci"},
        "Action": "sts:AssumeRole",
    },
    GITHUB,
    {
        "Sid": "NoOneElse",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "sts:AssumeRole",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    },
]


def trust_props(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"name": "mlops-runner", "assumeRolePolicy": document(*statements)}


def trust(*statements: dict[str, Any], name: str = ANYONE) -> list[str]:
    return resource_violations(policy(name), ROLE, trust_props(*statements), name="runner")


def every_trust_policy(*statements: dict[str, Any]) -> dict[str, list[str]]:
    return {name: trust(*statements, name=name) for name in TRUST_POLICIES}


def test_trust_baseline_passes() -> None:
    assert reporting(every_trust_policy(*TRUST)) == []


def test_trust_of_the_bare_provider_host_passes() -> None:
    github = {**GITHUB, "Principal": {"Federated": "token.actions.githubusercontent.com"}}
    assert reporting(every_trust_policy(github)) == []


def without_condition(operator: str) -> dict[str, Any]:
    return {**GITHUB, "Condition": {k: v for k, v in GITHUB["Condition"].items() if k != operator}}


ROLE_ARN_STATEMENT = TRUST[1]
TRUST_CASES = [
    ("principal *", ANYONE, {**ROLE_ARN_STATEMENT, "Principal": "*"}, "trusts principal *"),
    ("principal * with conditions", ANYONE, {**TRUST[0], "Principal": "*"}, "whatever its conditions"),
    ("AWS *", ANYONE, {**ROLE_ARN_STATEMENT, "Principal": {"AWS": "*"}}, 'trusts {"AWS": "*"}'),
    (
        "account root",
        ROOT,
        {**ROLE_ARN_STATEMENT, "Principal": {"AWS": "arn:aws:iam::111111111111:root"}},
        "trusts the account root arn:aws:iam::111111111111:root",
    ),
    (
        "bare account id",
        ROOT,
        {**ROLE_ARN_STATEMENT, "Principal": {"AWS": ["111111111111"]}},
        "trusts the account root 111111111111",
    ),
    (
        "GovCloud root",
        ROOT,
        {**ROLE_ARN_STATEMENT, "Principal": {"AWS": ["arn:aws-us-gov:iam::111111111111:root"]}},
        "account root",
    ),
    (
        "NotPrincipal",
        ANYONE,
        {**ROLE_ARN_STATEMENT, "NotPrincipal": {"AWS": "arn:aws:iam::1:role/x"}},
        "every principal except",
    ),
    (
        "GitHub without sub",
        GITHUB_PINNED,
        without_condition("StringLike"),
        "has no condition on token.actions.githubusercontent.com:sub",
    ),
    (
        "GitHub without aud",
        GITHUB_PINNED,
        without_condition("StringEquals"),
        "has no condition on token.actions.githubusercontent.com:aud",
    ),
    (
        "GitHub without conditions",
        GITHUB_PINNED,
        {k: v for k, v in GITHUB.items() if k != "Condition"},
        "GitHub OIDC but has no condition",
    ),
    (
        "GitHub any repository",
        GITHUB_PINNED,
        {
            **GITHUB,
            "Condition": {**GITHUB["Condition"], "StringLike": {"token.actions.githubusercontent.com:sub": "repo:*"}},
        },
        "lets any repository in",
    ),
]


@pytest.mark.parametrize(("what", "name", "statement", "expected"), TRUST_CASES, ids=[c[0] for c in TRUST_CASES])
def test_trust_violations(what: str, name: str, statement: dict[str, Any], expected: str) -> None:
    found = every_trust_policy(*TRUST, statement)
    assert reporting(found) == [name], found
    assert_reported(found[name], f"runner: assumeRolePolicy Statement[{len(TRUST)}]", expected)


def test_trust_fix_names_a_role_or_conditions() -> None:
    (root,) = trust({**ROLE_ARN_STATEMENT, "Principal": {"AWS": "arn:aws:iam::111111111111:root"}}, name=ROOT)
    assert "name the trusted role ARN instead" in root
    messages = trust({k: v for k, v in GITHUB.items() if k != "Condition"}, name=GITHUB_PINNED)
    assert len(messages) == 2 and all("add StringEquals conditions" in m for m in messages)


def test_trust_policy_not_json_is_reported_once() -> None:
    props = {"assumeRolePolicy": "codebuild may assume"}
    found = {name: resource_violations(policy(name), ROLE, props, name="runner") for name in TRUST_POLICIES}
    assert reporting(found) == [ANYONE], found
    assert_reported(found[ANYONE], "runner: assumeRolePolicy is not a JSON policy document")


@pytest.mark.parametrize("name", TRUST_POLICIES)
def test_trust_policy_unknown_cannot_be_judged(name: str) -> None:
    with pytest.raises(UnknownValueError):
        resource_violations(policy(name), ROLE, {"assumeRolePolicy": UNKNOWN_STRING_VALUE}, name="runner")


# --- iam-auditor-read-only -----------------------------------------------------------------------

AUDITOR = "iam-auditor-read-only"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
AUDITOR_ROLE = "mlops-datamgmt-auditor"
READ_ONLY_ARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"
#: The program's own auditor policy, as components/iam.PlatformRole renders it.
AUDIT_DOCUMENT = json.dumps(policy_documents.document(policy_documents.merge_statements(policy_documents.audit_read())))


def auditor_policy() -> StackValidationPolicy:
    found = BY_NAME[AUDITOR]
    assert isinstance(found, StackValidationPolicy)
    return found


def auditor_stack(*statements: dict[str, Any], role_name: Any = AUDITOR_ROLE, **role_props: Any) -> list[Res]:
    """An auditor role and its RolePolicy, whose role is the role's id, joined through the dependency
    (as in a preview, where the id is unknown); extra statements are added to the real policy's."""
    text = AUDIT_DOCUMENT
    if statements:
        parsed = json.loads(AUDIT_DOCUMENT)
        parsed["Statement"] += list(statements)
        text = json.dumps(parsed)
    return [
        Res(ROLE, "auditor-role", {"name": role_name, "path": "/mlops/", **role_props}),
        Res(ROLE_POLICY, "auditor-policy", {"role": UNKNOWN_STRING_VALUE, "policy": text}, {"role": ["auditor-role"]}),
    ]


def auditor(*statements: dict[str, Any], config: dict[str, Any] | None = None, **role_props: Any) -> list[str]:
    return stack_violations(auditor_policy(), auditor_stack(*statements, **role_props), config)


def allow(*actions: str, **extra: Any) -> dict[str, Any]:
    return {"Sid": "Extra", "Effect": "Allow", "Action": list(actions), "Resource": "*", **extra}


def test_auditor_defaults() -> None:
    assert schema_defaults(auditor_policy()) == {"auditorRoles": ["-auditor$"]}
    assert RULES.READ_ACTION.fullmatch("glue:GetSecurityConfigurations")


def test_the_programs_auditor_policy_passes() -> None:
    assert "ReadGuardrailSettings" in AUDIT_DOCUMENT and "s3:GetBucketPolicy" in AUDIT_DOCUMENT
    assert auditor() == []


def test_the_programs_audit_actions_are_each_accepted_alone() -> None:
    """Every action of contracts/audit.AUDIT_ACTIONS is a named read of settings, and the check sees
    each one: a policy with only that action passes, and with a data read added it fails."""
    actions = json.loads(AUDIT_DOCUMENT)["Statement"][0]["Action"]
    assert len(actions) > 50
    for action in actions:
        assert RULES.READ_ACTION.fullmatch(action) and not RULES._returns_data(action), action


AUDITOR_CASES = [
    (
        "write action",
        allow("s3:PutObject"),
        ("s3:PutObject, not a Get, List, Describe or BatchGet action", "remove it"),
    ),
    ("passrole", allow("iam:PassRole"), ("iam:PassRole, not a Get",)),
    ("wildcard read", allow("s3:Get*"), ("allows s3:Get*, a wildcard", "name each read action")),
    ("single-character wildcard", allow("kms:Describe?ey"), ("kms:Describe?ey, a wildcard",)),
    ("service wildcard", allow("s3:*"), ("allows s3:*, a wildcard",)),
    ("everything", allow("*"), ("allows *, a wildcard",)),
    ("object read", allow("s3:GetObject"), ("allows s3:GetObject, which returns data", "never reads data")),
    ("object version read", allow("s3:GetObjectVersion"), ("s3:GetObjectVersion, which returns data",)),
    ("data access", allow("lakeformation:GetDataAccess"), ("lakeformation:GetDataAccess, which returns data",)),
    ("secret", allow("secretsmanager:GetSecretValue"), ("secretsmanager:GetSecretValue, which returns data",)),
    ("parameters", allow("ssm:GetParametersByPath"), ("ssm:GetParametersByPath, which returns data",)),
    ("feature record", allow("sagemaker:BatchGetRecord"), ("sagemaker:BatchGetRecord, which returns data",)),
    ("query results", allow("athena:GetQueryResults"), ("athena:GetQueryResults, which returns data",)),
    ("glue connection password", allow("glue:GetConnections"), ("glue:GetConnections, which returns data",)),
    ("data read in another case", allow("S3:getobject"), ("allows S3:getobject, which returns data",)),
    (
        "NotAction",
        {"Effect": "Allow", "NotAction": ["iam:*"], "Resource": "*"},
        ("Statement[1] of auditor role", "every action except those in NotAction"),
    ),
]


@pytest.mark.parametrize(("what", "statement", "expected"), AUDITOR_CASES, ids=[c[0] for c in AUDITOR_CASES])
def test_auditor_violations(what: str, statement: dict[str, Any], expected: tuple[str, ...]) -> None:
    messages = auditor(statement)
    assert len(messages) == 1, messages
    sid = "" if "Sid" not in statement else f" ({statement['Sid']})"
    assert_reported(messages, f"auditor-policy: policy Statement[1]{sid} of auditor role {AUDITOR_ROLE!r}", *expected)


def test_auditor_reports_each_kind_of_a_statement_once() -> None:
    messages = auditor(allow("s3:PutObject", "s3:DeleteObject", "s3:List*", "s3:GetObject", "ec2:DescribeVpcs"))
    assert len(messages) == 3, messages
    assert_reported(messages, "allows s3:PutObject, s3:DeleteObject, not a Get")
    assert_reported(messages, "allows s3:List*, a wildcard")
    assert_reported(messages, "allows s3:GetObject, which returns data")
    assert not any("ec2:DescribeVpcs" in m for m in messages)


@pytest.mark.parametrize(
    "statement",
    [
        {"Effect": "Deny", "Action": ["s3:*"], "Resource": "*"},
        {"Effect": "Deny", "NotAction": ["s3:GetBucketPolicy"], "Resource": "*"},
        allow("iam:GetRole", "codebuild:BatchGetProjects", "IAM:LISTROLES"),
        allow("s3:GetBucketPolicy", Resource="arn:aws:s3:::mlops-*"),
    ],
    ids=["deny wildcard", "deny NotAction", "named reads", "named read on some resources"],
)
def test_auditor_accepts(statement: dict[str, Any]) -> None:
    assert auditor(statement) == []


def test_auditor_inline_policies_on_the_role_are_judged() -> None:
    inline = [{"name": "extra", "policy": document(allow("s3:PutBucketPolicy"))}, {}]
    messages = auditor(inlinePolicies=inline)
    assert len(messages) == 1, messages
    assert_reported(
        messages,
        f"auditor-role: inlinePolicies[0].policy Statement[0] (Extra) of auditor role {AUDITOR_ROLE!r} allows "
        "s3:PutBucketPolicy, not a Get",
    )
    assert auditor(inlinePolicies=[{"name": "reads", "policy": document(allow("kms:ListKeys"))}, {}]) == []


def test_auditor_managed_policy_arns_on_the_role() -> None:
    messages = auditor(managedPolicyArns=[READ_ONLY_ARN])
    assert_reported(
        messages,
        f"auditor-role: managedPolicyArns attaches {READ_ONLY_ARN} to auditor role {AUDITOR_ROLE!r}",
        "can change outside this stack",
        "detach it",
    )
    assert auditor(managedPolicyArns=[]) == []


def test_auditor_managed_policy_attachment_joins_through_the_role_id() -> None:
    stack = auditor_stack()
    stack.append(
        Res(
            ATTACHMENT,
            "auditor-readonly",
            {"role": UNKNOWN_STRING_VALUE, "policyArn": READ_ONLY_ARN},
            {"role": ["auditor-role"]},
        )
    )
    messages = stack_violations(auditor_policy(), stack)
    assert len(messages) == 1, messages
    assert_reported(messages, f"auditor-readonly: policyArn attaches {READ_ONLY_ARN} to auditor role", "inline policy")


def test_auditor_managed_policy_attachment_by_name_and_unknown_arn() -> None:
    """An attachment naming the role by its name (no dependency) joins too, and the policy it attaches
    need not be known: any managed policy is refused."""
    stack = auditor_stack()
    stack.append(Res(ATTACHMENT, "by-name", {"role": AUDITOR_ROLE, "policyArn": UNKNOWN_STRING_VALUE}))
    messages = stack_violations(auditor_policy(), stack)
    assert_reported(messages, "by-name: policyArn attaches a managed policy to auditor role")


def test_auditor_policy_attachment_of_several_roles() -> None:
    stack = auditor_stack()
    stack.append(
        Res(
            POLICY_ATTACHMENT,
            "shared",
            {"roles": [UNKNOWN_STRING_VALUE, "mlops-datasci-auditor"], "policyArn": READ_ONLY_ARN},
            {"roles": ["auditor-role"]},
        )
    )
    messages = stack_violations(auditor_policy(), stack)
    assert len(messages) == 2, messages
    assert_reported(messages, f"shared: policyArn attaches {READ_ONLY_ARN} to auditor role {AUDITOR_ROLE!r}")
    assert_reported(messages, "shared: policyArn attaches", "to auditor role 'mlops-datasci-auditor'")


def test_a_policy_on_an_auditor_role_outside_the_stack_is_judged() -> None:
    """A RolePolicy naming an auditor role this stack does not create is judged by that name."""
    stack = [Res(ROLE_POLICY, "external", {"role": "mlops-tooling-auditor", "policy": document(allow("s3:GetObject"))})]
    assert_reported(stack_violations(auditor_policy(), stack), "external: policy Statement[0] (Extra) of auditor role")


def test_roles_that_are_not_auditors_are_ignored() -> None:
    runner = "mlops-datasci-feature-runner"
    assert auditor(allow("s3:PutObject"), role_name=runner) == []
    assert auditor(role_name="mlops-datamgmt-auditor-old", managedPolicyArns=[READ_ONLY_ARN]) == []
    stack = auditor_stack(role_name=runner)
    stack.append(
        Res(
            ATTACHMENT,
            "runner-managed",
            {"role": UNKNOWN_STRING_VALUE, "policyArn": READ_ONLY_ARN},
            {"role": ["auditor-role"]},
        )
    )
    stack.append(Res(ROLE_POLICY, "loose", {"role": "someone-else", "policy": document(allow("s3:PutObject"))}))
    assert stack_violations(auditor_policy(), stack) == []


def test_auditor_roles_config() -> None:
    config = {"auditorRoles": ["^mlops-[a-z]+-feature-runner$", "-reader$"]}
    runner = auditor(allow("s3:PutObject"), role_name="mlops-datasci-feature-runner", config=config)
    assert_reported(runner, "of auditor role 'mlops-datasci-feature-runner' allows s3:PutObject")
    assert auditor(allow("s3:PutObject"), config=config) == []  # -auditor$ no longer listed
    with pytest.raises(ValueError, match="iam-auditor-read-only: config auditorRoles entry"):
        auditor(config={"auditorRoles": ["("]})


def test_auditor_name_from_name_prefix() -> None:
    assert_reported(auditor(allow("s3:PutObject"), role_name=None, namePrefix="x-auditor"), "auditor role 'x-auditor'")


def test_an_auditor_whose_name_is_unknown_cannot_be_judged() -> None:
    """The rest of the stack is judged first, then the policy reports that it could not run."""
    stack = auditor_stack(allow("s3:PutObject"), role_name=UNKNOWN_STRING_VALUE)
    stack += [
        Res(ROLE, "other-role", {"name": "mlops-datasci-auditor"}),
        Res(ROLE_POLICY, "other-policy", {"role": "mlops-datasci-auditor", "policy": document(allow("s3:GetObject"))}),
    ]
    reported: list[str] = []
    with pytest.raises(UnknownValueError):
        stack_violations(auditor_policy(), stack, reported=reported)
    assert len(reported) == 1
    assert_reported(reported, "other-policy: policy Statement[0] (Extra) of auditor role 'mlops-datasci-auditor'")


@pytest.mark.parametrize(
    ("resource", "props", "dependencies"),
    [
        (ROLE_POLICY, {"role": UNKNOWN_STRING_VALUE, "policy": "{}"}, {}),
        (ROLE_POLICY, {"role": AUDITOR_ROLE, "policy": UNKNOWN_STRING_VALUE}, {}),
        (ATTACHMENT, {"role": UNKNOWN_STRING_VALUE, "policyArn": READ_ONLY_ARN}, {}),
        (POLICY_ATTACHMENT, {"roles": [UNKNOWN_STRING_VALUE], "policyArn": READ_ONLY_ARN}, {}),
    ],
    ids=[
        "policy of an unknown role",
        "unknown policy of an auditor",
        "attachment to an unknown role",
        "attachment to unknown roles",
    ],
)
def test_auditor_unknown_values_cannot_be_judged(
    resource: str, props: dict[str, Any], dependencies: dict[str, list[str]]
) -> None:
    stack = [*auditor_stack(), Res(resource, "unknown", props, dependencies)]
    with pytest.raises(UnknownValueError):
        stack_violations(auditor_policy(), stack)


def test_an_unknown_policy_of_a_role_that_is_not_an_auditor_does_not_matter() -> None:
    stack = auditor_stack(role_name="mlops-datasci-feature-runner")
    stack[1].props["policy"] = UNKNOWN_STRING_VALUE
    assert stack_violations(auditor_policy(), stack) == []


def test_auditor_policy_not_json_is_left_to_iam_no_admin() -> None:
    stack = auditor_stack()
    stack[1].props["policy"] = "read everything"
    assert stack_violations(auditor_policy(), stack) == []
    assert_reported(resource_violations(policy(ADMIN), ROLE_POLICY, {"policy": "read everything"}), "not a JSON")
