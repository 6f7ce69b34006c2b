"""The platform's configuration: typed, frozen settings, loaded and validated once per program run.

``Pulumi.yaml`` declares every key with its type, description and default; this module checks what
each value means (account IDs, CIDRs, people, tags) and stops the program with one line naming the
key, the bad value and the expected form, before any resource is registered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, cast

from contracts import InputError, cidr, naming, sagemaker_images
from contracts.audit import check_schedule
from contracts.branches import glob_matches
from contracts.endpoints import PACKAGE_MIRROR_ENDPOINTS, REQUIRED_INTERFACE_ENDPOINTS
from contracts.feature_catalog import FeatureGroupSpec, owned_by
from contracts.naming import ACCOUNT_ROLES, AccountRole
from contracts.package_mirror import PackageMirror, platform_mirror
from contracts.regions import REGIONS

PROJECT = "mlops-feature-platform"

#: Every project key, each declared with its type and default in Pulumi.yaml.
KEYS = (
    "accountRole",
    "toolingAccountId",
    "datamgmtAccountId",
    "dataScienceTeams",
    "dataScienceTeam",
    "preprodAccountId",
    "teamTag",
    "toolingStack",
    "datamgmtStack",
    "vpcCidr",
    "availabilityZones",
    "subnetPrefixLength",
    "subnetCidrs",
    "interfaceEndpoints",
    "lakeFormationAdmins",
    "studioIdleTimeoutMinutes",
    "lakeDatabases",
    "lfTags",
    "lfTagAssignments",
    "redshiftBaseCapacity",
    "sourceProvider",
    "sourceRepository",
    "productionBranch",
    "featureBranchPattern",
    "dataScientists",
    "dataEngineers",
    "leadDataEngineer",
    "featureCatalogDir",
    "logRetentionDays",
    "noncurrentVersionDays",
    "packageMirror",
    "packageUpstreams",
    "snapshotRetentionDays",
    "auditSchedule",
    "protectResources",
    "extraTags",
)

#: Roles that own a private VPC (Studio, Redshift).
NETWORK_ROLES: tuple[AccountRole, ...] = ("datasci", "datamgmt", "preprod")
#: Keys earlier versions had, and what replaced them: named in the error instead of "unknown key".
REPLACED_KEYS = {
    "datasciAccountId": "dataScienceTeams (the first team's account)",
    "leadDataScientist": "dataScienceTeams (each team's leads)",
}
#: The values CloudWatch Logs accepts for a retention period.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
#: Environment variables that carry the commit being deployed, in order of preference.
GIT_REVISION_VARIABLES = ("GIT_COMMIT", "CODEBUILD_RESOLVED_SOURCE_VERSION", "GITHUB_SHA")

_ACCOUNT_ID = re.compile(r"\d{12}")
_STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")
_GIT_REVISION = re.compile(r"[0-9a-f]{7,40}")


class ConfigError(InputError):
    """Bad configuration, with a one-line message: the key, the bad value and the expected form."""


@dataclass(frozen=True)
class Team:
    """A data science team: its own account, stack, Studio, feature branches and experimentation
    Feature Store, reading the shared lake and publishing to the shared production Feature Store."""

    name: str
    account_id: str
    #: E-mails of the team's leads: they approve production runs, with the lead data engineer.
    leads: tuple[str, ...]
    #: The first team keeps the ``datasci`` stack (and the ``featureBranchPattern`` branches).
    first: bool

    @property
    def stack(self) -> str:
        return naming.datasci_stack(self.name, self.first)

    @property
    def branches(self) -> str:
        """The team's feature branches (CodePipeline glob: ``**`` crosses ``/``)."""
        return f"feature/{self.name}/**"


@dataclass(frozen=True)
class Accounts:
    tooling: str
    datamgmt: str
    #: Every data science team, the first one first.
    teams: tuple[Team, ...]
    #: The pre-production account, where one is configured.
    preprod: str | None

    def team(self, name: str) -> Team:
        (found,) = [team for team in self.teams if team.name == name]
        return found

    @property
    def team_names(self) -> list[str]:
        return [team.name for team in self.teams]

    def targets(self, partition: str) -> tuple[naming.Target, ...]:
        """Every account feature jobs run in: each team's, pre-production's, data management's."""
        teams = tuple(naming.Target("datasci", t.account_id, t.stack, t.name, partition) for t in self.teams)
        preprod = (
            (naming.Target("preprod", self.preprod, naming.PREPROD_STACK, naming.PRODUCTION, partition),)
            if self.preprod
            else ()
        )
        return (*teams, *preprod, naming.Target("datamgmt", self.datamgmt, "datamgmt", naming.PRODUCTION, partition))


@dataclass(frozen=True)
class StackReferences:
    """Fully qualified names of the upstream stacks."""

    tooling: str
    datamgmt: str


