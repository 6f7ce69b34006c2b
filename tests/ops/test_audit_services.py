"""The service checks alone (``ops.audit.services``): Redshift, CodeBuild, the production pipeline,
feature groups and the model registry. Against moto where it has the API; where it lacks one (or a
part of one), a ``botocore.stub.Stubber`` answers with the response shape of botocore's service model,
and the test says why. A compliant twin is what components/ declares."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Callable, Iterable
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components.ci_cd import BUILD_IMAGE
from components.warehouse import WORKGROUP_PARAMETERS
from contracts import naming
from contracts.config import Settings
from contracts.model_registry import model_registry_policy
from offline.engine import StackPreview
from ops.__main__ import _settings
from ops.audit import services
from ops.audit.findings import Finding
from tests.conftest import ROOT, one
from tests.ops.conftest import REGION, in_account

TOOLING = "111111111111"
DATAMGMT = "333333333333"
KEY = f"arn:aws:kms:{REGION}:{TOOLING}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DATA_KEY = f"arn:aws:kms:{REGION}:{DATAMGMT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


class StubbedSession:
    """A session whose named clients answer from a Stubber (the others are the real session's)."""

    def __init__(self, base: Any, stubbed: dict[str, tuple[Any, Stubber]]) -> None:
        self._base: Any = base
        self._stubbed = stubbed

    def client(self, name: str, **kwargs: Any) -> Any:
        return self._stubbed[name][0] if name in self._stubbed else self._base.client(name, **kwargs)

    def verify(self) -> None:
        """Every stubbed response was asked for."""
        for _, stubber in self._stubbed.values():
            stubber.assert_no_pending_responses()


def stubbed(base: Any, service: str, calls: Iterable[tuple[str, dict[str, Any], dict[str, Any]]]) -> Any:
    """A session whose ``service`` client answers ``calls`` (operation, response, expected params) in order."""
    client = base.client(service, region_name=REGION)
    stubber = Stubber(client)
    for operation, response, params in calls:
        stubber.add_response(operation, response, params)
    stubber.activate()
    return StubbedSession(base, {service: (client, stubber)})


def stubbed_error(base: Any, service: str, operation: str, code: str, params: dict[str, Any]) -> Any:
    client = base.client(service, region_name=REGION)
    stubber = Stubber(client)
    stubber.add_client_error(operation, service_error_code=code, http_status_code=400, expected_params=params)
    stubber.activate()
    return StubbedSession(base, {service: (client, stubber)})


def only(findings: Iterable[Finding], check: str, resource: str) -> Finding:
    (found,) = [f for f in findings if f.check == check and f.resource == resource]
    return found


@pytest.fixture(scope="module")
def datamgmt() -> Settings:
    return _settings(ROOT, "datamgmt")


@pytest.fixture(scope="module")
def tooling() -> Settings:
    return _settings(ROOT, "tooling", ("tooling",))


@pytest.fixture
def tooling_account(aws: boto3.Session) -> boto3.Session:
    return in_account(aws, TOOLING)


# --- Redshift Serverless, stubbed --------------------------------------------------------------------

WAREHOUSE = "mlops-datamgmt-warehouse"


def workgroup(**changes: Any) -> dict[str, Any]:
    """The stack's workgroup as ListWorkgroups returns it (components/warehouse.py)."""
    return {
        "workgroupName": WAREHOUSE,
        "workgroupArn": f"arn:aws:redshift-serverless:{REGION}:{DATAMGMT}:workgroup/0b1c2d3e",
        "namespaceName": WAREHOUSE,
        "baseCapacity": 8,
        "publiclyAccessible": False,
        "enhancedVpcRouting": True,
        "status": "AVAILABLE",
        "configParameters": [{"parameterKey": k, "parameterValue": v} for k, v in WORKGROUP_PARAMETERS.items()],
        **changes,
    }


def namespace(**changes: Any) -> dict[str, Any]:
    return {
        "namespaceName": WAREHOUSE,
        "namespaceArn": f"arn:aws:redshift-serverless:{REGION}:{DATAMGMT}:namespace/4f5e6d7c",
        "kmsKeyId": DATA_KEY,
        "status": "AVAILABLE",
        **changes,
    }


def serverless(aws: boto3.Session, workgroups: list[dict[str, Any]], namespaces: list[dict[str, Any]]) -> Any:
    """Stubbed: moto has no redshift-serverless backend (its server answers 500, "Unable to find
    appropriate backend for redshift-serverless")."""
    return stubbed(
        aws,
        "redshift-serverless",
        [("list_workgroups", {"workgroups": workgroups}, {}), ("list_namespaces", {"namespaces": namespaces}, {})],
    )


def _without_ssl() -> dict[str, Any]:
    parameters = {**WORKGROUP_PARAMETERS, "require_ssl": "false"}
    return workgroup(configParameters=[{"parameterKey": k, "parameterValue": v} for k, v in parameters.items()])


SERVERLESS_DRIFTS: list[tuple[str, list[dict[str, Any]], list[dict[str, Any]], str, str, str]] = [
    (
        "publicly accessible",
        [workgroup(publiclyAccessible=True)],
        [namespace()],
        "redshift-serverless-not-public",
        WAREHOUSE,
        "publicly accessible",
    ),
    (
        "require_ssl false",
        [_without_ssl()],
        [namespace()],
        "redshift-serverless-require-ssl",
        WAREHOUSE,
        "require_ssl false",
    ),
    (
        "require_ssl dropped",
        [workgroup(configParameters=[{"parameterKey": "auto_mv", "parameterValue": "true"}])],
        [namespace()],
        "redshift-serverless-require-ssl",
        WAREHOUSE,
        "require_ssl unset",
    ),
    (
        "enhanced VPC routing off",
        [workgroup(enhancedVpcRouting=False)],
        [namespace()],
        "redshift-serverless-vpc-routing",
        WAREHOUSE,
        "enhanced VPC routing off",
    ),
    (
        "namespace on the AWS owned key",
        [workgroup()],
        [namespace(kmsKeyId="AWS_OWNED_KMS_KEY")],
        "redshift-serverless-kms",
        WAREHOUSE,
        "namespace encrypted with AWS_OWNED_KMS_KEY, not a customer key",
    ),
    (
        "the stack's warehouse gone",
        [workgroup(workgroupName="by-hand", namespaceName="by-hand")],
        [namespace(namespaceName="by-hand")],
        "redshift-warehouse",
        WAREHOUSE,
        "missing; expected the stack's Redshift Serverless workgroup",
    ),
]


@pytest.mark.parametrize(
    ("what", "workgroups", "namespaces", "check", "resource", "detail"),
    SERVERLESS_DRIFTS,
    ids=[d[0] for d in SERVERLESS_DRIFTS],
)
def test_each_serverless_drift_is_caught(
    aws: boto3.Session,
    datamgmt: Settings,
    what: str,
    workgroups: list[dict[str, Any]],
    namespaces: list[dict[str, Any]],
    check: str,
    resource: str,
    detail: str,
) -> None:
    session = serverless(aws, workgroups, namespaces)
    findings = list(services.redshift_serverless(session, datamgmt))
    finding = only(findings, check, resource)
    assert (finding.ok, finding.detail) == (False, detail)
    assert [f for f in findings if not f.ok] == [finding]
    session.verify()


def test_the_stacks_warehouse_passes(aws: boto3.Session, datamgmt: Settings) -> None:
    """The twin, stubbed as above: the workgroup and namespace components/warehouse.py declares."""
    session = serverless(aws, [workgroup()], [namespace()])
    findings = list(services.redshift_serverless(session, datamgmt))
    assert [(f.check, f.ok, f.guardrail, f.control) for f in findings] == [
        ("redshift-warehouse", True, "26", ""),
        ("redshift-serverless-not-public", True, "26", "redshift-serverless-workgroup-no-public-access"),
        ("redshift-serverless-require-ssl", True, "26", "RedshiftServerless.2"),
        ("redshift-serverless-vpc-routing", True, "26", "RedshiftServerless.1"),
        ("redshift-serverless-kms", True, "26", "redshift-serverless-namespace-cmk-encryption"),
    ]


# --- provisioned Redshift, against moto -------------------------------------------------------------


def _cluster(account: boto3.Session, **changes: Any) -> str:
    """A cluster kept to guardrail 26 as far as moto can: private, routed through the VPC, encrypted
    with a customer key."""
    key = str(account.client("kms").create_key()["KeyMetadata"]["Arn"])
    parameters = {
        "ClusterIdentifier": "by-hand",
        "NodeType": "ra3.xlplus",
        "MasterUsername": "admin",
        "MasterUserPassword": "Password123",
        "PubliclyAccessible": False,
        "Encrypted": True,
        "KmsKeyId": key,
        "EnhancedVpcRouting": True,
        **changes,
    }
    account.client("redshift").create_cluster(**{k: v for k, v in parameters.items() if v is not None})
    return key


@pytest.mark.parametrize(
    ("changes", "check", "detail"),
    [
        ({"PubliclyAccessible": True}, "redshift-cluster-not-public", "publicly accessible"),
        ({"EnhancedVpcRouting": False}, "redshift-cluster-vpc-routing", "enhanced VPC routing off"),
        ({"Encrypted": False, "KmsKeyId": None}, "redshift-cluster-kms", "not encrypted at rest"),
    ],
    ids=["public", "no VPC routing", "unencrypted"],
)
def test_each_cluster_drift_is_caught(
    aws: boto3.Session, datamgmt: Settings, changes: dict[str, Any], check: str, detail: str
) -> None:
    account = in_account(aws, DATAMGMT)
    _cluster(account, **changes)
    findings = list(services.redshift_clusters(account, datamgmt))
    finding = only(findings, check, "by-hand")
    assert (finding.ok, finding.detail) == (False, detail)


def test_a_cluster_on_the_default_parameter_group_does_not_require_ssl(aws: boto3.Session, datamgmt: Settings) -> None:
    account = in_account(aws, DATAMGMT)
    _cluster(account)
    findings = list(services.redshift_clusters(account, datamgmt))
    finding = only(findings, "redshift-cluster-require-ssl", "by-hand")
    assert (finding.ok, finding.detail) == (False, "require_ssl false in parameter group default.redshift-1.0")
    # The twin of the other three: moto keeps them as created.
    assert [(f.check, f.ok) for f in findings if f.check != "redshift-cluster-require-ssl"] == [
        ("redshift-cluster-not-public", True),
        ("redshift-cluster-vpc-routing", True),
        ("redshift-cluster-kms", True),
    ]


def test_a_cluster_whose_parameter_group_requires_ssl_passes(aws: boto3.Session, datamgmt: Settings) -> None:
    """Stubbed: moto has no ModifyClusterParameterGroup, and its DescribeClusterParameters always
    answers the engine defaults (require_ssl false), so a group requiring SSL cannot be built."""
    cluster = {
        "ClusterIdentifier": "by-hand",
        "PubliclyAccessible": False,
        "Encrypted": True,
        "KmsKeyId": DATA_KEY,
        "EnhancedVpcRouting": True,
        "ClusterParameterGroups": [{"ParameterGroupName": "ssl-only", "ParameterApplyStatus": "in-sync"}],
    }
    session = stubbed(
        aws,
        "redshift",
        [
            ("describe_clusters", {"Clusters": [cluster]}, {}),
            (
                "describe_cluster_parameters",
                {"Parameters": [{"ParameterName": "require_ssl", "ParameterValue": "true", "Source": "user"}]},
                {"ParameterGroupName": "ssl-only"},
            ),
        ],
    )
    findings = list(services.redshift_clusters(session, datamgmt))
    assert [(f.check, f.ok, f.control) for f in findings] == [
        ("redshift-cluster-not-public", True, "Redshift.1"),
        ("redshift-cluster-require-ssl", True, "Redshift.2"),
        ("redshift-cluster-vpc-routing", True, "Redshift.7"),
        ("redshift-cluster-kms", True, "Redshift.10"),
    ]
    assert (
        only(findings, "redshift-cluster-require-ssl", "by-hand").detail
        == "require_ssl true in parameter group ssl-only"
    )
    session.verify()


# --- CodeBuild --------------------------------------------------------------------------------------

PROJECT = "mlops-tooling-checks"


def project(**changes: Any) -> dict[str, Any]:
    """A project as components/ci_cd.py creates it (CreateProject's parameters; the locations only
    because moto's CreateProject refuses a source or artifacts without one)."""
    return {
        "name": PROJECT,
        "source": {"type": "CODEPIPELINE", "buildspec": "buildspecs/checks.yml", "location": "pipeline"},
        "artifacts": {"type": "CODEPIPELINE", "location": "pipeline"},
        "environment": {
            "type": "LINUX_CONTAINER",
            "computeType": "BUILD_GENERAL1_MEDIUM",
            "image": BUILD_IMAGE,
            "imagePullCredentialsType": "CODEBUILD",
            "privilegedMode": False,
        },
        "serviceRole": f"arn:aws:iam::{TOOLING}:role/mlops/mlops-tooling-checks-build",
        "encryptionKey": KEY,
        "logsConfig": {"cloudWatchLogs": {"status": "ENABLED", "groupName": f"/aws/codebuild/{PROJECT}"}},
        **changes,
    }


CODEBUILD_DRIFTS: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "privileged",
        {"environment": {**project()["environment"], "privilegedMode": True}},
        "codebuild-not-privileged",
        "privileged mode on",
    ),
    (
        "logs off",
        {"logsConfig": {"cloudWatchLogs": {"status": "DISABLED"}, "s3Logs": {"status": "DISABLED"}}},
        "codebuild-logs",
        "no build logs (CloudWatch Logs and S3 logs both off)",
    ),
    (
        "S3 logs unencrypted",
        {
            "logsConfig": {
                "cloudWatchLogs": {"status": "DISABLED"},
                "s3Logs": {"status": "ENABLED", "location": "bucket/logs", "encryptionDisabled": True},
            }
        },
        "codebuild-logs",
        "S3 logs not encrypted",
    ),
    (
        "artifact encryption disabled",
        {"artifacts": {"type": "S3", "location": "bucket", "encryptionDisabled": True}},
        "codebuild-artifacts-kms",
        "artifact encryption disabled (primary)",
    ),
]


