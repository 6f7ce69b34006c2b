"""The job-settings document: what a feature job or a training pipeline in a target account needs
(roles, buckets, network, key), published by the account's stack in SSM Parameter Store
(``naming.FEATURE_JOB_SETTINGS_PARAMETER``) and read by ``ops``. One type, one writer
(``to_json``), one parser (``parse``), so the two sides cannot drift apart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts import InputError
from contracts.package_mirror import PackageMirror


class SettingsError(InputError):
    """A settings document that is not what the stacks publish."""


@dataclass(frozen=True)
class TrainingSettings:
    """What a training pipeline in an account needs, beyond a feature job's; published with them."""

    role_arn: str
    bucket: str
    athena_workgroup: str
    #: Where the account reads curated data (labels): the database, or its resource link.
    curated_database: str
    model_package_group_arn: str
    pipeline_prefix: str

    def to_document(self) -> dict[str, str]:
        return {
            "roleArn": self.role_arn,
            "bucket": self.bucket,
            "athenaWorkgroup": self.athena_workgroup,
            "curatedDatabase": self.curated_database,
            "modelPackageGroupArn": self.model_package_group_arn,
            "pipelinePrefix": self.pipeline_prefix,
        }

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> TrainingSettings:
        return cls(
            role_arn=str(raw["roleArn"]),
            bucket=str(raw["bucket"]),
            athena_workgroup=str(raw["athenaWorkgroup"]),
            curated_database=str(raw["curatedDatabase"]),
            model_package_group_arn=str(raw["modelPackageGroupArn"]),
            pipeline_prefix=str(raw["pipelinePrefix"]),
        )


@dataclass(frozen=True)
class JobSettings:
    """What a feature job (and a training pipeline) in an account needs; published by the account's stack."""

    account_id: str
    region: str
    execution_role_arn: str
    bucket: str
    subnet_ids: tuple[str, ...]
    security_group_ids: tuple[str, ...]
    kms_key_arn: str
    pipeline_prefix: str
    #: None when the stack predates training pipelines.
    training: TrainingSettings | None = None
    #: Where the job's ``requirements.txt`` is installed from; None without a mirror (``packageMirror: none``).
    package_mirror: PackageMirror | None = None

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "accountId": self.account_id,
            "region": self.region,
            "executionRoleArn": self.execution_role_arn,
            "bucket": self.bucket,
            "subnetIds": list(self.subnet_ids),
            "securityGroupIds": list(self.security_group_ids),
            "kmsKeyArn": self.kms_key_arn,
            "pipelinePrefix": self.pipeline_prefix,
        }
        if self.training is not None:
            document["training"] = self.training.to_document()
        if self.package_mirror is not None:
            document["packageMirror"] = self.package_mirror.to_document()
        return document

    def to_json(self) -> str:
        """The parameter's value, as the stack publishes it."""
        return json.dumps(self.to_document(), sort_keys=True)

    @classmethod
    def parse(cls, raw: Mapping[str, Any], where: str) -> JobSettings:
        try:
            return cls(
                account_id=str(raw["accountId"]),
                region=str(raw["region"]),
                execution_role_arn=str(raw["executionRoleArn"]),
                bucket=str(raw["bucket"]),
                subnet_ids=tuple(raw["subnetIds"]),
                security_group_ids=tuple(raw["securityGroupIds"]),
                kms_key_arn=str(raw["kmsKeyArn"]),
                pipeline_prefix=str(raw["pipelinePrefix"]),
                training=TrainingSettings.parse(raw["training"]) if "training" in raw else None,
                package_mirror=PackageMirror.parse(raw["packageMirror"]) if "packageMirror" in raw else None,
            )
        except (KeyError, TypeError) as error:
            raise SettingsError(
                f"{where}: {error} is missing or malformed; expected the settings the stack publishes"
            ) from None
