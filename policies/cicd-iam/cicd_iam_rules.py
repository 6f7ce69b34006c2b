"""CI/CD and IAM rules: CodeBuild, CodePipeline artifacts, IAM wildcards and trust, read-only auditors
(guardrails 27-31 of docs/guardrails.md).

One policy per guarded property, so that each can be made advisory or disabled on its own: the old
``codebuild-guardrails`` is four policies, ``iam-no-wildcard-admin`` and ``iam-trust-pinned`` three
each. Where one reading of a document finds problems of several policies (a statement that allows
``*`` is admin, not also a service wildcard), the finding is classified once, by ``_wildcard_findings``
and ``_trust_findings``, and each policy reports its own kind, so no problem is reported twice.

``iam-auditor-read-only`` is a stack policy: a role's inline policies and attachments are separate
resources whose ``role`` is often the role's id, unknown while the role is being created, so they are
joined to their role through property dependencies (``target``), and the role's name, an input known
at preview, says whether it is an auditor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from cicd_iam_helpers import (
    Unknowns,
    by_id,
    described,
    document,
    is_set,
    matches,
    obj,
    objects,
    of_type,
    patterns,
    peek,
    sequence,
    setting,
    statements,
    strings,
    target,
    value,
)
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
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


# --- 31. Read-only auditors ----------------------------------------------------------------------

AUDITOR_READ_ONLY = "iam-auditor-read-only"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY_ATTACHMENT = "aws:iam/policyAttachment:PolicyAttachment"
#: Auditor roles, by role name (searched): the platform's are mlops-<account role>-auditor.
DEFAULT_AUDITOR_ROLES: tuple[str, ...] = ("-auditor$",)
#: An explicitly named read action: no wildcard, and a verb that reads. IAM compares action names
#: without regard to case, and so does this.
READ_ACTION = re.compile(r"^[a-z0-9-]+:(Get|List|Describe|BatchGet)[A-Za-z0-9]*$", re.IGNORECASE)
#: Read actions that return data, secrets or credentials rather than settings (patterns, compared
#: without regard to case): an auditor sees how things are configured, never what they hold.
DATA_READS: tuple[str, ...] = (
    # object, table, record, stream and log contents
    "s3:GetObject*",
    "s3-object-lambda:GetObject*",
    "glacier:GetJobOutput",
    "lakeformation:GetDataAccess",
    "lakeformation:GetTemporaryGlueTableCredentials",
    "lakeformation:GetTemporaryGluePartitionCredentials",
    "lakeformation:GetWorkUnitResults",
    "sagemaker:GetRecord",
    "sagemaker:BatchGetRecord",
    "athena:GetQueryResults*",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:GetRecords",
    "kinesis:GetRecords",
    "logs:GetLogEvents",
    "logs:GetLogRecord",
    "logs:GetQueryResults",
    "ec2:GetConsoleOutput",
    "ec2:GetConsoleScreenshot",
    # source, images and packages
    "codecommit:GetBlob",
    "codecommit:GetFile",
    "codecommit:GetFolder",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "codeartifact:GetPackageVersionAsset",
    "lambda:GetFunction",  # with a link to download the function's code
    # secrets, passwords and credentials
    "secretsmanager:GetSecretValue",
    "secretsmanager:BatchGetSecretValue",
    "ssm:GetParameter*",
    "redshift:GetClusterCredentials*",
    "redshift-serverless:GetCredentials",
    "glue:GetConnection",  # a connection's properties may hold its password
    "glue:GetConnections",
    "ec2:GetPasswordData",
    "ecr:GetAuthorizationToken",
    "codeartifact:GetAuthorizationToken",
    "sts:GetSessionToken",
    "sts:GetFederationToken",
)
_READ_FIX = "name each read action the auditor calls (Get, List, Describe or BatchGet) in Action"


def _returns_data(action: str) -> bool:
    return any(fnmatchcase(action.lower(), pattern.lower()) for pattern in DATA_READS)


def _read_only_findings(statement: Mapping[str, Any]) -> list[str]:
    """What lets one statement do more than read settings, each "<problem>; <fix>"."""
    if statement.get("Effect") != "Allow":
        return []
    if "NotAction" in list(statement):
        return [f"allows every action except those in NotAction; {_READ_FIX}"]
    actions = strings(statement.get("Action"))
    wildcards = [a for a in actions if "*" in a or "?" in a]
    writes = [a for a in actions if a not in wildcards and not READ_ACTION.fullmatch(a)]
    data = [a for a in actions if READ_ACTION.fullmatch(a) and _returns_data(a)]
    findings = []
    if wildcards:
        findings.append(
            f"allows {', '.join(wildcards)}, a wildcard that grants every action it matches, including any AWS "
            f"adds later; {_READ_FIX}"
        )
    if writes:
        findings.append(
            f"allows {', '.join(writes)}, not a Get, List, Describe or BatchGet action, so it can change or use "
            "what it reaches; remove it: an auditor only reads settings"
        )
    if data:
        findings.append(
            f"allows {', '.join(data)}, which returns data, secrets or credentials rather than settings; remove "
            "it: an auditor never reads data"
        )
    return findings


def _role_name(role: PolicyResource) -> str:
    """The name a role has or will have; raises UnknownValueError while it is unknown. Without
    ``name`` the provider names the role from ``namePrefix`` (else the resource's name) and a random
    suffix, so that prefix is what is judged."""
    for key in ("name", "namePrefix"):
        found = value(role.props, key)
        if isinstance(found, str) and found:
            return found
    return role.name


def _known_strings(found: Any) -> list[str]:
    """The known strings of a list value, leaving out unknown entries (for a message only)."""
    known = []
    for index in range(len(sequence(found))):
        try:
            entry = found[index]
        except UnknownValueError:
            continue
        if isinstance(entry, str) and entry:
            known.append(entry)
    return known


def _attached_roles(attachment: PolicyResource, indexed: Mapping[str, PolicyResource]) -> list[PolicyResource | str]:
    """The roles a PolicyAttachment's ``roles`` names: those it depends on (known while their ids are
    not), then its known entries (a role of the stack by name or id, else the name itself). An unknown
    entry is taken for one of the roles it depends on; with none, it cannot be judged (raises)."""
    linked: list[PolicyResource | str] = [
        d for d in attachment.property_dependencies.get("roles", []) if d.resource_type == ROLE
    ]
    try:
        entries = sequence(value(attachment.props, "roles"))
    except UnknownValueError:
        if linked:
            return linked
        raise
    found = list(linked)
    for index in range(len(entries)):
        try:
            entry = entries[index]
        except UnknownValueError:
            if linked:
                continue
            raise
        if isinstance(entry, str) and entry:
            named = indexed.get(entry, entry)
            if named not in found:
                found.append(named)
    return found


def _auditor_read_only(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    key = "auditorRoles"
    auditors = patterns(AUDITOR_READ_ONLY, key, setting(args, key, list(DEFAULT_AUDITOR_ROLES)))
    roles = of_type(args.resources, ROLE)
    indexed = by_id(roles, "id", "name")
    unknowns = Unknowns()
    fix_managed = "grant the auditor's read actions in its inline policy instead"

    def auditor(role: PolicyResource | str | None) -> str | None:
        """The role's name when it is an auditor (a role of the stack, or a role named by a string);
        raises UnknownValueError while the name is unknown: the role cannot be judged."""
        if role is None:
            return None
        name = role if isinstance(role, str) else _role_name(role)
        return name if matches(auditors, name) else None

    def judge(resource: PolicyResource, where: str, text: Any, role: str) -> None:
        parsed = document(text)
        if parsed is None:
            return  # not JSON: iam-no-admin says so, for every IAM policy document
        for index, statement in enumerate(statements(parsed)):
            for problem in _read_only_findings(statement):
                report_violation(
                    f"{resource.name}: {where} {_label(index, statement)} of auditor role {role!r} {problem}.",
                    resource.urn,
                )

    def managed(resource: PolicyResource, what: str, role: str) -> None:
        report_violation(
            f"{resource.name}: {what} to auditor role {role!r}; a managed policy can change outside this stack, "
            f"so the role cannot be judged read-only; detach it and {fix_managed}.",
            resource.urn,
        )

    for role in roles:
        with unknowns:
            name = auditor(role)
            if name is None:
                continue
            with unknowns:
                for index, inline in enumerate(objects(value(role.props, "inlinePolicies"))):
                    # An entry without a policy ([{}]) only removes inline policies made outside the stack.
                    if is_set(inline, "policy"):
                        with unknowns:
                            judge(role, f"inlinePolicies[{index}].policy", inline["policy"], name)
            if is_set(role.props, "managedPolicyArns"):
                arns = peek(role.props, "managedPolicyArns")
                listed = ", ".join(_known_strings(arns)) or "managed policies"
                managed(role, f"managedPolicyArns attaches {listed}", name)
    for policy in of_type(args.resources, ROLE_POLICY):
        with unknowns:
            name = auditor(target(policy, "role", (ROLE,), indexed))
            if name is not None:
                judge(policy, "policy", value(policy.props, "policy"), name)
    for attachment in of_type(args.resources, ROLE_POLICY_ATTACHMENT, POLICY_ATTACHMENT):
        with unknowns:
            attached: list[PolicyResource | str | None] = (
                [target(attachment, "role", (ROLE,), indexed)]
                if attachment.resource_type == ROLE_POLICY_ATTACHMENT
                else [*_attached_roles(attachment, indexed)]
            )
            arn = peek(attachment.props, "policyArn")
            what = f"policyArn attaches {arn}" if isinstance(arn, str) else "policyArn attaches a managed policy"
            for attached_role in attached:
                with unknowns:
                    name = auditor(attached_role)
                    if name is not None:
                        managed(attachment, what, name)
    unknowns.reraise()


iam_auditor_read_only = StackValidationPolicy(
    name=AUDITOR_READ_ONLY,
    description=described(
        "Auditor roles (configured by name) hold only explicitly named read actions (Get, List, Describe, "
        "BatchGet), none that returns data, and no managed policy.",
        31,
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_auditor_read_only,
    config_schema=PolicyConfigSchema(
        properties={
            "auditorRoles": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Regular expressions (searched) for the names of the auditor roles, which may "
                "only read settings.",
                "default": list(DEFAULT_AUDITOR_ROLES),
            }
        }
    ),
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
    iam_auditor_read_only,
]
