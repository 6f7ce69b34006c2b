"""Shared fixtures: the real program synthesized offline, once per session, and its raw config."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from contracts.config import PROJECT, parse
from contracts.naming import CrossAccountRoles
from contracts.project import load_project, stack_config
from offline.engine import Preview, StackPreview, preview
from offline.mocks import ResourceRecord
from tests.scenarios import THREE_TEAMS, copy_project, write_teams

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def platform() -> Preview:
    """All three stacks of the real program, synthesized and analyzed by every policy pack."""
    return preview(ROOT)


@pytest.fixture(scope="session")
def teams_platform(tmp_path_factory: pytest.TempPathFactory) -> Preview:
    """Three data science teams and a pre-production account: six stacks, every pack, the journeys."""
    folder = copy_project(tmp_path_factory.mktemp("teams"))
    return preview(write_teams(folder, THREE_TEAMS, preprod=True))


@pytest.fixture(scope="session")
def stack(platform: Preview) -> Callable[[str], StackPreview]:
    def get(name: str) -> StackPreview:
        return next(s for s in platform.stacks if s.result.name == name)

    return get


def of_type(stack: StackPreview, token: str) -> list[ResourceRecord]:
    """A synthesized stack's resources of one type token."""
    return [r for r in stack.result.resources if r.type == token]


def one(stack: StackPreview, token: str, name_part: str = "") -> ResourceRecord:
    """The one resource of a type whose name holds ``name_part``."""
    (record,) = [r for r in of_type(stack, token) if name_part in r.name]
    return record


def outputs(stack: StackPreview) -> dict[str, Any]:
    return stack.result.outputs


def shipped_roles() -> CrossAccountRoles:
    """The cross-account roles of the shipped project, as its settings compute them."""
    settings = parse(raw_config("tooling"), project=PROJECT, stack="tooling", project_dir=ROOT, environ={})
    return settings.cross_account_roles


def raw_config(stack_name: str) -> dict[str, str]:
    """A stack's configuration exactly as the program receives it (defaults from Pulumi.yaml merged)."""
    return stack_config(load_project(ROOT), stack_name)


def run_engine(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """``python -m offline`` in a child process, as a person or CI runs it."""
    return subprocess.run(
        [sys.executable, "-m", "offline", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """The real project in a scratch folder, to corrupt."""
    for name in ("Pulumi.yaml", "Pulumi.tooling.yaml", "Pulumi.datamgmt.yaml", "Pulumi.datasci.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    for folder in ("components", "features", "policies"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path
