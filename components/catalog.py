"""The Glue Data Catalog of the lake house: its databases, encryption, and the security
configuration that Glue jobs and crawlers must use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class GlueCatalogArgs:
    #: Glue database name to the S3 location of its data (``s3://bucket/``).
    databases: Mapping[str, pulumi.Input[str]]
    #: Customer key for the catalog's metadata, connection passwords, and jobs' S3 output, logs and bookmarks.
    kms_key_arn: pulumi.Input[str]
    #: Name of the security configuration that jobs and crawlers name.
    security_configuration_name: str
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True
    #: Resources the databases wait for: the Lake Formation settings that make the deployer an admin.
    wait_for: tuple[pulumi.Resource, ...] = ()


class GlueCatalog(pulumi.ComponentResource):
    databases: dict[str, aws.glue.CatalogDatabase]
    security_configuration_name: pulumi.Output[str]

    def __init__(self, name: str, args: GlueCatalogArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:catalog:GlueCatalog", name, None, opts)
        # One setting per account and region: the catalog's metadata and connection passwords are
        # encrypted with the customer key.
        encryption = aws.glue.DataCatalogEncryptionSettings(
            f"{name}-encryption",
            data_catalog_encryption_settings={
                "encryption_at_rest": {"catalog_encryption_mode": "SSE-KMS", "sse_aws_kms_key_id": args.kms_key_arn},
                "connection_password_encryption": {
                    "return_connection_password_encrypted": True,
                    "aws_kms_key_id": args.kms_key_arn,
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        security = aws.glue.SecurityConfiguration(
            f"{name}-security",
            name=args.security_configuration_name,
            encryption_configuration={
                "s3_encryption": {"s3_encryption_mode": "SSE-KMS", "kms_key_arn": args.kms_key_arn},
                "cloudwatch_encryption": {"cloudwatch_encryption_mode": "SSE-KMS", "kms_key_arn": args.kms_key_arn},
                "job_bookmarks_encryption": {
                    "job_bookmarks_encryption_mode": "CSE-KMS",
                    "kms_key_arn": args.kms_key_arn,
                },
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.databases = {
            database: aws.glue.CatalogDatabase(
                f"{name}-{database.replace('_', '-')}",
                name=database,
                location_uri=location,
                # Lake Formation, not IAM_ALLOWED_PRINCIPALS, governs the tables created in it.
                create_table_default_permissions=[],
                tags=dict(args.tags),
                # Glue encrypts only the metadata written after encryption is on: databases come after.
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=[*args.wait_for, encryption]),
            )
            for database, location in args.databases.items()
        }
        self.security_configuration_name = security.name
        self.register_outputs(
            {"databases": list(self.databases), "securityConfiguration": self.security_configuration_name}
        )
