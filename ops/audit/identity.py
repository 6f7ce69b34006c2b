"""IAM: the platform's roles keep least privilege and pinned trust."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

import boto3

from contracts import naming
from contracts.config import Settings
from ops.audit.findings import Check, Finding, Rule, pages, statements, strings

PLATFORM_ROLES = Rule("iam-roles", guardrail="29", control="")
ADMIN = Rule("iam-no-admin", guardrail="29", control="IAM.1")
SERVICE_WILDCARD = Rule("iam-no-service-wildcard", guardrail="29", control="IAM.21")
DECRYPT_ALL_KEYS = Rule("iam-no-kms-decrypt-on-all-keys", guardrail="29", control="KMS.1, KMS.2")
TRUST_WILDCARD = Rule("iam-trust-no-wildcard-principal", guardrail="30", control="")
TRUST_ACCOUNT_ROOT = Rule("iam-trust-no-account-root", guardrail="30", control="")

ADMINISTRATOR_ACCESS = "AdministratorAccess"
ADMINISTRATOR_ACCESS_ARN = re.compile(rf"^arn:aws[a-z-]*:iam::aws:policy/{ADMINISTRATOR_ACCESS}$")
#: An account root as a principal: its ARN, or the bare account id IAM turns into it.
ACCOUNT_ROOT = re.compile(r"^(?:arn:aws[a-z-]*:iam::\d{12}:root|\d{12})$")


def _document(found: Any) -> Mapping[str, Any]:
    """A policy document as IAM returns it: already decoded by boto3, or URL-encoded JSON text."""
    if isinstance(found, Mapping):
        return found
    parsed = json.loads(urllib.parse.unquote(str(found)))
    return parsed if isinstance(parsed, Mapping) else {}


def _label(where: str, index: int, statement: Mapping[str, Any]) -> str:
    return f"{where} {statement.get('Sid') or f'statement #{index}'}"


def _wildcards(where: str, document: Mapping[str, Any]) -> dict[Rule, list[str]]:
    """What each Allow statement of a permission policy grants too widely, by rule: every action (``*``
    or NotAction), a whole service (``service:*``) on every resource, or kms:Decrypt/ReEncryptFrom on
    every key. A statement that is admin counts as that alone, as in the cicd-iam policy pack."""
    found: dict[Rule, list[str]] = {ADMIN: [], SERVICE_WILDCARD: [], DECRYPT_ALL_KEYS: []}
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        label = _label(where, index, statement)
        actions = [action.lower() for action in strings(statement.get("Action"))]
        if "NotAction" in statement:
            found[ADMIN].append(f"{label} allows every action but its NotAction")
            continue
        if {"*", "*:*"} & set(actions):
            found[ADMIN].append(f"{label} allows every action (*)")
            continue
        if "*" not in strings(statement.get("Resource")) and "NotResource" not in statement:
            continue
        service_wide = [action for action in actions if action.endswith(":*")]
        if service_wide:
            found[SERVICE_WILDCARD].append(f"{label} allows {', '.join(service_wide)} on every resource")
        decrypt = [
            action
            for action in actions
            if action not in service_wide and any(fnmatchcase(x, action) for x in ("kms:decrypt", "kms:reencryptfrom"))
        ]
        if decrypt:
            found[DECRYPT_ALL_KEYS].append(f"{label} allows {', '.join(decrypt)} on every key")
    return found


def _trust(document: Mapping[str, Any]) -> dict[Rule, list[str]]:
    """Whom a trust policy lets in too widely: anyone (``*``, ``{"AWS": "*"}``, NotPrincipal) or a
    whole account (its root)."""
    found: dict[Rule, list[str]] = {TRUST_WILDCARD: [], TRUST_ACCOUNT_ROOT: []}
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow":
            continue
        label = _label("trust", index, statement)
        principal = statement.get("Principal")
        if "NotPrincipal" in statement:
            found[TRUST_WILDCARD].append(f"{label} trusts everyone but its NotPrincipal")
        elif principal == "*":
            found[TRUST_WILDCARD].append(f"{label} trusts principal *")
        elif isinstance(principal, Mapping):
            for aws in strings(principal.get("AWS")):
                if aws == "*":
                    found[TRUST_WILDCARD].append(f'{label} trusts {{"AWS": "*"}}')
                elif ACCOUNT_ROOT.match(aws):
                    found[TRUST_ACCOUNT_ROOT].append(f"{label} trusts the account root {aws}")
    return found


def _permission_documents(iam: Any, role: str) -> Iterator[tuple[str, Mapping[str, Any] | None]]:
    """Each permission policy of a role, with where it comes from: inline, then attached (their
    default version); AWS's AdministratorAccess without its document (None), being admin by name."""
    for name in pages(iam, "list_role_policies", "PolicyNames", RoleName=role):
        yield f"inline {name}", _document(iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"])
    for attached in pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=role):
        arn = str(attached["PolicyArn"])
        if ADMINISTRATOR_ACCESS_ARN.match(arn):
            yield f"attached {ADMINISTRATOR_ACCESS}", None
            continue
        version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        yield f"attached {attached['PolicyName']}", _document(document)


def platform_roles(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Every role under the platform's path (/mlops/, components/iam.py) has no AdministratorAccess
    and no permission statement allowing every action, a whole service on every resource, or
    kms:Decrypt on every key; and its trust names no ``*`` principal and no account root."""
    iam = session.client("iam")
    roles = pages(iam, "list_roles", "Roles", PathPrefix=naming.ROLE_PATH)
    if not roles:
        yield PLATFORM_ROLES(naming.ROLE_PATH, False, f"no role under {naming.ROLE_PATH}; expected the stack's roles")
    for role in sorted(roles, key=lambda r: str(r["RoleName"])):
        name = str(role["RoleName"])
        problems: dict[Rule, list[str]] = {ADMIN: [], SERVICE_WILDCARD: [], DECRYPT_ALL_KEYS: []}
        for where, document in _permission_documents(iam, name):
            if document is None:
                problems[ADMIN].append(f"{ADMINISTRATOR_ACCESS} attached")
                continue
            for rule, found in _wildcards(where, document).items():
                problems[rule] += found
        problems.update(_trust(_document(role.get("AssumeRolePolicyDocument", {}))))
        for rule, clean in (
            (ADMIN, "no admin"),
            (SERVICE_WILDCARD, "no service-wide wildcard on every resource"),
            (DECRYPT_ALL_KEYS, "decrypts with named keys only"),
            (TRUST_WILDCARD, "trusts named principals"),
            (TRUST_ACCOUNT_ROOT, "trusts no account root"),
        ):
            yield rule(name, not problems[rule], "; ".join(problems[rule]) or clean)


#: Which checks of this module apply to which account role.
CHECKS: dict[str, tuple[Check, ...]] = {
    role: (platform_roles,) for role in ("tooling", "datasci", "preprod", "datamgmt")
}
