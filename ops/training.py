"""Run a training pipeline: a SageMaker pipeline that trains a model on a feature group's features
as of a point in time and registers it in the tooling account's model registry, pending approval.

A training definition (``pipelines/<name>.py``) declares the model: its feature group and features,
its labels (a table of the curated layer), its code (``train.py`` and ``evaluate.py``), its
hyperparameters and the quality bar. From it ``ops`` builds this pipeline:

1. ``BuildDataset``: a processing job runs the dataset query with Athena, through Lake Formation, in
   the account's training workgroup. The query joins each label to the record's latest features at
   the label's time, among the records written by the dataset's point in time, so a rerun with the
   same point in time reads the same rows. It splits the rows into train and test, by record.
2. ``Train``: a training job runs ``train.py`` on the train part.
3. ``Evaluate``: a processing job runs ``evaluate.py`` on the test part and writes ``evaluation.json``.
4. ``QualityGate``: when the objective metric reaches the minimum, ``RegisterModel`` adds a version
   to the registry, ``PendingManualApproval``, that names the feature group, the dataset query (its
   S3 copy and SHA-256), the point in time, the git revision and the metrics; otherwise
   ``BelowQualityBar`` fails the run.

Every job runs in the account's private subnets with its key, as the account's training role, whose
IAM conditions require both; that role may register versions only as pending approval. With a
package mirror, ``BuildDataset``, ``Train`` and ``Evaluate`` first install the requirements.txt
beside their script (``ops/jobs/`` for the dataset script, the definition's code folder for the
others) through it (ops/runs.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from contracts.feature_catalog import FeatureGroupSpec
from contracts.naming import PENDING_APPROVAL
from ops import OpsError
from ops.aws import JobSettings, TrainingSettings
from ops.feature_job import describe_feature_group
from ops.runs import (
    MIRROR_CHANNEL,
    PROCESSING,
    SKLEARN_VERSION,
    TELEMETRY_OPT_OUT,
    TRAINING_MIRROR,
    PipelineRun,
    sdk_imports,
)

DATASET_SCRIPT = Path(__file__).resolve().parent / "jobs" / "dataset.py"
#: The scripts a definition's code directory holds.
TRAIN_SCRIPT, EVALUATE_SCRIPT = "train.py", "evaluate.py"
#: Metrics ``evaluate.py`` writes, in the registry's model-quality format, one of which is the objective.
OBJECTIVES = ("auc", "accuracy", "precision", "recall", "f1")
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,127}")
NAME = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
#: Columns the dataset query names itself; a feature or label may not take them.
RESERVED = frozenset({"record_id", "label", "label_time", "feature_time", "write_time", "api_invocation_time"})


@dataclass(frozen=True)
class Labels:
    """The outcomes a model learns: a table of the curated layer, one row per record and observation."""

    #: The table, in the curated database (through its resource link in the data science account).
    table: str
    #: The 0/1 outcome.
    column: str
    #: When the outcome was observed: features are taken as they were at this time.
    time: str
    #: The column naming the record; default: the feature group's record identifier.
    record_identifier: str | None = None

    def __post_init__(self) -> None:
        for name in ("table", "column", "time", "record_identifier"):
            value = getattr(self, name)
            if value is not None and not IDENTIFIER.fullmatch(value):
                raise ValueError(
                    f"labels.{name}: {value!r} is not a table or column name; expected lowercase letters, "
                    "digits and underscores"
                )


@dataclass(frozen=True)
class TrainingDefinition:
    """A model to train on the platform's features, declared in ``pipelines/<name>.py`` as ``PIPELINE``."""

    #: The pipeline is ``mlops-training-<name>``.
    name: str
    feature_group: str
    #: The model's inputs, features of the group.
    features: tuple[str, ...]
    labels: Labels
    #: The folder of ``train.py`` and ``evaluate.py``, relative to the definition's file.
    code: Path
    hyperparameters: Mapping[str, str | int | float] = field(default_factory=dict)
    #: The metric of ``evaluate.py`` that must reach ``minimum`` for the model to be registered.
    objective: str = "auc"
    minimum: float = 0.7
    instance_type: str = "ml.m5.xlarge"
    #: The share of records held out for evaluation.
    test_fraction: float = 0.2

    def __post_init__(self) -> None:
        if not NAME.fullmatch(self.name) or len(self.name) > 40:
            raise ValueError(f"name: {self.name!r} is not a name; expected up to 40 lowercase letters, digits, hyphens")
        if not self.features:
            raise ValueError("features: empty; expected the feature names the model reads")
        bad = [f for f in self.features if not IDENTIFIER.fullmatch(f) or f in RESERVED]
        if bad:
            raise ValueError(f"features: {bad} are not usable column names; expected feature names of the group")
        if self.labels.column in self.features or self.labels.column in RESERVED:
            raise ValueError(
                f"labels.column: {self.labels.column!r} is a feature or a reserved name; expected its own column"
            )
        if self.objective not in OBJECTIVES:
            raise ValueError(f"objective: {self.objective!r} is not a metric; expected one of {', '.join(OBJECTIVES)}")
        if not 0 <= self.minimum <= 1:
            raise ValueError(f"minimum: {self.minimum!r} is not between 0 and 1; expected for example 0.7")
        if not 0 < self.test_fraction < 1:
            raise ValueError(f"test_fraction: {self.test_fraction!r} is not between 0 and 1; expected for example 0.2")


