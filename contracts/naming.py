"""Names, tags and the deterministic cross-account role ARNs.

The tooling stack is deployed first, yet its CI role and artifact key must name the roles that the
data science and data management stacks create later. Those roles therefore have fixed names and
a fixed path, so every stack can compute every ARN from account IDs alone, without a cycle.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

AccountRole = Literal["tooling", "datasci", "datamgmt"]
#: Deploy order: later stacks read earlier ones through stack references.
ACCOUNT_ROLES: tuple[AccountRole, ...] = ("tooling", "datamgmt", "datasci")

PREFIX = "mlops"
#: IAM path of every role the platform creates; policies can scope to it.
ROLE_PATH = f"/{PREFIX}/"
TAG_PREFIX = f"{PREFIX}:"

_PARTITIONS = (
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
    ("us-isob-", "aws-iso-b"),
    ("us-iso-", "aws-iso"),
    ("eusc-", "aws-eusc"),
)


def partition(region: str) -> str:
    """The ARN partition of a region (aws, aws-cn, aws-us-gov, ...)."""
    for region_prefix, name in _PARTITIONS:
        if region.startswith(region_prefix):
            return name
    return "aws"


def physical_name(account_role: str, *parts: str) -> str:
    """A name for an AWS resource that must be stable and readable: ``mlops-<role>-<parts>``."""
    return "-".join((PREFIX, account_role, *parts))


def role_arn(partition_name: str, account_id: str, name: str) -> str:
    return f"arn:{partition_name}:iam::{account_id}:role{ROLE_PATH}{name}"


#: The role CodeBuild and CodePipeline run as, in the tooling account.
CI_ROLE_NAME = physical_name("tooling", "ci")
#: The role the CI assumes in the data science account to run feature jobs on feature branches.
FEATURE_RUNNER_ROLE_NAME = physical_name("datasci", "feature-runner")
#: The role the CI assumes in the data management account to run production feature jobs.
FEATURE_DEPLOYER_ROLE_NAME = physical_name("datamgmt", "feature-deployer")
#: The execution role of Studio and of the jobs it starts, in the data science account.
DATASCI_EXECUTION_ROLE_NAME = physical_name("datasci", "studio-execution")
#: The execution role of production feature jobs, in the data management account.
DATAMGMT_JOB_EXECUTION_ROLE_NAME = physical_name("datamgmt", "job-execution")
#: The execution role of training pipelines (and the jobs they start), one in each target account.
DATASCI_TRAINING_ROLE_NAME = physical_name("datasci", "training")
DATAMGMT_TRAINING_ROLE_NAME = physical_name("datamgmt", "training")
#: The tooling account's ECR repository of processing images, pulled by the target accounts' jobs.
ECR_REPOSITORY = f"{PREFIX}/processing"
#: The model registry (SageMaker model package group) in the tooling account.
MODEL_PACKAGE_GROUP = f"{PREFIX}-feature-models"
#: The only status a target account may register a model version with: the leads approve it in tooling.
PENDING_APPROVAL = "PendingManualApproval"
#: SSM parameter, in each target account, holding what a feature job there needs (components/accounts/feature_jobs.py).
FEATURE_JOB_SETTINGS_PARAMETER = f"/{PREFIX}/feature-jobs/settings"
#: SageMaker pipelines the feature jobs upsert are named with this prefix; roles are scoped to it.
FEATURE_PIPELINE_PREFIX = f"{PREFIX}-feature-"
#: ... and the training pipelines with this one.
TRAINING_PIPELINE_PREFIX = f"{PREFIX}-training-"
#: Lake house databases of the data management account that it shares with the data science
#: account. A contract between the two stacks, like the role names: datasci links to them by name.
SHARED_LAKE_DATABASES = ("curated", "features")


def lake_database(name: str) -> str:
    """Glue database names: lowercase with underscores, as Athena and Lake Formation want them."""
    return f"{PREFIX}_{name}".replace("-", "_")


def training_workgroup(account_role: str) -> str:
    """The Athena workgroup training pipelines build their datasets in, one per target account."""
    return physical_name(account_role, "training")


def model_package_group_arn(partition_name: str, region: str, tooling_account_id: str) -> str:
    """The model registry's ARN: the target accounts register versions into it by ARN."""
    return f"arn:{partition_name}:sagemaker:{region}:{tooling_account_id}:model-package-group/{MODEL_PACKAGE_GROUP}"


