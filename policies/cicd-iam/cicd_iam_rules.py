"""CI/CD and IAM rules: CodeBuild, CodePipeline artifacts, IAM wildcards and trust (guardrails 27-30
of docs/guardrails.md).

One policy per guarded property, so that each can be made advisory or disabled on its own: the old
``codebuild-guardrails`` is four policies, ``iam-no-wildcard-admin`` and ``iam-trust-pinned`` three
each. Where one reading of a document finds problems of several policies (a statement that allows
``*`` is admin, not also a service wildcard), the finding is classified once, by ``_wildcard_findings``
and ``_trust_findings``, and each policy reports its own kind, so no problem is reported twice.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from cicd_iam_helpers import described, document, is_set, obj, objects, setting, statements, strings, value
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

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


def _label(index: int, statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"Statement[{index}]" + (f" ({sid})" if isinstance(sid, str) and sid else "")


# --- 27. CodeBuild projects ----------------------------------------------------------------------


def _not_privileged(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != CODEBUILD_PROJECT:
        return
    if obj(value(args.props, "environment")).get("privilegedMode") is not True:
        return
    # The project's name is read only for a privileged project: it is what the allowlist lists.
    project = value(args.props, "name") if is_set(args.props, "name") else args.name
    if project in setting(args, "privilegedAllowlist", DEFAULT_PRIVILEGED_ALLOWLIST):
        return
    report_violation(
        f"{args.name}: environment.privilegedMode is true for project {project!r}, which is not in "
        "privilegedAllowlist, so builds get root on the Docker daemon of the build host; set "
        "environment.privilegedMode to false or add the project to privilegedAllowlist.",
        None,
    )


codebuild_not_privileged = ResourceValidationPolicy(
    name="codebuild-not-privileged",
    description=described(
        "CodeBuild projects run unprivileged unless allowlisted.",
        27,
        security_hub=["CodeBuild.5"],
        checkov=["CKV_AWS_316"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_not_privileged,
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


def _artifacts_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != CODEBUILD_PROJECT:
        return
    props = args.props
    if not is_set(props, "encryptionKey"):
        report_violation(
            f"{args.name}: encryptionKey is not set, so build artifacts are encrypted with the AWS managed "
            "aws/s3 key; set encryptionKey to a customer managed KMS key ARN.",
            None,
        )
    artifacts = [("artifacts", obj(value(props, "artifacts")))]
    artifacts += [(f"secondaryArtifacts[{i}]", a) for i, a in enumerate(objects(value(props, "secondaryArtifacts")))]
    for where, artifact in artifacts:
        if artifact.get("encryptionDisabled") is True:
            report_violation(
                f"{args.name}: {where}.encryptionDisabled is true, so build outputs are stored unencrypted; "
                "remove encryptionDisabled or set it to false.",
                None,
            )


codebuild_artifacts_kms = ResourceValidationPolicy(
    name="codebuild-artifacts-kms",
    description=described(
        "CodeBuild projects encrypt their artifacts with a customer managed KMS key and never disable artifact "
        "encryption.",
        27,
        checkov=["CKV_AWS_78", "CKV_AWS_147"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_artifacts_kms,
)


def _logs(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != CODEBUILD_PROJECT:
        return
    logs = obj(value(args.props, "logsConfig"))
    cloudwatch = obj(logs.get("cloudwatchLogs"))
    s3 = obj(logs.get("s3Logs"))
    # AWS defaults: CloudWatch logs ENABLED, S3 logs DISABLED.
    s3_on = s3.get("status") == "ENABLED"
    if cloudwatch.get("status") == "DISABLED" and not s3_on:
        report_violation(
            f"{args.name}: logsConfig.cloudwatchLogs.status is DISABLED and S3 logs are off, so builds leave no "
            'logs; set logsConfig.cloudwatchLogs.status to "ENABLED" (or enable logsConfig.s3Logs).',
            None,
        )
    if s3_on and s3.get("encryptionDisabled") is True:
        report_violation(
            f"{args.name}: logsConfig.s3Logs.encryptionDisabled is true, so build logs are stored unencrypted; "
            "remove encryptionDisabled or set it to false.",
            None,
        )


codebuild_logs = ResourceValidationPolicy(
    name="codebuild-logs",
    description=described(
        "CodeBuild projects keep build logs, in CloudWatch Logs or S3, and logs written to S3 are encrypted.",
        27,
        security_hub=["CodeBuild.3", "CodeBuild.4"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_logs,
)


def _no_plaintext_secrets(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != CODEBUILD_PROJECT:
        return
    environment = obj(value(args.props, "environment"))
    fix = "; store it in Parameter Store or Secrets Manager and set type to PARAMETER_STORE or SECRETS_MANAGER."
    for index, variable in enumerate(objects(environment.get("environmentVariables"))):
        if (variable.get("type") or "PLAINTEXT") != "PLAINTEXT":
            continue
        variable_name = variable.get("name") or ""
        where = f"environment.environmentVariables[{index}] ({variable_name})"
        normalized = variable_name.upper().replace("-", "_")
        # The message names the variable, never its value: the value may be the secret.
        if any(part in normalized for part in SECRET_NAME_PARTS):
            report_violation(f"{args.name}: {where} is a PLAINTEXT variable whose name suggests a secret{fix}", None)
        elif isinstance(found := variable.get("value"), str) and ACCESS_KEY_ID.search(found):
            report_violation(
                f"{args.name}: {where} is a PLAINTEXT variable whose value holds an AWS access key id{fix}", None
            )


codebuild_no_plaintext_secrets = ResourceValidationPolicy(
    name="codebuild-no-plaintext-secrets",
    description=described(
        "CodeBuild environment variables hold no secrets in plaintext: a variable whose name suggests a secret, or "
        "whose value is an AWS access key id, comes from Parameter Store or Secrets Manager.",
        27,
        security_hub=["CodeBuild.2"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_plaintext_secrets,
)


# --- 28. codepipeline-artifact-kms ---------------------------------------------------------------


def _pipeline_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PIPELINE:
        return
    fix = 'set it to {"type": "KMS", "id": <customer managed key ARN>}.'
    for index, store in enumerate(objects(value(args.props, "artifactStores"))):
        where = f"artifactStores[{index}].encryptionKey"
        if not is_set(store, "encryptionKey"):
            report_violation(
                f"{args.name}: {where} is not set, so artifacts are encrypted with the AWS managed aws/s3 key; {fix}",
                None,
            )
            continue
        key = obj(store["encryptionKey"])
        if key.get("type") != "KMS" or not is_set(key, "id"):
            report_violation(
                f"{args.name}: {where} has type {key.get('type')!r} and "
                f"{'an id' if is_set(key, 'id') else 'no id'}, not a customer KMS key; {fix}",
                None,
            )


codepipeline_artifact_kms = ResourceValidationPolicy(
    name="codepipeline-artifact-kms",
    description=described(
        "CodePipeline artifact stores are encrypted with a customer managed KMS key.", 28, checkov=["CKV_AWS_219"]
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_pipeline_kms,
)


# --- 29. IAM wildcards ---------------------------------------------------------------------------

#: The kinds of wildcard finding; each is one policy's.
ADMIN, SERVICE_WIDE, DECRYPT = "admin", "service-wide", "decrypt"


def _wildcard_findings(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with one statement, each a (kind, "<problem>; <fix>") pair. A statement that is
    admin is only that: its ``*`` is neither also a service wildcard nor also kms:Decrypt."""
    if statement.get("Effect") != "Allow":
        return []
    actions = [a.lower() for a in strings(statement.get("Action"))]
    on_everything = "*" in strings(statement.get("Resource")) or "NotResource" in list(statement)
    if "NotAction" in list(statement):
        return [(ADMIN, "allows every action except those in NotAction; list the actions it needs under Action")]
    if {"*", "*:*"} & set(actions):
        return [(ADMIN, "allows every action (Action *), which is full admin; list the actions it needs")]
    if not on_everything:
        return []
    findings = []
    service_wide = [a for a in actions if a.endswith(":*")]
    if service_wide:
        findings.append(
            (
                SERVICE_WIDE,
                f"allows {', '.join(service_wide)} on Resource *; list the actions it needs and the resources they "
                "act on",
            )
        )
    decrypt = [
        a
        for a in actions
        if a not in service_wide and any(fnmatchcase(x, a) for x in ("kms:decrypt", "kms:reencryptfrom"))
    ]
    if decrypt:
        findings.append(
            (
                DECRYPT,
                f"allows {', '.join(decrypt)} on Resource *, so it can decrypt with every key that trusts the "
                "account; name the key ARNs in Resource",
            )
        )
    return findings


