"""The tooling account and its CI/CD, synthesized: one small test per guarantee."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import naming
from offline.engine import StackPreview, preview
from tests.conftest import of_type, one, shipped_roles

Stack = Callable[[str], StackPreview]
ROLES = shipped_roles()


@pytest.fixture(scope="module")
def tooling(stack: Stack) -> StackPreview:
    return stack("tooling")


def pipeline(stack: StackPreview, name: str) -> dict[str, Any]:
    (record,) = [r for r in of_type(stack, "aws:codepipeline/pipeline:Pipeline") if r.inputs["name"] == name]
    return record.inputs


def stage_names(inputs: dict[str, Any]) -> list[str]:
    return [stage["name"] for stage in inputs["stages"]]


def build_variables(stage: dict[str, Any]) -> dict[str, str]:
    (action,) = stage["actions"]
    return {v["name"]: v["value"] for v in json.loads(action["configuration"]["EnvironmentVariables"])}


def test_feature_branches_run_checks_then_the_job_in_data_science(tooling: StackPreview) -> None:
    inputs = pipeline(tooling, "mlops-tooling-feature-branches")
    assert inputs["pipelineType"] == "V2"
    (trigger,) = inputs["triggers"]
    # The first team's own branches, and the pattern feature branches had before there were teams.
    assert trigger["gitConfiguration"]["pushes"] == [{"branches": {"includes": ["feature/analytics/**", "feature/*"]}}]
    assert stage_names(inputs) == ["Source", "Checks", "FeatureJob"]
    variables = build_variables(inputs["stages"][2])
    assert variables["TARGET_ACCOUNT"] == "datasci"
    assert variables["TARGET_ROLE_ARN"] == ROLES.target("datasci").runner
    # The build runs as the team's build role, which may assume the team's runner and nothing else.
    (action,) = inputs["stages"][2]["actions"]
    project = [
        p
        for p in of_type(tooling, "aws:codebuild/project:Project")
        if p.inputs["name"] == action["configuration"]["ProjectName"]
    ]
    assert [p.inputs["serviceRole"] for p in project] == [ROLES.build_role("analytics")]


def test_main_runs_checks_then_approval_then_the_job_then_training_in_data_management(tooling: StackPreview) -> None:
    inputs = pipeline(tooling, "mlops-tooling-production")
    (trigger,) = inputs["triggers"]
    assert trigger["gitConfiguration"]["pushes"] == [{"branches": {"includes": ["main"]}}]
    assert stage_names(inputs) == ["Source", "Checks", "Approval", "ProductionFeatureJob", "Training"]
    job, training = build_variables(inputs["stages"][3]), build_variables(inputs["stages"][4])
    for variables in (job, training):
        assert variables["TARGET_ACCOUNT"] == "datamgmt"
        assert variables["TARGET_ROLE_ARN"] == ROLES.target("datamgmt").runner
    assert training["TRAINING_PIPELINE"] == "#{variables.TrainingPipeline}"
    (action,) = inputs["stages"][4]["actions"]
    assert action["configuration"]["ProjectName"] == "mlops-tooling-training"
    assert inputs["executionMode"] == "QUEUED"


def test_feature_branches_do_not_train(tooling: StackPreview) -> None:
    inputs = pipeline(tooling, "mlops-tooling-feature-branches")
    assert stage_names(inputs) == ["Source", "Checks", "FeatureJob"]
    assert "TrainingPipeline" not in {v["name"] for v in inputs["variables"]}


def test_approval_notifies_the_lead_data_scientist_and_engineer(tooling: StackPreview) -> None:
    topic = one(tooling, "aws:sns/topic:Topic")
    (action,) = pipeline(tooling, "mlops-tooling-production")["stages"][2]["actions"]
    assert action["category"] == "Approval" and action["provider"] == "Manual"
    assert action["configuration"]["NotificationArn"] == topic.outputs["arn"]
    emails = sorted(s.inputs["endpoint"] for s in of_type(tooling, "aws:sns/topicSubscription:TopicSubscription"))
    assert emails == ["alice@example.com", "dana@example.com"]
    assert topic.inputs["kmsMasterKeyId"] == tooling.result.outputs["artifactKeyArn"]


def test_pipeline_variables_default_to_the_first_catalog_group(tooling: StackPreview) -> None:
    variables = {v["name"]: v["defaultValue"] for v in pipeline(tooling, "mlops-tooling-production")["variables"]}
    assert variables == {
        "FeatureGroup": "customer-churn",
        "Flow": "flows/customer-churn.flow",
        "TrainingPipeline": "pipelines/customer-churn.py",
    }


def test_pipelines_read_the_source_through_the_connection(tooling: StackPreview) -> None:
    connection = one(tooling, "aws:codestarconnections/connection:Connection")
    assert connection.inputs["providerType"] == "GitHub"
    for name in tooling.result.outputs["pipelineNames"]:
        (action,) = pipeline(tooling, name)["stages"][0]["actions"]
        assert action["provider"] == "CodeStarSourceConnection"
        assert action["configuration"]["ConnectionArn"] == tooling.result.outputs["sourceArn"]
        assert action["configuration"]["FullRepositoryId"] == "example-org/mlops-feature-platform"


def test_no_codebuild_project_is_privileged_and_each_encrypts_and_logs(tooling: StackPreview) -> None:
    key = tooling.result.outputs["artifactKeyArn"]
    projects = of_type(tooling, "aws:codebuild/project:Project")
    # Each project runs as the role of what it does: the checks as a role that reaches no account,
    # a team's feature jobs as its build role, production's jobs and training as production's.
    assert {p.inputs["name"]: p.inputs["serviceRole"] for p in projects} == {
        "mlops-tooling-checks": ROLES.build_role("checks"),
        "mlops-tooling-feature-job-analytics": ROLES.build_role("analytics"),
        "mlops-tooling-feature-job": ROLES.build_role("production"),
        "mlops-tooling-training": ROLES.build_role("production"),
        "mlops-tooling-audit": ROLES.audit,
    }
    for project in projects:
        assert project.inputs["environment"]["privilegedMode"] is False
        assert project.inputs["encryptionKey"] == key
        assert project.inputs["logsConfig"]["cloudwatchLogs"]["status"] == "ENABLED"
        assert not project.inputs["environment"].get("environmentVariables")
    timeouts = {p.inputs["name"]: p.inputs["buildTimeout"] for p in projects}
    # Training waits for its SageMaker jobs.
    assert timeouts == {
        "mlops-tooling-checks": 60,
        "mlops-tooling-feature-job-analytics": 60,
        "mlops-tooling-feature-job": 60,
        "mlops-tooling-training": 180,
        "mlops-tooling-audit": 60,
    }


def test_buildspecs_exist_in_the_repository(tooling: StackPreview) -> None:
    root = Path(__file__).resolve().parent.parent
    for project in of_type(tooling, "aws:codebuild/project:Project"):
        assert (root / project.inputs["source"]["buildspec"]).is_file()


def test_feature_job_variables_hold_no_secret(tooling: StackPreview) -> None:
    for name in tooling.result.outputs["pipelineNames"]:
        for stage in pipeline(tooling, name)["stages"][1:]:
            for action in stage["actions"]:
                raw = action["configuration"].get("EnvironmentVariables")
                for variable in json.loads(raw) if raw else []:
                    assert variable["type"] == "PLAINTEXT"
                    assert not any(word in variable["name"] for word in ("SECRET", "PASSWORD", "TOKEN", "KEY"))


def test_artifacts_are_encrypted_everywhere(tooling: StackPreview) -> None:
    key = tooling.result.outputs["artifactKeyArn"]
    for name in tooling.result.outputs["pipelineNames"]:
        (store,) = pipeline(tooling, name)["artifactStores"]
        assert store["encryptionKey"] == {"id": key, "type": "KMS"}
        assert store["location"] == tooling.result.outputs["artifactBucketName"]
    for group in of_type(tooling, "aws:cloudwatch/logGroup:LogGroup"):
        assert group.inputs["kmsKeyId"] == key
    repository = one(tooling, "aws:ecr/repository:Repository").inputs
    assert repository["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key}]


def test_ecr_scans_on_push_keeps_tags_immutable_and_lets_only_job_roles_pull(tooling: StackPreview) -> None:
    repository = one(tooling, "aws:ecr/repository:Repository")
    assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repository.protect
    (statement,) = json.loads(one(tooling, "aws:ecr/repositoryPolicy:RepositoryPolicy").inputs["policy"])["Statement"]
    assert statement["Condition"]["ArnEquals"]["aws:PrincipalArn"] == sorted(ROLES.job_executions)
    assert len(ROLES.job_executions) == 2
    assert all(action.startswith("ecr:") and "Put" not in action for action in statement["Action"])


def test_key_policy_principals(tooling: StackPreview) -> None:
    statements = json.loads(one(tooling, "aws:kms/key:Key").inputs["policy"])["Statement"]
    principals = {s["Sid"]: s["Principal"] for s in statements}
    assert principals == {
        "AccountAdministersKeyThroughIam": {"AWS": "arn:aws:iam::111111111111:root"},
        "NamedRolesOfOtherAccountsDecrypt": {
            "AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"]
        },
        "CloudWatchLogsEncryptsThisAccountsLogGroups": {"Service": "logs.eu-west-1.amazonaws.com"},
        "EventBridgePublishesToEncryptedTopics": {"Service": "events.amazonaws.com"},
    }
    cross = next(s for s in statements if s["Sid"] == "NamedRolesOfOtherAccountsDecrypt")
    assert cross["Condition"]["ArnEquals"]["aws:PrincipalArn"] == sorted(ROLES.runners)
    # EventBridge uses the key for this account's rules only (confused deputy).
    events = next(s for s in statements if s["Sid"] == "EventBridgePublishesToEncryptedTopics")
    assert events["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}


def test_ci_role_uses_only_its_connection_builds_topic_and_pipelines(tooling: StackPreview) -> None:
    policy = one(tooling, "aws:iam/rolePolicy:RolePolicy", "ci-pipelines")
    assert policy.inputs["role"] == naming.CI_ROLE_NAME
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    assert statements["UseSourceConnection"]["Resource"] == tooling.result.outputs["sourceArn"]
    # The account's own builds and pipelines by their prefix: the policy does not grow with the teams.
    assert statements["RunBuilds"]["Resource"] == "arn:aws:codebuild:eu-west-1:111111111111:project/mlops-tooling-*"
    assert statements["FollowOwnPipelines"]["Resource"] == "arn:aws:codepipeline:eu-west-1:111111111111:mlops-tooling-*"
    assert not [s for s in statements.values() if "sts:AssumeRole" in s["Action"]]
    assert statements["NotifyApprovers"]["Resource"] == tooling.result.outputs["approvalTopicArn"]


def test_exports_for_the_other_stacks_and_people(tooling: StackPreview) -> None:
    outputs = tooling.result.outputs
    assert outputs["ecrRepositoryUrl"] == "111111111111.dkr.ecr.eu-west-1.amazonaws.com/mlops/processing"
    assert outputs["modelPackageGroupName"] == "mlops-feature-models"
    assert outputs["pipelineNames"] == [
        "mlops-tooling-audit",
        "mlops-tooling-feature-branches",
        "mlops-tooling-production",
    ]
    assert outputs["ciRoleArn"] == ROLES.ci


def test_codecommit_source_creates_the_repository_and_a_push_rule_for_production(project_copy: Path) -> None:
    stack_file = project_copy / "Pulumi.tooling.yaml"
    stack_file.write_text(
        stack_file.read_text()
        + "  mlops-feature-platform:sourceProvider: codecommit\n"
        + "  mlops-feature-platform:sourceRepository: mlops-feature-platform\n"
    )
    (result,) = preview(project_copy, ["tooling"], policies=False).stacks
    repository = one(result, "aws:codecommit/repository:Repository")
    assert repository.inputs["kmsKeyId"] == result.result.outputs["artifactKeyArn"] and repository.protect
    assert result.result.outputs["pipelineNames"] == ["mlops-tooling-audit", "mlops-tooling-production"]
    for pipeline_record in of_type(result, "aws:codepipeline/pipeline:Pipeline"):
        assert pipeline_record.inputs["stages"][0]["actions"][0]["provider"] == "CodeCommit"
        assert "triggers" not in pipeline_record.inputs
    rule = json.loads(one(result, "aws:cloudwatch/eventRule:EventRule", "production-push").inputs["eventPattern"])
    assert rule["detail"]["referenceName"] == ["main"]
    target = one(result, "aws:cloudwatch/eventTarget:EventTarget", "production-push").inputs
    assert target["arn"] == "arn:aws:codepipeline:eu-west-1:111111111111:mlops-tooling-production"


def test_the_package_mirror_caches_pypi_with_the_key_and_lets_only_the_target_roles_read(
    tooling: StackPreview,
) -> None:
    key = tooling.result.outputs["artifactKeyArn"]
    domain = one(tooling, "aws:codeartifact/domain:Domain")
    assert domain.inputs["domain"] == "mlops-packages" and domain.inputs["encryptionKey"] == key and domain.protect
    repositories = {
        r.inputs["repository"]: r.inputs for r in of_type(tooling, "aws:codeartifact/repository:Repository")
    }
    assert repositories["pypi-store"]["externalConnections"] == {"externalConnectionName": "public:pypi"}
    assert repositories["platform"]["upstreams"] == [{"repositoryName": "pypi-store"}]
    readers = sorted(ROLES.package_readers)
    # Every target account's job and training roles, and the read-only Studio's.
    assert "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-studio-readonly" in readers and len(readers) == 5
    domain_policy = json.loads(
        one(tooling, "aws:codeartifact/domainPermissions:DomainPermissions").inputs["policyDocument"]
    )
    repository_policy = json.loads(
        one(tooling, "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy").inputs[
            "policyDocument"
        ]
    )
    (token,) = domain_policy["Statement"]
    (read,) = repository_policy["Statement"]
    assert token["Action"] == "codeartifact:GetAuthorizationToken"
    assert read["Action"] == ["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"]
    for statement in (token, read):
        assert statement["Principal"] == {"AWS": ["arn:aws:iam::222222222222:root", "arn:aws:iam::333333333333:root"]}
        assert statement["Condition"] == {"ArnEquals": {"aws:PrincipalArn": readers}}


def test_without_a_mirror_there_is_no_domain_and_no_role_reads_one(project_copy: Path) -> None:
    project = project_copy / "Pulumi.yaml"
    project.write_text(project.read_text().replace("    default: codeartifact\n", "    default: none\n"))
    result = preview(project_copy, policies=False, access=False)
    stacks = {s.result.name: s for s in result.stacks}
    assert not of_type(stacks["tooling"], "aws:codeartifact/domain:Domain")
    policies = json.dumps([r.inputs for s in stacks.values() for r in of_type(s, "aws:iam/rolePolicy:RolePolicy")])
    assert "codeartifact" not in policies
