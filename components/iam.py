"""An IAM role under the platform's path, with its trust and one inline least-privilege policy."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from contracts import naming

Statements = Mapping[str, Any] | Sequence[Mapping[str, Any]]


def _render_policy(items: list[Statements]) -> str:
    statements: list[Mapping[str, Any]] = []
    for item in items:
        statements.extend([item] if isinstance(item, Mapping) else item)
    return json.dumps(docs.document(docs.merge_statements(statements)))


@dataclass(frozen=True)
class PlatformRoleArgs:
    #: Fixed role name: other accounts compute this role's ARN from it (contracts/naming.py).
    role_name: str
    description: str
    #: Trust policy document (components/policy_documents.service_trust or role_trust).
    trust_policy: Mapping[str, Any]
    #: Permission statements: each item is one statement or a list of them, possibly an Output.
    statements: Sequence[pulumi.Input[Statements]]
    tags: Mapping[str, str] = field(default_factory=dict)
    #: One hour is enough for a feature job's control calls and limits a leaked session.
    max_session_duration: int = 3600

    def __post_init__(self) -> None:
        if not self.statements:
            raise ValueError(f"{self.role_name}: statements is empty; expected at least one permission statement")
        if len(self.role_name) > 64:
            raise ValueError(f"{self.role_name!r} is longer than 64 characters; expected a shorter role name")


class PlatformRole(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    name: pulumi.Output[str]

    def __init__(self, name: str, args: PlatformRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:iam:PlatformRole", name, None, opts)
        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            path=naming.ROLE_PATH,
            description=args.description,
            assume_role_policy=json.dumps(args.trust_policy),
            max_session_duration=args.max_session_duration,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=pulumi.Output.all(*args.statements).apply(_render_policy),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = role.arn
        self.name = role.name
        self.register_outputs({"arn": self.arn})