@dataclass(frozen=True)
class Network:
    vpc_cidr: str
    availability_zones: tuple[str, ...]
    #: One private subnet per availability zone, in the same order.
    subnet_cidrs: tuple[str, ...]
    #: Short names of the interface endpoints (contracts/endpoints.endpoint_service_name).
    interface_endpoints: tuple[str, ...]


@dataclass(frozen=True)
class TagAssignment:
    """One LF-tag on a database, a table or a column of the data management catalog."""

    database: str
    table: str | None
    column: str | None
    key: str
    value: str


@dataclass(frozen=True)
class LakeHouse:
    #: Short names of the lake databases (``raw``, ``curated``, ...); ``features`` is the Feature Store's.
    databases: tuple[str, ...]
    #: The LF-tag vocabulary: each key with its allowed values.
    tags: Mapping[str, tuple[str, ...]]
    assignments: tuple[TagAssignment, ...]


@dataclass(frozen=True)
class People:
    data_scientists: tuple[str, ...]
    data_engineers: tuple[str, ...]
    lead_data_engineer: str


@dataclass(frozen=True)
class Source:
    """Where the platform's repository lives and which branches run which pipeline."""

    provider: Literal["github", "codecommit"]
    #: ``owner/name`` on GitHub, a repository name on CodeCommit.
    repository: str
    production_branch: str
    feature_branch_pattern: str


@dataclass(frozen=True)
class Settings:
    project: str
    stack: str
    role: AccountRole
    region: str
    accounts: Accounts
    stack_references: StackReferences
    #: None for the tooling account, which has no VPC.
    network: Network | None
    people: People
    #: The data science team this stack deploys (datasci stacks only).
    team: Team | None
    #: The LF-tag key whose values are team names, narrowing which curated tables a team sees; "" for none.
    team_tag: str
    #: Lake Formation admins (IAM role ARNs of this account); empty for the tooling account.
    lake_formation_admins: tuple[str, ...]
    studio_idle_timeout_minutes: int
    lake: LakeHouse
    #: Redshift Serverless base capacity in RPUs.
    redshift_base_capacity: int
    source: Source
    feature_catalog_dir: Path
    log_retention_days: int
    #: Days a bucket keeps an object's earlier versions after it is overwritten or deleted.
    noncurrent_version_days: int
    #: The CodeArtifact mirror Studio and the jobs install packages from; None with ``packageMirror: none``.
    package_mirror: PackageMirror | None
    #: The mirror's external connections (``public:pypi``), each a ``<name>-store`` repository.
    package_upstreams: tuple[str, ...]
    #: Days a snapshot of curated data lives in the data science account.
    snapshot_retention_days: int
    #: When the tooling account audits every account (an EventBridge schedule expression, UTC).
    audit_schedule: str
    protect: bool
    extra_tags: Mapping[str, str]
    git_revision: str | None

    @property
    def account_id(self) -> str:
        return _account_of(self.role, self.accounts, self.team)

    @property
    def partition(self) -> str:
        return naming.partition(self.region)

    @property
    def cross_account_roles(self) -> naming.CrossAccountRoles:
        return naming.CrossAccountRoles(self.accounts.tooling, self.accounts.targets(self.partition), self.partition)

    @property
    def target(self) -> naming.Target:
        """This stack's account as a target of feature jobs (not for tooling)."""
        stack = self.team.stack if self.team else self.role
        return self.cross_account_roles.target(stack)

    @property
    def tags(self) -> dict[str, str]:
        return naming.common_tags(self.project, self.role, self.stack, self.git_revision, self.extra_tags)

    def held_groups(self, catalog: Sequence[FeatureGroupSpec]) -> tuple[FeatureGroupSpec, ...]:
        """The catalog groups this stack's Feature Store holds: a team's, its own; any other, all of them
        (a CatalogError names a group whose team is not one of the teams)."""
        return owned_by(catalog, self.accounts.team_names, self.team.name if self.team else None)

    @property
    def approvers(self) -> tuple[str, ...]:
        """Who approves production runs: every team's leads and the lead data engineer, each once."""
        leads = (lead for team in self.accounts.teams for lead in team.leads)
        return tuple(dict.fromkeys((*leads, self.people.lead_data_engineer)))


def _account_of(role: AccountRole, accounts: Accounts, team: Team | None) -> str:
    if role == "datasci":
        assert team is not None, "a datasci stack has a team"
        return team.account_id
    if role == "preprod":
        assert accounts.preprod is not None, "a preprod stack has a preprod account"
        return accounts.preprod
    return accounts.tooling if role == "tooling" else accounts.datamgmt


