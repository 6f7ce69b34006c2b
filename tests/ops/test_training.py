"""``python -m ops run-training`` against moto: the example training definition becomes a SageMaker
pipeline in an emulated target account, started as the CI's deploy (or runner) role would start it.

moto 5.2.5 stores and starts pipelines but runs none of their steps (a started run is at once
``Succeeded``), and its Athena has no query engine. So the jobs, the quality gate and the
registration are checked in the definition the service would run; the registration's request is
replayed against moto's model registry; and the dataset script runs against moto's Athena with
result rows the test gives it."""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import importlib.util
import io
import json
import re
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from contracts.feature_catalog import load_spec
from offline.engine import Preview
from ops import OpsError
from ops.__main__ import main
from ops.jobs import dataset as dataset_job
from ops.training import Labels, TrainingDefinition, dataset_query, load_definition, parse_as_of
from tests.conftest import ROOT
from tests.ops.conftest import REGION, buildspec_command, in_account, shared_ambient
from tests.ops.test_feature_job import prepare

DEFINITION = ROOT / "pipelines" / "customer-churn.py"
SPEC = load_spec(ROOT / "features" / "customer-churn.yaml")
REVISION = "fedcba9876543210fedcba9876543210fedcba98"
AS_OF = "2026-11-01T00:00:00Z"
TOOLING, DATASCI = "111111111111", "222222222222"
PREFIX = f"training/customer-churn/{REVISION[:12]}-20261101T000000Z"
GROUP_ARN = f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package-group/mlops-feature-models"


