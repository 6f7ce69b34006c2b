"""The package mirror and the snapshots in the access model: every role that runs code installs its
packages from the tooling account's CodeArtifact mirror, through its VPC's two CodeArtifact endpoints,
and reads nothing else of the domain; each team makes snapshots of curated data with Athena. Each
policy a read rests on is needed: without the repository's policy, or the endpoint's, it is denied."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from offline.access.check import AccessCheck, check
from offline.access.documents import policy_documents
from offline.access.journeys import Call, Journey, Lake, Location, Refused, Step, decide, platform_journeys, run
from offline.access.model import AccessModel, Verdict
from offline.access.service_authorization import check_document
from offline.engine import Preview, preview
from offline.mocks import ResourceRecord
from offline.synth import StackResult
from tests.scenarios import PREPROD_ACCOUNT, THREE_TEAMS

TOOLING = "111111111111"
DATASCI = "222222222222"
DATAMGMT = "333333333333"
MIRROR = f"arn:aws:codeartifact:eu-west-1:{TOOLING}"
DOMAIN = f"{MIRROR}:domain/mlops-packages"
PLATFORM = f"{MIRROR}:repository/mlops-packages/platform"
PYPI_STORE = f"{MIRROR}:repository/mlops-packages/pypi-store"
FOR_CODEARTIFACT = {"sts:AWSServiceName": "codeartifact.amazonaws.com"}
#: What pip does, in order, for each role: the token, CodeArtifact's bearer token, the endpoint, the packages.
PIP = [
    ("codeartifact:GetAuthorizationToken", DOMAIN),
    ("sts:GetServiceBearerToken", "*"),
    ("codeartifact:GetRepositoryEndpoint", PLATFORM),
    ("codeartifact:ReadFromRepository", PLATFORM),
]


def role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/mlops/{name}"


STUDIO = role(DATASCI, "mlops-datasci-studio-execution")
READONLY = role(DATAMGMT, "mlops-datamgmt-studio-readonly")


def journey_named(journeys: list[Journey], name: str) -> Journey:
    (found,) = [journey for journey in journeys if journey.name == name]
    return found


def calls(journey: Journey) -> list[Call]:
    return [step for step in journey.steps if isinstance(step, Call)]


def refused(journey: Journey) -> list[Call]:
    return [step.step for step in journey.steps if isinstance(step, Refused) and isinstance(step.step, Call)]


def verdicts(model: AccessModel, journey: Journey) -> list[tuple[Step, Verdict]]:
    return [(step, decide(model, step)) for step in journey.steps]


def pip_steps(principal: str, account: str) -> list[tuple[str, str, str]]:
    """(principal, action, resource) of one role's pip install, then of the two it must be refused."""
    return [
        *((principal, action, resource) for action, resource in PIP),
        (principal, "codeartifact:ReadFromRepository", PYPI_STORE),
        (
            principal,
            "codeartifact:GetAuthorizationToken",
            f"arn:aws:codeartifact:eu-west-1:{account}:domain/mlops-packages",
        ),
    ]


def shape(journey: Journey) -> list[tuple[str, str, str]]:
    return [(c.principal, c.action, c.resource) for c in (*calls(journey), *refused(journey))]


# --- the mocks: ARNs as AWS makes them -------------------------------------------------------------------


def records(results: list[StackResult], stack: str, token: str) -> list[ResourceRecord]:
    (found,) = [result for result in results if result.name == stack]
    return [record for record in found.resources if record.type == token]