def parse(
    raw: Mapping[str, str], *, project: str, stack: str, project_dir: Path, environ: Mapping[str, str]
) -> Settings:
    """Validate a raw configuration map (keys ``namespace:key``, values as Pulumi passes them)."""
    reader = _Reader(raw, project)
    reader.reject_unknown_keys()

    role = reader.account_role("accountRole", ACCOUNT_ROLES)
    accounts = _accounts(reader)
    team = _team(reader, role, accounts)
    if role == "preprod" and accounts.preprod is None:
        reader.fail("preprodAccountId", "", "is not set, but this is the preprod stack", "a 12-digit account ID")
    account_id = _account_of(role, accounts, team)
    reader.allowed_account_ids(role, account_id)
    region = reader.region()
    people = _people(reader, team)
    lake = _lake_house(reader)
    studio_users = len(people.data_scientists) if role in ("datasci", "datamgmt") else 0
    network = _network(reader, role, region, studio_users)
    package_mirror = _package_mirror(reader, accounts.tooling, region)
    if network is not None and package_mirror is not None:
        missing = [e for e in PACKAGE_MIRROR_ENDPOINTS if e not in network.interface_endpoints]
        if missing:
            reader.fail(
                "interfaceEndpoints",
                network.interface_endpoints,
                f"lacks {', '.join(missing)}, which pip needs to reach the package mirror",
                f"a list holding {', '.join(PACKAGE_MIRROR_ENDPOINTS)}, or packageMirror: none",
            )
    return Settings(
        project=project,
        stack=stack,
        role=role,
        region=region,
        accounts=accounts,
        stack_references=StackReferences(
            tooling=reader.stack_name("toolingStack"), datamgmt=reader.stack_name("datamgmtStack")
        ),
        network=network,
        people=people,
        team=team,
        team_tag=_team_tag(reader, lake, accounts.teams),
        lake_formation_admins=_lake_formation_admins(reader, role, naming.partition(region), account_id),
        studio_idle_timeout_minutes=reader.integer("studioIdleTimeoutMinutes", minimum=60, maximum=525600),
        lake=lake,
        redshift_base_capacity=_redshift_capacity(reader),
        source=_source(reader, accounts.teams),
        feature_catalog_dir=reader.folder("featureCatalogDir", project_dir),
        log_retention_days=reader.log_retention("logRetentionDays", LOG_RETENTION_DAYS),
        noncurrent_version_days=reader.integer("noncurrentVersionDays", minimum=1, maximum=3650),
        package_mirror=package_mirror,
        package_upstreams=_package_upstreams(reader),
        snapshot_retention_days=reader.integer("snapshotRetentionDays", minimum=1, maximum=3650),
        audit_schedule=reader.wrap("auditSchedule", None, lambda: check_schedule(reader.string("auditSchedule"))),
        protect=reader.boolean("protectResources"),
        extra_tags=MappingProxyType(reader.tags("extraTags")),
        git_revision=_git_revision(environ),
    )


_TEAM = re.compile(r"(?P<name>[^:\s]+)\s*:\s*(?P<account>\S+)\s+(?P<leads>\S.*)")
#: A team name is a stack suffix, a branch folder, a pipeline and role name part and an LF-tag value.
_TEAM_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
TEAM_NAME_LENGTH = 20
#: Names of the tooling build roles that are not teams'.
RESERVED_TEAM_NAMES = (naming.PRODUCTION, naming.CHECKS)
TEAM_FORM = "TEAM: ACCOUNT_ID LEAD[, LEAD] such as analytics: 222222222222 alice@example.com"


def _accounts(reader: _Reader) -> Accounts:
    tooling = reader.account_id("toolingAccountId")
    datamgmt = reader.account_id("datamgmtAccountId")
    preprod = reader.optional_account_id("preprodAccountId")
    owners = {tooling: "toolingAccountId", datamgmt: "datamgmtAccountId"}
    if datamgmt == tooling:
        reader.fail("datamgmtAccountId", datamgmt, "is also the tooling account", "an account of its own")
    if preprod is not None:
        if preprod in owners:
            reader.fail("preprodAccountId", preprod, f"is also {owners[preprod]}", "an account of its own")
        owners[preprod] = "preprodAccountId"
    items = reader.string_list("dataScienceTeams", example='["analytics: 222222222222 alice@example.com"]')
    if not items:
        reader.fail("dataScienceTeams", items, "is empty", f"at least one team, each {TEAM_FORM}")
    teams: list[Team] = []
    for index, item in enumerate(items):
        match = _TEAM.fullmatch(item)
        if match is None:
            return cast(Accounts, reader.fail("dataScienceTeams", item, "is not a team", TEAM_FORM))
        name, account = match["name"], match["account"]
        if not _TEAM_NAME.fullmatch(name) or len(name) > TEAM_NAME_LENGTH or name in RESERVED_TEAM_NAMES:
            reader.fail(
                "dataScienceTeams",
                item,
                f"names the team {name!r}, which is not a valid stack suffix",
                f"up to {TEAM_NAME_LENGTH} lowercase letters, digits and single hyphens, starting with a letter "
                f"(not {' or '.join(RESERVED_TEAM_NAMES)}), such as fraud-detection",
            )
        if any(team.name == name for team in teams):
            reader.fail("dataScienceTeams", item, f"repeats the team {name!r}", "each team once")
        if not _ACCOUNT_ID.fullmatch(account):
            reader.fail("dataScienceTeams", item, f"gives {account!r}, which is not an AWS account ID", TEAM_FORM)
        if account in owners:
            reader.fail("dataScienceTeams", item, f"uses {account}, which is {owners[account]}", "an account per team")
        owners[account] = f"the {name} team's account"
        leads = tuple(lead.strip() for lead in match["leads"].split(","))
        for lead in leads:
            if not _EMAIL.fullmatch(lead):
                reader.fail("dataScienceTeams", item, f"gives the lead {lead!r}, which is not an e-mail", TEAM_FORM)
        teams.append(Team(name=name, account_id=account, leads=leads, first=index == 0))
    return Accounts(tooling=tooling, datamgmt=datamgmt, teams=tuple(teams), preprod=preprod)