@pytest.fixture
def datasci(aws: boto3.Session, platform: Preview) -> dict[str, Any]:
    """The data science account as its stack leaves it, plus the training bucket."""
    account = prepare(aws, platform)
    account["session"].client("s3").create_bucket(
        Bucket=account["settings"]["training"]["bucket"], CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return account


@dataclass(frozen=True)
class Started:
    """One ``run-training --wait`` in the emulated data science account, and what it left there."""

    settings: dict[str, Any]
    output: str
    role: str
    steps: dict[str, dict[str, Any]]
    executions: int
    #: The run's inputs in the feature-jobs bucket, by name.
    inputs: dict[str, bytes]
    offline_table: dict[str, str]
    #: What the training job runs (the SDK's sm_train.sh, uploaded with its drivers).
    train_script: str
    #: The mirror folders' files in the feature-jobs bucket, by key below the run's prefix.
    mirror_files: dict[str, bytes]


@pytest.fixture(scope="module")
def started(moto_endpoint: str, platform: Preview) -> Started:
    """The pipeline-building tests share one run: each run builds, uploads and upserts for seconds.
    moto is reset by the next test that asks for it; everything the tests read is copied here."""
    with shared_ambient(moto_endpoint) as aws:
        account = prepare(aws, platform)
        session, settings = account["session"], account["settings"]
        session.client("s3").create_bucket(
            Bucket=settings["training"]["bucket"], CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            assert run("--wait", "--poll-seconds", "0.05") == 0
        role, steps = pipeline_definition(session)
        sagemaker = session.client("sagemaker")
        executions = sagemaker.list_pipeline_executions(PipelineName="mlops-training-customer-churn")
        group = sagemaker.describe_feature_group(FeatureGroupName="customer-churn")
        started = Started(
            settings=settings,
            output=output.getvalue(),
            role=role,
            steps=steps,
            executions=len(executions["PipelineExecutionSummaries"]),
            inputs={name: uploaded(session, settings, name) for name in ("query.sql", "dataset.py", "evaluate.py")},
            offline_table=group["OfflineStoreConfig"]["DataCatalogConfig"],
            train_script=train_script(session, settings),
            mirror_files=mirror_files(session, settings),
        )
    return started


def run(*extra: str) -> int:
    return main(
        [
            "run-training",
            "--pipeline",
            str(DEFINITION),
            "--account",
            "datasci",
            "--as-of",
            AS_OF,
            "--git-revision",
            REVISION,
            "--branch",
            "main",
            *extra,
        ]
    )


def pipeline_definition(session: boto3.Session) -> tuple[str, dict[str, dict[str, Any]]]:
    """The pipeline's role, and its steps by name (the gate's branches included)."""
    described = session.client("sagemaker").describe_pipeline(PipelineName="mlops-training-customer-churn")
    steps: dict[str, dict[str, Any]] = {}
    for step in json.loads(described["PipelineDefinition"])["Steps"]:
        steps[step["Name"]] = step
        for branch in ("IfSteps", "ElseSteps"):
            steps.update({s["Name"]: s for s in step.get("Arguments", {}).get(branch, [])})
    return described["RoleArn"], steps


def _keys(session: boto3.Session, settings: dict[str, Any]) -> list[str]:
    pages = session.client("s3").get_paginator("list_objects_v2").paginate(Bucket=settings["bucket"], Prefix=PREFIX)
    return [item["Key"] for page in pages for item in page.get("Contents", [])]


def train_script(session: boto3.Session, settings: dict[str, Any]) -> str:
    (key,) = [key for key in _keys(session, settings) if key.endswith("/sm_drivers/sm_train.sh")]
    return str(session.client("s3").get_object(Bucket=settings["bucket"], Key=key)["Body"].read().decode())


def mirror_files(session: boto3.Session, settings: dict[str, Any]) -> dict[str, bytes]:
    s3 = session.client("s3")
    return {
        key.removeprefix(f"{PREFIX}/"): s3.get_object(Bucket=settings["bucket"], Key=key)["Body"].read()
        for key in _keys(session, settings)
        if key.startswith(f"{PREFIX}/mirror/")
    }


def uploaded(session: boto3.Session, settings: dict[str, Any], name: str) -> bytes:
    """An input of the run, which must be encrypted with the account key."""
    key = f"{PREFIX}/{name}"
    s3 = session.client("s3")
    head = s3.head_object(Bucket=settings["bucket"], Key=key)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == settings["kmsKeyArn"]
    return s3.get_object(Bucket=settings["bucket"], Key=key)["Body"].read()


def test_a_training_pipeline_runs_in_the_target_account_as_its_training_role(started: Started) -> None:
    assert started.role == started.settings["training"]["roleArn"]
    assert list(started.steps) == [
        "BuildDataset",
        "Train",
        "Evaluate",
        "QualityGate",
        "RegisterModel",
        "BelowQualityBar",
    ]
    assert "started mlops-training-customer-churn on customer-churn as of 2026-11-01T00:00:00Z" in started.output
    assert "Succeeded" in started.output and f"{GROUP_ARN}, pending approval" in started.output
    # moto 5.2.5 has no ListPipelineExecutionSteps, where the registered version's ARN is read.
    assert "registered a version (see the run's RegisterModel step) of customer-churn" in started.output
    assert started.executions == 1


def test_every_job_runs_in_the_vpc_with_the_account_key_as_the_training_role(started: Started) -> None:
    settings, steps = started.settings, started.steps
    key, role = settings["kmsKeyArn"], settings["training"]["roleArn"]
    vpc = {"Subnets": settings["subnetIds"], "SecurityGroupIds": settings["securityGroupIds"]}
    for name in ("BuildDataset", "Evaluate"):
        job = steps[name]["Arguments"]
        assert job["RoleArn"] == role
        assert job["NetworkConfig"]["VpcConfig"] == vpc
        assert job["NetworkConfig"]["EnableInterContainerTrafficEncryption"] is True
        assert job["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == key
        assert job["ProcessingOutputConfig"]["KmsKeyId"] == key
    train = steps["Train"]["Arguments"]
    assert train["RoleArn"] == role and train["VpcConfig"] == vpc
    assert train["ResourceConfig"]["VolumeKmsKeyId"] == key and train["OutputDataConfig"]["KmsKeyId"] == key
    assert train["OutputDataConfig"]["S3OutputPath"] == f"s3://{settings['training']['bucket']}/customer-churn/models"
    assert train["HyperParameters"] == {
        "n_estimators": "200",
        "max_depth": "3",
        "learning_rate": "0.1",
        "label": "churned",
    }


MIRROR_FOLDER = "/opt/ml/processing/mlops_mirror"
TRAINING_MIRROR = "/opt/ml/input/data/mlops_mirror"
#: What the SDK's script driver gives train.py: the hyperparameters and the label.
TRAIN_ARGUMENTS = "--n_estimators 200 --max_depth 3 --learning_rate 0.1 --label churned"


def _mirror_uri(job: dict[str, Any]) -> str:
    """The S3 folder of the helper and the requirements: a processing input or a training channel."""
    if "ProcessingInputs" in job:
        (found,) = [i["S3Input"] for i in job["ProcessingInputs"] if i["InputName"] == "mlops_mirror"]
        assert found["LocalPath"] == MIRROR_FOLDER
        return str(found["S3Uri"])
    (channel,) = [c for c in job["InputDataConfig"] if c["ChannelName"] == "mlops_mirror"]
    return str(channel["DataSource"]["S3DataSource"]["S3Uri"])


def test_with_a_mirror_each_job_installs_its_requirements_first(started: Started) -> None:
    """Each job of ours starts its script through the helper, which installs the requirements.txt
    beside the script from the settings' mirror first: ops/jobs/ for the dataset script, the
    definition's code folder for train.py and evaluate.py."""
    from contracts.package_mirror import PackageMirror
    from ops.runs import mirror_environment

    settings, steps = started.settings, started.steps
    assert "packageMirror" in settings, "expected the datasci stack's settings to name the mirror"
    environment = mirror_environment(PackageMirror.parse(settings["packageMirror"]))
    expected = {
        "BuildDataset": ("dataset.py", ROOT / "ops" / "jobs" / "requirements.txt"),
        "Train": ("train.py", ROOT / "pipelines" / "customer-churn" / "requirements.txt"),
        "Evaluate": ("evaluate.py", ROOT / "pipelines" / "customer-churn" / "requirements.txt"),
    }
    for name, (script, requirements) in expected.items():
        job = steps[name]["Arguments"]
        assert job["Environment"] == environment, name
        folder = _mirror_uri(job).removeprefix(f"s3://{settings['bucket']}/{PREFIX}/")
        assert started.mirror_files[f"{folder}requirements.txt"] == requirements.read_bytes(), name
        assert started.mirror_files[f"{folder}pip_mirror.py"] == (ROOT / "ops" / "jobs" / "pip_mirror.py").read_bytes()
        if name != "Train":
            assert job["AppSpecification"]["ContainerEntrypoint"] == [
                "python3",
                f"{MIRROR_FOLDER}/pip_mirror.py",
                f"{MIRROR_FOLDER}/requirements.txt",
                f"/opt/ml/processing/input/code/{script}",
            ]
    # The training job runs the SDK's sm_train.sh, which runs the helper, then train.py with the
    # arguments the script driver would have given it.
    command = f"python3 {TRAINING_MIRROR}/pip_mirror.py {TRAINING_MIRROR}/requirements.txt train.py {TRAIN_ARGUMENTS}"
    assert f"\n{command}\n" in started.train_script
    assert "basic_script_driver" not in started.train_script
    assert "install_requirements" not in started.train_script
    # sm_train.sh sources `export SM_CHANNEL_<NAME>=...` for each channel (the SDK's environment.py),
    # under `set -e`: a channel name that makes no shell identifier (a hyphen) would fail the job.
    for channel in steps["Train"]["Arguments"]["InputDataConfig"]:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", f"SM_CHANNEL_{channel['ChannelName'].upper()}"), channel


def test_without_a_mirror_no_job_installs_anything(datasci: dict[str, Any]) -> None:
    """With ``packageMirror: none`` the settings name no mirror, and the jobs run as before it."""
    session, settings = datasci["session"], datasci["settings"]
    del settings["packageMirror"]
    session.client("ssm").put_parameter(
        Name="/mlops/feature-jobs/settings", Type="String", Value=json.dumps(settings), Overwrite=True
    )
    assert run() == 0
    _, steps = pipeline_definition(session)
    for name, script in (("BuildDataset", "dataset.py"), ("Evaluate", "evaluate.py")):
        job = steps[name]["Arguments"]
        assert job["AppSpecification"]["ContainerEntrypoint"] == ["python3", f"/opt/ml/processing/input/code/{script}"]
        assert "Environment" not in job
        assert [i["InputName"] for i in job["ProcessingInputs"] if i["InputName"] == "mlops_mirror"] == []
    train = steps["Train"]["Arguments"]
    assert not train.get("Environment")
    assert [c["ChannelName"] for c in train["InputDataConfig"]] == ["train", "code", "sm_drivers"]
    assert "basic_script_driver" in train_script(session, settings)
    assert mirror_files(session, settings) == {}


def test_the_training_arguments_are_the_script_drivers() -> None:
    from sagemaker.train.container_drivers.common.utils import hyperparameters_to_cli_args
    from sagemaker.train.utils import safe_serialize

    from ops.training import script_arguments

    hyperparameters = {"n_estimators": 200, "learning_rate": 0.1, "tol": 1e-05, "loss": "log_loss", "alpha": "0.50"}
    # The job stores each value serialized; the driver reads them back and makes the arguments.
    stored = {name: safe_serialize(value) for name, value in hyperparameters.items()}
    assert script_arguments(hyperparameters) == hyperparameters_to_cli_args(stored)
    assert " ".join(script_arguments({**load_definition(DEFINITION).hyperparameters, "label": "churned"})) == (
        TRAIN_ARGUMENTS
    )


def test_steps_pass_the_dataset_and_the_model_along(started: Started) -> None:
    steps = started.steps
    dataset = steps["BuildDataset"]["Arguments"]
    arguments = dataset["AppSpecification"]["ContainerArguments"]
    assert arguments[arguments.index("--workgroup") + 1] == "mlops-datasci-training"
    assert arguments[arguments.index("--record-identifier") + 1] == "customer_id"
    outputs = {
        o["OutputName"]: o["S3Output"]["S3Uri"]["Std:Join"]["Values"]
        for o in dataset["ProcessingOutputConfig"]["Outputs"]
    }
    # Each run writes under its own execution id.
    assert {name: values[1:] for name, values in outputs.items()} == {
        "train": [{"Get": "Execution.PipelineExecutionId"}, "dataset/train"],
        "test": [{"Get": "Execution.PipelineExecutionId"}, "dataset/test"],
    }
    (channel,) = [c for c in steps["Train"]["Arguments"]["InputDataConfig"] if c["ChannelName"] == "train"]
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == {
        "Get": "Steps.BuildDataset.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri"
    }
    inputs = {i["InputName"]: i["S3Input"]["S3Uri"] for i in steps["Evaluate"]["Arguments"]["ProcessingInputs"]}
    assert inputs["model"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    assert inputs["test"] == {"Get": "Steps.BuildDataset.ProcessingOutputConfig.Outputs['test'].S3Output.S3Uri"}


def test_only_a_model_that_reaches_the_minimum_is_registered_and_pending_approval(started: Started) -> None:
    settings, steps = started.settings, started.steps
    (condition,) = steps["QualityGate"]["Arguments"]["Conditions"]
    assert condition["Type"] == "GreaterThanOrEqualTo" and condition["RightValue"] == 0.7
    assert condition["LeftValue"]["Std:JsonGet"] == {
        "PropertyFile": {"Get": "Steps.Evaluate.PropertyFiles.Evaluation"},
        "Path": "binary_classification_metrics.auc.value",
    }
    assert [s["Name"] for s in steps["QualityGate"]["Arguments"]["IfSteps"]] == ["RegisterModel"]
    register = steps["RegisterModel"]["Arguments"]
    assert register["ModelPackageGroupName"] == settings["training"]["modelPackageGroupArn"] == GROUP_ARN
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    (container,) = register["InferenceSpecification"]["Containers"]
    assert container["ModelDataUrl"] == {"Get": "Steps.Train.ModelArtifacts.S3ModelArtifacts"}
    statistics = register["ModelMetrics"]["ModelQuality"]["Statistics"]
    assert statistics["S3Uri"]["Std:Join"]["Values"][-1] == "evaluation.json"
    metadata = register["CustomerMetadataProperties"]
    assert {key: value for key, value in metadata.items() if isinstance(value, str)} == {
        "mlops:feature-groups": "customer-churn",
        "mlops:features": ",".join(load_definition(DEFINITION).features),
        "mlops:offline-table": f"{started.offline_table['Database']}.{started.offline_table['TableName']}",
        "mlops:labels": "mlops_curated_link.churn_labels",
        "mlops:dataset-as-of": AS_OF,
        "mlops:dataset-query": f"s3://{settings['bucket']}/{PREFIX}/query.sql",
        "mlops:dataset-query-sha256": hashlib.sha256(started.inputs["query.sql"]).hexdigest(),
        "mlops:git-revision": REVISION,
        "mlops:branch": "main",
        "mlops:account": DATASCI,
    }
    assert metadata["mlops:pipeline-execution"] == {"Get": "Execution.PipelineExecutionArn"}
    assert metadata["mlops:auc"]["Std:Join"]["Values"] == [condition["LeftValue"]]
    assert all(len(value) <= 256 for value in metadata.values() if isinstance(value, str))


def test_the_query_reads_the_deployed_offline_table_and_the_accounts_labels(started: Started) -> None:
    query = started.inputs["query.sql"].decode()
    catalog = started.offline_table
    assert f'FROM "{catalog["Database"]}"."{catalog["TableName"]}"' in query
    # The data science account reads curated labels through its resource link.
    assert 'FROM "mlops_curated_link"."churn_labels"' in query
    assert query.count("TIMESTAMP '2026-11-01 00:00:00'") == 2
    # The scripts the jobs run are this checkout's.
    assert started.inputs["dataset.py"] == (ROOT / "ops" / "jobs" / "dataset.py").read_bytes()
    assert started.inputs["evaluate.py"] == (ROOT / "pipelines" / "customer-churn" / "evaluate.py").read_bytes()


def test_the_registered_version_is_read_from_the_register_step(platform: Preview) -> None:
    from botocore.stub import Stubber

    from ops.aws import JobSettings
    from ops.training import TrainingRequest, TrainingRun

    datasci = next(s for s in platform.stacks if s.result.name == "datasci")
    (parameter,) = [r for r in datasci.result.resources if r.type == "aws:ssm/parameter:Parameter"]
    settings = JobSettings.parse(json.loads(parameter.inputs["value"]), "test")
    session = boto3.Session(region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    client = session.client("sagemaker")
    session.client = lambda *args, **kwargs: client  # type: ignore[method-assign,assignment]
    request = TrainingRequest(load_definition(DEFINITION), SPEC, "datasci", parse_as_of(AS_OF), REVISION, "main")
    run = TrainingRun(session, settings, request)
    version = f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package/mlops-feature-models/7"
    execution = f"arn:aws:sagemaker:{REGION}:{DATASCI}:pipeline/mlops-training-customer-churn/execution/abc"
    with Stubber(client) as stub:
        steps = [
            {"StepName": "QualityGate", "Metadata": {"Condition": {"Outcome": "True"}}},
            {"StepName": "RegisterModel", "Metadata": {"RegisterModel": {"Arn": version}}},
        ]
        stub.add_response("list_pipeline_execution_steps", {"PipelineExecutionSteps": steps})
        stub.add_response("list_pipeline_execution_steps", {"PipelineExecutionSteps": steps[:1]})
        stub.add_client_error("list_pipeline_execution_steps", "AccessDeniedException")
        assert run.registered_version(execution) == version
        # Below the quality bar nothing is registered; a refused lookup says nothing either.
        assert run.registered_version(execution) is None
        assert run.registered_version(execution) is None


#: What a run of the pipeline gives its placeholders: the model, the execution, the evaluated AUC.
RUN_VALUES = {
    "Steps.Train.ModelArtifacts.S3ModelArtifacts": "s3://bucket/customer-churn/models/job/output/model.tar.gz",
    "Execution.PipelineExecutionId": "abc123",
    "Execution.PipelineExecutionArn": f"arn:aws:sagemaker:{REGION}:{DATASCI}:pipeline/x/execution/abc123",
    "binary_classification_metrics.auc.value": 0.81,
}


def _concrete(value: Any, values: dict[str, Any]) -> Any:
    """A definition's arguments with its placeholders (``Get``, ``Std:Join``) given values."""
    if isinstance(value, dict):
        if "Get" in value:
            return values[value["Get"]]
        if "Std:Join" in value:
            join = value["Std:Join"]
            return join["On"].join(str(_concrete(v, values)) for v in join["Values"])
        if "Std:JsonGet" in value:
            return values[value["Std:JsonGet"]["Path"]]
        return {key: _concrete(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_concrete(item, values) for item in value]
    return value


def test_the_registration_request_is_one_the_registry_accepts(started: Started, aws: boto3.Session) -> None:
    """The RegisterModel step's arguments, with the run's values in place, through botocore's
    validation and moto's registry. moto keeps each account apart and does not resolve a group by
    another account's ARN, so the request goes to a group of the same name in the tooling account."""
    request = _concrete(started.steps["RegisterModel"]["Arguments"], RUN_VALUES)
    request["ModelPackageGroupName"] = request["ModelPackageGroupName"].rsplit("/", 1)[-1]
    for empty in ("Bias", "Explainability"):
        assert request["ModelMetrics"].pop(empty) == {}
    registry = in_account(aws, TOOLING).client("sagemaker")
    registry.create_model_package_group(ModelPackageGroupName="mlops-feature-models")
    arn = registry.create_model_package(**request)["ModelPackageArn"]
    version = registry.describe_model_package(ModelPackageName=arn)
    assert version["ModelApprovalStatus"] == "PendingManualApproval"
    assert version["CustomerMetadataProperties"]["mlops:git-revision"] == REVISION
    assert version["CustomerMetadataProperties"]["mlops:auc"] == "0.81"


def test_a_stack_without_training_settings_is_a_clear_error(
    datasci: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = {key: value for key, value in datasci["settings"].items() if key != "training"}
    datasci["session"].client("ssm").put_parameter(
        Name="/mlops/feature-jobs/settings", Type="String", Value=json.dumps(settings), Overwrite=True
    )
    assert run() == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "no training settings" in line and "expected the datasci stack deployed with training pipelines" in line


def test_a_missing_feature_group_is_a_clear_error(
    aws: boto3.Session, platform: Preview, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare(aws, platform, feature_group=False)
    assert run() == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "'customer-churn' does not exist in account 222222222222" in line


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--pipeline", "pipelines/nope.py"], "--pipeline: 'pipelines/nope.py' is not a .py file"),
        (["--pipeline", str(ROOT / "flows" / "customer-churn.py")], "defines no PIPELINE of type TrainingDefinition"),
        (["--as-of", "yesterday"], "--as-of: 'yesterday' is not a time; expected ISO-8601"),
        (["--as-of", "2026-11-01T00:00:00"], "has no time zone"),
    ],
)
def test_bad_arguments_are_one_line(
    aws: boto3.Session, capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    assert run(*args) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert fragment in line


def write_definition(folder: Path, body: str) -> Path:
    code = folder / "code"
    code.mkdir(exist_ok=True)
    for script in ("train.py", "evaluate.py"):
        (code / script).write_text("")
    path = folder / "model.py"
    path.write_text(
        "from pathlib import Path\nfrom ops.training import Labels, TrainingDefinition\n"
        f"PIPELINE = TrainingDefinition({body})\n"
    )
    return path


BASE = (
    "name='m', feature_group='customer-churn', features=('tenure_months',), "
    "labels=Labels(table='t', column='churned', time='label_time'), code=Path('code')"
)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (BASE.replace("name='m'", "name='Churn Model'"), "name: 'Churn Model' is not a name"),
        (BASE.replace("('tenure_months',)", "()"), "features: empty"),
        (BASE.replace("'tenure_months'", "'label_time'"), "features: ['label_time'] are not usable column names"),
        (BASE.replace("column='churned'", "column='tenure_months'"), "labels.column: 'tenure_months' is a feature"),
        (BASE.replace("table='t'", "table='t; drop'"), "labels.table: 't; drop' is not a table or column name"),
        (BASE + ", objective='rmse'", "objective: 'rmse' is not a metric"),
        (BASE + ", minimum=70", "minimum: 70 is not between 0 and 1"),
        (BASE + ", test_fraction=1.0", "test_fraction: 1.0 is not between 0 and 1"),
        (BASE.replace("Path('code')", "Path('nowhere')"), "lacks ['train.py', 'evaluate.py']"),
    ],
)
def test_a_bad_definition_is_one_line_naming_the_field(tmp_path: Path, body: str, fragment: str) -> None:
    with pytest.raises(OpsError, match=re.escape(fragment)) as raised:
        load_definition(write_definition(tmp_path, body))
    assert "\n" not in str(raised.value) and str(raised.value).startswith("--pipeline:")


def test_features_must_be_features_of_the_group(
    tmp_path: Path, aws: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_definition(tmp_path, BASE.replace("'tenure_months'", "'lifetime_value'"))
    assert main(["run-training", "--pipeline", str(path), "--account", "datasci"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--pipeline: features ['lifetime_value'] are not features of 'customer-churn'" in line


def test_the_example_definition_reads_what_its_training_script_trains_on() -> None:
    definition = load_definition(DEFINITION)
    module_spec = importlib.util.spec_from_file_location("churn_train", definition.code / "train.py")
    assert module_spec is not None and module_spec.loader is not None
    train = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(train)
    assert list(definition.features) == train.FEATURES
    assert definition.labels.column == "churned"


def test_the_dataset_is_as_of_a_point_in_time_and_point_in_time_correct() -> None:
    definition = TrainingDefinition(
        name="m",
        feature_group=SPEC.name,
        features=("tenure_months", "contract_type"),
        labels=Labels(table="churn_labels", column="churned", time="label_time"),
        code=Path("code"),
    )
    query = dataset_query(definition, SPEC, ("db", "table"), "labels_db", parse_as_of("2026-11-01T02:00:00+02:00"))
    # The point in time is in UTC, and bounds both the labels and the records written.
    assert "WHERE CAST(\"label_time\" AS timestamp) <= TIMESTAMP '2026-11-01 00:00:00'" in query
    assert "WHERE write_time <= TIMESTAMP '2026-11-01 00:00:00'" in query
    # The features of a label are the latest at the label's time, never later ones, never deleted.
    assert "features.feature_time <= labels.label_time" in query
    assert "ORDER BY features.feature_time DESC, features.api_invocation_time DESC, features.write_time DESC" in query
    assert "WHERE recency = 1 AND NOT is_deleted" in query
    # The group keeps its event time as ISO-8601 text.
    assert 'from_iso8601_timestamp("event_time")' in query
    assert (
        'SELECT "customer_id", "tenure_months", "contract_type", label_time, label AS "churned"\nFROM latest' in query
    )


def test_epoch_event_times_are_read_as_seconds() -> None:
    from dataclasses import replace

    fractional = replace(
        SPEC,
        features=tuple(replace(f, type="Fractional") if f.name == SPEC.event_time else f for f in SPEC.features),
    )
    definition = load_definition(DEFINITION)
    query = dataset_query(definition, fractional, ("db", "table"), "labels_db", parse_as_of(AS_OF))
    assert 'CAST(from_unixtime("event_time") AS timestamp) AS feature_time' in query
    assert "from_iso8601_timestamp" not in query


def _seed_athena(moto_endpoint: str, rows: list[list[str]]) -> None:
    body = json.dumps(
        {
            "account_id": "123456789012",
            "region": REGION,
            "results": [{"rows": [{"Data": [{"VarCharValue": value} for value in row]} for row in rows]}],
        }
    ).encode()
    request = urllib.request.Request(
        f"{moto_endpoint}/moto-api/static/athena/query-results",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(request).close()


def test_the_dataset_script_splits_the_query_result_by_record(
    aws: boto3.Session, moto_endpoint: str, tmp_path: Path
) -> None:
    aws.client("athena").create_work_group(Name="mlops-datasci-training")
    header = ["customer_id", "tenure_months", "label_time", "churned"]
    rows = [[f"c{n}", str(n), f"2026-10-{n % 28 + 1:02d} 00:00:00", str(n % 2)] for n in range(200)]
    rows += [["c7", "9", "2026-10-30 00:00:00", "1"]]  # a second label of a record
    _seed_athena(moto_endpoint, [header, *rows])
    query = tmp_path / "query.sql"
    query.write_text("SELECT 1")
    output = tmp_path / "out"
    assert (
        dataset_job.main(
            [
                "--query",
                str(query),
                "--workgroup",
                "mlops-datasci-training",
                "--region",
                REGION,
                "--record-identifier",
                "customer_id",
                "--output",
                str(output),
                "--poll-seconds",
                "0",
            ]
        )
        == 0
    )
    parts = {}
    for part in ("train", "test"):
        lines = (output / part / "dataset.csv").read_text().splitlines()
        assert lines[0] == ",".join(header)
        parts[part] = [line.split(",") for line in lines[1:]]
    assert len(parts["train"]) + len(parts["test"]) == len(rows)
    assert 0.1 < len(parts["test"]) / len(rows) < 0.3
    # A record is in one part only, with all its labels.
    train_ids, test_ids = ({row[0] for row in parts[p]} for p in ("train", "test"))
    assert not train_ids & test_ids
    assert sum(row[0] == "c7" for part in parts.values() for row in part) == 2


def test_an_empty_dataset_is_a_clear_failure(aws: boto3.Session, moto_endpoint: str, tmp_path: Path) -> None:
    aws.client("athena").create_work_group(Name="w")
    _seed_athena(moto_endpoint, [["customer_id", "churned"]])
    query = tmp_path / "query.sql"
    query.write_text("SELECT 1")
    with pytest.raises(SystemExit, match=r"dataset: the train part is empty \(0 rows in all\)"):
        dataset_job.main(
            [
                "--query",
                str(query),
                "--workgroup",
                "w",
                "--region",
                REGION,
                "--record-identifier",
                "customer_id",
                "--output",
                str(tmp_path),
                "--poll-seconds",
                "0",
            ]
        )


def test_the_codebuild_buildspec_runs_training_with_flags_it_takes() -> None:
    from components.ci_cd import TRAINING_TIMEOUT_MINUTES

    # The values the pipeline's training stage sets (components/ci_cd.py), and CodeBuild's revision.
    role = "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-feature-deployer"
    args = buildspec_command(
        "training.yml",
        {
            "TRAINING_PIPELINE": "pipelines/customer-churn.py",
            "TARGET_ACCOUNT": "datamgmt",
            "TARGET_ROLE_ARN": role,
            "CODEBUILD_RESOLVED_SOURCE_VERSION": REVISION,
        },
    )
    assert (args.command, args.account, args.wait, args.git_revision) == ("run-training", "datamgmt", True, REVISION)
    assert args.role_arn == role and args.pipeline == "pipelines/customer-churn.py"
    assert (ROOT / args.pipeline).is_file()
    # ops gives up, with the run's state, before CodeBuild stops the build.
    assert args.timeout_minutes < TRAINING_TIMEOUT_MINUTES


def _allows(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    """Whether one Allow statement grants ``action`` on ``resource`` in ``context``: wildcards as IAM
    reads them, and only the condition operators the platform's registry statements use (any other
    operator counts as not granting, so a new one makes this test look again)."""

    def listed(value: str | list[str]) -> list[str]:
        return [value] if isinstance(value, str) else value

    if statement["Effect"] != "Allow":
        return False
    if not any(fnmatch.fnmatchcase(action, a) for a in listed(statement["Action"])):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in listed(statement["Resource"])):
        return False
    for operator, keys in statement.get("Condition", {}).items():
        if operator not in ("StringEquals", "ArnEquals"):
            return False
        if any(context.get(key) not in listed(values) for key, values in keys.items()):
            return False
    return True


def test_cross_account_registration_by_group_arn(started: Started, platform: Preview) -> None:
    """What the RegisterModel step does in AWS: from the target account, as the run's role, it names
    the tooling account's group by ARN, and the version lands in the tooling account.

    moto 5.2.5 cannot run this: it looks a group up by name among the calling account's groups only,
    so CreateModelPackage with another account's group ARN answers "Model Package Group does not
    exist" (the replay above has to rename the group). So the request goes through botocore's
    Stubber on a client of the data science account: the Stubber checks the request, group ARN and
    all, against CreateModelPackage's model, and answers in the model's shape with a version in the
    group's account. What AWS would decide, whether the run's role may make that request there, is
    read from the synthesized stacks: the role's own policy and the tooling group's resource policy."""
    from botocore.stub import Stubber

    request = _concrete(started.steps["RegisterModel"]["Arguments"], RUN_VALUES)
    assert request["ModelPackageGroupName"] == GROUP_ARN
    version = f"arn:aws:sagemaker:{REGION}:{TOOLING}:model-package/mlops-feature-models/1"
    client = boto3.Session(region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x").client("sagemaker")
    with Stubber(client) as stub:
        stub.add_response("create_model_package", {"ModelPackageArn": version}, request)
        assert client.create_model_package(**request)["ModelPackageArn"] == version
        stub.assert_no_pending_responses()

    role = started.role
    assert role.split(":")[4] == DATASCI
    context = {"aws:PrincipalArn": role, "sagemaker:ModelApprovalStatus": request["ModelApprovalStatus"]}
    by_name = {stack.result.name: stack.result for stack in platform.stacks}
    role_name = role.rsplit("/", 1)[-1]
    (own,) = [
        json.loads(r.inputs["policy"])["Statement"]
        for r in by_name["datasci"].resources
        if r.type == "aws:iam/rolePolicy:RolePolicy" and r.inputs["role"] == role_name
    ]
    assert any(_allows(s, "sagemaker:CreateModelPackage", version, context) for s in own), (
        f"{role_name}'s policy does not let it register {version}"
    )
    (group_policy,) = [
        json.loads(r.inputs["resourcePolicy"])["Statement"]
        for r in by_name["tooling"].resources
        if r.type == "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy"
        and r.inputs["modelPackageGroupName"] == GROUP_ARN.rsplit("/", 1)[-1]
    ]
    assert any(
        _allows(s, "sagemaker:CreateModelPackage", version, context)
        and f"arn:aws:iam::{DATASCI}:root" in s["Principal"]["AWS"]
        for s in group_policy
    ), f"the tooling group's policy does not let {role} register {version}"
