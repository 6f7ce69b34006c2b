"""The tooling account: shared artifacts and the CI role that reaches into the other accounts.

CodePipeline, CodeBuild, the source connection and ECR arrive with the CI/CD issue (#5).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components import naming
from components import policy_documents as docs
from components.accounts.common import account_basics, data_bucket
from components.config import Settings
from components.iam import PlatformRole, PlatformRoleArgs


@dataclass(frozen=True)
class ToolingOutputs:
    """What the tooling stack exports for the other stacks, under one set of export names."""

    artifact_bucket_name: pulumi.Input[str]
    artifact_bucket_arn: pulumi.Input[str]
    artifact_key_arn: pulumi.Input[str]
    ci_role_arn: pulumi.Input[str]

    @staticmethod
    def export_names() -> dict[str, str]:
        """Attribute name to export name (camelCase, as stack outputs are read by people)."""
        return {
            "artifact_bucket_name": "artifactBucketName",
            "artifact_bucket_arn": "artifactBucketArn",
            "artifact_key_arn": "artifactKeyArn",
            "ci_role_arn": "ciRoleArn",
        }

    def exports(self) -> dict[str, pulumi.Input[str]]:
        return {export: getattr(self, attribute) for attribute, export in self.export_names().items()}

    @classmethod
    def from_stack_reference(cls, reference: pulumi.StackReference) -> ToolingOutputs:
        return cls(**{attribute: reference.require_output(export) for attribute, export in cls.export_names().items()})


@dataclass(frozen=True)
class ToolingAccountArgs:
    settings: Settings


class ToolingAccount(pulumi.ComponentResource):
    outputs: ToolingOutputs

    def __init__(self, name: str, args: ToolingAccountArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:account:Tooling", name, None, opts)
        settings = args.settings
        targets = settings.cross_account_roles.targets
        basics = account_basics(name, settings, self, decrypt_roles=targets)
        artifacts = data_bucket(name, "artifacts", settings, basics, self, read_roles=targets)
        ci_role = PlatformRole(
            f"{name}-ci",
            PlatformRoleArgs(
                role_name=naming.CI_ROLE_NAME,
                description="Runs the platform's pipelines and builds; assumes the feature-job roles",
                trust_policy=docs.service_trust(
                    ["codebuild.amazonaws.com", "codepipeline.amazonaws.com"], settings.account_id
                ),
                statements=[
                    docs.assume_roles(targets),
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
            artifact_bucket_name=artifacts.bucket,
            artifact_bucket_arn=artifacts.arn,
            artifact_key_arn=basics.key.arn,
            ci_role_arn=ci_role.arn,
        )
        self.register_outputs(self.outputs.exports())
