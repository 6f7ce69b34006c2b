"""Redshift, CodeBuild, the production pipeline, feature groups and the model registry."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import boto3
from botocore.exceptions import ClientError

from contracts import naming
from contracts.config import Settings
from contracts.feature_catalog import load_catalog
from contracts.model_registry import model_registry_policy
from ops.audit.findings import Check, Finding, Rule, error_code, is_customer_key, pages, statements

WAREHOUSE = Rule("redshift-warehouse", guardrail="26", control="")
SERVERLESS_PUBLIC = Rule(
    "redshift-serverless-not-public", guardrail="26", control="redshift-serverless-workgroup-no-public-access"
)
SERVERLESS_SSL = Rule("redshift-serverless-require-ssl", guardrail="26", control="RedshiftServerless.2")
SERVERLESS_VPC_ROUTING = Rule("redshift-serverless-vpc-routing", guardrail="26", control="RedshiftServerless.1")
SERVERLESS_KMS = Rule("redshift-serverless-kms", guardrail="26", control="redshift-serverless-namespace-cmk-encryption")
CLUSTER_PUBLIC = Rule("redshift-cluster-not-public", guardrail="26", control="Redshift.1")
CLUSTER_SSL = Rule("redshift-cluster-require-ssl", guardrail="26", control="Redshift.2")
CLUSTER_VPC_ROUTING = Rule("redshift-cluster-vpc-routing", guardrail="26", control="Redshift.7")
CLUSTER_KMS = Rule("redshift-cluster-kms", guardrail="26", control="Redshift.10")
CODEBUILD_PRIVILEGED = Rule("codebuild-not-privileged", guardrail="27", control="CodeBuild.5")
CODEBUILD_ARTIFACTS = Rule("codebuild-artifacts-kms", guardrail="27", control="")
CODEBUILD_LOGS = Rule("codebuild-logs", guardrail="27", control="CodeBuild.4")
PRODUCTION_APPROVAL = Rule("production-approval", guardrail="", control="")
PIPELINE_ARTIFACTS = Rule("pipeline-artifacts-kms", guardrail="28", control="")
FEATURE_GROUPS = Rule("feature-groups", guardrail="15", control="")
OFFLINE_STORE_KMS = Rule(
    "feature-group-offline-kms", guardrail="15", control="sagemaker-featuregroup-encryption-at-rest"
)
ONLINE_STORE_KMS = Rule(
    "feature-group-online-kms", guardrail="15", control="sagemaker-featuregroup-online-store-encryption"
)
MODEL_REGISTRY_POLICY = Rule("model-registry-policy", guardrail="", control="")


def _key_problem(key: Any, what: str) -> str:
    """Nothing when ``key`` is a customer key; else one line saying what ``what`` is encrypted with."""
    if is_customer_key(key):
        return ""
    if not key:
        return f"{what} not encrypted with a customer key (no KMS key set)"
    return f"{what} encrypted with {key}, not a customer key"


# --- Redshift ----------------------------------------------------------------------------------------


def redshift_serverless(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Every Redshift Serverless workgroup is private, requires SSL and routes through the VPC, and
    every namespace is encrypted with a customer key, as components/warehouse.py sets them; the data
    management account still has the stack's warehouse."""
    client = session.client("redshift-serverless")
    workgroups = pages(client, "list_workgroups", "workgroups")
    namespaces = pages(client, "list_namespaces", "namespaces")
    if settings.role == "datamgmt":
        expected = naming.physical_name(settings.role, "warehouse")
        present = any(w.get("workgroupName") == expected for w in workgroups)
        yield WAREHOUSE(
            expected, present, "present" if present else "missing; expected the stack's Redshift Serverless workgroup"
        )
    for workgroup in workgroups:
        name = str(workgroup.get("workgroupName"))
        public = bool(workgroup.get("publiclyAccessible"))
        yield SERVERLESS_PUBLIC(name, not public, "publicly accessible" if public else "private")
        parameters = {p.get("parameterKey"): p.get("parameterValue") for p in workgroup.get("configParameters", [])}
        ssl = str(parameters.get("require_ssl", "")).lower() == "true"
        yield SERVERLESS_SSL(
            name, ssl, "require_ssl true" if ssl else f"require_ssl {parameters.get('require_ssl', 'unset')}"
        )
        routed = bool(workgroup.get("enhancedVpcRouting"))
        yield SERVERLESS_VPC_ROUTING(name, routed, "enhanced VPC routing on" if routed else "enhanced VPC routing off")
    for namespace in namespaces:
        problem = _key_problem(namespace.get("kmsKeyId"), "namespace")
        yield SERVERLESS_KMS(str(namespace.get("namespaceName")), not problem, problem or "customer key")