def _team(reader: _Reader, role: AccountRole, accounts: Accounts) -> Team | None:
    """The team of a datasci stack: ``dataScienceTeam``, or the first team where it is unset."""
    name = (reader.present("dataScienceTeam") or "").strip()
    if role != "datasci":
        reader.unset("dataScienceTeam", f"the {role} stack belongs to no team")
        return None
    if not name:
        return accounts.teams[0]
    if name not in accounts.team_names:
        reader.fail(
            "dataScienceTeam",
            name,
            "is not a team of dataScienceTeams",
            f"one of {', '.join(accounts.team_names)}",
        )
    return accounts.team(name)


def _team_tag(reader: _Reader, lake: LakeHouse, teams: tuple[Team, ...]) -> str:
    """The optional LF-tag key whose values are team names: each team sees the curated tables
    tagged with its name (and nothing untagged)."""
    key = (reader.present("teamTag") or "").strip()
    if not key:
        return ""
    if key in REQUIRED_TAG_VALUES or key not in lake.tags:
        reader.fail(
            "teamTag",
            key,
            "is not a tag key of lfTags for teams",
            f"a key of lfTags other than {' and '.join(REQUIRED_TAG_VALUES)}, such as team",
        )
    missing = [team.name for team in teams if team.name not in lake.tags[key]]
    if missing:
        reader.fail(
            "lfTags",
            f"{key}={','.join(lake.tags[key])}",
            f"lacks the teams {', '.join(missing)}",
            f"every team of dataScienceTeams among the values of teamTag {key}",
        )
    return key


def _network(reader: _Reader, role: AccountRole, region: str, users: int) -> Network | None:
    if role not in NETWORK_ROLES:
        reader.unset("vpcCidr", f"the {role} account has no VPC")
        return None
    if region not in sagemaker_images.IMAGE_ACCOUNTS:
        examples = ", ".join(list(sagemaker_images.IMAGE_ACCOUNTS)[:3])
        reader.fail(
            "aws:region",
            region,
            f"has no SageMaker images the {role} account's jobs could run",
            f"a region of contracts/sagemaker_images.py, such as {examples}",
        )
    vpc_cidr = reader.string("vpcCidr")
    reader.wrap("vpcCidr", vpc_cidr, lambda: cidr.parse_network(vpc_cidr))
    zones = reader.string_list("availabilityZones", example='["eu-west-1a", "eu-west-1b"]')
    if role == "datamgmt" and len(zones) < 3:
        reader.fail(
            "availabilityZones",
            zones,
            "has fewer than three zones, which Redshift Serverless needs",
            f'three zones of {region}, such as ["{region}a", "{region}b", "{region}c"]',
        )
    if len(zones) < 2:
        reader.fail(
            "availabilityZones",
            zones,
            "has fewer than two zones",
            f'at least two zones of {region}, such as ["{region}a", "{region}b"]',
        )
    for zone in zones:
        if not re.fullmatch(re.escape(region) + r"[a-z]", zone):
            reader.fail("availabilityZones", zone, f"is not a zone of {region}", f"a zone name such as {region}a")
    if len(set(zones)) != len(zones):
        reader.fail("availabilityZones", zones, "repeats a zone", "each zone once")
    endpoints = reader.string_list("interfaceEndpoints", example='["sagemaker.api", "studio", "sts"]')
    for endpoint in endpoints:
        if not re.fullmatch(r"[a-z0-9]+([.-][a-z0-9]+)*", endpoint):
            reader.fail("interfaceEndpoints", endpoint, "is not an endpoint name", "a short name such as sagemaker.api")
    if len(set(endpoints)) != len(endpoints):
        reader.fail("interfaceEndpoints", endpoints, "repeats an endpoint", "each endpoint once")
    missing = [endpoint for endpoint in REQUIRED_INTERFACE_ENDPOINTS if endpoint not in endpoints]
    if missing:
        reader.fail(
            "interfaceEndpoints",
            endpoints,
            f"lacks {', '.join(missing)}, which Studio needs",
            f"a list holding {', '.join(REQUIRED_INTERFACE_ENDPOINTS)}",
        )
    explicit = reader.string_list("subnetCidrs", example='["10.20.0.0/20", "10.20.16.0/20"]')
    if explicit:
        if len(explicit) != len(zones):
            reader.fail(
                "subnetCidrs",
                explicit,
                f"has {len(explicit)} subnets for {len(zones)} zones",
                "one subnet per availability zone",
            )
        reader.wrap("subnetCidrs", explicit, lambda: cidr.check_subnets(vpc_cidr, explicit))
        subnets = explicit
    else:
        prefix = reader.integer("subnetPrefixLength", minimum=16, maximum=28)
        subnets = reader.wrap("subnetPrefixLength", prefix, lambda: cidr.carve_subnets(vpc_cidr, len(zones), prefix))
    for subnet in subnets:
        # Each interface endpoint takes one address in every subnet.
        capacity = cidr.studio_users_per_subnet(subnet, reserved=len(endpoints))
        if capacity < users:
            reader.fail(
                "subnetCidrs" if explicit else "subnetPrefixLength",
                subnet,
                f"holds {capacity} Studio users at {cidr.ADDRESSES_PER_STUDIO_USER} addresses each after "
                f"{len(endpoints)} endpoint addresses, but {users} are configured",
                "larger subnets (a shorter prefix length)",
            )
    return Network(vpc_cidr=vpc_cidr, availability_zones=zones, subnet_cidrs=subnets, interface_endpoints=endpoints)


