"""CI/CD in the tooling account: the source, CodeBuild projects and CodePipeline V2 pipelines.

A push to a team's feature branch runs the checks, then the feature job in that team's data
science account. A merge to the production branch runs the checks, (with a pre-production account)
the feature job there, waits for the teams' leads and the lead data engineer to approve, runs the
feature job in the data management account, then the training pipeline there, which registers a
model version pending approval in this account's registry. Every pipeline starts from the same
source through branch filters on V2 triggers, so one definition serves every branch of a team (no
pipeline per branch to create and clean up).

The builds run code from the branch, so what they may reach is decided by the role they run as,
not by the buildspec: each team's feature builds run as that team's build role, which may assume
only the team's runner role; only the production pipeline's build role reaches pre-production and
data management; the checks run as a build role that assumes nothing. Only CodePipeline runs as the
CI role, which starts the builds: no code from a branch ever holds it, since whoever may start a
build may override what it runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from contracts import naming
from contracts.config import Source

#: Buildspecs live in the repository, so a change to what CI runs is reviewed like code.
CHECKS_BUILDSPEC = "buildspecs/checks.yml"
FEATURE_JOB_BUILDSPEC = "buildspecs/feature-job.yml"
TRAINING_BUILDSPEC = "buildspecs/training.yml"
AUDIT_BUILDSPEC = "buildspecs/audit.yml"
TRAINING_TIMEOUT_MINUTES = 180
#: What the builds in target accounts read: environment variable to the pipeline variable it comes from.
FEATURE_JOB_VARIABLES = {"FEATURE_GROUP": "FeatureGroup", "FLOW": "Flow"}
TRAINING_VARIABLES = {"TRAINING_PIPELINE": "TrainingPipeline"}
BUILD_IMAGE = "aws/codebuild/standard:7.0"
SOURCE_ACTION = naming.SOURCE_STAGE


@dataclass(frozen=True)
class FeatureJobTarget:
    """Where a pipeline's build runs a job: the target's stack (``ops --account``) and the runner
    role the build assumes there."""

    stack: str
    role_arn: str


@dataclass(frozen=True)
class FeatureBranches:
    """A data science team's pipeline: pushes to ``branches`` run the team's feature job in its account."""

    team: str
    pipeline_name: str
    #: CodePipeline branch globs (``*`` stays within a path segment, ``**`` crosses them).
    branches: Sequence[str]
    target: FeatureJobTarget
    #: The role the team's builds run as: it may assume the team's runner role and nothing else.
    build_role_arn: pulumi.Input[str]
    #: The feature group (and its flow) a run processes unless started with other values: the team's first.
    default_feature_group: str | None


@dataclass(frozen=True)
class Production:
    """The production branch's pipeline: pre-production (where there is one), approval, production."""

    preprod: FeatureJobTarget | None
    production: FeatureJobTarget
    #: The role its builds run as: it may assume the pre-production and data management runners.
    build_role_arn: pulumi.Input[str]


@dataclass(frozen=True)
class NightlyAudit:
    """The audit of every account against the guardrails (``python -m ops audit``), on a schedule."""

    #: The stacks it audits, tooling first (its own, with the audit role's credentials), then each
    #: target account's through the account's read-only auditor role.
    stacks: Sequence[str]
    #: The role its build runs as (contracts/naming.AUDIT_ROLE_NAME).
    role_arn: pulumi.Input[str]
    #: An EventBridge schedule expression (contracts/audit.check_schedule).
    schedule: str


@dataclass(frozen=True)
class CiCdArgs:
    source: Source
    #: The artifact bucket (name) and the customer key for artifacts, logs and the approval topic.
    artifact_bucket: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    #: The CI role CodePipeline runs as (contracts/naming.CI_ROLE_NAME).
    ci_role_arn: pulumi.Input[str]
    ci_role_name: pulumi.Input[str]
    #: The role the checks build runs as: it reads the source and writes its logs, nothing else.
    checks_role_arn: pulumi.Input[str]
    #: Each team's feature branches (GitHub sources only: CodeCommit has no branch filters) ...
    teams: Sequence[FeatureBranches]
    #: ... and the production branch, after approval.
    production: Production
    audit: NightlyAudit
    #: E-mail addresses notified to approve production runs: the teams' leads and the lead data engineer.
    approvers: Sequence[str]
    #: The feature group (and its flow) a run processes unless started with other values.
    default_feature_group: str | None
    log_retention_days: int
    partition: str
    region: str
    account_id: str
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.approvers) < 2:
            raise ValueError(
                f"approvers: {list(self.approvers)} has fewer than two people; "
                "expected the teams' leads and the lead data engineer"
            )


