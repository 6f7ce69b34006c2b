"""The platform's user journeys as data: who calls what, on which ARN, with which context.

Each journey is what one actor does in the workflow (the data scientist in Studio, the CI's builds,
a feature job, the Feature Store, EventBridge...), as steps the access model decides:

- ``Call``: an AWS API call (``origin`` names the stack whose private VPC it starts in, so it goes
  through that VPC's endpoint and security groups; without it, it comes from AWS's network or the
  CI's build, outside any VPC of ours);
- ``Lake``: a Lake Formation permission on a database or table (through resource links);
- ``Location``: data location access, to create tables over a registered location;
- ``Connect``: a TCP connection inside a VPC, between security groups;
- ``RunsAs``: the role a CodeBuild project's builds run as;
- ``Refused``: any of these that the platform must refuse (one team's builds in another team's
  account, the checks build or the CI role in any account, a repository of the package mirror's
  domain other than the one pip reads): the check fails when the model allows it.

The journeys are made per account, from what each synthesized stack is (its ``accountRole``
export): every data science team's stack, pre-production's, data management's and tooling's. The
ARNs and names come from the synthesized stacks (their exports, resources and configuration), never
from the program's modules: the model checks what was built, by the names it was built with.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts import naming
from contracts.audit import AUDIT_ACTIONS
from contracts.sagemaker_images import image_repository_arns
from offline.access.documents import property_of
from offline.access.evaluate import Value, principal_account
from offline.access.model import (
    BUCKET,
    DATABASE,
    HTTPS,
    PACKAGE_REPOSITORY,
    AccessError,
    AccessModel,
    Evidence,
    Verdict,
    all_of,
    parse_arn,
)
from offline.access.service_authorization import action_exists
from offline.mocks import ResourceRecord

#: The stacks a project must have for the journeys to run: a project without them is not this
#: platform. The first data science team's stack is always ``datasci``; the other teams' stacks and
#: pre-production's follow it in deploy order, and the journeys cover every stack synthesized.
STACKS = ("tooling", "datamgmt", naming.DATASCI_STACK)
#: Where a call starts: in the stack's private VPC, from the security group Studio and its jobs use.
STUDIO_GROUP = "studio-sg"
ENDPOINT_GROUP = "endpoints-sg"


@dataclass(frozen=True)
class Call:
    principal: str
    action: str
    resource: str
    context: Mapping[str, Value] = field(default_factory=dict)
    #: The stack whose VPC the call starts in (through its endpoints), or "" (AWS's network, the CI).
    origin: str = ""
    #: The resource is AWS's own (a SageMaker image): only the caller's side is ours to decide.
    external: bool = False
    #: The security group (name suffix) the call leaves from, in the ``origin`` VPC.
    group: str = "studio-sg"

    def __str__(self) -> str:
        where = f" from the {self.origin} VPC" if self.origin else ""
        return f"{_short(self.principal)} {self.action} {self.resource}{where}"


@dataclass(frozen=True)
class Lake:
    principal: str
    permission: str
    catalog: str
    database: str
    table: str | None = None

    def __str__(self) -> str:
        what = f"{self.database}.{self.table}" if self.table else self.database
        return f"{_short(self.principal)} Lake Formation {self.permission} on {self.catalog}:{what}"


@dataclass(frozen=True)
class Location:
    principal: str
    location: str

    def __str__(self) -> str:
        return f"{_short(self.principal)} data location access on {self.location}"


@dataclass(frozen=True)
class Connect:
    stack: str
    source: str
    port: int
    #: The destination security group (name suffix) in the same VPC.
    target: str

    def __str__(self) -> str:
        return f"{self.stack} VPC: {self.source} to {self.target} on port {self.port}"


@dataclass(frozen=True)
class RunsAs:
    """A tooling pipeline's stage runs a CodeBuild project whose builds run as ``role``."""

    stack: str
    pipeline: str
    stage: str
    project: str
    role: str

    def __str__(self) -> str:
        return f"{self.stack}: {self.pipeline} stage {self.stage} builds with {self.project} as {_short(self.role)}"


@dataclass(frozen=True)
class Refused:
    """A step the platform must refuse: the model allowing it is the violation."""

    step: Call | Lake | Location | Connect | RunsAs

    def __str__(self) -> str:
        return f"must be refused: {self.step}"


Step = Call | Lake | Location | Connect | RunsAs | Refused


@dataclass(frozen=True)
class Journey:
    name: str
    actor: str
    steps: Sequence[Step]


@dataclass(frozen=True)
class Outcome:
    journey: Journey
    step: Step
    #: What the model decided for the step (for a ``Refused`` step, for the step it wraps).
    verdict: Verdict

    @property
    def refusal(self) -> bool:
        return isinstance(self.step, Refused)

    @property
    def expected(self) -> bool:
        """Allowed, or refused where the platform must refuse it."""
        return self.verdict.allowed != self.refusal


def _short(principal: str) -> str:
    return principal.rsplit("/", 1)[-1]


# --- deciding a step ---------------------------------------------------------------------------------


def decide(model: AccessModel, step: Step) -> Verdict:
    """The model's decision for a step (for a ``Refused`` step, the decision on what it wraps)."""
    if isinstance(step, Refused):
        return decide(model, step.step)
    if isinstance(step, RunsAs):
        return model.runs_as(step.stack, step.project, step.role)
    if isinstance(step, Lake):
        return model.lake(_principal(model, step.principal), step.permission, step.catalog, step.database, step.table)
    if isinstance(step, Location):
        return model.location(_principal(model, step.principal), step.location)
    if isinstance(step, Connect):
        source = model.security_group(step.stack, step.source).id
        target = model.security_group(step.stack, step.target).id
        return model.connect(step.stack, source, step.port, group=target)
    if not step.origin:
        return model.call(step.principal, step.action, step.resource, step.context, external=step.external)
    endpoint = model.endpoint_for(step.origin, step.action, step.context)
    if endpoint is None:
        return Verdict(False, f"the {step.origin} VPC has no endpoint for {step.action} and no internet path")
    source = model.security_group(step.origin, step.group).id
    if endpoint.inputs.get("vpcEndpointType") == "Gateway":
        network = model.connect(step.origin, source, HTTPS, prefix_list=str(endpoint.outputs.get("prefixListId")))
    else:
        network = model.connect(step.origin, source, HTTPS, group=endpoint.inputs["securityGroupIds"][0])
    through = Verdict(True, "", (Evidence("endpoint", step.origin, endpoint.urn, endpoint.name),))
    call = model.call(step.principal, step.action, step.resource, step.context, endpoint, external=step.external)
    return all_of([through, network, call])


def _principal(model: AccessModel, principal: str) -> str:
    return principal if principal.isdigit() else model.role_arn(principal)


def run(model: AccessModel, journeys: Sequence[Journey] | None = None) -> list[Outcome]:
    return [
        Outcome(journey, step, decide(model, step))
        for journey in (journeys if journeys is not None else platform_journeys(model))
        for step in journey.steps
    ]


