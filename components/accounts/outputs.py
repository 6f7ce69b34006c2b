"""Stack outputs as typed dataclasses: one set of export names for the stack that writes them and
the stacks that read them through a StackReference."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any, Self

import pulumi


def export_name(attribute: str) -> str:
    """Exports are camelCase, as people read them in ``pulumi stack output``."""
    return re.sub(r"_([a-z0-9])", lambda match: match.group(1).upper(), attribute)


@dataclass(frozen=True)
class StackOutputs:
    def exports(self) -> dict[str, Any]:
        return {export_name(field.name): getattr(self, field.name) for field in fields(self)}

    @classmethod
    def from_stack_reference(cls, reference: pulumi.StackReference) -> Self:
        return cls(**{field.name: reference.require_output(export_name(field.name)) for field in fields(cls)})


@dataclass(frozen=True)
class ToolingOutputs(StackOutputs):
    account_id: pulumi.Input[str]
    artifact_bucket_name: pulumi.Input[str]
    artifact_bucket_arn: pulumi.Input[str]
    artifact_key_arn: pulumi.Input[str]
    ci_role_arn: pulumi.Input[str]
    #: The CodeConnections connection (GitHub) or the CodeCommit repository.
    source_arn: pulumi.Input[str]
    ecr_repository_url: pulumi.Input[str]
    model_package_group_name: pulumi.Input[str]
    pipeline_names: pulumi.Input[list[str]]
    approval_topic_arn: pulumi.Input[str]


@dataclass(frozen=True)
class DatamgmtOutputs(StackOutputs):
    account_id: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    access_log_bucket_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    #: Glue databases shared with the data science account through Lake Formation (RAM).
    shared_database_names: pulumi.Input[list[str]]
    #: Lake database (short name) to its bucket.
    lake_bucket_names: pulumi.Input[dict[str, str]]
    glue_security_configuration_name: pulumi.Input[str]
    feature_group_names: pulumi.Input[list[str]]
    feature_deployer_role_arn: pulumi.Input[str]
    job_execution_role_arn: pulumi.Input[str]
    training_role_arn: pulumi.Input[str]
    training_bucket_name: pulumi.Input[str]
    studio_domain_id: pulumi.Input[str]
    readonly_role_arn: pulumi.Input[str]
    redshift_workgroup_name: pulumi.Input[str]


@dataclass(frozen=True)
class DatasciOutputs(StackOutputs):
    account_id: pulumi.Input[str]
    data_key_arn: pulumi.Input[str]
    access_log_bucket_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[list[str]]
    studio_domain_id: pulumi.Input[str]
    execution_role_arn: pulumi.Input[str]
    feature_runner_role_arn: pulumi.Input[str]
    training_role_arn: pulumi.Input[str]
    training_bucket_name: pulumi.Input[str]
    snapshot_bucket_name: pulumi.Input[str]
    feature_store_bucket_name: pulumi.Input[str]
    feature_group_names: pulumi.Input[list[str]]
