"""The platform's user journeys as data: who calls what, on which ARN, with which context.

Each journey is what one actor does in the workflow (the data scientist in Studio, the CI, a
feature job, the Feature Store, EventBridge...), as steps the access model decides:

- ``Call``: an AWS API call (``origin`` names the stack whose private VPC it starts in, so it goes
  through that VPC's endpoint and security groups; without it, it comes from AWS's network or the
  CI's build, outside any VPC of ours);
- ``Lake``: a Lake Formation permission on a database or table (through resource links);
- ``Location``: data location access, to create tables over a registered location;
- ``Connect``: a TCP connection inside a VPC, between security groups.

The ARNs and names come from the synthesized stacks (their exports and resources), never from the
program's modules: the model checks what was built, by the names it was built with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from contracts import naming
from contracts.sagemaker_images import image_repository_arns
from offline.access.evaluate import Value, principal_account
from offline.access.model import (
    BUCKET,
    HTTPS,
    AccessError,
    AccessModel,
    Evidence,
    Verdict,
    all_of,
    parse_arn,
)
from offline.access.service_authorization import action_exists
from offline.mocks import ResourceRecord

#: The stacks the journeys run across: a project without all of them is not this platform.
STACKS = ("tooling", "datamgmt", "datasci")
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


Step = Call | Lake | Location | Connect


@dataclass(frozen=True)
class Journey:
    name: str
    actor: str
    steps: Sequence[Step]


@dataclass(frozen=True)
class Outcome:
    journey: Journey
    step: Step
    verdict: Verdict


def _short(principal: str) -> str:
    return principal.rsplit("/", 1)[-1]


# --- deciding a step ---------------------------------------------------------------------------------


def decide(model: AccessModel, step: Step) -> Verdict:
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
    endpoint = model.endpoint_for(step.origin, step.action)
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


class _Refs:
    """Names and ARNs of the synthesized stacks, by what the journeys call them."""

    def __init__(self, model: AccessModel) -> None:
        self.model = model
        self.out = {name: stack.outputs for name, stack in model.stacks.items()}
        self.account = {name: stack.account_id for name, stack in model.stacks.items()}
        self.region = model.stack("tooling").region
        self.partition = naming.partition(self.region)

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
        (record,) = [r for r in self.model.stack(stack).of(BUCKET) if r.name == f"{stack}-{purpose}-bucket"]
        return str(record.outputs["bucket"])

    def object(self, stack: str, purpose: str, key: str) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket(stack, purpose)}/{key}"

    def bucket_arn(self, stack: str, purpose: str) -> str:
        return f"arn:{self.partition}:s3:::{self.bucket(stack, purpose)}"

    def key(self, stack: str) -> str:
        return str(self.out[stack]["artifactKeyArn" if stack == "tooling" else "dataKeyArn"])

    def record(self, stack: str, token: str, name_part: str = "") -> ResourceRecord:
        (found,) = [r for r in self.model.stack(stack).of(token) if name_part in r.name]
        return found

    def via_s3(self, stack: str, purpose: str) -> dict[str, Value]:
        """What S3 puts in a KMS request for an SSE-KMS object (bucket keys: the bucket's ARN)."""
        return {
            "kms:ViaService": f"s3.{self.region}.amazonaws.com",
            "kms:EncryptionContext:aws:s3:arn": self.bucket_arn(stack, purpose),
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


def _service(name: str, **extra: Value) -> dict[str, Value]:
    """The context of a call an AWS service makes for a caller with the caller's credentials."""
    return {"aws:ViaAWSService": True, "aws:CalledVia": [f"{name}.amazonaws.com"], **extra}


def platform_journeys(model: AccessModel) -> list[Journey]:
    r = _Refs(model)
    return [
        *_studio_journeys(r),
        *_ci_journeys(r),
        *_feature_store_journeys(r),
        *_training_journeys(r),
        *_lake_journeys(r),
        *_platform_service_journeys(r),
    ]


def _studio_journeys(r: _Refs) -> list[Journey]:
    ds, dm = "datasci", "datamgmt"
    studio = str(r.out[ds]["executionRoleArn"])
    domain = str(r.out[ds]["studioDomainId"])
    readonly = str(r.out[dm]["readonlyRoleArn"])
    key = r.key(ds)
    table = "churn_labels"  # a curated table of the data engineers, as the training definition reads it
    workgroup = _workgroup(r, ds)
    results = r.object(ds, "training", "athena/query-1.csv")
    return [
        Journey(
            "Open Studio in data science and list its apps and spaces",
            "data scientist (Studio execution role)",
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
            "Query curated data through the resource link with Athena",
            "data scientist (Studio execution role)",
            [
                Call(studio, "athena:StartQueryExecution", workgroup, origin=ds),
                Call(studio, "glue:GetDatabase", r.arn("glue", ds, "database/mlops_curated_link"), _service("athena")),
                Call(studio, "glue:GetTable", r.arn("glue", dm, f"table/mlops_curated/{table}"), _service("athena")),
                # The shared catalog's metadata is encrypted with the data management key.
                Call(
                    studio,
                    "kms:Decrypt",
                    r.key(dm),
                    _service("glue", **{"kms:ViaService": f"glue.{r.region}.amazonaws.com"}),
                ),
                Lake(studio, "SELECT", r.account[ds], "mlops_curated_link", table),
                Call(studio, "lakeformation:GetDataAccess", "*", _service("athena")),
                Call(studio, "s3:PutObject", results, _service("athena")),
                Call(studio, "kms:GenerateDataKey", key, r.via_s3(ds, "training")),
                Call(studio, "athena:GetQueryResults", workgroup, origin=ds),
                Call(studio, "s3:GetObject", results, _service("athena")),
                Call(studio, "kms:Decrypt", key, r.via_s3(ds, "training")),
            ],
        ),
        Journey(
            "Write a snapshot of curated data, and read the experimentation offline store",
            "data scientist (Studio execution role)",
            [
                Call(studio, "s3:PutObject", r.object(ds, "snapshots", "customer-churn/customers.csv"), origin=ds),
                Call(studio, "kms:GenerateDataKey", key, r.via_s3(ds, "snapshots")),
                Call(
                    studio,
                    "s3:GetObject",
                    r.object(ds, "feature-store", "offline-store/customer-churn/data.parquet"),
                    origin=ds,
                ),
                Call(studio, "kms:Decrypt", key, r.via_s3(ds, "feature-store")),
                Lake(studio, "SELECT", r.account[ds], "mlops_datasci_feature_store", "customer_churn"),
                Call(studio, "sagemaker:GetRecord", r.arn("sagemaker", ds, "feature-group/customer-churn"), origin=ds),
            ],
        ),
        Journey(
            "Run a processing job in the VPC with the account key",
            "data scientist (Studio execution role), then SageMaker as that role",
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
                Call(studio, "sagemaker:PutRecord", r.arn("sagemaker", ds, "feature-group/customer-churn"), origin=ds),
            ],
        ),
        Journey(
            "Inspect production features and query Redshift in the read-only Studio",
            "data scientist (data management read-only Studio role)",
            [
                Call(readonly, "sagemaker:ListApps", "*", origin=dm),
                Call(
                    readonly, "sagemaker:GetRecord", r.arn("sagemaker", dm, "feature-group/customer-churn"), origin=dm
                ),
                Lake(readonly, "SELECT", r.account[dm], "mlops_features", "customer_churn"),
                Call(readonly, "redshift-serverless:GetCredentials", _redshift_workgroup(r), origin=dm),
                Connect(dm, STUDIO_GROUP, 5439, "warehouse-sg"),
            ],
        ),
    ]


def _ci_journeys(r: _Refs) -> list[Journey]:
    journeys = []
    runners = {
        "datasci": ("featureRunnerRoleArn", "executionRoleArn"),
        "datamgmt": ("featureDeployerRoleArn", "jobExecutionRoleArn"),
    }
    ci = str(r.out["tooling"]["ciRoleArn"])
    for stack, (runner_output, job_output) in runners.items():
        runner, job = str(r.out[stack][runner_output]), str(r.out[stack][job_output])
        pipeline = r.arn("sagemaker", stack, "pipeline/mlops-feature-customer-churn")
        journeys.append(
            Journey(
                f"The CI runs a feature job in {stack}",
                "CI role in tooling, then the account's runner role",
                [
                    Call(ci, "sts:AssumeRole", runner),
                    Call(runner, "s3:GetObject", r.object("tooling", "artifacts", "source/flows/customer-churn.flow")),
                    Call(runner, "kms:Decrypt", r.key("tooling"), r.via_s3("tooling", "artifacts")),
                    Call(runner, "ssm:GetParameter", r.arn("ssm", stack, "parameter/mlops/feature-jobs/settings")),
                    Call(
                        runner,
                        "sagemaker:DescribeFeatureGroup",
                        r.arn("sagemaker", stack, "feature-group/customer-churn"),
                    ),
                    Call(runner, "s3:PutObject", r.object(stack, "feature-jobs", "runs/1/customer-churn.flow")),
                    Call(runner, "kms:GenerateDataKey", r.key(stack), r.via_s3(stack, "feature-jobs")),
                    Call(runner, "sagemaker:CreatePipeline", pipeline),
                    Call(runner, "iam:PassRole", job, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
                    Call(runner, "sagemaker:StartPipelineExecution", pipeline),
                    Call(runner, "sagemaker:DescribePipelineExecution", f"{pipeline}/execution/abc123"),
                ],
            )
        )
    dm = "datamgmt"
    job = str(r.out[dm]["jobExecutionRoleArn"])
    journeys.append(
        Journey(
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
                Call(job, "sagemaker:PutRecord", r.arn("sagemaker", dm, "feature-group/customer-churn"), origin=dm),
            ],
        )
    )
    return journeys


def _feature_store_journeys(r: _Refs) -> list[Journey]:
    journeys = []
    for stack, database, bucket in (
        ("datasci", "mlops_datasci_feature_store", "feature-store"),
        ("datamgmt", "mlops_features", "features"),
    ):
        role = r.role(stack, "feature-store")
        journeys.append(
            Journey(
                f"The Feature Store creates and writes the offline store in {stack}",
                "SageMaker Feature Store as the account's feature-store role",
                [
                    Call("sagemaker.amazonaws.com", "sts:AssumeRole", role, {"aws:SourceAccount": r.account[stack]}),
                    Call(
                        role,
                        "glue:CreateTable",
                        r.arn("glue", stack, f"table/{database}/customer_churn"),
                        _service("sagemaker"),
                    ),
                    Lake(role, "CREATE_TABLE", r.account[stack], database),
                    Location(role, r.bucket_arn(stack, bucket)),
                    Call(role, "s3:GetBucketAcl", r.bucket_arn(stack, bucket)),
                    Call(
                        role,
                        "s3:PutObject",
                        r.object(stack, bucket, "offline-store/customer-churn/data/part-0.parquet"),
                    ),
                    Call(
                        role,
                        "s3:PutObjectAcl",
                        r.object(stack, bucket, "offline-store/customer-churn/data/part-0.parquet"),
                    ),
                    Call(role, "kms:GenerateDataKey", r.key(stack), r.via_s3(stack, bucket)),
                ],
            )
        )
    return journeys


def _training_journeys(r: _Refs) -> list[Journey]:
    journeys = []
    group = r.arn("sagemaker", "tooling", "model-package-group/mlops-feature-models")
    for stack, link in (("datasci", True), ("datamgmt", False)):
        role = str(r.out[stack]["trainingRoleArn"])
        features_db = "mlops_features_link" if link else "mlops_features"
        curated_db = "mlops_curated_link" if link else "mlops_curated"
        journeys.append(
            Journey(
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
                    Lake(role, "SELECT", r.account[stack], features_db, "customer_churn"),
                    Lake(role, "SELECT", r.account[stack], curated_db, "churn_labels"),
                    Call(role, "lakeformation:GetDataAccess", "*", _service("athena")),
                    Call(
                        role,
                        "s3:PutObject",
                        r.object(stack, "training", "athena/dataset.csv"),
                        _service("athena"),
                    ),
                    Call(
                        role, "s3:PutObject", r.object(stack, "training", "models/churn-1/model.tar.gz"), origin=stack
                    ),
                    Call(role, "kms:GenerateDataKey", r.key(stack), r.via_s3(stack, "training")),
                    Call(
                        role,
                        "sagemaker:CreateModelPackage",
                        r.arn("sagemaker", "tooling", "model-package/mlops-feature-models/1"),
                        _service("sagemaker", **{"sagemaker:ModelApprovalStatus": "PendingManualApproval"}),
                    ),
                    Call(role, "sagemaker:DescribeModelPackageGroup", group, _service("sagemaker")),
                ],
            )
        )
    return journeys


