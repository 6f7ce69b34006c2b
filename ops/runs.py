"""What every pipeline run of ``ops`` shares: the SageMaker SDK's import, the code's revision,
the upload of inputs into the account's feature-jobs bucket, the install of a script's requirements
through the package mirror, and starting and following a run.

The SDK is imported only inside ``sdk_imports``, after the region and credentials are settled: at
import it creates boto3 clients, which would otherwise go looking for credentials on the network.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from contracts.package_mirror import TOKEN_SECONDS, MirrorError, PackageMirror
from ops import FeatureJobError, OpsError
from ops.aws import JobSettings

#: The SDK's defaults config, telling it never to send telemetry.
TELEMETRY_OPT_OUT = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}
TERMINAL = {"Succeeded", "Failed", "Stopped"}
#: The scikit-learn image (it has pandas) runs the platform's scripts and the example model.
SKLEARN_VERSION = "1.2-1"
PROCESSING = "/opt/ml/processing"
#: What a job runs, with a mirror, to install its script's requirements before the script.
MIRROR_HELPER = Path(__file__).resolve().parent / "jobs" / "pip_mirror.py"
#: The file beside a job's script listing what the script needs beyond its image.
REQUIREMENTS = "requirements.txt"
#: The processing input, or training channel, holding the helper and the script's requirements.
MIRROR_CHANNEL = "mlops_mirror"
PROCESSING_MIRROR = f"{PROCESSING}/{MIRROR_CHANNEL}"
TRAINING_MIRROR = f"/opt/ml/input/data/{MIRROR_CHANNEL}"


def mirror_environment(mirror: PackageMirror) -> dict[str, str]:
    """The variables naming the mirror in a job's environment, as ops/jobs/pip_mirror.py reads them;
    built here only. The index URL is the contract's, with ``{token}`` where the job's token goes."""
    return {
        "MLOPS_MIRROR_DOMAIN": mirror.domain,
        "MLOPS_MIRROR_OWNER": mirror.owner,
        "MLOPS_MIRROR_REGION": mirror.region,
        "MLOPS_MIRROR_TOKEN_SECONDS": str(TOKEN_SECONDS),
        "MLOPS_MIRROR_INDEX_URL": mirror.index_url("{token}"),
    }


@dataclass(frozen=True)
class MirrorStep:
    """What a step needs to install its script's requirements before running it: the mirror in its
    environment, and an S3 folder with the helper and the requirements (an input or a channel)."""

    environment: dict[str, str]
    uri: str

    @staticmethod
    def command(folder: str) -> list[str]:
        """The words that start a script through the helper, ``folder`` being where the job has
        the S3 folder; the script and its arguments follow."""
        return ["python3", f"{folder}/{MIRROR_HELPER.name}", f"{folder}/{REQUIREMENTS}"]


def _git(*args: str) -> str | None:
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, check=True).stdout.strip() or None
    except (OSError, subprocess.CalledProcessError):
        return None


def git_revision_and_branch(revision: str | None, branch: str | None) -> tuple[str | None, str | None]:
    """From the flags, else CI's variables, else the local checkout; None where nothing says."""
    env = os.environ
    revision = (
        revision
        or env.get("GIT_COMMIT")
        or env.get("CODEBUILD_RESOLVED_SOURCE_VERSION")
        or env.get("GITHUB_SHA")
        or _git("rev-parse", "HEAD")
    )
    branch = (
        branch
        or env.get("GIT_BRANCH")
        or env.get("GITHUB_REF_NAME")
        or env.get("CODEBUILD_WEBHOOK_HEAD_REF", "").removeprefix("refs/heads/")
        or _git("rev-parse", "--abbrev-ref", "HEAD")
    )
    return revision, branch


@contextlib.contextmanager
def _no_instance_metadata() -> Iterator[None]:
    """The SDK makes boto3 clients at import; with no credentials in the environment botocore would
    try the EC2 instance metadata service. Not while importing."""
    previous = os.environ.get("AWS_EC2_METADATA_DISABLED")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    try:
        yield
    finally:
        if previous is None:
            del os.environ["AWS_EC2_METADATA_DISABLED"]
        else:
            os.environ["AWS_EC2_METADATA_DISABLED"] = previous


