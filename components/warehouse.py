"""Redshift Serverless in the private subnets: encrypted, private, SSL only, its admin password
kept by Secrets Manager, and its traffic to S3 through the VPC (enhanced VPC routing)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.network import EGRESS, HTTPS, INGRESS, security_group_rule

REDSHIFT_PORT = 5439
#: Interface endpoints a VPC needs for its clients to reach the warehouse with IAM credentials.
WAREHOUSE_ENDPOINTS = ("redshift-serverless",)
#: Every parameter Redshift Serverless reports back for a workgroup, with the value we intend. The
#: API returns all of them, so declaring only some leaves a diff on every preview.
#: https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_ConfigParameter.html
WORKGROUP_PARAMETERS = {
    "auto_mv": "true",
    "datestyle": "ISO, MDY",
    "enable_case_sensitive_identifier": "false",
    # Audit: every query is logged (exported with the namespace's useractivitylog).
    "enable_user_activity_logging": "true",
    "query_group": "default",
    "search_path": "$user, public",
    # Clients must connect with TLS.
    "require_ssl": "true",
    "use_fips_ssl": "false",
    # Four hours: a runaway query stops instead of burning RPUs for a day.
    "max_query_execution_time": "14400",
}


@dataclass(frozen=True)
class WarehouseArgs:
    namespace_name: str
    vpc_id: pulumi.Input[str]
    #: Private subnets in at least three availability zones (a Redshift Serverless rule).
    subnet_ids: pulumi.Input[Sequence[str]]
    #: The only security group whose members may connect (Studio).
    client_security_group_id: pulumi.Input[str]
    #: The S3 gateway endpoint's prefix list: COPY and UNLOAD reach S3 through it.
    s3_prefix_list_id: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    #: The role Redshift assumes for COPY and UNLOAD.
    iam_role_arn: pulumi.Input[str]
    base_capacity: int = 8
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True

    def __post_init__(self) -> None:
        if not 8 <= self.base_capacity <= 512 or self.base_capacity % 8:
            raise ValueError(
                f"base_capacity: {self.base_capacity} is not valid; expected a multiple of 8 from 8 to 512"
            )


class Warehouse(pulumi.ComponentResource):
    workgroup_name: pulumi.Output[str]
    workgroup_arn: pulumi.Output[str]
    security_group_id: pulumi.Output[str]

    def __init__(self, name: str, args: WarehouseArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:warehouse:Warehouse", name, None, opts)
        tags = dict(args.tags)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Redshift Serverless, reachable from Studio only",
            tags={**tags, "Name": f"{name}-sg"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        clients = args.client_security_group_id
        security_group_rule(
            INGRESS,
            f"{name}-from-clients",
            group.id,
            "Redshift from Studio",
            REDSHIFT_PORT,
            tags,
            self,
            peer_group_id=clients,
        )
        # Security groups are stateful, but the client's group must let the connection out too.
        security_group_rule(
            EGRESS,
            f"{name}-clients-out",
            clients,
            "Studio to Redshift",
            REDSHIFT_PORT,
            tags,
            self,
            peer_group_id=group.id,
        )
        security_group_rule(
            EGRESS,
            f"{name}-to-s3",
            group.id,
            "COPY and UNLOAD through the S3 gateway endpoint",
            HTTPS,
            tags,
            self,
            prefix_list_id=args.s3_prefix_list_id,
        )
        security_group_rule(
            EGRESS,
            f"{name}-to-clients",
            group.id,
            "Responses and federated queries to Studio",
            REDSHIFT_PORT,
            tags,
            self,
            peer_group_id=clients,
        )
        namespace = aws.redshiftserverless.Namespace(
            f"{name}-namespace",
            namespace_name=args.namespace_name,
            db_name="lakehouse",
            admin_username="platform_admin",
            # Secrets Manager creates, rotates and encrypts the admin password; it never enters state.
            manage_admin_password=True,
            admin_password_secret_kms_key_id=args.kms_key_arn,
            kms_key_id=args.kms_key_arn,
            iam_roles=[args.iam_role_arn],
            default_iam_role_arn=args.iam_role_arn,
            log_exports=["userlog", "connectionlog", "useractivitylog"],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        workgroup = aws.redshiftserverless.Workgroup(
            f"{name}-workgroup",
            workgroup_name=args.namespace_name,
            namespace_name=namespace.namespace_name,
            base_capacity=args.base_capacity,
            subnet_ids=args.subnet_ids,
            security_group_ids=[group.id],
            publicly_accessible=False,
            enhanced_vpc_routing=True,
            config_parameters=[
                {"parameter_key": key, "parameter_value": value} for key, value in WORKGROUP_PARAMETERS.items()
            ],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.workgroup_name = workgroup.workgroup_name
        self.workgroup_arn = workgroup.arn
        self.security_group_id = group.id
        self.register_outputs({"workgroupName": self.workgroup_name, "securityGroupId": self.security_group_id})