def _lake_formation_admins(reader: _Reader, role: AccountRole, partition: str, account_id: str) -> tuple[str, ...]:
    if role not in NETWORK_ROLES:
        reader.unset("lakeFormationAdmins", f"the {role} account has no data lake")
        return ()
    example = f'["arn:{partition}:iam::{account_id}:role/pulumi-deployer"]'
    admins = reader.string_list("lakeFormationAdmins", example=example)
    if not admins:
        reader.fail(
            "lakeFormationAdmins",
            admins,
            "is empty, so nobody could grant or deploy grants",
            f"the roles that administer Lake Formation, such as {example}",
        )
    for admin in admins:
        if not re.fullmatch(rf"arn:{partition}:iam::{account_id}:role/[\w+=,.@/-]+", admin):
            reader.fail(
                "lakeFormationAdmins",
                admin,
                f"is not an IAM role of this account ({account_id})",
                f"a role ARN such as arn:{partition}:iam::{account_id}:role/pulumi-deployer",
            )
    return admins


#: The Feature Store's offline database, always part of the lake (the name is not configurable).
FEATURES_DATABASE = "features"
#: LF-tag keys the platform's grants rely on, with the values each must have.
REQUIRED_TAG_VALUES = {"classification": ("public", "internal", "sensitive"), "layer": ("raw", "curated", "features")}
_LAKE_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_TAG_KEY = re.compile(r"[a-z][a-z0-9_-]{0,127}")
_ASSIGNMENT = re.compile(r"(?P<path>[^:\s]+)\s*:\s*(?P<key>[^=\s]+)\s*=\s*(?P<value>\S+)")


def _lake_house(reader: _Reader) -> LakeHouse:
    databases = reader.string_list("lakeDatabases", example='["raw", "curated"]')
    for database in databases:
        if not _LAKE_NAME.fullmatch(database) or database == FEATURES_DATABASE:
            reader.fail(
                "lakeDatabases",
                database,
                "is not a lake database name",
                f"lowercase letters, digits and _, not {FEATURES_DATABASE!r} (the Feature Store's)",
            )
    missing = [name for name in ("raw", "curated") if name not in databases]
    if missing or len(set(databases)) != len(databases):
        reader.fail(
            "lakeDatabases",
            databases,
            "lacks raw or curated, or repeats a name",
            'a list holding "raw" and "curated", each name once',
        )
    tags = _lf_tags(reader)
    all_databases = (*databases, FEATURES_DATABASE)
    assignments = tuple(
        _tag_assignment(reader, item, all_databases, tags)
        for item in reader.string_list("lfTagAssignments", example='["curated: layer=curated"]')
    )
    for database in databases:
        for key in REQUIRED_TAG_VALUES:
            if not any(a.database == database and a.table is None and a.key == key for a in assignments):
                reader.fail(
                    "lfTagAssignments",
                    f"{database}: {key}=?",
                    "is missing",
                    f"every lake database tagged with {' and '.join(REQUIRED_TAG_VALUES)}, "
                    f'such as "{database}: {key}={REQUIRED_TAG_VALUES[key][1]}"',
                )
    return LakeHouse(databases=databases, tags=MappingProxyType(tags), assignments=assignments)