def load_definition(path: Path) -> TrainingDefinition:
    """The ``PIPELINE`` a definition file declares, its code folder resolved and checked."""
    if not path.is_file() or path.suffix != ".py":
        raise OpsError(f"--pipeline: {str(path)!r} is not a .py file; expected for example pipelines/customer-churn.py")
    module_name = "mlops_training_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None  # a .py file always has a loader
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except ValueError as error:
        raise OpsError(f"--pipeline: {path}: {error}") from None
    except Exception as error:
        raise OpsError(
            f"--pipeline: {path} cannot be loaded ({type(error).__name__}: {error}); "
            "expected a Python file that defines PIPELINE = TrainingDefinition(...)"
        ) from None
    definition = getattr(module, "PIPELINE", None)
    if not isinstance(definition, TrainingDefinition):
        raise OpsError(
            f"--pipeline: {path} defines no PIPELINE of type TrainingDefinition; "
            "expected PIPELINE = TrainingDefinition(...) (see pipelines/README.md)"
        )
    code = (path.parent / definition.code).resolve()
    missing = [script for script in (TRAIN_SCRIPT, EVALUATE_SCRIPT) if not (code / script).is_file()]
    if missing:
        raise OpsError(f"--pipeline: {path}: code folder {str(code)!r} lacks {missing}; expected both scripts there")
    return dataclasses.replace(definition, code=code)


def check_against_catalog(definition: TrainingDefinition, specs: Mapping[str, FeatureGroupSpec]) -> FeatureGroupSpec:
    """The definition's feature group, which must be in the catalog and have every feature it reads."""
    if definition.feature_group not in specs:
        raise OpsError(
            f"--pipeline: feature group {definition.feature_group!r} is not in the catalog; "
            f"expected one of {', '.join(specs) or 'none'}"
        )
    spec = specs[definition.feature_group]
    available = {f.name for f in spec.features} - {spec.record_identifier, spec.event_time}
    unknown = [f for f in definition.features if f not in available]
    if unknown:
        raise OpsError(
            f"--pipeline: features {unknown} are not features of {spec.name!r}; expected some of {sorted(available)}"
        )
    return spec


def parse_as_of(value: str | None) -> datetime:
    """The dataset's point in time, in UTC to the second; default now."""
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise OpsError(f"--as-of: {value!r} is not a time; expected ISO-8601 such as 2026-11-01T00:00:00Z") from None
    if moment.tzinfo is None:
        raise OpsError(f"--as-of: {value!r} has no time zone; expected ISO-8601 with one, such as 2026-11-01T00:00:00Z")
    return moment.astimezone(UTC).replace(microsecond=0)


def script_arguments(hyperparameters: Mapping[str, str | int | float]) -> list[str]:
    """``--name value`` for each hyperparameter, as the SDK's script driver passes them to
    ``train.py`` (each value serialized, as the job stores it, then read back as JSON where it is)."""
    arguments: list[str] = []
    for name, value in hyperparameters.items():
        text = value if isinstance(value, str) else json.dumps(value)
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
        arguments += [f"--{name}", parsed if isinstance(parsed, str) else json.dumps(parsed)]
    return arguments