def test_codeartifact_and_studio_lifecycle_arns_are_the_ones_aws_makes(results: list[StackResult]) -> None:
    (domain,) = records(results, "tooling", "aws:codeartifact/domain:Domain")
    assert (domain.id, domain.outputs["arn"], domain.outputs["owner"]) == (DOMAIN, DOMAIN, TOOLING)
    repositories = {
        r.outputs["repository"]: r for r in records(results, "tooling", "aws:codeartifact/repository:Repository")
    }
    assert {name: r.outputs["arn"] for name, r in repositories.items()} == {
        "platform": PLATFORM,
        "pypi-store": PYPI_STORE,
    }
    assert {r.outputs["domainOwner"] for r in repositories.values()} == {TOOLING}
    (domain_policy,) = records(results, "tooling", "aws:codeartifact/domainPermissions:DomainPermissions")
    (repository_policy,) = records(
        results, "tooling", "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy"
    )
    assert (domain_policy.outputs["resourceArn"], repository_policy.outputs["resourceArn"]) == (DOMAIN, PLATFORM)
    for stack, account in (("datasci", DATASCI), ("datamgmt", DATAMGMT)):
        configs = records(results, stack, "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig")
        assert configs
        for config in configs:
            name = config.inputs["studioLifecycleConfigName"]
            assert config.id == name
            assert config.outputs["arn"] == f"arn:aws:sagemaker:eu-west-1:{account}:studio-lifecycle-config/{name}"
    # The roles' policies name what was built, not something like it.
    (studio_policy,) = [
        r
        for r in records(results, "datasci", "aws:iam/rolePolicy:RolePolicy")
        if r.inputs["role"] == "mlops-datasci-studio-execution" and "codeartifact" in r.inputs["policy"]
    ]
    resources = {s["Sid"]: s["Resource"] for s in json.loads(studio_policy.inputs["policy"])["Statement"] if "Sid" in s}
    assert (resources["PackageMirrorToken"], resources["PackageMirrorRead"]) == (DOMAIN, PLATFORM)


# --- the journeys of the shipped project --------------------------------------------------------------


def test_every_role_that_runs_code_installs_from_the_mirror_and_nothing_else(
    model: AccessModel, access: AccessCheck
) -> None:
    journeys = platform_journeys(model)
    expected = {
        "pip install from Studio in datasci": pip_steps(STUDIO, DATASCI),
        "pip install from the read-only Studio in datamgmt": pip_steps(READONLY, DATAMGMT),
        # The team's jobs run as its Studio execution role: only the training role is new here.
        "Jobs and training install their packages from the mirror in datasci": pip_steps(
            role(DATASCI, "mlops-datasci-training"), DATASCI
        ),
        "Jobs and training install their packages from the mirror in datamgmt": [
            *pip_steps(role(DATAMGMT, "mlops-datamgmt-job-execution"), DATAMGMT),
            *pip_steps(role(DATAMGMT, "mlops-datamgmt-training"), DATAMGMT),
        ],
    }
    for name, steps in expected.items():
        journey = journey_named(journeys, name)
        assert sorted(shape(journey)) == sorted(steps), name
        for step, verdict in verdicts(model, journey):
            assert verdict.allowed != isinstance(step, Refused), (name, str(step), verdict.reason)
    # Every step from the VPC: the token, the bearer token and the endpoint through codeartifact.api,
    # the packages through codeartifact.repositories.
    for journey in (journey_named(journeys, name) for name in expected):
        for call in calls(journey):
            assert call.origin in ("datasci", "datamgmt") and call.group == "studio-sg"
            (endpoint,) = [e for e in decide(model, call).evidence if e.kind == "endpoint"]
            suffix = "repositories" if call.action == "codeartifact:ReadFromRepository" else "api"
            assert endpoint.detail.endswith(f"-network-codeartifact-{suffix}"), (str(call), endpoint)
            if call.action == "sts:GetServiceBearerToken":
                assert call.context == FOR_CODEARTIFACT
    names = {o.journey.name for o in access.outcomes}
    assert set(expected) <= names
    assert not [o for o in access.outcomes if o.journey.name in expected and not o.expected]


def test_a_read_needs_the_callers_policy_the_repositorys_and_the_endpoints(model: AccessModel) -> None:
    verdict = decide(model, Call(STUDIO, "codeartifact:ReadFromRepository", PLATFORM, origin="datasci"))
    assert verdict.allowed
    assert verdict.reason.endswith("allowed by the identity policy and the resource policy through the VPC endpoint")
    where = {(e.where, e.detail) for e in verdict.evidence if e.kind == "statement"}
    assert where == {
        (
            "datasci: role mlops-datasci-studio-execution, inline policy datasci-studio-execution-policy",
            "PackageMirrorRead",
        ),
        ("tooling: CodeArtifact repository policy tooling-packages-platform-policy", "ReadersRead"),
        ("datasci: VPC endpoint policy datasci-network-codeartifact-repositories", "ReadThePackageMirror"),
    }
    token = decide(model, Call(STUDIO, "codeartifact:GetAuthorizationToken", DOMAIN, origin="datasci"))
    assert ("tooling: CodeArtifact domain policy tooling-packages-domain-policy", "ReadersGetTokens") in {
        (e.where, e.detail) for e in token.evidence
    }


