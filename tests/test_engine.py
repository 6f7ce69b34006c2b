"""The offline engine itself: exit codes, JSON, stack references, refusal of bad input."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

import pytest

from contracts.project import ProjectError, load_project, stack_config
from offline import EngineError
from offline.analyzer import PackSession, discover_packs
from offline.engine import Preview, preview
from offline.report import to_json, to_text
from tests.conftest import FIXTURES, ROOT, run_engine

NONCOMPLIANT = FIXTURES / "noncompliant"
POLICIES = ROOT / "policies"


@pytest.fixture(scope="module")
def noncompliant() -> Preview:
    return preview(NONCOMPLIANT, policy_dir=POLICIES)


def test_a_noncompliant_program_yields_mandatory_violations_on_its_resources(noncompliant: Preview) -> None:
    found = {(v.policy, v.level, v.urn.rsplit("::", 1)[-1]) for v in noncompliant.mandatory}
    # The fixture breaks these two on purpose; the packs also find what else it leaves out.
    assert {
        ("studio-domain-vpc-only", "mandatory", "open-domain"),
        ("lf-settings-no-iam-allowed-principals", "mandatory", "settings"),
    } <= found


def test_stack_references_resolve_to_earlier_stacks_exports(noncompliant: Preview) -> None:
    upstream, downstream = noncompliant.stacks
    assert downstream.result.outputs["upstreamDomainArn"] == upstream.result.outputs["domainArn"]
    assert upstream.result.outputs["domainArn"].startswith("arn:aws:sagemaker:eu-west-1:111111111111:")


#: What the noncompliant fixture breaks, worked out from its program and the packs' rules, not by
#: running them: its Studio domain is open to the internet, has no customer key, no security groups
#: and no VPC endpoints; its data lake settings give IAM_ALLOWED_PRINCIPALS default permissions and
#: name an administrator outside the allowlist. Its downstream stack only reads a stack reference.
NONCOMPLIANT_MANDATORY = [
    "mlops-lake-formation/lf-settings-no-iam-allowed-principals",
    "mlops-lake-formation/lf-admins-allowlisted",
    "mlops-studio-vpc-only/studio-domain-vpc-only",
    "mlops-studio-vpc-only/studio-domain-kms",
    "mlops-studio-vpc-only/studio-domain-security-groups",
    "mlops-studio-vpc-only/studio-required-vpc-endpoints",
]


def test_cli_exits_1_on_a_mandatory_violation_and_names_it() -> None:
    run = run_engine(["preview", "--project", str(NONCOMPLIANT), "--policies", str(POLICIES)])
    assert run.returncode == 1, run.stderr
    named = re.findall(r"^\s+\[mandatory\] (\S+):", run.stdout, flags=re.MULTILINE)
    assert sorted(named) == sorted(NONCOMPLIANT_MANDATORY), run.stdout
    assert run.stdout.rstrip().endswith(f"; {len(NONCOMPLIANT_MANDATORY)} mandatory violations")


def test_json_document_has_every_field(platform: Preview) -> None:
    document = json.loads(json.dumps(to_json(platform)))
    assert [s["name"] for s in document["stacks"]] == ["tooling", "datamgmt", "datasci"]
    for stack in document["stacks"]:
        assert set(stack) == {"name", "resources", "outputs", "violations"}
        assert stack["resources"]
        for resource in stack["resources"]:
            assert set(resource) == {
                "type",
                "name",
                "urn",
                "id",
                "parent",
                "protect",
                "retainOnDelete",
                "dependencies",
                "propertyDependencies",
                "inputs",
                "outputs",
            }
    bucket = next(r for r in document["stacks"][0]["resources"] if r["type"] == "aws:s3/bucket:Bucket")
    assert bucket["protect"] is True and bucket["id"] == bucket["outputs"]["bucket"]
    assert "mlops:project" in bucket["inputs"]["tags"]  # inputs stay camelCase / as sent


def test_cli_json_for_one_stack_carries_violations() -> None:
    run = run_engine(
        ["preview", "--json", "--project", str(NONCOMPLIANT), "--policies", str(POLICIES), "--stack", "tooling"]
    )
    assert run.returncode == 1
    (stack,) = json.loads(run.stdout)["stacks"]
    assert {v["policy"] for v in stack["violations"]} >= {
        "studio-domain-vpc-only",
        "lf-settings-no-iam-allowed-principals",
    }
    assert all(set(v) == {"pack", "policy", "level", "urn", "message"} for v in stack["violations"])


def test_one_stack_alone_still_resolves_its_references() -> None:
    result = preview(ROOT, ["datasci"], policies=False)
    (only,) = result.stacks
    assert only.result.name == "datasci"
    assert "featureRunnerRoleArn" in only.result.outputs
    assert "1 stacks" in to_text(result)


def assert_one_line_error(run_stderr: str, *fragments: str) -> None:
    lines = run_stderr.strip().splitlines()
    assert len(lines) == 1, run_stderr
    assert "Traceback" not in run_stderr
    for fragment in fragments:
        assert fragment in lines[0]


CORRUPTIONS = [
    ("config:\n  aws:region: [eu-west-1\n", ["Pulumi.datasci.yaml", "line", "expected valid YAML"]),
    ("- just\n- a list\n", ["Pulumi.datasci.yaml", "expected a mapping"]),
    ("config: 42\n", ["Pulumi.datasci.yaml", "expected a mapping"]),
    (
        "config:\n  mlops-feature-platform:availabilityZones: eu-west-1a\n",
        ["availabilityZones", "'eu-west-1a' is a string", "expected a array"],
    ),
    ("config:\n  mlops-feature-platform:subnetPrefixLength: true\n", ["subnetPrefixLength", "expected a integer"]),
    ("config:\n  mlops-feature-platform:vpcCidr: {secure: AAEA}\n", ["encrypted secret"]),
]


@pytest.mark.parametrize(("text", "fragments"), CORRUPTIONS)
def test_a_corrupted_stack_file_exits_2_with_one_line(project_copy: Path, text: str, fragments: list[str]) -> None:
    (project_copy / "Pulumi.datasci.yaml").write_text(text)
    run = run_engine(["preview", "--project", str(project_copy)])
    assert run.returncode == 2
    assert_one_line_error(run.stderr, *fragments)
    assert run.stdout == ""


def test_bad_configuration_exits_2_with_the_programs_one_line(project_copy: Path) -> None:
    stack_file = project_copy / "Pulumi.datamgmt.yaml"
    stack_file.write_text(stack_file.read_text().replace('"333333333333"', '"33333"'))
    run = run_engine(["preview", "--project", str(project_copy)])
    assert run.returncode == 2
    assert_one_line_error(run.stderr, "datamgmt:", "aws:allowedAccountIds", "333333333333")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["preview", "--stack", "prod"], "--stack: 'prod' is not a stack"),
        (["preview", "--colour"], "unrecognized arguments: --colour"),
        (["deploy"], "invalid choice: 'deploy'"),
        (["preview", "--policies", "/nonexistent"], "--policies: '/nonexistent' is not a folder"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], fragment: str) -> None:
    run = run_engine(args)
    assert run.returncode == 2
    assert_one_line_error(run.stderr, fragment)


def test_a_provider_invoke_is_refused_not_faked() -> None:
    run = run_engine(["preview", "--project", str(FIXTURES / "invoke"), "--no-policies"])
    assert run.returncode == 2
    assert_one_line_error(run.stderr, "aws:index/getCallerIdentity:getCallerIdentity", "expected no provider invokes")


def test_policy_config_changes_a_policys_level(tmp_path: Path) -> None:
    config = tmp_path / "studio.json"
    config.write_text(json.dumps({"studio-domain-vpc-only": {"enforcementLevel": "advisory"}}))
    run = run_engine(
        [
            "preview",
            "--json",
            "--project",
            str(NONCOMPLIANT),
            "--policies",
            str(POLICIES),
            "--stack",
            "tooling",
            "--policy-config",
            f"studio-vpc-only={config}",
        ]
    )
    levels = {v["policy"]: v["level"] for v in json.loads(run.stdout)["stacks"][0]["violations"]}
    assert levels["studio-domain-vpc-only"] == "advisory"
    assert levels["lf-settings-no-iam-allowed-principals"] == "mandatory"
    assert run.returncode == 1


@pytest.mark.parametrize(
    ("content", "pack", "fragment"),
    [
        ('{"no-such-policy": "advisory"}', "studio-vpc-only", "'no-such-policy' is not a policy of the pack"),
        ('{"studio-domain-vpc-only": "strict"}', "studio-vpc-only", "'strict' is not an enforcement level"),
        (
            '{"studio-domain-vpc-only": {"colour": 1}}',
            "studio-vpc-only",
            "studio-domain-vpc-only.colour is not a setting",
        ),
        ("[1, 2]", "studio-vpc-only", "holds a list; expected a JSON object"),
        ("{not json", "studio-vpc-only", "is not JSON"),
        ("{}", "no-such-pack", "'no-such-pack' is not a policy pack"),
    ],
)
def test_bad_policy_config_exits_2_with_one_line(tmp_path: Path, content: str, pack: str, fragment: str) -> None:
    config = tmp_path / "config.json"
    config.write_text(content)
    run = run_engine(
        [
            "preview",
            "--project",
            str(NONCOMPLIANT),
            "--policies",
            str(POLICIES),
            "--stack",
            "tooling",
            "--policy-config",
            f"{pack}={config}",
        ]
    )
    assert run.returncode == 2
    assert_one_line_error(run.stderr, fragment)


def test_a_pack_that_refuses_its_configuration_is_stopped_with_the_others(platform: Preview) -> None:
    """Each pack is started, then configured: one that refuses its configuration must not outlive
    the session (it once did, one orphaned process per refused configuration)."""
    tooling = next(stack.result for stack in platform.stacks if stack.result.name == "tooling")
    config = {"studio-vpc-only": {"no-such-policy": "advisory"}}
    session = PackSession.for_result(discover_packs(POLICIES), tooling, config)
    started = [process for _, process in session._starting]
    with pytest.raises(EngineError, match="'no-such-policy' is not a policy of the pack"):
        session.analyze(tooling)
    assert len(started) == 4 and all(process.poll() is not None for process in started)


def test_cli_exits_0_on_our_own_stacks_with_the_example_policy_configs() -> None:
    """The plan of all three stacks, every pack configured from its example file: no mandatory violation."""
    args = ["preview"]
    for pack in sorted((ROOT / "policies").glob("*/policy-config.example.json")):
        args += ["--policy-config", f"{pack.parent.name}={pack}"]
    assert len(args) == 9
    run = run_engine(args)
    assert run.returncode == 0, run.stderr + run.stdout[-2000:]
    for name in ("tooling", "datamgmt", "datasci"):
        assert f"== {name}: account" in run.stdout
    assert "mlops:account:Datasci  datasci" in run.stdout
    assert run.stdout.rstrip().endswith("no mandatory violation")


def _stack_files(folder: Path, roles: Mapping[str, str | None], default_role: str | None = None) -> Path:
    """A project whose stack files set only ``accountRole`` (None: not at all)."""
    folder.mkdir(exist_ok=True)
    declaration = {"type": "string", **({"default": default_role} if default_role else {})}
    (folder / "Pulumi.yaml").write_text(json.dumps({"name": "roles", "config": {"accountRole": declaration}}))
    for stack, role in roles.items():
        config = {"aws:region": "eu-west-1", **({"roles:accountRole": role} if role else {})}
        (folder / f"Pulumi.{stack}.yaml").write_text(json.dumps({"config": config}))
    return folder


def test_stacks_deploy_in_the_order_of_their_roles_whatever_their_names(tmp_path: Path) -> None:
    roles = {"a-pre": "preprod", "b-team": "datasci", "c-team": "datasci", "x-data": "datamgmt", "z-tools": "tooling"}
    assert load_project(_stack_files(tmp_path, roles)).stacks == ("z-tools", "x-data", "b-team", "c-team", "a-pre")


def test_a_stack_without_a_role_takes_the_projects_default_then_its_name(tmp_path: Path) -> None:
    roles = {"alpha": None, "datamgmt": None, "tooling": None, "beta": "tooling"}
    assert load_project(_stack_files(tmp_path / "by-name", roles)).stacks == (
        "beta",
        "tooling",
        "datamgmt",
        "alpha",
    )
    assert load_project(_stack_files(tmp_path / "by-default", roles, default_role="datasci")).stacks == (
        "beta",
        "alpha",
        "datamgmt",
        "tooling",
    )


def test_a_broken_stack_file_is_ordered_by_its_name_and_refused_when_read(tmp_path: Path) -> None:
    folder = _stack_files(tmp_path, {"datamgmt": "datamgmt", "tooling": "tooling"})
    (folder / "Pulumi.datasci.yaml").write_text("config:\n  accountRole: [datasci\n")
    project = load_project(folder)
    assert project.stacks == ("tooling", "datamgmt", "datasci")
    with pytest.raises(ProjectError, match=r"Pulumi\.datasci\.yaml: line 3: .*expected valid YAML"):
        stack_config(project, "datasci")


def test_a_project_without_stack_files_is_refused_with_one_line(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    run = run_engine(["preview", "--project", str(tmp_path)])
    assert run.returncode == 2
    assert_one_line_error(run.stderr, "no Pulumi.<stack>.yaml beside Pulumi.yaml", "expected a stack file per stack")
