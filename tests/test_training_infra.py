"""Model training infrastructure (issue 9), under the mock runtime: the registry's cross-account
resource policy in tooling, and in each target account the training role, bucket and workgroup."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from contracts import naming
from offline.engine import StackPreview
from tests.conftest import of_type, one, outputs

Stack = Callable[[str], StackPreview]

TARGETS = ("datasci", "datamgmt")
GROUP_ARN = "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/mlops-feature-models"
VERSIONS = "arn:aws:sagemaker:eu-west-1:111111111111:model-package/mlops-feature-models/*"
ACCOUNTS = {"datasci": "222222222222", "datamgmt": "333333333333"}


def training_statements(stack: StackPreview) -> dict[str, dict[str, Any]]:
    record = one(stack, "aws:iam/rolePolicy:RolePolicy", "-training-policy")
    statements = json.loads(record.inputs["policy"])["Statement"]
    by_sid = {s["Sid"]: s for s in statements}
    assert len(by_sid) == len(statements), "every statement has its own Sid"
    return by_sid


def test_registry_policy_lets_only_the_two_training_roles_register_pending_versions(stack: Stack) -> None:
    tooling = stack("tooling")
    group = one(tooling, "aws:sagemaker/modelPackageGroup:ModelPackageGroup")
    policy = one(tooling, "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy")
    assert policy.inputs["modelPackageGroupName"] == group.inputs["modelPackageGroupName"] == "mlops-feature-models"
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["resourcePolicy"])["Statement"]}
    trainers = sorted(
        naming.role_arn("aws", ACCOUNTS[a], naming.training_role_name(a)) for a in ("datasci", "datamgmt")
    )
    for statement in statements.values():
        assert statement["Effect"] == "Allow"
        assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{a}:root" for a in sorted(ACCOUNTS.values())]}
        assert statement["Condition"]["ArnEquals"] == {"aws:PrincipalArn": trainers}
    register = statements["RegisterModelVersionsPendingApproval"]
    assert register["Action"] == "sagemaker:CreateModelPackage" and register["Resource"] == VERSIONS
    assert register["Condition"]["StringEquals"] == {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}
    # Approving (UpdateModelPackage) stays with the tooling account.
    actions = json.dumps([s["Action"] for s in statements.values()])
    assert "UpdateModelPackage" not in actions and "*" not in actions


@pytest.mark.parametrize("account", TARGETS)
def test_training_jobs_and_processing_jobs_must_run_in_the_vpc_with_the_account_key(stack: Stack, account: str) -> None:
    target = stack(account)
    statements = training_statements(target)
    key = outputs(target)["dataKeyArn"]
    security_group = one(target, "aws:ec2/securityGroup:SecurityGroup", "studio-sg").id
    for kind, action in (("Training", "sagemaker:CreateTrainingJob"), ("Processing", "sagemaker:CreateProcessingJob")):
        create = statements[f"{kind}JobsInVpcWithKms"]
        assert create["Action"] == action
        condition = create["Condition"]
        assert condition["ForAllValues:StringEquals"] == {
            "sagemaker:VpcSubnets": sorted(outputs(target)["subnetIds"]),
            "sagemaker:VpcSecurityGroupIds": [security_group],
        }
        assert condition["StringEquals"] == {"sagemaker:VolumeKmsKeyArn": key, "sagemaker:OutputKmsKeyArn": key}
        assert set(condition["Null"].values()) == {"false"} and len(condition["Null"]) == 4


@pytest.mark.parametrize("account", TARGETS)
def test_training_role_registers_only_pending_versions_and_passes_only_itself(stack: Stack, account: str) -> None:
    target = stack(account)
    statements = training_statements(target)
    register = statements["RegisterModelVersionsPendingApproval"]
    assert register["Resource"] == VERSIONS
    assert register["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}
    assert statements["ReadModelRegistry"]["Resource"] == [GROUP_ARN, VERSIONS]
    assert statements["PassExecutionRoleToSageMaker"]["Resource"] == [outputs(target)["trainingRoleArn"]]
    assert statements["AthenaWorkgroupQueries"]["Resource"] == (
        f"arn:aws:athena:eu-west-1:{ACCOUNTS[account]}:workgroup/mlops-{account}-training"
    )
    # Training never writes feature records: that is the feature jobs' role.
    assert "FeatureGroupRecords" not in statements
    role = one(target, "aws:iam/role:Role", "-training")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": ["sagemaker.amazonaws.com"]}]


@pytest.mark.parametrize("account", TARGETS)
def test_training_role_writes_only_the_training_bucket(stack: Stack, account: str) -> None:
    statements = training_statements(stack(account))
    writes = {
        resource
        for s in statements.values()
        if "s3:PutObject" in s["Action"]
        for resource in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
    }
    assert writes == {f"arn:aws:s3:::mlops-{account}-training-{ACCOUNTS[account]}-eu-west-1/*"}


@pytest.mark.parametrize("account", TARGETS)
def test_athena_workgroup_enforces_encrypted_results_in_the_training_bucket(stack: Stack, account: str) -> None:
    target = stack(account)
    workgroup = one(target, "aws:athena/workgroup:Workgroup", "-training").inputs
    assert workgroup["name"] == f"mlops-{account}-training"
    configuration = workgroup["configuration"]
    assert configuration["enforceWorkgroupConfiguration"] is True
    results = configuration["resultConfiguration"]
    assert results["outputLocation"] == f"s3://{outputs(target)['trainingBucketName']}/athena/"
    assert results["encryptionConfiguration"] == {
        "encryptionOption": "SSE_KMS",
        "kmsKeyArn": outputs(target)["dataKeyArn"],
    }


@pytest.mark.parametrize("account", TARGETS)
def test_training_bucket_is_reached_only_through_the_vpc_endpoint(stack: Stack, account: str) -> None:
    target = stack(account)
    bucket = outputs(target)["trainingBucketName"]
    policy = json.loads(one(target, "aws:s3/bucketPolicy:BucketPolicy", f"{account}-training-").inputs["policy"])
    deny = next(s for s in policy["Statement"] if s["Sid"] == "DenyObjectAccessOutsideVpcEndpoint")
    assert deny["Resource"] == [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]
    # No role is exempt: Athena writes its results as a service acting for the caller.
    assert "ArnNotEquals" not in deny["Condition"]


def test_datamgmt_training_reads_only_shareable_curated_data_and_features(stack: Stack) -> None:
    datamgmt = stack("datamgmt")
    training = outputs(datamgmt)["trainingRoleArn"]
    theirs = [
        r.inputs
        for r in of_type(datamgmt, "aws:lakeformation/permissions:Permissions")
        if r.inputs["principal"] == training
    ]
    assert {g["lfTagPolicy"]["resourceType"] for g in theirs} == {"TABLE", "DATABASE"}
    for grant in theirs:
        assert set(grant["permissions"]) <= {"SELECT", "DESCRIBE"}
        tags = {e["key"]: e["values"] for e in grant["lfTagPolicy"]["expressions"]}
        assert tags == {"layer": ["curated", "features"], "classification": ["public", "internal"]}


def test_datasci_training_reads_the_offline_store_and_the_shared_databases(stack: Stack) -> None:
    datasci = stack("datasci")
    training = outputs(datasci)["trainingRoleArn"]
    theirs = [
        r for r in of_type(datasci, "aws:lakeformation/permissions:Permissions") if r.inputs["principal"] == training
    ]
    assert sorted(r.name.removeprefix("datasci-") for r in theirs) == [
        "feature-store-tables-reader-training",
        "link-curated-describe-training",
        "link-curated-select-training",
        "link-features-describe-training",
        "link-features-select-training",
    ]
    assert all(set(r.inputs["permissions"]) <= {"SELECT", "DESCRIBE"} for r in theirs)
    statements = training_statements(datasci)
    # The experimentation offline store is read with IAM (it is no Lake Formation location here), never written.
    assert "s3:GetObject" in statements["OfflineStoreObjects"]["Action"]
    assert "s3:PutObject" not in json.dumps(statements["OfflineStoreObjects"]["Action"])


def test_the_approvers_hear_of_each_version_pending_approval(stack: Stack) -> None:
    tooling = stack("tooling")
    rule = one(tooling, "aws:cloudwatch/eventRule:EventRule", "model-pending-approval")
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Model Package State Change"],
        "detail": {"ModelPackageGroupName": ["mlops-feature-models"], "ModelApprovalStatus": ["PendingManualApproval"]},
    }
    topic = one(tooling, "aws:sns/topic:Topic")
    target = one(tooling, "aws:cloudwatch/eventTarget:EventTarget", "model-pending-approval")
    assert target.inputs["arn"] == topic.outputs["arn"] == tooling.result.outputs["approvalTopicArn"]
    assert target.inputs["rule"] == rule.inputs["name"]
    assert "<version> awaits approval" in target.inputs["inputTransformer"]["inputTemplate"]
    # Only this rule may publish through EventBridge, and it needs the topic's key.
    (publish,) = json.loads(one(tooling, "aws:sns/topicPolicy:TopicPolicy").inputs["policy"])["Statement"]
    assert publish["Principal"] == {"Service": "events.amazonaws.com"} and publish["Action"] == "sns:Publish"
    assert publish["Condition"] == {"ArnEquals": {"aws:SourceArn": rule.outputs["arn"]}}
    key = json.loads(one(tooling, "aws:kms/key:Key").inputs["policy"])
    events = next(s for s in key["Statement"] if s["Sid"] == "EventBridgePublishesToEncryptedTopics")
    assert events["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]


@pytest.mark.parametrize("account", TARGETS)
def test_target_account_keys_do_not_serve_eventbridge(stack: Stack, account: str) -> None:
    key = json.loads(one(stack(account), "aws:kms/key:Key").inputs["policy"])
    assert "EventBridgePublishesToEncryptedTopics" not in {s["Sid"] for s in key["Statement"]}
