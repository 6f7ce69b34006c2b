"""The IAM check alone (``ops.audit.identity``), against moto: the platform's roles (path /mlops/)
keep least privilege (guardrail 29) and pinned trust (guardrail 30). The compliant twin is every role
of the synthesized stacks, created with its trust and inline policy as components/iam.py declares it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from contracts.config import Settings
from offline.engine import StackPreview
from ops.__main__ import _settings
from ops.audit import identity
from ops.audit.findings import Finding
from tests.conftest import ROOT, of_type
from tests.ops.conftest import in_account

DATAMGMT = "333333333333"
ROLE = "mlops-datamgmt-job-execution"
SERVICE_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "TrustedServices",
            "Effect": "Allow",
            "Principal": {"Service": ["sagemaker.amazonaws.com"]},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": DATAMGMT}},
        }
    ],
}
NAMED_BUCKET = "arn:aws:s3:::mlops-datamgmt-curated-333333333333-eu-west-1"
LEAST = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "ReadCurated", "Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{NAMED_BUCKET}/*"}],
}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return _settings(ROOT, "datamgmt")


@pytest.fixture
def managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS's managed policies (AdministratorAccess) in the accounts built next: moto reads the
    variable when it first builds an account's IAM after a reset. Loading them costs seconds, so only
    the tests that attach one ask for it, before ``account``."""
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


@pytest.fixture
def account(aws: boto3.Session) -> boto3.Session:
    return in_account(aws, DATAMGMT)


def create_role(account: boto3.Session, trust: dict[str, Any] = SERVICE_TRUST, name: str = ROLE) -> None:
    iam = account.client("iam")
    iam.create_role(RoleName=name, Path="/mlops/", AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=name, PolicyName=f"{name}-policy", PolicyDocument=json.dumps(LEAST))


def inline(statement: dict[str, Any]) -> Callable[[Any], None]:
    def add(iam: Any) -> None:
        document = {"Version": "2012-10-17", "Statement": [statement]}
        iam.put_role_policy(RoleName=ROLE, PolicyName="by-hand", PolicyDocument=json.dumps(document))

    return add


def attached_admin(iam: Any) -> None:
    iam.attach_role_policy(RoleName=ROLE, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def attached_customer_policy(iam: Any) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AllOfSageMaker", "Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}],
    }
    arn = iam.create_policy(PolicyName="convenience", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=ROLE, PolicyArn=arn)


def trust(principal: Any, not_principal: bool = False) -> Callable[[Any], None]:
    def change(iam: Any) -> None:
        statement: dict[str, Any] = {"Sid": "ByHand", "Effect": "Allow", "Action": "sts:AssumeRole"}
        statement["NotPrincipal" if not_principal else "Principal"] = principal
        document = {"Version": "2012-10-17", "Statement": [*SERVICE_TRUST["Statement"], statement]}
        iam.update_assume_role_policy(RoleName=ROLE, PolicyDocument=json.dumps(document))

    return change