@pytest.mark.parametrize(("what", "changes", "check", "detail"), CODEBUILD_DRIFTS, ids=[d[0] for d in CODEBUILD_DRIFTS])
def test_each_codebuild_drift_is_caught(
    tooling_account: boto3.Session, tooling: Settings, what: str, changes: dict[str, Any], check: str, detail: str
) -> None:
    tooling_account.client("codebuild").create_project(**project(**changes))
    finding = only(services.codebuild_projects(tooling_account, tooling), check, PROJECT)
    assert (finding.ok, finding.detail) == (False, detail)


def test_the_default_artifact_key_is_drift(tooling_account: boto3.Session, tooling: Settings) -> None:
    """A project left on CodeBuild's default key (the AWS managed aws/s3): what moto reports for
    every project, whatever key it was created with."""
    tooling_account.client("codebuild").create_project(**project(encryptionKey="alias/aws/s3"))
    finding = only(services.codebuild_projects(tooling_account, tooling), "codebuild-artifacts-kms", PROJECT)
    assert finding.ok is False
    assert finding.detail == f"artifacts encrypted with arn:aws:kms:{REGION}:{TOOLING}:alias/aws/s3, not a customer key"


def test_the_stacks_project_runs_unprivileged_with_logs(tooling_account: boto3.Session, tooling: Settings) -> None:
    """The twin of privileged mode and logs, in moto."""
    tooling_account.client("codebuild").create_project(**project())
    findings = list(services.codebuild_projects(tooling_account, tooling))
    assert only(findings, "codebuild-not-privileged", PROJECT).ok
    assert only(findings, "codebuild-logs", PROJECT).ok