#: Lake Formation permissions a ``lake:PERMISSION`` question may name.
LAKE_PERMISSIONS = ("SELECT", "INSERT", "DELETE", "DESCRIBE", "ALTER", "DROP", "CREATE_TABLE", "DATA_LOCATION_ACCESS")


def question_form(action: str, resource: str) -> None:
    """Refuse a malformed question before anything is synthesized: an action that does not exist,
    a resource that is no ARN (or, for ``lake:PERMISSION``, no ``ACCOUNT:DATABASE[.TABLE]``)."""
    if action.startswith("lake:"):
        permission = action.removeprefix("lake:")
        if permission not in LAKE_PERMISSIONS:
            raise AccessError(
                f"action: {action!r} is no Lake Formation permission; "
                f"expected lake: and one of {', '.join(LAKE_PERMISSIONS)}"
            )
        if permission == "DATA_LOCATION_ACCESS":
            parse_arn(resource)
            return
        catalog, separator, name = resource.partition(":")
        if not separator or not catalog.isdigit() or not name:
            raise AccessError(
                f"resource: {resource!r} is not a catalog resource; expected ACCOUNT:DATABASE or ACCOUNT:DATABASE.TABLE"
            )
        return
    if not action_exists(action):
        raise AccessError(
            f"action: {action!r} is no IAM action of the Service Authorization Reference; expected service:Action "
            "such as s3:GetObject, or lake:SELECT"
        )
    if resource != "*":
        parse_arn(resource)


def question(
    model: AccessModel, principal: str, action: str, resource: str, context: Mapping[str, Value], origin: str = ""
) -> Step:
    """The step a person asks about (``python -m offline why``), or AccessError naming the bad part."""
    question_form(action, resource)
    if origin and origin not in model.stacks:
        raise AccessError(f"--origin: {origin!r} is not a stack; expected one of {', '.join(model.stacks)}")
    if principal_account(principal) is not None or not principal.endswith(".amazonaws.com"):
        principal = _principal(model, principal)
    if action == "lake:DATA_LOCATION_ACCESS":
        return Location(principal, resource)
    if action.startswith("lake:"):
        catalog, _, name = resource.partition(":")
        database, _, table = name.partition(".")
        return Lake(principal, action.removeprefix("lake:"), catalog, database, table or None)
    return Call(principal, action, resource, dict(context), origin=origin)


# --- the platform's journeys ---------------------------------------------------------------------------

PIPELINE = "aws:codepipeline/pipeline:Pipeline"
FEATURE_GROUP = "aws:sagemaker/featureGroup:FeatureGroup"
PARAMETER = "aws:ssm/parameter:Parameter"
WORKGROUP = "aws:athena/workgroup:Workgroup"
#: The service CodeArtifact's bearer tokens are for: what ``sts:AWSServiceName`` says when CodeArtifact
#: asks STS for one (https://docs.aws.amazon.com/codeartifact/latest/ug/tokens-authentication.html).
CODEARTIFACT = "codeartifact.amazonaws.com"
#: A curated table of the data engineers, as the training definition reads it.
CURATED_TABLE = "churn_labels"


@dataclass(frozen=True)
class _Group:
    """A feature group of a stack, as its Feature Store writes it: the offline store's catalog
    database and table, and the bucket and prefix of its files."""

    name: str
    role: str
    database: str
    table: str
    bucket: str
    prefix: str


@dataclass(frozen=True)
class _Mirror:
    """The package mirror a stack's jobs are told to install from, as ARNs: its domain, the
    repository pip reads, and the domain's other repositories (which nobody reads directly)."""

    domain: str
    repository: str
    others: tuple[str, ...]


@dataclass(frozen=True)
class _Build:
    """A tooling pipeline's stage whose builds run in a target account."""

    pipeline: str
    stage: str
    project: str
    #: The role the build assumes there (the stage's TARGET_ROLE_ARN).
    target_role: str


