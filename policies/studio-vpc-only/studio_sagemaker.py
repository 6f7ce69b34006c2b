"""SageMaker rules of the Studio pack (guardrails 12-15 of docs/guardrails.md): notebook instances,
models, endpoint configurations and feature groups.

All resource policies, one per guarded property (a notebook instance has five, a model and a
feature group two each), so that each can be made advisory or disabled on its own. A presence check
accepts an unknown value as set; a value check reads it, and an unknown value stops the policy
("can't run policy ... during preview").
"""

from __future__ import annotations

from pulumi_policy import EnforcementLevel, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy
from studio_resource_types import ENDPOINT_CONFIGURATION, FEATURE_GROUP, MODEL, NOTEBOOK_INSTANCE
from studio_vpc_only_helpers import ABSENT, UNKNOWN, described, is_set, peek, shown, value

# --- 12. notebook instances ------------------------------------------------------------------------


def _notebook_no_direct_internet(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != NOTEBOOK_INSTANCE:
        return
    access = value(args.props, "directInternetAccess")
    if access != "Disabled":
        report_violation(
            f"{args.name}: directInternetAccess is {shown(access, 'Enabled')}, which gives the notebook a "
            'direct route to the internet; set directInternetAccess to "Disabled".',
            None,
        )


notebook_instance_no_direct_internet = ResourceValidationPolicy(
    name="notebook-instance-no-direct-internet",
    description=described(
        "Notebook instances have direct internet access disabled, explicitly.",
        12,
        security_hub=["SageMaker.1"],
        checkov=["CKV_AWS_122"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_notebook_no_direct_internet,
)


def _notebook_in_vpc(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == NOTEBOOK_INSTANCE and not is_set(args.props, "subnetId"):
        report_violation(
            f"{args.name}: subnetId is not set, so the notebook runs outside the platform's VPC; set subnetId to "
            "a private subnet of the VPC.",
            None,
        )


notebook_instance_in_vpc = ResourceValidationPolicy(
    name="notebook-instance-in-vpc",
    description=described(
        "Notebook instances run in a subnet of the platform's VPC.",
        12,
        security_hub=["SageMaker.2"],
        checkov=["CKV_AWS_306"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_notebook_in_vpc,
)


def _notebook_no_root_access(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != NOTEBOOK_INSTANCE:
        return
    root = value(args.props, "rootAccess")
    if root != "Disabled":
        report_violation(
            f"{args.name}: rootAccess is {shown(root, 'Enabled')}, which lets notebook users change the "
            'instance; set rootAccess to "Disabled".',
            None,
        )


notebook_instance_no_root_access = ResourceValidationPolicy(
    name="notebook-instance-no-root-access",
    description=described(
        "Notebook instances give their users no root access.",
        12,
        security_hub=["SageMaker.3"],
        checkov=["CKV_AWS_307"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_notebook_no_root_access,
)


def _notebook_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == NOTEBOOK_INSTANCE and not is_set(args.props, "kmsKeyId"):
        report_violation(
            f"{args.name}: kmsKeyId is not set, so the notebook's storage is encrypted with an AWS managed key; "
            "set kmsKeyId to the platform's customer managed KMS key.",
            None,
        )


notebook_instance_kms = ResourceValidationPolicy(
    name="notebook-instance-kms",
    description=described(
        "Notebook instance storage is encrypted with a customer managed KMS key.", 12, checkov=["CKV_AWS_22"]
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_notebook_kms,
)


def _notebook_imdsv2(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != NOTEBOOK_INSTANCE:
        return
    imds = value(args.props, "instanceMetadataServiceConfiguration")
    version = value(imds, "minimumInstanceMetadataServiceVersion")
    if version != "2":
        report_violation(
            f"{args.name}: instanceMetadataServiceConfiguration.minimumInstanceMetadataServiceVersion is "
            f"{shown(version, '1, which allows IMDSv1')}; set "
            'instanceMetadataServiceConfiguration.minimumInstanceMetadataServiceVersion to "2".',
            None,
        )


notebook_instance_imdsv2 = ResourceValidationPolicy(
    name="notebook-instance-imdsv2",
    description=described("Notebook instances allow only IMDSv2.", 12, checkov=["CKV_AWS_371"]),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_notebook_imdsv2,
)


# --- 13. models ------------------------------------------------------------------------------------


def _model_network_isolation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != MODEL:
        return
    isolation = value(args.props, "enableNetworkIsolation")
    if isolation is not True:
        report_violation(
            f"{args.name}: enableNetworkIsolation is {shown(isolation, 'false')}, so the model's containers "
            "can make network calls; set enableNetworkIsolation to true.",
            None,
        )


sagemaker_model_network_isolation = ResourceValidationPolicy(
    name="sagemaker-model-network-isolation",
    description=described(
        "SageMaker models run network-isolated.", 13, security_hub=["SageMaker.5"], checkov=["CKV_AWS_370"]
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_model_network_isolation,
)


def _model_in_vpc(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != MODEL:
        return
    vpc_config = peek(args.props, "vpcConfig")
    if vpc_config is ABSENT:
        report_violation(
            f"{args.name}: vpcConfig is not set, so the model runs outside the platform's VPC; set vpcConfig with "
            "the VPC's private subnets and security groups.",
            None,
        )
    elif vpc_config is not UNKNOWN:
        # An unknown vpcConfig counts as set: the provider requires both of its lists.
        for key in ("subnets", "securityGroupIds"):
            if not is_set(vpc_config, key):
                report_violation(
                    f"{args.name}: vpcConfig.{key} is empty, so the model is not placed in the VPC; set "
                    f"vpcConfig.{key} to the VPC's private {'subnets' if key == 'subnets' else 'security groups'}.",
                    None,
                )


sagemaker_model_in_vpc = ResourceValidationPolicy(
    name="sagemaker-model-in-vpc",
    description=described("SageMaker models run inside the platform's VPC.", 13),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_model_in_vpc,
)


# --- 14. sagemaker-endpoint-config-kms -------------------------------------------------------------


def _endpoint_config_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == ENDPOINT_CONFIGURATION and not is_set(args.props, "kmsKeyArn"):
        report_violation(
            f"{args.name}: kmsKeyArn is not set, so the endpoint's storage volumes are encrypted with an AWS "
            "managed key; set kmsKeyArn to the platform's customer managed KMS key.",
            None,
        )


sagemaker_endpoint_config_kms = ResourceValidationPolicy(
    name="sagemaker-endpoint-config-kms",
    description=described(
        "SageMaker endpoint configurations encrypt their storage with a customer managed KMS key.",
        14,
        checkov=["CKV_AWS_98"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_endpoint_config_kms,
)


# --- 15. feature groups ----------------------------------------------------------------------------


def _offline_store_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != FEATURE_GROUP:
        return
    offline = value(args.props, "offlineStoreConfig")
    if offline is not None and not is_set(value(offline, "s3StorageConfig"), "kmsKeyId"):
        report_violation(
            f"{args.name}: offlineStoreConfig.s3StorageConfig.kmsKeyId is not set, so the offline store is "
            "written with the bucket's default encryption; set offlineStoreConfig.s3StorageConfig.kmsKeyId "
            "to the platform's customer managed KMS key.",
            None,
        )


feature_group_offline_store_kms = ResourceValidationPolicy(
    name="feature-group-offline-store-kms",
    description=described(
        "Feature groups encrypt their offline store with a customer managed KMS key.",
        15,
        aws_config=["sagemaker-featuregroup-encryption-at-rest"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_offline_store_kms,
)


def _online_store_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != FEATURE_GROUP:
        return
    online = value(args.props, "onlineStoreConfig")
    # enableOnlineStore defaults to false: without it there is no online store to encrypt.
    if value(online, "enableOnlineStore") is True and not is_set(value(online, "securityConfig"), "kmsKeyId"):
        report_violation(
            f"{args.name}: onlineStoreConfig.securityConfig.kmsKeyId is not set, so the online store is "
            "encrypted with an AWS owned key; set onlineStoreConfig.securityConfig.kmsKeyId to the "
            "platform's customer managed KMS key.",
            None,
        )


feature_group_online_store_kms = ResourceValidationPolicy(
    name="feature-group-online-store-kms",
    description=described(
        "Feature groups encrypt their online store with a customer managed KMS key.",
        15,
        aws_config=["sagemaker-featuregroup-online-store-encryption"],
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_online_store_kms,
)


POLICIES = [
    notebook_instance_no_direct_internet,
    notebook_instance_in_vpc,
    notebook_instance_no_root_access,
    notebook_instance_kms,
    notebook_instance_imdsv2,
    sagemaker_model_network_isolation,
    sagemaker_model_in_vpc,
    sagemaker_endpoint_config_kms,
    feature_group_offline_store_kms,
    feature_group_online_store_kms,
]