def test_the_stacks_project_encrypts_artifacts_with_the_customer_key(
    tooling_account: boto3.Session, tooling: Settings
) -> None:
    """The twin of the artifact key, stubbed: moto's CreateProject drops encryptionKey and always
    reports the AWS managed alias/aws/s3."""
    created = project()
    described = {
        **{k: v for k, v in created.items() if k != "encryptionKey"},
        "arn": f"arn:aws:codebuild:{REGION}:{TOOLING}:project/{PROJECT}",
        "encryptionKey": KEY,
    }
    session = stubbed(
        tooling_account,
        "codebuild",
        [
            ("list_projects", {"projects": [PROJECT]}, {}),
            ("batch_get_projects", {"projects": [described]}, {"names": [PROJECT]}),
        ],
    )
    findings = list(services.codebuild_projects(session, tooling))
    assert [(f.check, f.ok, f.detail) for f in findings] == [
        ("codebuild-not-privileged", True, "unprivileged"),
        ("codebuild-artifacts-kms", True, "customer key"),
        ("codebuild-logs", True, "logs on"),
    ]
    session.verify()


# --- the production pipeline, against moto ---------------------------------------------------------

PIPELINE = "mlops-tooling-production"


@pytest.fixture(scope="module")
def declared(stack: Callable[[str], StackPreview]) -> dict[str, Any]:
    """The production pipeline as the synthesized tooling stack declares it."""
    (record,) = [
        r
        for r in stack("tooling").result.resources
        if r.type == "aws:codepipeline/pipeline:Pipeline" and r.inputs["name"] == PIPELINE
    ]
    return record.inputs


