"""moto in server mode on 127.0.0.1, started and stopped here, with a free port; every test starts
from an empty emulator. The SageMaker SDK's telemetry is made to fail loudly, so a test proves that
``ops`` never sends it."""

from __future__ import annotations

import argparse
import contextlib
import re
import shlex
import socket
import urllib.request
from collections.abc import Iterable, Iterator, Mapping

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ops.audit.findings import Finding
from tests.conftest import ROOT

REGION = "eu-west-1"
#: The API operations whose IAM action has another name (the Service Authorization Reference's S3
#: pages): (boto3 service, operation) to the action. Every other is ``<signing name>:<operation>``.
RENAMED_ACTIONS = {
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def ambient(monkeypatch: pytest.MonkeyPatch, moto_endpoint: str) -> boto3.Session:
    """Fake credentials, the emulator's endpoint and a clean slate; the ambient session."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # moto never throttles; its 500s for calls it lacks (AddTags on a pipeline run) need no retries.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    for variable in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "GIT_COMMIT",
        "GITHUB_SHA",
        "CODEBUILD_RESOLVED_SOURCE_VERSION",
    ):
        monkeypatch.delenv(variable, raising=False)
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")).close()
    return boto3.Session(region_name=REGION)


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.Session]:
    """The ambient session of a test: fake credentials, the emulator's endpoint, a clean slate."""
    yield ambient(monkeypatch, moto_endpoint)


def buildspec_command(name: str, values: Mapping[str, str]) -> argparse.Namespace:
    """The ``ops`` command a CodeBuild buildspec runs, with ``values`` (what the pipeline's stage and
    CodeBuild set) in place of its variables, as ``ops`` parses it."""
    import yaml

    from ops.__main__ import _parser

    buildspec = yaml.safe_load((ROOT / "buildspecs" / name).read_text())
    assert buildspec["phases"]["install"]["commands"] == ["make install-ops"]
    assert "install-ops:" in (ROOT / "Makefile").read_text()
    (command,) = buildspec["phases"]["build"]["commands"]
    for variable, value in values.items():
        command = command.replace(f"${variable}", value)
    assert "$" not in command, f"{name} reads a variable the stage does not set: {command}"
    words = shlex.split(command)
    assert words[:3] == [".venv/bin/python", "-m", "ops"]
    return _parser().parse_args(words[3:])


def in_account(base: boto3.Session, account: str, role: str = "setup") -> boto3.Session:
    """A session in another emulated account (moto keeps each account's resources apart)."""
    credentials = base.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="test-setup"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=REGION,
    )


@contextlib.contextmanager
def telemetry_refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail if the SageMaker SDK tries to send telemetry meanwhile. The SDK sends from a background
    thread and swallows errors there, so attempts are recorded and checked afterwards."""
    from sagemaker.core.telemetry import telemetry_logging

    attempts: list[object] = []
    monkeypatch.setattr(telemetry_logging, "_requests_helper", lambda url, timeout: attempts.append(url))
    yield
    assert attempts == [], f"the SageMaker SDK tried to send telemetry: {attempts}"


@pytest.fixture(autouse=True)
def no_telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test in which the SageMaker SDK tries to send telemetry."""
    with telemetry_refused(monkeypatch):
        yield


@contextlib.contextmanager
def shared_ambient(moto_endpoint: str) -> Iterator[boto3.Session]:
    """What ``aws`` and ``no_telemetry`` give a test, for a module-scoped fixture (a run that several
    tests share); its environment is put back afterwards."""
    with pytest.MonkeyPatch.context() as monkeypatch, telemetry_refused(monkeypatch):
        yield ambient(monkeypatch, moto_endpoint)


def assert_drift(findings: Iterable[Finding], check: str, resource: str, pattern: str, what: str) -> None:
    """Exactly one finding of ``check`` on ``resource``: drift, its detail matching ``pattern``."""
    every = list(findings)
    found = [f for f in every if f.check == check and f.resource == resource]
    assert len(found) == 1, (what, every)
    (finding,) = found
    assert not finding.ok and re.search(pattern, finding.detail), (what, finding)