def test_the_bearer_token_is_codeartifacts_alone_as_aws_checks_it(model: AccessModel) -> None:
    """CodeArtifact asks STS for the bearer token on the caller's behalf, naming itself in
    sts:AWSServiceName; the role's policy allows that service alone."""
    allowed = decide(model, Call(STUDIO, "sts:GetServiceBearerToken", "*", FOR_CODEARTIFACT, origin="datasci"))
    assert allowed.allowed, allowed.reason
    for context in ({}, {"sts:AWSServiceName": "s3.amazonaws.com"}):
        verdict = decide(model, Call(STUDIO, "sts:GetServiceBearerToken", "*", context, origin="datasci"))
        assert not verdict.allowed, context
        # Not CodeArtifact's request: it goes through the VPC's STS endpoint, and the role refuses it.
        assert verdict.reason == "implicit deny: no policy allows it"


@pytest.mark.parametrize(
    ("action", "context", "endpoint"),
    [
        ("codeartifact:GetAuthorizationToken", {}, "codeartifact.api"),
        ("codeartifact:GetRepositoryEndpoint", {}, "codeartifact.api"),
        ("codeartifact:ReadFromRepository", {}, "codeartifact.repositories"),
        ("sts:GetServiceBearerToken", FOR_CODEARTIFACT, "codeartifact.api"),
        ("sts:GetServiceBearerToken", {"STS:awsservicename": "codeartifact.amazonaws.com"}, "codeartifact.api"),
        ("sts:GetServiceBearerToken", {}, "sts"),
        ("sts:AssumeRole", FOR_CODEARTIFACT, "sts"),
    ],
)
def test_codeartifact_calls_take_the_endpoint_the_docs_name(
    model: AccessModel, action: str, context: dict[str, str], endpoint: str
) -> None:
    found = model.endpoint_for("datasci", action, context)
    assert found is not None
    assert found.inputs["serviceName"] == f"com.amazonaws.eu-west-1.{endpoint}"


# --- each policy is needed -----------------------------------------------------------------------------


def edited(
    results: list[StackResult], stack: str, name: str, key: str, edit: Callable[[list[dict[str, Any]]], None]
) -> list[StackResult]:
    """The stacks with the statements of one resource's JSON policy (``key``, inputs and outputs) edited."""
    changed, hits = [], 0
    for result in results:
        found = []
        for record in result.resources:
            if result.name == stack and record.name == name:
                hits += 1
                inputs, outputs = copy.deepcopy(record.inputs), copy.deepcopy(record.outputs)
                for props in (inputs, outputs):
                    if key in props:
                        document = json.loads(props[key])
                        edit(document["Statement"])
                        props[key] = json.dumps(document)
                record = replace(record, inputs=inputs, outputs=outputs)
            found.append(record)
        changed.append(replace(result, resources=found))
    assert hits == 1, (stack, name, hits)
    return changed


def without(sid: str) -> Callable[[list[dict[str, Any]]], None]:
    def drop(statements: list[dict[str, Any]]) -> None:
        kept = [s for s in statements if s.get("Sid") != sid]
        assert len(kept) == len(statements) - 1, sid
        statements[:] = kept

    return drop


def pip_outcomes(results: list[StackResult]) -> dict[tuple[str, str, str], Verdict]:
    """(principal, action, resource) of every needed step of the pip journeys, to its verdict."""
    model = AccessModel(results)
    journeys = [j for j in platform_journeys(model) if "pip install" in j.name or "install their packages" in j.name]
    return {(c.principal, c.action, c.resource): decide(model, c) for j in journeys for c in calls(j)}


