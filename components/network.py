"""An internet-free VPC for SageMaker Studio and the jobs it starts.

There is no internet gateway, no NAT gateway and no route beyond the VPC: AWS services are reached
through interface endpoints with private DNS, and S3 through a gateway endpoint whose policy names
the buckets that may be reached. Every subnet is private.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from components.iam import PlatformRole, PlatformRoleArgs
from contracts import cidr, naming
from contracts.endpoints import REQUIRED_INTERFACE_ENDPOINTS, endpoint_service_name

HTTPS = 443


INGRESS = aws.vpc.SecurityGroupIngressRule
EGRESS = aws.vpc.SecurityGroupEgressRule


def security_group_rule(
    kind: type[aws.vpc.SecurityGroupIngressRule] | type[aws.vpc.SecurityGroupEgressRule],
    name: str,
    security_group_id: pulumi.Input[str],
    description: str,
    port: int | None,
    tags: Mapping[str, str],
    parent: pulumi.Resource,
    peer_group_id: pulumi.Input[str] | None = None,
    prefix_list_id: pulumi.Input[str] | None = None,
) -> None:
    """One rule as its own resource, to a security group or a prefix list, never to an address
    range; TCP on ``port``, or all traffic when ``port`` is None."""
    ports: dict[str, Any] = (
        {"ip_protocol": "tcp", "from_port": port, "to_port": port} if port else {"ip_protocol": "-1"}
    )
    peer: dict[str, Any] = (
        {"referenced_security_group_id": peer_group_id}
        if peer_group_id is not None
        else {"prefix_list_id": prefix_list_id}
    )
    kind(
        name,
        security_group_id=security_group_id,
        description=description,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent),
        **ports,
        **peer,
    )


@dataclass(frozen=True)
class PrivateNetworkArgs:
    #: The VPC's CIDR (contracts/config.py validated it and carved the subnets).
    vpc_cidr: str
    #: One private subnet per availability zone, in the same order. Each holds
    #: ``cidr.studio_users_per_subnet(subnet, len(interface_endpoints))`` Studio users: a /20
    #: about 1,018 with the default endpoints, a /24 about 59, a /26 11.
    availability_zones: Sequence[str]
    subnet_cidrs: Sequence[str]
    region: str
    partition: str
    account_id: str
    #: Short names of the interface endpoints (``endpoint_service_name``); must hold the required set.
    interface_endpoints: Sequence[str]
    #: Customer key for the flow-log group; its policy must let CloudWatch Logs use it.
    flow_log_key_arn: pulumi.Input[str]
    log_retention_days: int
    #: Buckets the S3 gateway endpoint may reach (ARNs): the platform's own, nothing else.
    gateway_bucket_arns: Sequence[pulumi.Input[str]]
    #: Interface endpoints (short name) whose policy narrows what goes through them; the others
    #: keep AWS's default (full access), their callers' own policies deciding.
    endpoint_policies: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.availability_zones) != len(self.subnet_cidrs) or len(self.subnet_cidrs) < 2:
            raise ValueError(
                f"subnet_cidrs: {list(self.subnet_cidrs)} does not match availability_zones "
                f"{list(self.availability_zones)}; expected one subnet per zone, at least two"
            )
        cidr.check_subnets(self.vpc_cidr, tuple(self.subnet_cidrs))
        missing = [e for e in REQUIRED_INTERFACE_ENDPOINTS if e not in self.interface_endpoints]
        if missing:
            raise ValueError(
                f"interface_endpoints: {list(self.interface_endpoints)} lacks {', '.join(missing)}; "
                "expected every endpoint Studio needs"
            )


class PrivateNetwork(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_arn: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    #: Studio apps and the jobs they start use this group; it may reach the endpoints and itself.
    studio_security_group_id: pulumi.Output[str]
    endpoint_security_group_id: pulumi.Output[str]
    s3_endpoint_id: pulumi.Output[str]
    #: The S3 gateway endpoint's prefix list, for security group rules that reach S3.
    s3_prefix_list_id: pulumi.Output[str]

    def __init__(self, name: str, args: PrivateNetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:network:PrivateNetwork", name, None, opts)
        self._name = name
        self._args = args
        tags = dict(args.tags)
        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            # Private DNS of the interface endpoints needs both.
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={**tags, "Name": f"{name}-vpc"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        subnets, route_tables = self._create_subnets(vpc)
        self._close_default_security_group(vpc)
        self._create_flow_logs(vpc)
        studio_sg, endpoint_sg = self._create_security_groups(vpc)
        self._create_interface_endpoints(vpc, subnets, endpoint_sg)
        s3_endpoint = self._create_s3_gateway_endpoint(vpc, route_tables)
        # Studio reaches S3 through the gateway endpoint, whose prefix list names S3's addresses.
        security_group_rule(
            EGRESS,
            f"{name}-studio-to-s3",
            studio_sg.id,
            "HTTPS to S3 through the gateway endpoint",
            HTTPS,
            tags,
            self,
            prefix_list_id=s3_endpoint.prefix_list_id,
        )
        self.vpc_id = vpc.id
        self.vpc_arn = vpc.arn
        self.subnet_ids = pulumi.Output.all(*[subnet.id for subnet in subnets])
        self.studio_security_group_id = studio_sg.id
        self.endpoint_security_group_id = endpoint_sg.id
        self.s3_endpoint_id = s3_endpoint.id
        self.s3_prefix_list_id = s3_endpoint.prefix_list_id
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "subnetIds": self.subnet_ids,
                "studioSecurityGroupId": self.studio_security_group_id,
                "endpointSecurityGroupId": self.endpoint_security_group_id,
                "s3EndpointId": self.s3_endpoint_id,
            }
        )

    def _create_subnets(self, vpc: aws.ec2.Vpc) -> tuple[list[aws.ec2.Subnet], list[aws.ec2.RouteTable]]:
        """One private subnet per zone, each with its own route table holding only the local route."""
        subnets, route_tables = [], []
        for zone, subnet_cidr in zip(self._args.availability_zones, self._args.subnet_cidrs, strict=True):
            subnet = aws.ec2.Subnet(
                f"{self._name}-private-{zone}",
                vpc_id=vpc.id,
                cidr_block=subnet_cidr,
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags={**self._args.tags, "Name": f"{self._name}-private-{zone}"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            route_table = aws.ec2.RouteTable(
                f"{self._name}-private-{zone}",
                vpc_id=vpc.id,
                tags={**self._args.tags, "Name": f"{self._name}-private-{zone}"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.ec2.RouteTableAssociation(
                f"{self._name}-private-{zone}",
                subnet_id=subnet.id,
                route_table_id=route_table.id,
                opts=pulumi.ResourceOptions(parent=self),
            )
            subnets.append(subnet)
            route_tables.append(route_table)
        return subnets, route_tables

    def _close_default_security_group(self, vpc: aws.ec2.Vpc) -> None:
        # Adopting the default group with no rules removes AWS's allow-all rules from it.
        aws.ec2.DefaultSecurityGroup(
            f"{self._name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={**self._args.tags, "Name": f"{self._name}-default-closed"},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_flow_logs(self, vpc: aws.ec2.Vpc) -> None:
        args = self._args
        log_group = aws.cloudwatch.LogGroup(
            f"{self._name}-flow-logs",
            name=f"/{naming.PREFIX}/{self._name}/vpc-flow-logs",
            kms_key_id=args.flow_log_key_arn,
            retention_in_days=args.log_retention_days,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role = PlatformRole(
            f"{self._name}-flow-logs",
            PlatformRoleArgs(
                role_name=naming.physical_name(self._name, "flow-logs"),
                description="Delivers the VPC's flow logs to its log group",
                trust_policy=docs.service_trust(["vpc-flow-logs.amazonaws.com"], args.account_id),
                statements=[log_group.arn.apply(docs.flow_logs_delivery)],
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.ec2.FlowLog(
            f"{self._name}-flow-logs",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_security_groups(self, vpc: aws.ec2.Vpc) -> tuple[aws.ec2.SecurityGroup, aws.ec2.SecurityGroup]:
        """Studio's group and the endpoints' group. Rules are separate resources so that neither
        group's rules replace the other's; the provider removes AWS's default allow-all egress."""
        tags = dict(self._args.tags)

        def group(suffix: str, description: str) -> aws.ec2.SecurityGroup:
            return aws.ec2.SecurityGroup(
                f"{self._name}-{suffix}",
                vpc_id=vpc.id,
                description=description,
                tags={**tags, "Name": f"{self._name}-{suffix}"},
                opts=pulumi.ResourceOptions(parent=self),
            )

        studio = group("studio-sg", "SageMaker Studio apps and the jobs they start")
        endpoints = group("endpoints-sg", "Interface endpoints, reachable from Studio only")
        # Studio apps talk to each other (kernel gateways, Data Wrangler) inside the group.
        rules = (
            (INGRESS, "studio-from-studio", studio, studio, "Studio apps among themselves", None),
            (EGRESS, "studio-to-studio", studio, studio, "Studio apps among themselves", None),
            (EGRESS, "studio-to-endpoints", studio, endpoints, "HTTPS to AWS APIs", HTTPS),
            (INGRESS, "endpoints-from-studio", endpoints, studio, "HTTPS from Studio", HTTPS),
        )
        for kind, suffix, sg, peer, description, port in rules:
            security_group_rule(
                kind, f"{self._name}-{suffix}", sg.id, description, port, tags, self, peer_group_id=peer.id
            )
        return studio, endpoints

    def _create_interface_endpoints(
        self, vpc: aws.ec2.Vpc, subnets: Sequence[aws.ec2.Subnet], endpoint_sg: aws.ec2.SecurityGroup
    ) -> None:
        for endpoint in self._args.interface_endpoints:
            aws.ec2.VpcEndpoint(
                f"{self._name}-{endpoint.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=endpoint_service_name(self._args.region, endpoint),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in subnets],
                security_group_ids=[endpoint_sg.id],
                policy=json.dumps(self._args.endpoint_policies[endpoint])
                if endpoint in self._args.endpoint_policies
                else None,
                tags={**self._args.tags, "Name": f"{self._name}-{endpoint}"},
                opts=pulumi.ResourceOptions(parent=self),
            )

    def _create_s3_gateway_endpoint(
        self, vpc: aws.ec2.Vpc, route_tables: Sequence[aws.ec2.RouteTable]
    ) -> aws.ec2.VpcEndpoint:
        args = self._args
        policy = pulumi.Output.all(*args.gateway_bucket_arns).apply(
            lambda arns: json.dumps(docs.s3_gateway_endpoint_policy(args.partition, args.region, arns))
        )
        return aws.ec2.VpcEndpoint(
            f"{self._name}-s3",
            vpc_id=vpc.id,
            service_name=endpoint_service_name(args.region, "s3"),
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in route_tables],
            policy=policy,
            tags={**args.tags, "Name": f"{self._name}-s3"},
            opts=pulumi.ResourceOptions(parent=self),
        )
