"""``python -m ops run-feature-job`` against moto: the example feature group goes from its YAML, through
the program (the offline engine synthesizes its FeatureGroup and the job settings), into an emulated
data science account, and a pipeline run starts there as the CI's runner role would start it."""

from __future__ import annotations

import contextlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import boto3
import pytest

from offline.engine import Preview
from ops.__main__ import main
from tests.conftest import ROOT
from tests.ops.conftest import buildspec_command, in_account, shared_ambient

DATASCI = "222222222222"
FLOW = ROOT / "flows" / "customer-churn.flow"
REVISION = "0123456789abcdef0123456789abcdef01234567"


def _pascal(value: Any) -> Any:
    """Pulumi's camelCase inputs as the AWS API's PascalCase parameters."""
    if isinstance(value, dict):
        return {key[:1].upper() + key[1:]: _pascal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_pascal(item) for item in value]
    return value


def _synthesized(platform: Preview, token: str) -> dict[str, Any]:
    datasci = next(s for s in platform.stacks if s.result.name == "datasci")
    (record,) = [r for r in datasci.result.resources if r.type == token]
    return record.inputs


@pytest.fixture
def datasci(aws: boto3.Session, platform: Preview) -> dict[str, Any]:
    return prepare(aws, platform)


def prepare(aws: boto3.Session, platform: Preview, feature_group: bool = True) -> dict[str, Any]:
    """The data science account as the stack leaves it, for what the job touches: the execution
    role, the feature-jobs bucket, the customer key, the published settings and the feature group."""
    account = in_account(aws, DATASCI)
    settings = json.loads(_synthesized(platform, "aws:ssm/parameter:Parameter")["value"])
    iam = account.client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    name = settings["executionRoleArn"].rsplit("/", 1)[-1]
    role = iam.create_role(RoleName=name, Path="/mlops/", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    assert role["Arn"] == settings["executionRoleArn"]
    # moto makes its own key ids, so the emulated key replaces the synthesized ARN.
    settings["kmsKeyArn"] = account.client("kms").create_key()["KeyMetadata"]["Arn"]
    account.client("s3").create_bucket(
        Bucket=settings["bucket"], CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    account.client("ssm").put_parameter(Name="/mlops/feature-jobs/settings", Type="String", Value=json.dumps(settings))
    if feature_group:
        group = _pascal(_synthesized(platform, "aws:sagemaker/featureGroup:FeatureGroup"))
        group.pop("Tags", None)
        group["RoleArn"] = settings["executionRoleArn"]
        account.client("sagemaker").create_feature_group(**group)
    return {"session": account, "settings": settings}


def run(*extra: str) -> int:
    return main(
        [
            "run-feature-job",
            "--flow",
            str(FLOW),
            "--account",
            "datasci",
            "--feature-group",
            "customer-churn",
            "--git-revision",
            REVISION,
            "--branch",
            "feature/churn-v2",
            *extra,
        ]
    )


@dataclass(frozen=True)
class Started:
    """One ``run-feature-job --wait`` in the emulated data science account, and what it left there."""

    settings: dict[str, Any]
    output: str
    pipeline: dict[str, Any]
    executions: list[dict[str, Any]]
    #: The feature-jobs bucket's objects: key to (head, body).
    objects: dict[str, tuple[dict[str, Any], bytes]]
    #: Pipelines in the ambient (tooling) account.
    ambient_pipelines: list[dict[str, Any]]


@pytest.fixture(scope="module")
def started(moto_endpoint: str, platform: Preview) -> Started:
    """The tests of one run share it: each run builds, uploads and upserts for seconds. moto is reset
    by the next test that asks for it; everything the tests read is copied here."""
    with shared_ambient(moto_endpoint) as aws:
        account = prepare(aws, platform)
        session, settings = account["session"], account["settings"]
        output = io.StringIO()
        with contextlib.redirect_stdout(output):
            assert run("--wait", "--poll-seconds", "0.05") == 0
        sagemaker, s3 = session.client("sagemaker"), session.client("s3")
        summaries = sagemaker.list_pipeline_executions(PipelineName="mlops-feature-customer-churn")
        keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=settings["bucket"])["Contents"])
        started = Started(
            settings=settings,
            output=output.getvalue(),
            pipeline=sagemaker.describe_pipeline(PipelineName="mlops-feature-customer-churn"),
            executions=[
                sagemaker.describe_pipeline_execution(PipelineExecutionArn=summary["PipelineExecutionArn"])
                for summary in summaries["PipelineExecutionSummaries"]
            ],
            objects={
                key: (
                    s3.head_object(Bucket=settings["bucket"], Key=key),
                    s3.get_object(Bucket=settings["bucket"], Key=key)["Body"].read(),
                )
                for key in keys
            },
            ambient_pipelines=aws.client("sagemaker").list_pipelines()["PipelineSummaries"],
        )
    return started