def _requires_ssl(redshift: Any, cluster: Mapping[str, Any]) -> tuple[bool, str]:
    """A provisioned cluster requires SSL through its parameter group's require_ssl."""
    groups = cluster.get("ClusterParameterGroups", [])
    if not groups:
        return False, "no parameter group; require_ssl unset"
    group = str(groups[0]["ParameterGroupName"])
    value = "unset"
    for parameter in pages(redshift, "describe_cluster_parameters", "Parameters", ParameterGroupName=group):
        if parameter.get("ParameterName") == "require_ssl":
            value = str(parameter.get("ParameterValue", "unset"))
    ok = value.lower() == "true"
    return ok, f"require_ssl {value} in parameter group {group}"


def redshift_clusters(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Provisioned clusters (the stack deploys none; someone may add one by hand) are private,
    require SSL, route through the VPC and are encrypted with a customer key."""
    redshift = session.client("redshift")
    for cluster in pages(redshift, "describe_clusters", "Clusters"):
        name = str(cluster["ClusterIdentifier"])
        public = bool(cluster.get("PubliclyAccessible"))
        yield CLUSTER_PUBLIC(name, not public, "publicly accessible" if public else "private")
        yield CLUSTER_SSL(name, *_requires_ssl(redshift, cluster))
        routed = bool(cluster.get("EnhancedVpcRouting"))
        yield CLUSTER_VPC_ROUTING(name, routed, "enhanced VPC routing on" if routed else "enhanced VPC routing off")
        if not cluster.get("Encrypted"):
            yield CLUSTER_KMS(name, False, "not encrypted at rest")
        else:
            problem = _key_problem(cluster.get("KmsKeyId"), "cluster")
            yield CLUSTER_KMS(name, not problem, problem or "customer key")


# --- CI/CD (tooling) ----------------------------------------------------------------------------------


def _artifacts_problem(project: Mapping[str, Any]) -> str:
    disabled = [
        str(artifacts.get("artifactIdentifier") or "primary")
        for artifacts in [project.get("artifacts", {}), *project.get("secondaryArtifacts", [])]
        if artifacts.get("encryptionDisabled")
    ]
    if disabled:
        return f"artifact encryption disabled ({', '.join(disabled)})"
    return _key_problem(project.get("encryptionKey"), "artifacts")


def _logs_problem(project: Mapping[str, Any]) -> str:
    logs = project.get("logsConfig", {})
    cloudwatch = logs.get("cloudWatchLogs", {}).get("status") == "ENABLED"
    s3 = logs.get("s3Logs", {})
    if s3.get("status") == "ENABLED" and s3.get("encryptionDisabled"):
        return "S3 logs not encrypted"
    if not cloudwatch and s3.get("status") != "ENABLED":
        return "no build logs (CloudWatch Logs and S3 logs both off)"
    return ""


def codebuild_projects(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Every CodeBuild project runs unprivileged, encrypts its artifacts with a customer key and
    keeps its build logs, as components/ci_cd.py creates them."""
    codebuild = session.client("codebuild")
    names = pages(codebuild, "list_projects", "projects")
    for start in range(0, len(names), 100):
        for project in codebuild.batch_get_projects(names=names[start : start + 100]).get("projects", []):
            name = str(project["name"])
            privileged = bool(project.get("environment", {}).get("privilegedMode"))
            yield CODEBUILD_PRIVILEGED(name, not privileged, "privileged mode on" if privileged else "unprivileged")
            problem = _artifacts_problem(project)
            yield CODEBUILD_ARTIFACTS(name, not problem, problem or "customer key")
            problem = _logs_problem(project)
            yield CODEBUILD_LOGS(name, not problem, problem or "logs on")


def expected_stages(settings: Settings) -> list[str]:
    """The production pipeline's stages in order, as components/ci_cd.py declares them."""
    preprod = [naming.PREPROD_STAGE] if settings.accounts.preprod else []
    return [
        naming.SOURCE_STAGE,
        naming.CHECKS_STAGE,
        *preprod,
        naming.APPROVAL_STAGE,
        naming.PRODUCTION_STAGE,
        naming.TRAINING_STAGE,
    ]


def _is_manual_approval(action: Mapping[str, Any]) -> bool:
    kind = action.get("actionTypeId", {})
    return bool(kind.get("category") == "Approval" and kind.get("provider") == "Manual")


def _approval_problem(stages: Sequence[Mapping[str, Any]], expected: list[str]) -> str:
    names = [str(stage.get("name")) for stage in stages]
    if naming.PRODUCTION_STAGE not in names:
        return f"no {naming.PRODUCTION_STAGE} stage; expected stages {' → '.join(expected)}"
    before = stages[: names.index(naming.PRODUCTION_STAGE)]
    if not any(_is_manual_approval(action) for stage in before for action in stage.get("actions", [])):
        return f"no manual approval before {naming.PRODUCTION_STAGE}"
    if names != expected:
        return f"stages {' → '.join(names)}; expected {' → '.join(expected)}"
    return ""


def production_pipeline(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """The production pipeline still waits for a manual approval before the production feature job,
    its stages in the stack's order."""
    name = naming.physical_name("tooling", naming.PRODUCTION)
    try:
        pipeline = session.client("codepipeline").get_pipeline(name=name)["pipeline"]
    except ClientError as error:
        if error_code(error) != "PipelineNotFoundException":
            raise
        yield PRODUCTION_APPROVAL(name, False, "missing; expected the stack's production pipeline")
        return
    problem = _approval_problem(pipeline.get("stages", []), expected_stages(settings))
    yield PRODUCTION_APPROVAL(name, not problem, problem or f"manual approval before {naming.PRODUCTION_STAGE}")


def pipeline_artifacts(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Every pipeline's artifact stores are encrypted with a customer key (without one, S3's AWS
    managed key)."""
    codepipeline = session.client("codepipeline")
    names = [p["name"] for p in pages(codepipeline, "list_pipelines", "pipelines")]
    for name in names:
        pipeline = codepipeline.get_pipeline(name=name)["pipeline"]
        stores = [pipeline["artifactStore"]] if "artifactStore" in pipeline else []
        stores += list(pipeline.get("artifactStores", {}).values())
        problems = []
        for store in stores:
            where = f"artifact store {store.get('location')}"
            if problem := _key_problem(store.get("encryptionKey", {}).get("id"), where):
                problems.append(problem)
        yield PIPELINE_ARTIFACTS(str(name), not problems, "; ".join(problems) or "customer key")


# --- Feature Store ------------------------------------------------------------------------------------


def _feature_group_findings(group: Mapping[str, Any]) -> Iterator[Finding]:
    name = str(group["FeatureGroupName"])
    offline = group.get("OfflineStoreConfig")
    if offline is not None:
        problem = _key_problem(offline.get("S3StorageConfig", {}).get("KmsKeyId"), "offline store")
        yield OFFLINE_STORE_KMS(name, not problem, problem or "customer key")
    online = group.get("OnlineStoreConfig", {})
    if online.get("EnableOnlineStore"):
        problem = _key_problem(online.get("SecurityConfig", {}).get("KmsKeyId"), "online store")
        yield ONLINE_STORE_KMS(name, not problem, problem or "customer key")


def declared_groups(settings: Settings) -> list[str]:
    """The feature groups the account's stack declares: a team's own, elsewhere the whole catalog."""
    return [spec.name for spec in settings.held_groups(load_catalog(settings.feature_catalog_dir))]


def feature_groups(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """Every feature group the stack declares exists, and encrypts its offline and (where on)
    online store with a customer key, as components/feature_store.py creates them."""
    sagemaker = session.client("sagemaker")
    for name in declared_groups(settings):
        try:
            group = sagemaker.describe_feature_group(FeatureGroupName=name)
        except ClientError as error:
            if error_code(error) not in ("ResourceNotFound", "ResourceNotFoundException"):
                raise
            yield FEATURE_GROUPS(name, False, f"missing; expected the stack's feature group (features/{name}.yaml)")
            continue
        yield FEATURE_GROUPS(name, True, "present")
        yield from _feature_group_findings(group)


def listed_feature_groups(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """The feature groups the stack does not declare (made by hand) are encrypted with a customer
    key too; ``feature_groups`` covers the declared ones."""
    sagemaker = session.client("sagemaker")
    declared = set(declared_groups(settings))
    listed = [
        summary["FeatureGroupName"] for summary in pages(sagemaker, "list_feature_groups", "FeatureGroupSummaries")
    ]
    for name in sorted(set(listed) - declared):
        yield from _feature_group_findings(sagemaker.describe_feature_group(FeatureGroupName=name))


# --- The model registry (tooling) ---------------------------------------------------------------------


def _canonical(value: Any) -> Any:
    """A policy element in one form: a string as a one-item list, lists sorted, keys sorted."""
    if isinstance(value, Mapping):
        return {str(key): _canonical(item) for key, item in sorted(value.items())}
    items = value if isinstance(value, list) else [value]
    return sorted((_canonical(item) if isinstance(item, Mapping) else item for item in items), key=json.dumps)


def _statements_by_form(policy: Any) -> dict[str, str]:
    """Each statement's canonical form (its Sid left out) to its Sid (or its position)."""
    return {
        json.dumps(_canonical({k: v for k, v in statement.items() if k != "Sid"}), sort_keys=True): str(
            statement.get("Sid", f"#{index}")
        )
        for index, statement in enumerate(statements(policy) if isinstance(policy, Mapping) else [])
    }


def model_registry(session: boto3.Session, settings: Settings) -> Iterator[Finding]:
    """The model package group's resource policy admits exactly what the stack declares
    (components/accounts/tooling.py): the target accounts' training roles register versions pending
    approval and read them, nothing more."""
    name = naming.MODEL_PACKAGE_GROUP
    expected = model_registry_policy(
        settings.partition,
        naming.model_package_group_arn(settings.partition, settings.region, settings.account_id),
        settings.cross_account_roles.trainers,
    )
    try:
        text = session.client("sagemaker").get_model_package_group_policy(ModelPackageGroupName=name)["ResourcePolicy"]
    except ClientError as error:
        if error_code(error) not in ("ValidationException", "ResourceNotFound", "ResourceNotFoundException"):
            raise
        yield MODEL_REGISTRY_POLICY(name, False, "no resource policy (or no group); expected the stack's")
        return
    try:
        live = _statements_by_form(json.loads(text))
    except json.JSONDecodeError:
        yield MODEL_REGISTRY_POLICY(name, False, "the resource policy is not JSON")
        return
    wanted = _statements_by_form(expected)
    extra = [sid for form, sid in live.items() if form not in wanted]
    missing = [sid for form, sid in wanted.items() if form not in live]
    problems = [
        *([f"statements not declared by the stack: {', '.join(extra)}"] if extra else []),
        *([f"declared statements missing or changed: {', '.join(missing)}"] if missing else []),
    ]
    yield MODEL_REGISTRY_POLICY(name, not problems, "; ".join(problems) or "as the stack declares")


#: Which checks of this module apply to which account role. Hand-made Redshift is audited everywhere;
#: the stack's own warehouse is data management's.
CHECKS: dict[str, tuple[Check, ...]] = {
    "tooling": (
        codebuild_projects,
        production_pipeline,
        pipeline_artifacts,
        model_registry,
        redshift_serverless,
        redshift_clusters,
    ),
    **{
        role: (feature_groups, listed_feature_groups, redshift_serverless, redshift_clusters)
        for role in ("datasci", "preprod", "datamgmt")
    },
}
