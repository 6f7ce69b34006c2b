"""What a check reports: a rule (the guardrail it watches and the matching Security Hub or AWS Config
control) and, per resource, whether the live account still matches it."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import boto3
from botocore.exceptions import ClientError

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


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def strings(found: Any) -> list[str]:
    """A policy element that is a string or a list of strings, as a list."""
    if isinstance(found, str):
        return [found]
    return [item for item in found if isinstance(item, str)] if isinstance(found, list) else []


def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A policy document's statements (one, or a list), each a mapping."""
    found = document.get("Statement", [])
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, Mapping)]


def is_customer_key(key: Any) -> bool:
    """Whether a KMS key reference names a key of the customer's: set, and neither an AWS managed
    key's alias (``alias/aws/s3``, ``alias/aws/sagemaker``, or their ARNs) nor Redshift's AWS owned key."""
    if not isinstance(key, str) or not key or key == "AWS_OWNED_KMS_KEY":
        return False
    return not (key.startswith("alias/aws/") or ":alias/aws/" in key)
