"""A customer managed KMS key with rotation on and a policy the caller decides."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class CustomerKeyArgs:
    #: What the key protects; shown in the console and in CloudTrail.
    description: str
    #: The alias without the ``alias/`` prefix, for example ``mlops-datasci-data``.
    alias: str
    #: The key policy JSON (components/policy_documents.kms_key_policy).
    policy: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)
    #: Waiting period before a scheduled deletion; 30 days leaves time to notice a mistake.
    deletion_window_in_days: int = 30
    #: Keys guard every stateful resource: protect them unless the stack is throwaway.
    protect: bool = True

    def __post_init__(self) -> None:
        if not 7 <= self.deletion_window_in_days <= 30:
            raise ValueError(
                f"deletion_window_in_days: {self.deletion_window_in_days} is out of range; expected 7 to 30 days"
            )
        if self.alias.startswith("alias/") or self.alias.startswith("aws"):
            raise ValueError(f"alias: {self.alias!r} is not a plain alias; expected a name without alias/ or aws")


class CustomerKey(pulumi.ComponentResource):
    """A symmetric customer managed key and its alias."""

    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(self, name: str, args: CustomerKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:kms:CustomerKey", name, None, opts)
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_in_days,
            policy=args.policy,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{args.alias}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = key.arn
        self.key_id = key.key_id
        self.register_outputs({"arn": self.arn, "keyId": self.key_id})
