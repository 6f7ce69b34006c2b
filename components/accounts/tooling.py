"""The tooling account: source, CI/CD, shared artifacts, images and the model registry, and the CI
role that reaches into the other accounts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.accounts.foundation import AccountFoundation, AccountFoundationArgs, BucketSpec
from components.accounts.outputs import ToolingOutputs
from components.ci_cd import CiCd, CiCdArgs, FeatureBranches, FeatureJobTarget, NightlyAudit, Production
from components.iam import PlatformRole, PlatformRoleArgs
from components.package_mirror import PackageMirrorArgs, PackageMirrorDomain
from contracts import naming
from contracts.config import Settings
from contracts.feature_catalog import FeatureGroupSpec, owned_by
from contracts.model_registry import model_registry_policy

#: Images kept in the processing repository; older ones expire.
KEEP_IMAGES = 50


@dataclass(frozen=True)
class ToolingAccountArgs:
    settings: Settings
    #: The feature catalog: its first group is what a pipeline run processes by default.
    catalog: Sequence[FeatureGroupSpec]


class ToolingAccount(pulumi.ComponentResource):
    outputs: ToolingOutputs

    def __init__(self, name: str, args: ToolingAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:Tooling", name, None, opts)
        self._name = name
        s = self._settings = args.settings
        roles = s.cross_account_roles
        foundation = AccountFoundation(
            name,
            AccountFoundationArgs(
                settings=s,
                # Outside this account, only the target accounts' runner roles may read the artifacts.
                buckets={"artifacts": BucketSpec(read_roles=roles.runners)},
                decrypt_roles=roles.runners,
                # EventBridge tells the approvers of new model versions through the (encrypted) approval topic.
                eventbridge_publishes=True,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        artifacts = foundation.buckets["artifacts"]
        ci_role = PlatformRole(
            f"{name}-ci",
            PlatformRoleArgs(
                role_name=naming.CI_ROLE_NAME,
                description="Runs the platform's pipelines, which start its builds; assumes no role",
                # CodePipeline alone: a build, which runs a branch's code, never holds this role.
                trust_policy=docs.service_trust(["codepipeline.amazonaws.com"], s.account_id),
                statements=[
                    pulumi.Output.all(artifacts.arn, foundation.key.arn).apply(
                        lambda arns: docs.object_access(arns[0], arns[1], "Artifacts", write=True)
                    )
                ],
                tags=s.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        build_roles = {
            pipeline: self._create_build_role(pipeline, targets, artifacts.arn, foundation.key.arn)
            for pipeline, targets in {**roles.pipelines, naming.CHECKS: ()}.items()
        }
        audit_role = self._create_audit_role(artifacts.arn, foundation.key.arn)
        repository = self._create_repository(foundation.key.arn)
        if s.package_mirror is not None:
            PackageMirrorDomain(
                f"{name}-packages",
                PackageMirrorArgs(
                    mirror=s.package_mirror,
                    upstreams=s.package_upstreams,
                    kms_key_arn=foundation.key.arn,
                    reader_arns=roles.package_readers,
                    partition=s.partition,
                    tags=s.tags,
                    protect=s.protect,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        models = aws.sagemaker.ModelPackageGroup(
            f"{name}-models",
            model_package_group_name=naming.MODEL_PACKAGE_GROUP,
            model_package_group_description="Models trained on the platform's production features",
            tags=s.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=s.protect),
        )
        # AWS's cross-account registration: the target accounts' training roles add versions,
        # pending approval; approving them stays with this account.
        aws.sagemaker.ModelPackageGroupPolicy(
            f"{name}-models",
            model_package_group_name=models.model_package_group_name,
            resource_policy=json.dumps(
                model_registry_policy(
                    s.partition, naming.model_package_group_arn(s.partition, s.region, s.account_id), roles.trainers
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        (production,) = roles.of_role("datamgmt")
        preprod = roles.of_role("preprod")
        ci_cd = CiCd(
            f"{name}-cicd",
            CiCdArgs(
                source=s.source,
                artifact_bucket=artifacts.bucket,
                kms_key_arn=foundation.key.arn,
                ci_role_arn=ci_role.arn,
                ci_role_name=ci_role.name,
                checks_role_arn=build_roles[naming.CHECKS].arn,
                teams=[
                    FeatureBranches(
                        team=team.name,
                        # The first team's pipeline keeps the name it had before there were teams.
                        pipeline_name=naming.physical_name(
                            "tooling", "feature-branches", *(() if team.first else (team.name,))
                        ),
                        branches=[team.branches, *((s.source.feature_branch_pattern,) if team.first else ())],
                        target=FeatureJobTarget(team.stack, roles.target(team.stack).runner),
                        build_role_arn=build_roles[team.name].arn,
                        default_feature_group=next(
                            (spec.name for spec in owned_by(args.catalog, s.accounts.team_names, team.name)), None
                        ),
                    )
                    for team in s.accounts.teams
                ],
                production=Production(
                    preprod=FeatureJobTarget(preprod[0].stack, preprod[0].runner) if preprod else None,
                    production=FeatureJobTarget(production.stack, production.runner),
                    build_role_arn=build_roles[naming.PRODUCTION].arn,
                ),
                audit=NightlyAudit(
                    stacks=[naming.TOOLING_STACK, *(target.stack for target in roles.targets)],
                    role_arn=audit_role.arn,
                    schedule=s.audit_schedule,
                ),
                approvers=s.approvers,
                default_feature_group=args.catalog[0].name if args.catalog else None,
                log_retention_days=s.log_retention_days,
                partition=s.partition,
                region=s.region,
                account_id=s.account_id,
                tags=s.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._notify_pending_versions(models, ci_cd.approval_topic_arn)
        self.outputs = ToolingOutputs(
            account_id=s.account_id,
            artifact_bucket_name=artifacts.bucket,
            artifact_bucket_arn=artifacts.arn,
            artifact_key_arn=foundation.key.arn,
            ci_role_arn=ci_role.arn,
            source_arn=ci_cd.source_arn,
            ecr_repository_url=repository.repository_url,
            model_package_group_name=models.model_package_group_name,
            pipeline_names=ci_cd.pipeline_names,
            approval_topic_arn=ci_cd.approval_topic_arn,
        )
        self.register_outputs(self.outputs.exports())

    def _create_build_role(
        self,
        pipeline: str,
        targets: Sequence[naming.Target],
        artifacts_arn: pulumi.Output[str],
        key_arn: pulumi.Output[str],
    ) -> PlatformRole:
        """The role builds run as (one pipeline's target builds, or the checks): it reads the source
        artifact, writes its logs, and assumes the runner roles of ``targets``, and no other."""
        s = self._settings
        where = ", ".join(target.stack for target in targets) or "no account"
        assume = [docs.assume_roles([target.runner for target in targets])] if targets else []
        return PlatformRole(
            f"{self._name}-build-{pipeline}",
            PlatformRoleArgs(
                role_name=naming.build_role_name(pipeline),
                description=f"Runs the {pipeline} builds; assumes the runner roles of {where}",
                trust_policy=docs.service_trust(["codebuild.amazonaws.com"], s.account_id),
                statements=[
                    *assume,
                    pulumi.Output.all(artifacts_arn, key_arn).apply(
                        lambda arns: docs.object_access(arns[0], arns[1], "SourceArtifacts")
                    ),
                    docs.write_logs(s.partition, s.region, s.account_id, f"/aws/codebuild/{naming.PREFIX}-"),
                ],
                tags=s.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_audit_role(self, artifacts_arn: pulumi.Output[str], key_arn: pulumi.Output[str]) -> PlatformRole:
        """The role the nightly audit's build runs as: it reads this account's guardrail settings,
        assumes each target account's read-only auditor role (and no other), and tells the leads
        what drifted through the approval topic, which the account key encrypts."""
        s = self._settings
        topic = naming.approval_topic_arn(s.partition, s.region, s.account_id)
        return PlatformRole(
            f"{self._name}-audit",
            PlatformRoleArgs(
                role_name=naming.AUDIT_ROLE_NAME,
                description="Runs the nightly audit: reads this account, assumes each target account's auditor role",
                trust_policy=docs.service_trust(["codebuild.amazonaws.com"], s.account_id),
                statements=[
                    docs.assume_roles(s.cross_account_roles.auditors),
                    docs.audit_read(),
                    pulumi.Output.all(artifacts_arn, key_arn).apply(
                        lambda arns: docs.object_access(arns[0], arns[1], "SourceArtifacts")
                    ),
                    docs.write_logs(s.partition, s.region, s.account_id, f"/aws/codebuild/{naming.AUDIT_PIPELINE}"),
                    # Publishing to an encrypted topic takes the key's data keys:
                    # https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html
                    key_arn.apply(
                        lambda key: [
                            {"Sid": "ReportDrift", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic},
                            {
                                "Sid": "ReportDriftEncrypted",
                                "Effect": "Allow",
                                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                                "Resource": key,
                            },
                        ]
                    ),
                ],
                tags=s.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _notify_pending_versions(self, models: aws.sagemaker.ModelPackageGroup, topic_arn: pulumi.Output[str]) -> None:
        """Each version registered pending approval is announced on the approval topic, whose
        subscribers (the lead data scientist and the lead data engineer) approve or reject it here."""
        s = self._settings
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-model-pending-approval",
            name=naming.physical_name(s.role, "model-pending-approval"),
            description="A model version was registered pending approval",
            event_pattern=models.model_package_group_name.apply(
                lambda group: json.dumps(
                    {
                        "source": ["aws.sagemaker"],
                        "detail-type": ["SageMaker Model Package State Change"],
                        "detail": {
                            "ModelPackageGroupName": [group],
                            "ModelApprovalStatus": [naming.PENDING_APPROVAL],
                        },
                    }
                )
            ),
            tags=s.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            f"{self._name}-model-pending-approval",
            rule=rule.name,
            arn=topic_arn,
            input_transformer={
                "input_paths": {
                    "version": "$.detail.ModelPackageArn",
                    "description": "$.detail.ModelPackageDescription",
                },
                "input_template": (
                    '"Model version <version> awaits approval (<description>). Approve or reject it in '
                    'SageMaker Studio, Models, or with aws sagemaker update-model-package."'
                ),
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.sns.TopicPolicy(
            f"{self._name}-approvals",
            arn=topic_arn,
            policy=pulumi.Output.all(topic_arn, rule.arn).apply(
                lambda arns: json.dumps(
                    docs.document(
                        [
                            {
                                "Sid": "EventBridgeAnnouncesPendingVersions",
                                "Effect": "Allow",
                                "Principal": {"Service": "events.amazonaws.com"},
                                "Action": "sns:Publish",
                                "Resource": arns[0],
                                "Condition": {"ArnEquals": {"aws:SourceArn": arns[1]}},
                            }
                        ]
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_repository(self, key_arn: pulumi.Output[str]) -> aws.ecr.Repository:
        """Processing images: scanned on push, tags immutable, encrypted with the customer key,
        pullable by the target accounts' job execution roles."""
        s = self._settings
        repository = aws.ecr.Repository(
            f"{self._name}-processing-images",
            name=naming.ECR_REPOSITORY,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": key_arn}],
            tags=s.tags,
            opts=pulumi.ResourceOptions(parent=self, protect=s.protect),
        )
        aws.ecr.LifecyclePolicy(
            f"{self._name}-processing-images",
            repository=repository.name,
            policy=json.dumps(
                {
                    "rules": [
                        {
                            "rulePriority": 1,
                            "description": f"Keep the last {KEEP_IMAGES} images",
                            "selection": {
                                "tagStatus": "any",
                                "countType": "imageCountMoreThan",
                                "countNumber": KEEP_IMAGES,
                            },
                            "action": {"type": "expire"},
                        }
                    ]
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        pullers = s.cross_account_roles.job_executions
        aws.ecr.RepositoryPolicy(
            f"{self._name}-processing-images",
            repository=repository.name,
            policy=json.dumps(
                {
                    "Version": docs.VERSION,
                    "Statement": [
                        {
                            "Sid": "JobRolesOfTargetAccountsPull",
                            "Effect": "Allow",
                            # The roles may not exist yet when this stack deploys first: pin them by ARN.
                            "Principal": {"AWS": naming.account_roots(s.partition, pullers)},
                            "Action": [
                                "ecr:BatchGetImage",
                                "ecr:GetDownloadUrlForLayer",
                                "ecr:BatchCheckLayerAvailability",
                            ],
                            "Condition": {"ArnEquals": {"aws:PrincipalArn": sorted(pullers)}},
                        }
                    ],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return repository
