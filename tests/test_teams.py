"""Several data science teams and a pre-production account: every stack synthesizes in deploy order
and passes the packs; each team's feature branches run only in its own account, as its own build
role; its Feature Store holds the groups it owns; the lake shares no sensitive data with any
account; and a set of stacks that cannot deploy together is refused before any program runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from contracts import naming
from contracts.branches import glob_matches
from offline.engine import Preview, StackPreview
from tests.conftest import ROOT, run_engine
from tests.scenarios import FIRST_TEAM, PREPROD_ACCOUNT, THREE_TEAMS, Team, copy_project, write_teams
from tests.test_engine import assert_one_line_error

#: A resource as the JSON document gives it: type, name, inputs, outputs.
Resource = Mapping[str, Any]
TOOLING_ACCOUNT = "111111111111"
DATAMGMT_ACCOUNT = "333333333333"
ORDER = ["tooling", "datamgmt", "datasci", "datasci-fraud", "datasci-pricing", "preprod"]
PIPELINE = "aws:codepipeline/pipeline:Pipeline"
BUILD_PROJECT = "aws:codebuild/project:Project"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
FEATURE_GROUP = "aws:sagemaker/featureGroup:FeatureGroup"
LF_GRANT = "aws:lakeformation/permissions:Permissions"
PRODUCTION_PIPELINE = "mlops-tooling-production"


def runner(account: str, role: str = "datasci") -> str:
    """A target account's runner role, the one its pipeline's builds may assume (written out, not computed)."""
    suffix = "feature-deployer" if role == "datamgmt" else "feature-runner"
    return f"arn:aws:iam::{account}:role/mlops/mlops-{role}-{suffix}"


def build_role(pipeline: str) -> str:
    return f"arn:aws:iam::{TOOLING_ACCOUNT}:role/mlops/mlops-tooling-build-{pipeline}"


def team_pipeline(team: Team) -> str:
    return "mlops-tooling-feature-branches" + ("" if team.name == FIRST_TEAM else f"-{team.name}")


# --- CodePipeline's branch globs (contracts/branches.py) ---------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "branch", "expected"),
    [
        ("feature/*", "feature/x", True),
        ("feature/*", "feature/fraud/x", False),
        ("feature/*", "feature/", True),
        ("feature/fraud/**", "feature/fraud/x", True),
        ("feature/fraud/**", "feature/fraud/deep/x", True),
        ("feature/fraud/**", "feature/fraud", False),
        ("feature/fraud/**", "feature/fraudulent/x", False),
        ("main", "main", True),
        ("main", "mainline", False),
        ("release-?", "release-1", True),
        ("release-?", "release-10", False),
        ("{main,release/*}", "release/2", True),
        ("v[0-9]", "v7", True),
        ("v[!0-9]", "v7", False),
        ("a[/]b", "a/b", False),
        ("a\\*", "a*", True),
        ("a\\*", "ab", False),
    ],
)
def test_the_glob_matcher_follows_codepipelines_rules(pattern: str, branch: str, expected: bool) -> None:
    assert glob_matches(pattern, branch) is expected


def triggered_by(pipeline: Resource, branch: str) -> bool:
    """Whether a push to ``branch`` starts the pipeline: a push filter's includes match (no includes:
    every branch) and none of its excludes does."""
    for trigger in pipeline["inputs"].get("triggers") or []:
        for push in (trigger.get("gitConfiguration") or {}).get("pushes") or []:
            branches = push.get("branches")
            if branches is None:
                continue
            includes, excludes = branches.get("includes") or [], branches.get("excludes") or []
            included = not includes or any(glob_matches(pattern, branch) for pattern in includes)
            if included and not any(glob_matches(pattern, branch) for pattern in excludes):
                return True
    return False


# --- reading the synthesized stacks ----------------------------------------------------------------


def resources(stack: StackPreview) -> list[Resource]:
    return [{"type": r.type, "name": r.name, "inputs": r.inputs, "outputs": r.outputs} for r in stack.result.resources]


def named(preview: Preview, name: str) -> StackPreview:
    (found,) = [stack for stack in preview.stacks if stack.result.name == name]
    return found


def of_type(stack_resources: Sequence[Resource], token: str) -> list[Resource]:
    return [r for r in stack_resources if r["type"] == token]


def stages(pipeline: Resource) -> dict[str, dict[str, Any]]:
    """A pipeline's stages by name, in order."""
    return {stage["name"]: stage for stage in pipeline["inputs"]["stages"]}


