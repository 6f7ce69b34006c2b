"""The shipped project's stacks, access model and access check, shared by the access tests."""

from __future__ import annotations

import pytest

from offline.access.check import AccessCheck
from offline.access.model import AccessModel
from offline.engine import Preview
from offline.synth import StackResult


@pytest.fixture(scope="module")
def results(platform: Preview) -> list[StackResult]:
    return [stack.result for stack in platform.stacks]


@pytest.fixture(scope="module")
def model(results: list[StackResult]) -> AccessModel:
    return AccessModel(results)


@pytest.fixture(scope="module")
def access(platform: Preview) -> AccessCheck:
    assert platform.access is not None, "the preview of all stacks runs the access model"
    return platform.access
