"""The Studio lifecycle script ``contracts/pip-mirror.sh``, rendered for the platform's mirror and run
by ``bash`` in a sandbox: a temporary HOME, and a stand-in ``aws`` first on PATH that records its
arguments and prints a token, or fails as the AWS CLI does (a message on stderr, exit 255)."""

from __future__ import annotations

import base64
import dataclasses
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from contracts.lifecycle import (
    CONTENT_LIMIT,
    PIP_MIRROR_SCRIPT,
    LifecycleError,
    lifecycle_content,
    pip_mirror_content,
    render_pip_mirror,
)
from contracts.package_mirror import TOKEN_SECONDS, MirrorError, platform_mirror

MIRROR = platform_mirror("111111111111", "eu-west-1")
TOKEN = "eyJ2ZXIiOjEsImlzdSI6MTcwMDAwMDAwMH0.c2lnbmF0dXJl+/="
DENIED = (
    "An error occurred (AccessDeniedException) when calling the GetAuthorizationToken operation: "
    "User: arn:aws:sts::222222222222:assumed-role/studio/x is not authorized to perform: "
    "codeartifact:GetAuthorizationToken"
)
BASH = shutil.which("bash")


@dataclasses.dataclass(frozen=True)
class Sandbox:
    home: Path
    bin: Path
    calls: Path

    @property
    def config(self) -> Path:
        return self.home / ".config" / "pip" / "pip.conf"

    def stand_in(self, fails: bool) -> None:
        """The ``aws`` the script finds: one line of arguments per call, then a token or the CLI's failure."""
        body = f"printf '%s\\n' \"$*\" >> '{self.calls}'\n"
        body += f"echo '{DENIED}' >&2\nexit 255\n" if fails else f"echo '{TOKEN}'\n"
        aws = self.bin / "aws"
        aws.write_text(f"#!/bin/sh\n{body}")
        aws.chmod(0o755)

    def run(self, script: str, fails: bool = False) -> subprocess.CompletedProcess[str]:
        assert BASH is not None, "bash is not on PATH"
        self.stand_in(fails)
        path = self.home / "on-start.sh"
        path.write_text(script)
        environment = {"HOME": str(self.home), "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}"}
        return subprocess.run([BASH, str(path)], env=environment, capture_output=True, text=True, timeout=60)


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    (tmp_path / "home").mkdir()
    (tmp_path / "bin").mkdir()
    return Sandbox(home=tmp_path / "home", bin=tmp_path / "bin", calls=tmp_path / "calls")


def test_the_script_writes_pips_user_configuration_with_a_fresh_token(sandbox: Sandbox) -> None:
    finished = sandbox.run(render_pip_mirror(MIRROR))
    assert finished.returncode == 0, finished.stderr
    assert sandbox.config.read_text() == f"[global]\nindex-url = {MIRROR.index_url(TOKEN)}\n"
    # Only its owner may read the token.
    assert stat.S_IMODE(sandbox.config.stat().st_mode) == 0o600
    assert sorted(p.name for p in sandbox.config.parent.iterdir()) == ["pip.conf"]
    assert sandbox.calls.read_text().splitlines() == [
        "codeartifact get-authorization-token --region eu-west-1 --domain mlops-packages --domain-owner 111111111111 "
        f"--duration-seconds {TOKEN_SECONDS} --query authorizationToken --output text "
        "--cli-connect-timeout 10 --cli-read-timeout 20"
    ]
    assert TOKEN not in finished.stdout + finished.stderr
    assert f"pip installs from {MIRROR.index_url()} for 12 hours" in finished.stdout


def test_a_restarted_app_replaces_the_previous_configuration(sandbox: Sandbox) -> None:
    sandbox.config.parent.mkdir(parents=True)
    sandbox.config.write_text("[global]\nindex-url = https://aws:expired@old/simple/\n")
    assert sandbox.run(render_pip_mirror(MIRROR)).returncode == 0
    assert sandbox.config.read_text() == f"[global]\nindex-url = {MIRROR.index_url(TOKEN)}\n"


