"""Feature groups from the feature catalog, with KMS-encrypted offline and online stores, and the
role SageMaker assumes to write their offline store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.iam import PlatformRole, PlatformRoleArgs
from components.lake_formation import data_location_grant
from contracts.feature_catalog import FeatureGroupSpec


def offline_table_name(spec: FeatureGroupSpec) -> str:
    """The Glue table of a group's offline store: Athena wants underscores, not hyphens."""
    return spec.name.replace("-", "_")


@dataclass(frozen=True)
class FeatureStoreArgs:
    #: The catalog's feature groups (contracts/feature_catalog.load_catalog).
    specs: Sequence[FeatureGroupSpec]
    #: Bucket of the offline store (name and ARN); each group writes under ``offline-store/``.
    offline_bucket: pulumi.Input[str]
    offline_bucket_arn: str
    #: Customer key for the offline store's objects and the online store.
    kms_key_arn: pulumi.Input[str]
    #: Glue database of the offline store's tables, governed by Lake Formation.
    glue_database: pulumi.Input[str]
    #: Fixed name of the role SageMaker assumes to write the offline store: the bucket's policy
    #: names it before it exists.
    role_name: str
    partition: str
    region: str
    account_id: str
    #: Lake Formation governs the offline bucket (a registered location): the role then needs
    #: DATA_LOCATION_ACCESS on exactly it to create the offline tables, and the groups wait for it.
    registered: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    #: A schema change to a feature group replaces it, and replacing deletes its records: protected
    #: groups make such a change fail at preview instead (add a new group, or unprotect knowingly).
    protect: bool = True


class FeatureStore(pulumi.ComponentResource):
    feature_group_names: list[str]
    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: FeatureStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:featurestore:FeatureStore", name, None, opts)
        # A component's depends_on does not hold its children back; they must wait for what the
        # caller waits for (the Lake Formation settings that make the deployer an admin).
        waits_for = opts.depends_on if opts is not None else None
        role = PlatformRole(
            f"{name}-role",
            PlatformRoleArgs(
                role_name=args.role_name,
                description="Assumed by SageMaker Feature Store to write the offline store",
                trust_policy=docs.service_trust(["sagemaker.amazonaws.com"], args.account_id),
                statements=[
                    pulumi.Output.from_input(args.kms_key_arn).apply(
                        lambda key: docs.offline_store_access(args.offline_bucket_arn, key)
                    ),
                    pulumi.Output.from_input(args.glue_database).apply(
                        lambda database: docs.glue_tables_write(
                            args.partition, args.region, args.account_id, database, "GlueOfflineTables"
                        )
                    ),
                    docs.lake_formation_data_access(),
                ],
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # SageMaker registers each group's offline table as this role: the grants come first.
        granted = pulumi.ResourceOptions(parent=self, depends_on=waits_for)
        writers = [
            aws.lakeformation.Permissions(
                f"{name}-table-writer",
                principal=role.arn,
                permissions=["CREATE_TABLE", "ALTER", "DESCRIBE"],
                database={"name": args.glue_database},
                opts=granted,
            )
        ]
        if args.registered:
            writers.append(data_location_grant(f"{name}-location-writer", role.arn, args.offline_bucket_arn, granted))
        for spec in args.specs:
            self._create_group(name, spec, args, role, writers)
        self.role_arn = role.arn
        self.feature_group_names = [spec.name for spec in args.specs]
        self.register_outputs({"featureGroupNames": self.feature_group_names, "roleArn": self.role_arn})

    def _create_group(
        self,
        name: str,
        spec: FeatureGroupSpec,
        args: FeatureStoreArgs,
        role: PlatformRole,
        writers: Sequence[aws.lakeformation.Permissions],
    ) -> aws.sagemaker.FeatureGroup:
        online: aws.sagemaker.FeatureGroupOnlineStoreConfigArgsDict = {"enable_online_store": spec.online_store}
        if spec.online_store:
            online["security_config"] = {"kms_key_id": args.kms_key_arn}
            if spec.ttl_days is not None:
                online["ttl_duration"] = {"unit": "Days", "value": spec.ttl_days}
        offline: aws.sagemaker.FeatureGroupOfflineStoreConfigArgsDict = {
            "s3_storage_config": {
                "s3_uri": pulumi.Output.concat("s3://", args.offline_bucket, "/offline-store"),
                "kms_key_id": args.kms_key_arn,
            },
            "data_catalog_config": {
                "catalog": "AwsDataCatalog",
                "database": args.glue_database,
                "table_name": offline_table_name(spec),
            },
            "table_format": "Iceberg",
        }
        definitions: list[aws.sagemaker.FeatureGroupFeatureDefinitionArgsDict] = [
            {"feature_name": feature.name, "feature_type": feature.type} for feature in spec.features
        ]
        return aws.sagemaker.FeatureGroup(
            f"{name}-{spec.name}",
            feature_group_name=spec.name,
            description=spec.description,
            record_identifier_feature_name=spec.record_identifier,
            event_time_feature_name=spec.event_time,
            feature_definitions=definitions,
            role_arn=role.arn,
            offline_store_config=offline,
            online_store_config=online,
            tags={**args.tags, "mlops:classification": spec.classification, "mlops:owner": spec.owner},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=list(writers)),
        )