def resource_link(database: str) -> str:
    """The name of a resource link, in the data science account, to a shared database."""
    return f"{database}_link"


@dataclass(frozen=True)
class CrossAccountRoles:
    """ARNs of the roles that cross account boundaries, known before any of them exists."""

    ci: str
    datasci_runner: str
    datamgmt_deployer: str
    datasci_execution: str
    datamgmt_job_execution: str
    datasci_training: str
    datamgmt_training: str

    @classmethod
    def for_accounts(cls, partition_name: str, tooling: str, datasci: str, datamgmt: str) -> CrossAccountRoles:
        return cls(
            ci=role_arn(partition_name, tooling, CI_ROLE_NAME),
            datasci_runner=role_arn(partition_name, datasci, FEATURE_RUNNER_ROLE_NAME),
            datamgmt_deployer=role_arn(partition_name, datamgmt, FEATURE_DEPLOYER_ROLE_NAME),
            datasci_execution=role_arn(partition_name, datasci, DATASCI_EXECUTION_ROLE_NAME),
            datamgmt_job_execution=role_arn(partition_name, datamgmt, DATAMGMT_JOB_EXECUTION_ROLE_NAME),
            datasci_training=role_arn(partition_name, datasci, DATASCI_TRAINING_ROLE_NAME),
            datamgmt_training=role_arn(partition_name, datamgmt, DATAMGMT_TRAINING_ROLE_NAME),
        )

    @property
    def targets(self) -> tuple[str, str]:
        """The roles the CI may assume."""
        return (self.datasci_runner, self.datamgmt_deployer)

    @property
    def trainers(self) -> tuple[str, str]:
        """The roles that register model versions in the tooling account's model registry."""
        return (self.datasci_training, self.datamgmt_training)


#: Each target account's bucket for feature-job files: the flow or script the CI hands over, and the
#: features the job's first step writes for its second step to ingest.
FEATURE_JOBS_BUCKET = "feature-jobs"
#: Each target account's bucket for training datasets, Athena results, models and their evaluations.
TRAINING_BUCKET = "training"
#: Where the account's Athena workgroup writes query results, in the training bucket.
ATHENA_RESULTS = "athena/"


def feature_store_role_name(account_role: str) -> str:
    """The role SageMaker assumes to write an account's offline store; buckets name it before it exists."""
    return physical_name(account_role, "feature-store")


def bucket_arn(partition_name: str, account_role: str, purpose: str, account_id: str, region: str) -> str:
    """A platform bucket's ARN, known before the bucket exists."""
    return f"arn:{partition_name}:s3:::{bucket_name(account_role, purpose, account_id, region)}"


def bucket_name(account_role: str, purpose: str, account_id: str, region: str) -> str:
    """A globally unique, predictable bucket name; other accounts can name it in policies."""
    name = f"{PREFIX}-{account_role}-{purpose}-{account_id}-{region}"
    if len(name) > 63 or not re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", name):
        raise ValueError(f"bucket name {name!r} is not valid; expected 3-63 lowercase letters, digits and hyphens")
    return name


def common_tags(
    project: str, account_role: str, stack: str, git_revision: str | None, extra: Mapping[str, str]
) -> dict[str, str]:
    """The tags every resource carries. Extra tags come first so they cannot override ours."""
    tags = dict(extra)
    tags.update(
        {
            f"{TAG_PREFIX}project": project,
            f"{TAG_PREFIX}account-role": account_role,
            f"{TAG_PREFIX}stack": stack,
        }
    )
    if git_revision:
        tags[f"{TAG_PREFIX}git-revision"] = git_revision
    return tags


def studio_profile_name(email: str) -> str:
    """The Studio user profile name for a person: the e-mail's local part in the allowed alphabet."""
    local = email.split("@", 1)[0].lower()
    name = re.sub(r"[^a-z0-9]+", "-", local).strip("-")
    return name[:63].rstrip("-")
