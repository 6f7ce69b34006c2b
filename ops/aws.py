"""Sessions and the settings a feature job needs in its target account.

boto3 honours the standard ``AWS_ENDPOINT_URL`` (and the per-service ``AWS_ENDPOINT_URL_<SERVICE>``)
variables itself, so every client made here talks to an emulator when they are set.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from ops import OpsError

#: The SSM parameter each target account publishes (components/naming.FEATURE_JOB_SETTINGS_PARAMETER).
SETTINGS_PARAMETER = "/mlops/feature-jobs/settings"


def session(region: str | None = None) -> boto3.Session:
    """The ambient credentials (environment, profile, container or instance role)."""
    return boto3.Session(region_name=region)


def assume_role(base: boto3.Session, role_arn: str, session_name: str) -> boto3.Session:
    """A session in another account, as ``role_arn``; fails with one line naming the role."""
    try:
        credentials = base.client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name[:64])["Credentials"]
    except (ClientError, BotoCoreError) as error:
        raise OpsError(
            f"--role-arn: cannot assume {role_arn!r} ({_reason(error)}); expected a role this identity may assume"
        ) from None
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=base.region_name,
    )


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Message") or error)
    return str(error)


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
            )
        except (KeyError, TypeError) as error:
            raise OpsError(
                f"{where}: {error} is missing or malformed; expected the settings the stack publishes"
            ) from None


def job_settings(target: boto3.Session, settings_file: Path | None) -> JobSettings:
    """From ``settings_file`` when given, else from the SSM parameter of the target account."""
    if settings_file is not None:
        try:
            raw = json.loads(settings_file.read_text())
        except OSError as error:
            raise OpsError(
                f"--settings: {str(settings_file)!r} cannot be read ({error.strerror}); expected a JSON file"
            ) from None
        except ValueError:
            raise OpsError(
                f"--settings: {str(settings_file)!r} is not JSON; expected the job settings object"
            ) from None
        return JobSettings.parse(raw, f"--settings {settings_file}")
    try:
        value = target.client("ssm").get_parameter(Name=SETTINGS_PARAMETER)["Parameter"]["Value"]
    except (ClientError, BotoCoreError) as error:
        raise OpsError(
            f"SSM parameter {SETTINGS_PARAMETER}: cannot be read ({_reason(error)}); "
            "expected the target stack deployed, or --settings FILE"
        ) from None
    return JobSettings.parse(json.loads(value), f"SSM parameter {SETTINGS_PARAMETER}")
