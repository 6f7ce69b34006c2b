"""Names, tags and the deterministic cross-account role ARNs.

The tooling stack is deployed first, yet its CI role and artifact key must name the roles that the
data science and data management stacks create later. Those roles therefore have fixed names and
a fixed path, so every stack can compute every ARN from account IDs alone, without a cycle.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

AccountRole = Literal["tooling", "datasci", "datamgmt", "preprod"]
#: Deploy order: later stacks read earlier ones through stack references.
ACCOUNT_ROLES: tuple[AccountRole, ...] = ("tooling", "datamgmt", "datasci", "preprod")
#: Roles of the accounts feature jobs run in (each has a runner role the tooling CI's builds assume).
TargetRole = Literal["datasci", "preprod", "datamgmt"]
#: The stack of the first data science team; every other team's is ``datasci-<team>``.
DATASCI_STACK = "datasci"
#: The pre-production stack: the production pipeline's builds and ``ops --account`` name it.
PREPROD_STACK = "preprod"
#: The tooling stack, as ``ops --account`` and the nightly audit name it.
TOOLING_STACK = "tooling"

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


def account_root(partition_name: str, account_id: str) -> str:
    return f"arn:{partition_name}:iam::{account_id}:root"


def account_roots(partition_name: str, role_arns: Sequence[str]) -> list[str]:
    """The roots of the accounts the roles belong to, each once, sorted."""
    return [account_root(partition_name, account) for account in sorted({arn.split(":")[4] for arn in role_arns})]


#: The role CodePipeline and the checks build run as, in the tooling account. It assumes no role of
#: another account: each pipeline's target builds run as a build role of their own (below).
CI_ROLE_NAME = physical_name("tooling", "ci")
#: The runner's, the job execution role's and the training role's name suffix, by target role.
_RUNNER = {"datasci": "feature-runner", "preprod": "feature-runner", "datamgmt": "feature-deployer"}
_JOB_EXECUTION = {"datasci": "studio-execution", "preprod": "job-execution", "datamgmt": "job-execution"}
#: The pipeline whose builds run in pre-production and production, after review; the target of a
#: team's feature branches is the team's name.
PRODUCTION = "production"
#: The build every pipeline runs first (make test, the offline preview): its role reaches no account.
CHECKS = "checks"
#: The pipelines' stage names (components/ci_cd.py); the audit holds the production pipeline to
#: Source, Checks, PreprodFeatureJob (with a pre-production account), Approval, ProductionFeatureJob,
#: Training (ops/audit/services.py).
SOURCE_STAGE = "Source"
CHECKS_STAGE = "Checks"
PREPROD_STAGE = "PreprodFeatureJob"
APPROVAL_STAGE = "Approval"
PRODUCTION_STAGE = "ProductionFeatureJob"
TRAINING_STAGE = "Training"


#: The Studio domain's name part in a data science (and pre-production) account, and the read-only
#: Studio's in the data management account (also its execution role's).
STUDIO = "studio"
STUDIO_READONLY = "studio-readonly"


def runner_role_name(role: TargetRole) -> str:
    """The role the tooling CI's build assumes in a target account to run feature jobs there."""
    return physical_name(role, _RUNNER[role])


def job_execution_role_name(role: TargetRole) -> str:
    """The execution role of feature jobs (in data science, also of Studio, which starts them)."""
    return physical_name(role, _JOB_EXECUTION[role])


def training_role_name(role: TargetRole) -> str:
    """The execution role of training pipelines (and of the jobs they start)."""
    return physical_name(role, "training")


def build_role_name(pipeline: str) -> str:
    """The tooling role a pipeline's target builds run as: a team's name, or ``production``."""
    return physical_name("tooling", "build", pipeline)


#: The tooling account's topic the leads subscribe to: production approvals, model versions pending
#: approval, and what the nightly audit found drifted.
APPROVAL_TOPIC = physical_name("tooling", "production-approvals")


def approval_topic_arn(partition_name: str, region: str, tooling_account_id: str) -> str:
    return f"arn:{partition_name}:sns:{region}:{tooling_account_id}:{APPROVAL_TOPIC}"


#: The tooling role the nightly audit's build runs as: it assumes each account's auditor role, and
#: publishes what drifted to the approval topic.
AUDIT_ROLE_NAME = physical_name("tooling", "audit")
#: The tooling pipeline (and its CodeBuild project) that audits every account on a schedule.
AUDIT_PIPELINE = physical_name("tooling", "audit")


def auditor_role_name(account_role: str) -> str:
    """Each account's read-only role the nightly audit assumes: it reads settings, never data."""
    return physical_name(account_role, "auditor")