def test_without_the_repository_policys_statement_every_read_is_denied(results: list[StackResult]) -> None:
    outcomes = pip_outcomes(
        edited(results, "tooling", "tooling-packages-platform-policy", "policyDocument", without("ReadersRead"))
    )
    reads = {key: v for key, v in outcomes.items() if key[2] == PLATFORM}
    assert len(reads) == 2 * 5
    for key, verdict in reads.items():
        assert not verdict.allowed, key
        assert verdict.reason == "implicit deny: no resource policy allows it (cross-account calls need both sides)"
    # The token needs the domain's policy, not the repository's.
    assert all(v.allowed for key, v in outcomes.items() if key[2] != PLATFORM)


def test_without_the_domain_policys_statement_no_token(results: list[StackResult]) -> None:
    outcomes = pip_outcomes(
        edited(results, "tooling", "tooling-packages-domain-policy", "policyDocument", without("ReadersGetTokens"))
    )
    assert {key[1] for key, v in outcomes.items() if not v.allowed} == {"codeartifact:GetAuthorizationToken"}
    assert len([v for v in outcomes.values() if not v.allowed]) == 5


def test_without_the_endpoints_statement_the_read_from_that_vpc_is_denied(results: list[StackResult]) -> None:
    outcomes = pip_outcomes(
        edited(
            results, "datasci", "datasci-network-codeartifact-repositories", "policy", without("ReadThePackageMirror")
        )
    )
    denied = {key for key, v in outcomes.items() if not v.allowed}
    assert denied == {
        (principal, "codeartifact:ReadFromRepository", PLATFORM)
        for principal in (STUDIO, role(DATASCI, "mlops-datasci-training"))
    }
    assert {outcomes[key].reason for key in denied} == {"implicit deny: the VPC endpoint policy does not allow it"}
    # Only that VPC's reads: the tokens go through its other endpoint, and data management's VPC has
    # endpoints of its own. Without the other endpoint's bearer token statement, no bearer token.
    bearer = pip_outcomes(
        edited(results, "datasci", "datasci-network-codeartifact-api", "policy", without("CodeArtifactBearerTokens"))
    )
    assert {key for key, v in bearer.items() if not v.allowed} == {
        (principal, "sts:GetServiceBearerToken", "*") for principal in (STUDIO, role(DATASCI, "mlops-datasci-training"))
    }


def test_a_token_for_a_domain_of_the_teams_own_account_needs_the_role_and_the_endpoint_widened(
    results: list[StackResult],
) -> None:
    def widen(sid: str, resource: str) -> Callable[[list[dict[str, Any]]], None]:
        def edit(statements: list[dict[str, Any]]) -> None:
            (statement,) = [s for s in statements if s.get("Sid") == sid]
            statement["Resource"] = resource

        return edit

    def identity(stacks: list[StackResult]) -> list[StackResult]:
        return edited(
            stacks,
            "datasci",
            "datasci-studio-execution-policy",
            "policy",
            widen("PackageMirrorToken", "arn:aws:codeartifact:*:*:domain/*"),
        )

    def endpoint(stacks: list[StackResult]) -> list[StackResult]:
        return edited(
            stacks, "datasci", "datasci-network-codeartifact-api", "policy", widen("ReadThePackageMirror", "*")
        )

    def breaches(stacks: list[StackResult]) -> list[str]:
        return [v.message for v in check(stacks).violations() if v.policy == "journey-step-refused"]

    assert breaches(identity(results)) == []
    assert breaches(endpoint(results)) == []
    own = f"arn:aws:codeartifact:eu-west-1:{DATASCI}:domain/mlops-packages"
    (found,) = breaches(identity(endpoint(results)))
    assert found.startswith(
        "pip install from Studio in datasci: must be refused: mlops-datasci-studio-execution "
        f"codeartifact:GetAuthorizationToken {own} from the datasci VPC: allowed: "
    )
    assert found.endswith("allowed by the identity policy through the VPC endpoint")