def _admin_arn(arn: Any) -> bool:
    return isinstance(arn, str) and arn.endswith("/AdministratorAccess")


def _check_document(name: str, where: str, text: Any, kind: str, report_violation: ReportViolation) -> None:
    parsed = document(text)
    if parsed is None:
        # A document that is not JSON cannot be judged by any of the three; one of them says so.
        if kind == ADMIN:
            report_violation(f"{name}: {where} is not a JSON policy document; write it as JSON.", None)
        return
    for index, statement in enumerate(statements(parsed)):
        for found, problem in _wildcard_findings(statement):
            if found == kind:
                report_violation(f"{name}: {where} {_label(index, statement)} {problem}.", None)


def _wildcards(kind: str) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """The validation of one kind of wildcard, over every IAM resource that carries a policy document."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        props = args.props
        admin_fix = "attach a policy that grants only the actions the principal needs."
        if args.resource_type in POLICY_DOCUMENTS and is_set(props, "policy"):
            _check_document(args.name, "policy", props["policy"], kind, report_violation)
        elif kind == ADMIN and args.resource_type in ATTACHMENTS and _admin_arn(value(props, "policyArn")):
            report_violation(f"{args.name}: policyArn attaches AdministratorAccess; {admin_fix}", None)
        elif args.resource_type == ROLE:
            for index, inline in enumerate(objects(value(props, "inlinePolicies"))):
                # An entry without a policy ([{}]) only tells the provider to remove unmanaged inline policies.
                if is_set(inline, "policy"):
                    where = f"inlinePolicies[{index}].policy"
                    _check_document(args.name, where, inline["policy"], kind, report_violation)
            if kind == ADMIN:
                for index, arn in enumerate(value(props, "managedPolicyArns") or []):
                    if _admin_arn(arn):
                        report_violation(
                            f"{args.name}: managedPolicyArns[{index}] is AdministratorAccess; {admin_fix}", None
                        )

    return validate


iam_no_admin = ResourceValidationPolicy(
    name="iam-no-admin",
    description=described(
        "IAM policies allow no * action and no NotAction, and AdministratorAccess is never attached.",
        29,
        security_hub=["IAM.1"],
        checkov=["CKV_AWS_62", "CKV_AWS_63", "CKV_AWS_274"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_wildcards(ADMIN),
)

iam_no_service_wildcard = ResourceValidationPolicy(
    name="iam-no-service-wildcard",
    description=described("IAM policies allow no service:* action on every resource.", 29, security_hub=["IAM.21"]),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_wildcards(SERVICE_WIDE),
)

iam_no_kms_decrypt_on_all_keys = ResourceValidationPolicy(
    name="iam-no-kms-decrypt-on-all-keys",
    description=described(
        "IAM policies allow kms:Decrypt and kms:ReEncryptFrom only on named keys, never on every key.",
        29,
        security_hub=["KMS.1", "KMS.2"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_wildcards(DECRYPT),
)


# --- 30. IAM trust -------------------------------------------------------------------------------

#: The kinds of trust finding; each is one policy's.
WILDCARD_PRINCIPAL, ACCOUNT_ROOT_PRINCIPAL, GITHUB_UNPINNED = "wildcard", "account-root", "github"


def _github_conditions(statement: Mapping[str, Any]) -> list[str]:
    """What a GitHub OIDC trust statement lacks: conditions on both sub and aud, sub not a bare wildcard."""
    condition = statement.get("Condition")
    values: dict[str, list[str]] = {}
    for operator in condition.values() if isinstance(condition, Mapping) else []:
        if isinstance(operator, Mapping):
            for key, listed in operator.items():
                values.setdefault(key.lower(), []).extend(strings(listed))
    problems = [
        f"has no condition on {GITHUB_OIDC}:{claim}"
        for claim in ("sub", "aud")
        if f"{GITHUB_OIDC}:{claim}" not in values
    ]
    if any(sub in ("*", "repo:*") for sub in values.get(f"{GITHUB_OIDC}:sub", [])):
        problems.append(f"lets any repository in through {GITHUB_OIDC}:sub")
    return problems


def _trust_findings(statement: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with one trust statement, each a (kind, "<problem>; <fix>") pair."""
    if statement.get("Effect") != "Allow":
        return []
    if "NotPrincipal" in list(statement):
        return [
            (
                WILDCARD_PRINCIPAL,
                "trusts every principal except those in NotPrincipal; name the trusted role ARNs in Principal",
            )
        ]
    principal = statement.get("Principal")
    if principal == "*":
        return [
            (
                WILDCARD_PRINCIPAL,
                "trusts principal *, so anyone may assume the role, whatever its conditions; name the trusted roles",
            )
        ]
    if not isinstance(principal, Mapping):
        return []
    findings = []
    for aws in strings(principal.get("AWS")):
        if aws == "*":
            findings.append(
                (WILDCARD_PRINCIPAL, 'trusts {"AWS": "*"}, so anyone may assume the role; name the trusted role ARNs')
            )
        elif ACCOUNT_ROOT.match(aws):
            findings.append(
                (
                    ACCOUNT_ROOT_PRINCIPAL,
                    f"trusts the account root {aws}, so every principal of that account allowed by its own IAM "
                    "may assume the role; name the trusted role ARN instead",
                )
            )
    for federated in strings(principal.get("Federated")):
        if federated == GITHUB_OIDC or federated.endswith(f":oidc-provider/{GITHUB_OIDC}"):
            findings += [
                (
                    GITHUB_UNPINNED,
                    f"trusts GitHub OIDC but {missing}; add StringEquals conditions on {GITHUB_OIDC}:aud "
                    f'("sts.amazonaws.com") and {GITHUB_OIDC}:sub (the repository and branch or environment)',
                )
                for missing in _github_conditions(statement)
            ]
    return findings


