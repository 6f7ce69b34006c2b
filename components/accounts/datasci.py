"""The data science account: where data scientists experiment and feature branches run.

Studio runs in VPC-only mode in an internet-free VPC. Data scientists work on snapshots and on
governed, read-only links to the curated data of the data management account; their feature jobs
write to the experimentation Feature Store. The tooling CI runs feature-branch jobs here by
assuming the runner role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.accounts.common import (
    ATHENA_RESULTS,
    FEATURE_JOBS_BUCKET,
    TRAINING_BUCKET,
    AccountBasics,
    account_basics,
    bucket_arn,
    data_bucket,
    feature_job_runner,
    feature_jobs_bucket,
    feature_store,
    feature_store_role_arn,
    job_execution_role,
    model_training,
    private_network,
    studio_domain,
)
from components.accounts.outputs import DatamgmtOutputs, DatasciOutputs, ToolingOutputs
from components.iam import PlatformRole, Statements
from components.lake_formation import LakeFormationSettings, LakeFormationSettingsArgs
from components.network import PrivateNetwork
from contracts import naming
from contracts.config import Settings
from contracts.feature_catalog import FeatureGroupSpec

SAGEMAKER = "sagemaker.amazonaws.com"


@dataclass(frozen=True)
class DatasciAccountArgs:
    settings: Settings
    #: The tooling stack's exports (artifact bucket and key, CI role), through a stack reference.
    tooling: ToolingOutputs
    #: The data management stack's exports (its account, whose shared databases are linked).
    datamgmt: DatamgmtOutputs
    #: The feature catalog: each group becomes an experimentation feature group here.
    catalog: Sequence[FeatureGroupSpec]

    def __post_init__(self) -> None:
        if self.settings.role != "datasci" or self.settings.network is None:
            raise ValueError(f"settings: role {self.settings.role!r}; expected the datasci settings with a network")


class DatasciAccount(pulumi.ComponentResource):
    outputs: DatasciOutputs

    def __init__(self, name: str, args: DatasciAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:Datasci", name, None, opts)
        self._name = name
        self._settings = settings = args.settings
        basics = account_basics(name, settings, self)
        network = private_network(
            name, settings, basics, ("snapshots", "feature-store", FEATURE_JOBS_BUCKET, TRAINING_BUCKET), self
        )

        # Copies of curated data that data scientists experiment on, never the governed originals.
        snapshots = data_bucket(name, "snapshots", settings, basics, self, vpc_endpoint_id=network.s3_endpoint_id)
        feature_bucket = data_bucket(
            name,
            "feature-store",
            settings,
            basics,
            self,
            vpc_endpoint_id=network.s3_endpoint_id,
            outside_vpc_roles=[feature_store_role_arn(settings)],
        )
        feature_jobs_bucket(name, settings, basics, network, naming.FEATURE_RUNNER_ROLE_NAME, self)
        # Reading the shared catalog (through the resource links) decrypts its metadata with the data
        # management account's key, which names these roles in its policy.
        shared_catalog = pulumi.Output.from_input(args.datamgmt.data_key_arn).apply(docs.key_decrypt)
        execution_role = self._create_execution_role(network, basics, shared_catalog)
        # Training pipelines read the experimentation offline store directly (it is not a Lake
        # Formation location here) and the shared curated data through Lake Formation.
        training = model_training(
            name,
            naming.DATASCI_TRAINING_ROLE_NAME,
            settings,
            basics,
            network,
            self,
            catalog_accounts=[settings.account_id, settings.accounts.datamgmt],
            data=[
                basics.key.arn.apply(
                    lambda key: docs.object_access(bucket_arn(settings, "feature-store"), key, "OfflineStore")
                ),
                shared_catalog,
            ],
        )
        readers = {"": execution_role, "-training": training.role}
        studio = studio_domain(name, "studio", settings, basics, network, execution_role, self)
        lake_formation = LakeFormationSettings(
            f"{name}-lake-formation",
            LakeFormationSettingsArgs(admins=settings.lake_formation_admins),
            opts=pulumi.ResourceOptions(parent=self),
        )
        governed = pulumi.ResourceOptions(parent=self, depends_on=[lake_formation.settings])
        feature_database = self._create_feature_database(readers, governed)
        self._link_shared_databases(args.datamgmt, readers, governed)
        store = feature_store(
            name,
            settings,
            basics,
            args.catalog,
            feature_bucket,
            "feature-store",
            feature_database,
            lake_formation,
            self,
        )
        runner = feature_job_runner(
            f"{name}-feature-runner",
            naming.FEATURE_RUNNER_ROLE_NAME,
            "Assumed by the tooling CI to run feature jobs of feature branches",
            settings,
            args.tooling,
            basics.key.arn,
            network,
            execution_role.arn,
            training,
            naming.resource_link(naming.lake_database("curated")),
            self,
        )
        self.outputs = DatasciOutputs(
            account_id=settings.account_id,
            data_key_arn=basics.key.arn,
            access_log_bucket_name=basics.access_logs.bucket,
            vpc_id=network.vpc_id,
            subnet_ids=network.subnet_ids,
            studio_domain_id=studio.domain_id,
            execution_role_arn=execution_role.arn,
            feature_runner_role_arn=runner.arn,
            training_role_arn=training.role.arn,
            training_bucket_name=training.bucket.bucket,
            snapshot_bucket_name=snapshots.bucket,
            feature_store_bucket_name=feature_bucket.bucket,
            feature_group_names=store.feature_group_names,
        )
        self.register_outputs(self.outputs.exports())

    def _create_execution_role(
        self, network: PrivateNetwork, basics: AccountBasics, shared_catalog: pulumi.Input[Statements]
    ) -> PlatformRole:
        """Studio's and its jobs' role; data scientists write snapshots, read the offline store, and
        query the lake with Athena in the account's workgroup (whose results it reads back)."""
        s = self._settings
        return job_execution_role(
            f"{self._name}-studio-execution",
            naming.DATASCI_EXECUTION_ROLE_NAME,
            "Execution role of Studio and of the Data Wrangler and processing jobs it starts",
            s,
            network,
            basics.key.arn,
            self,
            catalog_accounts=[s.account_id, s.accounts.datamgmt],
            data=[
                basics.key.arn.apply(
                    lambda key: [
                        *docs.object_access(bucket_arn(s, "snapshots"), key, "Snapshots", write=True),
                        *docs.object_access(bucket_arn(s, "feature-store"), key, "OfflineStore"),
                        *docs.object_access(
                            bucket_arn(s, TRAINING_BUCKET), key, "QueryResults", write=True, prefix=ATHENA_RESULTS
                        ),
                    ]
                ),
                docs.athena_queries(s.partition, s.region, s.account_id, naming.training_workgroup(s.role)),
                shared_catalog,
            ],
        )

    def _feature_database_name(self) -> str:
        return naming.lake_database(f"{self._settings.role}_feature_store")

    def _create_feature_database(
        self, readers: Mapping[str, PlatformRole], governed: pulumi.ResourceOptions
    ) -> aws.glue.CatalogDatabase:
        """The Glue database of the offline store's tables, governed by Lake Formation; data
        scientists and training pipelines (``readers``, by name suffix) read its tables."""
        name = self._name
        database = aws.glue.CatalogDatabase(
            f"{name}-feature-store-db",
            name=self._feature_database_name(),
            description="Offline store tables of the experimentation Feature Store",
            # No IAM_ALLOWED_PRINCIPALS grant on new tables: Lake Formation decides.
            create_table_default_permissions=[],
            tags=self._settings.tags,
            opts=pulumi.ResourceOptions.merge(governed, pulumi.ResourceOptions(protect=self._settings.protect)),
        )
        for suffix, reader in readers.items():
            aws.lakeformation.Permissions(
                f"{name}-feature-store-tables-reader{suffix}",
                principal=reader.arn,
                permissions=["SELECT", "DESCRIBE"],
                table={"database_name": database.name, "wildcard": True},
                opts=governed,
            )
        return database

    def _link_shared_databases(
        self, datamgmt: DatamgmtOutputs, readers: Mapping[str, PlatformRole], governed: pulumi.ResourceOptions
    ) -> None:
        """Resource links to the databases the data management account shares (through RAM) with
        this account, and read-only grants on them to the ``readers`` (by name suffix)."""
        s = self._settings
        for shared in naming.SHARED_LAKE_DATABASES:
            target = naming.lake_database(shared)
            link = aws.glue.CatalogDatabase(
                f"{self._name}-link-{shared}",
                name=naming.resource_link(target),
                description=f"Link to the shared {target} database of the data management account",
                target_database={"catalog_id": datamgmt.account_id, "database_name": target, "region": s.region},
                tags=s.tags,
                opts=governed,
            )
            for suffix, reader in readers.items():
                aws.lakeformation.Permissions(
                    f"{self._name}-link-{shared}-describe{suffix}",
                    principal=reader.arn,
                    permissions=["DESCRIBE"],
                    database={"name": link.name},
                    opts=governed,
                )
                aws.lakeformation.Permissions(
                    f"{self._name}-link-{shared}-select{suffix}",
                    principal=reader.arn,
                    permissions=["SELECT", "DESCRIBE"],
                    table={"catalog_id": datamgmt.account_id, "database_name": target, "wildcard": True},
                    opts=governed,
                )