def test_a_flow_runs_as_a_pipeline_in_the_target_account(started: Started) -> None:
    settings, pipeline = started.settings, started.pipeline
    assert pipeline["RoleArn"] == settings["executionRoleArn"]
    steps = {step["Name"]: step for step in json.loads(pipeline["PipelineDefinition"])["Steps"]}
    assert list(steps) == ["ComputeFeatures", "IngestFeatures"]
    compute = steps["ComputeFeatures"]["Arguments"]
    assert "sagemaker-data-wrangler-container" in compute["AppSpecification"]["ImageUri"]
    network = compute["NetworkConfig"]["VpcConfig"]
    assert network == {"Subnets": settings["subnetIds"], "SecurityGroupIds": settings["securityGroupIds"]}
    assert compute["ProcessingResources"]["ClusterConfig"]["VolumeKmsKeyId"] == settings["kmsKeyArn"]
    assert compute["ProcessingOutputConfig"]["KmsKeyId"] == settings["kmsKeyArn"]
    inputs = {i["InputName"] for i in compute["ProcessingInputs"]}
    assert inputs == {"flow", "customers.csv", "events.csv"}
    ingest = steps["IngestFeatures"]
    assert ingest["DependsOn"] == ["ComputeFeatures"]
    assert ingest["Arguments"]["AppSpecification"]["ContainerArguments"][:2] == ["--feature-group", "customer-churn"]
    assert ingest["Arguments"]["NetworkConfig"]["VpcConfig"] == network
    (execution,) = started.executions
    assert execution["PipelineExecutionDisplayName"] == f"feature-churn-v2-{REVISION[:12]}"
    assert execution["PipelineExecutionDescription"] == f"git revision {REVISION} on branch feature/churn-v2"
    assert "started mlops-feature-customer-churn" in started.output and "Succeeded" in started.output
    # moto 5.2.5 answers AddTags on a pipeline execution ARN with a 500 (it cannot parse the ARN):
    # ops says so and keeps the run, whose display name and description carry the revision.
    assert "note: the run is not tagged" in started.output


def test_the_flow_and_ingest_script_are_uploaded_encrypted(started: Started) -> None:
    settings = started.settings
    folder = f"customer-churn/{REVISION[:12]}"
    (mirror,) = {key.rsplit("/", 1)[0] for key in started.objects if "/mirror/" in key}
    assert sorted(started.objects) == [
        f"{folder}/customer-churn.flow",
        f"{folder}/ingest.py",
        f"{mirror}/pip_mirror.py",
        f"{mirror}/requirements.txt",
    ]
    for head, _ in started.objects.values():
        assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == settings["kmsKeyArn"]
    assert started.objects[f"{folder}/customer-churn.flow"][1] == FLOW.read_bytes()
    # With the mirror, the ingest job's helper and requirements: this checkout's.
    assert started.objects[f"{mirror}/pip_mirror.py"][1] == (ROOT / "ops" / "jobs" / "pip_mirror.py").read_bytes()
    assert started.objects[f"{mirror}/requirements.txt"][1] == (ROOT / "ops" / "jobs" / "requirements.txt").read_bytes()


def _steps(pipeline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["Name"]: step["Arguments"] for step in json.loads(pipeline["PipelineDefinition"])["Steps"]}


