"""The Service Authorization Reference check: each case pins one rule, then the real program must pass all."""

from __future__ import annotations

import json
from typing import Any

import pytest

from offline import EngineError
from offline.access.documents import SOURCES, policy_documents
from offline.access.service_authorization import (
    Finding,
    advisories,
    arn_matches,
    check_stacks,
    check_statement,
    deprecated_keys,
)
from offline.engine import Preview
from offline.mocks import ResourceRecord

BUCKET = "arn:aws:s3:::mlops-example-bucket"
OBJECTS = f"{BUCKET}/*"
KEY = "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"
S3_BUCKET_FORMAT = "arn:${Partition}:s3:::${BucketName}"
S3_OBJECT_FORMAT = "arn:${Partition}:s3:::${BucketName}/${ObjectName}"
LOG_GROUP_FORMAT = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}"
LOG_STREAM_FORMAT = "arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}"


def allow(action: str | list[str], resource: str | list[str] | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": "Case", "Effect": "Allow", "Action": action, **extra}
    if resource is not None:
        statement["Resource"] = resource
    return statement


def problems(statement: dict[str, Any]) -> list[str]:
    return [finding.problem for finding in check_statement(statement, "test", 0)]


# --- actions ---------------------------------------------------------------------------------------


def test_a_made_up_action_is_a_finding() -> None:
    (problem,) = problems(allow("sagemaker:LaunchRocket", "*"))
    assert "sagemaker:LaunchRocket" in problem and "does not exist" in problem


def test_a_typo_in_a_real_action_is_a_finding_with_the_likely_name() -> None:
    (problem,) = problems(allow("s3:GetObjcet", OBJECTS))
    assert "s3:GetObjcet" in problem and "s3:GetObject" in problem.split("did you mean")[1]


def test_an_unknown_service_prefix_is_a_finding() -> None:
    (problem,) = problems(allow("sagemakerr:CreateProcessingJob", "*"))
    assert "'sagemakerr' is not a service prefix" in problem


def test_actions_match_case_insensitively_as_iam_does() -> None:
    assert problems(allow(["S3:getobject", "kms:decrypt"], [OBJECTS, KEY])) == []


def test_a_wildcard_matching_no_action_is_a_finding_and_one_matching_some_is_not() -> None:
    (problem,) = problems(allow("s3:Teleport*", "*"))
    assert "s3:Teleport*" in problem and "matches no action" in problem
    assert problems(allow(["kms:GenerateDataKey*", "kms:ReEncrypt*"], KEY)) == []


# --- resources -------------------------------------------------------------------------------------


def test_an_action_that_takes_only_star_given_an_arn_is_a_finding() -> None:
    found = problems(allow("ecr:GetAuthorizationToken", "arn:aws:ecr:eu-west-1:111111111111:repository/mlops/x"))
    assert any("ecr:GetAuthorizationToken" in p and 'takes only Resource "*"' in p for p in found), found


def test_an_action_that_takes_only_star_given_star_is_fine() -> None:
    assert problems(allow("ecr:GetAuthorizationToken", "*")) == []


def test_get_object_on_a_bucket_arn_is_a_finding() -> None:
    found = problems(allow("s3:GetObject", BUCKET))
    assert any(p.startswith("grants s3:GetObject on nothing") and "object" in p for p in found), found
    assert any(p.startswith(f"resource {BUCKET} is dead") for p in found), found


def test_list_bucket_on_an_object_arn_is_a_finding() -> None:
    found = problems(allow("s3:ListBucket", OBJECTS))
    assert any(p.startswith("grants s3:ListBucket on nothing") and "bucket" in p for p in found), found


def test_a_deny_is_checked_like_an_allow() -> None:
    statement = {"Sid": "Case", "Effect": "Deny", "Principal": "*", "Action": "s3:ListBucket", "Resource": OBJECTS}
    found = problems(statement)
    assert any(p.startswith("denies s3:ListBucket on nothing") for p in found), found


def test_a_resource_no_action_of_the_statement_can_use_is_dead() -> None:
    (problem,) = problems(allow(["s3:GetObject", "s3:ListBucket"], [BUCKET, OBJECTS, KEY]))
    assert problem.startswith(f"resource {KEY} is dead")


def test_a_broad_wildcard_on_star_or_on_its_resources_is_fine() -> None:
    assert problems(allow("kms:*", "*")) == []
    deny = {"Sid": "Case", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [BUCKET, OBJECTS]}
    assert problems(deny) == []


def test_bucket_and_object_arns_are_told_apart() -> None:
    assert not arn_matches(BUCKET, S3_OBJECT_FORMAT)
    assert arn_matches(OBJECTS, S3_OBJECT_FORMAT)
    assert arn_matches(BUCKET, S3_BUCKET_FORMAT)
    assert not arn_matches(OBJECTS, S3_BUCKET_FORMAT)
    # A wildcard may stand for the slash of an object key.
    assert arn_matches("arn:aws:s3:::*", S3_OBJECT_FORMAT)


def test_log_group_and_log_stream_patterns_match_their_types() -> None:
    assert arn_matches("arn:aws:logs:r:a:log-group:/aws/x*", LOG_GROUP_FORMAT)
    assert arn_matches("arn:aws:logs:r:a:log-group:/aws/x*:log-stream:*", LOG_STREAM_FORMAT)
    assert not arn_matches("arn:aws:logs:r:a:log-group:/aws/x", LOG_STREAM_FORMAT)


def test_the_first_five_arn_parts_are_compared_part_by_part() -> None:
    role = "arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"
    assert arn_matches("arn:aws:iam::111111111111:role/mlops/mlops-datasci-training", role)
    assert not arn_matches("arn:aws:iam:eu-west-1:111111111111:role/x", role)  # IAM ARNs have no region
    assert not arn_matches("arn:aws:sts::111111111111:role/x", role)
    job = "arn:${Partition}:sagemaker:${Region}:${Account}:processing-job/${ProcessingJobName}"
    assert arn_matches("arn:aws:sagemaker:eu-west-1:111111111111:processing-job/x", job)
    assert not arn_matches("arn:aws:sagemaker::111111111111:processing-job/x", job)  # a regional ARN needs a region


# --- condition keys --------------------------------------------------------------------------------


def test_a_key_the_action_does_not_carry_is_a_finding() -> None:
    statement = allow("kms:Decrypt", KEY, Condition={"StringLike": {"s3:prefix": "home/"}})
    (problem,) = problems(statement)
    assert "kms:Decrypt" in problem and "s3:prefix" in problem


def test_a_key_one_action_of_the_statement_lacks_is_a_finding_for_that_action_only() -> None:
    condition = {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111111111111:log-group:*"}}
    (problem,) = problems(allow(["kms:Decrypt", "kms:DescribeKey"], "*", Condition=condition))
    assert problem.startswith("kms:DescribeKey does not carry condition key kms:EncryptionContext:aws:logs:arn")


def test_a_global_key_is_fine_on_any_action() -> None:
    condition = {
        "Bool": {"aws:SecureTransport": "false", "aws:ViaAWSService": "false"},
        "StringNotEquals": {"aws:SourceVpce": "vpce-1", "aws:PrincipalTag/team": "ml"},
        "ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::111111111111:role/x"},
    }
    assert problems(allow(["ecr:GetAuthorizationToken", "s3:GetObject"], [OBJECTS, "*"], Condition=condition)) == []


def test_a_pattern_key_and_a_differently_cased_key_match_the_dataset() -> None:
    condition = {
        "ArnLike": {"kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:eu-west-1:111111111111:log-group:*"},
        "StringEquals": {"KMS:ViaService": "logs.eu-west-1.amazonaws.com"},
    }
    assert problems(allow(["kms:Decrypt", "kms:GenerateDataKey*"], KEY, Condition=condition)) == []


def test_a_resource_type_key_counts_as_the_actions_key() -> None:
    condition = {"StringEquals": {"iam:ResourceTag/team": "ml", "sagemaker:ResourceTag/team": "ml"}}
    statement = allow("sagemaker:DescribeProcessingJob", "arn:aws:sagemaker:eu-west-1:1:processing-job/*")
    assert problems({**statement, "Condition": {"StringEquals": {"sagemaker:ResourceTag/team": "ml"}}}) == []
    (problem,) = problems({**statement, "Condition": condition})
    assert "iam:ResourceTag/team" in problem


def test_a_valid_statement_has_no_finding() -> None:
    statement = allow(
        "sagemaker:CreateProcessingJob",
        "arn:aws:sagemaker:eu-west-1:222222222222:processing-job/*",
        Condition={
            "Null": {"sagemaker:VpcSubnets": "false", "sagemaker:VolumeKmsKeyArn": "false"},
            "ForAllValues:StringEquals": {"sagemaker:VpcSubnets": ["subnet-1"]},
            "StringEquals": {"sagemaker:VolumeKmsKeyArn": KEY, "aws:RequestTag/project": "mlops"},
        },
    )
    assert problems(statement) == []


def test_a_trust_policy_without_resource_is_checked_for_actions_and_keys_only() -> None:
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "sagemaker.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111111111111", "sts:ExternalId": "x"}},
    }
    assert check_statement(trust, "trust", 3) == []
    broken = {**trust, "Action": "sts:AssumeRoel"}
    assert check_statement(broken, "trust", 3) == [
        Finding("trust", "#3", "action 'sts:AssumeRoel' does not exist in sts (did you mean sts:AssumeRole?)")
    ]


