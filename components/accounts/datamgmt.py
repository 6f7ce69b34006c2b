"""The data management account: the governed lake house and the production Feature Store.

Lake Formation governs every database and table with LF-tags; each data science team's account
(and pre-production's) receives, through RAM, read access to curated data and production features
that are not sensitive. Feature jobs that passed review run here, as the deploy role the tooling
CI's production builds assume, and write production features. Data scientists inspect them in a
read-only, VPC-only Studio.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import pulumi

from components import policy_documents as docs
from components.accounts.execution import execution_role_args, job_execution_spec
from components.accounts.feature_jobs import FeatureJobs, FeatureJobsArgs
from components.accounts.foundation import AccountFoundation, AccountFoundationArgs, BucketSpec
from components.accounts.outputs import DatamgmtOutputs, ToolingOutputs
from components.accounts.training import ModelTraining, ModelTrainingArgs
from components.accounts.workbench import feature_store_args, studio_domain_args
from components.catalog import GlueCatalog, GlueCatalogArgs
from components.feature_store import FeatureStore, offline_table_name
from components.iam import PlatformRole, PlatformRoleArgs, Statements
from components.lake_formation import (
    LakeFormationSettings,
    LakeFormationSettingsArgs,
    LakeGovernance,
    LakeGovernanceArgs,
    LakeLocations,
    LakeLocationsArgs,
    TagGrant,
    TagTarget,
)
from components.storage import EncryptedBucket
from components.studio import StudioDomain
from components.warehouse import WAREHOUSE_ENDPOINTS, Warehouse, WarehouseArgs
from contracts import naming
from contracts.config import FEATURES_DATABASE, Settings
from contracts.feature_catalog import FeatureGroupSpec

#: Role name suffixes: Lake Formation's data-access role and the data engineers' Glue job role.
DATA_ACCESS = "lake-data-access"
ENGINEERING = "data-engineering"
#: Only data that is not sensitive leaves the data engineers' hands.
SHAREABLE_CLASSIFICATIONS = ("public", "internal")
#: The lake layers data engineers' jobs own: they create and write these tables.
ENGINEERED_LAYERS = ("raw", "curated")
#: What data engineers' jobs do to the tables of the layers they own.
ENGINEER_TABLE_PERMISSIONS = ("SELECT", "INSERT", "DELETE", "DESCRIBE", "ALTER")
READ = ("SELECT", "DESCRIBE")
#: Lake Formation cross-account grants through RAM, by LF-tag and by named resource.
CROSS_ACCOUNT_VERSION = 4


@dataclass(frozen=True)
class DatamgmtAccountArgs:
    settings: Settings
    #: The tooling stack's exports (artifact bucket and key, CI role), through a stack reference.
    tooling: ToolingOutputs
    #: The feature catalog: each group becomes a production feature group here.
    catalog: Sequence[FeatureGroupSpec]

    def __post_init__(self) -> None:
        if self.settings.role != "datamgmt" or self.settings.network is None:
            raise ValueError(f"settings: role {self.settings.role!r}; expected the datamgmt settings with a network")


class DatamgmtAccount(pulumi.ComponentResource):
    outputs: DatamgmtOutputs

    def __init__(self, name: str, args: DatamgmtAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:Datamgmt", name, None, opts)
        self._name = name
        self._settings = s = args.settings
        roles = s.cross_account_roles
        # Lake database (short name) to its bucket's purpose; the Feature Store's offline store is one.
        layers = {database: database.replace("_", "-") for database in (*s.lake.databases, FEATURES_DATABASE)}
        role_arn = partial(naming.role_arn, s.partition, s.account_id)
        # These reach the lake from AWS's network: Lake Formation's credential vending (as the
        # data-access role), Glue jobs, and the Feature Store writing its offline store.
        lake_readers = BucketSpec(
            outside_vpc_roles=[
                role_arn(naming.physical_name(s.role, DATA_ACCESS)),
                role_arn(naming.physical_name(s.role, ENGINEERING)),
                role_arn(naming.feature_store_role_name(s.role)),
            ]
        )
        foundation = AccountFoundation(
            name,
            AccountFoundationArgs(
                settings=s,
                buckets={
                    **{purpose: lake_readers for purpose in layers.values()},
                    # The CI's deployer hands each job its flow from outside the VPC.
                    naming.FEATURE_JOBS_BUCKET: BucketSpec(
                        outside_vpc_roles=[role_arn(naming.runner_role_name("datamgmt"))]
                    ),
                    naming.TRAINING_BUCKET: BucketSpec(),
                },
                # The catalog is encrypted with this key, so the roles of the teams' (and pre-production's)
                # accounts that read the shared catalog (jobs', Studio's, training's) decrypt its metadata.
                decrypt_roles=roles.catalog_readers,
                # Studio's clients ask Redshift Serverless for database credentials from inside the VPC.
                extra_endpoints=WAREHOUSE_ENDPOINTS,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        network = foundation.network
        assert network is not None  # the args require datamgmt settings with a network
        buckets = {database: foundation.buckets[purpose] for database, purpose in layers.items()}
        data_access = self._create_data_access_role(foundation, [foundation.bucket_arn(p) for p in layers.values()])
        engineering = self._create_engineering_role(foundation)
        lake_formation = LakeFormationSettings(
            f"{name}-lake-formation",
            LakeFormationSettingsArgs(
                admins=s.lake_formation_admins,
                cross_account_version=CROSS_ACCOUNT_VERSION,
                read_only_admins=foundation.read_only_admins,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        catalog = GlueCatalog(
            f"{name}-catalog",
            GlueCatalogArgs(
                databases={
                    naming.lake_database(database): pulumi.Output.concat("s3://", bucket.bucket, "/")
                    for database, bucket in buckets.items()
                },
                kms_key_arn=foundation.key.arn,
                security_configuration_name=naming.physical_name(s.role, "glue"),
                tags=s.tags,
                protect=s.protect,
                wait_for=(lake_formation.settings,),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        locations = self._register_locations(buckets, data_access, engineering, lake_formation)
        feature_database = catalog.databases[naming.lake_database(FEATURES_DATABASE)]
        store = FeatureStore(
            f"{name}-feature-store",
            feature_store_args(
                s, foundation, args.catalog, layers[FEATURES_DATABASE], feature_database.name, registered=True
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[lake_formation.settings, feature_database, *locations.ready[FEATURES_DATABASE]],
            ),
        )
        curated = foundation.bucket_arn(layers["curated"])
        job_execution = PlatformRole(
            f"{name}-job-execution",
            execution_role_args(
                job_execution_spec(
                    s,
                    naming.job_execution_role_name("datamgmt"),
                    "Execution role of production feature jobs: reads curated data, writes production features",
                    catalog_accounts=[s.account_id],
                    # The job's inputs are curated objects, read from the VPC through the S3 endpoint.
                    data=[foundation.key.arn.apply(lambda key: docs.object_access(curated, key, "Curated"))],
                ),
                s,
                network,
                foundation.key.arn,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Training pipelines read curated labels and production features through Lake Formation.
        training = ModelTraining(
            name,
            ModelTrainingArgs(
                settings=s,
                foundation=foundation,
                role_name=naming.training_role_name("datamgmt"),
                catalog_accounts=[s.account_id],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        warehouse = Warehouse(
            f"{name}-warehouse",
            WarehouseArgs(
                namespace_name=naming.physical_name(s.role, "warehouse"),
                vpc_id=network.vpc_id,
                subnet_ids=network.subnet_ids,
                client_security_group_id=network.studio_security_group_id,
                s3_prefix_list_id=network.s3_prefix_list_id,
                kms_key_arn=foundation.key.arn,
                iam_role_arn=self._create_warehouse_role(foundation).arn,
                base_capacity=s.redshift_base_capacity,
                tags=s.tags,
                protect=s.protect,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        readonly = self._create_readonly_role(foundation, warehouse.workgroup_arn)
        studio = StudioDomain(
            f"{name}-studio",
            studio_domain_args(s, foundation, naming.STUDIO_READONLY, readonly),
            opts=pulumi.ResourceOptions(parent=self),
        )
        LakeGovernance(
            f"{name}-governance",
            LakeGovernanceArgs(
                tags=s.lake.tags,
                targets=self._tag_targets(args.catalog),
                grants=self._grants(engineering.arn, job_execution.arn, readonly.arn, training.role.arn),
                wait_for=[lake_formation.settings],
                targets_wait_for=[catalog, store],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        feature_jobs = FeatureJobs(
            name,
            FeatureJobsArgs(
                settings=s,
                foundation=foundation,
                tooling=args.tooling,
                runner="feature-deployer",
                description="Assumed by the tooling CI's production builds to run feature jobs after review",
                job_execution_role_arn=job_execution.arn,
                training=training,
                curated_database=naming.lake_database("curated"),
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.outputs = DatamgmtOutputs(
            account_id=s.account_id,
            data_key_arn=foundation.key.arn,
            access_log_bucket_name=foundation.access_logs.bucket,
            vpc_id=network.vpc_id,
            subnet_ids=network.subnet_ids,
            shared_database_names=[naming.lake_database(database) for database in naming.SHARED_LAKE_DATABASES],
            lake_bucket_names=pulumi.Output.all(**{db: bucket.bucket for db, bucket in buckets.items()}),
            glue_security_configuration_name=catalog.security_configuration_name,
            feature_group_names=store.feature_group_names,
            feature_deployer_role_arn=feature_jobs.runner.arn,
            job_execution_role_arn=job_execution.arn,
            training_role_arn=training.role.arn,
            training_bucket_name=training.bucket_name,
            studio_domain_id=studio.domain_id,
            readonly_role_arn=readonly.arn,
            redshift_workgroup_name=warehouse.workgroup_name,
        )
        self.register_outputs(self.outputs.exports())

    def _register_locations(
        self,
        buckets: Mapping[str, EncryptedBucket],
        data_access: PlatformRole,
        engineering: PlatformRole,
        lake_formation: LakeFormationSettings,
    ) -> LakeLocations:
        """Every lake bucket is a Lake Formation location; the data engineers' jobs create the raw
        and curated tables over theirs (the Feature Store's role gets its own, see FeatureStore)."""
        name = self._name
        # The registrations were children of the governance component, by index, before they
        # moved here: the aliases keep them from being registered a second time (which fails).
        governance = pulumi.create_urn(f"{name}-governance", "mlops:lakeformation:LakeGovernance", parent=self)
        return LakeLocations(
            f"{name}-locations",
            LakeLocationsArgs(
                locations={database: bucket.arn for database, bucket in buckets.items()},
                data_access_role_arn=data_access.arn,
                producers={layer: [engineering.arn] for layer in ENGINEERED_LAYERS},
                aliases={
                    database: [pulumi.Alias(name=f"{name}-governance-location-{index}", parent=governance)]
                    for index, database in enumerate(buckets)
                },
                wait_for=[lake_formation.settings],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _role(
        self, suffix: str, description: str, service: str, statements: Sequence[pulumi.Input[Statements]]
    ) -> PlatformRole:
        s = self._settings
        return PlatformRole(
            f"{self._name}-{suffix}",
            PlatformRoleArgs(
                role_name=naming.physical_name(s.role, suffix),
                description=description,
                trust_policy=docs.service_trust([service], s.account_id),
                statements=statements,
                tags=s.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_data_access_role(self, foundation: AccountFoundation, lake_arns: Sequence[str]) -> PlatformRole:
        """The role Lake Formation reads and writes the registered locations with, instead of the
        service-linked role: its access is visible here and limited to the lake buckets."""
        return self._role(
            DATA_ACCESS,
            "Assumed by Lake Formation to reach the lake's registered locations",
            "lakeformation.amazonaws.com",
            [
                foundation.key.arn.apply(
                    lambda key: [
                        statement
                        for index, arn in enumerate(lake_arns)
                        for statement in docs.object_access(arn, key, f"Lake{index}", write=True)
                    ]
                )
            ],
        )

    def _create_engineering_role(self, foundation: AccountFoundation) -> PlatformRole:
        """The role of the data engineers' Glue jobs: raw and curated, nothing else."""
        s = self._settings
        p, region, account = s.partition, s.region, s.account_id
        return self._role(
            ENGINEERING,
            "Data engineers' Glue jobs: read raw, write curated",
            "glue.amazonaws.com",
            [
                foundation.key.arn.apply(
                    lambda key: [
                        *docs.object_access(foundation.bucket_arn("raw"), key, "Raw", write=True),
                        *docs.object_access(foundation.bucket_arn("curated"), key, "Curated", write=True),
                    ]
                ),
                docs.glue_tables_write(p, region, account, naming.lake_database("raw"), "GlueRawTables"),
                docs.glue_tables_write(p, region, account, naming.lake_database("curated"), "GlueCuratedTables"),
                docs.lake_formation_data_access(),
                docs.write_logs(p, region, account, "/aws-glue/"),
            ],
        )

    def _create_readonly_role(self, foundation: AccountFoundation, workgroup_arn: pulumi.Output[str]) -> PlatformRole:
        """Studio's role here: read production features and non-sensitive curated data, and query
        the warehouse; no write."""
        s = self._settings
        p, region, account = s.partition, s.region, s.account_id
        return self._role(
            naming.STUDIO_READONLY,
            "Execution role of the read-only Studio: inspect production features",
            "sagemaker.amazonaws.com",
            [
                docs.feature_store_records(p, region, account, write=False),
                docs.glue_catalog_read(p, region, [account]),
                foundation.key.arn.apply(docs.key_decrypt),
                workgroup_arn.apply(docs.redshift_credentials),
                *([docs.package_mirror_read(s.package_mirror, p)] if s.package_mirror else []),
            ],
        )

    def _create_warehouse_role(self, foundation: AccountFoundation) -> PlatformRole:
        """The role Redshift assumes for COPY and UNLOAD: read curated data and production features."""
        return self._role(
            "warehouse",
            "Assumed by Redshift Serverless to load curated data and features",
            "redshift.amazonaws.com",
            [
                foundation.key.arn.apply(
                    lambda key: [
                        *docs.object_access(foundation.bucket_arn("curated"), key, "Curated"),
                        *docs.object_access(foundation.bucket_arn(FEATURES_DATABASE), key, "Features"),
                    ]
                )
            ],
        )

    def _tag_targets(self, specs: Sequence[FeatureGroupSpec]) -> list[TagTarget]:
        """Where the LF-tags go: as configured, plus the Feature Store's database and its tables,
        each table with the classification its catalog spec gives."""
        s = self._settings
        targets = [
            TagTarget(
                database=naming.lake_database(a.database), key=a.key, value=a.value, table=a.table, column=a.column
            )
            for a in s.lake.assignments
        ]
        features = naming.lake_database(FEATURES_DATABASE)
        targets += [
            TagTarget(database=features, key="layer", value=FEATURES_DATABASE),
            TagTarget(database=features, key="classification", value="internal"),
        ]
        targets += [
            TagTarget(
                database=features, key="classification", value=spec.classification, table=offline_table_name(spec)
            )
            for spec in specs
        ]
        return targets

    def _grants(
        self,
        engineering: pulumi.Output[str],
        job_execution: pulumi.Output[str],
        readonly: pulumi.Output[str],
        training: pulumi.Output[str],
    ) -> list[TagGrant]:
        """Tag-based grants. Each consumer account (every team's, pre-production's) gets curated data
        and features that are not sensitive, by account (RAM), with the grant option its admin needs
        to grant its own roles; with a team tag, a team's curated data is what carries its name.
        Training pipelines read the same (labels are curated data), never sensitive columns."""
        owned = {"layer": ENGINEERED_LAYERS}
        shared: Mapping[str, Sequence[str]] = {
            "layer": ("curated", FEATURES_DATABASE),
            "classification": SHAREABLE_CLASSIFICATIONS,
        }
        curated = {"layer": ("curated",), "classification": SHAREABLE_CLASSIFICATIONS}
        first, *others = self._settings.cross_account_roles.of_role("datasci", "preprod")
        # The first team's grants keep the places (so the resource names) they had before there were teams.
        first_grants = self._account_grants(first, first=True)
        return [
            TagGrant(engineering, ENGINEER_TABLE_PERMISSIONS, "TABLE", owned),
            TagGrant(engineering, ("CREATE_TABLE", "DESCRIBE"), "DATABASE", owned),
            *first_grants[:2],
            TagGrant(readonly, READ, "TABLE", shared),
            TagGrant(readonly, ("DESCRIBE",), "DATABASE", shared),
            TagGrant(job_execution, READ, "TABLE", curated),
            TagGrant(job_execution, ("DESCRIBE",), "DATABASE", curated),
            TagGrant(training, READ, "TABLE", shared),
            TagGrant(training, ("DESCRIBE",), "DATABASE", shared),
            *first_grants[2:],
            *(grant for consumer in others for grant in self._account_grants(consumer)),
        ]

    def _account_grants(self, consumer: naming.Target, first: bool = False) -> list[TagGrant]:
        """A consumer account's grants, with the grant option its admin needs to grant its own roles:
        curated data and production features that are not sensitive. With a team tag, a team's
        curated data is the tables tagged with its name (pre-production reads all of it)."""
        team_tag = self._settings.team_tag if consumer.role == "datasci" else ""
        features_only = {"layer": (FEATURES_DATABASE,), "classification": SHAREABLE_CLASSIFICATIONS}
        expressions: list[tuple[str, Mapping[str, Sequence[str]]]] = (
            [
                ("", features_only),
                ("curated-", {**features_only, "layer": ("curated",), team_tag: (consumer.pipeline,)}),
            ]
            if team_tag
            else [("", {"layer": ("curated", FEATURES_DATABASE), "classification": SHAREABLE_CLASSIFICATIONS})]
        )
        grants = []
        for part, expression in expressions:
            named = not first or bool(part)
            # A database holds one value per tag key, so the team tag narrows tables, not databases.
            database = {key: values for key, values in expression.items() if key != team_tag}
            for permissions, resource_type, kind, matching in (
                (READ, "TABLE", "tables", expression),
                (("DESCRIBE",), "DATABASE", "databases", database),
            ):
                grants.append(
                    TagGrant(
                        consumer.account_id,
                        permissions,
                        resource_type,
                        matching,
                        grantable=permissions,
                        name=f"{consumer.stack}-{part}{kind}" if named else "",
                    )
                )
        return grants
