"""What every account has (its customer key and access-log bucket), and the pieces the accounts
share: their data buckets and the roles the tooling CI assumes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.accounts.outputs import ToolingOutputs
from components.feature_store import FeatureStore, FeatureStoreArgs
from components.iam import PlatformRole, PlatformRoleArgs, Statements
from components.kms import CustomerKey, CustomerKeyArgs
from components.lake_formation import LakeFormationSettings
from components.network import PrivateNetwork, PrivateNetworkArgs
from components.storage import EncryptedBucket, EncryptedBucketArgs
from components.studio import StudioDomain, StudioDomainArgs
from contracts import naming, sagemaker_images
from contracts.config import Settings
from contracts.feature_catalog import FeatureGroupSpec
from contracts.job_settings import JobSettings, TrainingSettings


@dataclass(frozen=True)
class AccountBasics:
    key: CustomerKey
    access_logs: EncryptedBucket


def account_basics(
    name: str,
    settings: Settings,
    parent: pulumi.Resource,
    decrypt_roles: Sequence[str] = (),
    eventbridge_publishes: bool = False,
) -> AccountBasics:
    """The account's key (other accounts' ``decrypt_roles`` may decrypt; this account's log groups,
    and with ``eventbridge_publishes`` the topics EventBridge publishes to, are encrypted with it)
    and its access-log bucket."""
    key = CustomerKey(
        f"{name}-key",
        CustomerKeyArgs(
            description=f"Encrypts the {settings.role} account's platform data",
            alias=naming.physical_name(settings.role, "data"),
            policy=json.dumps(
                docs.kms_key_policy(
                    settings.partition, settings.account_id, decrypt_roles, settings.region, eventbridge_publishes
                )
            ),
            tags=settings.tags,
            protect=settings.protect,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    access_logs = EncryptedBucket(
        f"{name}-access-logs",
        EncryptedBucketArgs(
            bucket_name=naming.bucket_name(settings.role, "access-logs", settings.account_id, settings.region),
            partition=settings.partition,
            account_id=settings.account_id,
            kms_key_arn=None,
            access_log_bucket=None,
            access_log_target=True,
            noncurrent_version_days=settings.noncurrent_version_days,
            # Access logs are kept as long as the platform's CloudWatch logs.
            expire_after_days=settings.log_retention_days,
            tags=settings.tags,
            protect=settings.protect,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return AccountBasics(key=key, access_logs=access_logs)


def bucket_arn(settings: Settings, purpose: str) -> str:
    """A data bucket's ARN, known before the bucket exists (its name is deterministic)."""
    name = naming.bucket_name(settings.role, purpose, settings.account_id, settings.region)
    return f"arn:{settings.partition}:s3:::{name}"