def dataset_query(
    definition: TrainingDefinition,
    spec: FeatureGroupSpec,
    offline_table: tuple[str, str],
    labels_database: str,
    as_of: datetime,
) -> str:
    """The Athena (Trino) query of the training dataset: every label observed by ``as_of``, with the
    record's latest features at the label's time, among the records written by ``as_of`` and not
    deleted. Columns: the record identifier, the features, ``label_time`` and the label."""
    record = spec.record_identifier
    labels = definition.labels
    label_record = labels.record_identifier or record
    event_type = next(f.type for f in spec.features if f.name == spec.event_time)
    event = f'"{spec.event_time}"'
    # The offline store keeps the event time as the group declares it: ISO-8601 text or epoch seconds.
    event_time = (
        f"CAST(from_iso8601_timestamp({event}) AT TIME ZONE 'UTC' AS timestamp)"
        if event_type == "String"
        else f"CAST(from_unixtime({event}) AS timestamp)"
    )
    moment = f"TIMESTAMP '{as_of.astimezone(UTC):%Y-%m-%d %H:%M:%S}'"
    features = ", ".join(f'"{name}"' for name in definition.features)
    database, table = offline_table
    return f"""-- Training dataset of {definition.name}: {spec.name} as of {as_of.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}
WITH labels AS (
    SELECT "{label_record}" AS record_id, "{labels.column}" AS label, CAST("{labels.time}" AS timestamp) AS label_time
    FROM "{labels_database}"."{labels.table}"
    WHERE CAST("{labels.time}" AS timestamp) <= {moment}
),
features AS (
    SELECT "{record}", {features}, {event_time} AS feature_time, write_time, api_invocation_time, is_deleted
    FROM "{database}"."{table}"
    WHERE write_time <= {moment}
),
latest AS (
    SELECT labels.label, labels.label_time, features.*,
        row_number() OVER (
            PARTITION BY labels.record_id, labels.label_time
            ORDER BY features.feature_time DESC, features.api_invocation_time DESC, features.write_time DESC
        ) AS recency
    FROM labels JOIN features
        ON features."{record}" = labels.record_id AND features.feature_time <= labels.label_time
)
SELECT "{record}", {features}, label_time, label AS "{labels.column}"
FROM latest
WHERE recency = 1 AND NOT is_deleted
ORDER BY "{record}", label_time
"""


def _sdk(region: str) -> SimpleNamespace:
    """The SageMaker SDK classes the pipeline needs, imported on first use (see ops/runs.py)."""
    with sdk_imports(region):
        from sagemaker.core import image_uris
        from sagemaker.core.model_metrics import MetricsSource, ModelMetrics
        from sagemaker.core.network import NetworkConfig
        from sagemaker.core.processing import ScriptProcessor
        from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
        from sagemaker.core.training.configs import Compute, InputData, Networking, OutputDataConfig, SourceCode
        from sagemaker.core.workflow.conditions import ConditionGreaterThanOrEqualTo
        from sagemaker.core.workflow.execution_variables import ExecutionVariables
        from sagemaker.core.workflow.functions import Join, JsonGet
        from sagemaker.core.workflow.pipeline_context import PipelineSession
        from sagemaker.core.workflow.properties import PropertyFile
        from sagemaker.mlops.workflow import ConditionStep, FailStep, ModelStep, Pipeline, ProcessingStep, TrainingStep
        from sagemaker.serve.model_builder import ModelBuilder
        from sagemaker.train import ModelTrainer
    return SimpleNamespace(
        image_uris=image_uris,
        MetricsSource=MetricsSource,
        ModelMetrics=ModelMetrics,
        NetworkConfig=NetworkConfig,
        ScriptProcessor=ScriptProcessor,
        ProcessingInput=ProcessingInput,
        ProcessingOutput=ProcessingOutput,
        ProcessingS3Input=ProcessingS3Input,
        ProcessingS3Output=ProcessingS3Output,
        ConditionGreaterThanOrEqualTo=ConditionGreaterThanOrEqualTo,
        ExecutionVariables=ExecutionVariables,
        Join=Join,
        JsonGet=JsonGet,
        PipelineSession=PipelineSession,
        PropertyFile=PropertyFile,
        ConditionStep=ConditionStep,
        FailStep=FailStep,
        ModelStep=ModelStep,
        Pipeline=Pipeline,
        ProcessingStep=ProcessingStep,
        TrainingStep=TrainingStep,
        ModelBuilder=ModelBuilder,
        ModelTrainer=ModelTrainer,
        Compute=Compute,
        InputData=InputData,
        Networking=Networking,
        OutputDataConfig=OutputDataConfig,
        SourceCode=SourceCode,
    )


