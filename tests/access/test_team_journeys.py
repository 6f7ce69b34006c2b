"""The access model on three data science teams and a pre-production account (the ``teams_platform``
fixture: six stacks). Every team gets its journeys, in its own account; every step is allowed, and
every step that would let one team's builds into another account is refused, so that a trust
policy widened by mistake fails the check."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from offline.access.check import AccessCheck, check
from offline.access.journeys import Call, Journey, Refused, RunsAs, decide, platform_journeys, question
from offline.access.model import AccessError, AccessModel
from offline.engine import Preview
from offline.mocks import ResourceRecord
from offline.synth import StackResult
from tests.access.test_journeys import refused_assumptions
from tests.scenarios import PREPROD_ACCOUNT, THREE_TEAMS

TOOLING = "111111111111"
DATAMGMT = "333333333333"
TEAM_STACKS = tuple(team.stack for team in THREE_TEAMS)
STACKS = ("tooling", "datamgmt", *TEAM_STACKS, "preprod")


def role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/mlops/{name}"


TEAM_RUNNERS = {team.stack: role(team.account_id, "mlops-datasci-feature-runner") for team in THREE_TEAMS}
PREPROD_RUNNER = role(PREPROD_ACCOUNT, "mlops-preprod-feature-runner")
DEPLOYER = role(DATAMGMT, "mlops-datamgmt-feature-deployer")
RUNNERS = {**TEAM_RUNNERS, "preprod": PREPROD_RUNNER, "datamgmt": DEPLOYER}


@pytest.fixture(scope="module")
def results(teams_platform: Preview) -> list[StackResult]:
    return [stack.result for stack in teams_platform.stacks]


@pytest.fixture(scope="module")
def model(results: list[StackResult]) -> AccessModel:
    return AccessModel(results)


@pytest.fixture(scope="module")
def journeys(model: AccessModel) -> list[Journey]:
    return platform_journeys(model)


@pytest.fixture(scope="module")
def access(teams_platform: Preview) -> AccessCheck:
    assert teams_platform.access is not None, "the preview of every stack runs the access model"
    return teams_platform.access


def named(journeys: list[Journey], name: str) -> Journey:
    (found,) = [journey for journey in journeys if journey.name == name]
    return found


def test_every_step_of_six_stacks_is_allowed_or_refused_as_it_must_be(teams_platform: Preview) -> None:
    access = teams_platform.access
    assert access is not None
    assert [s.result.name for s in teams_platform.stacks] == list(STACKS)
    failed = [f"{o.journey.name}: {o.step}: {o.verdict.reason}" for o in (*access.denied, *access.breaches)]
    assert failed == [], "\n".join(failed)
    assert access.violations() == []
    assert [v for v in teams_platform.mandatory if v.pack == "access-model"] == []
    # Each of the six accounts is in the journeys, by its account ID.
    steps = " ".join(str(o.step) for o in access.outcomes)
    for account in (TOOLING, DATAMGMT, *(team.account_id for team in THREE_TEAMS), PREPROD_ACCOUNT):
        assert f":{account}:" in steps, account
    assert len(access.outcomes) > 250


def test_each_team_has_its_journeys_in_its_own_account(journeys: list[Journey]) -> None:
    for team in THREE_TEAMS:
        stack = team.stack
        for name in (
            f"Open Studio in {stack} and list its apps and spaces",
            f"Query curated data from {stack} through the resource link with Athena",
            f"Run a processing job in the {stack} VPC with the account key",
            f"The CI runs a feature job in {stack}, as the {team.name} pipeline's build role",
            f"A training pipeline in {stack} builds its dataset and registers a model version",
            f"VPC Flow Logs deliver the {stack} VPC's logs",
        ):
            journey = named(journeys, name)
            calls = [step for step in journey.steps if isinstance(step, Call) and step.principal.startswith("arn:")]
            # Its roles are the team's account's (the CI's first steps are tooling's build role's).
            accounts = {call.principal.split(":")[4] for call in calls}
            assert accounts <= {team.account_id, TOOLING}, (name, accounts)
            assert team.account_id in accounts, name


def test_only_the_groups_owner_and_preprod_and_datamgmt_write_a_feature_store(journeys: list[Journey]) -> None:
    # The catalog's one group belongs to the first team: the other teams' stores hold nothing.
    stores = sorted(j.name for j in journeys if j.name.startswith("The Feature Store creates"))
    assert stores == sorted(
        f"The Feature Store creates and writes the offline store in {stack}"
        for stack in ("datasci", "preprod", "datamgmt")
    )
    snapshot = named(journeys, "Write a snapshot of curated data in datasci-fraud")
    assert not [step for step in snapshot.steps if "feature-group" in str(step)]
    named(journeys, "Write a snapshot of curated data in datasci, and read the experimentation offline store")


def test_preprod_has_the_ci_feature_store_training_packages_and_flow_logs_journeys_and_no_studio(
    journeys: list[Journey],
) -> None:
    preprod = sorted(j.name for j in journeys if " preprod" in j.name)
    assert preprod == [
        "A training pipeline in preprod builds its dataset and registers a model version",
        "Jobs and training install their packages from the mirror in preprod",
        "The CI runs a feature job in preprod, as the production pipeline's build role",
        "The Feature Store creates and writes the offline store in preprod",
        "VPC Flow Logs deliver the preprod VPC's logs",
    ]
    assert not [j for j in journeys if j.actor.startswith("data scientist in preprod")]


@pytest.mark.parametrize(
    ("stack", "pipeline", "stages"),
    [
        (
            "datasci",
            "analytics",
            [("mlops-tooling-feature-branches", "FeatureJob", "mlops-tooling-feature-job-analytics")],
        ),
        (
            "datasci-fraud",
            "fraud",
            [("mlops-tooling-feature-branches-fraud", "FeatureJob", "mlops-tooling-feature-job-fraud")],
        ),
        (
            "datasci-pricing",
            "pricing",
            [("mlops-tooling-feature-branches-pricing", "FeatureJob", "mlops-tooling-feature-job-pricing")],
        ),
        ("preprod", "production", [("mlops-tooling-production", "PreprodFeatureJob", "mlops-tooling-feature-job")]),
        (
            "datamgmt",
            "production",
            [
                ("mlops-tooling-production", "ProductionFeatureJob", "mlops-tooling-feature-job"),
                ("mlops-tooling-production", "Training", "mlops-tooling-training"),
            ],
        ),
    ],
)
def test_a_ci_journey_runs_as_its_pipelines_build_role_into_its_accounts_runner(
    journeys: list[Journey], stack: str, pipeline: str, stages: list[tuple[str, str, str]]
) -> None:
    journey = named(journeys, f"The CI runs a feature job in {stack}, as the {pipeline} pipeline's build role")
    build = role(TOOLING, f"mlops-tooling-build-{pipeline}")
    runs_as = [step for step in journey.steps if isinstance(step, RunsAs)]
    assert [(s.pipeline, s.stage, s.project) for s in runs_as] == stages
    assert {s.role for s in runs_as} == {build}
    calls = [step for step in journey.steps if isinstance(step, Call)]
    assert (calls[0].principal, calls[0].action, calls[0].resource) == (
        "codebuild.amazonaws.com",
        "sts:AssumeRole",
        build,
    )
    assumed = [c.resource for c in calls if c.action == "sts:AssumeRole" and c.principal == build]
    assert assumed == [RUNNERS[stack]]
    # Nothing in the journey is done as the CI role.
    assert not [c for c in calls if c.principal.endswith("/mlops-tooling-ci")]


def test_each_teams_builds_are_refused_every_other_account(access: AccessCheck) -> None:
    expected = {
        (f"mlops-tooling-build-{team.name}", runner)
        for team in THREE_TEAMS
        for stack, runner in RUNNERS.items()
        if stack != team.stack
    }
    expected |= {("mlops-tooling-build-production", runner) for runner in TEAM_RUNNERS.values()}
    expected |= {
        (name, runner) for name in ("mlops-tooling-ci", "mlops-tooling-build-checks") for runner in RUNNERS.values()
    }
    assert refused_assumptions(access) == expected
    assert len(expected) == 3 * 4 + 3 + 5 + 5
    assert access.breaches == []
    assumptions = {
        o.journey.name
        for o in access.refusals
        if isinstance(o.step, Refused) and isinstance(o.step.step, Call) and o.step.step.action == "sts:AssumeRole"
    }
    assert assumptions == {
        "Each team's builds reach only the team's account",
        "The checks build reads the source and reaches no account",
        "The auditors read no data, change nothing, and only the audit role assumes them",
    }


# --- a widened trust is caught --------------------------------------------------------------------------


def _edit(
    results: list[StackResult], stack: str, matches: Callable[[ResourceRecord], bool], key: str, change: Any
) -> list[StackResult]:
    """The stacks with one resource's JSON policy property (inputs and outputs) changed by ``change``."""
    changed = []
    hits = 0
    for result in results:
        if result.name != stack:
            changed.append(result)
            continue
        records = []
        for record in result.resources:
            if matches(record):
                hits += 1
                inputs, outputs = copy.deepcopy(record.inputs), copy.deepcopy(record.outputs)
                for props in (inputs, outputs):
                    if key in props:
                        document = json.loads(props[key])
                        change(document)
                        props[key] = json.dumps(document)
                record = replace(record, inputs=inputs, outputs=outputs)
            records.append(record)
        changed.append(replace(result, resources=records))
    assert hits == 1, (stack, hits)
    return changed