def _lake_journeys(r: _Refs) -> list[Journey]:
    dm = "datamgmt"
    engineering = r.role(dm, "data-engineering")
    data_access = r.role(dm, "lake-data-access")
    return [
        Journey(
            "Data engineers' Glue jobs create and write curated tables",
            "Glue as the data engineering role",
            [
                Call("glue.amazonaws.com", "sts:AssumeRole", engineering, {"aws:SourceAccount": r.account[dm]}),
                Call(engineering, "glue:CreateTable", r.arn("glue", dm, "table/mlops_curated/churn_labels")),
                Lake(engineering, "CREATE_TABLE", r.account[dm], "mlops_curated"),
                Location(engineering, r.bucket_arn(dm, "curated")),
                Lake(engineering, "SELECT", r.account[dm], "mlops_raw", "events"),
                Call(engineering, "s3:PutObject", r.object(dm, "curated", "churn_labels/part-0.parquet")),
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
                Call(data_access, "s3:GetObject", r.object(dm, "curated", "churn_labels/part-0.parquet")),
                Call(data_access, "kms:Decrypt", r.key(dm), r.via_s3(dm, "curated")),
                Call(
                    data_access,
                    "s3:GetObject",
                    r.object(dm, "features", "offline-store/customer-churn/data/part-0.parquet"),
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
                    r.object(dm, "curated", "churn_labels/part-0.parquet"),
                    origin=dm,
                    group="warehouse-sg",
                ),
                Call(r.role(dm, "warehouse"), "kms:Decrypt", r.key(dm), r.via_s3(dm, "curated")),
            ],
        ),
    ]


def _platform_service_journeys(r: _Refs) -> list[Journey]:
    tooling = "tooling"
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
    for stack in ("datasci", "datamgmt"):
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


def _workgroup(r: _Refs, stack: str) -> str:
    workgroup = r.record(stack, "aws:athena/workgroup:Workgroup")
    return r.arn("athena", stack, f"workgroup/{workgroup.inputs['name']}")


def _redshift_workgroup(r: _Refs) -> str:
    return str(r.record("datamgmt", "aws:redshiftserverless/workgroup:Workgroup").outputs["arn"])


def _image(r: _Refs, repository: str) -> str:
    """A SageMaker image repository of this region, in the AWS account that publishes it there."""
    (arn,) = [arn for arn in image_repository_arns(r.partition, r.region) if arn.endswith(f"/{repository}")]
    return arn
