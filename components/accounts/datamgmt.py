"""The data management account: the governed lake house and the production Feature Store.

Lake buckets, the Glue catalog, Lake Formation, Redshift and the production Feature Store arrive
with the data management issue (#4).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components import naming
from components.accounts.common import account_basics, feature_job_role
from components.accounts.outputs import DatamgmtOutputs, ToolingOutputs
from components.config import Settings


@dataclass(frozen=True)
class DatamgmtAccountArgs:
    settings: Settings
    #: The tooling stack's exports, read through a stack reference.
    tooling: ToolingOutputs


class DatamgmtAccount(pulumi.ComponentResource):
    outputs: DatamgmtOutputs

    def __init__(self, name: str, args: DatamgmtAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:Datamgmt", name, None, opts)
        settings = args.settings
        basics = account_basics(name, settings, self)
        deployer = feature_job_role(
            f"{name}-feature-deployer",
            naming.FEATURE_DEPLOYER_ROLE_NAME,
            "Assumed by the tooling CI to run production feature jobs after review",
            settings,
            args.tooling,
            self,
        )
        self.outputs = DatamgmtOutputs(
            account_id=settings.account_id,
            data_key_arn=basics.key.arn,
            access_log_bucket_name=basics.access_logs.bucket,
            feature_deployer_role_arn=deployer.arn,
        )
        self.register_outputs(self.outputs.exports())
