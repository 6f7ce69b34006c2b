"""CI/CD and IAM rules: CodeBuild, CodePipeline artifacts, IAM wildcards and trust (GUARDRAILS.md 27-30)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

CODEBUILD_PROJECT = "aws:codebuild/project:Project"
PIPELINE = "aws:codepipeline/pipeline:Pipeline"
ROLE = "aws:iam/role:Role"
POLICY_DOCUMENTS = frozenset(
    {
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/policy:Policy",
        "aws:iam/userPolicy:UserPolicy",
        "aws:iam/groupPolicy:GroupPolicy",
    }
)
ATTACHMENTS = frozenset(
    {
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:iam/userPolicyAttachment:UserPolicyAttachment",
        "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
        "aws:iam/policyAttachment:PolicyAttachment",
    }
)

#: CodeBuild projects (by project name) that may run privileged builds: none in this program.
DEFAULT_PRIVILEGED_ALLOWLIST: tuple[str, ...] = ()
SECRET_NAME_PARTS = ("PASSWORD", "SECRET", "TOKEN", "ACCESS_KEY", "API_KEY", "PRIVATE_KEY")
ACCESS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b")
GITHUB_OIDC = "token.actions.githubusercontent.com"
ACCOUNT_ROOT = re.compile(r"^(?:arn:aws[a-z-]*:iam::\d{12}:root|\d{12})$")


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


def _label(index: int, statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"Statement[{index}]" + (f" ({sid})" if isinstance(sid, str) and sid else "")


# --- 27. codebuild-guardrails (CodeBuild.2-5, CKV_AWS_316, CKV_AWS_78, CKV_AWS_147) ----------------


def _privileged(args: ResourceValidationArgs, environment: Mapping[str, Any], allowlist: Sequence[str]) -> str | None:
    if environment.get("privilegedMode") is not True:
        return None
    project = args.props.get("name") if _is_set(args.props, "name") else args.name
    if project in allowlist:
        return None
    return (
        f"{args.name}: environment.privilegedMode is true for project {project!r}, which is not in "
        "privilegedAllowlist, so builds get root on the Docker daemon of the build host; set "
        "environment.privilegedMode to false or add the project to privilegedAllowlist."
    )


def _plaintext_secrets(name: str, environment: Mapping[str, Any]) -> list[str]:
    problems = []
    for index, variable in enumerate(_items(environment.get("environmentVariables"))):
        if (variable.get("type") or "PLAINTEXT") != "PLAINTEXT":
            continue
        variable_name = variable.get("name") or ""
        where = f"environment.environmentVariables[{index}] ({variable_name})"
        normalized = variable_name.upper().replace("-", "_")
        if any(part in normalized for part in SECRET_NAME_PARTS):
            problems.append(f"{name}: {where} is a PLAINTEXT variable whose name suggests a secret")
        elif isinstance(value := variable.get("value"), str) and ACCESS_KEY_ID.search(value):
            problems.append(f"{name}: {where} is a PLAINTEXT variable whose value holds an AWS access key id")
    fix = "; store it in Parameter Store or Secrets Manager and set type to PARAMETER_STORE or SECRETS_MANAGER."
    return [problem + fix for problem in problems]


def _disabled_encryption(name: str, props: Mapping[str, Any]) -> list[str]:
    artifacts = [("artifacts", _obj(props.get("artifacts")))]
    artifacts += [(f"secondaryArtifacts[{i}]", a) for i, a in enumerate(_items(props.get("secondaryArtifacts")))]
    return [
        f"{name}: {where}.encryptionDisabled is true, so build outputs are stored unencrypted; "
        "remove encryptionDisabled or set it to false."
        for where, artifact in artifacts
        if artifact.get("encryptionDisabled") is True
    ]


def _logging(name: str, logs: Mapping[str, Any]) -> list[str]:
    cloudwatch = _obj(logs.get("cloudwatchLogs"))
    s3 = _obj(logs.get("s3Logs"))
    # AWS defaults: CloudWatch logs ENABLED, S3 logs DISABLED.
    s3_on = s3.get("status") == "ENABLED"
    problems = []
    if cloudwatch.get("status") == "DISABLED" and not s3_on:
        problems.append(
            f"{name}: logsConfig.cloudwatchLogs.status is DISABLED and S3 logs are off, so builds leave no logs; "
            'set logsConfig.cloudwatchLogs.status to "ENABLED" (or enable logsConfig.s3Logs).'
        )
    if s3_on and s3.get("encryptionDisabled") is True:
        problems.append(
            f"{name}: logsConfig.s3Logs.encryptionDisabled is true, so build logs are stored unencrypted; "
            "remove encryptionDisabled or set it to false."
        )
    return problems


def _codebuild(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != CODEBUILD_PROJECT:
        return
    config = args.get_config() or {}
    allowlist = config.get("privilegedAllowlist", DEFAULT_PRIVILEGED_ALLOWLIST)
    props = args.props
    environment = _obj(props.get("environment"))
    problems = [_privileged(args, environment, allowlist)]
    if not _is_set(props, "encryptionKey"):
        problems.append(
            f"{args.name}: encryptionKey is not set, so build artifacts are encrypted with the AWS managed "
            "aws/s3 key; set encryptionKey to a customer managed KMS key ARN."
        )
    problems += _disabled_encryption(args.name, props)
    problems += _logging(args.name, _obj(props.get("logsConfig")))
    problems += _plaintext_secrets(args.name, environment)
    for problem in problems:
        if problem is not None:
            report_violation(problem, None)


codebuild_guardrails = ResourceValidationPolicy(
    name="codebuild-guardrails",
    description=(
        "CodeBuild projects run unprivileged unless allowlisted, encrypt artifacts with a customer key, keep "
        "logs on and hold no plaintext secrets in environment variables."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_codebuild,
    config_schema=PolicyConfigSchema(
        properties={
            "privilegedAllowlist": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Names of the CodeBuild projects that may set environment.privilegedMode.",
                "default": list(DEFAULT_PRIVILEGED_ALLOWLIST),
            }
        }
    ),
)


# --- 28. codepipeline-artifact-kms (CKV_AWS_219) ---------------------------------------------------


def _pipeline_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PIPELINE:
        return
    fix = 'set it to {"type": "KMS", "id": <customer managed key ARN>}.'
    for index, store in enumerate(_items(args.props.get("artifactStores"))):
        where = f"artifactStores[{index}].encryptionKey"
        if not _is_set(store, "encryptionKey"):
            report_violation(
                f"{args.name}: {where} is not set, so artifacts are encrypted with the AWS managed aws/s3 key; {fix}",
                None,
            )
            continue
        key = _obj(store["encryptionKey"])
        if key.get("type") != "KMS" or not _is_set(key, "id"):
            report_violation(
                f"{args.name}: {where} has type {key.get('type')!r} and "
                f"{'an id' if _is_set(key, 'id') else 'no id'}, not a customer KMS key; {fix}",
                None,
            )


codepipeline_artifact_kms = ResourceValidationPolicy(
    name="codepipeline-artifact-kms",
    description="CodePipeline artifact stores are encrypted with a customer managed KMS key.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_pipeline_kms,
)


# --- 29. iam-no-wildcard-admin (IAM.1, IAM.21, KMS.1, KMS.2, CKV_AWS_62, CKV_AWS_63, CKV_AWS_274) --


def _wildcard_problems(statement: Mapping[str, Any]) -> list[str]:
    """What is wrong with one statement: each a "<problem>; <fix>" phrase."""
    if statement.get("Effect") != "Allow":
        return []
    actions = [a.lower() for a in _strings(statement.get("Action"))]
    on_everything = "*" in _strings(statement.get("Resource")) or "NotResource" in list(statement)
    if "NotAction" in list(statement):
        return ["allows every action except those in NotAction; list the actions it needs under Action"]
    if {"*", "*:*"} & set(actions):
        return ["allows every action (Action *), which is full admin; list the actions it needs"]
    if not on_everything:
        return []
    problems = []
    service_wide = [a for a in actions if a.endswith(":*")]
    if service_wide:
        problems.append(
            f"allows {', '.join(service_wide)} on Resource *; list the actions it needs and the resources they act on"
        )
    decrypt = [
        a
        for a in actions
        if a not in service_wide and any(fnmatchcase(x, a) for x in ("kms:decrypt", "kms:reencryptfrom"))
    ]
    if decrypt:
        problems.append(
            f"allows {', '.join(decrypt)} on Resource *, so it can decrypt with every key that trusts the "
            "account; name the key ARNs in Resource"
        )
    return problems


def _admin_arn(arn: Any) -> bool:
    return isinstance(arn, str) and arn.endswith("/AdministratorAccess")


def _check_document(name: str, where: str, value: Any, report_violation: ReportViolation) -> None:
    document = _document(value)
    if document is None:
        report_violation(f"{name}: {where} is not a JSON policy document; write it as JSON.", None)
        return
    for index, statement in enumerate(_statements(document)):
        for problem in _wildcard_problems(statement):
            report_violation(f"{name}: {where} {_label(index, statement)} {problem}.", None)


def _no_wildcard_admin(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = args.props
    admin_fix = "attach a policy that grants only the actions the principal needs."
    if args.resource_type in POLICY_DOCUMENTS and _is_set(props, "policy"):
        _check_document(args.name, "policy", props["policy"], report_violation)
    elif args.resource_type in ATTACHMENTS and _admin_arn(props.get("policyArn")):
        report_violation(f"{args.name}: policyArn attaches AdministratorAccess; {admin_fix}", None)
    elif args.resource_type == ROLE:
        for index, inline in enumerate(_items(props.get("inlinePolicies"))):
            # An entry without a policy ([{}]) only tells the provider to remove unmanaged inline policies.
            if _is_set(inline, "policy"):
                _check_document(args.name, f"inlinePolicies[{index}].policy", inline["policy"], report_violation)
        for index, arn in enumerate(props.get("managedPolicyArns") or []):
            if _admin_arn(arn):
                report_violation(f"{args.name}: managedPolicyArns[{index}] is AdministratorAccess; {admin_fix}", None)


iam_no_wildcard_admin = ResourceValidationPolicy(
    name="iam-no-wildcard-admin",
    description=(
        "IAM policies grant no * actions, no service:* actions on every resource, no kms:Decrypt on every key, "
        "and AdministratorAccess is never attached."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_wildcard_admin,
)


# --- 30. iam-trust-pinned (CKV_AWS_60, CKV_AWS_358) ------------------------------------------------


def _github_conditions(statement: Mapping[str, Any]) -> list[str]:
    """What a GitHub OIDC trust statement lacks: conditions on both sub and aud, sub not a bare wildcard."""
    condition = statement.get("Condition")
    values: dict[str, list[str]] = {}
    for operator in condition.values() if isinstance(condition, Mapping) else []:
        if isinstance(operator, Mapping):
            for key, value in operator.items():
                values.setdefault(key.lower(), []).extend(_strings(value))
    problems = [
        f"has no condition on {GITHUB_OIDC}:{claim}"
        for claim in ("sub", "aud")
        if f"{GITHUB_OIDC}:{claim}" not in values
    ]
    if any(sub in ("*", "repo:*") for sub in values.get(f"{GITHUB_OIDC}:sub", [])):
        problems.append(f"lets any repository in through {GITHUB_OIDC}:sub")
    return problems


def _trust_problems(statement: Mapping[str, Any]) -> list[str]:
    if statement.get("Effect") != "Allow":
        return []
    if "NotPrincipal" in list(statement):
        return ["trusts every principal except those in NotPrincipal; name the trusted role ARNs in Principal"]
    principal = statement.get("Principal")
    if principal == "*":
        return ["trusts principal *, so anyone may assume the role, whatever its conditions; name the trusted roles"]
    if not isinstance(principal, Mapping):
        return []
    problems = []
    for aws in _strings(principal.get("AWS")):
        if aws == "*":
            problems.append('trusts {"AWS": "*"}, so anyone may assume the role; name the trusted role ARNs')
        elif ACCOUNT_ROOT.match(aws):
            problems.append(
                f"trusts the account root {aws}, so every principal of that account allowed by its own IAM "
                "may assume the role; name the trusted role ARN instead"
            )
    for federated in _strings(principal.get("Federated")):
        if federated == GITHUB_OIDC or federated.endswith(f":oidc-provider/{GITHUB_OIDC}"):
            problems += [
                f"trusts GitHub OIDC but {missing}; add StringEquals conditions on {GITHUB_OIDC}:aud "
                f'("sts.amazonaws.com") and {GITHUB_OIDC}:sub (the repository and branch or environment)'
                for missing in _github_conditions(statement)
            ]
    return problems


def _trust_pinned(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != ROLE or not _is_set(args.props, "assumeRolePolicy"):
        return
    document = _document(args.props["assumeRolePolicy"])
    if document is None:
        report_violation(f"{args.name}: assumeRolePolicy is not a JSON policy document; write it as JSON.", None)
        return
    for index, statement in enumerate(_statements(document)):
        for problem in _trust_problems(statement):
            report_violation(f"{args.name}: assumeRolePolicy {_label(index, statement)} {problem}.", None)


iam_trust_pinned = ResourceValidationPolicy(
    name="iam-trust-pinned",
    description=(
        "Role trust policies trust no * principal and no account root, and GitHub OIDC trust pins sub and aud."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_trust_pinned,
)

POLICIES = [codebuild_guardrails, codepipeline_artifact_kms, iam_no_wildcard_admin, iam_trust_pinned]