FRAUD_BUILD = role(TOOLING, "mlops-tooling-build-fraud")
PRICING_RUNNER = TEAM_RUNNERS["datasci-pricing"]


def _trust_fraud_in_pricing(results: list[StackResult]) -> list[StackResult]:
    def widen(document: dict[str, Any]) -> None:
        (statement,) = document["Statement"]
        statement["Principal"]["AWS"] = [statement["Principal"]["AWS"], FRAUD_BUILD]

    return _edit(
        results,
        "datasci-pricing",
        lambda r: r.type == "aws:iam/role:Role" and r.inputs.get("name") == "mlops-datasci-feature-runner",
        "assumeRolePolicy",
        widen,
    )


def _let_fraud_assume_pricing(results: list[StackResult]) -> list[StackResult]:
    def widen(document: dict[str, Any]) -> None:
        (statement,) = [s for s in document["Statement"] if s.get("Sid") == "AssumeTargetRoles"]
        statement["Resource"] = [*statement["Resource"], PRICING_RUNNER]

    return _edit(
        results,
        "tooling",
        lambda r: r.type == "aws:iam/rolePolicy:RolePolicy" and r.inputs.get("role") == "mlops-tooling-build-fraud",
        "policy",
        widen,
    )


def _isolation_breaches(results: list[StackResult]) -> list[str]:
    return [v.message for v in check(results).violations() if v.policy == "journey-step-refused"]


