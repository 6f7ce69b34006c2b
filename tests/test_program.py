"""The real program, all three stacks, synthesized by the offline engine: the guarantees it makes."""

from __future__ import annotations

import base64
import importlib
import inspect
import json
from collections.abc import Callable
from functools import cache

import pytest

from contracts import naming
from offline.engine import Preview, StackPreview
from offline.mocks import ResourceRecord
from tests.conftest import of_type, raw_config, shipped_roles

STACKS = ("tooling", "datamgmt", "datasci")
Stack = Callable[[str], StackPreview]


def policy(record: ResourceRecord, key: str = "policy") -> dict:  # type: ignore[type-arg]
    return json.loads(record.inputs[key])  # type: ignore[no-any-return]


@cache
def accepts_tags(token: str) -> bool:
    """Whether the pulumi-aws resource class behind a type token takes ``tags``."""
    package, module_path, class_name = token.split(":")
    if package != "aws":
        return False
    module = importlib.import_module(f"pulumi_aws.{module_path.split('/')[0]}")
    return "tags" in inspect.signature(getattr(module, class_name)._internal_init).parameters


def test_stacks_run_in_deploy_order_with_no_violation(platform: Preview) -> None:
    assert [s.result.name for s in platform.stacks] == list(STACKS)
    assert [p.name for p in platform.packs] == ["cicd-iam", "data-protection", "lake-formation", "studio-vpc-only"]
    assert all(s.violations == [] for s in platform.stacks)


@pytest.mark.parametrize("name", STACKS)
def test_every_taggable_resource_carries_the_common_tags(stack: Stack, name: str) -> None:
    taggable = [r for r in stack(name).result.resources if accepts_tags(r.type)]
    assert len(taggable) >= 3
    for record in taggable:
        tags = record.inputs.get("tags") or {}
        assert tags.get("mlops:project") == "mlops-feature-platform", record.urn
        assert tags.get("mlops:account-role") == name, record.urn
        assert tags.get("mlops:stack") == name, record.urn


@pytest.mark.parametrize("name", STACKS)
def test_stateful_resources_are_protected(stack: Stack, name: str) -> None:
    stateful = [r for r in stack(name).result.resources if r.type in ("aws:kms/key:Key", "aws:s3/bucket:Bucket")]
    assert stateful
    assert all(r.protect for r in stateful), [r.urn for r in stateful if not r.protect]


@pytest.mark.parametrize("name", STACKS)
def test_components_follow_the_house_shape(stack: Stack, name: str) -> None:
    records = stack(name).result.resources
    by_urn = {r.urn: r for r in records}
    components = [r for r in records if not r.custom]
    assert components
    for component in components:
        assert component.type.startswith("mlops:") and component.type.count(":") == 2, component.type
        assert component.registered_outputs, f"{component.urn} never called register_outputs"
    for record in records:
        parent = by_urn.get(record.parent)
        if parent is None:
            continue
        # An account's blocks (its foundation, feature jobs, model training) take the account's own
        # name, their type telling them apart, so their children keep the account-level names.
        block = record.type.startswith("mlops:account:") and parent.type.startswith("mlops:account:")
        assert record.name.startswith(f"{parent.name}-") or (block and record.name == parent.name), (
            f"{record.name} under {parent.name}"
        )


