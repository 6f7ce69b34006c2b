"""A data science team's account: where its data scientists experiment and its feature branches run.

Studio runs in VPC-only mode in an internet-free VPC. Data scientists work on snapshots and on
governed, read-only links to the curated data of the data management account; their feature jobs
write to the team's experimentation Feature Store, which holds the catalog groups the team owns.
The tooling CI runs the team's feature-branch jobs here by assuming the runner role.

The pre-production account has the same shape without Studio users: the production pipeline runs
each merge's feature job there (every catalog group), before the leads approve it for production.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.accounts.execution import execution_role_args, job_execution_spec
from components.accounts.feature_jobs import FeatureJobs, FeatureJobsArgs
from components.accounts.foundation import AccountFoundation, AccountFoundationArgs, BucketSpec
from components.accounts.outputs import DatamgmtOutputs, DatasciOutputs, ToolingOutputs
from components.accounts.training import ModelTraining, ModelTrainingArgs
from components.accounts.workbench import feature_store_args, studio_domain_args
from components.athena import enforced_workgroup
from components.feature_store import FeatureStore
from components.iam import PlatformRole, Statements
from components.lake_formation import LakeFormationSettings, LakeFormationSettingsArgs
from components.studio import StudioDomain
from contracts import naming
from contracts.config import Settings
from contracts.feature_catalog import FeatureGroupSpec

#: The experimentation Feature Store's offline store (not a Lake Formation location here).
FEATURE_STORE_BUCKET = "feature-store"
SAGEMAKER = "sagemaker.amazonaws.com"


@dataclass(frozen=True)
class DatasciAccountArgs:
    settings: Settings
    #: The tooling stack's exports (artifact bucket and key, CI role), through a stack reference.
    tooling: ToolingOutputs
    #: The data management stack's exports (its account, whose shared databases are linked).
    datamgmt: DatamgmtOutputs
    #: The feature groups this account's Feature Store holds (a team's own; in pre-production, all).
    catalog: Sequence[FeatureGroupSpec]

    def __post_init__(self) -> None:
        if self.settings.role not in ("datasci", "preprod") or self.settings.network is None:
            raise ValueError(
                f"settings: role {self.settings.role!r}; expected the datasci or preprod settings with a network"
            )


class DatasciAccount(pulumi.ComponentResource):
    outputs: DatasciOutputs

    def __init__(self, name: str, args: DatasciAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:Datasci", name, None, opts)
        self._name = name
        self._settings = settings = args.settings
        ds = settings
        role_arn = partial(naming.role_arn, ds.partition, ds.account_id)
        foundation = AccountFoundation(
            name,
            AccountFoundationArgs(
                settings=ds,
                buckets={
                    # Copies of curated data that data scientists experiment on, never the governed originals.
                    naming.SNAPSHOTS_BUCKET: BucketSpec(
                        expire_after_days=ds.snapshot_retention_days if ds.role == "datasci" else None
                    ),
                    # The experimentation offline store, which the Feature Store writes from AWS's network.
                    FEATURE_STORE_BUCKET: BucketSpec(
                        outside_vpc_roles=[role_arn(naming.feature_store_role_name(ds.role))]
                    ),
                    # The CI's runner hands each job its flow from outside the VPC.
                    naming.FEATURE_JOBS_BUCKET: BucketSpec(
                        outside_vpc_roles=[role_arn(naming.runner_role_name(ds.target.role))]
                    ),
                    naming.TRAINING_BUCKET: BucketSpec(),
                },
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        network = foundation.network
        assert network is not None  # the args require datasci settings with a network
        # Reading the shared catalog (through the resource links) decrypts its metadata with the data
        # management account's key, which names these roles in its policy.
        shared_catalog = pulumi.Output.from_input(args.datamgmt.data_key_arn).apply(docs.key_decrypt)
        execution_role = self._create_execution_role(foundation, shared_catalog)
        # Training pipelines read the experimentation offline store directly (it is not a Lake
        # Formation location here) and the shared curated data through Lake Formation.
        offline_store = foundation.bucket_arn(FEATURE_STORE_BUCKET)
        training = ModelTraining(
            name,
            ModelTrainingArgs(
                settings=ds,
                foundation=foundation,
                role_name=naming.training_role_name(ds.target.role),
                catalog_accounts=[ds.account_id, ds.accounts.datamgmt],
                data=[
                    foundation.key.arn.apply(lambda key: docs.object_access(offline_store, key, "OfflineStore")),
                    shared_catalog,
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        readers = {"": execution_role, "-training": training.role}
        studio = StudioDomain(
            f"{name}-studio",
            studio_domain_args(ds, foundation, naming.STUDIO, execution_role),
            opts=pulumi.ResourceOptions(parent=self),
        )
        lake_formation = LakeFormationSettings(
            f"{name}-lake-formation",
            LakeFormationSettingsArgs(admins=ds.lake_formation_admins, read_only_admins=foundation.read_only_admins),
            opts=pulumi.ResourceOptions(parent=self),
        )
        governed = pulumi.ResourceOptions(parent=self, depends_on=[lake_formation.settings])
        feature_database = self._create_feature_database(readers, governed)
        self._link_shared_databases(args.datamgmt, readers, governed)
        if ds.role == "datasci":
            self._create_snapshots(foundation, execution_role, governed)
        store = FeatureStore(
            f"{name}-feature-store",
            feature_store_args(ds, foundation, args.catalog, FEATURE_STORE_BUCKET, feature_database.name),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[lake_formation.settings, feature_database]),
        )
        feature_jobs = FeatureJobs(
            name,
            FeatureJobsArgs(
                settings=ds,
                foundation=foundation,
                tooling=args.tooling,
                runner="feature-runner",
                description=(
                    f"Assumed by the tooling CI's {ds.target.pipeline} builds to run feature jobs"
                    + (" of the team's feature branches" if ds.role == "datasci" else " of merges, before approval")
                ),
                job_execution_role_arn=execution_role.arn,
                training=training,
                curated_database=naming.resource_link(naming.lake_database("curated")),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.outputs = DatasciOutputs(
            account_id=settings.account_id,
            data_key_arn=foundation.key.arn,
            access_log_bucket_name=foundation.access_logs.bucket,
            vpc_id=network.vpc_id,
            subnet_ids=network.subnet_ids,
            studio_domain_id=studio.domain_id,
            execution_role_arn=execution_role.arn,
            feature_runner_role_arn=feature_jobs.runner.arn,
            training_role_arn=training.role.arn,
            training_bucket_name=training.bucket_name,
            snapshot_bucket_name=foundation.buckets["snapshots"].bucket,
            feature_store_bucket_name=foundation.buckets[FEATURE_STORE_BUCKET].bucket,
            feature_group_names=store.feature_group_names,
        )
        self.register_outputs(self.outputs.exports())

    def _create_execution_role(
        self, foundation: AccountFoundation, shared_catalog: pulumi.Input[Statements]
    ) -> PlatformRole:
        """Studio's and its jobs' role; data scientists write snapshots, read the offline store, and
        query the lake with Athena in the account's workgroup (whose results it reads back); in a
        team's account, they also make snapshots (``ops snapshot``: Athena CTAS into the snapshot
        database, in its workgroup)."""
        s = self._settings
        bucket = foundation.bucket_arn
        workgroups = [naming.training_workgroup(s.role)]
        snapshots: list[pulumi.Input[Statements]] = []
        if s.role == "datasci":
            workgroups.append(naming.snapshot_workgroup(s.role))
            snapshots = [
                docs.glue_tables_write(s.partition, s.region, s.account_id, naming.SNAPSHOT_DATABASE, "GlueSnapshots"),
                docs.multipart_writes(bucket(naming.SNAPSHOTS_BUCKET), "SnapshotFiles"),
            ]
        spec = job_execution_spec(
            s,
            naming.job_execution_role_name(s.target.role),
            "Execution role of Studio and of the Data Wrangler and processing jobs it starts"
            if s.role == "datasci"
            else "Execution role of pre-production feature jobs",
            catalog_accounts=[s.account_id, s.accounts.datamgmt],
            data=[
                foundation.key.arn.apply(
                    lambda key: [
                        *docs.object_access(bucket(naming.SNAPSHOTS_BUCKET), key, "Snapshots", write=True),
                        *docs.object_access(bucket(FEATURE_STORE_BUCKET), key, "OfflineStore"),
                        *docs.object_access(
                            bucket(naming.TRAINING_BUCKET),
                            key,
                            "QueryResults",
                            write=True,
                            prefix=naming.ATHENA_RESULTS,
                        ),
                    ]
                ),
                docs.athena_queries(s.partition, s.region, s.account_id, *workgroups),
                *snapshots,
                shared_catalog,
            ],
        )
        assert foundation.network is not None
        return PlatformRole(
            f"{self._name}-studio-execution",
            execution_role_args(spec, s, foundation.network, foundation.key.arn),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_snapshots(
        self, foundation: AccountFoundation, execution_role: PlatformRole, governed: pulumi.ResourceOptions
    ) -> None:
        """Where ``ops snapshot`` copies curated tables: a database governed by Lake Formation (the
        Studio execution role creates its tables, reads them and records their provenance; dropping
        one is an admin's), and an Athena workgroup that enforces its result location and the
        account key, so the copies land under ``athena-results/tables/``. Their files expire with
        the bucket's objects (``snapshotRetentionDays``)."""
        s, name = self._settings, self._name
        snapshots = foundation.buckets[naming.SNAPSHOTS_BUCKET]
        enforced_workgroup(
            f"{name}-snapshots",
            naming.snapshot_workgroup(s.role),
            "Snapshots of curated data (ops snapshot): CTAS through the resource links",
            snapshots.bucket,
            naming.SNAPSHOT_RESULTS,
            foundation.key.arn,
            s.tags,
            pulumi.ResourceOptions(parent=self),
        )
        database = aws.glue.CatalogDatabase(
            f"{name}-snapshots-db",
            name=naming.SNAPSHOT_DATABASE,
            description="Snapshots of curated data, one table per copy, each expiring with its files",
            create_table_default_permissions=[],
            tags=s.tags,
            opts=pulumi.ResourceOptions.merge(governed, pulumi.ResourceOptions(protect=s.protect)),
        )
        aws.lakeformation.Permissions(
            f"{name}-snapshots-creator",
            principal=execution_role.arn,
            permissions=["CREATE_TABLE", "DESCRIBE"],
            database={"name": database.name},
            opts=governed,
        )
        aws.lakeformation.Permissions(
            f"{name}-snapshots-tables",
            principal=execution_role.arn,
            permissions=["SELECT", "DESCRIBE", "ALTER"],
            table={"database_name": database.name, "wildcard": True},
            opts=governed,
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