def datasci_stack(team: str, first: bool) -> str:
    """A data science team's stack: the first team keeps ``datasci``, the others ``datasci-<team>``."""
    return DATASCI_STACK if first else f"{DATASCI_STACK}-{team}"


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


#: The data science account's database of snapshots (copies of curated tables, made by ``ops snapshot``).
SNAPSHOT_DATABASE = lake_database("snapshots")
#: The snapshots bucket's purpose, and where in it the snapshot tables' files and Athena's results go.
SNAPSHOTS_BUCKET = "snapshots"
SNAPSHOT_TABLES = "tables/"
SNAPSHOT_RESULTS = "athena-results/"


def snapshot_workgroup(account_role: str) -> str:
    """The Athena workgroup snapshots are made in (CTAS), one per data science account."""
    return physical_name(account_role, "snapshots")


def lifecycle_config_name(account_role: str, app: str) -> str:
    """A Studio lifecycle configuration's name, by app (``jupyterlab``, ``code-editor``)."""
    return physical_name(account_role, app, "pip-mirror")


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
class Target:
    """An account feature jobs run in, and the roles of it that other accounts' policies name."""

    role: TargetRole
    account_id: str
    #: Its stack, as ``ops --account`` and the pipelines' builds name it.
    stack: str
    #: The tooling pipeline whose builds assume its runner: a team's name, or ``production``.
    pipeline: str
    partition: str

    def _arn(self, name: str) -> str:
        return role_arn(self.partition, self.account_id, name)

    @property
    def runner(self) -> str:
        return self._arn(runner_role_name(self.role))

    @property
    def job_execution(self) -> str:
        return self._arn(job_execution_role_name(self.role))

    @property
    def training(self) -> str:
        return self._arn(training_role_name(self.role))

    @property
    def auditor(self) -> str:
        return self._arn(auditor_role_name(self.role))


@dataclass(frozen=True)
class CrossAccountRoles:
    """ARNs of the roles that cross account boundaries, known before any of them exists: every data
    science team's, pre-production's where there is one, and data management's."""

    tooling: str
    targets: tuple[Target, ...]
    partition: str

    @property
    def ci(self) -> str:
        return role_arn(self.partition, self.tooling, CI_ROLE_NAME)

    def build_role(self, pipeline: str) -> str:
        return role_arn(self.partition, self.tooling, build_role_name(pipeline))

    @property
    def audit(self) -> str:
        """The tooling role the nightly audit runs as, the only one each auditor role trusts."""
        return role_arn(self.partition, self.tooling, AUDIT_ROLE_NAME)

    @property
    def auditors(self) -> tuple[str, ...]:
        """Each target account's auditor role (the audit role reads the tooling account itself)."""
        return tuple(target.auditor for target in self.targets)

    def target(self, stack: str) -> Target:
        (found,) = [target for target in self.targets if target.stack == stack]
        return found

    def of_role(self, *roles: TargetRole) -> tuple[Target, ...]:
        return tuple(target for target in self.targets if target.role in roles)

    @property
    def pipelines(self) -> dict[str, tuple[Target, ...]]:
        """Each tooling pipeline with build roles, and the targets its builds run in."""
        grouped: dict[str, tuple[Target, ...]] = {}
        for target in self.targets:
            grouped[target.pipeline] = (*grouped.get(target.pipeline, ()), target)
        return grouped

    @property
    def runners(self) -> tuple[str, ...]:
        """The roles the tooling CI's builds assume, one per target account."""
        return tuple(target.runner for target in self.targets)

    @property
    def trainers(self) -> tuple[str, ...]:
        """The roles that register model versions in the tooling account's model registry."""
        return tuple(target.training for target in self.targets)

    @property
    def job_executions(self) -> tuple[str, ...]:
        """The roles jobs run as, which pull the tooling account's processing images."""
        return tuple(target.job_execution for target in self.targets)

    @property
    def package_readers(self) -> tuple[str, ...]:
        """The roles that install packages from the tooling account's mirror: every target account's
        job (in data science: Studio's) and training roles, and the read-only Studio's."""
        (datamgmt,) = self.of_role("datamgmt")
        readonly = role_arn(self.partition, datamgmt.account_id, physical_name("datamgmt", STUDIO_READONLY))
        return (*self.job_executions, *self.trainers, readonly)

    @property
    def catalog_readers(self) -> tuple[str, ...]:
        """The roles of the accounts that read the data management catalog through resource links."""
        return tuple(role for t in self.of_role("datasci", "preprod") for role in (t.job_execution, t.training))


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
