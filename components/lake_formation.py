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
    #: Roles that see every grant and setting but change nothing (the nightly audit's auditor):
    #: ListPermissions shows anyone else only the grants it may see itself.
    #: https://docs.aws.amazon.com/lake-formation/latest/dg/permissions-reference.html
    read_only_admins: Sequence[pulumi.Input[str]] = ()
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
            read_only_admins=list(args.read_only_admins),
            create_database_default_permissions=[],
            create_table_default_permissions=[],
            parameters=(
                {"CROSS_ACCOUNT_VERSION": str(args.cross_account_version)} if args.cross_account_version else None
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"admins": list(args.admins)})


def data_location_grant(
    name: str, principal: pulumi.Input[str], location_arn: pulumi.Input[str], opts: pulumi.ResourceOptions
) -> aws.lakeformation.Permissions:
    """DATA_LOCATION_ACCESS on exactly one registered location, for one principal: what a producer
    needs, besides CREATE_TABLE on the database, to create a table whose data lives there.
    https://docs.aws.amazon.com/lake-formation/latest/dg/access-control-underlying-data.html"""
    return aws.lakeformation.Permissions(
        name,
        principal=principal,
        permissions=["DATA_LOCATION_ACCESS"],
        data_location={"arn": location_arn},
        opts=opts,
    )


@dataclass(frozen=True)
class LakeLocationsArgs:
    #: Location name (its lake layer) to the S3 location (bucket ARN) Lake Formation governs.
    locations: Mapping[str, pulumi.Input[str]]
    #: The role Lake Formation reads and writes the locations with.
    data_access_role_arn: pulumi.Input[str]
    #: Location name to the producer roles that create tables over it (DATA_LOCATION_ACCESS on it alone).
    producers: Mapping[str, Sequence[pulumi.Input[str]]] = field(default_factory=dict)
    #: Location name to earlier names of its registration (a rename must not register it twice).
    aliases: Mapping[str, Sequence[pulumi.Input[pulumi.Alias]]] = field(default_factory=dict)
    #: What everything here waits for: the settings that make the deployer a Lake Formation admin.
    wait_for: Sequence[pulumi.Resource] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.producers) - set(self.locations))
        if unknown:
            raise ValueError(f"producers: {unknown} are not locations; expected some of {sorted(self.locations)}")


class LakeLocations(pulumi.ComponentResource):
    """The S3 locations Lake Formation governs, registered with the platform's own role, and the
    producers' location access. Tables over a location can be created only once it is registered
    and its producer holds access, so whatever creates them waits for ``ready``."""

    registrations: dict[str, aws.lakeformation.Resource]
    #: Location name to what a table creator over it waits for: its registration and producer grants.
    ready: dict[str, list[pulumi.Resource]]

    def __init__(self, name: str, args: LakeLocationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:lakeformation:LakeLocations", name, None, opts)
        waits = list(args.wait_for)
        self.registrations, self.ready = {}, {}
        for location, arn in args.locations.items():
            registration = aws.lakeformation.Resource(
                f"{name}-{location}",
                arn=arn,
                role_arn=args.data_access_role_arn,
                # The platform's own role, so its access is visible and least privilege, and Lake
                # Formation permissions only: no hybrid mode where IAM policies also open the data.
                use_service_linked_role=False,
                hybrid_access_enabled=False,
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=waits, aliases=list(args.aliases.get(location, ()))
                ),
            )
            granted = pulumi.ResourceOptions(parent=self, depends_on=[*waits, registration])
            grants = [
                data_location_grant(f"{name}-{location}-producer-{index}", producer, arn, granted)
                for index, producer in enumerate(args.producers.get(location, ()))
            ]
            self.registrations[location] = registration
            self.ready[location] = [registration, *grants]
        self.register_outputs({"locations": list(args.locations)})


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
    #: The grant's resource name suffix; "" names it by its place in the list (the older grants' names).
    name: str = ""

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
    """An LF-tag on a database, a table (``table``) or one of its columns (``column``)."""

    #: The Glue database's name (known up front: its tags must be grouped by catalog resource).
    database: str
    key: str
    value: str
    table: str | None = None
    column: str | None = None

    def __post_init__(self) -> None:
        if self.column and not self.table:
            raise ValueError(f"column: {self.column!r} without a table; expected the column's table")

    @property
    def resource(self) -> tuple[str, str | None, str | None]:
        """The catalog resource the tag is on: database, table, column."""
        return (self.database, self.table, self.column)


@dataclass(frozen=True)
class LakeGovernanceArgs:
    #: The LF-tag vocabulary: key to allowed values.
    tags: Mapping[str, Sequence[str]]
    #: Where the tags go.
    targets: Sequence[TagTarget]
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
        seen: dict[tuple[tuple[str, str | None, str | None], str], str] = {}
        for target in self.targets:
            earlier = seen.setdefault((target.resource, target.key), target.value)
            if earlier != target.value:
                raise ValueError(
                    f"targets: {target.key} is both {earlier} and {target.value} on {_describe(target.resource)}; "
                    "expected one value per tag key on a catalog resource"
                )
        for grant in self.grants:
            for key, values in grant.expression.items():
                if not set(values) <= set(self.tags.get(key, ())):
                    raise ValueError(f"grants: {key} in {list(values)} is not in the vocabulary; expected tags' values")


def _describe(resource: tuple[str, str | None, str | None]) -> str:
    database, table, column = resource
    return ".".join(part for part in (database, table, column) if part)


class LakeGovernance(pulumi.ComponentResource):
    """LF-tags, their assignments to the catalog, and the tag-based grants."""

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
        # Grants need the tags to exist; assignments also need the databases and tables they tag.
        granted = pulumi.ResourceOptions(parent=self, depends_on=[*waits, *tags])
        tagged = pulumi.ResourceOptions(parent=self, depends_on=[*waits, *tags, *args.targets_wait_for])
        # One assignment per catalog resource, holding all its tags: the provider reads back every
        # tag on the resource and replaces an assignment whose tags differ, so two assignments on
        # one resource would replace (and, deleting, strip) each other on every update
        # (terraform-provider-aws #36539).
        by_resource: dict[tuple[str, str | None, str | None], list[TagTarget]] = {}
        for target in args.targets:
            by_resource.setdefault(target.resource, []).append(target)
        for resource, targets in by_resource.items():
            self._assign(name, resource, targets, tagged)
        for index, grant in enumerate(args.grants):
            aws.lakeformation.Permissions(
                f"{name}-grant-{grant.name or index}",
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

    @staticmethod
    def _assign(
        name: str,
        resource: tuple[str, str | None, str | None],
        targets: Sequence[TagTarget],
        opts: pulumi.ResourceOptions,
    ) -> aws.lakeformation.ResourceLfTags:
        database, table, column = resource
        lf_tags: list[aws.lakeformation.ResourceLfTagsLfTagArgsDict] = [
            {"key": target.key, "value": target.value} for target in targets
        ]
        assignment = f"{name}-tags-{_describe(resource).replace('.', '-').replace('_', '-')}"
        if table and column:
            return aws.lakeformation.ResourceLfTags(
                assignment,
                table_with_columns={"database_name": database, "name": table, "column_names": [column]},
                lf_tags=lf_tags,
                opts=opts,
            )
        if table:
            return aws.lakeformation.ResourceLfTags(
                assignment, table={"database_name": database, "name": table}, lf_tags=lf_tags, opts=opts
            )
        return aws.lakeformation.ResourceLfTags(assignment, database={"name": database}, lf_tags=lf_tags, opts=opts)
