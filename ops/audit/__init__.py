"""Audit a live account against the guardrails the program deploys: the drift the policy packs cannot
see, because someone changed the account by hand after ``pulumi up``."""

from __future__ import annotations

import json

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from contracts.config import Settings
from ops import OpsError
from ops.audit import identity, lake, services, storage, studio
from ops.audit.findings import Check, Finding, Rule

#: Each module's checks by account role, in the order the table shows them.
MODULES = (lake, studio, storage, services, identity)
#: Which checks apply to which account role.
CHECKS: dict[str, tuple[Check, ...]] = {
    role: tuple(check for module in MODULES for check in module.CHECKS.get(role, ()))
    for role in ("tooling", "datasci", "preprod", "datamgmt")
}


#: Every row kind, each once, in the order the table shows them.
RULES: tuple[Rule, ...] = tuple(
    dict.fromkeys(rule for module in MODULES for rule in vars(module).values() if isinstance(rule, Rule))
)
#: The guardrails (docs/guardrails.md) no live check watches, and why; every other has one at least.
NOT_AUDITED: dict[str, str] = {
    "31": "auditor roles: the policy pack keeps them read-only before deploy; after it, the IAM checks (29, 30) "
    "catch a wildcard, an admin or a widened trust, not a longer list of named reads",
}


def coverage() -> str:
    """The guardrails and the checks that watch each, as a Markdown table (the README's)."""
    numbers = sorted({int(rule.guardrail) for rule in RULES if rule.guardrail} | {int(n) for n in NOT_AUDITED})
    lines = ["| guardrail | checks (Security Hub control or AWS Config rule) |", "|---|---|"]
    for number in numbers:
        rules = [rule for rule in RULES if rule.guardrail == str(number)]
        cells = [f"`{rule.check}`" + (f" ({rule.control})" if rule.control else "") for rule in rules]
        lines.append(f"| {number} | {', '.join(cells) or 'none: ' + NOT_AUDITED[str(number)]} |")
    own = [f"`{rule.check}`" for rule in RULES if not rule.guardrail]
    lines.append(f"| the platform's own settings | {', '.join(own)} |")
    return "\n".join(lines)


def audit(session: boto3.Session, settings: Settings) -> list[Finding]:
    return [finding for check in CHECKS[settings.role] for finding in check(session, settings)]


#: SNS takes at most 256 KiB a message and 100 characters a subject:
#: https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
MESSAGE_ROWS = 200


def notify(session: boto3.Session, topic_arn: str, settings: Settings, drift: list[Finding], failure: str = "") -> None:
    """Tell the topic's subscribers (the leads) what drifted in the account, or why no audit ran."""
    where = f"{settings.stack} ({settings.account_id})"
    if failure:
        subject, lines = f"Audit of {where} did not run", [failure]
    else:
        subject = f"Audit of {where}: {len(drift)} drift"
        lines = [
            f"{f.check} {f.resource}: {f.detail} (guardrail {f.guardrail or '-'}, {f.control or 'no control'})"
            for f in drift
        ]
        if len(lines) > MESSAGE_ROWS:
            lines = [*lines[:MESSAGE_ROWS], f"... and {len(lines) - MESSAGE_ROWS} more"]
    rerun = f"Rerun: python -m ops audit --account {settings.stack} --auditor"
    try:
        session.client("sns").publish(TopicArn=topic_arn, Subject=subject[:100], Message="\n".join([*lines, "", rerun]))
    except (ClientError, BotoCoreError) as error:
        raise OpsError(
            f"--notify: cannot publish to {topic_arn!r} ({error}); expected a topic this identity may publish to"
        ) from None


def to_json(findings: list[Finding]) -> str:
    """One object per check, for other tools: check, guardrail, control, resource, result, detail."""
    return json.dumps(
        [
            {
                "check": f.check,
                "guardrail": f.guardrail,
                "control": f.control,
                "resource": f.resource,
                "result": "ok" if f.ok else "drift",
                "detail": f.detail,
            }
            for f in findings
        ],
        indent=2,
    )


def table(findings: list[Finding]) -> str:
    rows = [("CHECK", "RESOURCE", "RESULT", "GUARDRAIL", "CONTROL", "DETAIL")] + [
        (f.check, f.resource, "ok" if f.ok else "DRIFT", f.guardrail or "-", f.control or "-", f.detail)
        for f in findings
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)) + "  " + row[5]
        for row in rows
    ]
    drift = sum(not f.ok for f in findings)
    lines.append(f"{len(findings)} checks, {drift} drift" + ("" if drift else ": the account matches the guardrails"))
    return "\n".join(lines)