@dataclass(frozen=True)
class RunInputs:
    """What ``TrainingRun.prepare`` put in the feature-jobs bucket for one run, and what it read."""

    query_uri: str
    query_sha256: str
    dataset_script_uri: str
    evaluate_script_uri: str
    #: The offline store's Glue database and table, as deployed.
    offline_table: tuple[str, str]


@dataclass(frozen=True)
class TrainingRequest:
    definition: TrainingDefinition
    spec: FeatureGroupSpec
    account: str
    as_of: datetime
    git_revision: str | None
    branch: str | None


class TrainingRun(PipelineRun):
    """One run of one training definition in one account."""

    def __init__(self, target: boto3.Session, settings: JobSettings, request: TrainingRequest) -> None:
        if settings.training is None:
            raise OpsError(
                f"job settings of account {settings.account_id}: no training settings; "
                f"expected the {request.account} stack deployed with training pipelines"
            )
        self.training: TrainingSettings = settings.training
        revision = (request.git_revision or "local")[:12]
        stamp = f"{request.as_of:%Y%m%dT%H%M%SZ}"
        super().__init__(
            target,
            settings,
            f"{self.training.pipeline_prefix}{request.definition.name}",
            f"training/{request.definition.name}/{revision}-{stamp}",
        )
        self.request = request

    def offline_table(self) -> tuple[str, str]:
        """The Glue database and table of the group's offline store, as deployed."""
        request = self.request
        described = describe_feature_group(self.target, self.settings, request.spec, request.account)
        catalog = described.get("OfflineStoreConfig", {}).get("DataCatalogConfig")
        if not catalog:
            raise OpsError(
                f"--pipeline: feature group {request.spec.name!r} in account {self.settings.account_id} has no "
                "offline store; expected one (training reads it)"
            )
        return str(catalog["Database"]), str(catalog["TableName"])

    def build_pipeline(self, inputs: RunInputs) -> Any:
        settings, training, request = self.settings, self.training, self.request
        definition, spec = request.definition, request.spec
        sm = _sdk(settings.region)
        # The SDK puts what it uploads itself (the training code) next to this run's other inputs.
        session = sm.PipelineSession(
            boto_session=self.target,
            sagemaker_config=TELEMETRY_OPT_OUT,
            default_bucket=settings.bucket,
            default_bucket_prefix=self.prefix,
        )
        common = self.processing_args(sm, session, training.role_arn, definition.instance_type)
        sklearn = sm.image_uris.retrieve("sklearn", settings.region, version=SKLEARN_VERSION)
        data_input = partial(self.processing_input, sm)
        run_prefix = f"s3://{training.bucket}/{definition.name}"

        def under_run(part: str) -> Any:
            """Each run writes under its own execution id, so no run reads another's data."""
            return sm.Join(on="/", values=[run_prefix, sm.ExecutionVariables.PIPELINE_EXECUTION_ID, part])

        dataset_processor, dataset_mirror = self.script_processor(sm, common, sklearn, "mlops-dataset", DATASET_SCRIPT)
        dataset = sm.ProcessingStep(
            name="BuildDataset",
            step_args=dataset_processor.run(
                code=inputs.dataset_script_uri,
                inputs=[data_input("query", inputs.query_uri, f"{PROCESSING}/input/query"), *dataset_mirror],
                outputs=[
                    self.processing_output(sm, part, under_run(f"dataset/{part}"), f"{PROCESSING}/output/{part}")
                    for part in ("train", "test")
                ],
                arguments=[
                    "--workgroup",
                    training.athena_workgroup,
                    "--region",
                    settings.region,
                    "--record-identifier",
                    spec.record_identifier,
                    "--test-fraction",
                    str(definition.test_fraction),
                ],
            ),
        )
        hyperparameters = {**definition.hyperparameters, "label": definition.labels.column}
        train_mirror = self.mirror_step(definition.code / TRAIN_SCRIPT)
        mirror_options: dict[str, Any] = {}
        mirror_channels: list[Any] = []
        if train_mirror is None:
            source_code = sm.SourceCode(source_dir=str(definition.code), entry_script=TRAIN_SCRIPT)
        else:
            # The helper installs the requirements, then runs train.py with the arguments the SDK's
            # script driver would give it (a command gets none of its own).
            source_code = sm.SourceCode(
                source_dir=str(definition.code),
                command=" ".join([*train_mirror.command(TRAINING_MIRROR), TRAIN_SCRIPT]),
                args=script_arguments(hyperparameters),
            )
            mirror_options["environment"] = train_mirror.environment
            mirror_channels.append(sm.InputData(channel_name=MIRROR_CHANNEL, data_source=train_mirror.uri))
        trainer = sm.ModelTrainer(
            sagemaker_session=session,
            role=training.role_arn,
            training_image=sklearn,
            base_job_name=f"mlops-train-{definition.name}"[:40],
            source_code=source_code,
            compute=sm.Compute(
                instance_type=definition.instance_type, instance_count=1, volume_kms_key_id=settings.kms_key_arn
            ),
            networking=sm.Networking(
                subnets=list(settings.subnet_ids),
                security_group_ids=list(settings.security_group_ids),
                enable_inter_container_traffic_encryption=True,
            ),
            output_data_config=sm.OutputDataConfig(
                s3_output_path=f"s3://{training.bucket}/{definition.name}/models", kms_key_id=settings.kms_key_arn
            ),
            hyperparameters=hyperparameters,
            **mirror_options,
        )
        train = sm.TrainingStep(
            name="Train",
            step_args=trainer.train(
                input_data_config=[
                    sm.InputData(
                        channel_name="train",
                        data_source=dataset.properties.ProcessingOutputConfig.Outputs["train"].S3Output.S3Uri,
                    ),
                    *mirror_channels,
                ]
            ),
        )
        evaluation = sm.PropertyFile(name="Evaluation", output_name="evaluation", path="evaluation.json")
        evaluation_uri = under_run("evaluation")
        evaluator, evaluate_mirror = self.script_processor(
            sm, common, sklearn, "mlops-evaluate", definition.code / EVALUATE_SCRIPT
        )
        evaluate = sm.ProcessingStep(
            name="Evaluate",
            step_args=evaluator.run(
                code=inputs.evaluate_script_uri,
                inputs=[
                    data_input("model", train.properties.ModelArtifacts.S3ModelArtifacts, f"{PROCESSING}/model"),
                    data_input(
                        "test",
                        dataset.properties.ProcessingOutputConfig.Outputs["test"].S3Output.S3Uri,
                        f"{PROCESSING}/test",
                    ),
                    *evaluate_mirror,
                ],
                outputs=[self.processing_output(sm, "evaluation", evaluation_uri, f"{PROCESSING}/evaluation")],
                arguments=["--label", definition.labels.column],
            ),
            property_files=[evaluation],
        )
        metric = sm.JsonGet(
            step_name=evaluate.name,
            property_file=evaluation,
            json_path=f"binary_classification_metrics.{definition.objective}.value",
        )
        register = sm.ModelStep(
            name="RegisterModel",
            step_args=sm.ModelBuilder(
                s3_model_data_url=train.properties.ModelArtifacts.S3ModelArtifacts,
                image_uri=sklearn,
                role_arn=training.role_arn,
                sagemaker_session=session,
            ).register(
                model_package_group_name=training.model_package_group_arn,
                approval_status=PENDING_APPROVAL,
                content_types=["text/csv"],
                response_types=["text/csv"],
                inference_instances=["ml.m5.large"],
                transform_instances=["ml.m5.large"],
                model_metrics=sm.ModelMetrics(
                    model_statistics=sm.MetricsSource(
                        content_type="application/json",
                        s3_uri=sm.Join(on="/", values=[evaluation_uri, "evaluation.json"]),
                    )
                ),
                customer_metadata_properties=self._lineage(sm, inputs, metric),
                description=(
                    f"{definition.name}: trained on {spec.name} as of {request.as_of:%Y-%m-%dT%H:%M:%SZ}, "
                    f"git revision {request.git_revision or 'unknown'}, in account {settings.account_id}"
                ),
            ),
        )
        gate = sm.ConditionStep(
            name="QualityGate",
            conditions=[sm.ConditionGreaterThanOrEqualTo(left=metric, right=definition.minimum)],
            if_steps=[register],
            else_steps=[
                sm.FailStep(
                    name="BelowQualityBar",
                    error_message=sm.Join(
                        on=" ", values=[f"{definition.objective}", metric, f"is below the minimum {definition.minimum}"]
                    ),
                )
            ],
        )
        return sm.Pipeline(name=self.pipeline_name, steps=[dataset, train, evaluate, gate], sagemaker_session=session)

    def _lineage(self, sm: SimpleNamespace, inputs: RunInputs, metric: Any) -> dict[str, Any]:
        """What a registered version says about where it comes from (values of at most 256
        characters): enough to rebuild the dataset query (``dataset_query`` is deterministic) and
        check it against the copy's SHA-256."""
        request = self.request
        return {
            "mlops:feature-groups": request.spec.name,
            "mlops:features": ",".join(request.definition.features)[:256],
            "mlops:offline-table": ".".join(inputs.offline_table),
            "mlops:labels": f"{self.training.curated_database}.{request.definition.labels.table}",
            "mlops:dataset-as-of": f"{request.as_of:%Y-%m-%dT%H:%M:%SZ}",
            "mlops:dataset-query": inputs.query_uri,
            "mlops:dataset-query-sha256": inputs.query_sha256,
            "mlops:git-revision": request.git_revision or "unknown",
            "mlops:branch": request.branch or "unknown",
            "mlops:account": self.settings.account_id,
            "mlops:pipeline-execution": sm.ExecutionVariables.PIPELINE_EXECUTION_ARN,
            f"mlops:{request.definition.objective}": sm.Join(on="", values=[metric]),
        }

    def prepare(self) -> RunInputs:
        """Write the run's inputs (the query, the dataset and evaluation scripts) to the feature-jobs
        bucket, for ``build_pipeline``."""
        request = self.request
        offline_table = self.offline_table()
        query = dataset_query(
            request.definition, request.spec, offline_table, self.training.curated_database, request.as_of
        ).encode()
        return RunInputs(
            query_uri=self.upload("query.sql", query),
            query_sha256=hashlib.sha256(query).hexdigest(),
            dataset_script_uri=self.upload_file(DATASET_SCRIPT),
            evaluate_script_uri=self.upload_file(request.definition.code / EVALUATE_SCRIPT),
            offline_table=offline_table,
        )

    def registered_version(self, arn: str) -> str | None:
        """The model version a finished run registered, as its RegisterModel step reports it; None
        where the API does not say. An informational lookup: one attempt, no retries."""
        client = self.target.client("sagemaker", config=Config(retries={"max_attempts": 1, "mode": "standard"}))
        try:
            steps = client.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
        except (ClientError, BotoCoreError):
            return None
        for step in steps:
            if step.get("StepName") == "RegisterModel":
                version = step.get("Metadata", {}).get("RegisterModel", {}).get("Arn")
                return str(version) if version else None
        return None

    def start_run(self, pipeline: Any, say: Callable[[str], None]) -> str:
        """Upsert the pipeline as the training role and start it, marked with the code's revision."""
        request = self.request
        return self.start(
            pipeline,
            self.training.role_arn,
            f"Training pipeline {request.definition.name} on {request.spec.name}",
            [
                {"Key": "mlops:feature-group", "Value": request.spec.name},
                {"Key": "mlops:training", "Value": request.definition.name},
            ],
            request.git_revision,
            request.branch,
            say,
        )
