"""The in-job helper ``ops/jobs/pip_mirror.py``: from the environment ``ops`` gives a job, it gets a
CodeArtifact token and installs the script's requirements through the mirror, then runs the script.

CodeArtifact goes through botocore's Stubber, which checks each request against the service model
and refuses a response that is not in the model's shape."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from contracts.package_mirror import TOKEN_SECONDS, platform_mirror
from ops.jobs import pip_mirror
from ops.runs import MIRROR_HELPER, mirror_environment
from tests.conftest import ROOT

MIRROR = platform_mirror("111111111111", "eu-west-1")
ENVIRONMENT = mirror_environment(MIRROR)
TOKEN = "eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMH0.c2lnbmF0dXJl"
EXPECTED = {"domain": "mlops-packages", "domainOwner": "111111111111", "durationSeconds": TOKEN_SECONDS}


class Pip:
    """Stands in for subprocess.call: records each pip command and exits with ``status``."""

    def __init__(self, status: int = 0) -> None:
        self.status, self.commands = status, list[list[str]]()

    def __call__(self, command: list[str]) -> int:
        self.commands.append(command)
        return self.status


def codeartifact() -> Any:
    session = boto3.Session(region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    return session.client("codeartifact")


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("# what the script needs\nscikit-learn==1.2.1  # pinned\n\n")
    return path


def test_the_helper_installs_through_the_mirror_with_a_fresh_token(
    requirements: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    client, pip = codeartifact(), Pip()
    with Stubber(client) as stub:
        response = {"authorizationToken": TOKEN, "expiration": datetime(2026, 11, 30, 20, 0, tzinfo=UTC)}
        stub.add_response("get_authorization_token", response, EXPECTED)
        pip_mirror.install(requirements, ENVIRONMENT, client, pip)
        stub.assert_no_pending_responses()
    assert pip.commands == [
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-input",
            "--index-url",
            MIRROR.index_url(TOKEN),
            "-r",
            str(requirements),
        ]
    ]
    out = capsys.readouterr().out
    assert out == f"pip-mirror: installing {requirements} from {MIRROR.index_url()}\n"
    assert TOKEN not in out


def test_a_refused_token_stops_the_job_with_one_line(requirements: Path) -> None:
    client, pip = codeartifact(), Pip()
    with Stubber(client) as stub:
        stub.add_client_error(
            "get_authorization_token",
            service_error_code="AccessDeniedException",
            service_message=(
                "User: arn:aws:sts::222222222222:assumed-role/mlops-datasci-feature-runner/job is not authorized "
                "to perform: codeartifact:GetAuthorizationToken on resource: arn:aws:codeartifact:eu-west-1:"
                "111111111111:domain/mlops-packages"
            ),
            http_status_code=403,
            expected_params=EXPECTED,
        )
        with pytest.raises(SystemExit) as raised:
            pip_mirror.install(requirements, ENVIRONMENT, client, pip)
    message = str(raised.value.code)
    assert "\n" not in message
    assert message.startswith(
        "pip-mirror: no CodeArtifact token for domain mlops-packages (owner 111111111111) in eu-west-1 "
        "(An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: User: "
    )
    assert message.endswith(
        "check that the job's role may call codeartifact:GetAuthorizationToken and sts:GetServiceBearerToken, "
        "and that the VPC has the codeartifact.api and sts endpoints"
    )
    assert pip.commands == []


def test_a_failed_install_stops_the_job_with_one_line(requirements: Path) -> None:
    client = codeartifact()
    with Stubber(client) as stub:
        stub.add_response("get_authorization_token", {"authorizationToken": TOKEN}, EXPECTED)
        with pytest.raises(SystemExit) as raised:
            pip_mirror.install(requirements, ENVIRONMENT, client, Pip(status=1))
    message = str(raised.value.code)
    assert "\n" not in message and TOKEN not in message
    assert message.startswith(f"pip-mirror: pip could not install {requirements} from the mirror (exit 1")


def test_requirements_that_list_nothing_need_no_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "requirements.txt"
    empty.write_text("# nothing yet\n\n")
    client, pip = codeartifact(), Pip()
    with Stubber(client) as stub:
        pip_mirror.install(empty, {}, client, pip)
        stub.assert_no_pending_responses()
    assert pip.commands == []
    assert capsys.readouterr().out == f"pip-mirror: {empty} lists nothing to install\n"


@pytest.mark.parametrize(
    ("environment", "fragment"),
    [
        ({}, "pip-mirror: MLOPS_MIRROR_DOMAIN, MLOPS_MIRROR_OWNER, MLOPS_MIRROR_REGION,"),
        ({**ENVIRONMENT, "MLOPS_MIRROR_INDEX_URL": MIRROR.index_url()}, "pip-mirror: MLOPS_MIRROR_INDEX_URL missing"),
    ],
)
def test_a_job_without_the_mirror_in_its_environment_stops(
    requirements: Path, environment: dict[str, str], fragment: str
) -> None:
    with pytest.raises(SystemExit, match=r"expected the job started by ops with a package mirror") as raised:
        pip_mirror.install(requirements, environment, codeartifact(), Pip())
    assert str(raised.value.code).startswith(fragment)


def test_the_environment_ops_gives_is_the_one_the_helper_reads() -> None:
    assert set(ENVIRONMENT) == set(pip_mirror.VARIABLES)
    assert pip_mirror.mirror(ENVIRONMENT)[pip_mirror.INDEX_URL].replace(pip_mirror.TOKEN, TOKEN) == MIRROR.index_url(
        TOKEN
    )
    assert MIRROR_HELPER == ROOT / "ops" / "jobs" / "pip_mirror.py"


def test_the_script_runs_after_the_install_with_its_arguments(tmp_path: Path) -> None:
    """As a job runs it: python3 pip_mirror.py REQUIREMENTS SCRIPT ARGUMENTS, the script replacing the helper."""
    empty = tmp_path / "requirements.txt"
    empty.write_text("")
    script = tmp_path / "job.py"
    script.write_text("import sys\nprint('job', sys.argv[1:])\nsys.exit(3)\n")
    finished = subprocess.run(
        [sys.executable, str(MIRROR_HELPER), str(empty), str(script), "--feature-group", "a b"],
        capture_output=True,
        text=True,
        env={**os.environ, **ENVIRONMENT},
        timeout=60,
    )
    assert finished.stdout.splitlines() == [
        f"pip-mirror: {empty} lists nothing to install",
        "job ['--feature-group', 'a b']",
    ]
    assert finished.returncode == 3


def test_the_helper_stops_the_job_before_the_script_when_it_fails(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text("print('the script ran')\n")
    finished = subprocess.run(
        [sys.executable, str(MIRROR_HELPER), str(tmp_path / "missing.txt"), str(script)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert finished.returncode == 1 and finished.stdout == ""
    missing = tmp_path / "missing.txt"
    assert finished.stderr.splitlines() == [
        f"pip-mirror: {missing} cannot be read (No such file or directory); expected the requirements file"
    ]


def test_the_helper_is_python_3_8() -> None:
    """The scikit-learn 1.2-1 image runs Python 3.8: the helper's syntax must be 3.8's."""
    ast.parse(MIRROR_HELPER.read_text(), feature_version=(3, 8))
