"""Sessions and the settings a feature job needs in its target account.

boto3 honours the standard ``AWS_ENDPOINT_URL`` (and the per-service ``AWS_ENDPOINT_URL_<SERVICE>``)
variables itself, so every client made here talks to an emulator when they are set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from contracts import naming
from contracts.job_settings import JobSettings, SettingsError, TrainingSettings
from ops import OpsError

__all__ = ["JobSettings", "TrainingSettings", "assume_role", "job_settings", "session"]

#: The SSM parameter each target account publishes.
SETTINGS_PARAMETER = naming.FEATURE_JOB_SETTINGS_PARAMETER


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
        return _parse(raw, f"--settings {settings_file}")
    try:
        value = target.client("ssm").get_parameter(Name=SETTINGS_PARAMETER)["Parameter"]["Value"]
    except (ClientError, BotoCoreError) as error:
        raise OpsError(
            f"SSM parameter {SETTINGS_PARAMETER}: cannot be read ({_reason(error)}); "
            "expected the target stack deployed, or --settings FILE"
        ) from None
    return _parse(json.loads(value), f"SSM parameter {SETTINGS_PARAMETER}")


def _parse(raw: Any, where: str) -> JobSettings:
    try:
        return JobSettings.parse(raw, where)
    except SettingsError as error:
        raise OpsError(str(error)) from None
