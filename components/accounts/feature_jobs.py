"""Feature jobs in a target account: the runner role the tooling CI assumes to run them (and
training pipelines), and the job settings it needs, published in SSM Parameter Store
(``naming.FEATURE_JOB_SETTINGS_PARAMETER``) so a build needs neither the Pulumi CLI nor stack outputs."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.accounts.foundation import AccountFoundation, moved_children
from components.accounts.outputs import ToolingOutputs
from components.accounts.training import ModelTraining
from components.iam import PlatformRole, PlatformRoleArgs
from contracts import naming
from contracts.config import Settings
from contracts.job_settings import JobSettings, TrainingSettings


@dataclass(frozen=True)
class FeatureJobsArgs:
    settings: Settings
    #: The account's key, network and buckets (its feature-jobs bucket among them).
    foundation: AccountFoundation
    #: The tooling stack's exports: the artifacts the runner reads the job's flow from.
    tooling: ToolingOutputs
    #: The runner role's resource name suffix.
    runner: str
    description: str
    #: The role feature jobs run as (processing jobs), and the account's training pipelines.
    job_execution_role_arn: pulumi.Output[str]
    training: ModelTraining
    #: Where the account reads curated data (labels): the database, or its resource link.
    curated_database: str

    def __post_init__(self) -> None:
        if naming.FEATURE_JOBS_BUCKET not in self.foundation.buckets or self.foundation.network is None:
            raise ValueError(
                f"foundation: {sorted(self.foundation.buckets)} has no {naming.FEATURE_JOBS_BUCKET!r} bucket or no "
                "network; expected a target account's foundation"
            )


class FeatureJobs(pulumi.ComponentResource):
    """Trusted by the tooling build role of the account's pipeline alone (a team's, or production's),
    the runner reads the job's flow from the tooling artifacts and hands it to the job through this
    account's feature-jobs bucket (the job's execution role cannot reach the tooling account),
    upserts and starts ``mlops-feature-*`` and ``mlops-training-*`` pipelines, and passes only the
    job execution role and the training role to SageMaker. It reads no data."""

    runner: PlatformRole

    def __init__(self, name: str, args: FeatureJobsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:FeatureJobs", name, None, opts)
        prefix = f"{name}-{args.runner}"
        children = moved_children(self, opts)
        s, foundation = args.settings, args.foundation
        p, region, account = s.partition, s.region, s.account_id
        network, key_arn = foundation.network, foundation.key.arn
        assert network is not None  # checked by the args
        jobs_bucket = naming.bucket_name(s.role, naming.FEATURE_JOBS_BUCKET, account, region)
        parameter = aws.ssm.Parameter(
            f"{prefix}-settings",
            name=naming.FEATURE_JOB_SETTINGS_PARAMETER,
            description="What a feature job or training pipeline in this account needs: roles, buckets, network, key",
            type="String",
            value=pulumi.Output.all(
                args.job_execution_role_arn,
                network.subnet_ids,
                network.studio_security_group_id,
                key_arn,
                args.training.role.arn,
            ).apply(
                lambda v: JobSettings(
                    account_id=account,
                    region=region,
                    execution_role_arn=v[0],
                    bucket=jobs_bucket,
                    subnet_ids=tuple(v[1]),
                    security_group_ids=(v[2],),
                    kms_key_arn=v[3],
                    pipeline_prefix=naming.FEATURE_PIPELINE_PREFIX,
                    training=TrainingSettings(
                        role_arn=v[4],
                        bucket=naming.bucket_name(s.role, naming.TRAINING_BUCKET, account, region),
                        athena_workgroup=naming.training_workgroup(s.role),
                        curated_database=args.curated_database,
                        model_package_group_arn=naming.model_package_group_arn(p, region, s.accounts.tooling),
                        pipeline_prefix=naming.TRAINING_PIPELINE_PREFIX,
                    ),
                    package_mirror=s.package_mirror,
                ).to_json()
            ),
            tags=s.tags,
            opts=children,
        )
        tooling = args.tooling
        self.runner = PlatformRole(
            prefix,
            PlatformRoleArgs(
                role_name=naming.runner_role_name(s.target.role),
                description=args.description,
                trust_policy=docs.role_trust(s.cross_account_roles.build_role(s.target.pipeline)),
                statements=[
                    pulumi.Output.all(tooling.artifact_bucket_arn, tooling.artifact_key_arn).apply(
                        lambda arns: docs.object_access(arns[0], arns[1], "ToolingArtifacts")
                    ),
                    key_arn.apply(
                        lambda key: docs.object_access(
                            foundation.bucket_arn(naming.FEATURE_JOBS_BUCKET), key, "FeatureJobs", write=True
                        )
                    ),
                    docs.sagemaker_pipelines(
                        p, region, account, [naming.FEATURE_PIPELINE_PREFIX, naming.TRAINING_PIPELINE_PREFIX]
                    ),
                    pulumi.Output.all(args.job_execution_role_arn, args.training.role.arn).apply(
                        docs.pass_roles_to_sagemaker
                    ),
                    parameter.arn.apply(docs.read_parameter),
                    docs.describe_feature_groups(p, region, account),
                ],
                tags=s.tags,
            ),
            opts=children,
        )
        self.register_outputs({"runnerRoleArn": self.runner.arn})