@pytest.mark.parametrize("name", STACKS)
def test_every_bucket_is_private_encrypted_versioned_and_tls_only(stack: Stack, name: str) -> None:
    s = stack(name)
    buckets = {r.outputs["bucket"]: r for r in of_type(s, "aws:s3/bucket:Bucket")}

    def settings(token: str) -> dict[str, ResourceRecord]:
        return {r.inputs["bucket"]: r for r in of_type(s, token)}

    blocks = settings("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    encryption = settings("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    versioning = settings("aws:s3/bucketVersioning:BucketVersioning")
    policies = settings("aws:s3/bucketPolicy:BucketPolicy")
    logging = settings("aws:s3/bucketLogging:BucketLogging")
    for bucket in buckets:
        block = blocks[bucket].inputs
        assert all(
            block[flag]
            for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        )
        rule = encryption[bucket].inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        if "access-logs" in bucket:
            assert rule == {"sseAlgorithm": "AES256"}  # S3 cannot deliver access logs to SSE-KMS buckets
            assert bucket not in logging
        else:
            assert rule["sseAlgorithm"] == "aws:kms"
            assert rule["kmsMasterKeyId"].startswith(f"arn:aws:kms:eu-west-1:{s.result.account_id}:key/")
            assert logging[bucket].inputs["targetBucket"].startswith(f"mlops-{name}-access-logs-")
        assert versioning[bucket].inputs["versioningConfiguration"] == {"status": "Enabled"}
        deny = [st for st in policy(policies[bucket])["Statement"] if st["Sid"] == "DenyInsecureTransport"]
        assert deny and deny[0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


@pytest.mark.parametrize("name", STACKS)
def test_every_bucket_expires_old_versions_and_unfinished_uploads(stack: Stack, name: str) -> None:
    """Versioned buckets must not grow forever; access logs live as long as the platform's logs."""
    s = stack(name)
    config = raw_config(name)
    lifecycles = {
        r.inputs["bucket"]: r.inputs["rules"]
        for r in of_type(s, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    }
    buckets = [r.outputs["bucket"] for r in of_type(s, "aws:s3/bucket:Bucket")]
    assert sorted(lifecycles) == sorted(buckets)
    for bucket, rules in lifecycles.items():
        (rule,) = rules
        assert rule["status"] == "Enabled" and rule["filter"] == {"prefix": ""}
        assert rule["noncurrentVersionExpiration"] == {
            "noncurrentDays": int(config["mlops-feature-platform:noncurrentVersionDays"])
        }
        assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
        if "access-logs" in bucket:
            assert rule["expiration"] == {"days": int(config["mlops-feature-platform:logRetentionDays"])}
        elif name == "datasci" and "-snapshots-" in bucket:
            # Snapshots of curated data are copies: they go after snapshotRetentionDays.
            assert rule["expiration"] == {"days": int(config["mlops-feature-platform:snapshotRetentionDays"])}
        else:
            assert rule["expiration"] == {"expiredObjectDeleteMarker": True}


def test_job_roles_pull_only_named_repositories_of_named_accounts(stack: Stack) -> None:
    """No ECR repository of any account: the account's own, the tooling account's processing
    repository, and the SageMaker images the jobs run, from the accounts that publish them here."""
    for name in ("datasci", "datamgmt"):
        for record in of_type(stack(name), "aws:iam/rolePolicy:RolePolicy"):
            for statement in policy(record)["Statement"]:
                if statement["Sid"] != "EcrPull":
                    continue
                accounts = {arn.split(":")[4] for arn in statement["Resource"]}
                assert "*" not in accounts, record.name
                assert set(statement["Resource"][2:]) == {
                    "arn:aws:ecr:eu-west-1:245179582081:repository/sagemaker-data-wrangler-container",
                    "arn:aws:ecr:eu-west-1:141502667606:repository/sagemaker-scikit-learn",
                }


def test_bucket_policy_waits_for_the_public_access_block(stack: Stack) -> None:
    s = stack("tooling")
    by_name = {r.name: r for r in s.result.resources}
    bucket_policy = by_name["tooling-artifacts-policy"]
    assert by_name["tooling-artifacts-public-access-block"].urn in bucket_policy.dependencies
    assert bucket_policy.property_dependencies["bucket"] == [by_name["tooling-artifacts-bucket"].urn]


@pytest.mark.parametrize("name", STACKS)
def test_keys_rotate(stack: Stack, name: str) -> None:
    keys = of_type(stack(name), "aws:kms/key:Key")
    assert keys and all(k.inputs["enableKeyRotation"] is True for k in keys)


def test_exported_role_arns_match_the_deterministic_names(stack: Stack) -> None:
    roles = shipped_roles()
    assert stack("tooling").result.outputs["ciRoleArn"] == roles.ci
    assert stack("datasci").result.outputs["featureRunnerRoleArn"] == roles.target("datasci").runner
    assert stack("datamgmt").result.outputs["featureDeployerRoleArn"] == roles.target("datamgmt").runner


def test_only_each_pipelines_build_role_may_assume_its_runner_roles(stack: Stack) -> None:
    """The builds run the branch's code: the CI role assumes nothing, each build role its runners."""
    assumed = {
        record.inputs["role"]: [
            statement["Resource"]
            for statement in policy(record)["Statement"]
            if "sts:AssumeRole" in statement["Action"]
        ]
        for record in of_type(stack("tooling"), "aws:iam/rolePolicy:RolePolicy")
    }
    roles = shipped_roles()
    assert assumed.pop(naming.CI_ROLE_NAME) == []
    assert assumed.pop("mlops-tooling-build-checks") == []
    # EventBridge's role that starts the audit assumes nothing; the audit role each auditor.
    assert assumed.pop("mlops-tooling-audit-schedule") == []
    assert assumed.pop(naming.AUDIT_ROLE_NAME) == [sorted(roles.auditors)]
    assert assumed == {
        "mlops-tooling-build-analytics": [[roles.target("datasci").runner]],
        "mlops-tooling-build-production": [[roles.target("datamgmt").runner]],
    }


def test_artifact_key_lets_only_the_runner_roles_of_other_accounts_decrypt(stack: Stack) -> None:
    (key,) = of_type(stack("tooling"), "aws:kms/key:Key")
    statements = policy(key)["Statement"]
    cross = next(st for st in statements if st["Sid"] == "NamedRolesOfOtherAccountsDecrypt")
    assert cross["Condition"]["ArnEquals"]["aws:PrincipalArn"] == [
        "arn:aws:iam::222222222222:role/mlops/mlops-datasci-feature-runner",
        "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-feature-deployer",
    ]


@pytest.mark.parametrize(("name", "role"), [("datasci", "feature-runner"), ("datamgmt", "feature-deployer")])
def test_runner_roles_read_tooling_artifacts_through_the_stack_reference(stack: Stack, name: str, role: str) -> None:
    tooling = stack("tooling").result.outputs
    s = stack(name)
    references = {r.id for r in of_type(s, "pulumi:pulumi:StackReference")}
    assert "organization/mlops-feature-platform/tooling" in references
    statements = policy(next(r for r in of_type(s, "aws:iam/rolePolicy:RolePolicy") if role in r.name))["Statement"]
    resources = {json.dumps(st["Resource"]) for st in statements}
    assert json.dumps(tooling["artifactKeyArn"]) in resources
    assert json.dumps(tooling["artifactBucketArn"]) in resources
    (role_record,) = [r for r in of_type(s, "aws:iam/role:Role") if role in r.name]
    trust = policy(role_record, "assumeRolePolicy")["Statement"]
    build_role = shipped_roles().build_role("analytics" if name == "datasci" else naming.PRODUCTION)
    assert trust == [
        {"Sid": "TrustedRole", "Effect": "Allow", "Principal": {"AWS": build_role}, "Action": "sts:AssumeRole"}
    ]


@pytest.mark.parametrize("name", ["datasci", "datamgmt"])
def test_every_studio_app_points_pip_at_the_mirror_when_it_starts(stack: Stack, name: str) -> None:
    """Both Studio domains: a lifecycle configuration per app type, the default of every profile's
    apps and of shared spaces, running the rendered pip-mirror script."""
    s = stack(name)
    configs = {
        r.inputs["studioLifecycleConfigAppType"]: r
        for r in of_type(s, "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig")
    }
    assert set(configs) == {"JupyterLab", "CodeEditor"}
    for config in configs.values():
        script = base64.b64decode(config.inputs["studioLifecycleConfigContent"]).decode()
        assert 'domain="mlops-packages" owner="111111111111" region="eu-west-1" repository="platform"' in script
        assert "@@" not in script
    (domain,) = of_type(s, "aws:sagemaker/domain:Domain")
    user = domain.inputs["defaultUserSettings"]
    for app_type, key in (("JupyterLab", "jupyterLabAppSettings"), ("CodeEditor", "codeEditorAppSettings")):
        arn = configs[app_type].outputs["arn"]
        assert user[key]["lifecycleConfigArns"] == [arn]
        assert user[key]["defaultResourceSpec"]["lifecycleConfigArn"] == arn
    space = domain.inputs["defaultSpaceSettings"]["jupyterLabAppSettings"]
    assert space["lifecycleConfigArns"] == [configs["JupyterLab"].outputs["arn"]]
