"""The policy documents that name the teams' accounts stay under AWS's size limits at 50 teams.

Tooling and data management name every team's roles; a team's own stack names only those two, so
its documents must not grow. Sizes are measured as AWS counts them (offline/sizes.py); ``pytest -s``
prints the table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from contracts import naming
from offline import sizes
from offline.engine import preview
from offline.synth import StackResult
from tests.scenarios import copy_project, many_teams, write_teams

TEAMS = (1, 10, 50)
#: The stacks that name every team, and one team's own stack (the first team's: the cheapest to reach).
PLATFORM, TEAM = ("tooling", "datamgmt"), "datasci"
#: Kinds whose documents list every team's account or roles: each must grow, by an account ID at least.
NAME_TEAMS = ("KMS key policy", "S3 bucket policy", "SageMaker model package group policy", "ECR repository policy")
#: Kinds that must not grow: each team's build role is a role of its own, and the CI role names its
#: builds and pipelines by prefix (listed, its policies reached IAM's 10,240 characters at 50 teams).
CONSTANT = ("IAM role trust policy", "SNS topic policy")


@pytest.fixture(scope="module")
def synthesized(tmp_path_factory: pytest.TempPathFactory) -> dict[int, list[StackResult]]:
    """Tooling, data management and the first team's stack, with pre-production, at each team count."""
    stacks = {}
    for count in TEAMS:
        folder = write_teams(copy_project(tmp_path_factory.mktemp(f"teams{count}")), many_teams(count), preprod=True)
        result = preview(Path(folder), [*PLATFORM, TEAM], policies=False, access=False)
        stacks[count] = [stack.result for stack in result.stacks]
    return stacks


def _growth(synthesized: dict[int, list[StackResult]], names: tuple[str, ...]) -> dict[str, sizes.Growth]:
    points = {count: sizes.documents(s for s in stacks if s.name in names) for count, stacks in synthesized.items()}
    return {row.kind.name: row for row in sizes.growth(points)}


@pytest.fixture(scope="module")
def platform_growth(synthesized: dict[int, list[StackResult]]) -> dict[str, sizes.Growth]:
    rows = _growth(synthesized, PLATFORM)
    print("\n" + sizes.render(list(rows.values()), "Policy sizes in tooling and datamgmt, with pre-production"))
    return rows


def test_every_kind_is_measured(platform_growth: dict[str, sizes.Growth]) -> None:
    assert set(platform_growth) == {kind.name for kind in sizes.KINDS}
    assert all(set(row.largest) == set(TEAMS) for row in platform_growth.values())


@pytest.mark.parametrize("kind", NAME_TEAMS)
def test_documents_naming_the_teams_grow_with_them(platform_growth: dict[str, sizes.Growth], kind: str) -> None:
    row = platform_growth[kind]
    assert row.per_team >= len("700000000001"), f"{kind}: {row.per_team:+.0f} a team at {row.limiting.where}"
    assert row.largest[50].size > row.largest[1].size


@pytest.mark.parametrize("kind", CONSTANT)
def test_documents_that_scale_by_design_do_not_grow(platform_growth: dict[str, sizes.Growth], kind: str) -> None:
    row = platform_growth[kind]
    assert row.per_team == 0 and row.largest[50].size == row.largest[1].size, (kind, row.limiting.where)


def test_of_the_inline_policies_only_the_audit_roles_grows_and_it_is_never_the_first_limit(
    platform_growth: dict[str, sizes.Growth],
) -> None:
    """The audit role names each account's auditor role (one ARN a team, least privilege over a
    wildcard); every other inline policy stays flat. The documents naming the teams reach their
    limits first, so the audit role never decides how many teams fit."""
    row = platform_growth["IAM role inline policies"]
    assert row.limiting.where == f"tooling: {naming.AUDIT_ROLE_NAME}"
    assert 0 < row.per_team <= len('"arn:aws:iam::700000000001:role/mlops/mlops-datasci-auditor",')
    first = [platform_growth[kind].exceeds_at for kind in NAME_TEAMS]
    assert row.exceeds_at is not None and row.exceeds_at > min(at for at in first if at is not None)


def test_a_team_stack_does_not_grow_with_the_teams(synthesized: dict[int, list[StackResult]]) -> None:
    found = {count: sizes.documents(s for s in stacks if s.name == TEAM) for count, stacks in synthesized.items()}
    assert {row.kind.name for row in sizes.growth(found)} >= {"IAM role inline policies", "KMS key policy"}
    # Resources register in no fixed order: compare the documents as sets.
    assert set(found[1]) == set(found[10]) == set(found[50])


@pytest.mark.parametrize("kind", [kind.name for kind in sizes.KINDS])
def test_under_the_limit_at_50_teams(platform_growth: dict[str, sizes.Growth], kind: str) -> None:
    row = platform_growth[kind]
    over = [d for d in (row.largest[50], row.limiting) if d.size > row.kind.limit]
    assert not over, f"{kind}: {over[0].size:,} at {over[0].where}, over AWS's {row.kind.limit:,} ({row.kind.source})"
