"""Feature groups from the feature catalog, with KMS-encrypted offline and online stores."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.feature_catalog import FeatureGroupSpec


@dataclass(frozen=True)
class FeatureStoreArgs:
    #: The catalog's feature groups (components/feature_catalog.load_catalog).
    specs: Sequence[FeatureGroupSpec]
    #: Bucket of the offline store; each group writes under ``offline-store/``.
    offline_bucket: pulumi.Input[str]
    #: Customer key for the offline store's objects and the online store.
    kms_key_arn: pulumi.Input[str]
    #: The role SageMaker assumes to write the offline store and create its Glue tables.
    role_arn: pulumi.Input[str]
    #: Glue database for the offline store's tables (governed by Lake Formation).
    glue_database: pulumi.Input[str]
    tags: Mapping[str, str] = field(default_factory=dict)
    #: A schema change to a feature group replaces it, and replacing deletes its records: protected
    #: groups make such a change fail at preview instead (add a new group, or unprotect knowingly).
    protect: bool = True


class FeatureStore(pulumi.ComponentResource):
    feature_group_names: list[str]

    def __init__(self, name: str, args: FeatureStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:featurestore:FeatureStore", name, None, opts)
        # A component's depends_on does not hold its children back; the groups must wait for what
        # the caller waits for (the grants that let SageMaker register their tables).
        waits_for = opts.depends_on if opts is not None else None
        groups = []
        for spec in args.specs:
            online: aws.sagemaker.FeatureGroupOnlineStoreConfigArgsDict = {
                "enable_online_store": spec.online_store,
            }
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
                    "table_name": spec.name.replace("-", "_"),
                },
                "table_format": "Iceberg",
            }
            definitions: list[aws.sagemaker.FeatureGroupFeatureDefinitionArgsDict] = [
                {"feature_name": feature.name, "feature_type": feature.type} for feature in spec.features
            ]
            group = aws.sagemaker.FeatureGroup(
                f"{name}-{spec.name}",
                feature_group_name=spec.name,
                description=spec.description,
                record_identifier_feature_name=spec.record_identifier,
                event_time_feature_name=spec.event_time,
                feature_definitions=definitions,
                role_arn=args.role_arn,
                offline_store_config=offline,
                online_store_config=online,
                tags={**args.tags, "mlops:classification": spec.classification, "mlops:owner": spec.owner},
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect, depends_on=waits_for),
            )
            groups.append(group)
        self.feature_group_names = [spec.name for spec in args.specs]
        self.register_outputs({"featureGroupNames": self.feature_group_names})
