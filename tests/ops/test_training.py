"""``python -m ops run-training`` against moto: the example training definition becomes a SageMaker
pipeline in an emulated target account, started as the CI's deploy (or runner) role would start it.

moto 5.2.5 stores and starts pipelines but runs none of their steps, and has no Athena engine, so
the query, the jobs and the registration are checked as the definition the service would run; the
registration's request is then replayed against moto's model registry."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from offline.engine import Preview
from ops.__main__ import main
from tests.conftest import ROOT
from tests.ops.test_feature_job import prepare

DEFINITION = ROOT / "pipelines" / "customer-churn.py"
REVISION = "fedcba9876543210fedcba9876543210fedcba98"
AS_OF = "2026-11-01T00:00:00Z"


@pytest.fixture
def datasci(aws: boto3.Session, platform: Preview) -> dict[str, Any]:
    account = prepare(aws, platform)
    training = account["settings"]["training"]
    account["session"].client("s3").create_bucket(
        Bucket=training["bucket"], CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    return account


def run(*extra: str) -> int:
    return main(
        [
            "run-training",
            "--pipeline",
            str(DEFINITION),
            "--account",
            "datasci",
            "--as-of",
            AS_OF,
            "--git-revision",
            REVISION,
            "--branch",
            "main",
            *extra,
        ]
    )


def definition(session: boto3.Session) -> dict[str, Any]:
    described = session.client("sagemaker").describe_pipeline(PipelineName="mlops-training-customer-churn")
    return {"role": described["RoleArn"], **json.loads(described["PipelineDefinition"])}


def test_smoke(datasci: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    assert run() == 0, capsys.readouterr().err
    print(json.dumps(definition(datasci["session"]), indent=1))
