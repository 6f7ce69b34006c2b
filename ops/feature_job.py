"""Run a feature job: a SageMaker pipeline that turns a Data Wrangler flow (or its exported script)
into features and ingests them into a feature group of the target account.

The pipeline has two steps. The first runs the flow on the Data Wrangler image (or the script on the
scikit-learn image, which has pandas) and writes the features to S3; the second ingests that output
into the feature group. (A processing output straight to the Feature Store is broken in SDK 3.27.)
Both run in the account's private subnets with its security group and customer key, which the
execution role's IAM conditions require. With a package mirror, a step that runs a script of ours
(an exported script, ``ingest.py``) first installs the requirements.txt beside it (ops/runs.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import boto3
from botocore.exceptions import ClientError

from contracts.feature_catalog import FeatureGroupSpec
from ops import OpsError
from ops.aws import JobSettings
from ops.runs import PROCESSING, SKLEARN_VERSION, TELEMETRY_OPT_OUT, PipelineRun, sdk_imports

INGEST_SCRIPT = Path(__file__).resolve().parent / "jobs" / "ingest.py"


@dataclass(frozen=True)
class JobRequest:
    flow: Path
    account: str
    spec: FeatureGroupSpec
    git_revision: str | None
    branch: str | None
    #: Source dataset name (``customers.csv``, or ``customers`` for a script) to an S3 URI; for a flow,
    #: overrides the flow's own sources.
    sources: Mapping[str, str] = field(default_factory=dict)
    instance_type: str = "ml.m5.xlarge"


@dataclass(frozen=True)
class Flow:
    """What a Data Wrangler flow file says about its inputs and its output."""

    sources: dict[str, str]
    output: str

    @classmethod
    def read(cls, path: Path) -> Flow:
        try:
            nodes = json.loads(path.read_text())["nodes"]
            sources = {
                n["parameters"]["dataset_definition"]["name"]: n["parameters"]["dataset_definition"][
                    "s3ExecutionContext"
                ]["s3Uri"]
                for n in nodes
                if n["type"] == "SOURCE"
            }
            consumed = {i["node_id"] for n in nodes for i in n.get("inputs", [])}
            (last,) = [n["node_id"] for n in nodes if n["node_id"] not in consumed]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise OpsError(
                f"--flow: {str(path)!r} is not a Data Wrangler flow ({error!r}); expected a .flow file"
            ) from None
        return cls(sources=sources, output=f"{last}.default")


def _sdk(region: str) -> SimpleNamespace:
    """The SageMaker SDK classes the pipeline needs, imported on first use (see the module's docstring)."""
    with sdk_imports(region):
        from sagemaker.core import image_uris
        from sagemaker.core.network import NetworkConfig
        from sagemaker.core.processing import Processor, ScriptProcessor
        from sagemaker.core.shapes import ProcessingInput, ProcessingOutput, ProcessingS3Input, ProcessingS3Output
        from sagemaker.core.workflow.pipeline_context import PipelineSession
        from sagemaker.mlops.workflow import Pipeline, ProcessingStep
    return SimpleNamespace(
        image_uris=image_uris,
        NetworkConfig=NetworkConfig,
        Processor=Processor,
        ScriptProcessor=ScriptProcessor,
        ProcessingInput=ProcessingInput,
        ProcessingOutput=ProcessingOutput,
        ProcessingS3Input=ProcessingS3Input,
        ProcessingS3Output=ProcessingS3Output,
        PipelineSession=PipelineSession,
        Pipeline=Pipeline,
        ProcessingStep=ProcessingStep,
    )


def describe_feature_group(
    target: boto3.Session, settings: JobSettings, spec: FeatureGroupSpec, account: str
) -> dict[str, Any]:
    """The group as deployed; it must exist (the account's stack creates it from the catalog) with
    the catalog's schema."""
    try:
        described = target.client("sagemaker").describe_feature_group(FeatureGroupName=spec.name)
    except ClientError as error:
        raise OpsError(
            f"--feature-group: {spec.name!r} does not exist in account {settings.account_id} "
            f"({error.response['Error'].get('Code')}); expected the {account} stack deployed with it"
        ) from None
    deployed = {(d["FeatureName"], d["FeatureType"]) for d in described.get("FeatureDefinitions", [])}
    catalog = {(f.name, f.type) for f in spec.features}
    if deployed != catalog:
        raise OpsError(
            f"--feature-group: {spec.name!r} in account {settings.account_id} differs from "
            f"{spec.source.name} (only deployed: {sorted(deployed - catalog)}, only in the catalog: "
            f"{sorted(catalog - deployed)}); expected the stack deployed from this catalog"
        )
    return dict(described)


class FeatureJob(PipelineRun):
    """One run of one flow for one feature group in one account."""

    def __init__(self, target: boto3.Session, settings: JobSettings, request: JobRequest) -> None:
        revision = (request.git_revision or "local")[:12]
        super().__init__(
            target, settings, f"{settings.pipeline_prefix}{request.spec.name}", f"{request.spec.name}/{revision}"
        )
        self.request = request

    # --- the steps ---------------------------------------------------------------------------

    def check_feature_group(self) -> None:
        describe_feature_group(self.target, self.settings, self.request.spec, self.request.account)

    def build_pipeline(self, flow_uri: str, ingest_uri: str) -> Any:
        settings, request = self.settings, self.request
        sm = _sdk(settings.region)
        session = sm.PipelineSession(boto_session=self.target, sagemaker_config=TELEMETRY_OPT_OUT)
        common = self.processing_args(sm, session, settings.execution_role_arn, request.instance_type)
        features_uri = f"s3://{settings.bucket}/{self.prefix}/features"
        sklearn = sm.image_uris.retrieve("sklearn", settings.region, version=SKLEARN_VERSION)

        data_input = partial(self.processing_input, sm)
        if request.flow.suffix == ".flow":
            flow = Flow.read(request.flow)
            unknown = sorted(set(request.sources) - set(flow.sources))
            if unknown:
                raise OpsError(
                    f"--source: {unknown} are not sources of {request.flow.name}; "
                    f"expected some of {sorted(flow.sources)}"
                )
            sources = {**flow.sources, **request.sources}
            processor = sm.Processor(
                image_uri=sm.image_uris.retrieve("data-wrangler", settings.region),
                base_job_name="mlops-data-wrangler",
                **common,
            )
            step_args = processor.run(
                inputs=[
                    data_input("flow", flow_uri, f"{PROCESSING}/flow"),
                    *(data_input(name, uri, f"{PROCESSING}/{name}") for name, uri in sorted(sources.items())),
                ],
                outputs=[self.processing_output(sm, flow.output, features_uri)],
            )
        else:
            if not request.sources:
                raise OpsError(
                    f"--source: none given for {request.flow.name}; expected NAME=s3://... for each input of the script"
                )
            processor, mirror = self.script_processor(sm, common, sklearn, "mlops-features", request.flow)
            step_args = processor.run(
                code=flow_uri,
                inputs=[
                    *(
                        data_input(name, uri, f"{PROCESSING}/input/{name}")
                        for name, uri in sorted(request.sources.items())
                    ),
                    *mirror,
                ],
                outputs=[self.processing_output(sm, "features", features_uri)],
            )
        transform = sm.ProcessingStep(name="ComputeFeatures", step_args=step_args)
        ingester, mirror = self.script_processor(sm, common, sklearn, "mlops-ingest", INGEST_SCRIPT)
        ingest = sm.ProcessingStep(
            name="IngestFeatures",
            step_args=ingester.run(
                code=ingest_uri,
                inputs=[data_input("features", features_uri, f"{PROCESSING}/features"), *mirror],
                arguments=["--feature-group", request.spec.name, "--region", settings.region],
            ),
            depends_on=[transform],
        )
        return sm.Pipeline(name=self.pipeline_name, steps=[transform, ingest], sagemaker_session=session)

    def start_run(self, pipeline: Any, say: Callable[[str], None]) -> str:
        """Upsert the pipeline as the execution role and start it, marked with the code's revision."""
        request = self.request
        return self.start(
            pipeline,
            self.settings.execution_role_arn,
            f"Feature job for {request.spec.name}",
            [{"Key": "mlops:feature-group", "Value": request.spec.name}],
            request.git_revision,
            request.branch,
            say,
        )