def _mirror_input(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [i for i in job["ProcessingInputs"] if i["InputName"] == "mlops_mirror"]


def _installs_first(job: dict[str, Any], settings: dict[str, Any], script: str) -> None:
    """The job starts ``script`` through the helper, which installs its requirements from the
    settings' mirror first; the helper and the requirements come in as the ``mlops_mirror`` input."""
    from contracts.package_mirror import PackageMirror
    from ops.runs import mirror_environment

    folder = "/opt/ml/processing/mlops_mirror"
    assert job["AppSpecification"]["ContainerEntrypoint"] == [
        "python3",
        f"{folder}/pip_mirror.py",
        f"{folder}/requirements.txt",
        f"/opt/ml/processing/input/code/{script}",
    ]
    assert job["Environment"] == mirror_environment(PackageMirror.parse(settings["packageMirror"]))
    (mirror,) = _mirror_input(job)
    assert mirror["S3Input"]["LocalPath"] == folder
    assert mirror["S3Input"]["S3Uri"].startswith(f"s3://{settings['bucket']}/customer-churn/{REVISION[:12]}/mirror/")


def _installs_nothing(job: dict[str, Any], script: str) -> None:
    """The job runs ``script`` as it would with no mirror: python3, no helper, no environment."""
    if script:
        assert job["AppSpecification"]["ContainerEntrypoint"] == ["python3", f"/opt/ml/processing/input/code/{script}"]
    assert "Environment" not in job and _mirror_input(job) == []


def test_with_a_mirror_the_ingest_job_installs_its_requirements_first(started: Started) -> None:
    assert "packageMirror" in started.settings, "expected the datasci stack's settings to name the mirror"
    steps = _steps(started.pipeline)
    _installs_first(steps["IngestFeatures"], started.settings, "ingest.py")
    # The Data Wrangler image runs no code of ours: nothing to install there.
    _installs_nothing(steps["ComputeFeatures"], "")
    assert started.pipeline["PipelineDefinition"].count("{token}") == 1


def test_the_job_runs_in_the_account_of_the_role_it_assumes(started: Started) -> None:
    # The ambient (tooling) account has no pipeline: the run went where the runner role lives.
    assert started.ambient_pipelines == []


def test_a_rerun_updates_the_same_pipeline(datasci: dict[str, Any]) -> None:
    assert run() == 0
    assert run() == 0
    sagemaker = datasci["session"].client("sagemaker")
    assert [p["PipelineName"] for p in sagemaker.list_pipelines()["PipelineSummaries"]] == [
        "mlops-feature-customer-churn"
    ]
    assert (
        len(
            sagemaker.list_pipeline_executions(PipelineName="mlops-feature-customer-churn")[
                "PipelineExecutionSummaries"
            ]
        )
        == 2
    )


@pytest.mark.parametrize("mirrored", [True, False], ids=["mirror", "no-mirror"])
def test_a_script_and_the_ingest_job_install_their_requirements_only_with_a_mirror(
    datasci: dict[str, Any], mirrored: bool
) -> None:
    """The exported script (flows/customer-churn.py) installs flows/requirements.txt, the ingest job
    ops/jobs/requirements.txt; with ``packageMirror: none`` (no mirror in the settings) neither, as before."""
    session, settings = datasci["session"], datasci["settings"]
    if not mirrored:
        del settings["packageMirror"]
        session.client("ssm").put_parameter(
            Name="/mlops/feature-jobs/settings", Type="String", Value=json.dumps(settings), Overwrite=True
        )
    sources = ["--source", "customers=s3://landing/customers/", "--source", "events=s3://landing/events/"]
    assert run("--flow", str(ROOT / "flows" / "customer-churn.py"), *sources) == 0
    pipeline = session.client("sagemaker").describe_pipeline(PipelineName="mlops-feature-customer-churn")
    steps = _steps(pipeline)
    keys = [o["Key"] for o in session.client("s3").list_objects_v2(Bucket=settings["bucket"])["Contents"]]
    uploaded = [key.split("/", 2)[2] for key in keys]
    if mirrored:
        _installs_first(steps["ComputeFeatures"], settings, "customer-churn.py")
        _installs_first(steps["IngestFeatures"], settings, "ingest.py")
        # Each script's own requirements, in a folder of their own.
        assert len({i["S3Input"]["S3Uri"] for step in steps.values() for i in _mirror_input(step)}) == 2
        s3 = session.client("s3")
        bodies = {s3.get_object(Bucket=settings["bucket"], Key=k)["Body"].read() for k in keys if k.endswith(".txt")}
        assert bodies == {(ROOT / folder / "requirements.txt").read_bytes() for folder in ("flows", "ops/jobs")}
    else:
        _installs_nothing(steps["ComputeFeatures"], "customer-churn.py")
        _installs_nothing(steps["IngestFeatures"], "ingest.py")
        assert sorted(uploaded) == ["customer-churn.py", "ingest.py"]
        assert "MLOPS_MIRROR" not in pipeline["PipelineDefinition"]


def test_a_malformed_mirror_in_the_settings_is_refused(
    datasci: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    settings = datasci["settings"]
    settings["packageMirror"] = {**settings["packageMirror"], "repository": "platform'; curl x"}
    datasci["session"].client("ssm").put_parameter(
        Name="/mlops/feature-jobs/settings", Type="String", Value=json.dumps(settings), Overwrite=True
    )
    assert run() == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert 'job settings of account 222222222222: package mirror repository: "platform\'; curl x" is not one' in line


def test_a_missing_feature_group_is_a_clear_error(
    aws: boto3.Session, platform: Preview, capsys: pytest.CaptureFixture[str]
) -> None:
    prepare(aws, platform, feature_group=False)
    assert run() == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "--feature-group: 'customer-churn' does not exist in account 222222222222" in line


def test_missing_settings_are_a_clear_error(aws: boto3.Session, capsys: pytest.CaptureFixture[str]) -> None:
    assert run() == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert (
        "SSM parameter /mlops/feature-jobs/settings: cannot be read" in line
        and "expected the target stack deployed" in line
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--flow", "flows/nope.flow"], "--flow: 'flows/nope.flow' is not a .flow or .py file"),
        (["--feature-group", "orders"], "--feature-group: 'orders' is not in the analytics team's catalog"),
        (["--source", "customers.csv"], "--source: 'customers.csv' is not NAME=s3://bucket/key"),
        (["--settings", "/nonexistent.json"], "--settings: '/nonexistent.json' cannot be read"),
    ],
)
def test_bad_arguments_are_one_line(
    datasci: dict[str, Any], capsys: pytest.CaptureFixture[str], args: list[str], fragment: str
) -> None:
    base = ["run-feature-job", "--flow", str(FLOW), "--account", "datasci", "--feature-group", "customer-churn"]
    for index in range(0, len(args), 2):
        if args[index] in base:
            base[base.index(args[index]) + 1] = args[index + 1]
        else:
            base += args[index : index + 2]
    assert main(base) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert fragment in line


@pytest.mark.parametrize(
    ("account", "fragment"),
    [
        (
            "prod",
            "--account: 'prod' is not a stack of mlops-feature-platform; expected one of tooling, datamgmt, datasci",
        ),
        ("tooling", "--account: 'tooling' is the tooling stack; expected a stack of a datasci or preprod or datamgmt"),
    ],
)
def test_an_account_that_is_no_target_stack_is_refused(
    capsys: pytest.CaptureFixture[str], account: str, fragment: str
) -> None:
    """``--account`` is a stack of the project (a team's, pre-production's, data management's)."""
    assert (
        main(["run-feature-job", "--flow", str(FLOW), "--account", account, "--feature-group", "customer-churn"]) == 2
    )
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert fragment in line


# The online store's reads go through botocore's Stubber: moto 5.2.5 has no
# sagemaker-featurestore-runtime (its server answers GetRecord and BatchGetRecord with 404 "Not yet
# implemented"). The Stubber checks each request against the service model botocore ships, and
# refuses a response that is not in that model's shape, so what ops sends and what it reads are
# what AWS would take and give.

RUNTIME: Final = "sagemaker-featurestore-runtime"


def _record(customer: str, tenure: str) -> list[dict[str, str]]:
    """A record of the customer-churn group as the online store returns it: name and value as text."""
    return [
        {"FeatureName": "customer_id", "ValueAsString": customer},
        {"FeatureName": "event_time", "ValueAsString": "2026-11-01T00:00:00Z"},
        {"FeatureName": "tenure_months", "ValueAsString": tenure},
    ]


def test_online_features_are_read_one_with_get_record_several_with_batch_get_record() -> None:
    from botocore.stub import Stubber

    from ops.online import get_records

    runtime = boto3.Session(region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x").client(RUNTIME)
    with Stubber(runtime) as stub:
        stub.add_response(
            "get_record",
            {"Record": _record("c1", "3"), "ExpiresAt": "2026-12-01T00:00:00Z"},
            {"FeatureGroupName": "customer-churn", "RecordIdentifierValueAsString": "c1"},
        )
        stub.add_response(
            "get_record",
            {"Record": _record("c1", "4")},
            {"FeatureGroupName": "customer-churn", "RecordIdentifierValueAsString": "c1"},
        )
        # An identifier the store does not hold: GetRecord answers with no Record at all.
        stub.add_response(
            "get_record", {}, {"FeatureGroupName": "customer-churn", "RecordIdentifierValueAsString": "gone"}
        )
        stub.add_response(
            "batch_get_record",
            {
                "Records": [
                    {
                        "FeatureGroupName": "customer-churn",
                        "RecordIdentifierValueAsString": "c1",
                        "Record": _record("c1", "3"),
                    },
                    {
                        "FeatureGroupName": "customer-churn",
                        "RecordIdentifierValueAsString": "c2",
                        "Record": _record("c2", "12"),
                    },
                ],
                "Errors": [],
                "UnprocessedIdentifiers": [],
            },
            {
                "Identifiers": [
                    {"FeatureGroupName": "customer-churn", "RecordIdentifiersValueAsString": ["c1", "c2", "gone"]}
                ]
            },
        )
        one, timed = get_records(runtime, "customer-churn", ["c1"], repeat=2)
        missing, _ = get_records(runtime, "customer-churn", ["gone"])
        several, once = get_records(runtime, "customer-churn", ["c1", "c2", "gone"])
        stub.assert_no_pending_responses()
    # The last of the repeated calls is the one returned; every call is timed.
    assert one == [{"customer_id": "c1", "event_time": "2026-11-01T00:00:00Z", "tenure_months": "4"}]
    assert timed.calls == 2 and 0 <= timed.p50_ms <= timed.p95_ms <= timed.max_ms
    assert missing == []
    assert [(r["customer_id"], r["tenure_months"]) for r in several] == [("c1", "3"), ("c2", "12")]
    assert once.calls == 1


def test_online_features_are_read_in_the_target_account_and_printed(
    aws: boto3.Session, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """``python -m ops online-features``: the role is assumed through moto's STS; the one client moto
    cannot serve is stubbed, and made from the assumed role's session, in the target account."""
    from botocore.stub import Stubber

    real_client: Any = boto3.Session.client
    made_in: list[str] = []
    stubs: list[Stubber] = []

    def client(self: boto3.Session, service_name: str, *args: Any, **kwargs: Any) -> Any:
        made = real_client(self, service_name, *args, **kwargs)
        if service_name == RUNTIME:
            made_in.append(real_client(self, "sts").get_caller_identity()["Account"])
            stub = Stubber(made)
            stub.add_response(
                "get_record",
                {"Record": _record("c1", "3")},
                {"FeatureGroupName": "customer-churn", "RecordIdentifierValueAsString": "c1"},
            )
            stub.activate()
            stubs.append(stub)
        return made

    monkeypatch.setattr(boto3.Session, "client", client)
    role = f"arn:aws:iam::{DATASCI}:role/mlops/mlops-datasci-feature-runner"
    args = ["online-features", "--account", "datasci", "--feature-group", "customer-churn", "--record-id", "c1"]
    assert main([*args, "--role-arn", role]) == 0
    assert made_in == [DATASCI]
    stubs[0].assert_no_pending_responses()
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "customer_id=c1 event_time=2026-11-01T00:00:00Z tenure_months=3"
    assert re.fullmatch(r"1 of 1 records; 1 calls: p50 [\d.]+ ms, p95 [\d.]+ ms, max [\d.]+ ms", lines[1])


def test_ingest_script_reads_every_csv(tmp_path: Path) -> None:
    from ops.jobs import ingest

    (tmp_path / "part").mkdir()
    (tmp_path / "a.csv").write_text("customer_id,tenure_months\nc1,3\n")
    (tmp_path / "part" / "b.csv").write_text("customer_id,tenure_months\nc2,\n")
    assert ingest.records(tmp_path) == [
        {"customer_id": "c1", "tenure_months": "3"},
        {"customer_id": "c2", "tenure_months": ""},
    ]


def test_the_codebuild_buildspec_calls_ops_with_flags_it_takes() -> None:
    # The values the pipeline's feature-job stage sets (components/ci_cd.py), and CodeBuild's revision.
    role = "arn:aws:iam::333333333333:role/mlops/mlops-datamgmt-feature-deployer"
    args = buildspec_command(
        "feature-job.yml",
        {
            "FLOW": "flows/customer-churn.flow",
            "TARGET_ACCOUNT": "datamgmt",
            "FEATURE_GROUP": "customer-churn",
            "TARGET_ROLE_ARN": role,
            "CODEBUILD_RESOLVED_SOURCE_VERSION": REVISION,
        },
    )
    assert (args.command, args.account, args.wait, args.git_revision) == ("run-feature-job", "datamgmt", True, REVISION)
    assert args.role_arn == role and args.feature_group == "customer-churn"
