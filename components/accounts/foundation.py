"""What every account stands on: its customer key, its access-log bucket, its private network where
it has one, and its data buckets, each declared once as a purpose mapped to a spec."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.iam import PlatformRole, PlatformRoleArgs
from components.kms import CustomerKey, CustomerKeyArgs
from components.network import PrivateNetwork, PrivateNetworkArgs
from components.storage import EncryptedBucket, EncryptedBucketArgs
from contracts import naming
from contracts.config import Settings
from contracts.endpoints import PACKAGE_MIRROR_ENDPOINTS


def moved_children(block: pulumi.Resource, opts: pulumi.ResourceOptions | None) -> pulumi.ResourceOptions:
    """Options for a block's children that were children of the account component itself before the
    blocks existed: the alias keeps their URNs, so nothing is replaced (or, protected, refused)."""
    previous = opts.parent if opts is not None else None
    return pulumi.ResourceOptions(parent=block, aliases=[pulumi.Alias(parent=previous)] if previous else None)


@dataclass(frozen=True)
class BucketSpec:
    """Who, beyond the account's own roles, reaches a data bucket's objects."""

    #: Roles of other accounts that may read the objects (their own policies must allow it too).
    read_roles: Sequence[str] = ()
    #: Roles that reach the objects from AWS's network rather than through the VPC's S3 endpoint
    #: (Lake Formation's data-access role, Glue jobs, the Feature Store, the CI's runner).
    outside_vpc_roles: Sequence[str] = ()
    #: Days after which objects expire (snapshots of curated data); None keeps them.
    expire_after_days: int | None = None


@dataclass(frozen=True)
class AccountFoundationArgs:
    settings: Settings
    #: Purpose (the middle of the bucket's name) to its spec. Where the account has a private
    #: network, every one is reached from it only through its S3 gateway endpoint, whose policy
    #: names exactly these buckets.
    buckets: Mapping[str, BucketSpec]
    #: Roles of other accounts that may decrypt with the account key.
    decrypt_roles: Sequence[str] = ()
    #: EventBridge publishes to topics encrypted with the account key.
    eventbridge_publishes: bool = False
    #: Interface endpoints the account's workloads need beyond the configured ones.
    extra_endpoints: Sequence[str] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.extra_endpoints and self.settings.network is None:
            raise ValueError(
                f"extra_endpoints: {list(self.extra_endpoints)} for the {self.settings.role} account, "
                "which has no private network; expected none"
            )


class AccountFoundation(pulumi.ComponentResource):
    """Named after its account (its type tells it apart), so its children keep the names they had
    as the account component's own: ``<account>-key``, ``<account>-<purpose>``."""

    key: CustomerKey
    access_logs: EncryptedBucket
    #: None for an account without a private network (tooling).
    network: PrivateNetwork | None
    #: The read-only role the nightly audit assumes; None in tooling, whose audit role reads it.
    auditor: PlatformRole | None
    buckets: dict[str, EncryptedBucket]

    def __init__(self, name: str, args: AccountFoundationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:Foundation", name, None, opts)
        children = moved_children(self, opts)
        s = self._settings = args.settings
        self.key = CustomerKey(
            f"{name}-key",
            CustomerKeyArgs(
                description=f"Encrypts the {s.role} account's platform data",
                alias=naming.physical_name(s.role, "data"),
                policy=json.dumps(
                    docs.kms_key_policy(
                        s.partition, s.account_id, args.decrypt_roles, s.region, args.eventbridge_publishes
                    )
                ),
                tags=s.tags,
                protect=s.protect,
            ),
            opts=children,
        )
        self.access_logs = EncryptedBucket(
            f"{name}-access-logs",
            EncryptedBucketArgs(
                bucket_name=naming.bucket_name(s.role, "access-logs", s.account_id, s.region),
                partition=s.partition,
                account_id=s.account_id,
                kms_key_arn=None,
                access_log_bucket=None,
                access_log_target=True,
                noncurrent_version_days=s.noncurrent_version_days,
                # Access logs are kept as long as the platform's CloudWatch logs.
                expire_after_days=s.log_retention_days,
                tags=s.tags,
                protect=s.protect,
            ),
            opts=children,
        )
        # Every bucket has its own block too; the account's stops a bucket made by hand from going
        # public (Security Hub S3.1). The provider's create waiter can time out on S3 Control's
        # eventual consistency (hashicorp/terraform-provider-aws#46949): a second `pulumi up` finishes it.
        aws.s3.AccountPublicAccessBlock(
            f"{name}-account-public-access-block",
            account_id=s.account_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=children,
        )
        self.auditor = None
        if s.role != "tooling":
            self.auditor = PlatformRole(
                f"{name}-auditor",
                PlatformRoleArgs(
                    role_name=naming.auditor_role_name(s.role),
                    description="Read-only: the nightly audit reads this account's guardrail settings, never its data",
                    trust_policy=docs.role_trust(s.cross_account_roles.audit),
                    statements=[docs.audit_read()],
                    tags=s.tags,
                ),
                opts=children,
            )
        self.network = self._create_network(name, args, children)
        self.buckets = {
            purpose: self._create_bucket(name, purpose, spec, children) for purpose, spec in args.buckets.items()
        }
        self.register_outputs(
            {"keyArn": self.key.arn, "buckets": {purpose: b.bucket for purpose, b in self.buckets.items()}}
        )

    @property
    def read_only_admins(self) -> list[pulumi.Output[str]]:
        """Who sees every Lake Formation grant of the account without changing any: its auditor."""
        return [self.auditor.arn] if self.auditor is not None else []

    def bucket_arn(self, purpose: str) -> str:
        """A data bucket's ARN, known before the bucket exists (its name is deterministic)."""
        s = self._settings
        return naming.bucket_arn(s.partition, s.role, purpose, s.account_id, s.region)

    def _create_network(
        self, name: str, args: AccountFoundationArgs, opts: pulumi.ResourceOptions
    ) -> PrivateNetwork | None:
        s = args.settings
        if s.network is None:
            return None
        configured = s.network.interface_endpoints
        return PrivateNetwork(
            f"{name}-network",
            PrivateNetworkArgs(
                vpc_cidr=s.network.vpc_cidr,
                availability_zones=s.network.availability_zones,
                subnet_cidrs=s.network.subnet_cidrs,
                region=s.region,
                partition=s.partition,
                account_id=s.account_id,
                interface_endpoints=[*configured, *(e for e in args.extra_endpoints if e not in configured)],
                flow_log_key_arn=self.key.arn,
                log_retention_days=s.log_retention_days,
                # Named, not taken from the buckets: the endpoint need not wait for them.
                gateway_bucket_arns=[self.bucket_arn(purpose) for purpose in args.buckets],
                # The CodeArtifact endpoints reach the package mirror and nothing else.
                endpoint_policies={
                    endpoint: docs.package_mirror_endpoint_policy(s.package_mirror, s.partition, s.account_id)
                    for endpoint in PACKAGE_MIRROR_ENDPOINTS
                    if s.package_mirror is not None
                },
                tags=s.tags,
            ),
            opts=opts,
        )

    def _create_bucket(
        self, name: str, purpose: str, spec: BucketSpec, opts: pulumi.ResourceOptions
    ) -> EncryptedBucket:
        """A bucket encrypted with the account key, logging to the account's access-log bucket."""
        s = self._settings
        return EncryptedBucket(
            f"{name}-{purpose}",
            EncryptedBucketArgs(
                bucket_name=naming.bucket_name(s.role, purpose, s.account_id, s.region),
                partition=s.partition,
                account_id=s.account_id,
                kms_key_arn=self.key.arn,
                access_log_bucket=self.access_logs.bucket,
                read_roles=spec.read_roles,
                vpc_endpoint_id=self.network.s3_endpoint_id if self.network is not None else None,
                outside_vpc_roles=spec.outside_vpc_roles,
                noncurrent_version_days=s.noncurrent_version_days,
                expire_after_days=spec.expire_after_days,
                tags=s.tags,
                protect=s.protect,
            ),
            opts=opts,
        )