def stage_environment(pipeline: Resource, stage: str) -> dict[str, str]:
    (action,) = stages(pipeline)[stage]["actions"]
    return {v["name"]: v["value"] for v in json.loads(action["configuration"].get("EnvironmentVariables", "[]"))}


def stage_service_role(tooling: Sequence[Resource], pipeline: Resource, stage: str) -> str:
    (action,) = stages(pipeline)[stage]["actions"]
    (project,) = [
        p for p in of_type(tooling, BUILD_PROJECT) if p["inputs"]["name"] == action["configuration"]["ProjectName"]
    ]
    return str(project["inputs"]["serviceRole"])


def assumable(tooling: Sequence[Resource], role_arn: str) -> set[str]:
    """Every role the inline policy of a tooling role (by ARN) lets it assume."""
    role_name = role_arn.rsplit("/", 1)[-1]
    (policy,) = [p for p in of_type(tooling, ROLE_POLICY) if p["inputs"]["role"] == role_name]
    found: set[str] = set()
    for statement in json.loads(policy["inputs"]["policy"])["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Effect"] == "Allow" and any(a in ("sts:AssumeRole", "sts:*", "*") for a in actions):
            targets = statement["Resource"]
            found.update(targets if isinstance(targets, list) else [targets])
    return found


def feature_groups(stack_resources: Sequence[Resource]) -> set[str]:
    return {str(g["inputs"]["featureGroupName"]) for g in of_type(stack_resources, FEATURE_GROUP)}


def account_grants(datamgmt: Sequence[Resource], resource_type: str = "") -> dict[str, list[dict[str, list[str]]]]:
    """The Lake Formation grants to whole accounts (RAM shares), each as its tag expression; with
    ``resource_type`` (TABLE, DATABASE), only those on that type of resource."""
    grants: dict[str, list[dict[str, list[str]]]] = {}
    for grant in of_type(datamgmt, LF_GRANT):
        principal = str(grant["inputs"]["principal"])
        if re.fullmatch(r"\d{12}", principal):
            policy = grant["inputs"]["lfTagPolicy"]
            if resource_type and policy["resourceType"] != resource_type:
                continue
            expression = {e["key"]: list(e["values"]) for e in policy["expressions"]}
            grants.setdefault(principal, []).append(expression)
    return grants


# --- three teams and pre-production ------------------------------------------------------------------


def test_every_stack_synthesizes_in_deploy_order(teams_platform: Preview) -> None:
    assert [stack.result.name for stack in teams_platform.stacks] == ORDER
    accounts = {stack.result.name: stack.result.account_id for stack in teams_platform.stacks}
    assert accounts == {
        "tooling": TOOLING_ACCOUNT,
        "datamgmt": DATAMGMT_ACCOUNT,
        **{team.stack: team.account_id for team in THREE_TEAMS},
        "preprod": PREPROD_ACCOUNT,
    }
    assert all(stack.result.resources for stack in teams_platform.stacks)


def test_the_policy_packs_find_no_mandatory_violation_on_any_stack(teams_platform: Preview) -> None:
    for stack in teams_platform.stacks:
        assert [v for v in stack.violations if v.level == "mandatory"] == [], stack.result.name


def test_no_mandatory_violation_with_the_access_model(teams_platform: Preview) -> None:
    assert teams_platform.access is not None
    assert teams_platform.mandatory == []


SAMPLE_BRANCHES = [
    *((f"feature/{team.name}/x", team) for team in THREE_TEAMS),
    *((f"feature/{team.name}/deep/x", team) for team in THREE_TEAMS),
    # The first team's compatibility pattern, featureBranchPattern (feature/*).
    ("feature/x", THREE_TEAMS[0]),
]