class _Refs:
    """Names and ARNs of the synthesized stacks, by what the journeys call them."""

    def __init__(self, model: AccessModel) -> None:
        self.model = model
        self.out = {name: stack.outputs for name, stack in model.stacks.items()}
        self.account = {name: stack.account_id for name, stack in model.stacks.items()}
        #: What each stack is (its accountRole export), whatever it is named; in deploy order.
        self.kind = {name: str(stack.outputs.get("accountRole", "")) for name, stack in model.stacks.items()}
        self.tooling = self.only("tooling")
        self.datamgmt = self.only("datamgmt")
        self.region = model.stack(self.tooling).region
        self.partition = naming.partition(self.region)
        #: Each data science team's stack, and pre-production's when it is there.
        self.teams = self.of_role("datasci")
        self.preprod = self.of_role("preprod")
        #: Every account feature jobs run in, in the order the pipelines reach them.
        self.targets = [*self.teams, *self.preprod, self.datamgmt]

    def of_role(self, *roles: str) -> list[str]:
        return [name for name, kind in self.kind.items() if kind in roles]

    def only(self, role: str) -> str:
        found = self.of_role(role)
        if len(found) != 1:
            raise AccessError(
                f"the stacks export accountRole {role} {len(found)} times ({', '.join(found) or 'none'}); "
                "expected one such stack"
            )
        return found[0]

    def arn(self, service: str, stack: str, resource: str) -> str:
        return f"arn:{self.partition}:{service}:{self.region}:{self.account[stack]}:{resource}"

    def role(self, stack: str, suffix: str) -> str:
        """A role's ARN by the end of its name (``feature-store``)."""
        (arn,) = [
            arn
            for arn, (owner, record) in self.model.roles.items()
            if owner.name == stack and str(record.inputs.get("name")).endswith(f"-{suffix}")
        ]
        return arn

    def bucket(self, stack: str, purpose: str) -> str:
        # Resources are named after the account's role (datasci), not its stack (datasci-fraud).
        name = f"{self.kind[stack]}-{purpose}-bucket"
        (record,) = [r for r in self.model.stack(stack).of(BUCKET) if r.name == name]
        return str(record.outputs["bucket"])

    def object(self, stack: str, purpose: str, key: str) -> str:
        return self.object_in(self.bucket(stack, purpose), key)

    def object_in(self, bucket: str, key: str) -> str:
        return f"arn:{self.partition}:s3:::{bucket}/{key}"

    def bucket_arn(self, stack: str, purpose: str) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket(stack, purpose)}"

    def key(self, stack: str) -> str:
        return str(self.out[stack]["artifactKeyArn" if self.kind[stack] == "tooling" else "dataKeyArn"])

    def record(self, stack: str, token: str, name_part: str = "") -> ResourceRecord:
        (found,) = [r for r in self.model.stack(stack).of(token) if name_part in r.name]
        return found

    def via_s3(self, stack: str, purpose: str) -> dict[str, Value]:
        return self.via_s3_bucket(self.bucket(stack, purpose))

    def via_s3_bucket(self, bucket: str) -> dict[str, Value]:
        """What S3 puts in a KMS request for an SSE-KMS object (bucket keys: the bucket's ARN)."""
        return {
            "kms:ViaService": f"s3.{self.region}.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": f"arn:{self.partition}:s3:::{bucket}",
            "aws:ViaAWSService": True,
        }

    def job_context(self, stack: str) -> dict[str, Value]:
        """What SageMaker puts in a CreateProcessingJob/CreateTrainingJob request the way ops builds it."""
        return {
            "sagemaker:VpcSubnets": list(self.out[stack]["subnetIds"]),
            "sagemaker:VpcSecurityGroupIds": [self.model.security_group(stack, STUDIO_GROUP).id],
            "sagemaker:VolumeKmsKeyArn": self.key(stack),
            "sagemaker:OutputKmsKeyArn": self.key(stack),
        }

    # --- feature groups and the lake ---------------------------------------------------------------

    def group(self, stack: str) -> _Group | None:
        """The stack's first feature group (its ``featureGroupNames`` export), or None: a team's
        experimentation Feature Store holds only the groups the team owns."""
        names = list(self.out[stack].get("featureGroupNames") or [])
        if not names:
            return None
        (record,) = [
            g for g in self.model.stack(stack).of(FEATURE_GROUP) if property_of(g, "featureGroupName") == names[0]
        ]
        offline = property_of(record, "offlineStoreConfig")
        catalog, uri = offline["dataCatalogConfig"], str(offline["s3StorageConfig"]["s3Uri"])
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        return _Group(
            names[0], str(property_of(record, "roleArn")), catalog["database"], catalog["tableName"], bucket, prefix
        )

    def shared(self, purpose: str) -> str:
        """The data management database shared with the other accounts (``curated``, ``features``)."""
        (database,) = [d for d in self.out[self.datamgmt]["sharedDatabaseNames"] if d.endswith(f"_{purpose}")]
        return str(database)

    def lake_database(self, stack: str, purpose: str) -> str:
        """The database a stack reads a shared database by: its resource link there (data management
        reads its own)."""
        database = self.shared(purpose)
        if stack == self.datamgmt:
            return database
        links = [
            str(property_of(d, "name"))
            for d in self.model.stack(stack).of(DATABASE)
            if (property_of(d, "targetDatabase") or {}).get("databaseName") == database
        ]
        # No link: the contract's name, so that the Lake Formation step fails on it.
        return links[0] if links else naming.resource_link(database)

    # --- the package mirror ----------------------------------------------------------------------

    def mirror(self, stack: str) -> _Mirror | None:
        """The package mirror of the stack's job settings (``packageMirror`` of its settings
        parameter, which ``ops`` hands the jobs and which Studio's lifecycle scripts name too), or
        None without one. The other repositories are those the stacks built in its domain."""
        found = [
            r
            for r in self.model.stack(stack).of(PARAMETER)
            if property_of(r, "name") == naming.FEATURE_JOB_SETTINGS_PARAMETER
        ]
        if not found:
            return None
        raw = property_of(found[0], "value")
        settings = json.loads(raw) if isinstance(raw, str) else raw
        mirror = (settings or {}).get("packageMirror")
        if not mirror:
            return None
        domain, owner, region = str(mirror["domain"]), str(mirror["owner"]), str(mirror["region"])
        prefix = f"arn:{self.partition}:codeartifact:{region}:{owner}"
        others = [
            str(property_of(repository, "repository"))
            for holder in self.model.stacks.values()
            if holder.account_id == owner
            for repository in holder.of(PACKAGE_REPOSITORY)
            if property_of(repository, "domain") == domain
            and property_of(repository, "repository") != mirror["repository"]
        ]
        return _Mirror(
            f"{prefix}:domain/{domain}",
            f"{prefix}:repository/{domain}/{mirror['repository']}",
            tuple(f"{prefix}:repository/{domain}/{other}" for other in sorted(others)),
        )

    # --- the CI ------------------------------------------------------------------------------------

    def runner(self, stack: str) -> str:
        """The role the CI's builds assume in a target account."""
        return str(self.out[stack]["featureDeployerRoleArn" if stack == self.datamgmt else "featureRunnerRoleArn"])

    def job_role(self, stack: str) -> str:
        """The role a target account's feature jobs run as."""
        return str(self.out[stack]["jobExecutionRoleArn" if stack == self.datamgmt else "executionRoleArn"])

    def team_names(self) -> dict[str, str]:
        """Each data science team's account to the team's name, as ``dataScienceTeams`` declares
        them (``TEAM: ACCOUNT_ID LEAD[, LEAD]``) in the tooling stack's configuration."""
        tooling = self.model.stack(self.tooling)
        raw: Any = tooling.config.get(f"{tooling.project}:dataScienceTeams") or "[]"
        entries = json.loads(raw) if isinstance(raw, str) else raw
        return {rest.split()[0]: team.strip() for team, _, rest in (str(e).partition(":") for e in entries) if rest}

    def curated_table(self, stack: str) -> str:
        """The curated table a stack's data scientists and training pipelines read: with a team tag,
        one the configuration tags with the team's name (``lfTagAssignments``, ``curated.TABLE:
        TAG=TEAM``), where there is one; otherwise the data engineers' table."""
        tooling = self.model.stack(self.tooling)
        tag = str(tooling.config.get(f"{tooling.project}:teamTag") or "")
        if not tag or self.kind[stack] != "datasci":
            return CURATED_TABLE
        datamgmt = self.model.stack(self.datamgmt)
        raw: Any = datamgmt.config.get(f"{datamgmt.project}:lfTagAssignments") or "[]"
        team = self.pipeline(stack)
        for assignment in json.loads(raw) if isinstance(raw, str) else raw:
            path, _, tagged = (part.strip() for part in str(assignment).partition(":"))
            database, _, table = path.partition(".")
            if database == "curated" and table and "." not in table and tagged.replace(" ", "") == f"{tag}={team}":
                return table
        return CURATED_TABLE

    def pipeline(self, stack: str) -> str:
        """The tooling pipeline whose builds run in a target account: the team's, or production's."""
        if self.kind[stack] != "datasci":
            return naming.PRODUCTION
        teams = self.team_names()
        if self.account[stack] not in teams:
            raise AccessError(
                f"{stack}: account {self.account[stack]} is no team's account of dataScienceTeams "
                f"({', '.join(f'{t}: {a}' for a, t in teams.items())}); expected one"
            )
        return teams[self.account[stack]]

    def build_role(self, stack: str) -> str:
        """The tooling role the builds of the stack's pipeline run as (``mlops-tooling-build-<pipeline>``)."""
        found = self.tooling_role(naming.build_role_name(self.pipeline(stack)))
        if found is None:
            raise AccessError(
                f"the {self.tooling} stack has no role {naming.build_role_name(self.pipeline(stack))}; expected "
                f"the role the builds of the {self.pipeline(stack)} pipeline run as"
            )
        return found

    def tooling_role(self, name: str) -> str | None:
        """A tooling role's ARN by its name, or None."""
        found = [
            arn
            for arn, (owner, record) in self.model.roles.items()
            if owner.name == self.tooling and record.inputs.get("name") == name
        ]
        return found[0] if len(found) == 1 else None

    def builds(self, stack: str | None, audit: bool = False) -> list[_Build]:
        """The tooling pipelines' build stages whose builds run in the stack's account (none for a
        team without a feature-branch pipeline: CodeCommit sources have none), or with None, those
        that run in no account (the checks); with ``audit``, the audit's (it names AUDIT_STACKS)."""
        found = []
        for pipeline in self.model.stack(self.tooling).of(PIPELINE):
            for stage in property_of(pipeline, "stages") or []:
                for action in stage.get("actions") or []:
                    configuration = action.get("configuration") or {}
                    if action.get("category") != "Build" or "ProjectName" not in configuration:
                        continue
                    raw = configuration.get("EnvironmentVariables")
                    variables = {v["name"]: v["value"] for v in json.loads(raw)} if raw else {}
                    if ("AUDIT_STACKS" in variables) == audit and variables.get("TARGET_ACCOUNT") == stack:
                        found.append(
                            _Build(
                                str(property_of(pipeline, "name")),
                                str(stage["name"]),
                                str(configuration["ProjectName"]),
                                str(variables.get("TARGET_ROLE_ARN", "")),
                            )
                        )
        return found