class CiCd(pulumi.ComponentResource):
    source_arn: pulumi.Output[str]
    pipeline_names: list[str]
    approval_topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: CiCdArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:cicd:CiCd", name, None, opts)
        self._name = name
        self._args = args
        self._created: list[tuple[str, aws.codepipeline.Pipeline]] = []
        source_arn, source_action = self._create_source()
        topic = aws.sns.Topic(
            f"{name}-approvals",
            name=naming.APPROVAL_TOPIC,
            kms_master_key_id=args.kms_key_arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for email in args.approvers:
            # Named by the address, so adding a team never replaces (and re-confirms) another's subscription.
            aws.sns.TopicSubscription(
                f"{name}-approver-{email}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=pulumi.ResourceOptions(parent=self),
            )
        checks = self._create_project(
            "checks", CHECKS_BUILDSPEC, "Runs make test and the offline policy check", args.checks_role_arn
        )
        production = args.production
        feature_job = self._create_project(
            "feature-job",
            FEATURE_JOB_BUILDSPEC,
            "Runs a feature job in pre-production or data management, as its runner role",
            production.build_role_arn,
        )
        # A training run waits for three SageMaker jobs; buildspecs/training.yml gives up 10 minutes earlier.
        training = self._create_project(
            "training",
            TRAINING_BUILDSPEC,
            "Runs a training pipeline in data management, as its runner role",
            production.build_role_arn,
            timeout_minutes=TRAINING_TIMEOUT_MINUTES,
        )
        preprod = (
            [self._target_stage(naming.PREPROD_STAGE, feature_job, production.preprod, FEATURE_JOB_VARIABLES)]
            if production.preprod
            else []
        )
        production_pipeline = self._create_pipeline(
            naming.physical_name("tooling", naming.PRODUCTION),
            [args.source.production_branch],
            source_action,
            [
                self._build_stage(naming.CHECKS_STAGE, checks),
                *preprod,
                self._approval_stage(topic, preprod=bool(preprod)),
                self._target_stage(naming.PRODUCTION_STAGE, feature_job, production.production, FEATURE_JOB_VARIABLES),
                self._target_stage(naming.TRAINING_STAGE, training, production.production, TRAINING_VARIABLES),
            ],
            args.default_feature_group,
            training=True,
        )
        # A CodeCommit source action is bound to one branch, so feature branches need the V2
        # branch filters that only a CodeConnections source offers.
        if args.source.provider == "github":
            for team in args.teams:
                team_job = self._create_project(
                    f"feature-job-{team.team}",
                    FEATURE_JOB_BUILDSPEC,
                    f"Runs a feature job of the {team.team} team's feature branches in its account",
                    team.build_role_arn,
                )
                self._create_pipeline(
                    team.pipeline_name,
                    team.branches,
                    source_action,
                    [
                        self._build_stage(naming.CHECKS_STAGE, checks),
                        self._target_stage("FeatureJob", team_job, team.target, FEATURE_JOB_VARIABLES),
                    ],
                    team.default_feature_group,
                )
        self._create_audit(source_action)
        aws.iam.RolePolicy(
            f"{name}-ci-pipelines",
            role=args.ci_role_name,
            policy=pulumi.Output.all(source_arn, topic.arn).apply(
                lambda a: json.dumps(docs.document(self._ci_statements(a[0], a[1])))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        if args.source.provider == "codecommit":
            self._trigger_codecommit(source_arn, production_pipeline)
        self.source_arn = source_arn
        self.pipeline_names = sorted(pipeline_name for pipeline_name, _ in self._created)
        self.approval_topic_arn = topic.arn
        self.register_outputs({"sourceArn": self.source_arn, "pipelineNames": self.pipeline_names})

    # --- source --------------------------------------------------------------------------------

    def _create_source(self) -> tuple[pulumi.Output[str], pulumi.Output[dict[str, Any]]]:
        """The connection (GitHub) or repository (CodeCommit), and the pipelines' source action."""
        args = self._args
        if args.source.provider == "github":
            # Created PENDING: someone with access to the GitHub organization completes the
            # handshake once in the console (Developer Tools, Connections); AWS offers no API for it.
            connection = aws.codestarconnections.Connection(
                f"{self._name}-github",
                name=naming.physical_name("tooling", "github"),
                provider_type="GitHub",
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            action = connection.arn.apply(
                lambda arn: {
                    "provider": "CodeStarSourceConnection",
                    "configuration": {
                        "ConnectionArn": arn,
                        "FullRepositoryId": args.source.repository,
                        "BranchName": args.source.production_branch,
                        # Full clone: the checks read the git revision for the resources' tags.
                        "OutputArtifactFormat": "CODEBUILD_CLONE_REF",
                        "DetectChanges": "false",
                    },
                }
            )
            return connection.arn, action
        repository = aws.codecommit.Repository(
            f"{self._name}-repository",
            repository_name=args.source.repository,
            description="The MLOps feature platform: infrastructure, feature catalog and flows",
            default_branch=args.source.production_branch,
            kms_key_id=args.kms_key_arn,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        action = pulumi.Output.from_input(
            {
                "provider": "CodeCommit",
                "configuration": {
                    "RepositoryName": args.source.repository,
                    "BranchName": args.source.production_branch,
                    "PollForSourceChanges": "false",
                },
            }
        )
        return repository.arn, action

    # --- builds --------------------------------------------------------------------------------

    def _create_project(
        self,
        suffix: str,
        buildspec: str,
        description: str,
        service_role_arn: pulumi.Input[str],
        timeout_minutes: int = 60,
    ) -> aws.codebuild.Project:
        args = self._args
        project_name = naming.physical_name("tooling", suffix)
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-{suffix}-logs",
            name=f"/aws/codebuild/{project_name}",
            kms_key_id=args.kms_key_arn,
            retention_in_days=args.log_retention_days,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return aws.codebuild.Project(
            f"{self._name}-{suffix}",
            name=project_name,
            description=description,
            service_role=service_role_arn,
            encryption_key=args.kms_key_arn,
            source={"type": "CODEPIPELINE", "buildspec": buildspec},
            artifacts={"type": "CODEPIPELINE"},
            environment={
                "type": "LINUX_CONTAINER",
                "compute_type": "BUILD_GENERAL1_MEDIUM",
                "image": BUILD_IMAGE,
                "image_pull_credentials_type": "CODEBUILD",
                # No Docker daemon: the builds run Python and call AWS APIs, nothing more.
                "privileged_mode": False,
            },
            logs_config={"cloudwatch_logs": {"status": "ENABLED", "group_name": log_group.name}},
            build_timeout=timeout_minutes,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )

    # --- pipelines -----------------------------------------------------------------------------

    def _build_stage(
        self, stage: str, project: aws.codebuild.Project, variables: Sequence[Mapping[str, str]] = ()
    ) -> pulumi.Input[dict[str, Any]]:
        """A stage of one CodeBuild action on the source, with plaintext (never secret) variables."""

        def render(project_name: str) -> dict[str, Any]:
            configuration = {"ProjectName": project_name}
            if variables:
                configuration["EnvironmentVariables"] = json.dumps(list(variables))
            action = {
                "name": stage,
                "category": "Build",
                "owner": "AWS",
                "provider": "CodeBuild",
                "version": "1",
                "input_artifacts": ["source"],
                "configuration": configuration,
            }
            return {"name": stage, "actions": [action]}

        return project.name.apply(render)

    def _target_stage(
        self, stage: str, project: aws.codebuild.Project, target: FeatureJobTarget, variables: Mapping[str, str]
    ) -> pulumi.Input[dict[str, Any]]:
        """A build in a target account, as the role the build assumes there, given ``variables``
        (environment variable to the pipeline variable it takes its value from)."""
        return self._build_stage(
            stage,
            project,
            [
                {"name": "TARGET_ACCOUNT", "value": target.stack, "type": "PLAINTEXT"},
                {"name": "TARGET_ROLE_ARN", "value": target.role_arn, "type": "PLAINTEXT"},
                *(
                    {"name": name, "value": f"#{{variables.{variable}}}", "type": "PLAINTEXT"}
                    for name, variable in variables.items()
                ),
            ],
        )

    def _approval_stage(self, topic: aws.sns.Topic, preprod: bool) -> pulumi.Input[dict[str, Any]]:
        # The topic's subscribers are every team's leads and the lead data engineer; the message
        # names their roles, not the people, so it does not grow with the teams.
        review = "Approve the production feature job after review by the team's lead and the lead data engineer"
        evidence = ", with the PreprodFeatureJob stage's run in front of you." if preprod else "."
        return topic.arn.apply(
            lambda topic_arn: {
                "name": naming.APPROVAL_STAGE,
                "actions": [
                    {
                        "name": "ReviewByLeads",
                        "category": "Approval",
                        "owner": "AWS",
                        "provider": "Manual",
                        "version": "1",
                        "configuration": {
                            "NotificationArn": topic_arn,
                            "CustomData": review + evidence,
                        },
                    }
                ],
            }
        )

    def _create_pipeline(
        self,
        pipeline_name: str,
        branches: Sequence[str] | None,
        source_action: pulumi.Output[dict[str, Any]],
        stages: Sequence[pulumi.Input[dict[str, Any]]],
        default_group: str | None,
        training: bool = False,
    ) -> aws.codepipeline.Pipeline:
        """A pipeline started by pushes to ``branches``, or with None, only when started (by a
        schedule, or by hand) on the production branch."""
        args = self._args
        scheduled = branches is None
        source_stage = source_action.apply(
            lambda action: {
                "name": SOURCE_ACTION,
                "actions": [
                    {
                        "name": SOURCE_ACTION,
                        "category": "Source",
                        "owner": "AWS",
                        "version": "1",
                        "output_artifacts": ["source"],
                        **action,
                        # Without triggers, a connection source starts the pipeline on every push unless
                        # DetectChanges is false: https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-CodestarConnectionSource.html
                        **(
                            {"configuration": {**action["configuration"], "DetectChanges": "false"}}
                            if scheduled and args.source.provider == "github"
                            else {}
                        ),
                    }
                ],
            }
        )
        triggers: list[aws.codepipeline.PipelineTriggerArgsDict] | None = (
            [
                {
                    "provider_type": "CodeStarSourceConnection",
                    "git_configuration": {
                        "source_action_name": SOURCE_ACTION,
                        "pushes": [{"branches": {"includes": list(branches)}}],
                    },
                }
            ]
            if args.source.provider == "github" and branches is not None
            else None
        )
        # Feature branches run side by side; production runs one at a time, in merge order (a
        # scheduled pipeline too: a run started while one is going waits for it).
        one_at_a_time = scheduled or list(branches or ()) == [args.source.production_branch]
        pipeline = aws.codepipeline.Pipeline(
            f"{self._name}-{pipeline_name}",
            name=pipeline_name,
            pipeline_type="V2",
            execution_mode="QUEUED" if one_at_a_time else "PARALLEL",
            role_arn=args.ci_role_arn,
            artifact_stores=[
                {
                    "location": args.artifact_bucket,
                    "type": "S3",
                    "encryption_key": {"id": args.kms_key_arn, "type": "KMS"},
                }
            ],
            variables=[] if scheduled else self._variables(default_group, training),
            stages=pulumi.Output.all(source_stage, *stages),
            triggers=triggers,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._created.append((pipeline_name, pipeline))
        return pipeline

    def _create_audit(self, source_action: pulumi.Output[dict[str, Any]]) -> None:
        """The nightly audit: a pipeline of the production branch's source and one build, which
        audits every account and publishes what drifted to the approval topic, started on schedule."""
        args = self._args
        audit = args.audit
        project = self._create_project(
            "audit",
            AUDIT_BUILDSPEC,
            "Audits every account against the platform's guardrails, read-only, and reports drift to the leads",
            audit.role_arn,
        )
        pipeline = self._create_pipeline(
            naming.AUDIT_PIPELINE,
            None,
            source_action,
            [
                self._build_stage(
                    "Audit",
                    project,
                    [
                        {"name": "AUDIT_STACKS", "value": " ".join(audit.stacks), "type": "PLAINTEXT"},
                        {
                            "name": "NOTIFY_TOPIC_ARN",
                            "value": naming.approval_topic_arn(args.partition, args.region, args.account_id),
                            "type": "PLAINTEXT",
                        },
                    ],
                )
            ],
            None,
        )
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-nightly-audit",
            name=naming.physical_name("tooling", "nightly-audit"),
            description="Starts the audit of every account against the guardrails",
            schedule_expression=audit.schedule,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._start_pipeline_on(
            rule,
            f"{self._name}-nightly-audit",
            pipeline,
            (f"{self._name}-audit-schedule", naming.physical_name("tooling", "audit-schedule")),
            "StartAudit",
        )

    def _start_pipeline_on(
        self,
        rule: aws.cloudwatch.EventRule,
        target: str,
        pipeline: aws.codepipeline.Pipeline,
        role: tuple[str, str],
        sid: str,
    ) -> None:
        """EventBridge starts ``pipeline`` on ``rule`` (the target's resource name ``target``), as a
        role (resource name, role name) that may start that pipeline alone."""
        args = self._args
        resource_name, role_name = role
        starter = aws.iam.Role(
            resource_name,
            name=role_name,
            path=naming.ROLE_PATH,
            assume_role_policy=json.dumps(docs.service_trust(["events.amazonaws.com"], args.account_id)),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            resource_name,
            role=starter.id,
            policy=pipeline.arn.apply(
                lambda arn: json.dumps(
                    docs.document(
                        [
                            {
                                "Sid": sid,
                                "Effect": "Allow",
                                "Action": "codepipeline:StartPipelineExecution",
                                "Resource": arn,
                            }
                        ]
                    )
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.cloudwatch.EventTarget(
            target,
            rule=rule.name,
            arn=pipeline.arn,
            role_arn=starter.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _variables(self, group: str | None, training: bool) -> list[aws.codepipeline.PipelineVariableArgsDict]:
        """Which feature group and flow a run processes (and, with ``training``, which training
        pipeline follows); set them when starting a run by hand."""
        feature_group: aws.codepipeline.PipelineVariableArgsDict = {
            "name": "FeatureGroup",
            "description": "The feature group (features/<name>.yaml) the job writes",
        }
        flow: aws.codepipeline.PipelineVariableArgsDict = {
            "name": "Flow",
            "description": "The Data Wrangler flow (or its exported script) the job runs",
        }
        variables = [feature_group, flow]
        if training:
            variables.append(
                {
                    "name": "TrainingPipeline",
                    "description": "The training pipeline (pipelines/<name>.py) run on the new features",
                }
            )
        if group:
            feature_group["default_value"] = group
            flow["default_value"] = f"flows/{group}.flow"
            if training:
                variables[2]["default_value"] = f"pipelines/{group}.py"
        return variables

    def _trigger_codecommit(self, repository_arn: pulumi.Output[str], production: aws.codepipeline.Pipeline) -> None:
        """CodeCommit has no V2 push triggers: EventBridge starts the production pipeline on a push
        to the production branch."""
        args = self._args
        rule = aws.cloudwatch.EventRule(
            f"{self._name}-production-push",
            description="A push to the production branch starts the production pipeline",
            event_pattern=repository_arn.apply(
                lambda arn: json.dumps(
                    {
                        "source": ["aws.codecommit"],
                        "detail-type": ["CodeCommit Repository State Change"],
                        "resources": [arn],
                        "detail": {
                            "event": ["referenceCreated", "referenceUpdated"],
                            "referenceType": ["branch"],
                            "referenceName": [args.source.production_branch],
                        },
                    }
                )
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._start_pipeline_on(
            rule,
            f"{self._name}-production-push",
            production,
            (f"{self._name}-events", naming.physical_name("tooling", "pipeline-events")),
            "StartProduction",
        )

    def _ci_statements(self, source_arn: str, topic_arn: str) -> list[dict[str, Any]]:
        """What the CI role needs for its own pipelines, beyond artifacts. Its builds and pipelines are
        named by the account's prefix, so the policy does not grow with the teams (an inline policy
        listing each would reach IAM's 10,240 characters per role at about 50 teams:
        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""
        args = self._args
        own = f"{naming.physical_name('tooling')}-*"
        prefix = f"arn:{args.partition}:%s:{args.region}:{args.account_id}:"
        source = (
            {
                "Sid": "UseSourceConnection",
                "Effect": "Allow",
                # The action's prefix must match the connection ARN's (codestar-connections here):
                # https://docs.aws.amazon.com/dtconsole/latest/userguide/rename.html
                "Action": "codestar-connections:UseConnection",
                "Resource": source_arn,
            }
            if self._args.source.provider == "github"
            else {
                "Sid": "PullSourceRepository",
                "Effect": "Allow",
                "Action": [
                    "codecommit:GetBranch",
                    "codecommit:GetCommit",
                    "codecommit:GetRepository",
                    "codecommit:UploadArchive",
                    "codecommit:GetUploadArchiveStatus",
                    "codecommit:CancelUploadArchive",
                    "codecommit:GitPull",
                ],
                "Resource": source_arn,
            }
        )
        return [
            source,
            {
                "Sid": "RunBuilds",
                "Effect": "Allow",
                "Action": ["codebuild:StartBuild", "codebuild:BatchGetBuilds", "codebuild:StopBuild"],
                "Resource": prefix % "codebuild" + f"project/{own}",
            },
            {"Sid": "NotifyApprovers", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
            {
                "Sid": "FollowOwnPipelines",
                "Effect": "Allow",
                "Action": ["codepipeline:GetPipelineExecution", "codepipeline:GetPipelineState"],
                "Resource": prefix % "codepipeline" + own,
            },
        ]