def data_bucket(
    name: str,
    purpose: str,
    settings: Settings,
    basics: AccountBasics,
    parent: pulumi.Resource,
    read_roles: Sequence[str] = (),
    vpc_endpoint_id: pulumi.Input[str] | None = None,
    outside_vpc_roles: Sequence[pulumi.Input[str]] = (),
) -> EncryptedBucket:
    """A bucket encrypted with the account key, logging to the account's access-log bucket."""
    return EncryptedBucket(
        f"{name}-{purpose}",
        EncryptedBucketArgs(
            bucket_name=naming.bucket_name(settings.role, purpose, settings.account_id, settings.region),
            partition=settings.partition,
            account_id=settings.account_id,
            kms_key_arn=basics.key.arn,
            access_log_bucket=basics.access_logs.bucket,
            read_roles=read_roles,
            vpc_endpoint_id=vpc_endpoint_id,
            outside_vpc_roles=outside_vpc_roles,
            noncurrent_version_days=settings.noncurrent_version_days,
            tags=settings.tags,
            protect=settings.protect,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


#: Each target account's bucket for feature-job inputs (the flow or script the CI hands over).
FEATURE_JOBS_BUCKET = "feature-jobs"
#: Each target account's bucket for training datasets, Athena results, models and their evaluations.
TRAINING_BUCKET = "training"
#: Where the account's Athena workgroup writes query results, in the training bucket.
ATHENA_RESULTS = "athena/"


def feature_job_runner(
    name: str,
    role_name: str,
    description: str,
    settings: Settings,
    tooling: ToolingOutputs,
    key_arn: pulumi.Output[str],
    network: PrivateNetwork,
    execution_role_arn: pulumi.Output[str],
    training: ModelTraining,
    curated_database: str,
    parent: pulumi.Resource,
) -> PlatformRole:
    """The role the tooling CI assumes in this account to run feature jobs and training pipelines,
    and what it needs to know to run them, published in SSM Parameter Store
    (``naming.FEATURE_JOB_SETTINGS_PARAMETER``) so the build needs neither the Pulumi CLI nor stack
    outputs.

    Trusted by the CI role alone, the role reads the job's flow from the tooling artifacts and hands
    it to the job through this account's feature-jobs bucket (the job's execution role cannot reach
    the tooling account), upserts and starts ``mlops-feature-*`` and ``mlops-training-*`` pipelines,
    and passes only the job execution role and the training role to SageMaker. It reads no data.
    """
    p, region, account = settings.partition, settings.region, settings.account_id
    jobs_bucket = naming.bucket_name(settings.role, FEATURE_JOBS_BUCKET, account, region)
    parameter = aws.ssm.Parameter(
        f"{name}-settings",
        name=naming.FEATURE_JOB_SETTINGS_PARAMETER,
        description="What a feature job or training pipeline in this account needs: roles, buckets, network, key",
        type="String",
        value=pulumi.Output.all(
            execution_role_arn, network.subnet_ids, network.studio_security_group_id, key_arn, training.role.arn
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
                    bucket=naming.bucket_name(settings.role, TRAINING_BUCKET, account, region),
                    athena_workgroup=naming.training_workgroup(settings.role),
                    curated_database=curated_database,
                    model_package_group_arn=naming.model_package_group_arn(p, region, settings.accounts.tooling),
                    pipeline_prefix=naming.TRAINING_PIPELINE_PREFIX,
                ),
            ).to_json()
        ),
        tags=settings.tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return PlatformRole(
        name,
        PlatformRoleArgs(
            role_name=role_name,
            description=description,
            trust_policy=docs.role_trust(settings.cross_account_roles.ci),
            statements=[
                pulumi.Output.all(tooling.artifact_bucket_arn, tooling.artifact_key_arn).apply(
                    lambda arns: docs.object_access(arns[0], arns[1], "ToolingArtifacts")
                ),
                key_arn.apply(
                    lambda key: docs.object_access(f"arn:{p}:s3:::{jobs_bucket}", key, "FeatureJobs", write=True)
                ),
                docs.sagemaker_pipelines(
                    p, region, account, [naming.FEATURE_PIPELINE_PREFIX, naming.TRAINING_PIPELINE_PREFIX]
                ),
                pulumi.Output.all(execution_role_arn, training.role.arn).apply(docs.pass_roles_to_sagemaker),
                parameter.arn.apply(docs.read_parameter),
                docs.describe_feature_groups(p, region, account),
            ],
            tags=settings.tags,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def job_execution_role(
    name: str,
    role_name: str,
    description: str,
    settings: Settings,
    network: PrivateNetwork,
    key_arn: pulumi.Output[str],
    parent: pulumi.Resource,
    catalog_accounts: Sequence[str],
    data: Sequence[pulumi.Input[Statements]] = (),
) -> PlatformRole:
    """The execution role of feature jobs (and of Studio): processing jobs that read and write this
    account's feature group records, plus ``data``; see ``sagemaker_execution_role``."""
    p, region, account = settings.partition, settings.region, settings.account_id
    return sagemaker_execution_role(
        name,
        role_name,
        description,
        settings,
        network,
        key_arn,
        parent,
        catalog_accounts,
        ("processing",),
        [docs.feature_store_records(p, region, account), *data],
        # A feature job's first step writes the features it made next to its inputs, for the second
        # step to ingest.
        write_job_files=True,
    )


def sagemaker_execution_role(
    name: str,
    role_name: str,
    description: str,
    settings: Settings,
    network: PrivateNetwork,
    key_arn: pulumi.Output[str],
    parent: pulumi.Resource,
    catalog_accounts: Sequence[str],
    kinds: Sequence[docs.JobKind],
    data: Sequence[pulumi.Input[Statements]],
    write_job_files: bool = False,
) -> PlatformRole:
    """The execution role of SageMaker jobs: least privilege, and any job of ``kinds`` it starts
    must run in this VPC with the account key on its volumes and outputs.

    It reads the job's inputs from the feature-jobs bucket, pulls SageMaker's images, reads the
    catalog of ``catalog_accounts`` through Lake Formation, writes its logs, may pass itself (and
    only itself) to SageMaker, plus ``data``.
    """
    p, region, account = settings.partition, settings.region, settings.account_id
    vpc_jobs = pulumi.Output.all(network.subnet_ids, network.studio_security_group_id, key_arn).apply(
        lambda v: [
            statement for kind in kinds for statement in docs.vpc_jobs(p, region, account, v[0], [v[1]], v[2], kind)
        ]
    )
    jobs_bucket = bucket_arn(settings, FEATURE_JOBS_BUCKET)
    return PlatformRole(
        name,
        PlatformRoleArgs(
            role_name=role_name,
            description=description,
            trust_policy=docs.service_trust(["sagemaker.amazonaws.com"], account),
            statements=[
                vpc_jobs,
                docs.vpc_network_interfaces(p, region, account),
                key_arn.apply(
                    lambda key: [
                        docs.key_use(key),
                        docs.key_grants_for_aws_resources(key),
                        *docs.object_access(jobs_bucket, key, "FeatureJobFiles", write=write_job_files),
                    ]
                ),
                docs.ecr_pull(
                    p,
                    region,
                    account,
                    settings.accounts.tooling,
                    naming.ECR_REPOSITORY,
                    sagemaker_images.image_repository_arns(p, region),
                ),
                docs.glue_catalog_read(p, region, catalog_accounts),
                docs.write_logs(p, region, account, "/aws/sagemaker/"),
                docs.pass_roles_to_sagemaker([naming.role_arn(p, account, role_name)]),
                *data,
            ],
            tags=settings.tags,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class ModelTraining:
    """What a target account trains models with: a bucket, an Athena workgroup and a role."""

    bucket: EncryptedBucket
    workgroup: aws.athena.Workgroup
    role: PlatformRole


def model_training(
    name: str,
    role_name: str,
    settings: Settings,
    basics: AccountBasics,
    network: PrivateNetwork,
    parent: pulumi.Resource,
    catalog_accounts: Sequence[str],
    data: Sequence[pulumi.Input[Statements]] = (),
) -> ModelTraining:
    """Training pipelines in this account: they build a dataset from the offline store with Athena
    (as of a point in time, through Lake Formation), train and evaluate in the VPC with the account
    key, and register the model in the tooling account's registry as a version pending approval.

    The training role is the pipelines' execution role; it reads the job inputs the CI hands over,
    reads and writes the training bucket, queries in its own workgroup, registers model versions
    (``PendingManualApproval`` only, never approves), plus ``data`` (what it may read).
    """
    p, region, account = settings.partition, settings.region, settings.account_id
    bucket = data_bucket(name, TRAINING_BUCKET, settings, basics, parent, vpc_endpoint_id=network.s3_endpoint_id)
    workgroup = aws.athena.Workgroup(
        f"{name}-training",
        name=naming.training_workgroup(settings.role),
        description="Studio's queries and training datasets; results encrypted in the training bucket",
        configuration={
            # Queries cannot choose another result location or drop the encryption.
            "enforce_workgroup_configuration": True,
            "publish_cloudwatch_metrics_enabled": True,
            "result_configuration": {
                "output_location": bucket.bucket.apply(lambda b: f"s3://{b}/{ATHENA_RESULTS}"),
                "encryption_configuration": {"encryption_option": "SSE_KMS", "kms_key_arn": basics.key.arn},
            },
        },
        tags=settings.tags,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    training_bucket = bucket_arn(settings, TRAINING_BUCKET)
    role = sagemaker_execution_role(
        f"{name}-training",
        role_name,
        "Execution role of training pipelines: Athena datasets, VPC training jobs, model versions pending approval",
        settings,
        network,
        basics.key.arn,
        parent,
        catalog_accounts,
        ("processing", "training"),
        [
            basics.key.arn.apply(lambda key: docs.object_access(training_bucket, key, "TrainingData", write=True)),
            docs.athena_queries(p, region, account, naming.training_workgroup(settings.role)),
            docs.describe_feature_groups(p, region, account),
            docs.register_model_versions(naming.model_package_group_arn(p, region, settings.accounts.tooling)),
            *data,
        ],
    )
    return ModelTraining(bucket=bucket, workgroup=workgroup, role=role)


def private_network(
    name: str,
    settings: Settings,
    basics: AccountBasics,
    bucket_purposes: Sequence[str],
    parent: pulumi.Resource,
    extra_endpoints: Sequence[str] = (),
) -> PrivateNetwork:
    """The account's internet-free VPC; its S3 endpoint reaches the account's buckets of
    ``bucket_purposes`` (named, so the endpoint need not wait for the buckets). ``extra_endpoints``
    are the interface endpoints what the account runs needs beyond the configured ones."""
    assert settings.network is not None  # config gives every account with a VPC its network
    network = settings.network
    return PrivateNetwork(
        f"{name}-network",
        PrivateNetworkArgs(
            vpc_cidr=network.vpc_cidr,
            availability_zones=network.availability_zones,
            subnet_cidrs=network.subnet_cidrs,
            region=settings.region,
            partition=settings.partition,
            account_id=settings.account_id,
            interface_endpoints=[
                *network.interface_endpoints,
                *(e for e in extra_endpoints if e not in network.interface_endpoints),
            ],
            flow_log_key_arn=basics.key.arn,
            log_retention_days=settings.log_retention_days,
            gateway_bucket_arns=[bucket_arn(settings, purpose) for purpose in bucket_purposes],
            tags=settings.tags,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def feature_jobs_bucket(
    name: str,
    settings: Settings,
    basics: AccountBasics,
    network: PrivateNetwork,
    runner_role_name: str,
    parent: pulumi.Resource,
) -> EncryptedBucket:
    """Where the CI's runner (or deployer) hands each job its flow, from outside the VPC."""
    return data_bucket(
        name,
        FEATURE_JOBS_BUCKET,
        settings,
        basics,
        parent,
        vpc_endpoint_id=network.s3_endpoint_id,
        outside_vpc_roles=[naming.role_arn(settings.partition, settings.account_id, runner_role_name)],
    )


def studio_domain(
    name: str,
    domain: str,
    settings: Settings,
    basics: AccountBasics,
    network: PrivateNetwork,
    execution_role: PlatformRole,
    parent: pulumi.Resource,
) -> StudioDomain:
    """A VPC-only Studio domain in the account's network, with a profile per data scientist."""
    return StudioDomain(
        f"{name}-studio",
        StudioDomainArgs(
            domain_name=naming.physical_name(settings.role, domain),
            vpc_id=network.vpc_id,
            subnet_ids=network.subnet_ids,
            security_group_id=network.studio_security_group_id,
            kms_key_arn=basics.key.arn,
            execution_role_name=execution_role.name,
            execution_role_arn=execution_role.arn,
            user_profiles=[naming.studio_profile_name(email) for email in settings.people.data_scientists],
            region=settings.region,
            partition=settings.partition,
            account_id=settings.account_id,
            idle_timeout_minutes=settings.studio_idle_timeout_minutes,
            tags=settings.tags,
            protect=settings.protect,
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def feature_store_role_arn(settings: Settings) -> str:
    """The role SageMaker assumes to write the account's offline store; buckets name it before it exists."""
    return naming.role_arn(
        settings.partition, settings.account_id, naming.physical_name(settings.role, "feature-store")
    )


def feature_store(
    name: str,
    settings: Settings,
    basics: AccountBasics,
    specs: Sequence[FeatureGroupSpec],
    offline_bucket: EncryptedBucket,
    offline_bucket_purpose: str,
    database: aws.glue.CatalogDatabase,
    lake_formation: LakeFormationSettings,
    parent: pulumi.Resource,
    location: Sequence[pulumi.Resource] = (),
) -> FeatureStore:
    """The catalog's feature groups in this account, their offline store in ``offline_bucket`` and
    its tables in ``database``, once Lake Formation lets the deployer grant on it. Where Lake
    Formation governs the bucket, ``location`` is its registration (LakeLocations.ready)."""
    return FeatureStore(
        f"{name}-feature-store",
        FeatureStoreArgs(
            specs=specs,
            offline_bucket=offline_bucket.bucket,
            offline_bucket_arn=bucket_arn(settings, offline_bucket_purpose),
            kms_key_arn=basics.key.arn,
            glue_database=database.name,
            role_name=naming.physical_name(settings.role, "feature-store"),
            partition=settings.partition,
            region=settings.region,
            account_id=settings.account_id,
            registered_location=offline_bucket.arn if location else None,
            tags=settings.tags,
            protect=settings.protect,
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[lake_formation.settings, database, *location]),
    )