def api_stage(stage: dict[str, Any]) -> dict[str, Any]:
    """A stage of the Pulumi declaration in CreatePipeline's shape."""
    return {
        "name": stage["name"],
        "actions": [
            {
                "name": action["name"],
                "actionTypeId": {k: action[k] for k in ("category", "owner", "provider", "version")},
                "configuration": action.get("configuration", {}),
                "inputArtifacts": [{"name": n} for n in action.get("inputArtifacts", [])],
                "outputArtifacts": [{"name": n} for n in action.get("outputArtifacts", [])],
            }
            for action in stage["actions"]
        ],
    }


def create_pipeline(
    account: boto3.Session, stages: list[dict[str, Any]], key: str | None = KEY, name: str = PIPELINE
) -> None:
    iam = account.client("iam")
    trust = {
        "Version": "2012-10-17",
        # moto reads the trusted service as one string, not a list.
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    with contextlib.suppress(iam.exceptions.EntityAlreadyExistsException):
        iam.create_role(RoleName="mlops-tooling-ci", Path="/mlops/", AssumeRolePolicyDocument=json.dumps(trust))
    store: dict[str, Any] = {"type": "S3", "location": "mlops-tooling-artifacts"}
    if key:
        store["encryptionKey"] = {"id": key, "type": "KMS"}
    account.client("codepipeline").create_pipeline(
        pipeline={
            "name": name,
            "roleArn": f"arn:aws:iam::{TOOLING}:role/mlops/mlops-tooling-ci",
            "artifactStore": store,
            "stages": stages,
            "pipelineType": "V2",
        }
    )


def _stages(declared: dict[str, Any]) -> list[dict[str, Any]]:
    return [api_stage(stage) for stage in declared["stages"]]


def _approval_after_production(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    names = [s["name"] for s in stages]
    approval = stages.pop(names.index("Approval"))
    stages.insert(names.index("ProductionFeatureJob"), approval)
    return stages


def _approval_removed(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s for s in stages if s["name"] != "Approval"]


def _approval_emptied(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The Approval stage keeps its name but runs a build instead of waiting for the leads."""
    checks = next(s for s in stages if s["name"] == "Checks")
    return [{**checks, "name": "Approval"} if s["name"] == "Approval" else s for s in stages]


def _extra_stage(stages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    training = next(s for s in stages if s["name"] == "Training")
    return [*stages, {**training, "name": "Deploy"}]


APPROVAL_DRIFTS: list[tuple[str, Callable[[list[dict[str, Any]]], list[dict[str, Any]]], str]] = [
    ("approval moved after production", _approval_after_production, "no manual approval before ProductionFeatureJob"),
    ("approval stage deleted", _approval_removed, "no manual approval before ProductionFeatureJob"),
    ("approval action replaced", _approval_emptied, "no manual approval before ProductionFeatureJob"),
    (
        "a stage added",
        _extra_stage,
        "stages Source → Checks → Approval → ProductionFeatureJob → Training → Deploy; "
        "expected Source → Checks → Approval → ProductionFeatureJob → Training",
    ),
]


@pytest.mark.parametrize(("what", "change", "detail"), APPROVAL_DRIFTS, ids=[d[0] for d in APPROVAL_DRIFTS])
def test_each_approval_drift_is_caught(
    tooling_account: boto3.Session,
    tooling: Settings,
    declared: dict[str, Any],
    what: str,
    change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    detail: str,
) -> None:
    create_pipeline(tooling_account, change(_stages(declared)))
    (finding,) = services.production_pipeline(tooling_account, tooling)
    assert (finding.check, finding.resource, finding.ok, finding.detail) == (
        "production-approval",
        PIPELINE,
        False,
        detail,
    )


def test_a_missing_production_pipeline_is_drift(tooling_account: boto3.Session, tooling: Settings) -> None:
    (finding,) = services.production_pipeline(tooling_account, tooling)
    assert (finding.ok, finding.detail) == (False, "missing; expected the stack's production pipeline")


def test_the_stacks_production_pipeline_passes(
    tooling_account: boto3.Session, tooling: Settings, declared: dict[str, Any]
) -> None:
    """The twin: the stages and artifact store of the synthesized tooling stack."""
    assert [store["encryptionKey"]["type"] for store in declared["artifactStores"]] == ["KMS"]
    create_pipeline(tooling_account, _stages(declared))
    (finding,) = services.production_pipeline(tooling_account, tooling)
    assert (finding.ok, finding.detail) == (True, "manual approval before ProductionFeatureJob")
    (stored,) = services.pipeline_artifacts(tooling_account, tooling)
    assert (stored.check, stored.resource, stored.ok, stored.guardrail) == (
        "pipeline-artifacts-kms",
        PIPELINE,
        True,
        "28",
    )


def test_with_preprod_the_approval_follows_its_feature_job(
    tooling_account: boto3.Session, tooling: Settings, declared: dict[str, Any]
) -> None:
    """With a pre-production account the stack puts PreprodFeatureJob between Checks and Approval
    (components/ci_cd.py); without it there, the order is drift."""
    with_preprod = dataclasses.replace(tooling, accounts=dataclasses.replace(tooling.accounts, preprod="444444444444"))
    assert services.expected_stages(with_preprod) == [
        "Source",
        "Checks",
        "PreprodFeatureJob",
        "Approval",
        "ProductionFeatureJob",
        "Training",
    ]
    stages = _stages(declared)
    create_pipeline(tooling_account, stages)
    (finding,) = services.production_pipeline(tooling_account, with_preprod)
    assert (finding.ok, finding.detail) == (
        False,
        "stages Source → Checks → Approval → ProductionFeatureJob → Training; "
        "expected Source → Checks → PreprodFeatureJob → Approval → ProductionFeatureJob → Training",
    )
    # The stack's pipeline with pre-production: a feature job there between Checks and Approval.
    checks = next(s for s in stages if s["name"] == "Checks")
    tooling_account.client("codepipeline").delete_pipeline(name=PIPELINE)
    create_pipeline(tooling_account, [*stages[:2], {**checks, "name": "PreprodFeatureJob"}, *stages[2:]])
    (finding,) = services.production_pipeline(tooling_account, with_preprod)
    assert (finding.ok, finding.detail) == (True, "manual approval before ProductionFeatureJob")


@pytest.mark.parametrize(
    ("key", "detail"),
    [
        (None, "artifact store mlops-tooling-artifacts not encrypted with a customer key (no KMS key set)"),
        ("alias/aws/s3", "artifact store mlops-tooling-artifacts encrypted with alias/aws/s3, not a customer key"),
    ],
    ids=["no key", "AWS managed key"],
)
def test_an_artifact_store_without_a_customer_key_is_drift(
    tooling_account: boto3.Session, tooling: Settings, declared: dict[str, Any], key: str | None, detail: str
) -> None:
    create_pipeline(tooling_account, _stages(declared), key=key, name="mlops-tooling-feature-branches")
    (finding,) = services.pipeline_artifacts(tooling_account, tooling)
    assert (finding.check, finding.resource, finding.ok, finding.detail) == (
        "pipeline-artifacts-kms",
        "mlops-tooling-feature-branches",
        False,
        detail,
    )


# --- feature groups -----------------------------------------------------------------------------------

GROUP = "customer-churn"


def create_group(account: boto3.Session, name: str = GROUP, key: str | None = DATA_KEY) -> None:
    """A feature group as components/feature_store.py creates it, as far as moto keeps it (the offline
    store; moto drops OnlineStoreConfig)."""
    storage: dict[str, Any] = {"S3Uri": "s3://mlops-datamgmt-features-333333333333-eu-west-1/offline-store"}
    if key:
        storage["KmsKeyId"] = key
    account.client("sagemaker").create_feature_group(
        FeatureGroupName=name,
        RecordIdentifierFeatureName="customer_id",
        EventTimeFeatureName="event_time",
        FeatureDefinitions=[
            {"FeatureName": "customer_id", "FeatureType": "String"},
            {"FeatureName": "event_time", "FeatureType": "String"},
        ],
        OfflineStoreConfig={"S3StorageConfig": storage, "TableFormat": "Iceberg"},
        OnlineStoreConfig={"EnableOnlineStore": True, "SecurityConfig": {"KmsKeyId": DATA_KEY}},
        RoleArn=f"arn:aws:iam::{DATAMGMT}:role/mlops/mlops-datamgmt-feature-store",
    )


def test_the_declared_groups_are_the_catalogs(datamgmt: Settings) -> None:
    assert services.declared_groups(datamgmt) == [GROUP]


def test_a_declared_group_that_is_gone_is_drift(aws: boto3.Session, datamgmt: Settings) -> None:
    """Stubbed: moto's DescribeFeatureGroup fails with a 500 (a KeyError) for a group it does not
    hold, where SageMaker answers ResourceNotFound."""
    session = stubbed_error(aws, "sagemaker", "describe_feature_group", "ResourceNotFound", {"FeatureGroupName": GROUP})
    (finding,) = services.feature_groups(session, datamgmt)
    session.verify()
    assert (finding.check, finding.resource, finding.ok, finding.detail) == (
        "feature-groups",
        GROUP,
        False,
        f"missing; expected the stack's feature group (features/{GROUP}.yaml)",
    )


@pytest.mark.parametrize(
    ("key", "detail"),
    [
        (None, "offline store not encrypted with a customer key (no KMS key set)"),
        ("alias/aws/sagemaker", "offline store encrypted with alias/aws/sagemaker, not a customer key"),
    ],
    ids=["no key", "AWS managed key"],
)
def test_an_offline_store_without_a_customer_key_is_drift(
    aws: boto3.Session, datamgmt: Settings, key: str | None, detail: str
) -> None:
    account = in_account(aws, DATAMGMT)
    create_group(account, key=key)
    findings = list(services.feature_groups(account, datamgmt))
    finding = only(findings, "feature-group-offline-kms", GROUP)
    assert (finding.ok, finding.detail, finding.guardrail) == (False, detail, "15")
    assert only(findings, "feature-groups", GROUP).ok


def test_the_stacks_offline_store_passes(aws: boto3.Session, datamgmt: Settings) -> None:
    """The twin, in moto: the group exists and its offline store uses the account key."""
    account = in_account(aws, DATAMGMT)
    create_group(account)
    findings = list(services.feature_groups(account, datamgmt))
    assert [(f.check, f.ok) for f in findings] == [("feature-groups", True), ("feature-group-offline-kms", True)]


def described_group(name: str, online_key: str | None) -> dict[str, Any]:
    """DescribeFeatureGroup's answer for a group as components/feature_store.py declares it."""
    online: dict[str, Any] = {"EnableOnlineStore": True}
    if online_key:
        online["SecurityConfig"] = {"KmsKeyId": online_key}
    return {
        "FeatureGroupArn": f"arn:aws:sagemaker:{REGION}:{DATAMGMT}:feature-group/{name}",
        "FeatureGroupName": name,
        "RecordIdentifierFeatureName": "customer_id",
        "EventTimeFeatureName": "event_time",
        "FeatureDefinitions": [{"FeatureName": "customer_id", "FeatureType": "String"}],
        "CreationTime": "2026-01-01T00:00:00Z",
        "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": "s3://b/offline-store", "KmsKeyId": DATA_KEY}},
        "OnlineStoreConfig": online,
        "NextToken": "",
    }


@pytest.mark.parametrize(
    ("online_key", "ok", "detail"),
    [
        (DATA_KEY, True, "customer key"),
        (None, False, "online store not encrypted with a customer key (no KMS key set)"),
    ],
    ids=["customer key (twin)", "no key"],
)
def test_the_online_store_key(
    aws: boto3.Session, datamgmt: Settings, online_key: str | None, ok: bool, detail: str
) -> None:
    """Stubbed: moto's CreateFeatureGroup drops OnlineStoreConfig, so its DescribeFeatureGroup never
    reports an online store."""
    session = stubbed(
        aws,
        "sagemaker",
        [("describe_feature_group", described_group(GROUP, online_key), {"FeatureGroupName": GROUP})],
    )
    finding = only(services.feature_groups(session, datamgmt), "feature-group-online-kms", GROUP)
    assert (finding.ok, finding.detail, finding.control) == (
        ok,
        detail,
        "sagemaker-featuregroup-online-store-encryption",
    )
    session.verify()


def test_groups_made_by_hand_are_listed_and_judged(aws: boto3.Session, datamgmt: Settings) -> None:
    """Stubbed: moto has no ListFeatureGroups. A group the stack does not declare is described and
    judged; the declared one is left to ``feature_groups``."""
    summaries = [
        {
            "FeatureGroupName": name,
            "FeatureGroupArn": f"arn:aws:sagemaker:{REGION}:{DATAMGMT}:feature-group/{name}",
            "CreationTime": "2026-01-01T00:00:00Z",
        }
        for name in (GROUP, "scratch")
    ]
    session = stubbed(
        aws,
        "sagemaker",
        [
            ("list_feature_groups", {"FeatureGroupSummaries": summaries}, {}),
            ("describe_feature_group", described_group("scratch", None), {"FeatureGroupName": "scratch"}),
        ],
    )
    findings = list(services.listed_feature_groups(session, datamgmt))
    assert [(f.check, f.resource, f.ok) for f in findings] == [
        ("feature-group-offline-kms", "scratch", True),
        ("feature-group-online-kms", "scratch", False),
    ]
    session.verify()


# --- the model registry, stubbed ----------------------------------------------------------------------


def test_the_audit_expects_the_policy_the_stack_declares(
    stack: Callable[[str], StackPreview], tooling: Settings
) -> None:
    """contracts/model_registry.py, which the program and ``ops`` both use, makes the document the
    tooling stack declares."""
    declared = json.loads(
        one(stack("tooling"), "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy").inputs["resourcePolicy"]
    )
    group = naming.model_package_group_arn("aws", REGION, TOOLING)
    trainers = tooling.cross_account_roles.trainers
    assert model_registry_policy("aws", group, trainers) == declared


def _declared(tooling: Settings) -> dict[str, Any]:
    group = naming.model_package_group_arn("aws", REGION, TOOLING)
    return model_registry_policy("aws", group, tooling.cross_account_roles.trainers)


def _registry(aws: boto3.Session, policy: dict[str, Any] | None) -> Any:
    """Stubbed: moto has no GetModelPackageGroupPolicy (its server answers 500, not implemented)."""
    params = {"ModelPackageGroupName": naming.MODEL_PACKAGE_GROUP}
    if policy is None:
        return stubbed_error(aws, "sagemaker", "get_model_package_group_policy", "ValidationException", params)
    return stubbed(
        aws, "sagemaker", [("get_model_package_group_policy", {"ResourcePolicy": json.dumps(policy)}, params)]
    )


def _reordered(policy: dict[str, Any]) -> dict[str, Any]:
    """The same document as AWS may give it back: statements and lists in another order, a
    one-item list as a string."""
    statements = []
    for statement in reversed(policy["Statement"]):
        actions = statement["Action"]
        statements.append({**statement, "Action": list(reversed(actions)) if isinstance(actions, list) else [actions]})
    return {**policy, "Statement": statements}


def _approve_too(policy: dict[str, Any]) -> dict[str, Any]:
    register = policy["Statement"][0]
    return {
        **policy,
        "Statement": [
            {**register, "Action": ["sagemaker:CreateModelPackage", "sagemaker:UpdateModelPackage"]},
            *policy["Statement"][1:],
        ],
    }


def _anyone_reads(policy: dict[str, Any]) -> dict[str, Any]:
    read = {**policy["Statement"][1], "Sid": "AnyoneReads", "Principal": "*"}
    read.pop("Condition")
    return {**policy, "Statement": [*policy["Statement"], read]}


def _unpinned(policy: dict[str, Any]) -> dict[str, Any]:
    register = {
        **policy["Statement"][0],
        "Condition": {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}},
    }
    return {**policy, "Statement": [register, policy["Statement"][1]]}


