"""The nightly audit in the stacks: who runs it, on what schedule, through which roles, and what it
may read. The journeys that use these roles are in offline/access/journeys.py (_audit_journeys)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import naming
from contracts.audit import AUDIT_ACTIONS, DEFAULT_SCHEDULE
from offline.engine import Preview, StackPreview, preview
from offline.mocks import ResourceRecord
from tests.conftest import of_type, one, shipped_roles
from tests.ops.conftest import RENAMED_ACTIONS
from tests.scenarios import PREPROD_ACCOUNT, THREE_TEAMS
from tests.test_tooling import build_variables, pipeline, stage_names

Stack = Callable[[str], StackPreview]
AUDIT_DIR = Path(__file__).resolve().parent.parent / "ops" / "audit"
#: A read-only verb starts every action the auditor holds.
READ_VERBS = re.compile(r"^[a-z0-9-]+:(Get|List|Describe|BatchGet)[A-Za-z]+$")


def role(stack: StackPreview, name: str) -> ResourceRecord:
    (record,) = [r for r in of_type(stack, "aws:iam/role:Role") if r.inputs["name"] == name]
    return record


def statements(stack: StackPreview, role_name: str) -> dict[str, dict[str, Any]]:
    (record,) = [r for r in of_type(stack, "aws:iam/rolePolicy:RolePolicy") if r.inputs["role"] == role_name]
    return {s["Sid"]: s for s in json.loads(record.inputs["policy"])["Statement"]}


@pytest.mark.parametrize("name", ["datasci", "datamgmt"])
def test_each_target_account_has_a_read_only_auditor_only_the_audit_role_assumes(stack: Stack, name: str) -> None:
    target = shipped_roles().target(name)
    auditor = role(stack(name), naming.auditor_role_name(target.role))
    assert auditor.inputs["path"] == naming.ROLE_PATH
    trust = json.loads(auditor.inputs["assumeRolePolicy"])["Statement"]
    assert trust == [
        {
            "Sid": "TrustedRole",
            "Effect": "Allow",
            "Principal": {"AWS": shipped_roles().audit},
            "Action": "sts:AssumeRole",
        }
    ]
    (granted,) = statements(stack(name), naming.auditor_role_name(target.role)).values()
    assert granted["Effect"] == "Allow" and granted["Resource"] == "*"
    assert granted["Action"] == sorted(a for actions in AUDIT_ACTIONS.values() for a in actions)
    assert [a for a in granted["Action"] if not READ_VERBS.match(a)] == []
    # Reads no data: no object, no key use, no Lake Formation data access.
    assert not {"s3:GetObject", "kms:Decrypt", "lakeformation:GetDataAccess"} & set(granted["Action"])


@pytest.mark.parametrize("name", ["datasci", "datamgmt"])
def test_the_auditor_is_lake_formations_read_only_admin_and_no_admin(stack: Stack, name: str) -> None:
    """ListPermissions shows a principal that is no administrator only its own grants, so the audit
    of grants needs the read-only administrator (the API replaces the settings whole: declare it)."""
    settings = one(stack(name), "aws:lakeformation/dataLakeSettings:DataLakeSettings").inputs
    auditor = shipped_roles().target(name).auditor
    assert settings["readOnlyAdmins"] == [auditor]
    assert auditor not in settings["admins"]


def test_the_audit_role_reads_tooling_assumes_only_the_auditors_and_reports_to_the_leads(stack: Stack) -> None:
    tooling = stack("tooling")
    audit = role(tooling, naming.AUDIT_ROLE_NAME)
    trust = json.loads(audit.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": ["codebuild.amazonaws.com"]}]
    assert trust[0]["Condition"] == {"StringEquals": {"aws:SourceAccount": "111111111111"}}
    granted = statements(tooling, naming.AUDIT_ROLE_NAME)
    assert granted["AssumeTargetRoles"]["Resource"] == sorted(shipped_roles().auditors)
    assert granted["ReadGuardrailSettings"]["Action"] == sorted(a for v in AUDIT_ACTIONS.values() for a in v)
    topic = tooling.result.outputs["approvalTopicArn"]
    assert granted["ReportDrift"] == {
        "Sid": "ReportDrift",
        "Effect": "Allow",
        "Action": "sns:Publish",
        "Resource": topic,
    }
    # The topic is encrypted with the account key, which also decrypts the source artifacts.
    key = granted["SourceArtifactsKey"]
    assert key["Resource"] == tooling.result.outputs["artifactKeyArn"]
    assert {"kms:GenerateDataKey", "kms:Decrypt"} <= set(key["Action"])
    # Beyond reading, it assumes, decrypts the source, publishes and logs: nothing else.
    others = {
        a
        for s in granted.values()
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        if not READ_VERBS.match(a)
    }
    assert others == {
        "sts:AssumeRole",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "sns:Publish",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }


def test_the_audit_pipeline_runs_only_on_its_schedule_and_audits_every_account(stack: Stack) -> None:
    tooling = stack("tooling")
    inputs = pipeline(tooling, naming.AUDIT_PIPELINE)
    assert stage_names(inputs) == ["Source", "Audit"]
    (source,) = inputs["stages"][0]["actions"]
    # No push starts it: no trigger, and no change detection on the connection.
    assert "triggers" not in inputs and source["configuration"]["DetectChanges"] == "false"
    assert source["configuration"]["BranchName"] == "main"
    assert inputs["executionMode"] == "QUEUED" and inputs["variables"] == []
    assert build_variables(inputs["stages"][1]) == {
        "AUDIT_STACKS": "tooling datasci datamgmt",
        "NOTIFY_TOPIC_ARN": tooling.result.outputs["approvalTopicArn"],
    }
    project = one(tooling, "aws:codebuild/project:Project", "cicd-audit").inputs
    assert project["name"] == naming.AUDIT_PIPELINE and project["serviceRole"] == shipped_roles().audit
    assert project["source"]["buildspec"] == "buildspecs/audit.yml"
    rule = one(tooling, "aws:cloudwatch/eventRule:EventRule", "nightly-audit").inputs
    assert rule["scheduleExpression"] == DEFAULT_SCHEDULE
    target = one(tooling, "aws:cloudwatch/eventTarget:EventTarget", "nightly-audit").inputs
    assert target["arn"] == f"arn:aws:codepipeline:eu-west-1:111111111111:{naming.AUDIT_PIPELINE}"
    starter = statements(tooling, "mlops-tooling-audit-schedule")
    assert starter == {
        "StartAudit": {
            "Sid": "StartAudit",
            "Effect": "Allow",
            "Action": "codepipeline:StartPipelineExecution",
            "Resource": target["arn"],
        }
    }
    assert target["roleArn"] == role(tooling, "mlops-tooling-audit-schedule").outputs["arn"]


def test_the_audit_covers_every_team_and_preprod(teams_platform: Preview) -> None:
    (tooling,) = [s for s in teams_platform.stacks if s.result.name == "tooling"]
    variables = build_variables(pipeline(tooling, naming.AUDIT_PIPELINE)["stages"][1])
    assert variables["AUDIT_STACKS"].split() == ["tooling", *(t.stack for t in THREE_TEAMS), "preprod", "datamgmt"]
    assumed = statements(tooling, naming.AUDIT_ROLE_NAME)["AssumeTargetRoles"]["Resource"]
    assert f"arn:aws:iam::{PREPROD_ACCOUNT}:role/mlops/mlops-preprod-auditor" in assumed and len(assumed) == 5


def test_a_configured_schedule_reaches_the_rule(project_copy: Path) -> None:
    stack_file = project_copy / "Pulumi.tooling.yaml"
    stack_file.write_text(stack_file.read_text() + "  mlops-feature-platform:auditSchedule: rate(6 hours)\n")
    (result,) = preview(project_copy, ["tooling"], policies=False, access=False).stacks
    assert one(result, "aws:cloudwatch/eventRule:EventRule", "nightly-audit").inputs["scheduleExpression"] == (
        "rate(6 hours)"
    )


def _method(action: str) -> str:
    """The boto3 method of an IAM action (``athena:GetWorkGroup``: get_work_group), through the
    operation it is named after or, renamed, the operation that takes it."""
    operations = {renamed: operation for (_, operation), renamed in RENAMED_ACTIONS.items()}
    operation = operations.get(action, action.split(":", 1)[1])
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", operation).lower()


def test_the_auditor_holds_no_action_the_audit_does_not_call() -> None:
    """Least privilege: each granted action's operation appears in ops/audit (as a call or paginator)."""
    source = "\n".join(path.read_text() for path in sorted(AUDIT_DIR.glob("*.py")))
    unused = [
        action
        for actions in AUDIT_ACTIONS.values()
        for action in actions
        if not re.search(rf"\b{_method(action)}\b", source)
    ]
    assert unused == []


def test_every_guardrail_has_a_live_check_or_says_why_not() -> None:
    """Each guardrail of the catalogue is watched by a check of the audit, or NOT_AUDITED gives the
    reason; no check names a guardrail the catalogue lacks."""
    from ops.audit import NOT_AUDITED, RULES
    from tests.policies.test_catalogue import catalogue

    numbers = {str(number) for number in catalogue.GUARDRAILS}
    watched = {rule.guardrail for rule in RULES if rule.guardrail}
    assert watched <= numbers
    assert numbers - watched == set(NOT_AUDITED)
    # One rule per check name, and each names a control only in one of the two forms.
    assert len({rule.check for rule in RULES}) == len(RULES)
    security_hub, config_rule = re.compile(r"^[A-Za-z0-9]+\.[0-9]+$"), re.compile(r"^[a-z0-9]+(-[a-z0-9]+)+$")
    for rule in RULES:
        for control in filter(None, rule.control.split(", ")):
            assert security_hub.match(control) or config_rule.match(control), (rule.check, control)


def test_the_readme_shows_the_coverage() -> None:
    from ops.audit import coverage

    assert coverage() in (Path(__file__).resolve().parent.parent / "README.md").read_text()