def test_a_refused_token_fails_loudly_and_writes_nothing(sandbox: Sandbox) -> None:
    finished = sandbox.run(render_pip_mirror(MIRROR), fails=True)
    assert finished.returncode != 0
    lines = finished.stderr.splitlines()
    # The CLI's own message, then what failed and what to check.
    assert lines[0] == DENIED
    assert lines[1] == (
        "pip-mirror: no CodeArtifact token for domain mlops-packages (owner 111111111111) in eu-west-1 "
        "(the AWS CLI's message is above); pip is not configured"
    )
    assert "codeartifact:GetAuthorizationToken and sts:GetServiceBearerToken" in lines[2]
    assert "codeartifact.api and sts endpoints" in lines[2]
    assert not sandbox.config.parent.exists()


def test_a_refused_token_leaves_the_previous_configuration(sandbox: Sandbox) -> None:
    previous = "[global]\nindex-url = https://aws:earlier@host/pypi/platform/simple/\n"
    sandbox.config.parent.mkdir(parents=True)
    sandbox.config.write_text(previous)
    assert sandbox.run(render_pip_mirror(MIRROR), fails=True).returncode != 0
    assert sandbox.config.read_text() == previous
    assert sorted(p.name for p in sandbox.config.parent.iterdir()) == ["pip.conf"]


def test_a_configuration_folder_that_cannot_be_made_fails_loudly(sandbox: Sandbox) -> None:
    (sandbox.home / ".config").mkdir()
    (sandbox.home / ".config" / "pip").write_text("a file where the folder should be\n")
    finished = sandbox.run(render_pip_mirror(MIRROR))
    assert finished.returncode != 0
    assert f"pip-mirror: cannot write {sandbox.config}; pip is not configured" in finished.stderr
    assert f"pip-mirror: check the space and permissions of {sandbox.home}" in finished.stderr


def test_the_rendered_script_holds_the_mirror_and_no_placeholder() -> None:
    script = render_pip_mirror(MIRROR)
    assert 'domain="mlops-packages" owner="111111111111" region="eu-west-1" repository="platform"' in script
    assert "@@" not in script
    assert script.startswith("#!/bin/bash\n") and "set -euo pipefail" in script
    # What the program gives Studio: the script in base64, within the limit.
    assert base64.b64decode(pip_mirror_content(MIRROR)).decode() == script
    assert len(pip_mirror_content(MIRROR)) <= CONTENT_LIMIT


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("domain", 'x"; curl evil #', "package mirror domain: 'x\"; curl evil #' is not one"),
        ("domain", "Mlops", "package mirror domain: 'Mlops' is not one"),
        ("owner", "1111$(id)", "package mirror owner: '1111$(id)' is not one; expected a 12-digit account id"),
        ("region", "eu-west-1`id`", "package mirror region: 'eu-west-1`id`' is not one; expected an AWS region"),
        ("region", "mars-north-1", "package mirror region: 'mars-north-1' is not one"),
        ("repository", "platform\nrm -rf ~", "package mirror repository: 'platform\\nrm -rf ~' is not one"),
        ("repository", "p", "package mirror repository: 'p' is not one"),
    ],
)
def test_a_value_that_is_not_what_it_should_be_is_refused(field: str, value: str, fragment: str) -> None:
    with pytest.raises(MirrorError) as raised:
        render_pip_mirror(dataclasses.replace(MIRROR, **{field: value}))
    assert str(raised.value).startswith(fragment)


def test_a_template_with_a_placeholder_left_is_refused() -> None:
    template = PIP_MIRROR_SCRIPT.read_text() + 'echo "@@PARTITION@@"\n'
    with pytest.raises(LifecycleError, match=r"pip-mirror.sh: @@PARTITION@@ left unfilled"):
        render_pip_mirror(MIRROR, template)


def test_a_script_over_studios_limit_is_refused() -> None:
    assert len(lifecycle_content("#" * 12288)) == CONTENT_LIMIT
    with pytest.raises(LifecycleError, match=r"16388 characters of base64; expected at most 16384"):
        lifecycle_content("#" * 12289)