REGISTRY_CASES: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any] | None], bool, str]] = [
    ("as declared (twin)", lambda p: p, True, "as the stack declares"),
    ("reordered (twin)", _reordered, True, "as the stack declares"),
    ("no policy", lambda p: None, False, "no resource policy (or no group); expected the stack's"),
    (
        "approval allowed too",
        _approve_too,
        False,
        "statements not declared by the stack: RegisterModelVersionsPendingApproval; "
        "declared statements missing or changed: RegisterModelVersionsPendingApproval",
    ),
    ("anyone reads", _anyone_reads, False, "statements not declared by the stack: AnyoneReads"),
    (
        "roles no longer pinned",
        _unpinned,
        False,
        "statements not declared by the stack: RegisterModelVersionsPendingApproval; "
        "declared statements missing or changed: RegisterModelVersionsPendingApproval",
    ),
]


@pytest.mark.parametrize(("what", "change", "ok", "detail"), REGISTRY_CASES, ids=[c[0] for c in REGISTRY_CASES])
def test_the_model_registry_policy(
    aws: boto3.Session,
    tooling: Settings,
    what: str,
    change: Callable[[dict[str, Any]], dict[str, Any] | None],
    ok: bool,
    detail: str,
) -> None:
    session = _registry(aws, change(_declared(tooling)))
    (finding,) = services.model_registry(session, tooling)
    assert (finding.check, finding.resource, finding.ok, finding.detail) == (
        "model-registry-policy",
        naming.MODEL_PACKAGE_GROUP,
        ok,
        detail,
    )
    session.verify()


def test_which_checks_run_where() -> None:
    tooling = services.CHECKS["tooling"]
    assert services.codebuild_projects in tooling and services.production_pipeline in tooling
    assert services.model_registry in tooling and services.feature_groups not in tooling
    for role in ("datasci", "preprod", "datamgmt"):
        assert services.feature_groups in services.CHECKS[role]
        assert services.listed_feature_groups in services.CHECKS[role]
        assert services.codebuild_projects not in services.CHECKS[role]
    for role in ("tooling", "datasci", "preprod", "datamgmt"):
        assert (
            services.redshift_serverless in services.CHECKS[role]
            and services.redshift_clusters in services.CHECKS[role]
        )
