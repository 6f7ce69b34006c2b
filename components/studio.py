"""A SageMaker Studio domain in VPC-only mode, with one user profile per person, and the lifecycle
script every JupyterLab and Code Editor app runs at start (pip's index: the package mirror)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from contracts.lifecycle import lifecycle_content


@dataclass(frozen=True)
class StudioDomainArgs:
    domain_name: str
    vpc_id: pulumi.Input[str]
    #: Private subnets of the domain; Studio apps and their jobs get addresses here.
    subnet_ids: pulumi.Input[Sequence[str]]
    #: The only security group Studio apps, spaces and profiles may use.
    security_group_id: pulumi.Input[str]
    #: Customer key for the domain's storage (home EFS, space EBS volumes).
    kms_key_arn: pulumi.Input[str]
    #: The execution role of apps and spaces, given by name and ARN: the domain adds to it the right
    #: to manage its own apps and spaces, scoped to this domain.
    execution_role_name: pulumi.Input[str]
    execution_role_arn: pulumi.Input[str]
    #: Studio user profile names, one per person (contracts/naming.studio_profile_name).
    user_profiles: Sequence[str]
    region: str
    partition: str
    account_id: str
    #: Idle JupyterLab and Code Editor apps shut down after this long, to save cost.
    idle_timeout_minutes: int = 60
    #: The script JupyterLab and Code Editor apps run when they start, by default (None: none).
    lifecycle_script: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True

    def __post_init__(self) -> None:
        if not 60 <= self.idle_timeout_minutes <= 525600:
            raise ValueError(
                f"idle_timeout_minutes: {self.idle_timeout_minutes} is out of range; "
                "expected 60 to 525600 minutes (what SageMaker accepts)"
            )
        if len(set(self.user_profiles)) != len(self.user_profiles):
            raise ValueError(f"user_profiles: {list(self.user_profiles)} repeats a name; expected each profile once")


#: Studio's app types the lifecycle script runs in, and the name part of each configuration.
LIFECYCLE_APPS = {"JupyterLab": "jupyterlab", "CodeEditor": "code-editor"}
#: The instance an app starts on unless its user picks another (Studio's default for both apps);
#: named, because the default resource spec AWS reads back carries it.
DEFAULT_INSTANCE_TYPE = "ml.t3.medium"


class StudioDomain(pulumi.ComponentResource):
    domain_id: pulumi.Output[str]
    domain_arn: pulumi.Output[str]
    user_profile_names: list[str]
    lifecycle_config_arns: list[pulumi.Output[str]]

    def __init__(self, name: str, args: StudioDomainArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:studio:StudioDomain", name, None, opts)
        security_groups = [args.security_group_id]
        lifecycle = self._lifecycle_configs(name, args)
        idle: Any = {
            "idle_settings": {"lifecycle_management": "ENABLED", "idle_timeout_in_minutes": args.idle_timeout_minutes}
        }
        jupyter_lab: Any = {"app_lifecycle_management": idle, **lifecycle.get("JupyterLab", {})}
        code_editor: Any = {"app_lifecycle_management": idle, **lifecycle.get("CodeEditor", {})}
        user_settings: aws.sagemaker.DomainDefaultUserSettingsArgsDict = {
            "execution_role": args.execution_role_arn,
            "security_groups": security_groups,
            "jupyter_lab_app_settings": jupyter_lab,
            "code_editor_app_settings": code_editor,
            # Notebook sharing would copy outputs to S3 outside the governed buckets.
            "sharing_settings": {"notebook_output_option": "Disabled"},
        }
        space_settings: aws.sagemaker.DomainDefaultSpaceSettingsArgsDict = {
            "execution_role": args.execution_role_arn,
            "security_groups": security_groups,
        }
        if "JupyterLab" in lifecycle:
            # Shared JupyterLab spaces take the domain's space settings.
            space_settings["jupyter_lab_app_settings"] = lifecycle["JupyterLab"]
        domain = aws.sagemaker.Domain(
            f"{name}-domain",
            domain_name=args.domain_name,
            auth_mode="IAM",
            app_network_access_type="VpcOnly",
            vpc_id=args.vpc_id,
            subnet_ids=args.subnet_ids,
            kms_key_id=args.kms_key_arn,
            default_user_settings=user_settings,
            default_space_settings=space_settings,
            # Keep users' home folders when the domain goes: they hold work, not infrastructure.
            retention_policy={"home_efs_file_system": "Retain"},
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        aws.iam.RolePolicy(
            f"{name}-execution-apps",
            role=args.execution_role_name,
            policy=domain.id.apply(
                lambda domain_id: json.dumps(
                    docs.document(docs.studio_apps(args.partition, args.region, args.account_id, domain_id))
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        for profile in args.user_profiles:
            aws.sagemaker.UserProfile(
                f"{name}-user-{profile}",
                domain_id=domain.id,
                user_profile_name=profile,
                user_settings={"execution_role": args.execution_role_arn, "security_groups": security_groups},
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.domain_id = domain.id
        self.domain_arn = domain.arn
        self.lifecycle_config_arns = [settings["lifecycle_config_arns"][0] for settings in lifecycle.values()]
        self.user_profile_names = list(args.user_profiles)
        self.register_outputs({"domainId": self.domain_id, "userProfiles": self.user_profile_names})

    def _lifecycle_configs(self, name: str, args: StudioDomainArgs) -> dict[str, Any]:
        """A lifecycle configuration per app type, each the app's default (so every app of every
        profile and space runs it when it starts) and the only one offered."""
        if args.lifecycle_script is None:
            return {}
        content = lifecycle_content(args.lifecycle_script)
        settings: dict[str, Any] = {}
        for app_type, part in LIFECYCLE_APPS.items():
            config = aws.sagemaker.StudioLifecycleConfig(
                f"{name}-{part}-lifecycle",
                studio_lifecycle_config_name=f"{args.domain_name}-{part}",
                studio_lifecycle_config_app_type=app_type,
                studio_lifecycle_config_content=content,
                tags=dict(args.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            settings[app_type] = {
                "lifecycle_config_arns": [config.arn],
                "default_resource_spec": {"instance_type": DEFAULT_INSTANCE_TYPE, "lifecycle_config_arn": config.arn},
            }
        return settings
