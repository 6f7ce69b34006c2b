"""The access model on the program's own stacks: every journey step is allowed, for the reasons the
program means, every step the platform must refuse is refused, and each statement, grant, tag
assignment, registration, security group rule and build project a step relies on is needed:
removing it makes the step fail."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import replace

import pytest

from offline.access.check import AccessCheck, render, summary
from offline.access.journeys import (
    Call,
    Connect,
    Journey,
    Lake,
    Location,
    Outcome,
    Refused,
    RunsAs,
    decide,
    platform_journeys,
    question,
)
from offline.access.model import AccessError, AccessModel, Evidence, Verdict
from offline.mocks import ResourceRecord
from offline.synth import StackResult
from tests.conftest import run_engine

#: Every actor the workflow has, by what its journeys say about it.
ACTORS = (
    "Studio execution role",
    "read-only Studio role",
    "CI role",
    "build role",
    "runner role",
    "job execution role",
    "training role",
    "feature-store role",
    "lake data-access role",
    "data engineering role",
    "warehouse role",
    "VPC Flow Logs",
    "EventBridge",
)


def test_every_journey_step_is_allowed(access: AccessCheck) -> None:
    denied = [f"{o.journey.name}: {o.step}: {o.verdict.reason}" for o in access.denied]
    assert not denied, "\n".join(denied)
    assert len(access.outcomes) >= 100


#: The journey of what the nightly audit's auditor roles must be refused (tested on its own below).
AUDITORS = "The auditors read no data"


def refused_calls(access: AccessCheck, auditors: bool = False) -> list[Call]:
    """The calls the platform must refuse (every refusal is one): the auditors' with ``auditors``,
    else every other."""
    calls = []
    for outcome in access.refusals:
        assert isinstance(outcome.step, Refused) and isinstance(outcome.step.step, Call), outcome.step
        if outcome.journey.name.startswith(AUDITORS) == auditors:
            calls.append(outcome.step.step)
    return calls


def refused_assumptions(access: AccessCheck) -> set[tuple[str, str]]:
    """(the role's name, the role ARN it must not assume) of each AssumeRole the platform must refuse,
    the auditors' journey aside."""
    return {
        (call.principal.rsplit("/", 1)[-1], call.resource)
        for call in refused_calls(access)
        if call.action == "sts:AssumeRole"
    }


def test_every_step_the_platform_must_refuse_is_refused(access: AccessCheck) -> None:
    allowed = [f"{o.journey.name}: {o.step}: {o.verdict.reason}" for o in access.breaches]
    assert not allowed, "\n".join(allowed)
    # One team: its build role not into data management, the production build role not into the
    # team's account, the CI role and the checks build role into neither.
    runner = "arn:aws:iam::222222222222:role/mlops/mlops-datasci-feature-runner"
    deployer = "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-feature-deployer"
    assert refused_assumptions(access) == {
        ("mlops-tooling-build-analytics", deployer),
        ("mlops-tooling-build-production", runner),
        ("mlops-tooling-ci", runner),
        ("mlops-tooling-ci", deployer),
        ("mlops-tooling-build-checks", runner),
        ("mlops-tooling-build-checks", deployer),
    }
    # Besides, each role that installs packages reads no repository of the mirror's domain but
    # its own, and gets no token of a domain of its own account: two refusals for each of five roles.
    others = [call.action for call in refused_calls(access) if call.action != "sts:AssumeRole"]
    assert sorted(others) == sorted(["codeartifact:ReadFromRepository", "codeartifact:GetAuthorizationToken"] * 5)
    assert "every step allowed, and the 34 steps it must refuse refused" in summary(access)


def test_the_auditors_read_no_data_change_nothing_and_only_the_audit_role_assumes_them(access: AccessCheck) -> None:
    """Per target account: no object or key read, no bucket policy, Lake Formation setting or role
    policy written, no build, runner or CI role assuming its auditor, and no runner for the audit role."""
    refused = refused_calls(access, auditors=True)
    auditors = {
        "datasci": "arn:aws:iam::222222222222:role/mlops/mlops-datasci-auditor",
        "datamgmt": "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-auditor",
    }
    for auditor in auditors.values():
        assert sorted(c.action for c in refused if c.principal == auditor) == [
            "iam:PutRolePolicy",
            "kms:Decrypt",
            "lakeformation:PutDataLakeSettings",
            "s3:GetObject",
            "s3:PutBucketPolicy",
        ]
        assumers = {c.principal for c in refused if c.resource == auditor and c.action == "sts:AssumeRole"}
        assert {principal.rsplit("/", 1)[-1] for principal in assumers} == {
            "mlops-tooling-ci",
            "mlops-datasci-feature-runner" if "datasci" in auditor else "mlops-datamgmt-feature-deployer",
            "mlops-tooling-build-analytics" if "datasci" in auditor else "mlops-tooling-build-production",
        }
    assert {c.resource.rsplit("/", 1)[-1] for c in refused if c.principal.endswith("/mlops-tooling-audit")} == {
        "mlops-datasci-feature-runner",
        "mlops-datamgmt-feature-deployer",
    }
    assert access.breaches == []


def test_a_refusal_allowed_is_a_violation_and_a_refusal_refused_is_none(access: AccessCheck) -> None:
    (refusal, *_) = access.refusals
    journey = Journey("isolation", "someone", [refusal.step])
    allowed = Outcome(journey, refusal.step, Verdict(True, "allowed by the identity policy and the trust policy"))
    breached = AccessCheck([allowed], [], [])
    assert (breached.denied, breached.breaches) == ([], [allowed])
    (violation,) = breached.violations()
    assert (violation.pack, violation.policy, violation.level) == ("access-model", "journey-step-refused", "mandatory")
    assert violation.message.startswith("isolation: must be refused: mlops-tooling-")
    assert "1 of the 1 steps it must refuse allowed" in summary(breached)
    assert "VIOLATION: allowed, and the platform must refuse it" in render(breached)
    assert AccessCheck([refusal], [], []).violations() == []


def test_the_journeys_cover_every_actor(model: AccessModel) -> None:
    actors = " ".join(journey.actor for journey in platform_journeys(model))
    assert [actor for actor in ACTORS if actor not in actors] == []


def test_every_step_kind_is_exercised(model: AccessModel) -> None:
    kinds = {type(step) for journey in platform_journeys(model) for step in journey.steps}
    assert kinds == {Call, Lake, Location, Connect, RunsAs, Refused}
    assert any(isinstance(s, Call) and s.origin for j in platform_journeys(model) for s in j.steps)


@pytest.mark.parametrize(
    ("stack", "pipeline", "runner"),
    [
        ("datasci", "analytics", "arn:aws:iam::222222222222:role/mlops/mlops-datasci-feature-runner"),
        ("datamgmt", "production", "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-feature-deployer"),
    ],
)
def test_the_ci_runs_feature_jobs_as_each_pipelines_build_role_not_as_the_ci_role(
    model: AccessModel, stack: str, pipeline: str, runner: str
) -> None:
    (journey,) = [
        j
        for j in platform_journeys(model)
        if j.name == f"The CI runs a feature job in {stack}, as the {pipeline} pipeline's build role"
    ]
    build = f"arn:aws:iam::111111111111:role/mlops/mlops-tooling-build-{pipeline}"
    runs_as = [step for step in journey.steps if isinstance(step, RunsAs)]
    assert runs_as and {step.role for step in runs_as} == {build}
    calls = [step for step in journey.steps if isinstance(step, Call)]
    assert calls[0] == Call("codebuild.amazonaws.com", "sts:AssumeRole", build, {"aws:SourceAccount": "111111111111"})
    assert [c.resource for c in calls if c.action == "sts:AssumeRole" and c.principal == build] == [runner]
    assert not [c for c in calls if c.principal.endswith("/mlops-tooling-ci")]


def test_every_pipelines_checks_run_as_the_checks_build_role(model: AccessModel) -> None:
    (journey,) = [j for j in platform_journeys(model) if j.name.startswith("The checks build")]
    runs_as = [(s.pipeline, s.stage, s.project, s.role) for s in journey.steps if isinstance(s, RunsAs)]
    checks = "arn:aws:iam::111111111111:role/mlops/mlops-tooling-build-checks"
    assert sorted(runs_as) == [
        ("mlops-tooling-feature-branches", "Checks", "mlops-tooling-checks", checks),
        ("mlops-tooling-production", "Checks", "mlops-tooling-checks", checks),
    ]


def test_allowed_steps_name_what_allowed_them(access: AccessCheck) -> None:
    for outcome in access.outcomes:
        if isinstance(outcome.step, Location) and "not a registered location" in outcome.verdict.reason:
            continue
        if outcome.refusal:
            continue
        assert outcome.verdict.evidence, f"{outcome.step}: allowed with no evidence"


# --- the model refuses what AWS would refuse ---------------------------------------------------------


def test_the_model_refuses_what_the_platform_forbids(model: AccessModel) -> None:
    studio = "mlops-datasci-studio-execution"
    curated = model.stack("datamgmt").outputs["lakeBucketNames"]["curated"]
    refusals = {
        # Curated data is for Lake Formation's vended credentials, not for direct reads from data science.
        "direct read of curated data": question(
            model, studio, "s3:GetObject", f"arn:aws:s3:::{curated}/x.csv", {}, origin="datasci"
        ),
        # Sensitive data never reaches data science (no grant matches its tag).
        "raw data": question(model, studio, "lake:SELECT", "333333333333:mlops_raw.events", {}),
        # Approving a model version stays with the tooling account.
        "approving a version": question(
            model,
            "mlops-datamgmt-training",
            "sagemaker:UpdateModelPackage",
            "arn:aws:sagemaker:eu-west-1:111111111111:model-package/mlops-feature-models/1",
            {},
        ),
        # A job outside the VPC or without the key is refused by the execution role's conditions.
        "a job without the key": question(
            model,
            studio,
            "sagemaker:CreateProcessingJob",
            "arn:aws:sagemaker:eu-west-1:222222222222:processing-job/j",
            {"sagemaker:VpcSubnets": ["subnet-1"]},
        ),
        # EventBridge of another account may not use the tooling key.
        "EventBridge of another account": question(
            model,
            "events.amazonaws.com",
            "kms:GenerateDataKey",
            model.stack("tooling").outputs["artifactKeyArn"],
            {"aws:SourceAccount": "999999999999"},
        ),
    }
    allowed = [name for name, step in refusals.items() if decide(model, step).allowed]
    assert allowed == []


def test_bad_questions_are_refused_naming_the_input(model: AccessModel) -> None:
    cases = [
        (("alice", "s3:GetObject", "arn:aws:s3:::b/k", ""), "principal 'alice' is no role of the stacks"),
        (("mlops-tooling-ci", "s3:GetObjekt", "arn:aws:s3:::b/k", ""), "'s3:GetObjekt' is no IAM action"),
        (("mlops-tooling-ci", "s3:GetObject", "bucket/key", ""), "'bucket/key' is not an ARN"),
        (("mlops-tooling-ci", "lake:READ", "1:db", ""), "'lake:READ' is no Lake Formation permission"),
        (("mlops-tooling-ci", "lake:SELECT", "db.table", ""), "expected ACCOUNT:DATABASE"),
        (("mlops-tooling-ci", "s3:GetObject", "*", "prod"), "--origin: 'prod' is not a stack"),
    ]
    for (principal, action, resource, origin), message in cases:
        with pytest.raises(AccessError, match=message.replace("(", r"\(").replace("*", r"\*")):
            question(model, principal, action, resource, {}, origin)


# --- each thing a step relies on is needed -------------------------------------------------------------


def _without(results: Sequence[StackResult], evidence: Evidence) -> list[StackResult]:
    """The stacks with one piece of evidence taken away: a statement out of its document, or a
    resource (grant, tag assignment, registration, rule, endpoint, link) out of its stack."""
    changed = []
    for result in results:
        if result.name != evidence.stack:
            changed.append(result)
            continue
        records: list[ResourceRecord] = []
        for record in result.resources:
            if record.urn != evidence.urn:
                records.append(record)
            elif evidence.kind == "statement":
                records.append(_drop_statement(record, evidence.detail))
        changed.append(replace(result, resources=records))
    return changed


def _drop_statement(record: ResourceRecord, sid: str) -> ResourceRecord:
    inputs, outputs = copy.deepcopy(record.inputs), copy.deepcopy(record.outputs)
    for props in (inputs, outputs):
        for key, value in props.items():
            if isinstance(value, str) and '"Statement"' in value:
                document = json.loads(value)
                statements = document["Statement"]
                kept = [s for index, s in enumerate(statements) if (s.get("Sid") or f"#{index}") != sid]
                assert len(kept) == len(statements) - 1, (record.name, sid)
                props[key] = json.dumps({**document, "Statement": kept})
    return replace(record, inputs=inputs, outputs=outputs)


def _inherited(results: Sequence[StackResult], evidence: Evidence) -> bool:
    """A table's own tags that equal what it would inherit from its database: kept on purpose, so
    the table keeps its classification should its database's change."""
    if evidence.kind != "tag assignment":
        return False
    (stack,) = [r for r in results if r.name == evidence.stack]
    (record,) = [r for r in stack.resources if r.urn == evidence.urn]
    table = record.inputs.get("table")
    if not table:
        return False
    inherited = {
        tag["key"]: tag["value"]
        for r in stack.resources
        if r.type == record.type and r.inputs.get("database", {}).get("name") == table["databaseName"]
        for tag in r.inputs["lfTags"]
    }
    return all(inherited.get(tag["key"]) == tag["value"] for tag in record.inputs["lfTags"])


def test_removing_anything_a_step_relies_on_makes_it_fail(results: list[StackResult], access: AccessCheck) -> None:
    relied: dict[Evidence, list[int]] = {}
    for index, outcome in enumerate(access.outcomes):
        if outcome.refusal:
            continue
        for evidence in outcome.verdict.evidence:
            relied.setdefault(evidence, []).append(index)
    assert len(relied) >= 80
    kinds = {evidence.kind for evidence in relied}
    assert {
        "statement",
        "grant",
        "tag assignment",
        "resource link",
        "egress rule",
        "ingress rule",
        "endpoint",
        "build project",
    } <= kinds
    survivors = []
    for evidence, indexes in relied.items():
        model = AccessModel(_without(results, evidence))
        # Only the steps that relied on it: the others cannot change by its removal.
        if all(decide(model, access.outcomes[i].step).allowed for i in indexes) and not _inherited(results, evidence):
            survivors.append(f"{evidence} ({access.outcomes[indexes[0]].step})")
    assert survivors == [], "still allowed without:\n" + "\n".join(survivors)


# --- the command line -------------------------------------------------------------------------------


def test_access_prints_each_step_with_its_decision() -> None:
    done = run_engine(["access"])
    assert done.returncode == 0, done.stderr
    assert "== Query curated data from datasci through the resource link with Athena" in done.stdout
    assert "  must be refused: mlops-tooling-ci sts:AssumeRole" in done.stdout
    assert "ALLOW: allowed by the identity policy" in done.stdout
    assert "by datamgmt: grant datamgmt-governance-grant-2" in done.stdout
    assert done.stdout.rstrip().endswith("service authorization: every statement valid")


def test_why_explains_one_decision_and_exits_by_it() -> None:
    allowed = run_engine(["why", "mlops-datasci-studio-execution", "lake:SELECT", "222222222222:mlops_curated_link.t"])
    assert allowed.returncode == 0, allowed.stderr
    assert "through the resource link mlops_curated_link" in allowed.stdout
    denied = run_engine(
        [
            "why",
            "mlops-datasci-studio-execution",
            "s3:GetObject",
            "arn:aws:s3:::mlops-datamgmt-curated-333333333333-eu-west-1/x",
            "--origin",
            "datasci",
        ]
    )
    assert denied.returncode == 1
    assert "DENY: explicit deny" in denied.stdout and "DenyObjectAccessOutsideVpcEndpoint" in denied.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["why", "alice", "s3:GetObject", "arn:aws:s3:::b/k"], "error: principal 'alice' is no role of the stacks"),
        (["why", "mlops-tooling-ci", "s3:GetObjekt", "arn:aws:s3:::b/k"], "error: action: 's3:GetObjekt' is no IAM"),
        (["why", "mlops-tooling-ci", "s3:GetObject", "b/k"], "error: 'b/k' is not an ARN"),
        (["why", "mlops-tooling-ci", "s3:GetObject", "*", "--context", "novalue"], "error: --context: 'novalue'"),
    ],
)
def test_bad_input_gets_one_line_and_exit_2(args: list[str], message: str) -> None:
    done = run_engine(args)
    assert done.returncode == 2
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, done.stderr