def _trust(kind: str) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    """The validation of one kind of trust finding, over a role's assumeRolePolicy."""

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type != ROLE or not is_set(args.props, "assumeRolePolicy"):
            return
        parsed = document(args.props["assumeRolePolicy"])
        if parsed is None:
            if kind == WILDCARD_PRINCIPAL:  # one of the three says so
                report_violation(
                    f"{args.name}: assumeRolePolicy is not a JSON policy document; write it as JSON.", None
                )
            return
        for index, statement in enumerate(statements(parsed)):
            for found, problem in _trust_findings(statement):
                if found == kind:
                    report_violation(f"{args.name}: assumeRolePolicy {_label(index, statement)} {problem}.", None)

    return validate


iam_trust_no_wildcard_principal = ResourceValidationPolicy(
    name="iam-trust-no-wildcard-principal",
    description=described(
        "Role trust policies trust no * principal and use no NotPrincipal.", 30, checkov=["CKV_AWS_60"]
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_trust(WILDCARD_PRINCIPAL),
)

iam_trust_no_account_root = ResourceValidationPolicy(
    name="iam-trust-no-account-root",
    description=described("Role trust policies name the trusted role ARNs, not an account root.", 30),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_trust(ACCOUNT_ROOT_PRINCIPAL),
)

iam_trust_github_oidc_pinned = ResourceValidationPolicy(
    name="iam-trust-github-oidc-pinned",
    description=described(
        "Role trust of GitHub OIDC pins the token's sub (repository and branch or environment) and aud.",
        30,
        checkov=["CKV_AWS_358"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_trust(GITHUB_UNPINNED),
)


POLICIES = [
    codebuild_not_privileged,
    codebuild_artifacts_kms,
    codebuild_logs,
    codebuild_no_plaintext_secrets,
    codepipeline_artifact_kms,
    iam_no_admin,
    iam_no_service_wildcard,
    iam_no_kms_decrypt_on_all_keys,
    iam_trust_no_wildcard_principal,
    iam_trust_no_account_root,
    iam_trust_github_oidc_pinned,
]