@contextlib.contextmanager
def sdk_imports(region: str) -> Iterator[None]:
    """Where the SageMaker SDK may be imported: with a region, and without the instance metadata
    service. Some SDK modules configure the root logger at import (INFO, to stderr); the caller's
    logging is put back afterwards. The SDK's client-side role check (``iam:SimulatePrincipalPolicy``
    as the caller) is off: the roles are the stacks' (tested with them), and the runner may not read
    IAM, so it could only warn."""
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    os.environ.setdefault("SAGEMAKER_VALIDATE_ROLE", "false")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with _no_instance_metadata():
            yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


class PipelineRun:
    """One run of one SageMaker pipeline in a target account, started as the CI's runner (or deploy) role."""

    def __init__(self, target: boto3.Session, settings: JobSettings, pipeline_name: str, prefix: str) -> None:
        self.target = target
        self.settings = settings
        self.pipeline_name = pipeline_name
        #: Where this run's inputs go in the feature-jobs bucket.
        self.prefix = prefix
        if settings.package_mirror is not None:
            try:
                settings.package_mirror.check()
            except MirrorError as error:
                raise OpsError(
                    f"job settings of account {settings.account_id}: {error} (the settings the stack publishes)"
                ) from None
        self._mirror_folders: set[str] = set()

    def upload(self, name: str, body: bytes) -> str:
        """Put an input in the account's feature-jobs bucket, encrypted with its key; its S3 URI."""
        key = f"{self.prefix}/{name}"
        try:
            self.target.client("s3").put_object(
                Bucket=self.settings.bucket,
                Key=key,
                Body=body,
                ServerSideEncryption="aws:kms",
                SSEKMSKeyId=self.settings.kms_key_arn,
            )
        except (ClientError, BotoCoreError) as error:
            raise OpsError(
                f"upload {name} to s3://{self.settings.bucket}/{key} failed ({error}); expected the bucket writable"
            ) from None
        return f"s3://{self.settings.bucket}/{key}"

    def upload_file(self, path: Path) -> str:
        """Put a file in the account's feature-jobs bucket under its own name; its S3 URI."""
        return self.upload(path.name, path.read_bytes())

    def mirror_step(self, script: Path) -> MirrorStep | None:
        """With a mirror and a requirements.txt beside ``script``, the helper and the requirements in
        this run's folder, for the step to install them first; None otherwise (the step runs the
        script as it would without a mirror)."""
        mirror, requirements = self.settings.package_mirror, script.parent / REQUIREMENTS
        if mirror is None or not requirements.is_file():
            return None
        body = requirements.read_bytes()
        folder = f"mirror/{hashlib.sha256(body).hexdigest()[:12]}"
        if folder not in self._mirror_folders:
            self.upload(f"{folder}/{MIRROR_HELPER.name}", MIRROR_HELPER.read_bytes())
            self.upload(f"{folder}/{REQUIREMENTS}", body)
            self._mirror_folders.add(folder)
        return MirrorStep(mirror_environment(mirror), f"s3://{self.settings.bucket}/{self.prefix}/{folder}/")

    def script_processor(
        self, sm: SimpleNamespace, common: Mapping[str, Any], image_uri: str, base_job_name: str, script: Path
    ) -> tuple[Any, list[Any]]:
        """A processor running ``script`` with python3 and the inputs it adds: with a mirror, through
        the helper, which installs the requirements beside the script first."""
        step = self.mirror_step(script)
        if step is None:
            return sm.ScriptProcessor(
                image_uri=image_uri, command=["python3"], base_job_name=base_job_name, **common
            ), []
        processor = sm.ScriptProcessor(
            image_uri=image_uri,
            command=step.command(PROCESSING_MIRROR),
            env=step.environment,
            base_job_name=base_job_name,
            **common,
        )
        return processor, [self.processing_input(sm, MIRROR_CHANNEL, step.uri, PROCESSING_MIRROR)]

    def processing_args(self, sm: SimpleNamespace, session: Any, role_arn: str, instance_type: str) -> dict[str, Any]:
        """A processor's arguments: one instance in the account's private subnets, with its key."""
        settings = self.settings
        return {
            "role": role_arn,
            "instance_count": 1,
            "instance_type": instance_type,
            # The execution roles may start jobs only with these: their IAM conditions say so.
            "volume_kms_key": settings.kms_key_arn,
            "output_kms_key": settings.kms_key_arn,
            "network_config": sm.NetworkConfig(
                subnets=list(settings.subnet_ids),
                security_group_ids=list(settings.security_group_ids),
                encrypt_inter_container_traffic=True,
            ),
            "sagemaker_session": session,
        }

    @staticmethod
    def processing_input(sm: SimpleNamespace, name: str, uri: Any, local: str) -> Any:
        return sm.ProcessingInput(
            input_name=name,
            s3_input=sm.ProcessingS3Input(s3_uri=uri, local_path=local, s3_data_type="S3Prefix", s3_input_mode="File"),
        )

    @staticmethod
    def processing_output(sm: SimpleNamespace, name: str, uri: Any, local: str = f"{PROCESSING}/output") -> Any:
        return sm.ProcessingOutput(
            output_name=name,
            s3_output=sm.ProcessingS3Output(s3_uri=uri, local_path=local, s3_upload_mode="EndOfJob"),
        )

    def start(
        self,
        pipeline: Any,
        role_arn: str,
        description: str,
        tags: list[Any],
        revision: str | None,
        branch: str | None,
        say: Callable[[str], None],
    ) -> str:
        """Upsert the pipeline as ``role_arn``, start it, and mark the run with the code's revision
        and branch: in its display name and description, which every run has, and in tags."""
        pipeline.upsert(role_arn=role_arn, description=description, tags=tags)
        revision, branch = revision or "unknown", branch or "unknown"
        display = re.sub(r"[^a-zA-Z0-9]+", "-", f"{branch}-{revision[:12]}").strip("-")[:82]
        execution = pipeline.start(
            execution_display_name=display,
            execution_description=f"git revision {revision} on branch {branch}",
        )
        arn = str(execution.arn)
        run_tags: list[Any] = [
            {"Key": "mlops:git-revision", "Value": revision},
            {"Key": "mlops:branch", "Value": branch},
        ]
        try:
            self.target.client("sagemaker").add_tags(ResourceArn=arn, Tags=run_tags)
        except (ClientError, BotoCoreError) as error:
            # The display name and description above already carry both; a tag is a convenience.
            say(f"note: the run is not tagged ({error}); its display name and description name the revision")
        return arn

    def wait(self, arn: str, poll_seconds: float, timeout_seconds: float, say: Callable[[str], None]) -> str:
        """Poll until the run ends; its final status. A failed run raises FeatureJobError with the reason."""
        client = self.target.client("sagemaker")
        started, last = time.monotonic(), ""
        while True:
            described = client.describe_pipeline_execution(PipelineExecutionArn=arn)
            status = described["PipelineExecutionStatus"]
            if status != last:
                elapsed = int(time.monotonic() - started)
                say(f"[{elapsed // 60:02d}:{elapsed % 60:02d}] {self.pipeline_name}: {status}")
                last = status
            if status in TERMINAL:
                break
            if time.monotonic() - started > timeout_seconds:
                raise FeatureJobError(f"{self.pipeline_name}: still {status} after {timeout_seconds:.0f} s; see {arn}")
            time.sleep(poll_seconds)
        if status != "Succeeded":
            raise FeatureJobError(f"{self.pipeline_name}: {status}: {self._failure(client, arn, described)}")
        return status

    @staticmethod
    def _failure(client: Any, arn: str, described: Mapping[str, Any]) -> str:
        """The failing step and its reason, where the API says; else the run's own reason."""
        try:
            steps = client.list_pipeline_execution_steps(PipelineExecutionArn=arn)["PipelineExecutionSteps"]
        except (ClientError, BotoCoreError, NotImplementedError):
            steps = []
        for step in steps:
            if step.get("StepStatus") == "Failed":
                return f"step {step.get('StepName')}: {step.get('FailureReason', 'no reason given')}"
        return str(described.get("FailureReason") or "no reason given")