def _service(name: str, **extra: Value) -> dict[str, Value]:
    """The context of a call an AWS service makes for a caller with the caller's credentials."""
    return {"aws:ViaAWSService": True, "aws:CalledVia": [f"{name}.amazonaws.com"], **extra}


def platform_journeys(model: AccessModel) -> list[Journey]:
    r = _Refs(model)
    return [
        *(journey for stack in r.teams for journey in _studio_journeys(r, stack)),
        _readonly_studio_journey(r),
        *(_ci_journey(r, stack) for stack in r.targets),
        _isolation_journey(r),
        *_checks_journeys(r),
        _production_job_journey(r),
        *(_feature_store_journey(r, stack, group) for stack in r.targets if (group := r.group(stack)) is not None),
        *(_training_journey(r, stack) for stack in r.targets),
        *_lake_journeys(r),
        *_platform_service_journeys(r),
        *_package_journeys(r),
        *(_snapshot_journey(r, stack) for stack in r.teams),
        *_audit_journeys(r),
    ]


def _studio_journeys(r: _Refs, ds: str) -> list[Journey]:
    """A data scientist's work in a team's Studio."""
    studio = str(r.out[ds]["executionRoleArn"])
    domain = str(r.out[ds]["studioDomainId"])
    key = r.key(ds)
    workgroup = _workgroup(r, ds)
    results = r.object(ds, "training", "athena/query-1.csv")
    group = r.group(ds)
    actor = f"data scientist in {ds} (Studio execution role)"
    # The team's experimentation offline store and online store, where it has a feature group.
    offline_store: list[Step] = (
        [
            Call(
                studio,
                "s3:GetObject",
                r.object_in(group.bucket, f"{group.prefix}/{group.name}/data.parquet"),
                origin=ds,
            ),
            Call(studio, "kms:Decrypt", key, r.via_s3_bucket(group.bucket)),
            Lake(studio, "SELECT", r.account[ds], group.database, group.table),
            Call(studio, "sagemaker:GetRecord", r.arn("sagemaker", ds, f"feature-group/{group.name}"), origin=ds),
        ]
        if group
        else []
    )
    ingest: list[Step] = (
        [Call(studio, "sagemaker:PutRecord", r.arn("sagemaker", ds, f"feature-group/{group.name}"), origin=ds)]
        if group
        else []
    )
    return [
        Journey(
            f"Open Studio in {ds} and list its apps and spaces",
            actor,
            [
                Connect(ds, STUDIO_GROUP, HTTPS, ENDPOINT_GROUP),
                Call(studio, "sagemaker:DescribeDomain", r.arn("sagemaker", ds, f"domain/{domain}"), origin=ds),
                Call(studio, "sagemaker:ListApps", "*", origin=ds),
                Call(studio, "sagemaker:ListSpaces", "*", origin=ds),
                Call(studio, "sagemaker:CreateSpace", r.arn("sagemaker", ds, f"space/{domain}/alice-lab"), origin=ds),
                Call(
                    studio,
                    "sagemaker:CreateApp",
                    r.arn("sagemaker", ds, f"app/{domain}/alice-lab/jupyterlab/default"),
                    origin=ds,
                ),
                # The space's volume is encrypted with the account key: SageMaker makes a grant.
                Call(studio, "kms:CreateGrant", key, _service("sagemaker", **{"kms:GrantIsForAWSResource": True})),
            ],
        ),
        Journey(
            f"Query curated data from {ds} through the resource link with Athena",
            actor,
            [
                Call(studio, "athena:StartQueryExecution", workgroup, origin=ds),
                *_read_curated_through_the_link(r, studio, ds),
                Call(studio, "s3:PutObject", results, _service("athena")),
                Call(studio, "kms:GenerateDataKey", key, r.via_s3(ds, "training")),
                Call(studio, "athena:GetQueryResults", workgroup, origin=ds),
                Call(studio, "s3:GetObject", results, _service("athena")),
                Call(studio, "kms:Decrypt", key, r.via_s3(ds, "training")),
            ],
        ),
        Journey(
            f"Write a snapshot of curated data in {ds}"
            + (", and read the experimentation offline store" if group else ""),
            actor,
            [
                Call(studio, "s3:PutObject", r.object(ds, "snapshots", "customer-churn/customers.csv"), origin=ds),
                Call(studio, "kms:GenerateDataKey", key, r.via_s3(ds, "snapshots")),
                *offline_store,
            ],
        ),
        Journey(
            f"Run a processing job in the {ds} VPC with the account key",
            f"data scientist in {ds} (Studio execution role), then SageMaker as that role",
            [
                Call(
                    studio,
                    "sagemaker:CreateProcessingJob",
                    r.arn("sagemaker", ds, "processing-job/churn-1"),
                    r.job_context(ds),
                    origin=ds,
                ),
                Call(studio, "iam:PassRole", studio, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
                Call("sagemaker.amazonaws.com", "sts:AssumeRole", studio, {"aws:SourceAccount": r.account[ds]}),
                Call(
                    studio,
                    "ec2:CreateNetworkInterface",
                    r.arn("ec2", ds, "network-interface/eni-0123"),
                    _service("sagemaker"),
                ),
                Call(studio, "ecr:GetAuthorizationToken", "*", _service("sagemaker")),
                Call(
                    studio,
                    "ecr:BatchGetImage",
                    _image(r, "sagemaker-data-wrangler-container"),
                    _service("sagemaker"),
                    external=True,
                ),
                Call(studio, "kms:CreateGrant", key, _service("sagemaker", **{"kms:GrantIsForAWSResource": True})),
                Call(studio, "s3:GetObject", r.object(ds, "snapshots", "customer-churn/customers.csv"), origin=ds),
                Call(studio, "kms:Decrypt", key, r.via_s3(ds, "snapshots")),
                Call(studio, "s3:PutObject", r.object(ds, "feature-jobs", "runs/1/features/part-0.csv"), origin=ds),
                Call(studio, "kms:GenerateDataKey", key, r.via_s3(ds, "feature-jobs")),
                Call(
                    studio,
                    "logs:PutLogEvents",
                    r.arn("logs", ds, "log-group:/aws/sagemaker/ProcessingJobs:log-stream:churn-1/algo-1"),
                    _service("sagemaker"),
                ),
                *ingest,
            ],
        ),
    ]


def _readonly_studio_journey(r: _Refs) -> Journey:
    dm = r.datamgmt
    readonly = str(r.out[dm]["readonlyRoleArn"])
    group = r.group(dm)
    features: list[Step] = (
        [
            Call(readonly, "sagemaker:GetRecord", r.arn("sagemaker", dm, f"feature-group/{group.name}"), origin=dm),
            Lake(readonly, "SELECT", r.account[dm], group.database, group.table),
        ]
        if group
        else []
    )
    return Journey(
        "Inspect production features and query Redshift in the read-only Studio",
        "data scientist (data management read-only Studio role)",
        [
            Call(readonly, "sagemaker:ListApps", "*", origin=dm),
            *features,
            Call(readonly, "redshift-serverless:GetCredentials", _redshift_workgroup(r), origin=dm),
            Connect(dm, STUDIO_GROUP, 5439, "warehouse-sg"),
        ],
    )


def _ci_journey(r: _Refs, stack: str) -> Journey:
    """A pipeline's build runs a feature job in a target account: CodeBuild runs the build as the
    pipeline's build role, which assumes the account's runner role, which hands the job over."""
    tooling = r.tooling
    pipeline = r.pipeline(stack)
    build = r.build_role(stack)
    runner, job = r.runner(stack), r.job_role(stack)
    builds = r.builds(stack)
    group = r.group(stack)
    # A team without a feature group of its own yet runs the flow of the one it is making.
    name = group.name if group else "new-features"
    sagemaker_pipeline = r.arn("sagemaker", stack, f"pipeline/mlops-feature-{name}")
    # The role the build assumes: what its pipeline's stages name (the account's runner without one).
    assumed = list(dict.fromkeys(b.target_role for b in builds)) or [runner]
    return Journey(
        f"The CI runs a feature job in {stack}, as the {pipeline} pipeline's build role",
        f"CodeBuild as the {pipeline} build role in tooling, then the account's runner role",
        [
            *(RunsAs(tooling, b.pipeline, b.stage, b.project, build) for b in dict.fromkeys(builds)),
            Call("codebuild.amazonaws.com", "sts:AssumeRole", build, {"aws:SourceAccount": r.account[tooling]}),
            Call(build, "s3:GetObject", r.object(tooling, "artifacts", "mlops-tooling-pipeline/source/abc123.zip")),
            Call(build, "kms:Decrypt", r.key(tooling), r.via_s3(tooling, "artifacts")),
            *(Call(build, "sts:AssumeRole", role) for role in assumed),
            Call(runner, "s3:GetObject", r.object(tooling, "artifacts", f"source/flows/{name}.flow")),
            Call(runner, "kms:Decrypt", r.key(tooling), r.via_s3(tooling, "artifacts")),
            Call(runner, "ssm:GetParameter", r.arn("ssm", stack, "parameter/mlops/feature-jobs/settings")),
            *(
                [Call(runner, "sagemaker:DescribeFeatureGroup", r.arn("sagemaker", stack, f"feature-group/{name}"))]
                if group
                else []
            ),
            Call(runner, "s3:PutObject", r.object(stack, "feature-jobs", f"runs/1/{name}.flow")),
            Call(runner, "kms:GenerateDataKey", r.key(stack), r.via_s3(stack, "feature-jobs")),
            Call(runner, "sagemaker:CreatePipeline", sagemaker_pipeline),
            Call(runner, "iam:PassRole", job, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
            Call(runner, "sagemaker:StartPipelineExecution", sagemaker_pipeline),
            Call(runner, "sagemaker:DescribePipelineExecution", f"{sagemaker_pipeline}/execution/abc123"),
        ],
    )


def _isolation_journey(r: _Refs) -> Journey:
    """What keeps the accounts apart: a team's builds reach the team's account alone, the production
    pipeline's builds no team's, and the CI role (the checks, CodePipeline) no account at all."""
    runners = {stack: r.runner(stack) for stack in r.targets}
    production = r.build_role(r.datamgmt)
    steps: list[Step] = [
        Refused(Call(r.build_role(team), "sts:AssumeRole", runner))
        for team in r.teams
        for stack, runner in runners.items()
        if stack != team
    ]
    steps += [Refused(Call(production, "sts:AssumeRole", runners[team])) for team in r.teams]
    ci = str(r.out[r.tooling]["ciRoleArn"])
    steps += [Refused(Call(ci, "sts:AssumeRole", runner)) for runner in runners.values()]
    return Journey(
        "Each team's builds reach only the team's account",
        "the build roles and the CI role in tooling",
        steps,
    )


def _checks_journeys(r: _Refs) -> list[Journey]:
    """The checks build (every pipeline's first stage) runs code from any branch: its role reads the
    source and reaches no account. None where the project has no checks build role."""
    tooling = r.tooling
    checks = r.tooling_role(naming.build_role_name(naming.CHECKS))
    if checks is None:
        return []
    return [
        Journey(
            "The checks build reads the source and reaches no account",
            "CodeBuild as the checks build role in tooling",
            [
                *(RunsAs(tooling, b.pipeline, b.stage, b.project, checks) for b in r.builds(None)),
                Call("codebuild.amazonaws.com", "sts:AssumeRole", checks, {"aws:SourceAccount": r.account[tooling]}),
                Call(
                    checks, "s3:GetObject", r.object(tooling, "artifacts", "mlops-tooling-pipeline/source/abc123.zip")
                ),
                Call(checks, "kms:Decrypt", r.key(tooling), r.via_s3(tooling, "artifacts")),
                *(Refused(Call(checks, "sts:AssumeRole", r.runner(stack))) for stack in r.targets),
            ],
        )
    ]


def _production_job_journey(r: _Refs) -> Journey:
    dm = r.datamgmt
    job = r.job_role(dm)
    group = r.group(dm)
    return Journey(
        "A production feature job reads curated data and writes production features",
        "SageMaker as the data management job execution role",
        [
            Call("sagemaker.amazonaws.com", "sts:AssumeRole", job, {"aws:SourceAccount": r.account[dm]}),
            Call(
                job,
                "sagemaker:CreateProcessingJob",
                r.arn("sagemaker", dm, "processing-job/churn-1"),
                {**r.job_context(dm), **_service("sagemaker")},
            ),
            Call(job, "s3:GetObject", r.object(dm, "feature-jobs", "runs/1/customer-churn.flow"), origin=dm),
            Call(job, "s3:GetObject", r.object(dm, "curated", "customer-churn/customers.csv"), origin=dm),
            Call(job, "kms:Decrypt", r.key(dm), r.via_s3(dm, "curated")),
            Call(job, "s3:PutObject", r.object(dm, "feature-jobs", "runs/1/features/part-0.csv"), origin=dm),
            Call(job, "kms:GenerateDataKey", r.key(dm), r.via_s3(dm, "feature-jobs")),
            *(
                [Call(job, "sagemaker:PutRecord", r.arn("sagemaker", dm, f"feature-group/{group.name}"), origin=dm)]
                if group
                else []
            ),
        ],
    )


def _feature_store_journey(r: _Refs, stack: str, group: _Group) -> Journey:
    role = group.role
    data = r.object_in(group.bucket, f"{group.prefix}/{group.name}/data/part-0.parquet")
    bucket = f"arn:{r.partition}:s3:::{group.bucket}"
    return Journey(
        f"The Feature Store creates and writes the offline store in {stack}",
        "SageMaker Feature Store as the account's feature-store role",
        [
            Call("sagemaker.amazonaws.com", "sts:AssumeRole", role, {"aws:SourceAccount": r.account[stack]}),
            Call(
                role,
                "glue:CreateTable",
                r.arn("glue", stack, f"table/{group.database}/{group.table}"),
                _service("sagemaker"),
            ),
            Lake(role, "CREATE_TABLE", r.account[stack], group.database),
            Location(role, bucket),
            Call(role, "s3:GetBucketAcl", bucket),
            Call(role, "s3:PutObject", data),
            Call(role, "s3:PutObjectAcl", data),
            Call(role, "kms:GenerateDataKey", r.key(stack), r.via_s3_bucket(group.bucket)),
        ],
    )


def _training_journey(r: _Refs, stack: str) -> Journey:
    tooling = r.tooling
    registry = r.arn("sagemaker", tooling, "model-package-group/mlops-feature-models")
    role = str(r.out[stack]["trainingRoleArn"])
    # The production features, as every account reads them: shared by data management.
    features = r.group(r.datamgmt)
    return Journey(
        f"A training pipeline in {stack} builds its dataset and registers a model version",
        "SageMaker as the account's training role",
        [
            Call("sagemaker.amazonaws.com", "sts:AssumeRole", role, {"aws:SourceAccount": r.account[stack]}),
            Call(
                role,
                "sagemaker:CreateTrainingJob",
                r.arn("sagemaker", stack, "training-job/churn-1"),
                {**r.job_context(stack), **_service("sagemaker")},
            ),
            Call(role, "athena:StartQueryExecution", _workgroup(r, stack), origin=stack),
            *(
                [Lake(role, "SELECT", r.account[stack], r.lake_database(stack, "features"), features.table)]
                if features
                else []
            ),
            Lake(role, "SELECT", r.account[stack], r.lake_database(stack, "curated"), r.curated_table(stack)),
            Call(role, "lakeformation:GetDataAccess", "*", _service("athena")),
            Call(role, "s3:PutObject", r.object(stack, "training", "athena/dataset.csv"), _service("athena")),
            Call(role, "s3:PutObject", r.object(stack, "training", "models/churn-1/model.tar.gz"), origin=stack),
            Call(role, "kms:GenerateDataKey", r.key(stack), r.via_s3(stack, "training")),
            Call(
                role,
                "sagemaker:CreateModelPackage",
                r.arn("sagemaker", tooling, "model-package/mlops-feature-models/1"),
                _service("sagemaker", **{"sagemaker:ModelApprovalStatus": "PendingManualApproval"}),
            ),
            Call(role, "sagemaker:DescribeModelPackageGroup", registry, _service("sagemaker")),
        ],
    )


def _lake_journeys(r: _Refs) -> list[Journey]:
    dm = r.datamgmt
    engineering = r.role(dm, "data-engineering")
    data_access = r.role(dm, "lake-data-access")
    curated = r.shared("curated")
    group = r.group(dm)
    return [
        Journey(
            "Data engineers' Glue jobs create and write curated tables",
            "Glue as the data engineering role",
            [
                Call("glue.amazonaws.com", "sts:AssumeRole", engineering, {"aws:SourceAccount": r.account[dm]}),
                Call(engineering, "glue:CreateTable", r.arn("glue", dm, f"table/{curated}/{CURATED_TABLE}")),
                Lake(engineering, "CREATE_TABLE", r.account[dm], curated),
                Location(engineering, r.bucket_arn(dm, "curated")),
                Lake(engineering, "SELECT", r.account[dm], "mlops_raw", "events"),
                Call(engineering, "s3:PutObject", r.object(dm, "curated", f"{CURATED_TABLE}/part-0.parquet")),
                Call(engineering, "kms:GenerateDataKey", r.key(dm), r.via_s3(dm, "curated")),
            ],
        ),
        Journey(
            "Lake Formation reads a governed location for a query",
            "Lake Formation as the lake data-access role",
            [
                Call(
                    "lakeformation.amazonaws.com", "sts:AssumeRole", data_access, {"aws:SourceAccount": r.account[dm]}
                ),
                Call(data_access, "s3:GetObject", r.object(dm, "curated", f"{CURATED_TABLE}/part-0.parquet")),
                Call(data_access, "kms:Decrypt", r.key(dm), r.via_s3(dm, "curated")),
                *(
                    [
                        Call(
                            data_access,
                            "s3:GetObject",
                            r.object_in(group.bucket, f"{group.prefix}/{group.name}/data/part-0.parquet"),
                        )
                    ]
                    if group
                    else []
                ),
            ],
        ),
        Journey(
            "Redshift loads curated data through the VPC",
            "Redshift Serverless as the warehouse role",
            [
                Call(
                    "redshift.amazonaws.com",
                    "sts:AssumeRole",
                    r.role(dm, "warehouse"),
                    {"aws:SourceAccount": r.account[dm]},
                ),
                # Enhanced VPC routing: COPY reaches S3 through the VPC's gateway endpoint.
                Call(
                    r.role(dm, "warehouse"),
                    "s3:GetObject",
                    r.object(dm, "curated", f"{CURATED_TABLE}/part-0.parquet"),
                    origin=dm,
                    group="warehouse-sg",
                ),
                Call(r.role(dm, "warehouse"), "kms:Decrypt", r.key(dm), r.via_s3(dm, "curated")),
            ],
        ),
    ]


def _platform_service_journeys(r: _Refs) -> list[Journey]:
    tooling = r.tooling
    rule = str(r.record(tooling, "aws:cloudwatch/eventRule:EventRule", "model-pending-approval").outputs["arn"])
    topic = str(r.out[tooling]["approvalTopicArn"])
    journeys = [
        Journey(
            "EventBridge tells the leads of a version pending approval",
            "EventBridge for the tooling account's rule",
            [
                Call(
                    "events.amazonaws.com",
                    "sns:Publish",
                    topic,
                    {"aws:SourceArn": rule, "aws:SourceAccount": r.account[tooling]},
                ),
                Call(
                    "events.amazonaws.com",
                    "kms:GenerateDataKey",
                    r.key(tooling),
                    {"aws:SourceArn": rule, "aws:SourceAccount": r.account[tooling]},
                ),
            ],
        )
    ]
    for stack in r.targets:
        flow_logs = r.role(stack, "flow-logs")
        group = str(r.record(stack, "aws:cloudwatch/logGroup:LogGroup", "flow-logs").outputs["arn"])
        journeys.append(
            Journey(
                f"VPC Flow Logs deliver the {stack} VPC's logs",
                "VPC Flow Logs as the delivery role, CloudWatch Logs with the key",
                [
                    Call(
                        "vpc-flow-logs.amazonaws.com",
                        "sts:AssumeRole",
                        flow_logs,
                        {"aws:SourceAccount": r.account[stack]},
                    ),
                    Call(flow_logs, "logs:CreateLogStream", f"{group}:log-stream:eni-0123-all"),
                    Call(flow_logs, "logs:PutLogEvents", f"{group}:log-stream:eni-0123-all"),
                    Call(
                        f"logs.{r.region}.amazonaws.com",
                        "kms:GenerateDataKey",
                        r.key(stack),
                        {"kms:EncryptionContext:aws:logs:arn": group, "aws:SourceAccount": r.account[stack]},
                    ),
                ],
            )
        )
    return journeys


def _pip_steps(r: _Refs, stack: str, role: str, mirror: _Mirror) -> list[Step]:
    """What ``pip install`` (Studio's lifecycle script, a job's requirements) does as ``role`` from
    the stack's VPC: a token for the mirror's domain (CodeArtifact asks STS for the bearer token on
    the caller's behalf, for its own service), the repository's endpoint, then the packages. Reading
    another repository of the domain, or asking a token for a domain of the caller's own account
    (somewhere to publish to, or install from, past the mirror), is refused."""
    _, _, region, _, path = parse_arn(mirror.domain)
    own_domain = f"arn:{r.partition}:codeartifact:{region}:{r.account[stack]}:{path}"
    return [
        Call(role, "codeartifact:GetAuthorizationToken", mirror.domain, origin=stack),
        Call(role, "sts:GetServiceBearerToken", "*", {"sts:AWSServiceName": CODEARTIFACT}, origin=stack),
        Call(role, "codeartifact:GetRepositoryEndpoint", mirror.repository, origin=stack),
        Call(role, "codeartifact:ReadFromRepository", mirror.repository, origin=stack),
        *(Refused(Call(role, "codeartifact:ReadFromRepository", other, origin=stack)) for other in mirror.others),
        Refused(Call(role, "codeartifact:GetAuthorizationToken", own_domain, origin=stack)),
    ]


def _package_journeys(r: _Refs) -> list[Journey]:
    """Installing packages from the tooling account's mirror, in every account that runs code:
    Studio in each team's account and the read-only Studio, and each target account's jobs and
    training. None where a stack's jobs are told of no mirror (``packageMirror: none``)."""
    journeys: list[Journey] = []
    studios: dict[str, str] = {}
    for stack in r.teams:
        studios[stack] = studio = str(r.out[stack]["executionRoleArn"])
        mirror = r.mirror(stack)
        if mirror is not None:
            journeys.append(
                Journey(
                    f"pip install from Studio in {stack}",
                    f"data scientist in {stack} (Studio execution role)",
                    _pip_steps(r, stack, studio, mirror),
                )
            )
    dm = r.datamgmt
    mirror = r.mirror(dm)
    if mirror is not None:
        journeys.append(
            Journey(
                "pip install from the read-only Studio in datamgmt",
                "data scientist (data management read-only Studio role)",
                _pip_steps(r, dm, str(r.out[dm]["readonlyRoleArn"]), mirror),
            )
        )
    for stack in r.targets:
        mirror = r.mirror(stack)
        if mirror is None:
            continue
        # A team's jobs run as its Studio execution role, whose journey is above.
        roles = [
            role for role in (r.job_role(stack), str(r.out[stack]["trainingRoleArn"])) if role != studios.get(stack)
        ]
        journeys.append(
            Journey(
                f"Jobs and training install their packages from the mirror in {stack}",
                "SageMaker jobs as the account's job execution role and training role",
                [step for role in roles for step in _pip_steps(r, stack, role, mirror)],
            )
        )
    return journeys


def _snapshot_journey(r: _Refs, ds: str) -> Journey:
    """``ops snapshot`` in a team's Studio: an Athena CTAS in the snapshot workgroup reads a curated
    table through the resource link and writes Parquet files to the snapshots bucket as a new table
    of the snapshot database, whose properties the command then records; the table is read back.

    Athena calls Glue, Lake Formation and S3 with the caller's credentials (``aws:CalledVia``). A
    workgroup that enforces its configuration writes a CTAS's files under ``<its result
    location>tables/<query id>/``, otherwise under the snapshots bucket's ``tables/<table>/``
    (https://docs.aws.amazon.com/athena/latest/ug/ctas-considerations-limitations.html)."""
    studio = str(r.out[ds]["executionRoleArn"])
    key = r.key(ds)
    source = r.curated_table(ds)
    database = str(property_of(r.record(ds, DATABASE, "-snapshots-db"), "name"))
    snapshot = f"{source}_20261130t081500z"
    table = r.arn("glue", ds, f"table/{database}/{snapshot}")
    workgroup = r.record(ds, WORKGROUP, "-snapshots")
    configuration = property_of(workgroup, "configuration") or {}
    results = str((configuration.get("resultConfiguration") or {}).get("outputLocation", ""))
    bucket = r.bucket(ds, "snapshots")
    where = (
        f"{results}tables/abc123/"
        if configuration.get("enforceWorkgroupConfiguration") and results
        else f"s3://{bucket}/tables/{snapshot}/"
    )
    files = f"arn:{r.partition}:s3:::{where.removeprefix('s3://')}part-0.parquet"
    via_athena = {**r.via_s3_bucket(bucket), "aws:CalledVia": ["athena.amazonaws.com"]}
    query = _workgroup(r, ds, "snapshots")
    return Journey(
        f"Make a snapshot of curated data in {ds}",
        f"data scientist in {ds} (Studio execution role), then Athena as that role",
        [
            Call(studio, "athena:GetWorkGroup", query, origin=ds),
            Call(studio, "athena:StartQueryExecution", query, origin=ds),
            *_read_curated_through_the_link(r, studio, ds),
            Call(studio, "glue:CreateTable", table, _service("athena")),
            Lake(studio, "CREATE_TABLE", r.account[ds], database),
            Location(studio, r.bucket_arn(ds, "snapshots")),
            Call(studio, "s3:PutObject", files, _service("athena")),
            Call(studio, "kms:GenerateDataKey", key, via_athena),
            Call(studio, "s3:ListBucketMultipartUploads", r.bucket_arn(ds, "snapshots"), _service("athena")),
            Call(studio, "athena:GetQueryExecution", query, origin=ds),
            Call(studio, "glue:GetTable", table, origin=ds),
            Call(studio, "glue:UpdateTable", table, origin=ds),
            Lake(studio, "ALTER", r.account[ds], database, snapshot),
            Lake(studio, "SELECT", r.account[ds], database, snapshot),
            Call(studio, "s3:GetObject", files, _service("athena")),
            Call(studio, "kms:Decrypt", key, via_athena),
        ],
    )


def _read_curated_through_the_link(r: _Refs, principal: str, ds: str) -> list[Step]:
    """What Athena does, as ``principal``, to read the stack's curated table through its resource
    link to the data management catalog."""
    table = r.curated_table(ds)
    link = r.lake_database(ds, "curated")
    return [
        Call(principal, "glue:GetDatabase", r.arn("glue", ds, f"database/{link}"), _service("athena")),
        Call(
            principal,
            "glue:GetTable",
            r.arn("glue", r.datamgmt, f"table/{r.shared('curated')}/{table}"),
            _service("athena"),
        ),
        # The shared catalog's metadata is encrypted with the data management key.
        Call(
            principal,
            "kms:Decrypt",
            r.key(r.datamgmt),
            _service("glue", **{"kms:ViaService": f"glue.{r.region}.amazonaws.com"}),
        ),
        Lake(principal, "SELECT", r.account[ds], link, table),
        Call(principal, "lakeformation:GetDataAccess", "*", _service("athena")),
    ]


def _workgroup(r: _Refs, stack: str, purpose: str = "training") -> str:
    """The stack's Athena workgroup of a purpose (``training``; ``snapshots`` in a team's account)."""
    workgroup = r.record(stack, "aws:athena/workgroup:Workgroup", f"-{purpose}")
    return r.arn("athena", stack, f"workgroup/{workgroup.inputs['name']}")


def _redshift_workgroup(r: _Refs) -> str:
    return str(r.record(r.datamgmt, "aws:redshiftserverless/workgroup:Workgroup").outputs["arn"])


def _image(r: _Refs, repository: str) -> str:
    """A SageMaker image repository of this region, in the AWS account that publishes it there."""
    (arn,) = [arn for arn in image_repository_arns(r.partition, r.region) if arn.endswith(f"/{repository}")]
    return arn


def _audit_journeys(r: _Refs) -> list[Journey]:
    """The nightly audit: EventBridge starts the audit pipeline on its schedule; the build runs as the
    audit role, reads the tooling account, assumes each target account's auditor role and reads its
    guardrail settings there (every action the auditor holds, contracts/audit.AUDIT_ACTIONS), then
    tells the leads through the encrypted approval topic. Refused: an auditor reading data or
    changing anything, and any other role assuming an auditor (or the audit role a runner).

    Lake Formation shows an auditor every grant because it is the account's read-only admin; the
    model decides IAM, not that setting (tests/test_audit_infra.py checks it is declared)."""
    tooling = r.tooling
    audit = r.tooling_role(naming.AUDIT_ROLE_NAME)
    starter = r.tooling_role(naming.physical_name("tooling", "audit-schedule"))
    if audit is None or starter is None:
        return []
    topic = str(r.out[tooling]["approvalTopicArn"])
    sns = {"kms:ViaService": f"sns.{r.region}.amazonaws.com", **_service("sns")}
    auditors = {stack: r.role(stack, "auditor") for stack in r.targets}
    steps: list[Step] = [
        Call("events.amazonaws.com", "sts:AssumeRole", starter, {"aws:SourceAccount": r.account[tooling]}),
        Call(starter, "codepipeline:StartPipelineExecution", r.arn("codepipeline", tooling, naming.AUDIT_PIPELINE)),
        *(RunsAs(tooling, b.pipeline, b.stage, b.project, audit) for b in r.builds(None, audit=True)),
        Call("codebuild.amazonaws.com", "sts:AssumeRole", audit, {"aws:SourceAccount": r.account[tooling]}),
        Call(audit, "s3:GetObject", r.object(tooling, "artifacts", f"{naming.AUDIT_PIPELINE}/source/abc123.zip")),
        Call(audit, "kms:Decrypt", r.key(tooling), r.via_s3(tooling, "artifacts")),
        *_audit_reads(r, audit, tooling),
    ]
    for stack, auditor in auditors.items():
        steps += [Call(audit, "sts:AssumeRole", auditor), *_audit_reads(r, auditor, stack)]
    steps += [Call(audit, "sns:Publish", topic), Call(audit, "kms:GenerateDataKey", r.key(tooling), sns)]
    refused: list[Step] = [
        Refused(step)
        for stack, auditor in auditors.items()
        for step in (
            Call(auditor, "s3:GetObject", r.object(stack, naming.FEATURE_JOBS_BUCKET, "runs/1/features/part-0.csv")),
            Call(auditor, "kms:Decrypt", r.key(stack), r.via_s3(stack, naming.FEATURE_JOBS_BUCKET)),
            Call(auditor, "s3:PutBucketPolicy", r.bucket_arn(stack, naming.FEATURE_JOBS_BUCKET)),
            Call(auditor, "lakeformation:PutDataLakeSettings", "*"),
            Call(auditor, "iam:PutRolePolicy", auditor),
            Call(r.build_role(stack), "sts:AssumeRole", auditor),
            Call(r.runner(stack), "sts:AssumeRole", auditor),
            Call(str(r.out[tooling]["ciRoleArn"]), "sts:AssumeRole", auditor),
            Call(audit, "sts:AssumeRole", r.runner(stack)),
        )
    ]
    return [
        Journey(
            "The nightly audit reads every account's guardrail settings and tells the leads what drifted",
            "EventBridge, then CodeBuild as the tooling audit role, then each account's auditor role",
            steps,
        ),
        Journey(
            "The auditors read no data, change nothing, and only the audit role assumes them",
            "the auditor roles",
            refused,
        ),
    ]


def _audit_reads(r: _Refs, principal: str, stack: str) -> list[Step]:
    """Every action the auditor holds, on the account's own key and access-log bucket where the
    action takes a resource the account's resource policies also decide, else on every resource."""
    bucket = r.bucket_arn(stack, "access-logs")
    steps: list[Step] = []
    for action in sorted(a for actions in AUDIT_ACTIONS.values() for a in actions):
        if action.startswith("kms:") and not action.startswith("kms:List"):
            resource = r.key(stack)
        elif action.startswith("s3:GetBucket") or action == "s3:GetEncryptionConfiguration":
            resource = bucket
        else:
            resource = "*"
        steps.append(Call(principal, action, resource))
    return steps