def test_deprecated_keys_are_advisories_not_findings() -> None:
    statement = allow(
        "sagemaker:CreateTrainingJob",
        "arn:aws:sagemaker:eu-west-1:1:training-job/*",
        Condition={"StringEquals": {"sagemaker:VolumeKmsKey": KEY, "sagemaker:VolumeKmsKeyArn": KEY}},
    )
    (advisory,) = deprecated_keys(statement, "test", 0)
    assert "sagemaker:VolumeKmsKey is deprecated" in advisory.problem and "VolumeKmsKeyArn" in advisory.problem
    # The action lists only the replacement, so the old key is a finding as well (the allow never applies).
    (problem,) = problems(statement)
    assert "sagemaker:VolumeKmsKey " in problem


# --- documents -------------------------------------------------------------------------------------


def record(token: str, name: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None) -> ResourceRecord:
    return ResourceRecord(
        type=token,
        name=name,
        urn=f"urn:pulumi:test::mlops::{token}::{name}",
        id=name,
        custom=True,
        parent="",
        provider="",
        protect=False,
        retain_on_delete=False,
        dependencies=[],
        property_dependencies={},
        inputs=inputs,
        outputs=outputs or {},
    )


def test_documents_are_read_from_each_source_with_a_findable_label() -> None:
    document = json.dumps({"Version": "2012-10-17", "Statement": [allow("s3:GetObject", OBJECTS)]})
    records = [
        record(
            "aws:iam/rolePolicy:RolePolicy", "ds-training-policy", {"role": "mlops-ds-training", "policy": document}
        ),
        record("aws:iam/role:Role", "ds-training-role", {"name": "mlops-ds-training", "assumeRolePolicy": document}),
        record("aws:s3/bucketPolicy:BucketPolicy", "ds-raw-policy", {}, {"policy": document}),
        record("aws:ec2/vpcEndpoint:VpcEndpoint", "ds-network-sts", {"serviceName": "com.amazonaws.eu-west-1.sts"}),
        record("aws:s3/bucket:Bucket", "ds-raw", {"policy": document}),
    ]
    found = policy_documents("ds", records)
    assert [(d.kind, d.label) for d in found] == [
        ("identity", "ds: role mlops-ds-training, inline policy ds-training-policy"),
        ("trust", "ds: role mlops-ds-training, trust policy"),
        ("bucket", "ds: bucket policy ds-raw-policy"),
    ]
    assert found[2].document["Statement"][0]["Action"] == "s3:GetObject"
    assert set(SOURCES) >= {"aws:kms/key:Key", "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"}