DRIFTS: list[tuple[str, Callable[[Any], None], str, str]] = [
    (
        "Action *",
        inline({"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}),
        "iam-no-admin",
        "inline by-hand Everything allows every action (*)",
    ),
    (
        "NotAction",
        inline({"Sid": "AllButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}),
        "iam-no-admin",
        "inline by-hand AllButIam allows every action but its NotAction",
    ),
    (
        "service:* on every resource",
        inline({"Sid": "AllOfS3", "Effect": "Allow", "Action": ["s3:GetObject", "s3:*"], "Resource": "*"}),
        "iam-no-service-wildcard",
        "inline by-hand AllOfS3 allows s3:* on every resource",
    ),
    (
        "an attached policy with sagemaker:*",
        attached_customer_policy,
        "iam-no-service-wildcard",
        "attached convenience AllOfSageMaker allows sagemaker:* on every resource",
    ),
    (
        "kms:Decrypt on every key",
        inline({"Sid": "DecryptAll", "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"}),
        "iam-no-kms-decrypt-on-all-keys",
        "inline by-hand DecryptAll allows kms:decrypt on every key",
    ),
    (
        "kms:ReEncrypt* on every key",
        inline({"Sid": "ReEncrypt", "Effect": "Allow", "Action": "kms:ReEncrypt*", "Resource": "*"}),
        "iam-no-kms-decrypt-on-all-keys",
        "inline by-hand ReEncrypt allows kms:reencrypt* on every key",
    ),
    ("trust of principal *", trust("*"), "iam-trust-no-wildcard-principal", "trust ByHand trusts principal *"),
    (
        'trust of {"AWS": "*"}',
        trust({"AWS": ["*"]}),
        "iam-trust-no-wildcard-principal",
        'trust ByHand trusts {"AWS": "*"}',
    ),
    (
        "trust of all but one",
        trust({"AWS": f"arn:aws:iam::{DATAMGMT}:role/x"}, not_principal=True),
        "iam-trust-no-wildcard-principal",
        "trust ByHand trusts everyone but its NotPrincipal",
    ),
    (
        "trust of an account root",
        trust({"AWS": "arn:aws:iam::444444444444:root"}),
        "iam-trust-no-account-root",
        "trust ByHand trusts the account root arn:aws:iam::444444444444:root",
    ),
]


def findings_of(account: boto3.Session, settings: Settings) -> list[Finding]:
    return list(identity.platform_roles(account, settings))


@pytest.mark.parametrize(("what", "drift", "check", "detail"), DRIFTS, ids=[d[0] for d in DRIFTS])
def test_each_iam_drift_is_caught(
    account: boto3.Session, settings: Settings, what: str, drift: Callable[[Any], None], check: str, detail: str
) -> None:
    create_role(account)
    drift(account.client("iam"))
    findings = findings_of(account, settings)
    (finding,) = [f for f in findings if not f.ok]
    assert (finding.check, finding.resource, finding.detail) == (check, ROLE, detail)


def test_administrator_access_attached_is_caught(
    managed_policies: None, account: boto3.Session, settings: Settings
) -> None:
    create_role(account)
    attached_admin(account.client("iam"))
    (finding,) = [f for f in findings_of(account, settings) if not f.ok]
    assert (finding.check, finding.resource, finding.detail) == ("iam-no-admin", ROLE, "AdministratorAccess attached")


def test_a_role_outside_the_platform_path_is_not_judged(
    managed_policies: None, account: boto3.Session, settings: Settings
) -> None:
    """Roles of other owners (the account's setup, AWS's service-linked ones) are not the platform's."""
    create_role(account)
    iam = account.client("iam")
    iam.create_role(RoleName="someone-elses", AssumeRolePolicyDocument=json.dumps(SERVICE_TRUST))
    iam.attach_role_policy(RoleName="someone-elses", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    findings = findings_of(account, settings)
    assert {f.resource for f in findings} == {ROLE} and all(f.ok for f in findings)


def test_an_account_without_platform_roles_is_drift(account: boto3.Session, settings: Settings) -> None:
    (finding,) = findings_of(account, settings)
    assert (finding.check, finding.resource, finding.ok, finding.detail) == (
        "iam-roles",
        "/mlops/",
        False,
        "no role under /mlops/; expected the stack's roles",
    )


@pytest.mark.parametrize("name", ["tooling", "datasci", "datamgmt"])
def test_the_stacks_roles_pass(aws: boto3.Session, stack: Callable[[str], StackPreview], name: str) -> None:
    """The twin of every drift: each role the synthesized stack declares, with its trust and inline
    policies as declared, passes all five rules."""
    preview = stack(name)
    account = in_account(aws, preview.result.account_id)
    iam = account.client("iam")
    for role in of_type(preview, "aws:iam/role:Role"):
        iam.create_role(
            RoleName=role.inputs["name"],
            Path=role.inputs["path"],
            AssumeRolePolicyDocument=role.inputs["assumeRolePolicy"],
        )
    for index, policy in enumerate(of_type(preview, "aws:iam/rolePolicy:RolePolicy")):
        iam.put_role_policy(
            RoleName=policy.inputs["role"], PolicyName=f"policy-{index}", PolicyDocument=policy.inputs["policy"]
        )
    settings = _settings(ROOT, name, ("tooling", "datasci", "datamgmt"))
    findings = findings_of(account, settings)
    assert [f for f in findings if not f.ok] == []
    roles = {role.inputs["name"] for role in of_type(preview, "aws:iam/role:Role")}
    assert {f.resource for f in findings} == roles
    assert {(f.check, f.guardrail, f.control) for f in findings} == {
        ("iam-no-admin", "29", "IAM.1"),
        ("iam-no-service-wildcard", "29", "IAM.21"),
        ("iam-no-kms-decrypt-on-all-keys", "29", "KMS.1, KMS.2"),
        ("iam-trust-no-wildcard-principal", "30", ""),
        ("iam-trust-no-account-root", "30", ""),
    }


def test_every_account_audits_its_roles() -> None:
    for role in ("tooling", "datasci", "preprod", "datamgmt"):
        assert identity.CHECKS[role] == (identity.platform_roles,)