def _lf_tags(reader: _Reader) -> dict[str, tuple[str, ...]]:
    tags: dict[str, tuple[str, ...]] = {}
    for item in reader.string_list("lfTags", example='["classification=public,internal,sensitive"]'):
        key, separator, values_text = (part.strip() for part in item.partition("="))
        values = tuple(value.strip() for value in values_text.split(","))
        if not separator or not _TAG_KEY.fullmatch(key) or not all(values) or len(set(values)) != len(values):
            reader.fail("lfTags", item, "is not an LF-tag", "key=value1,value2 such as layer=raw,curated,features")
        if key in tags:
            reader.fail("lfTags", item, "repeats a tag key", "each key once")
        tags[key] = values
    for key, required in REQUIRED_TAG_VALUES.items():
        if not set(required) <= set(tags.get(key, ())):
            reader.fail(
                "lfTags",
                list(f"{k}={','.join(v)}" for k, v in tags.items()),
                f"lacks {key} with {', '.join(required)}",
                f"a tag {key}={','.join(required)}, on which the platform's grants rely",
            )
    return tags


def _tag_assignment(
    reader: _Reader, item: str, databases: tuple[str, ...], tags: Mapping[str, tuple[str, ...]]
) -> TagAssignment:
    match = _ASSIGNMENT.fullmatch(item.strip())
    if match is None or len(match["path"].split(".")) > 3:
        return cast(
            TagAssignment,
            reader.fail(
                "lfTagAssignments",
                item,
                "is not a tag assignment",
                "DATABASE[.TABLE[.COLUMN]]: key=value such as curated: layer=curated",
            ),
        )
    parts = match["path"].split(".")
    database = parts[0]
    table = parts[1] if len(parts) > 1 else None
    column = parts[2] if len(parts) > 2 else None
    if database not in databases:
        reader.fail(
            "lfTagAssignments", item, f"names the unknown database {database!r}", f"one of {', '.join(databases)}"
        )
    if match["key"] not in tags or match["value"] not in tags[match["key"]]:
        vocabulary = "; ".join(f"{key}={','.join(values)}" for key, values in tags.items())
        reader.fail(
            "lfTagAssignments", item, "uses a tag outside the vocabulary", f"a key=value from lfTags ({vocabulary})"
        )
    return TagAssignment(database=database, table=table, column=column, key=match["key"], value=match["value"])


_GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9_.-]{1,100}")
_CODECOMMIT_REPOSITORY = re.compile(r"[\w.-]{1,100}")
#: Branch names and CodePipeline globs (contracts/branches.py): no spaces, ~, ^, : or ..
_BRANCH = re.compile(r"[A-Za-z0-9._/*?{},!\[\]-]{1,255}")


def _source(reader: _Reader, teams: tuple[Team, ...]) -> Source:
    provider = reader.string("sourceProvider")
    if provider not in ("github", "codecommit"):
        reader.fail("sourceProvider", provider, "is not a source provider", "github or codecommit")
    repository = reader.string("sourceRepository")
    pattern, form = (
        (_GITHUB_REPOSITORY, "owner/name such as example-org/mlops-feature-platform")
        if provider == "github"
        else (_CODECOMMIT_REPOSITORY, "a CodeCommit repository name such as mlops-feature-platform")
    )
    if not pattern.fullmatch(repository):
        reader.fail("sourceRepository", repository, f"is not a {provider} repository", form)
    branches = {}
    for key in ("productionBranch", "featureBranchPattern"):
        branch = reader.string(key)
        if not _BRANCH.fullmatch(branch) or branch.startswith(("/", "-")) or ".." in branch:
            reader.fail(key, branch, "is not a branch name or pattern", "a git branch such as main or feature/*")
        branches[key] = branch
    if any(char in branches["productionBranch"] for char in "*?[]{},!"):
        reader.fail("productionBranch", branches["productionBranch"], "is a pattern", "one branch such as main")
    feature_pattern = branches["featureBranchPattern"]
    reader.wrap("featureBranchPattern", feature_pattern, lambda: glob_matches(feature_pattern, ""))
    # Each team's branches start its pipeline only: the first team's extra pattern takes none of the
    # others' (nor production's), and no team's branches are production's.
    for team in teams:
        probes = [f"feature/{team.name}/x", f"feature/{team.name}/x/y"]
        if not team.first and any(glob_matches(feature_pattern, probe) for probe in probes):
            reader.fail(
                "featureBranchPattern",
                feature_pattern,
                f"also matches feature/{team.name}/..., the branches of the {team.name} team",
                "a pattern none of the other teams' feature/<team>/** branches match, such as feature/*",
            )
        if glob_matches(team.branches, branches["productionBranch"]):
            reader.fail(
                "productionBranch",
                branches["productionBranch"],
                f"is a branch of the {team.name} team ({team.branches})",
                "a branch outside feature/<team>/**, such as main",
            )
    if glob_matches(feature_pattern, branches["productionBranch"]):
        reader.fail(
            "featureBranchPattern", feature_pattern, "matches the production branch", "a pattern such as feature/*"
        )
    return Source(
        provider=cast(Literal["github", "codecommit"], provider),
        repository=repository,
        production_branch=branches["productionBranch"],
        feature_branch_pattern=branches["featureBranchPattern"],
    )