@pytest.mark.parametrize(("branch", "team"), SAMPLE_BRANCHES, ids=[branch for branch, _ in SAMPLE_BRANCHES])
def test_a_teams_feature_branch_runs_only_in_its_account_as_its_build_role(
    teams_platform: Preview, branch: str, team: Team
) -> None:
    tooling = resources(named(teams_platform, "tooling"))
    started = [p for p in of_type(tooling, PIPELINE) if triggered_by(p, branch)]
    assert [p["inputs"]["name"] for p in started] == [team_pipeline(team)]
    (pipeline,) = started
    assert list(stages(pipeline)) == ["Source", "Checks", "FeatureJob"]
    environment = stage_environment(pipeline, "FeatureJob")
    assert environment["TARGET_ACCOUNT"] == team.stack
    assert environment["TARGET_ROLE_ARN"] == runner(team.account_id)
    role = stage_service_role(tooling, pipeline, "FeatureJob")
    assert role == build_role(team.name)
    assert assumable(tooling, role) == {runner(team.account_id)}


def test_the_production_branch_runs_only_the_production_pipeline(teams_platform: Preview) -> None:
    tooling = resources(named(teams_platform, "tooling"))
    started = [p for p in of_type(tooling, PIPELINE) if triggered_by(p, "main")]
    assert [p["inputs"]["name"] for p in started] == [PRODUCTION_PIPELINE]
    (pipeline,) = started
    assert list(stages(pipeline)) == [
        "Source",
        "Checks",
        "PreprodFeatureJob",
        "Approval",
        "ProductionFeatureJob",
        "Training",
    ]
    preprod, production = runner(PREPROD_ACCOUNT, "preprod"), runner(DATAMGMT_ACCOUNT, "datamgmt")
    assert stage_environment(pipeline, "PreprodFeatureJob")["TARGET_ROLE_ARN"] == preprod
    assert stage_environment(pipeline, "PreprodFeatureJob")["TARGET_ACCOUNT"] == "preprod"
    for stage in ("ProductionFeatureJob", "Training"):
        assert stage_environment(pipeline, stage)["TARGET_ROLE_ARN"] == production
        assert stage_service_role(tooling, pipeline, stage) == build_role("production")
    assert assumable(tooling, build_role("production")) == {preprod, production}


@pytest.mark.parametrize("branch", ["main-fix", "feature/x/y", "feature/marketing/x", "hotfix/x"])
def test_other_branches_start_no_pipeline(teams_platform: Preview, branch: str) -> None:
    tooling = resources(named(teams_platform, "tooling"))
    assert [p["inputs"]["name"] for p in of_type(tooling, PIPELINE) if triggered_by(p, branch)] == []


def test_without_preprod_the_production_pipeline_goes_straight_to_approval(platform: Preview) -> None:
    tooling = resources(named(platform, "tooling"))
    (pipeline,) = [p for p in of_type(tooling, PIPELINE) if p["inputs"]["name"] == PRODUCTION_PIPELINE]
    assert list(stages(pipeline)) == ["Source", "Checks", "Approval", "ProductionFeatureJob", "Training"]
    assert assumable(tooling, build_role("production")) == {runner(DATAMGMT_ACCOUNT, "datamgmt")}


def test_the_lake_shares_no_sensitive_data_with_any_account(teams_platform: Preview) -> None:
    grants = account_grants(resources(named(teams_platform, "datamgmt")))
    assert set(grants) == {*(team.account_id for team in THREE_TEAMS), PREPROD_ACCOUNT}
    for account, expressions in grants.items():
        for expression in expressions:
            assert expression.get("classification"), (account, expression)  # no classification: every one
            assert "sensitive" not in expression["classification"], (account, expression)
            assert "team" not in expression, (account, expression)


# --- a team tag and a group of the fraud team's, previewed as a person would ---------------------------

FRAUD_GROUP = """\
name: card-authorizations
description: Card authorization attempts with merchant and velocity signals, for fraud models
owner: erin@example.com
team: fraud
record_identifier: authorization_id
event_time: event_time
online_store: true
classification: internal
features:
  - name: authorization_id
    type: String
    description: The card network's authorization identifier
  - name: event_time
    type: String
    description: When the authorization was requested, ISO-8601 in UTC
  - name: attempts_24h
    type: Integral
    description: Authorization attempts with the same card in the last 24 hours
"""


