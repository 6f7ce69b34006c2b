"""What a check reports: a rule (the guardrail it watches and the matching Security Hub or AWS Config
control) and, per resource, whether the live account still matches it."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3

from contracts.config import Settings


@dataclass(frozen=True)
class Rule:
    """One row kind of the audit.

    ``guardrail`` is the guardrail's number in docs/guardrails.md ("" for a setting of the platform's
    own); ``control`` what checks the same in AWS's own services, "" where nothing does: a Security
    Hub control by its ID (Foundational Security Best Practices, ``EC2.6``:
    https://docs.aws.amazon.com/securityhub/latest/userguide/securityhub-standards-fsbp-controls.html)
    or else an AWS Config managed rule by its name (``sagemaker-domain-in-vpc``:
    https://docs.aws.amazon.com/config/latest/developerguide/managed-rules-by-aws-config.html).
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


T = TypeVar("T")
#: What the checks of one audit read more than once (the domains, the grants): by session.
_READ: weakref.WeakKeyDictionary[boto3.Session, dict[str, Any]] = weakref.WeakKeyDictionary()


def read_once(session: boto3.Session, what: str, read: Callable[[], T]) -> T:
    """``read()``, once per session and ``what``: each audit makes a session of its own."""
    cache = _READ.setdefault(session, {})
    if what not in cache:
        cache[what] = read()
    found: T = cache[what]
    return found


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item under ``key`` of every page of a paginated operation."""
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]
