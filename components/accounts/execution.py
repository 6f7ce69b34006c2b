"""Execution roles of SageMaker jobs: Studio's, feature jobs', training pipelines'.

Each is a ``PlatformRole``; these functions build its arguments from the account's settings, so
every execution role holds the same guard: any job it starts runs in the account's VPC with the
account key on its volumes and outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi

from components import policy_documents as docs
from components.iam import PlatformRoleArgs, Statements
from components.network import PrivateNetwork
from contracts import naming, sagemaker_images
from contracts.config import Settings


@dataclass(frozen=True)
class ExecutionRoleSpec:
    """What one execution role is for, beyond what every one may do."""

    role_name: str
    description: str
    #: Accounts whose Glue catalog the role reads (through Lake Formation).
    catalog_accounts: Sequence[str]
    #: The SageMaker job kinds it may start.
    kinds: Sequence[docs.JobKind] = ("processing",)
    #: What else it may read or write.
    data: Sequence[pulumi.Input[Statements]] = field(default_factory=tuple)
    #: It writes job files (a feature job's first step writes the features its second step ingests).
    write_job_files: bool = False


def execution_role_args(
    spec: ExecutionRoleSpec, settings: Settings, network: PrivateNetwork, key_arn: pulumi.Output[str]
) -> PlatformRoleArgs:
    """Least privilege: jobs of ``spec.kinds`` only in this VPC with the account key; the job files in
    the feature-jobs bucket; SageMaker's images; the catalogs of ``spec.catalog_accounts`` through
    Lake Formation; its logs; passing itself (and only itself) to SageMaker; packages from the
    mirror, where there is one; plus ``spec.data``."""
    p, region, account = settings.partition, settings.region, settings.account_id
    vpc_jobs = pulumi.Output.all(network.subnet_ids, network.studio_security_group_id, key_arn).apply(
        lambda v: [
            statement
            for kind in spec.kinds
            for statement in docs.vpc_jobs(p, region, account, v[0], [v[1]], v[2], kind)
        ]
    )
    jobs_bucket = naming.bucket_arn(p, settings.role, naming.FEATURE_JOBS_BUCKET, account, region)
    return PlatformRoleArgs(
        role_name=spec.role_name,
        description=spec.description,
        trust_policy=docs.service_trust(["sagemaker.amazonaws.com"], account),
        statements=[
            vpc_jobs,
            docs.vpc_network_interfaces(p, region, account),
            key_arn.apply(
                lambda key: [
                    docs.key_use(key),
                    docs.key_grants_for_aws_resources(key),
                    *docs.object_access(jobs_bucket, key, "FeatureJobFiles", write=spec.write_job_files),
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
            docs.glue_catalog_read(p, region, spec.catalog_accounts),
            docs.write_logs(p, region, account, "/aws/sagemaker/"),
            docs.pass_roles_to_sagemaker([naming.role_arn(p, account, spec.role_name)]),
            # Studio's apps and the jobs' code install their packages from the tooling account's mirror.
            *([docs.package_mirror_read(settings.package_mirror, p)] if settings.package_mirror else []),
            *spec.data,
        ],
        tags=settings.tags,
    )


def job_execution_spec(
    settings: Settings,
    role_name: str,
    description: str,
    catalog_accounts: Sequence[str],
    data: Sequence[pulumi.Input[Statements]] = (),
) -> ExecutionRoleSpec:
    """The execution role of feature jobs (and of Studio, which starts them): processing jobs that read
    and write this account's feature group records and write their output files, plus ``data``."""
    records = docs.feature_store_records(settings.partition, settings.region, settings.account_id)
    return ExecutionRoleSpec(
        role_name=role_name,
        description=description,
        catalog_accounts=catalog_accounts,
        data=[records, *data],
        write_job_files=True,
    )
