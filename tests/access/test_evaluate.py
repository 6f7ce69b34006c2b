"""The evaluator against AWS's documented policy evaluation logic, one documented rule per case.

Each case id names the rule; the comment above each group gives the AWS page it comes from. The cases
assert the decision and the statements that made it, so a regression in either shows up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from offline.access.evaluate import (
    Decision,
    Policy,
    PolicyError,
    Request,
    Value,
    authorize,
    evaluate,
    principal_account,
    statement_matches,
)

IAM = "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
EVAL = IAM + "reference_policies_evaluation-logic.html"
CROSS = IAM + "reference_policies_evaluation-logic-cross-account.html"
OPERATORS = IAM + "reference_policies_elements_condition_operators.html"
MULTI = IAM + "reference_policies_condition-single-vs-multi-valued-context-keys.html"
PRINCIPAL = IAM + "reference_policies_elements_principal.html"
RESOURCE = IAM + "reference_policies_elements_resource.html"
KMS = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
ENDPOINT = "https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html"

ACCOUNT = "111122223333"
OTHER = "444455556666"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/mlops/mlops-datasci-ci"
PEER = f"arn:aws:iam::{ACCOUNT}:role/mlops/mlops-datasci-studio-execution"
FOREIGN = f"arn:aws:iam::{OTHER}:role/mlops/mlops-tooling-deploy"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
FOREIGN_ROOT = f"arn:aws:iam::{OTHER}:root"
BUCKET = "arn:aws:s3:::mlops-datasci-data"
OBJECT = BUCKET + "/raw/2024/part-0.parquet"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0a1b2c3d-0000-4000-8000-000000000000"
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:mlops-alerts"
RULE = f"arn:aws:events:eu-west-1:{ACCOUNT}:rule/mlops-pipeline-failed"
TARGET_ROLE = f"arn:aws:iam::{ACCOUNT}:role/mlops/mlops-datasci-deploy"


def stmt(
    sid: str, effect: str, action: str | list[str] | None, resource: str | list[str] | None = "*", **rest: Any
) -> Any:
    """A statement; ``None`` leaves Action or Resource out (for NotAction, NotResource, trust policies)."""
    body: dict[str, Any] = {"Sid": sid, "Effect": effect, **rest}
    if action is not None:
        body["Action"] = action
    if resource is not None:
        body["Resource"] = resource
    return body


def policy(label: str, *statements: Any) -> Policy:
    return Policy(label, {"Version": "2012-10-17", "Statement": list(statements)})


def identity(*statements: Any) -> tuple[Policy, ...]:
    return (policy("identity", *statements),)


READ = stmt("Read", "Allow", "s3:GetObject", BUCKET + "/*")
GET = Request(ROLE, "s3:GetObject", OBJECT)


@dataclass(frozen=True)
class Case:
    request: Request
    allowed: bool
    matches: set[str]  # "policy label:statement" of Decision.matches
    kwargs: dict[str, Any] = field(default_factory=dict)


def case(id: str, request: Request, allowed: bool, matches: set[str], **kwargs: Any) -> Any:
    kwargs.setdefault("resource_account", ACCOUNT)
    return pytest.param(Case(request, allowed, matches, kwargs), id=id)


AUTHORIZE = [
    # EVAL: every request starts implicitly denied; an explicit deny anywhere overrides any allow.
    case("eval-implicit-deny-by-default", GET, False, set()),
    case("eval-identity-allow-same-account", GET, True, {"identity:Read"}, identity=identity(READ)),
    case(
        "eval-explicit-deny-in-identity-beats-allow",
        GET,
        False,
        {"identity:NoS3"},
        identity=identity(READ, stmt("NoS3", "Deny", "s3:*")),
    ),
    case(
        "eval-explicit-deny-in-resource-policy-beats-identity-allow",
        GET,
        False,
        {"bucket:DenyAll"},
        identity=identity(READ),
        resource=policy("bucket", stmt("DenyAll", "Deny", "s3:*", Principal="*")),
    ),
    case(
        "eval-deny-notaction-covers-other-services",
        Request(ROLE, "sns:Publish", TOPIC),
        False,
        {"identity:OnlyS3"},
        identity=identity(stmt("All", "Allow", "*"), stmt("OnlyS3", "Deny", None, NotAction="s3:*")),
    ),
    case(
        "eval-allow-notresource-excludes-listed",
        GET,
        False,
        set(),
        identity=identity(stmt("NotData", "Allow", "s3:*", None, NotResource=BUCKET + "/*")),
    ),
    case(
        "eval-allow-notresource-covers-others",
        Request(ROLE, "s3:GetObject", "arn:aws:s3:::mlops-datasci-models/m.tar.gz"),
        True,
        {"identity:NotData"},
        identity=identity(stmt("NotData", "Allow", "s3:*", None, NotResource=BUCKET + "/*")),
    ),
    # EVAL, same account: the resource policy alone allows when it names the role (or everyone) ...
    case(
        "eval-same-account-resource-policy-naming-role-allows-alone",
        GET,
        True,
        {"bucket:RoleRead"},
        resource=policy("bucket", stmt("RoleRead", "Allow", "s3:GetObject", OBJECT, Principal={"AWS": ROLE})),
    ),
    case(
        "eval-same-account-resource-policy-star-allows-alone",
        GET,
        True,
        {"bucket:Public"},
        resource=policy("bucket", stmt("Public", "Allow", "s3:GetObject", BUCKET + "/*", Principal={"AWS": "*"})),
    ),
    # ... but naming the account root only delegates to IAM (zenn table / PRINCIPAL "account principals").
    case(
        "principal-same-account-root-alone-does-not-allow",
        GET,
        False,
        set(),
        resource=policy("bucket", stmt("Account", "Allow", "s3:GetObject", BUCKET + "/*", Principal={"AWS": ROOT})),
    ),
    case(
        "principal-same-account-root-plus-identity-allows",
        GET,
        True,
        {"identity:Read"},
        identity=identity(READ),
        resource=policy("bucket", stmt("Account", "Allow", "s3:GetObject", BUCKET + "/*", Principal={"AWS": ROOT})),
    ),
    case(
        "principal-role-arn-matches-exactly-with-path",
        GET,
        False,
        set(),
        resource=policy(
            "bucket",
            stmt(
                "NoPath",
                "Allow",
                "s3:GetObject",
                OBJECT,
                Principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/mlops-datasci-ci"},
            ),
        ),
    ),
    case(
        "principal-other-role-named-does-not-allow",
        GET,
        False,
        set(),
        resource=policy("bucket", stmt("Peer", "Allow", "s3:GetObject", OBJECT, Principal={"AWS": [PEER]})),
    ),
    # PRINCIPAL: NotPrincipal applies to everyone except the listed principals.
    case(
        "principal-notprincipal-deny-excludes-the-listed-role",
        GET,
        True,
        {"identity:Read"},
        identity=identity(READ),
        resource=policy("bucket", stmt("OnlyCi", "Deny", "s3:*", BUCKET + "/*", NotPrincipal={"AWS": [ROLE, ROOT]})),
    ),
    case(
        "principal-notprincipal-deny-applies-to-others",
        Request(PEER, "s3:GetObject", OBJECT),
        False,
        {"bucket:OnlyCi"},
        identity=identity(READ),
        resource=policy("bucket", stmt("OnlyCi", "Deny", "s3:*", BUCKET + "/*", NotPrincipal={"AWS": ROLE})),
    ),
    case(
        "principal-notprincipal-account-root-excludes-role-session",
        GET,
        True,
        {"identity:Read"},
        identity=identity(READ),
        resource=policy("bucket", stmt("Outsiders", "Deny", "s3:*", BUCKET + "/*", NotPrincipal={"AWS": ACCOUNT})),
    ),
    case(
        "principal-notprincipal-allow-covers-everyone-else-directly",
        GET,
        True,
        {"bucket:AllButPeer"},
        resource=policy("bucket", stmt("AllButPeer", "Allow", "s3:GetObject", OBJECT, NotPrincipal={"AWS": PEER})),
    ),
    # OPERATORS (global keys): aws:PrincipalArn and aws:PrincipalAccount are set from the caller.
    case(
        "operators-principalarn-added-to-context-deny-others",
        Request(PEER, "s3:GetObject", OBJECT),
        False,
        {"bucket:OnlyCi"},
        identity=identity(READ),
        resource=policy(
            "bucket",
            stmt(
                "OnlyCi",
                "Deny",
                "s3:*",
                BUCKET + "/*",
                Principal="*",
                Condition={"StringNotEquals": {"aws:PrincipalArn": ROLE}},
            ),
        ),
    ),
    case(
        "operators-principalarn-added-to-context-caller-passes",
        GET,
        True,
        {"identity:Read"},
        identity=identity(READ),
        resource=policy(
            "bucket",
            stmt(
                "OnlyCi",
                "Deny",
                "s3:*",
                BUCKET + "/*",
                Principal="*",
                Condition={"ArnNotLike": {"aws:PrincipalArn": ROLE}},
            ),
        ),
    ),
    case(
        "operators-principalaccount-added-to-context",
        GET,
        True,
        {"bucket:Org"},
        resource=policy(
            "bucket",
            stmt(
                "Org",
                "Allow",
                "s3:GetObject",
                OBJECT,
                Principal="*",
                Condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
            ),
        ),
    ),
    # CROSS: a cross-account call needs the identity policy AND the resource policy to allow.
    case(
        "cross-account-both-sides-allow",
        Request(FOREIGN, "s3:GetObject", OBJECT),
        True,
        {"identity:Read", "bucket:Tooling"},
        identity=identity(READ),
        resource=policy("bucket", stmt("Tooling", "Allow", "s3:GetObject", OBJECT, Principal={"AWS": FOREIGN})),
    ),
    case(
        "cross-account-identity-side-missing",
        Request(FOREIGN, "s3:GetObject", OBJECT),
        False,
        set(),
        resource=policy("bucket", stmt("Tooling", "Allow", "s3:GetObject", OBJECT, Principal={"AWS": FOREIGN})),
    ),
    case(
        "cross-account-no-resource-policy",
        Request(FOREIGN, "s3:GetObject", OBJECT),
        False,
        set(),
        identity=identity(READ),
    ),
    case(
        "cross-account-resource-policy-names-another-account",
        Request(FOREIGN, "s3:GetObject", OBJECT),
        False,
        set(),
        identity=identity(READ),
        resource=policy("bucket", stmt("Home", "Allow", "s3:GetObject", OBJECT, Principal={"AWS": ROOT})),
    ),
    case(
        "cross-account-resource-policy-names-account-id",
        Request(FOREIGN, "s3:GetObject", OBJECT),
        True,
        {"identity:Read", "bucket:Tooling"},
        identity=identity(READ),
        resource=policy("bucket", stmt("Tooling", "Allow", "s3:GetObject", OBJECT, Principal={"AWS": OTHER})),
    ),
    case(
        "cross-account-resource-policy-names-account-root",
        Request(FOREIGN, "s3:GetObject", OBJECT),
        True,
        {"identity:Read", "bucket:Tooling"},
        identity=identity(READ),
        resource=policy("bucket", stmt("Tooling", "Allow", "s3:GetObject", OBJECT, Principal={"AWS": FOREIGN_ROOT})),
    ),
    # KMS: the key policy must allow, even in the same account; a root statement delegates to IAM.
    case(
        "kms-key-policy-required-even-when-identity-allows",
        Request(ROLE, "kms:Decrypt", KEY),
        False,
        set(),
        identity=identity(stmt("Decrypt", "Allow", "kms:Decrypt", KEY)),
        resource=policy("key", stmt("Admin", "Allow", "kms:*", "*", Principal={"AWS": PEER})),
        key_policy=True,
    ),
    case(
        "kms-no-key-policy-denies",
        Request(ROLE, "kms:Decrypt", KEY),
        False,
        set(),
        identity=identity(stmt("Decrypt", "Allow", "kms:Decrypt", KEY)),
        key_policy=True,
    ),
    case(
        "kms-root-delegation-with-identity-allows",
        Request(ROLE, "kms:Decrypt", KEY),
        True,
        {"identity:Decrypt", "key:EnableIam"},
        identity=identity(stmt("Decrypt", "Allow", "kms:Decrypt", KEY)),
        resource=policy("key", stmt("EnableIam", "Allow", "kms:*", "*", Principal={"AWS": ROOT})),
        key_policy=True,
    ),
    case(
        "kms-root-delegation-without-identity-denies",
        Request(ROLE, "kms:Decrypt", KEY),
        False,
        set(),
        resource=policy("key", stmt("EnableIam", "Allow", "kms:*", "*", Principal={"AWS": ROOT})),
        key_policy=True,
    ),
    case(
        "kms-key-policy-naming-role-allows-alone",
        Request(ROLE, "kms:Decrypt", KEY),
        True,
        {"key:Use"},
        resource=policy(
            "key", stmt("Use", "Allow", ["kms:Decrypt", "kms:GenerateDataKey*"], "*", Principal={"AWS": ROLE})
        ),
        key_policy=True,
    ),
    case(
        "kms-cross-account-root-and-identity-allow",
        Request(FOREIGN, "kms:Decrypt", KEY),
        True,
        {"identity:Decrypt", "key:Tooling"},
        identity=identity(stmt("Decrypt", "Allow", "kms:Decrypt", KEY)),
        resource=policy("key", stmt("Tooling", "Allow", "kms:Decrypt", "*", Principal={"AWS": FOREIGN_ROOT})),
        key_policy=True,
    ),
    case(
        "kms-cross-account-key-policy-alone-denies",
        Request(FOREIGN, "kms:Decrypt", KEY),
        False,
        set(),
        resource=policy("key", stmt("Tooling", "Allow", "kms:Decrypt", "*", Principal={"AWS": FOREIGN})),
        key_policy=True,
    ),
    case(
        "kms-deny-in-key-policy-wins",
        Request(ROLE, "kms:Decrypt", KEY),
        False,
        {"key:NoDecrypt"},
        identity=identity(stmt("Decrypt", "Allow", "kms:Decrypt", KEY)),
        resource=policy(
            "key",
            stmt("EnableIam", "Allow", "kms:*", "*", Principal={"AWS": ROOT}),
            stmt("NoDecrypt", "Deny", "kms:Decrypt", "*", Principal="*"),
        ),
        key_policy=True,
    ),
    # EVAL/CROSS (roles): the trust policy must allow the caller; cross-account the identity side too.
    case(
        "trust-same-account-role-named-allows-alone",
        Request(ROLE, "sts:AssumeRole", TARGET_ROLE),
        True,
        {"trust:Ci"},
        resource=policy("trust", stmt("Ci", "Allow", "sts:AssumeRole", None, Principal={"AWS": ROLE})),
        trust=True,
    ),
    case(
        "trust-not-naming-caller-denies-despite-identity",
        Request(ROLE, "sts:AssumeRole", TARGET_ROLE),
        False,
        set(),
        identity=identity(stmt("Assume", "Allow", "sts:AssumeRole", TARGET_ROLE)),
        resource=policy("trust", stmt("Peer", "Allow", "sts:AssumeRole", None, Principal={"AWS": PEER})),
        trust=True,
    ),
    case(
        "trust-cross-account-root-plus-identity-allows",
        Request(FOREIGN, "sts:AssumeRole", TARGET_ROLE),
        True,
        {"identity:Assume", "trust:Tooling"},
        identity=identity(stmt("Assume", "Allow", "sts:AssumeRole", TARGET_ROLE)),
        resource=policy("trust", stmt("Tooling", "Allow", "sts:AssumeRole", None, Principal={"AWS": FOREIGN_ROOT})),
        trust=True,
    ),
    case(
        "trust-cross-account-without-identity-denies",
        Request(FOREIGN, "sts:AssumeRole", TARGET_ROLE),
        False,
        set(),
        resource=policy("trust", stmt("Tooling", "Allow", "sts:AssumeRole", None, Principal={"AWS": FOREIGN})),
        trust=True,
    ),
    case(
        "trust-service-principal-allowed",
        Request("sagemaker.amazonaws.com", "sts:AssumeRole", TARGET_ROLE),
        True,
        {"trust:SageMaker"},
        resource=policy(
            "trust",
            stmt("SageMaker", "Allow", "sts:AssumeRole", None, Principal={"Service": ["sagemaker.amazonaws.com"]}),
        ),
        trust=True,
    ),
    case(
        "trust-other-service-denied",
        Request("lambda.amazonaws.com", "sts:AssumeRole", TARGET_ROLE),
        False,
        set(),
        resource=policy(
            "trust",
            stmt("SageMaker", "Allow", "sts:AssumeRole", None, Principal={"Service": "sagemaker.amazonaws.com"}),
        ),
        trust=True,
    ),
    # PRINCIPAL (service principals): only the resource policy can grant; SourceArn/SourceAccount scope it.
    case(
        "service-principal-sourcearn-matches",
        Request("events.amazonaws.com", "sns:Publish", TOPIC, {"aws:SourceArn": RULE, "aws:SourceAccount": ACCOUNT}),
        True,
        {"topic:Events"},
        resource=policy(
            "topic",
            stmt(
                "Events",
                "Allow",
                "sns:Publish",
                TOPIC,
                Principal={"Service": "events.amazonaws.com"},
                Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:events:*:{ACCOUNT}:rule/mlops-*"}},
            ),
        ),
    ),
    case(
        "service-principal-sourcearn-other-account-denied",
        Request("events.amazonaws.com", "sns:Publish", TOPIC, {"aws:SourceArn": RULE.replace(ACCOUNT, OTHER)}),
        False,
        set(),
        resource=policy(
            "topic",
            stmt(
                "Events",
                "Allow",
                "sns:Publish",
                TOPIC,
                Principal={"Service": "events.amazonaws.com"},
                Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:events:*:{ACCOUNT}:rule/mlops-*"}},
            ),
        ),
    ),
    case(
        "service-principal-sourceaccount-mismatch-denied",
        Request("events.amazonaws.com", "sns:Publish", TOPIC, {"aws:SourceAccount": OTHER}),
        False,
        set(),
        resource=policy(
            "topic",
            stmt(
                "Events",
                "Allow",
                "sns:Publish",
                TOPIC,
                Principal={"Service": "events.amazonaws.com"},
                Condition={"StringEquals": {"aws:SourceAccount": ACCOUNT}},
            ),
        ),
    ),
    case(
        "service-principal-servicename-added-to-context",
        Request("events.amazonaws.com", "sns:Publish", TOPIC),
        True,
        {"topic:Services"},
        resource=policy(
            "topic",
            stmt(
                "Services",
                "Allow",
                "sns:Publish",
                TOPIC,
                Principal="*",
                Condition={"StringEquals": {"aws:PrincipalServiceName": "events.amazonaws.com"}},
            ),
        ),
    ),
    case(
        "service-principal-without-resource-policy-denied",
        Request("events.amazonaws.com", "sns:Publish", TOPIC),
        False,
        set(),
    ),
    # ENDPOINT: a call through a VPC endpoint also needs the endpoint policy to allow it; its denies count.
    case(
        "endpoint-policy-allow-needed",
        GET,
        False,
        set(),
        identity=identity(READ),
        endpoint=policy("endpoint", stmt("Other", "Allow", "s3:GetObject", "arn:aws:s3:::elsewhere/*", Principal="*")),
    ),
    case(
        "endpoint-policy-allows-with-identity",
        GET,
        True,
        {"identity:Read", "endpoint:Platform"},
        identity=identity(READ),
        endpoint=policy("endpoint", stmt("Platform", "Allow", "s3:*", "arn:aws:s3:::mlops-*", Principal="*")),
    ),
    case(
        "endpoint-policy-deny-wins",
        GET,
        False,
        {"endpoint:NoRaw"},
        identity=identity(READ),
        endpoint=policy(
            "endpoint",
            stmt("All", "Allow", "*", Principal="*"),
            stmt("NoRaw", "Deny", "s3:GetObject", BUCKET + "/raw/*", Principal={"AWS": "*"}),
        ),
    ),
    case(
        "endpoint-policy-principal-checked",
        GET,
        False,
        set(),
        identity=identity(READ),
        endpoint=policy("endpoint", stmt("PeerOnly", "Allow", "s3:*", Principal={"AWS": PEER})),
    ),
]


@pytest.mark.parametrize("c", AUTHORIZE)
def test_authorize(c: Case) -> None:
    decision: Decision = authorize(c.request, **c.kwargs)
    assert decision.allowed is c.allowed, decision.reason
    assert {f"{m.policy}:{m.statement}" for m in decision.matches} == c.matches, decision.reason
    assert decision.reason.startswith("allowed" if c.allowed else ("explicit deny" if c.matches else "implicit deny"))


def test_reasons_explain_the_missing_side() -> None:
    cross = authorize(Request(FOREIGN, "s3:GetObject", OBJECT), resource_account=ACCOUNT)
    assert cross.reason == "implicit deny: no identity policy allows it (cross-account calls need both sides)"
    both = authorize(
        Request(FOREIGN, "s3:GetObject", OBJECT),
        identity=identity(READ),
        resource=policy("bucket", stmt("Tooling", "Allow", "s3:GetObject", OBJECT, Principal={"AWS": FOREIGN})),
        resource_account=ACCOUNT,
    )
    assert both.reason == "allowed by the identity policy and the resource policy"


# Action and Resource matching, one statement at a time (RESOURCE; EVAL "Action" matching is case-insensitive).
MATCHING = [
    ("action-case-insensitive", {"Action": "S3:getobject"}, GET, True),
    ("action-star-wildcard", {"Action": "s3:Get*"}, GET, True),
    ("action-star-wildcard-other-verb", {"Action": "s3:Put*"}, GET, False),
    ("action-question-one-char", {"Action": "s3:GetObjec?"}, GET, True),
    ("action-service-prefix-must-match", {"Action": "s3:*"}, Request(ROLE, "s3express:CreateSession", "*"), False),
    ("action-star-alone-matches-all", {"Action": "*"}, Request(ROLE, "sns:Publish", TOPIC), True),
    ("action-list-any", {"Action": ["sns:Publish", "s3:GetObject"]}, GET, True),
    ("notaction-listed-excluded", {"NotAction": ["s3:Get*"]}, GET, False),
    ("notaction-others-included", {"NotAction": "iam:*"}, GET, True),
    ("resource-star-matches-all", {"Resource": "*"}, GET, True),
    ("resource-star-spans-slashes", {"Resource": BUCKET + "/*"}, GET, True),
    ("resource-middle-star-spans-slashes", {"Resource": BUCKET + "/*/part-?.parquet"}, GET, True),
    ("resource-question-one-char", {"Resource": BUCKET + "/raw/202?/part-0.parquet"}, GET, True),
    ("resource-case-sensitive", {"Resource": "arn:aws:s3:::MLOPS-datasci-data/*"}, GET, False),
    ("resource-bucket-arn-not-objects", {"Resource": BUCKET}, GET, False),
    (
        "resource-region-star-within-part",
        {"Resource": f"arn:aws:sns:*:{ACCOUNT}:mlops-*"},
        Request(ROLE, "sns:Publish", TOPIC),
        True,
    ),
    (
        "resource-star-does-not-span-colons-in-region-account",
        {"Resource": "arn:aws:logs:*:log-group:/aws/sagemaker/*"},
        Request(ROLE, "logs:PutLogEvents", f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/sagemaker/x"),
        False,
    ),
    (
        "resource-star-spans-colons-in-resource-part",
        {"Resource": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/sagemaker/*"},
        Request(ROLE, "logs:PutLogEvents", f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/aws/sagemaker/x:log-stream:y"),
        True,
    ),
    (
        "resource-trailing-star-of-short-pattern-expands",
        {"Resource": "arn:aws:s3:*"},
        GET,
        True,
    ),
    (
        "resource-request-star-needs-statement-star",
        {"Resource": "arn:aws:s3:::*"},
        Request(ROLE, "s3:ListAllMyBuckets", "*"),
        False,
    ),
    ("resource-request-star-statement-star", {"Resource": ["*"]}, Request(ROLE, "s3:ListAllMyBuckets", "*"), True),
    ("resource-absent-matches-any-as-in-trust-policies", {}, GET, True),
    ("notresource-listed-excluded", {"NotResource": [BUCKET, BUCKET + "/*"]}, GET, False),
    ("notresource-others-included", {"NotResource": "arn:aws:s3:::other/*"}, GET, True),
]


@pytest.mark.parametrize(("elements", "request_", "expected"), [pytest.param(e, r, x, id=i) for i, e, r, x in MATCHING])
def test_action_and_resource_matching(elements: dict[str, Any], request_: Request, expected: bool) -> None:
    statement = {"Effect": "Allow", "Action": "*", **elements}
    if "NotAction" in elements:
        del statement["Action"]
    assert statement_matches(statement, request_, check_principal=False) is expected


# PRINCIPAL: the forms of the Principal element, checked only when check_principal (identity policies have none).
PRINCIPALS = [
    ("principal-star", "*", ROLE, True),
    ("principal-aws-star", {"AWS": "*"}, ROLE, True),
    ("principal-role-arn", {"AWS": ROLE}, ROLE, True),
    ("principal-role-arn-in-list", {"AWS": [PEER, ROLE]}, ROLE, True),
    ("principal-account-id", {"AWS": ACCOUNT}, ROLE, True),
    ("principal-account-root", {"AWS": ROOT}, ROLE, True),
    ("principal-other-account", {"AWS": FOREIGN_ROOT}, ROLE, False),
    ("principal-service", {"Service": "events.amazonaws.com"}, "events.amazonaws.com", True),
    ("principal-service-list", {"Service": ["lambda.amazonaws.com"]}, "events.amazonaws.com", False),
    ("principal-service-not-a-role", {"Service": "events.amazonaws.com"}, ROLE, False),
    ("principal-aws-not-a-service", {"AWS": ROOT}, "events.amazonaws.com", False),
]


@pytest.mark.parametrize(
    ("element", "principal", "expected"), [pytest.param(e, p, x, id=i) for i, e, p, x in PRINCIPALS]
)
def test_principal(element: Any, principal: str, expected: bool) -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Principal": element}
    request = Request(principal, "s3:GetObject", OBJECT)
    assert statement_matches(statement, request, check_principal=True) is expected
    assert statement_matches(statement, request, check_principal=False) is True


# OPERATORS and MULTI: condition operators, missing keys, IfExists, Null and the set operators.
CONDITIONS: list[tuple[str, dict[str, Any], dict[str, Value], bool]] = [
    ("string-equals", {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, {"aws:SourceAccount": ACCOUNT}, True),
    ("string-equals-case-sensitive-value", {"StringEquals": {"s3:prefix": "Raw/"}}, {"s3:prefix": "raw/"}, False),
    (
        "string-equals-key-name-case-insensitive",
        {"StringEquals": {"AWS:SOURCEACCOUNT": ACCOUNT}},
        {"aws:SourceAccount": ACCOUNT},
        True,
    ),
    ("string-equals-values-ored", {"StringEquals": {"s3:prefix": ["a/", "raw/"]}}, {"s3:prefix": "raw/"}, True),
    ("string-equals-missing-key-false", {"StringEquals": {"s3:prefix": "raw/"}}, {}, False),
    (
        "keys-within-operator-anded",
        {"StringEquals": {"s3:prefix": "raw/", "aws:SourceAccount": ACCOUNT}},
        {"s3:prefix": "raw/", "aws:SourceAccount": OTHER},
        False,
    ),
    (
        "operators-anded",
        {"StringEquals": {"s3:prefix": "raw/"}, "Bool": {"aws:SecureTransport": True}},
        {"s3:prefix": "raw/", "aws:SecureTransport": False},
        False,
    ),
    ("string-not-equals-missing-key-true", {"StringNotEquals": {"s3:prefix": "raw/"}}, {}, True),
    ("string-not-equals-matches-none", {"StringNotEquals": {"s3:prefix": ["a/", "b/"]}}, {"s3:prefix": "raw/"}, True),
    ("string-not-equals-matches-one", {"StringNotEquals": {"s3:prefix": ["a/", "raw/"]}}, {"s3:prefix": "raw/"}, False),
    (
        "string-equals-ignore-case",
        {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "DataSci"}},
        {"aws:PrincipalTag/team": "datasci"},
        True,
    ),
    (
        "string-not-equals-ignore-case",
        {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "DataSci"}},
        {"aws:PrincipalTag/team": "DATASCI"},
        False,
    ),
    ("string-like-star-question", {"StringLike": {"s3:prefix": "raw/20??/*"}}, {"s3:prefix": "raw/2024/part"}, True),
    ("string-like-case-sensitive", {"StringLike": {"s3:prefix": "RAW/*"}}, {"s3:prefix": "raw/2024"}, False),
    ("string-not-like", {"StringNotLike": {"s3:prefix": "raw/*"}}, {"s3:prefix": "curated/x"}, True),
    ("string-not-like-missing-key-true", {"StringNotLike": {"s3:prefix": "raw/*"}}, {}, True),
    ("string-equals-if-exists-missing-true", {"StringEqualsIfExists": {"s3:prefix": "raw/"}}, {}, True),
    (
        "string-equals-if-exists-present-checked",
        {"StringEqualsIfExists": {"s3:prefix": "raw/"}},
        {"s3:prefix": "x/"},
        False,
    ),
    (
        "arn-like-per-part",
        {"ArnLike": {"aws:SourceArn": f"arn:aws:events:*:{ACCOUNT}:rule/*"}},
        {"aws:SourceArn": RULE},
        True,
    ),
    (
        "arn-equals-behaves-like-arn-like",
        {"ArnEquals": {"aws:SourceArn": "arn:aws:events:eu-west-1:*:rule/mlops-*"}},
        {"aws:SourceArn": RULE},
        True,
    ),
    (
        "arn-like-star-does-not-span-colons",
        {"ArnLike": {"aws:SourceArn": "arn:aws:events:*:rule/*"}},
        {"aws:SourceArn": RULE},
        False,
    ),
    ("arn-like-missing-key-false", {"ArnLike": {"aws:SourceArn": "arn:aws:events:*:*:rule/*"}}, {}, False),
    ("arn-not-equals", {"ArnNotEquals": {"aws:SourceArn": RULE}}, {"aws:SourceArn": RULE}, False),
    ("arn-not-like-missing-key-true", {"ArnNotLike": {"aws:SourceArn": RULE}}, {}, True),
    ("bool-json-true-context-bool", {"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": True}, True),
    (
        "bool-string-false-context-string",
        {"Bool": {"aws:SecureTransport": "false"}},
        {"aws:SecureTransport": "false"},
        True,
    ),
    # Bool compares "true"/"false" without regard to case (evaluator's choice: JSON booleans and strings mix).
    ("bool-value-case-insensitive", {"Bool": {"aws:SecureTransport": "True"}}, {"aws:SecureTransport": True}, True),
    ("bool-mismatch", {"Bool": {"aws:SecureTransport": "true"}}, {"aws:SecureTransport": False}, False),
    ("bool-missing-key-false", {"Bool": {"aws:SecureTransport": "false"}}, {}, False),
    ("bool-if-exists-missing-true", {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}, {}, True),
    ("null-true-when-absent", {"Null": {"aws:TokenIssueTime": "true"}}, {}, True),
    (
        "null-true-when-present-false",
        {"Null": {"aws:TokenIssueTime": "true"}},
        {"aws:TokenIssueTime": "2024-01-01T00:00:00Z"},
        False,
    ),
    (
        "null-false-when-present",
        {"Null": {"s3:x-amz-server-side-encryption": False}},
        {"s3:x-amz-server-side-encryption": "aws:kms"},
        True,
    ),
    ("null-false-when-absent-false", {"Null": {"s3:x-amz-server-side-encryption": "false"}}, {}, False),
    ("numeric-equals", {"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 10}, True),
    ("numeric-not-equals", {"NumericNotEquals": {"s3:max-keys": 10}}, {"s3:max-keys": "10"}, False),
    ("numeric-less-than", {"NumericLessThan": {"s3:max-keys": "10"}}, {"s3:max-keys": 9}, True),
    ("numeric-less-than-equals", {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": 11}, False),
    (
        "numeric-greater-than",
        {"NumericGreaterThan": {"aws:MultiFactorAuthAge": "3600"}},
        {"aws:MultiFactorAuthAge": 3600},
        False,
    ),
    (
        "numeric-greater-than-equals",
        {"NumericGreaterThanEquals": {"aws:MultiFactorAuthAge": 3600}},
        {"aws:MultiFactorAuthAge": "3600.0"},
        True,
    ),
    ("numeric-if-exists-missing-true", {"NumericLessThanIfExists": {"s3:max-keys": "10"}}, {}, True),
    ("numeric-not-a-number-in-context-false", {"NumericEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "ten"}, False),
    (
        "for-all-values-subset-true",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "project"]}},
        {"aws:TagKeys": ["team"]},
        True,
    ),
    (
        "for-all-values-extra-value-false",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}},
        {"aws:TagKeys": ["team", "owner"]},
        False,
    ),
    ("for-all-values-absent-key-true", {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}, {}, True),
    (
        "for-all-values-empty-list-true",
        {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}},
        {"aws:TagKeys": []},
        True,
    ),
    (
        "for-all-values-negated-none-match",
        {"ForAllValues:StringNotLike": {"aws:TagKeys": "aws:*"}},
        {"aws:TagKeys": ["team", "aws:x"]},
        False,
    ),
    (
        "for-any-value-one-overlap-true",
        {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}},
        {"aws:TagKeys": ["owner", "team"]},
        True,
    ),
    (
        "for-any-value-no-overlap-false",
        {"ForAnyValue:StringLike": {"aws:TagKeys": ["te*"]}},
        {"aws:TagKeys": ["owner"]},
        False,
    ),
    ("for-any-value-absent-key-false", {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, {}, False),
    # A list in the context with a plain operator: any value matching is a match (evaluator's documented choice).
    (
        "list-context-plain-operator-any-match",
        {"StringEquals": {"aws:TagKeys": "team"}},
        {"aws:TagKeys": ["owner", "team"]},
        True,
    ),
    (
        "list-context-negated-operator-none-match",
        {"StringNotEquals": {"aws:TagKeys": "team"}},
        {"aws:TagKeys": ["owner", "team"]},
        False,
    ),
]


@pytest.mark.parametrize(("block", "context", "expected"), [pytest.param(b, c, x, id=i) for i, b, c, x in CONDITIONS])
def test_condition_operators(block: dict[str, Any], context: dict[str, Value], expected: bool) -> None:
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": block}
    assert (
        statement_matches(statement, Request(ROLE, "s3:GetObject", OBJECT, context), check_principal=False) is expected
    )


# A policy the evaluator cannot evaluate raises, naming the policy, the statement and the bad value.
BAD = [
    (
        "misspelt-operator",
        stmt("Typo", "Allow", "s3:*", Condition={"StringEqualz": {"s3:prefix": "x"}}),
        "StringEqualz",
    ),
    (
        "unsupported-operator-date",
        stmt("Dated", "Allow", "s3:*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2024"}}),
        "DateGreaterThan",
    ),
    (
        "unsupported-operator-ip",
        stmt("Net", "Allow", "s3:*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
        "IpAddress",
    ),
    (
        "null-has-no-if-exists",
        stmt("Nul", "Allow", "s3:*", Condition={"NullIfExists": {"s3:prefix": "true"}}),
        "NullIfExists",
    ),
    (
        "bad-set-prefix",
        stmt("Set", "Allow", "s3:*", Condition={"ForEach:StringEquals": {"k": "v"}}),
        "ForEach:StringEquals",
    ),
    (
        "numeric-policy-value",
        stmt("Num", "Allow", "s3:*", Condition={"NumericLessThan": {"s3:max-keys": "ten"}}),
        "ten",
    ),
    (
        "policy-variable-in-resource",
        stmt("Home", "Allow", "s3:*", BUCKET + "/home/${aws:username}/*"),
        "${aws:username}",
    ),
    (
        "policy-variable-in-condition",
        stmt("Tag", "Deny", "s3:*", Condition={"StringNotEquals": {"s3:prefix": "${aws:PrincipalTag/team}/"}}),
        "${aws:PrincipalTag/team}",
    ),
    ("bad-effect", stmt("Permit", "Permit", "s3:*"), "Permit"),
    ("no-action", {"Sid": "Nothing", "Effect": "Allow", "Resource": "*"}, "no Action"),
]


@pytest.mark.parametrize(("statement", "named"), [pytest.param(s, n, id=i) for i, s, n in BAD])
def test_policy_error_names_policy_statement_and_value(statement: Any, named: str) -> None:
    with pytest.raises(PolicyError) as raised:
        evaluate([policy("datasci role mlops-datasci-ci: inline policy", statement)], GET, check_principal=False)
    message = str(raised.value)
    assert "datasci role mlops-datasci-ci: inline policy" in message
    assert statement["Sid"] in message
    assert named in message


def test_bad_operator_raises_even_when_the_statement_does_not_apply() -> None:
    """A typo must not hide behind an Action that happens not to match this request."""
    other = stmt("Typo", "Deny", "sns:Publish", Condition={"StringEqualz": {"aws:SourceAccount": ACCOUNT}})
    with pytest.raises(PolicyError, match="StringEqualz"):
        authorize(GET, identity=identity(READ, other), resource_account=ACCOUNT)


def test_resource_statement_without_principal_raises() -> None:
    with pytest.raises(PolicyError, match=r"bucket.*Principal"):
        authorize(GET, resource=policy("bucket", READ), resource_account=ACCOUNT)


def test_evaluate_lists_allows_and_denies_by_sid_or_index() -> None:
    """Statement may be one object or a list; a statement without Sid is named by its index."""
    single = Policy("single", {"Statement": {"Effect": "Deny", "Action": "s3:GetObject", "Resource": OBJECT}})
    listed = Policy("listed", {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, READ]})
    allows, denies = evaluate([single, listed], GET, check_principal=False)
    assert [(m.policy, m.statement, m.effect) for m in allows] == [
        ("listed", "#0", "Allow"),
        ("listed", "Read", "Allow"),
    ]
    assert [(m.policy, m.statement, m.effect) for m in denies] == [("single", "#0", "Deny")]


def test_principal_account() -> None:
    assert principal_account(ROLE) == ACCOUNT
    assert principal_account("events.amazonaws.com") is None