def test_a_document_that_is_not_json_names_the_resource() -> None:
    broken = record("aws:kms/key:Key", "ds-key-key", {"policy": "{not json"})
    with pytest.raises(EngineError, match="ds-key-key"):
        policy_documents("ds", [broken])


def test_findings_carry_the_document_label_and_sid() -> None:
    document = json.dumps({"Statement": [allow("s3:GetObject", BUCKET), {**allow("s3:ListBucket", BUCKET), "Sid": ""}]})
    stacks = {"ds": [record("aws:s3/bucketPolicy:BucketPolicy", "ds-raw-policy", {"policy": document})]}
    assert {(f.where, f.statement) for f in check_stacks(stacks)} == {("ds: bucket policy ds-raw-policy", "Case")}
    assert advisories(stacks) == []


# --- the real program ------------------------------------------------------------------------------


def test_every_statement_of_the_three_stacks_matches_the_service_authorization_reference(platform: Preview) -> None:
    stacks = {stack.result.name: stack.result.resources for stack in platform.stacks}
    assert set(stacks) == {"tooling", "datamgmt", "datasci"}
    kinds = {document.kind for name, records in stacks.items() for document in policy_documents(name, records)}
    assert {"identity", "trust", "bucket", "key"} <= kinds, kinds  # the check is not vacuous
    findings = check_stacks(stacks)
    assert not findings, f"{len(findings)} statement(s) disagree with the reference:\n" + "\n".join(map(str, findings))