#: CodeArtifact's external connections (AssociateExternalConnection's supported values).
EXTERNAL_CONNECTIONS = (
    "public:pypi",
    "public:npmjs",
    "public:nuget-org",
    "public:maven-central",
    "public:maven-googleandroid",
    "public:maven-gradleplugins",
    "public:maven-commonsware",
    "public:maven-clojars",
    "public:ruby-gems-org",
)


def _package_mirror(reader: _Reader, tooling: str, region: str) -> PackageMirror | None:
    choice = reader.string("packageMirror")
    if choice not in ("codeartifact", "none"):
        reader.fail("packageMirror", choice, "is not a package mirror", "codeartifact or none")
    return platform_mirror(tooling, region) if choice == "codeartifact" else None


def _package_upstreams(reader: _Reader) -> tuple[str, ...]:
    upstreams = reader.string_list("packageUpstreams", example='["public:pypi"]')
    for upstream in upstreams:
        if upstream not in EXTERNAL_CONNECTIONS:
            reader.fail(
                "packageUpstreams",
                upstream,
                "is not a CodeArtifact external connection",
                ", ".join(EXTERNAL_CONNECTIONS),
            )
    if "public:pypi" not in upstreams or len(set(upstreams)) != len(upstreams):
        reader.fail(
            "packageUpstreams",
            upstreams,
            "lacks public:pypi, or repeats one",
            'a list holding "public:pypi", each once',
        )
    return upstreams


def _redshift_capacity(reader: _Reader) -> int:
    capacity = reader.integer("redshiftBaseCapacity", minimum=8, maximum=512)
    if capacity % 8:
        reader.fail("redshiftBaseCapacity", str(capacity), "is not a multiple of 8", "8, 16, 24, ... 512 RPUs")
    return capacity


def _people(reader: _Reader, team: Team | None) -> People:
    scientists = reader.emails("dataScientists")
    engineers = reader.emails("dataEngineers")
    profiles: dict[str, str] = {}
    for email in scientists:
        profile = naming.studio_profile_name(email)
        if not profile:
            reader.fail(
                "dataScientists",
                email,
                "gives an empty Studio profile name",
                "an e-mail whose local part has letters or digits",
            )
        if profile in profiles:
            reader.fail(
                "dataScientists",
                email,
                f"gives the Studio profile name {profile!r}, as {profiles[profile]} does",
                "e-mails whose local parts differ in letters or digits",
            )
        profiles[profile] = email
    # A team's leads work in its Studio: its stack's data scientists hold them.
    if team is not None:
        for lead in team.leads:
            if lead not in scientists:
                reader.fail(
                    "dataScientists",
                    scientists,
                    f"lacks {lead}, a lead of the {team.name} team",
                    "a list holding every lead of this stack's team (dataScienceTeams)",
                )
    lead_engineer = reader.string("leadDataEngineer")
    if lead_engineer not in engineers:
        reader.fail(
            "leadDataEngineer", lead_engineer, "is not a known data engineer", f"one of dataEngineers {list(engineers)}"
        )
    return People(scientists, engineers, lead_engineer)


def _git_revision(environ: Mapping[str, str]) -> str | None:
    for variable in GIT_REVISION_VARIABLES:
        value = environ.get(variable, "").strip()
        if value:
            if not _GIT_REVISION.fullmatch(value):
                raise ConfigError(f"{variable}: {value!r} is not a git revision; expected 7 to 40 lowercase hex digits")
            return value
    return None