def test_the_service_authorization_check_reads_the_codeartifact_policies(results: list[StackResult]) -> None:
    (tooling,) = [r for r in results if r.name == "tooling"]
    documents = {d.kind: d for d in policy_documents("tooling", tooling.resources) if d.kind.startswith("package-")}
    assert set(documents) == {"package-domain", "package-repository"}
    assert [f for d in documents.values() for f in check_document(d)] == []
    misspelt = copy.deepcopy(documents["package-repository"].document)
    misspelt["Statement"][0]["Action"] = ["codeartifact:ReadFromRepo"]
    findings = check_document(replace(documents["package-repository"], document=misspelt))
    assert [f.problem for f in findings] == [
        "action 'codeartifact:ReadFromRepo' does not exist in codeartifact "
        "(did you mean codeartifact:ReadFromRepository?)"
    ]


# --- snapshots ---------------------------------------------------------------------------------------------


def test_a_snapshot_is_an_athena_ctas_through_the_link_into_the_snapshot_database(model: AccessModel) -> None:
    journey = journey_named(platform_journeys(model), "Make a snapshot of curated data in datasci")
    workgroup = f"arn:aws:athena:eu-west-1:{DATASCI}:workgroup/mlops-datasci-snapshots"
    bucket = f"mlops-datasci-snapshots-{DATASCI}-eu-west-1"
    table = f"arn:aws:glue:eu-west-1:{DATASCI}:table/mlops_snapshots/churn_labels_20261130t081500z"
    # The workgroup enforces its result location: Athena writes the CTAS's files under it.
    files = f"arn:aws:s3:::{bucket}/athena-results/tables/abc123/part-0.parquet"
    assert [(c.action, c.resource, c.origin) for c in calls(journey)] == [
        ("athena:GetWorkGroup", workgroup, "datasci"),
        ("athena:StartQueryExecution", workgroup, "datasci"),
        ("glue:GetDatabase", f"arn:aws:glue:eu-west-1:{DATASCI}:database/mlops_curated_link", ""),
        ("glue:GetTable", f"arn:aws:glue:eu-west-1:{DATAMGMT}:table/mlops_curated/churn_labels", ""),
        ("kms:Decrypt", str(model.stack("datamgmt").outputs["dataKeyArn"]), ""),
        ("lakeformation:GetDataAccess", "*", ""),
        ("glue:CreateTable", table, ""),
        ("s3:PutObject", files, ""),
        ("kms:GenerateDataKey", str(model.stack("datasci").outputs["dataKeyArn"]), ""),
        ("s3:ListBucketMultipartUploads", f"arn:aws:s3:::{bucket}", ""),
        ("athena:GetQueryExecution", workgroup, "datasci"),
        ("glue:GetTable", table, "datasci"),
        ("glue:UpdateTable", table, "datasci"),
        ("s3:GetObject", files, ""),
        ("kms:Decrypt", str(model.stack("datasci").outputs["dataKeyArn"]), ""),
    ]
    # What Athena does, it does as the caller, and says so.
    assert {c.principal for c in calls(journey)} == {STUDIO}
    assert [c.action for c in calls(journey) if c.context.get("aws:CalledVia") == ["athena.amazonaws.com"]] == [
        "glue:GetDatabase",
        "glue:GetTable",
        "lakeformation:GetDataAccess",
        "glue:CreateTable",
        "s3:PutObject",
        "kms:GenerateDataKey",
        "s3:ListBucketMultipartUploads",
        "s3:GetObject",
        "kms:Decrypt",
    ]
    lake = [(s.permission, s.database, s.table) for s in journey.steps if isinstance(s, Lake)]
    assert lake == [
        ("SELECT", "mlops_curated_link", "churn_labels"),
        ("CREATE_TABLE", "mlops_snapshots", None),
        ("ALTER", "mlops_snapshots", "churn_labels_20261130t081500z"),
        ("SELECT", "mlops_snapshots", "churn_labels_20261130t081500z"),
    ]
    assert [s.location for s in journey.steps if isinstance(s, Location)] == [f"arn:aws:s3:::{bucket}"]
    decided = verdicts(model, journey)
    assert [str(step) for step, verdict in decided if not verdict.allowed] == []
    grants = {e.detail for _, verdict in decided for e in verdict.evidence if e.kind == "grant"}
    assert {"datasci-snapshots-creator", "datasci-snapshots-tables"} <= grants


