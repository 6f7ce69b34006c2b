"""The data science account: where data scientists experiment and feature branches run.

The private network, VPC-only Studio, execution roles and the experimentation Feature Store
arrive with the data science issue (#3).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components import naming
from components.accounts.common import account_basics, data_bucket, feature_job_role
from components.accounts.tooling import ToolingOutputs
from components.config import Settings


@dataclass(frozen=True)
class DatasciAccountArgs:
    settings: Settings
    #: The tooling stack's exports, read through a stack reference.
    tooling: ToolingOutputs


class DatasciAccount(pulumi.ComponentResource):
    exports: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: DatasciAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:Datasci", name, None, opts)
        settings = args.settings
        basics = account_basics(name, settings, self)
        # Copies of curated data that data scientists experiment on, never the governed originals.
        snapshots = data_bucket(name, "snapshots", settings, basics, self)
        runner = feature_job_role(
            f"{name}-feature-runner",
            naming.FEATURE_RUNNER_ROLE_NAME,
            "Assumed by the tooling CI to run feature jobs of feature branches",
            settings,
            args.tooling,
            self,
        )
        self.exports = {
            "dataKeyArn": basics.key.arn,
            "accessLogBucketName": basics.access_logs.bucket,
            "snapshotBucketName": snapshots.bucket,
            "featureRunnerRoleArn": runner.arn,
        }
        self.register_outputs(self.exports)