class _Reader:
    """Reads one raw configuration map and turns every problem into a one-line ConfigError."""

    def __init__(self, raw: Mapping[str, str], project: str) -> None:
        self.raw = raw
        self.project = project

    def key(self, name: str) -> str:
        return name if ":" in name else f"{self.project}:{name}"

    def fail(self, name: str, value: Any, problem: str, expected: str) -> Any:
        shown = value if isinstance(value, str) else json.dumps(list(value) if isinstance(value, tuple) else value)
        raise ConfigError(f"{self.key(name)}: {shown!r} {problem}; expected {expected}")

    def wrap(self, name: str, value: Any, check: Any) -> Any:
        """Run a pure check that raises ValueError, and name the key in its message."""
        try:
            return check()
        except ValueError as error:
            raise ConfigError(f"{self.key(name)}: {error}") from None

    def reject_unknown_keys(self) -> None:
        for key in sorted(self.raw):
            namespace, _, name = key.partition(":")
            if namespace == self.project and name in REPLACED_KEYS:
                raise ConfigError(f"{key}: replaced; expected {REPLACED_KEYS[name]}")
            if namespace == self.project and name not in KEYS:
                raise ConfigError(f"{key}: unknown key; expected one of {', '.join(KEYS)}")

    def present(self, name: str) -> str | None:
        value = self.raw.get(self.key(name))
        return None if value is None else str(value)

    def string(self, name: str) -> str:
        value = self.present(name)
        if value is None or not value.strip():
            raise ConfigError(f"{self.key(name)}: missing; expected it set in Pulumi.yaml or the stack file")
        if value.lstrip().startswith(("[", "{")):
            self.fail(name, value, "is a list or an object", "a single string")
        return value.strip()

    def unset(self, name: str, reason: str) -> None:
        value = self.present(name)
        if value and value.strip() not in ("[]", ""):
            self.fail(name, value, f"is set, but {reason}", "it unset")

    def account_role(self, name: str, choices: tuple[str, ...]) -> Any:
        value = self.string(name)
        if value not in choices:
            self.fail(name, value, "is not an account role", f"one of {', '.join(choices)}")
        return value

    def account_id(self, name: str) -> str:
        value = self.string(name)
        if not _ACCOUNT_ID.fullmatch(value):
            self.fail(name, value, "is not an AWS account ID", "12 digits such as 111111111111")
        return value

    def optional_account_id(self, name: str) -> str | None:
        value = (self.present(name) or "").strip()
        return self.account_id(name) if value else None

    def stack_name(self, name: str) -> str:
        value = self.string(name)
        if not _STACK_NAME.fullmatch(value):
            self.fail(name, value, "is not a fully qualified stack name", "organization/project/stack")
        return value

    def region(self) -> str:
        value = self.string("aws:region")
        if value not in REGIONS:
            self.fail("aws:region", value, "is not an AWS region", "a region code such as eu-west-1")
        return value

    def allowed_account_ids(self, role: str, account_id: str) -> None:
        ids = self.string_list("aws:allowedAccountIds", example=f'["{account_id}"]')
        if account_id not in ids:
            self.fail(
                "aws:allowedAccountIds",
                ids,
                f"does not hold the {role} account {account_id}",
                f'["{account_id}"], so a deploy cannot land in another account',
            )
        others = [other for other in ids if other != account_id]
        if others:
            self.fail(
                "aws:allowedAccountIds",
                ids,
                f"also allows {', '.join(others)}",
                f'only the {role} account ["{account_id}"]',
            )

    def string_list(self, name: str, example: str) -> tuple[str, ...]:
        value = self.present(name)
        if value is None:
            raise ConfigError(f"{self.key(name)}: missing; expected a list such as {example}")
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
        if not isinstance(parsed, list) or not all(isinstance(item, str) for item in parsed):
            self.fail(name, value, "is not a list of strings", f"a list such as {example}")
        return tuple(item.strip() for item in parsed)

    def emails(self, name: str) -> tuple[str, ...]:
        values = self.string_list(name, example='["alice@example.com"]')
        for value in values:
            if not _EMAIL.fullmatch(value):
                self.fail(name, value, "is not an e-mail address", "an address such as alice@example.com")
        if len(set(values)) != len(values):
            self.fail(name, values, "repeats a person", "each e-mail once")
        return values

    def integer(self, name: str, minimum: int, maximum: int) -> int:
        value = self.string(name)
        try:
            number = int(value)
        except ValueError:
            return cast(int, self.fail(name, value, "is not an integer", f"a whole number from {minimum} to {maximum}"))
        if not minimum <= number <= maximum:
            self.fail(name, value, "is out of range", f"a whole number from {minimum} to {maximum}")
        return number

    def log_retention(self, name: str, choices: tuple[int, ...]) -> int:
        value = self.string(name)
        try:
            number = int(value)
        except ValueError:
            number = -1
        if number not in choices:
            self.fail(name, value, "is not a retention CloudWatch accepts", f"one of {', '.join(map(str, choices))}")
        return number

    def boolean(self, name: str) -> bool:
        value = self.string(name)
        if value not in ("true", "false"):
            self.fail(name, value, "is not a boolean", "true or false")
        return value == "true"

    def folder(self, name: str, project_dir: Path) -> Path:
        value = self.string(name)
        path = Path(value)
        if path.is_absolute() or ".." in path.parts:
            self.fail(name, value, "is not a relative path inside the project", "a folder such as features")
        folder = project_dir / path
        if not folder.is_dir():
            self.fail(name, value, f"is not a folder under {project_dir}", "an existing folder such as features")
        return folder

    def tags(self, name: str) -> dict[str, str]:
        tags: dict[str, str] = {}
        for item in self.string_list(name, example='["CostCenter=ml-platform"]'):
            key, separator, value = item.partition("=")
            key, value = key.strip(), value.strip()
            if not separator or not key:
                self.fail(name, item, "is not a tag", "Key=Value such as CostCenter=ml-platform")
            if len(key) > 128 or len(value) > 256 or not _TAG_TEXT.fullmatch(key) or not _TAG_TEXT.fullmatch(value):
                self.fail(
                    name,
                    item,
                    "has characters or a length AWS does not allow in tags",
                    "a key of up to 128 and a value of up to 256 letters, digits, spaces and _.:/=+-@",
                )
            if key.lower().startswith(("aws:", naming.TAG_PREFIX)):
                self.fail(
                    name, item, "uses a reserved tag prefix", f"a key not starting with aws: or {naming.TAG_PREFIX}"
                )
            if key in tags:
                self.fail(name, item, "repeats a tag key", "each key once")
            tags[key] = value
        return tags