def test_a_workgroup_that_does_not_enforce_its_location_gets_the_files_under_tables(
    results: list[StackResult],
) -> None:
    changed = []
    for result in results:
        found = []
        for record in result.resources:
            if (
                result.name == "datasci"
                and record.type == "aws:athena/workgroup:Workgroup"
                and record.name == "datasci-snapshots"
            ):
                configuration = {**record.inputs["configuration"], "enforceWorkgroupConfiguration": False}
                record = replace(
                    record,
                    inputs={**record.inputs, "configuration": configuration},
                    outputs={**record.outputs, "configuration": configuration},
                )
            found.append(record)
        changed.append(replace(result, resources=found))
    journey = journey_named(platform_journeys(AccessModel(changed)), "Make a snapshot of curated data in datasci")
    (put,) = [c for c in calls(journey) if c.action == "s3:PutObject"]
    assert put.resource == (
        f"arn:aws:s3:::mlops-datasci-snapshots-{DATASCI}-eu-west-1/tables/churn_labels_20261130t081500z/part-0.parquet"
    )


# --- three teams and pre-production ------------------------------------------------------------------------


def test_each_team_installs_packages_and_makes_snapshots_in_its_own_account(teams_platform: Preview) -> None:
    access = teams_platform.access
    assert access is not None
    journeys = list({id(o.journey): o.journey for o in access.outcomes}.values())
    for team in THREE_TEAMS:
        studio = role(team.account_id, "mlops-datasci-studio-execution")
        pip = journey_named(journeys, f"pip install from Studio in {team.stack}")
        assert sorted(shape(pip)) == sorted(pip_steps(studio, team.account_id))
        jobs = journey_named(journeys, f"Jobs and training install their packages from the mirror in {team.stack}")
        assert sorted(shape(jobs)) == sorted(
            pip_steps(role(team.account_id, "mlops-datasci-training"), team.account_id)
        )
        snapshot = journey_named(journeys, f"Make a snapshot of curated data in {team.stack}")
        assert {c.principal for c in calls(snapshot)} == {studio}
        assert [c.resource.split(":")[4] for c in calls(snapshot) if c.resource.startswith("arn:aws:glue")] == [
            team.account_id,
            DATAMGMT,
            team.account_id,
            team.account_id,
            team.account_id,
        ]
    preprod = journey_named(journeys, "Jobs and training install their packages from the mirror in preprod")
    assert sorted(shape(preprod)) == sorted(
        [
            *pip_steps(role(PREPROD_ACCOUNT, "mlops-preprod-job-execution"), PREPROD_ACCOUNT),
            *pip_steps(role(PREPROD_ACCOUNT, "mlops-preprod-training"), PREPROD_ACCOUNT),
        ]
    )
    mirror = [o for o in access.outcomes if "install" in o.journey.name or o.journey.name.startswith("Make a snapshot")]
    assert [f"{o.journey.name}: {o.step}: {o.verdict.reason}" for o in mirror if not o.expected] == []
    # Three Studios, the read-only Studio, three teams' training, pre-production's and data
    # management's job and training roles: eleven roles, each refused two reads.
    assert len([o for o in mirror if o.refusal]) == 2 * 11
    assert len([o for o in mirror if o.journey.name.startswith("Make a snapshot")]) == 3 * 20


def test_without_a_mirror_nobody_installs_from_one(project_copy: Path) -> None:
    project = project_copy / "Pulumi.yaml"
    project.write_text(project.read_text().replace("    default: codeartifact\n", "    default: none\n"))
    result = preview(project_copy, policies=False)
    assert result.access is not None
    assert not [o for o in result.access.outcomes if "install" in o.journey.name]
    assert result.access.violations() == []
    # The snapshots do not depend on the mirror.
    assert [o.journey.name for o in run(AccessModel([s.result for s in result.stacks])) if "snapshot" in o.journey.name]
