"""An S3 bucket that is private, encrypted, versioned, logged and reachable over TLS only."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs

#: Parts of a multipart upload that never completed are billed until aborted.
ABORT_UPLOADS_AFTER_DAYS = 7


@dataclass(frozen=True)
class EncryptedBucketArgs:
    #: The globally unique bucket name (contracts/naming.bucket_name).
    bucket_name: str
    partition: str
    account_id: str
    #: Customer key for SSE-KMS. None only for an access-log target, since S3 server access logs
    #: cannot be delivered to a bucket whose default encryption is SSE-KMS.
    kms_key_arn: pulumi.Input[str] | None
    #: The bucket that receives this bucket's access logs; None only for the log bucket itself.
    access_log_bucket: pulumi.Input[str] | None
    #: True for the account's access-log bucket: SSE-S3 and the logging service may write.
    access_log_target: bool = False
    #: Roles of other accounts that may read the objects (their own policies must allow it too).
    read_roles: Sequence[str] = ()
    #: When set, object access is refused unless it comes through this S3 gateway endpoint.
    vpc_endpoint_id: pulumi.Input[str] | None = None
    #: Service roles that reach the objects from AWS's network, exempt from the endpoint rule.
    outside_vpc_roles: Sequence[pulumi.Input[str]] = ()
    #: Days an object's earlier versions are kept once it is overwritten or deleted: versioning
    #: undoes mistakes, and without an end a versioned bucket grows forever.
    noncurrent_version_days: int = 90
    #: Days after which current objects expire (access logs: the log retention); None keeps them.
    expire_after_days: int | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True

    def __post_init__(self) -> None:
        for name in ("noncurrent_version_days", "expire_after_days"):
            days = getattr(self, name)
            if days is not None and days < 1:
                raise ValueError(f"{self.bucket_name}: {name} is {days}; expected a whole number of days, 1 or more")
        if self.access_log_target:
            if self.access_log_bucket is not None:
                raise ValueError(
                    f"{self.bucket_name}: an access-log target must not log to another bucket; "
                    "expected access_log_bucket=None"
                )
        else:
            if self.kms_key_arn is None:
                raise ValueError(
                    f"{self.bucket_name}: kms_key_arn is missing; expected a customer key ARN "
                    "(only access-log targets use SSE-S3)"
                )
            if self.access_log_bucket is None:
                raise ValueError(
                    f"{self.bucket_name}: access_log_bucket is missing; expected the account's access-log bucket"
                )


class EncryptedBucket(pulumi.ComponentResource):
    """The one way the platform makes a bucket, so every bucket has the same protections."""

    bucket: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptedBucketArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:storage:EncryptedBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # ACLs off: the bucket policy alone decides access.
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[self._encryption_rule(args.kms_key_arn)],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[self._lifecycle_rule(args)],
            # S3 applies noncurrent-version rules to a bucket that is versioned.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        if args.access_log_bucket is not None:
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket.id,
                target_bucket=args.access_log_bucket,
                target_prefix=f"{args.bucket_name}/",
                opts=child,
            )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=self._policy(bucket.arn, args),
            # A policy applied before the public access block could briefly be judged public.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access_block]),
        )
        self.bucket = bucket.bucket
        self.arn = bucket.arn
        self.register_outputs({"bucket": self.bucket, "arn": self.arn})

    @staticmethod
    def _encryption_rule(
        kms_key_arn: pulumi.Input[str] | None,
    ) -> aws.s3.BucketServerSideEncryptionConfigurationRuleArgsDict:
        if kms_key_arn is None:
            return {"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}
        return {
            "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn},
            # Bucket keys cut KMS requests (and cost) by orders of magnitude for busy buckets.
            "bucket_key_enabled": True,
        }

    @staticmethod
    def _lifecycle_rule(args: EncryptedBucketArgs) -> aws.s3.BucketLifecycleConfigurationRuleArgsDict:
        """One rule for every object: earlier versions expire, unfinished multipart uploads are
        aborted, and current objects expire after ``expire_after_days`` or, without it, only their
        delete markers go once no earlier version is left.

        The whole bucket is the filter with an empty prefix: the provider warns on a rule with no
        filter and on an empty filter alike (terraform-provider-aws #41725, #42112)."""
        expiration: aws.s3.BucketLifecycleConfigurationRuleExpirationArgsDict = (
            {"days": args.expire_after_days}
            if args.expire_after_days is not None
            else {"expired_object_delete_marker": True}
        )
        return {
            "id": "expire-old-versions-and-uploads",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": expiration,
            "noncurrent_version_expiration": {"noncurrent_days": args.noncurrent_version_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": ABORT_UPLOADS_AFTER_DAYS},
        }

    @staticmethod
    def _policy(bucket_arn: pulumi.Output[str], args: EncryptedBucketArgs) -> pulumi.Output[str]:
        def render(values: list[str]) -> str:
            arn, endpoint, exempt = values[0], values[1], values[2:]
            statements = [docs.deny_insecure_transport(arn)]
            if endpoint:
                statements.append(docs.deny_outside_vpc_endpoint(arn, endpoint, exempt))
            if args.access_log_target:
                statements.append(docs.allow_access_log_delivery(args.partition, arn, args.account_id))
            if args.read_roles:
                statements.append(docs.allow_roles_read(args.partition, arn, args.read_roles))
            return json.dumps(docs.document(statements))

        return pulumi.Output.all(bucket_arn, args.vpc_endpoint_id or "", *args.outside_vpc_roles).apply(render)