def preview_document(folder: Path, *args: str) -> dict[str, Any]:
    """``python -m offline preview --json`` of a project copy, run from the copy as its own program
    (its contracts and components first on the path, the engine from this repository)."""
    run = subprocess.run(
        [sys.executable, "-m", "offline", "preview", "--json", "--project", str(folder), *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": os.pathsep.join((str(folder), str(ROOT))), "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode in (0, 1), run.stderr
    document: dict[str, Any] = json.loads(run.stdout)
    return document


@pytest.fixture(scope="module")
def tagged_document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Three teams, pre-production, a ``team`` LF-tag (a curated table tagged for each team), and a
    second catalog group owned by fraud: the preview's JSON document, without the packs."""
    folder = write_teams(copy_project(tmp_path_factory.mktemp("tagged")), THREE_TEAMS, preprod=True, team_tag=True)
    (folder / "features" / "card-authorizations.yaml").write_text(FRAUD_GROUP)
    return preview_document(folder, "--no-policies")


@pytest.fixture(scope="module")
def tagged(tagged_document: dict[str, Any]) -> dict[str, list[Resource]]:
    """Each stack's resources in the tagged preview."""
    return {stack["name"]: stack["resources"] for stack in tagged_document["stacks"]}


def test_with_a_team_tag_each_team_reads_its_own_curated_table(tagged_document: dict[str, Any]) -> None:
    """The access model decides the journeys with the team tag: every step as expected, and each
    team's data scientists query the curated table tagged with its name."""
    steps = tagged_document["access"]["steps"]
    assert [step for step in steps if not step["asExpected"]] == []
    for team in THREE_TEAMS:
        queries = [
            s["step"]
            for s in steps
            if "SELECT on" in s["step"]
            and "curated" in s["step"]
            and re.search(rf"\b{team.stack}\b(?!-)", s["journey"])
        ]
        assert queries and all(f"{team.name}_labels" in query for query in queries), (team.name, queries)


def test_each_team_holds_the_feature_groups_it_owns(tagged: dict[str, list[Resource]]) -> None:
    assert list(tagged) == ORDER
    held = {name: feature_groups(stack) for name, stack in tagged.items()}
    assert held == {
        "tooling": set(),
        "datamgmt": {"customer-churn", "card-authorizations"},
        "datasci": {"customer-churn"},
        "datasci-fraud": {"card-authorizations"},
        "datasci-pricing": set(),
        "preprod": {"customer-churn", "card-authorizations"},
    }
    # A team's pipeline processes one of its own groups unless told otherwise.
    defaults = {
        p["inputs"]["name"]: {v["name"]: v.get("defaultValue") for v in p["inputs"]["variables"]}["FeatureGroup"]
        for p in of_type(tagged["tooling"], PIPELINE)
        if p["inputs"]["name"] != naming.AUDIT_PIPELINE
    }
    assert defaults[team_pipeline(THREE_TEAMS[0])] == "customer-churn"
    assert defaults[team_pipeline(THREE_TEAMS[1])] == "card-authorizations"
    assert defaults[team_pipeline(THREE_TEAMS[2])] is None


def test_with_a_team_tag_each_team_reads_the_curated_data_of_its_name(tagged: dict[str, list[Resource]]) -> None:
    grants = account_grants(tagged["datamgmt"])
    assert set(grants) == {*(team.account_id for team in THREE_TEAMS), PREPROD_ACCOUNT}
    tables, databases = account_grants(tagged["datamgmt"], "TABLE"), account_grants(tagged["datamgmt"], "DATABASE")
    for team in THREE_TEAMS:
        curated = [e for e in tables[team.account_id] if "curated" in e["layer"]]
        assert curated, team.name
        assert all(e["team"] == [team.name] for e in curated), (team.name, curated)
        # A database carries one value per tag key: every team describes the curated database, and
        # the team tag narrows its tables.
        described = [e for e in databases[team.account_id] if "curated" in e["layer"]]
        assert described and all("team" not in e for e in described), (team.name, described)
    assert any("curated" in e["layer"] for e in grants[PREPROD_ACCOUNT])
    for account, expressions in grants.items():
        for expression in expressions:
            assert "sensitive" not in expression["classification"], (account, expression)
            if account == PREPROD_ACCOUNT or "curated" not in expression["layer"]:
                assert "team" not in expression, (account, expression)
    for expressions in databases.values():
        assert all("team" not in expression for expression in expressions)


# --- stacks that cannot deploy the platform together: refused before any program runs ----------------


def _drop_fraud_stack(folder: Path) -> None:
    (folder / "Pulumi.datasci-fraud.yaml").unlink()


def _fraud_stack_deploys_pricing(folder: Path) -> None:
    # Copied from pricing's file, the team left as it was.
    shutil.copy(folder / "Pulumi.datasci-pricing.yaml", folder / "Pulumi.datasci-fraud.yaml")


def _first_stack_deploys_fraud(folder: Path) -> None:
    shutil.copy(folder / "Pulumi.datasci-fraud.yaml", folder / "Pulumi.datasci.yaml")


def _drop_preprod_stack(folder: Path) -> None:
    (folder / "Pulumi.preprod.yaml").unlink()


def _drop_fraud_lead(folder: Path) -> None:
    stack_file = folder / "Pulumi.datasci-fraud.yaml"
    stack_file.write_text(stack_file.read_text().replace("['erin@example.com']", "['bob@example.com']"))


def _one_stack_with_other_teams(folder: Path) -> None:
    stack_file = folder / "Pulumi.datamgmt.yaml"
    # The first team alone, as before there were teams: this stack would grant no other team.
    only_first = "  mlops-feature-platform:dataScienceTeams: ['analytics: 222222222222 alice@example.com']\n"
    stack_file.write_text(stack_file.read_text() + only_first)


#: Each case: the teams, whether with pre-production, what breaks it, and what the one line must say.
BAD_SETS: dict[str, tuple[tuple[Team, ...], bool, Callable[[Path], None], list[str]]] = {
    "a team without its stack file": (
        THREE_TEAMS,
        False,
        _drop_fraud_stack,
        ["dataScienceTeams", "'fraud: 444444444444 erin@example.com'", "no Pulumi.datasci-fraud.yaml", "expected"],
    ),
    "a team's stack deploying another team": (
        THREE_TEAMS,
        False,
        _fraud_stack_deploys_pricing,
        ["Pulumi.datasci-fraud.yaml", "dataScienceTeam: 'pricing'", "expected fraud"],
    ),
    "the first team's stack deploying another team": (
        THREE_TEAMS,
        False,
        _first_stack_deploys_fraud,
        ["Pulumi.datasci.yaml", "dataScienceTeam: 'fraud'", "expected analytics or unset"],
    ),
    "pre-production without its stack file": (
        THREE_TEAMS,
        True,
        _drop_preprod_stack,
        ["preprodAccountId", f"'{PREPROD_ACCOUNT}'", "no Pulumi.preprod.yaml", "expected"],
    ),
    "an invalid team name": (
        (THREE_TEAMS[0], Team("Fraud", "444444444444", ("erin@example.com",))),
        False,
        lambda folder: None,
        ["tooling:", "dataScienceTeams", "'Fraud'", "not a valid stack suffix", "expected"],
    ),
    "two teams in one account": (
        (THREE_TEAMS[0], Team("fraud", THREE_TEAMS[0].account_id, ("erin@example.com",))),
        False,
        lambda folder: None,
        ["tooling:", "dataScienceTeams", "uses 222222222222, which is the analytics team's account", "expected"],
    ),
    "a team's lead missing from its stack's data scientists": (
        THREE_TEAMS,
        False,
        _drop_fraud_lead,
        ["datasci-fraud:", "dataScientists", "lacks erin@example.com, a lead of the fraud team", "expected"],
    ),
    "stacks that disagree on the teams": (
        THREE_TEAMS,
        False,
        _one_stack_with_other_teams,
        ["Pulumi.datamgmt.yaml", "dataScienceTeams", "differs from the tooling stack's", "expected one value"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_SETS))
def test_a_set_of_stacks_that_cannot_deploy_together_exits_2_with_one_line(tmp_path: Path, case: str) -> None:
    teams, preprod, corrupt, fragments = BAD_SETS[case]
    folder = write_teams(copy_project(tmp_path / "project"), teams, preprod=preprod)
    corrupt(folder)
    run = run_engine(["preview", "--project", str(folder)])
    assert run.returncode == 2, run.stderr
    assert_one_line_error(run.stderr, *fragments)
    assert run.stdout == ""


PROGRAM_RUN = """
import sys
from pathlib import Path
from contracts.project import load_project, stack_config
from offline.synth import ProgramError, synthesize
project = load_project(Path(sys.argv[1]))
try:
    synthesize(project, "tooling", stack_config(project, "tooling"), {})
except ProgramError as error:
    print(error)
"""


def test_the_check_before_the_programs_gives_the_line_the_program_would(tmp_path: Path) -> None:
    """The engine validates every stack's configuration before any program runs; run alone, the
    tooling program refuses the same configuration with the same line."""
    teams = (THREE_TEAMS[0], Team("Fraud", "444444444444", ("erin@example.com",)))
    folder = write_teams(copy_project(tmp_path / "project"), teams)
    program = subprocess.run(
        [sys.executable, "-c", PROGRAM_RUN, str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    engine = run_engine(["preview", "--project", str(folder)])
    assert program.stdout.strip().startswith("tooling: mlops-feature-platform:dataScienceTeams: 'Fraud: "), program
    assert engine.stderr.strip() == f"error: {program.stdout.strip()}"


def test_the_shipped_project_still_previews_exactly_three_stacks() -> None:
    run = run_engine(["preview", "--json", "--no-policies"])
    assert run.returncode in (0, 1), run.stderr
    assert [stack["name"] for stack in json.loads(run.stdout)["stacks"]] == ["tooling", "datamgmt", "datasci"]


def test_ci_lists_the_stacks_to_deploy_from_the_stack_files(tmp_path: Path) -> None:
    """The workflows' matrices: every stack in deploy order, or those of some account roles."""
    shipped = run_engine(["stacks"])
    assert shipped.returncode == 0 and json.loads(shipped.stdout) == ["tooling", "datamgmt", "datasci"]
    folder = write_teams(copy_project(tmp_path / "teams"), THREE_TEAMS, preprod=True)
    others = run_engine(["stacks", "--project", str(folder), "--role", "datasci", "--role", "preprod"])
    assert json.loads(others.stdout) == ["datasci", "datasci-fraud", "datasci-pricing", "preprod"]


def test_the_policy_packs_of_only_a_few_stacks_run_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each stack's packs are four processes: with many teams, the engine starts them a few stacks
    ahead of the synthesis and stops them once they analyzed their stack, so memory stays bounded.
    Each resource goes to the packs of its own stack, started before its program runs."""
    import offline.engine as engine

    alive: set[str] = set()
    most: list[int] = [0]
    registered: dict[str, int] = {}

    class Packs:
        def __init__(self, folders: object, policy_config: object) -> None:
            pass

        def start(self, project: str, stack: str, config: object) -> None:
            alive.add(stack)
            most[0] = max(most[0], len(alive))

        def register(self, stack: str, record: Any) -> None:
            assert stack in alive and record.urn.startswith(f"urn:pulumi:{stack}::")
            registered[stack] = registered.get(stack, 0) + 1

        def analyze(self, result: Any) -> None:
            assert result.name in alive and registered[result.name] == len(result.resources)

        def violations(self, stack: str) -> list[Any]:
            alive.discard(stack)
            return []

        def close(self) -> None:
            pass

    monkeypatch.setattr(engine, "PackProcesses", Packs)
    folder = write_teams(copy_project(tmp_path / "teams"), THREE_TEAMS, preprod=True)
    result = engine.preview(folder, access=False)
    assert [stack.result.name for stack in result.stacks] == ORDER
    assert most[0] <= engine.PACK_WINDOW + 1 < len(ORDER)
    assert alive == set() and set(registered) == set(ORDER)
