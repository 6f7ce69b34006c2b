"""Model training in a target account: an Athena workgroup and the training pipelines' role.

Pipelines build a dataset from the offline store with Athena (as of a point in time, through Lake
Formation), train and evaluate in the VPC with the account key, and register the model in the
tooling account's registry as a version pending approval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.accounts.execution import ExecutionRoleSpec, execution_role_args
from components.accounts.foundation import AccountFoundation, moved_children
from components.athena import enforced_workgroup
from components.iam import PlatformRole, Statements
from contracts import naming
from contracts.config import Settings
from contracts.model_registry import register_model_versions


@dataclass(frozen=True)
class ModelTrainingArgs:
    settings: Settings
    #: The account's key, network and buckets (its training bucket among them).
    foundation: AccountFoundation
    #: The training role's fixed name (other accounts' policies name it).
    role_name: str
    #: Accounts whose catalog the pipelines read (this one's, and the data management account's).
    catalog_accounts: Sequence[str]
    #: What else the pipelines read.
    data: Sequence[pulumi.Input[Statements]] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if naming.TRAINING_BUCKET not in self.foundation.buckets or self.foundation.network is None:
            raise ValueError(
                f"foundation: {sorted(self.foundation.buckets)} has no {naming.TRAINING_BUCKET!r} bucket or no "
                "network; expected a target account's foundation"
            )


class ModelTraining(pulumi.ComponentResource):
    """The training role is the pipelines' execution role: it reads the job files the CI hands over,
    reads and writes the training bucket, queries in its own workgroup, and registers model versions
    (``PendingManualApproval`` only, never approves)."""

    bucket_name: pulumi.Output[str]
    workgroup: aws.athena.Workgroup
    role: PlatformRole

    def __init__(self, name: str, args: ModelTrainingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:ModelTraining", name, None, opts)
        children = moved_children(self, opts)
        s, foundation = args.settings, args.foundation
        p, region, account_id = s.partition, s.region, s.account_id
        bucket = foundation.buckets[naming.TRAINING_BUCKET]
        key_arn = foundation.key.arn
        # Queries cannot choose another result location or drop the encryption.
        self.workgroup = enforced_workgroup(
            f"{name}-training",
            naming.training_workgroup(s.role),
            "Studio's queries and training datasets; results encrypted in the training bucket",
            bucket.bucket,
            naming.ATHENA_RESULTS,
            key_arn,
            s.tags,
            children,
        )
        training_bucket = foundation.bucket_arn(naming.TRAINING_BUCKET)
        spec = ExecutionRoleSpec(
            role_name=args.role_name,
            description=(
                "Execution role of training pipelines: Athena datasets, VPC training jobs, model versions pending "
                "approval"
            ),
            catalog_accounts=args.catalog_accounts,
            kinds=("processing", "training"),
            data=[
                key_arn.apply(lambda key: docs.object_access(training_bucket, key, "TrainingData", write=True)),
                docs.athena_queries(p, region, account_id, naming.training_workgroup(s.role)),
                docs.describe_feature_groups(p, region, account_id),
                register_model_versions(naming.model_package_group_arn(p, region, s.accounts.tooling)),
                *args.data,
            ],
        )
        assert foundation.network is not None  # checked by the args
        self.role = PlatformRole(
            f"{name}-training", execution_role_args(spec, s, foundation.network, key_arn), opts=children
        )
        self.bucket_name = bucket.bucket
        self.register_outputs({"roleArn": self.role.arn, "workgroup": self.workgroup.name})
