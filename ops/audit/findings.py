"""What a check reports: a rule (the guardrail it watches and the matching Security Hub or AWS Config
control) and, per resource, whether the live account still matches it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import boto3

from contracts.config import Settings


@dataclass(frozen=True)
class Rule:
    """One row kind of the audit.

    ``guardrail`` is the guardrail's number in docs/guardrails.md ("" for a setting of the platform's
    own); ``control`` the AWS Security Hub control (Foundational Security Best Practices, by ID, e.g.
    ``EC2.6``) or AWS Config managed rule that checks the same, "" where none does:
    https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-standards-fsbp-controls.html
    """

    check: str
    guardrail: str
    control: str

    def __call__(self, resource: str, ok: bool, detail: str) -> Finding:
        return Finding(self, resource, ok, detail)


@dataclass(frozen=True)
class Finding:
    rule: Rule
    resource: str
    ok: bool
    detail: str

    @property
    def check(self) -> str:
        return self.rule.check

    @property
    def guardrail(self) -> str:
        return self.rule.guardrail

    @property
    def control(self) -> str:
        return self.rule.control


#: A check reads one part of the account the session reaches, as the stack's settings describe it.
Check = Callable[[boto3.Session, Settings], Iterator[Finding]]
