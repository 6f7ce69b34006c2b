"""``python -m ops audit``'s command line against moto: its table and JSON, the roles it audits as,
and what it tells the leads. Every check's drift and compliant twin: test_audit_<area>.py, and whole
deployed stacks: test_audit_deployed.py."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from contracts import naming
from contracts.config import Settings
from offline.engine import StackPreview
from ops import OpsError
from ops import aws as aws_ops
from ops.__main__ import _settings, main
from tests.conftest import ROOT
from tests.ops.conftest import REGION, in_account
from tests.ops.deployed import deploy
from tests.ops.test_audit_deployed import moto_gaps

DATAMGMT = "333333333333"
AUDITOR = f"arn:aws:iam::{DATAMGMT}:role/auditor"


#: The training workgroup's configuration as the stack sets it (components/accounts/training.py).
TRAINING_WORKGROUP: dict[str, Any] = {
    "EnforceWorkGroupConfiguration": True,
    "ResultConfiguration": {
        "OutputLocation": f"s3://mlops-datamgmt-training-{DATAMGMT}-{REGION}/athena/",
        "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": "key"},
    },
}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return _settings(ROOT, "datamgmt")


@pytest.fixture
def datamgmt(
    aws: boto3.Session, stack: Callable[[str], StackPreview], monkeypatch: pytest.MonkeyPatch
) -> Iterator[boto3.Session]:
    """The data management account as the synthesized stack declares it (tests/ops/deployed.py),
    what moto lacks answered from the declaration."""
    account = in_account(aws, DATAMGMT)
    with moto_gaps(monkeypatch, deploy(stack("datamgmt"), account)):
        yield account


def drift_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "  DRIFT  " in line]


def audit(capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, str]:
    code = main(["audit", "--account", "datamgmt", "--role-arn", AUDITOR, *options])
    return code, capsys.readouterr().out


def test_each_row_names_its_check_resource_result_guardrail_and_control(
    datamgmt: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = audit(capsys)
    assert code == 0, output
    assert output.strip().endswith("0 drift: the account matches the guardrails")
    assert re.search(
        r"^training-workgroup +mlops-datamgmt-training +ok +- +- +enforced, results SSE-KMS$", output, re.M
    )
    assert re.search(r"^bucket-encryption +mlops-datamgmt-raw-\S+ +ok +22 +S3\.17 +aws:kms$", output, re.M)


def test_json_names_each_checks_guardrail_and_control(
    datamgmt: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    code, output = audit(capsys, "--format", "json")
    assert code == 0
    rows = json.loads(output)
    assert rows and all(set(row) == {"check", "guardrail", "control", "resource", "result", "detail"} for row in rows)
    assert all(row["result"] == "ok" for row in rows)
    by_check = {row["check"]: row for row in rows}
    blocks = by_check["bucket-public-access-block"]
    assert (blocks["guardrail"], blocks["control"]) == ("21", "S3.8")
    assert by_check["training-workgroup"]["guardrail"] == "" and by_check["training-workgroup"]["control"] == ""
    assert by_check["kms-key-rotation"]["control"] == "KMS.4"
    assert by_check["vpc-internet-path"]["guardrail"] == "17"


def test_the_audit_needs_a_role_or_the_ambient_credentials(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "--account", "datamgmt"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--role-arn: not given" in line and "--no-assume-role" in line


@pytest.mark.parametrize(
    ("configuration", "detail"),
    [
        (None, "missing; expected the stack's Athena workgroup"),
        ({**TRAINING_WORKGROUP, "EnforceWorkGroupConfiguration": False}, "queries may override its settings"),
        (
            {**TRAINING_WORKGROUP, "ResultConfiguration": {"OutputLocation": "s3://x/"}},
            "results not encrypted with KMS",
        ),
    ],
    ids=["missing", "not enforced", "not encrypted"],
)
def test_a_drifted_training_workgroup_is_caught(
    aws: boto3.Session, settings: Settings, configuration: dict[str, Any] | None, detail: str
) -> None:
    """The workgroup check alone (the full account above costs seconds a case)."""
    from ops.audit.storage import training_workgroup

    if configuration is not None:
        aws.client("athena").create_work_group(Name="mlops-datamgmt-training", Configuration=configuration)
    (finding,) = training_workgroup(aws, settings)
    assert (finding.check, finding.resource, finding.ok, finding.detail) == (
        "training-workgroup",
        "mlops-datamgmt-training",
        False,
        detail,
    )


def _topic_with_inbox(session: boto3.Session) -> tuple[str, Callable[[], list[dict[str, str]]]]:
    """An SNS topic (the approval topic's stand-in) with an SQS queue subscribed, and a reader of
    what reached the queue."""
    sns, sqs = session.client("sns"), session.client("sqs")
    topic = sns.create_topic(Name=naming.APPROVAL_TOPIC)["TopicArn"]
    queue = sqs.create_queue(QueueName="leads")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    def received() -> list[dict[str, str]]:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in messages]

    return topic, received


def test_drift_is_published_to_the_leads_topic(
    aws: boto3.Session, datamgmt: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    topic, received = _topic_with_inbox(aws)
    raw = naming.bucket_name("datamgmt", "raw", DATAMGMT, REGION)
    datamgmt.client("s3").delete_public_access_block(Bucket=raw)
    code, output = audit(capsys, "--notify", topic)
    assert code == 1
    (message,) = received()
    assert message["Subject"] == f"Audit of datamgmt ({DATAMGMT}): {len(drift_lines(output))} drift"
    body = message["Message"].splitlines()
    assert any(line.startswith(f"bucket-public-access-block {raw}: ") and "S3.8" in line for line in body)
    assert body[-1] == "Rerun: python -m ops audit --account datamgmt --auditor"


def test_a_matching_account_publishes_nothing(
    aws: boto3.Session,
    datamgmt: boto3.Session,
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``--auditor`` assumes the account's auditor role (the build's audit role may assume it)."""
    topic, received = _topic_with_inbox(aws)
    assumed: list[str] = []
    real = aws_ops.assume_role

    def recording(base: boto3.Session, role_arn: str, session_name: str) -> boto3.Session:
        assumed.append(role_arn)
        return real(base, role_arn, session_name)

    monkeypatch.setattr(aws_ops, "assume_role", recording)
    code = main(["audit", "--account", "datamgmt", "--auditor", "--notify", topic])
    assert code == 0, capsys.readouterr().out
    assert assumed == [settings.target.auditor]
    assert received() == []


def test_an_audit_that_cannot_run_tells_the_leads_why(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    topic, received = _topic_with_inbox(aws)

    def refused(base: boto3.Session, role_arn: str, session_name: str) -> boto3.Session:
        raise OpsError(
            f"--role-arn: cannot assume {role_arn!r} (AccessDenied); expected a role this identity may assume"
        )

    monkeypatch.setattr(aws_ops, "assume_role", refused)
    assert main(["audit", "--account", "datamgmt", "--auditor", "--notify", topic]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    (message,) = received()
    assert message["Subject"] == "Audit of datamgmt (333333333333) did not run"
    assert "mlops-datamgmt-auditor" in message["Message"] and "AccessDenied" in line


@pytest.mark.parametrize("topic", ["approvals", "arn:aws:sqs:eu-west-1:111111111111:leads"])
def test_notify_takes_a_topic_arn(aws: boto3.Session, capsys: pytest.CaptureFixture[str], topic: str) -> None:
    assert main(["audit", "--account", "tooling", "--auditor", "--notify", topic]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: --notify:") and repr(topic) in line and "expected arn:aws:sns:" in line