def test_a_fraud_build_that_could_assume_the_pricing_runner_fails_the_check(results: list[StackResult]) -> None:
    # The pricing runner trusting the fraud build role is not enough: the build role's own policy
    # names its team's runner alone, and AWS needs both sides across accounts.
    assert _isolation_breaches(_trust_fraud_in_pricing(results)) == []
    assert _isolation_breaches(_let_fraud_assume_pricing(results)) == []
    # Both sides widened: the fraud team's builds reach the pricing account, and the check says so.
    breaches = _isolation_breaches(_let_fraud_assume_pricing(_trust_fraud_in_pricing(results)))
    assert breaches == [
        "Each team's builds reach only the team's account: must be refused: mlops-tooling-build-fraud "
        f"sts:AssumeRole {PRICING_RUNNER}: allowed: allowed by the identity policy and the trust policy"
    ]


def test_a_pipeline_whose_project_runs_as_another_teams_build_role_fails_the_check(results: list[StackResult]) -> None:
    pricing = role(TOOLING, "mlops-tooling-build-pricing")
    changed = []
    for result in results:
        records = [
            replace(
                record,
                inputs={**record.inputs, "serviceRole": pricing},
                outputs={**record.outputs, "serviceRole": pricing},
            )
            if record.type == "aws:codebuild/project:Project"
            and record.inputs.get("name") == "mlops-tooling-feature-job-fraud"
            else record
            for record in result.resources
        ]
        changed.append(replace(result, resources=records))
    violations = [v.message for v in check(changed).violations()]
    assert violations == [
        "The CI runs a feature job in datasci-fraud, as the fraud pipeline's build role: tooling: "
        "mlops-tooling-feature-branches-fraud stage FeatureJob builds with mlops-tooling-feature-job-fraud as "
        "mlops-tooling-build-fraud: the CodeBuild project mlops-tooling-feature-job-fraud runs as "
        f"{pricing}, not {FRAUD_BUILD}"
    ]


def test_a_role_name_every_team_has_needs_its_arn(model: AccessModel) -> None:
    with pytest.raises(AccessError, match=r"'mlops-datasci-studio-execution' is a role of several accounts"):
        question(model, "mlops-datasci-studio-execution", "s3:GetObject", "*", {})
    # By ARN: the fraud build role reaches the fraud runner, and not the pricing one.
    assert not decide(model, question(model, FRAUD_BUILD, "sts:AssumeRole", PRICING_RUNNER, {})).allowed
    assert decide(model, question(model, FRAUD_BUILD, "sts:AssumeRole", TEAM_RUNNERS["datasci-fraud"], {})).allowed
