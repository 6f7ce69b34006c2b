"""Variants of the shipped project, for tests and benchmarks: more data science teams, a
pre-production account, a team tag. Each is a copy of the project in a folder of its own, changed
only where a person adopting the platform would change it: Pulumi.yaml and one stack file per team."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
#: What a copy of the project holds: the program, its configuration, catalog and policy packs.
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.tooling.yaml", "Pulumi.datamgmt.yaml", "Pulumi.datasci.yaml", "__main__.py")
PROJECT_FOLDERS = ("components", "contracts", "features", "policies")
PREPROD_ACCOUNT = "666666666666"
NAMESPACE = "mlops-feature-platform"


@dataclass(frozen=True)
class Team:
    name: str
    account_id: str
    leads: tuple[str, ...]

    @property
    def stack(self) -> str:
        return "datasci" if self.name == FIRST_TEAM else f"datasci-{self.name}"

    @property
    def entry(self) -> str:
        return f"{self.name}: {self.account_id} {', '.join(self.leads)}"


#: The shipped project's one team.
FIRST_TEAM = "analytics"
#: Three teams: the shipped one, one with one lead, one with two.
THREE_TEAMS = (
    Team(FIRST_TEAM, "222222222222", ("alice@example.com",)),
    Team("fraud", "444444444444", ("erin@example.com",)),
    Team("pricing", "555555555555", ("frank@example.com", "gina@example.com")),
)


def many_teams(count: int) -> tuple[Team, ...]:
    """The shipped team and ``count - 1`` more, each with an account and a lead of its own."""
    extra = tuple(
        Team(f"team{index:03d}", f"{700000000000 + index:012d}", (f"lead{index:03d}@example.com",))
        for index in range(1, count)
    )
    return (THREE_TEAMS[0], *extra)


def copy_project(folder: Path) -> Path:
    """The shipped project in ``folder`` (created), to change."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, folder / name)
    for name in PROJECT_FOLDERS:
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def write_teams(
    folder: Path, teams: tuple[Team, ...], preprod: bool = False, team_tag: bool = False, datamgmt_cidr: str = ""
) -> Path:
    """Configure ``teams`` (and pre-production, and a ``team`` LF-tag) in the project copy in
    ``folder``: the teams in Pulumi.yaml, a stack file per team after the first, as the README says."""
    project_file = folder / "Pulumi.yaml"
    project = yaml.safe_load(project_file.read_text())
    config = project["config"]
    config["dataScienceTeams"]["default"] = [team.entry for team in teams]
    if preprod:
        config["preprodAccountId"]["default"] = PREPROD_ACCOUNT
    if team_tag:
        # The data engineers tag a curated table for each team, which only that team reads.
        config["teamTag"]["default"] = "team"
        config["lfTags"]["default"] = [*config["lfTags"]["default"], "team=" + ",".join(t.name for t in teams)]
        assignments = config["lfTagAssignments"]["default"]
        config["lfTagAssignments"]["default"] = [
            *assignments,
            *(f"curated.{t.name}_labels: team={t.name}" for t in teams),
        ]
    project_file.write_text(yaml.safe_dump(project, sort_keys=False))
    first = (folder / "Pulumi.datasci.yaml").read_text()
    for index, team in enumerate(teams[1:], start=1):
        # Each team's VPC gets its own range, as an IP plan would give it (10.64.0.0/16 onwards).
        text = first.replace(teams[0].account_id, team.account_id).replace("10.20.0.0/16", _cidr(index))
        text += f"  {NAMESPACE}:dataScienceTeam: {team.name}\n"
        text += f"  {NAMESPACE}:dataScientists: {list(team.leads)}\n"
        (folder / f"Pulumi.{team.stack}.yaml").write_text(text)
    if preprod:
        text = first.replace(teams[0].account_id, PREPROD_ACCOUNT).replace("10.20.0.0/16", "10.40.0.0/16")
        (folder / "Pulumi.preprod.yaml").write_text(text.replace("accountRole: datasci", "accountRole: preprod"))
    return folder


def _cidr(index: int) -> str:
    if not 0 < index < 192:
        raise ValueError(f"team index {index} has no /16 left in 10.64.0.0/10; expected 1 to 191")
    return f"10.{64 + index}.0.0/16"
