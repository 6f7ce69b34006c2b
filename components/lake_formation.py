"""Lake Formation in an account: its settings, and grants that name their resources."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class LakeFormationSettingsArgs:
    #: IAM role ARNs of the data lake administrators. The API replaces the whole settings object,
    #: so every admin must be listed here, the role that deploys this stack included; an admin added
    #: in the console is removed by the next deploy.
    admins: Sequence[str]
    #: Cross-account grant version; 4 shares through RAM by LF-tag and named resources. Only for an
    #: account that shares (a consumer account leaves it to the default).
    cross_account_version: int | None = None

    def __post_init__(self) -> None:
        if not self.admins:
            raise ValueError("admins: [] is empty; expected at least the role that deploys this stack")


class LakeFormationSettings(pulumi.ComponentResource):
    """Lake Formation, not IAM alone, governs new databases and tables.

    The default permissions are empty, so new databases and tables give ``IAM_ALLOWED_PRINCIPALS``
    nothing. Databases and tables created before keep the grant they were created with; revoke it
    on them, once, when adopting this component in an account that already has a catalog.
    """

    settings: aws.lakeformation.DataLakeSettings

    def __init__(self, name: str, args: LakeFormationSettingsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:lakeformation:LakeFormationSettings", name, None, opts)
        self.settings = aws.lakeformation.DataLakeSettings(
            f"{name}-settings",
            admins=list(args.admins),
            create_database_default_permissions=[],
            create_table_default_permissions=[],
            parameters=(
                {"CROSS_ACCOUNT_VERSION": str(args.cross_account_version)} if args.cross_account_version else None
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"admins": list(args.admins)})


@dataclass(frozen=True)
class TagGrant:
    """Permissions on every database or table whose LF-tags match an expression."""

    #: An IAM role ARN, or an account ID for a cross-account share through RAM.
    principal: pulumi.Input[str]
    permissions: Sequence[str]
    #: ``DATABASE`` or ``TABLE``.
    resource_type: str
    #: Tag key to the values it may take; keys are ANDed, values ORed.
    expression: Mapping[str, Sequence[str]]
    #: Permissions the principal may grant on (a consumer account's admin needs them to grant its roles).
    grantable: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.resource_type not in ("DATABASE", "TABLE"):
            raise ValueError(
                f"resource_type: {self.resource_type!r} is not a resource type; expected DATABASE or TABLE"
            )
        forbidden = {"ALL", "DATA_LOCATION_ACCESS"} & set(self.permissions)
        if forbidden:
            raise ValueError(
                f"permissions: {sorted(forbidden)} are too broad; expected named permissions such as SELECT"
            )


@dataclass(frozen=True)
class TagTarget:
    """An LF-tag on a database, a table (``table``) or some of its columns (``columns``)."""

    database: pulumi.Input[str]
    key: str
    value: str
    table: str | None = None
    columns: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.columns and not self.table:
            raise ValueError(f"columns: {list(self.columns)} without a table; expected the columns' table")


@dataclass(frozen=True)
class LakeGovernanceArgs:
    #: The LF-tag vocabulary: key to allowed values.
    tags: Mapping[str, Sequence[str]]
    #: Where the tags go.
    targets: Sequence[TagTarget]
    #: S3 locations (bucket ARNs) Lake Formation governs, and the role it reads and writes them with.
    locations: Sequence[pulumi.Input[str]]
    data_access_role_arn: pulumi.Input[str]
    grants: Sequence[TagGrant]
    #: What everything here waits for: the settings that make the deployer a Lake Formation admin.
    wait_for: Sequence[pulumi.Resource] = field(default_factory=list)
    #: What the tag assignments also wait for: the databases and tables they tag.
    targets_wait_for: Sequence[pulumi.Resource] = field(default_factory=list)

    def __post_init__(self) -> None:
        for target in self.targets:
            if target.value not in self.tags.get(target.key, ()):
                raise ValueError(
                    f"targets: {target.key}={target.value} is not in the vocabulary; expected a tag of tags"
                )
        for grant in self.grants:
            for key, values in grant.expression.items():
                if not set(values) <= set(self.tags.get(key, ())):
                    raise ValueError(f"grants: {key} in {list(values)} is not in the vocabulary; expected tags' values")


class LakeGovernance(pulumi.ComponentResource):
    """LF-tags, the locations Lake Formation governs, and the tag-based grants."""

    def __init__(self, name: str, args: LakeGovernanceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:lakeformation:LakeGovernance", name, None, opts)
        waits = list(args.wait_for)
        tags = [
            aws.lakeformation.LfTag(
                f"{name}-tag-{key}",
                key=key,
                values=list(values),
                opts=pulumi.ResourceOptions(parent=self, depends_on=waits),
            )
            for key, values in args.tags.items()
        ]
        for index, location in enumerate(args.locations):
            aws.lakeformation.Resource(
                f"{name}-location-{index}",
                arn=location,
                role_arn=args.data_access_role_arn,
                # The platform's own role, so its access is visible and least privilege, and Lake
                # Formation permissions only: no hybrid mode where IAM policies also open the data.
                use_service_linked_role=False,
                hybrid_access_enabled=False,
                opts=pulumi.ResourceOptions(parent=self, depends_on=waits),
            )
        # Grants need the tags to exist; assignments also need the databases and tables they tag.
        granted = pulumi.ResourceOptions(parent=self, depends_on=[*waits, *tags])
        tagged = pulumi.ResourceOptions(parent=self, depends_on=[*waits, *tags, *args.targets_wait_for])
        for index, target in enumerate(args.targets):
            lf_tag: aws.lakeformation.ResourceLfTagsLfTagArgsDict = {"key": target.key, "value": target.value}
            if target.columns and target.table:
                aws.lakeformation.ResourceLfTags(
                    f"{name}-assign-{index}",
                    table_with_columns={
                        "database_name": target.database,
                        "name": target.table,
                        "column_names": list(target.columns),
                    },
                    lf_tags=[lf_tag],
                    opts=tagged,
                )
            elif target.table:
                aws.lakeformation.ResourceLfTags(
                    f"{name}-assign-{index}",
                    table={"database_name": target.database, "name": target.table},
                    lf_tags=[lf_tag],
                    opts=tagged,
                )
            else:
                aws.lakeformation.ResourceLfTags(
                    f"{name}-assign-{index}", database={"name": target.database}, lf_tags=[lf_tag], opts=tagged
                )
        for index, grant in enumerate(args.grants):
            aws.lakeformation.Permissions(
                f"{name}-grant-{index}",
                principal=grant.principal,
                permissions=list(grant.permissions),
                permissions_with_grant_options=list(grant.grantable) or None,
                lf_tag_policy={
                    "resource_type": grant.resource_type,
                    "expressions": [{"key": key, "values": list(values)} for key, values in grant.expression.items()],
                },
                opts=granted,
            )
        self.register_outputs({"tagKeys": list(args.tags)})
