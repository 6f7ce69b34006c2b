"""The tooling account: shared artifacts and the CI role that reaches into the other accounts.

CodePipeline, CodeBuild, the source connection and ECR arrive with the CI/CD issue (#5).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components import naming
from components import policy_documents as docs
from components.accounts.common import account_basics, data_bucket
from components.accounts.outputs import ToolingOutputs
from components.config import Settings
from components.iam import PlatformRole, PlatformRoleArgs


@dataclass(frozen=True)
class ToolingAccountArgs:
    settings: Settings


class ToolingAccount(pulumi.ComponentResource):
    outputs: ToolingOutputs

    def __init__(self, name: str, args: ToolingAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:Tooling", name, None, opts)
        settings = args.settings
        roles = settings.cross_account_roles
        # Outside this account, only the two feature-job roles may read the artifacts.
        basics = account_basics(name, settings, self, decrypt_roles=roles.targets)
        artifacts = data_bucket(name, "artifacts", settings, basics, self, read_roles=roles.targets)
        ci_role = PlatformRole(
            f"{name}-ci",
            PlatformRoleArgs(
                role_name=naming.CI_ROLE_NAME,
                description="Runs the platform's pipelines and builds; assumes the feature-job roles",
                trust_policy=docs.service_trust(
                    ["codebuild.amazonaws.com", "codepipeline.amazonaws.com"], settings.account_id
                ),
                statements=[
                    docs.assume_roles(roles.targets),
                    pulumi.Output.all(artifacts.arn, basics.key.arn).apply(
                        lambda arns: docs.object_access(arns[0], arns[1], "Artifacts", write=True)
                    ),
                    docs.write_logs(
                        settings.partition, settings.region, settings.account_id, f"/aws/codebuild/{naming.PREFIX}-"
                    ),
                ],
                tags=settings.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.outputs = ToolingOutputs(
            account_id=settings.account_id,
            artifact_bucket_name=artifacts.bucket,
            artifact_bucket_arn=artifacts.arn,
            artifact_key_arn=basics.key.arn,
            ci_role_arn=ci_role.arn,
        )
        self.register_outputs(self.outputs.exports())
