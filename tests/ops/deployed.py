"""Deploy a synthesized stack into moto: what ``pulumi up`` would create, for the parts ``ops audit`` reads.

``deploy`` walks the resources the program registered under the mock runtime (``offline/``), in
registration order (a resource registers only once its inputs' outputs are known, so what it refers to
came before), and creates each in the emulated account with its synthesized inputs. The mocks make up
ids and ARNs (``offline/mocks.py``); moto makes up others. Each handler records the mock id (and ARN,
and any computed output others refer to) against moto's, and every later input is rewritten through
that map: a subnet's ``vpcId``, a domain's subnets and security groups, a key ARN in an encryption
setting. IAM role and S3 bucket names, and so their ARNs, are the program's own and match as they are.

Every custom resource type is either handled (``HANDLERS``), recorded for a ``Stubber`` because moto
lacks its API (``RECORDED``), or knowingly ignored with a reason (``IGNORED``); any other type stops
the deploy, so a type the program starts to declare is never dropped silently.

Where the AWS provider does more than the one create call, so does the handler: a new security group
loses the allow-all egress rule AWS gives it (the provider removes it unless ``egress`` is declared),
a default security group is emptied as declared, and a key's rotation is switched on after the create.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from offline.engine import StackPreview
from offline.mocks import AWS_IDS, ResourceRecord


class UnhandledTypeError(Exception):
    """A custom resource type the translator neither handles, records nor knowingly ignores."""


@dataclass
class Deployed:
    """What ``deploy`` did: the ids moto gave, what it created, and what it could not."""

    stack: str
    account_id: str
    region: str
    #: Mock id or ARN (or computed output) to moto's, for every resource whose ids differ.
    ids: dict[str, str] = field(default_factory=dict)
    #: Type token to the names of the resources created in moto.
    created: dict[str, list[str]] = field(default_factory=dict)
    #: Type token to the resolved (moto-id) inputs of every resource created or recorded, by resource
    #: name: for the types moto has no API for (``RECORDED``), what a ``Stubber`` answers with.
    declared: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: Type token to the names of resources moto has no API for (see ``RECORDED``).
    recorded: dict[str, list[str]] = field(default_factory=dict)
    #: Type token to the names of resources knowingly not created (see ``IGNORED``).
    ignored: dict[str, list[str]] = field(default_factory=dict)

    def resolve(self, value: Any) -> Any:
        """``value`` with every mock id or ARN in it replaced by moto's."""
        if isinstance(value, str):
            for mock in sorted(self.ids, key=len, reverse=True):
                if mock in value:
                    value = value.replace(mock, self.ids[mock])
            return value
        if isinstance(value, Mapping):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def declared_inputs(self, token: str) -> list[dict[str, Any]]:
        """The declared (resolved) inputs of every resource of a type, in declaration order."""
        return list(self.declared.get(token, {}).values())

    def map(self, mock: Any, real: Any) -> None:
        if isinstance(mock, str) and isinstance(real, str) and mock and mock != real:
            self.ids[mock] = real


Handler = Callable[["_Context", ResourceRecord, dict[str, Any]], None]


@dataclass
class _Context:
    session: boto3.Session
    deployed: Deployed
    clients: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        if service not in self.clients:
            self.clients[service] = on_the_emulator(self.session.client(service))  # type: ignore[call-overload]
        return self.clients[service]


def on_the_emulator(client: Any) -> Any:
    """``client``, with S3 Control's requests sent to the emulator's address itself: S3 Control puts
    the account id in front of the endpoint's host (``111111111111.127.0.0.1``), which names no
    host; moto reads the account from the ``x-amz-account-id`` header the request carries too."""
    if client.meta.service_model.service_name == "s3control":

        def strip_account(request: Any, **_: Any) -> None:
            request.url = re.sub(r"^(https?://)\d{12}\.", r"\1", request.url)

        client.meta.events.register("before-sign.s3-control.*", strip_account)
    return client


def deploy(stack: StackPreview, session: boto3.Session) -> Deployed:
    """Create in ``session``'s account, as moto, every resource of ``stack`` that the audit reads."""
    result = stack.result
    deployed = Deployed(stack=result.name, account_id=result.account_id, region=result.region)
    context = _Context(session, deployed)
    records = [r for r in result.resources if r.custom]  # components: their children are the resources
    # The ids and ARNs the mocks made up (offline/mocks.py) where AWS, and so moto, makes its own.
    made_up = {
        value
        for r in records
        if r.type in AWS_IDS or r.type == "aws:kms/key:Key"
        for value in (r.id, r.outputs.get("arn"), r.outputs.get("prefixListId"))
        if isinstance(value, str) and value
    }
    # moto checks, when logging is put, that the target bucket's policy lets S3 deliver logs; AWS
    # does not, and nothing orders the two in the program: logging goes last.
    for record in sorted(records, key=lambda r: r.type in DEFERRED):
        if record.type in IGNORED:
            deployed.ignored.setdefault(record.type, []).append(record.name)
            continue
        inputs = deployed.resolve(record.inputs)
        leftover = sorted(mock for mock in made_up if mock in json.dumps(inputs))
        if leftover and record.type in (*HANDLERS, *RECORDED):
            raise UnhandledTypeError(
                f"{result.name}: {record.name} ({record.type}) refers to {', '.join(leftover)}, an id the mocks made "
                "up that no handler mapped to moto's; expected the handler of the resource it names to map it"
            )
        if record.type in HANDLERS:
            HANDLERS[record.type](context, record, inputs)
            deployed.created.setdefault(record.type, []).append(record.name)
            deployed.declared.setdefault(record.type, {})[record.name] = inputs
        elif record.type in RECORDED:
            deployed.recorded.setdefault(record.type, []).append(record.name)
            deployed.declared.setdefault(record.type, {})[record.name] = inputs
        else:
            raise UnhandledTypeError(
                f"{result.name}: {record.name} has type {record.type}, which tests/ops/deployed.py neither "
                "creates, records nor ignores; expected a handler, or the type in RECORDED or IGNORED with a reason"
            )
    return deployed


# Shapes ------------------------------------------------------------------------------------------


def pascal(value: Any, renames: Mapping[str, str] | None = None) -> Any:
    """Pulumi's camelCase input keys as the API's PascalCase ones, at every depth; ``renames`` for
    the keys whose API name is not the capitalized Pulumi name."""
    renames = renames or {}
    if isinstance(value, Mapping):
        return {renames.get(key, key[:1].upper() + key[1:]): pascal(item, renames) for key, item in value.items()}
    if isinstance(value, list):
        return [pascal(item, renames) for item in value]
    return value


def _tags(inputs: Mapping[str, Any], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in (inputs.get("tags") or {}).items()]


def _some(**values: Any) -> dict[str, Any]:
    """The keyword arguments that are set: Pulumi leaves unset inputs out, boto3 refuses ``None``."""
    return {key: value for key, value in values.items() if value is not None}


# S3 ----------------------------------------------------------------------------------------------


def _bucket(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    name = inputs.get("bucket") or record.id
    s3 = c.client("s3")
    location = {} if c.deployed.region == "us-east-1" else {"LocationConstraint": c.deployed.region}
    s3.create_bucket(Bucket=name, **({"CreateBucketConfiguration": location} if location else {}))
    if inputs.get("tags"):
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": _tags(inputs)})


def _public_access_block(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    flags = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
    c.client("s3").put_public_access_block(
        Bucket=inputs["bucket"],
        PublicAccessBlockConfiguration={flag[:1].upper() + flag[1:]: bool(inputs.get(flag)) for flag in flags},
    )


def _account_public_access_block(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    flags = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
    c.client("s3control").put_public_access_block(
        AccountId=inputs.get("accountId") or c.deployed.account_id,
        PublicAccessBlockConfiguration={flag[:1].upper() + flag[1:]: bool(inputs.get(flag)) for flag in flags},
    )


def _bucket_encryption(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    rules = pascal(inputs["rules"], {"sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"})
    c.client("s3").put_bucket_encryption(Bucket=inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules})


def _bucket_policy(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("s3").put_bucket_policy(Bucket=inputs["bucket"], Policy=inputs["policy"])


def _bucket_versioning(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    configuration = pascal(inputs["versioningConfiguration"], {"mfaDelete": "MFADelete"})
    c.client("s3").put_bucket_versioning(Bucket=inputs["bucket"], VersioningConfiguration=configuration)


def _bucket_logging(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    """moto checks that the target bucket's policy lets S3 deliver logs, and fails (a 500) on a
    statement whose principal is ``"*"`` (the TLS-only deny every platform bucket has). For the one
    call the target's policy has ``"*"`` written ``{"AWS": "*"}``, which S3 reads alike; the declared
    policy is put back after it."""
    s3, target = c.client("s3"), inputs["targetBucket"]
    declared = s3.get_bucket_policy(Bucket=target)["Policy"]
    policy = json.loads(declared)
    statements = policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]
    for statement in statements:
        if statement.get("Principal") == "*":
            statement["Principal"] = {"AWS": "*"}
    policy["Statement"] = statements
    s3.put_bucket_policy(Bucket=target, Policy=json.dumps(policy))
    try:
        enabled = _some(TargetBucket=target, TargetPrefix=inputs.get("targetPrefix", ""))
        s3.put_bucket_logging(Bucket=inputs["bucket"], BucketLoggingStatus={"LoggingEnabled": enabled})
    finally:
        s3.put_bucket_policy(Bucket=target, Policy=declared)


def _bucket_ownership(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("s3").put_bucket_ownership_controls(
        Bucket=inputs["bucket"], OwnershipControls={"Rules": [pascal(inputs["rule"])]}
    )


def _bucket_lifecycle(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    rules = pascal(inputs["rules"], {"id": "ID"})
    c.client("s3").put_bucket_lifecycle_configuration(Bucket=inputs["bucket"], LifecycleConfiguration={"Rules": rules})


# KMS ---------------------------------------------------------------------------------------------


def _key(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    kms = c.client("kms")
    key = kms.create_key(
        **_some(
            Description=inputs.get("description"),
            Policy=inputs.get("policy"),
            KeyUsage=inputs.get("keyUsage"),
            KeySpec=inputs.get("customerMasterKeySpec"),
            MultiRegion=inputs.get("multiRegion"),
        ),
        Tags=_tags(inputs, "TagKey", "TagValue"),
    )["KeyMetadata"]
    if inputs.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=key["KeyId"], **_some(RotationPeriodInDays=inputs.get("rotationPeriodInDays")))
    c.deployed.map(record.outputs.get("arn"), key["Arn"])
    c.deployed.map(record.id, key["KeyId"])


def _alias(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("kms").create_alias(AliasName=inputs["name"], TargetKeyId=inputs["targetKeyId"])


# IAM ---------------------------------------------------------------------------------------------


def _role(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    iam = c.client("iam")
    name = inputs.get("name") or record.id
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=inputs["assumeRolePolicy"],
        Tags=_tags(inputs),
        **_some(
            Path=inputs.get("path"),
            Description=inputs.get("description"),
            MaxSessionDuration=inputs.get("maxSessionDuration"),
            PermissionsBoundary=inputs.get("permissionsBoundary"),
        ),
    )
    for policy in inputs.get("inlinePolicies") or []:
        if policy.get("name") and policy.get("policy"):
            iam.put_role_policy(RoleName=name, PolicyName=policy["name"], PolicyDocument=policy["policy"])
    for arn in inputs.get("managedPolicyArns") or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)


def _role_policy(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    # No ``name`` input: the provider names it (the mock's output stands for that name).
    name = inputs.get("name") or record.outputs.get("name") or record.name
    c.client("iam").put_role_policy(RoleName=inputs["role"], PolicyName=name, PolicyDocument=inputs["policy"])


def _role_policy_attachment(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("iam").attach_role_policy(RoleName=inputs["role"], PolicyArn=inputs["policyArn"])


# EC2 ---------------------------------------------------------------------------------------------


def _ec2_tags(c: _Context, resource: str, inputs: Mapping[str, Any]) -> None:
    if inputs.get("tags"):
        c.client("ec2").create_tags(Resources=[resource], Tags=_tags(inputs))


def _vpc(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    ec2 = c.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=inputs["cidrBlock"], **_some(InstanceTenancy=inputs.get("instanceTenancy")))["Vpc"]
    vpc_id = vpc["VpcId"]
    for attribute in ("enableDnsSupport", "enableDnsHostnames"):
        if attribute in inputs:
            ec2.modify_vpc_attribute(
                VpcId=vpc_id, **{attribute[:1].upper() + attribute[1:]: {"Value": inputs[attribute]}}
            )
    _ec2_tags(c, vpc_id, inputs)
    c.deployed.map(record.id, vpc_id)


def _subnet(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    ec2 = c.client("ec2")
    subnet = ec2.create_subnet(
        VpcId=inputs["vpcId"],
        CidrBlock=inputs["cidrBlock"],
        **_some(AvailabilityZone=inputs.get("availabilityZone"), AvailabilityZoneId=inputs.get("availabilityZoneId")),
    )["Subnet"]["SubnetId"]
    if inputs.get("mapPublicIpOnLaunch"):
        ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    _ec2_tags(c, subnet, inputs)
    c.deployed.map(record.id, subnet)


def _route_target(route: Mapping[str, Any]) -> dict[str, Any]:
    names = {
        "cidrBlock": "DestinationCidrBlock",
        "ipv6CidrBlock": "DestinationIpv6CidrBlock",
        "destinationPrefixListId": "DestinationPrefixListId",
        "gatewayId": "GatewayId",
        "natGatewayId": "NatGatewayId",
        "vpcPeeringConnectionId": "VpcPeeringConnectionId",
        "transitGatewayId": "TransitGatewayId",
        "vpcEndpointId": "VpcEndpointId",
        "networkInterfaceId": "NetworkInterfaceId",
    }
    return {names[key]: value for key, value in route.items() if key in names and value}


def _route_table(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    ec2 = c.client("ec2")
    table = ec2.create_route_table(VpcId=inputs["vpcId"])["RouteTable"]["RouteTableId"]
    for route in inputs.get("routes") or []:
        ec2.create_route(RouteTableId=table, **_route_target(route))
    _ec2_tags(c, table, inputs)
    c.deployed.map(record.id, table)


def _route(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("ec2").create_route(RouteTableId=inputs["routeTableId"], **_route_target(inputs))


def _route_table_association(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    association = c.client("ec2").associate_route_table(
        RouteTableId=inputs["routeTableId"], **_some(SubnetId=inputs.get("subnetId"), GatewayId=inputs.get("gatewayId"))
    )["AssociationId"]
    c.deployed.map(record.id, association)


def _inline_rule(rule: Mapping[str, Any], group: str) -> dict[str, Any]:
    """A security group's inline ``ingress``/``egress`` entry as an ``IpPermission``."""
    description = _some(Description=rule.get("description"))
    permission: dict[str, Any] = {"IpProtocol": str(rule["protocol"])}
    if permission["IpProtocol"] not in ("-1", "all"):
        permission.update(FromPort=rule["fromPort"], ToPort=rule["toPort"])
    else:
        permission["IpProtocol"] = "-1"
    permission["IpRanges"] = [{"CidrIp": cidr, **description} for cidr in rule.get("cidrBlocks") or []]
    permission["Ipv6Ranges"] = [{"CidrIpv6": cidr, **description} for cidr in rule.get("ipv6CidrBlocks") or []]
    permission["PrefixListIds"] = [{"PrefixListId": p, **description} for p in rule.get("prefixListIds") or []]
    groups = [*(rule.get("securityGroups") or []), *([group] if rule.get("self") else [])]
    permission["UserIdGroupPairs"] = [{"GroupId": g, **description} for g in groups]
    return permission


def _set_rules(c: _Context, group: str, inputs: Mapping[str, Any], default_egress_goes: bool) -> None:
    """The group's rules as declared: what AWS put there removed (all of it on a default group; the
    allow-all egress on a new one, as the provider does), then the inline rules added."""
    ec2 = c.client("ec2")
    (found,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    if found.get("IpPermissions") and "ingress" in inputs:
        ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=found["IpPermissions"])
    if found.get("IpPermissionsEgress") and ("egress" in inputs or default_egress_goes):
        ec2.revoke_security_group_egress(GroupId=group, IpPermissions=found["IpPermissionsEgress"])
    if inputs.get("ingress"):
        ec2.authorize_security_group_ingress(
            GroupId=group, IpPermissions=[_inline_rule(rule, group) for rule in inputs["ingress"]]
        )
    if inputs.get("egress"):
        ec2.authorize_security_group_egress(
            GroupId=group, IpPermissions=[_inline_rule(rule, group) for rule in inputs["egress"]]
        )


def _security_group(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    group = c.client("ec2").create_security_group(
        GroupName=inputs.get("name") or record.name,
        Description=inputs.get("description") or "Managed by Pulumi",
        VpcId=inputs["vpcId"],
    )["GroupId"]
    _set_rules(c, group, inputs, default_egress_goes=True)
    _ec2_tags(c, group, inputs)
    c.deployed.map(record.id, group)


def _default_security_group(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    """The provider adopts the VPC's default group and makes its rules what the program declares."""
    (group,) = c.client("ec2").describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [inputs["vpcId"]]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    declared = {"ingress": inputs.get("ingress") or [], "egress": inputs.get("egress") or []}
    _set_rules(c, group["GroupId"], declared, default_egress_goes=True)
    _ec2_tags(c, group["GroupId"], inputs)
    c.deployed.map(record.id, group["GroupId"])


def _group_rule(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A ``aws.vpc.SecurityGroup{In,E}gressRule`` as one ``IpPermission``."""
    description = _some(Description=inputs.get("description"))
    permission: dict[str, Any] = {"IpProtocol": str(inputs["ipProtocol"])}
    if permission["IpProtocol"] != "-1":
        permission.update(FromPort=inputs["fromPort"], ToPort=inputs["toPort"])
    if inputs.get("cidrIpv4"):
        permission["IpRanges"] = [{"CidrIp": inputs["cidrIpv4"], **description}]
    if inputs.get("cidrIpv6"):
        permission["Ipv6Ranges"] = [{"CidrIpv6": inputs["cidrIpv6"], **description}]
    if inputs.get("prefixListId"):
        permission["PrefixListIds"] = [{"PrefixListId": inputs["prefixListId"], **description}]
    if inputs.get("referencedSecurityGroupId"):
        permission["UserIdGroupPairs"] = [{"GroupId": inputs["referencedSecurityGroupId"], **description}]
    return permission


def _ingress_rule(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    created = c.client("ec2").authorize_security_group_ingress(
        GroupId=inputs["securityGroupId"], IpPermissions=[_group_rule(inputs)]
    )
    for rule in created.get("SecurityGroupRules", []):
        c.deployed.map(record.id, rule["SecurityGroupRuleId"])


def _egress_rule(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    created = c.client("ec2").authorize_security_group_egress(
        GroupId=inputs["securityGroupId"], IpPermissions=[_group_rule(inputs)]
    )
    for rule in created.get("SecurityGroupRules", []):
        c.deployed.map(record.id, rule["SecurityGroupRuleId"])


def _vpc_endpoint(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    ec2 = c.client("ec2")
    kind = inputs.get("vpcEndpointType") or "Gateway"
    endpoint = ec2.create_vpc_endpoint(
        VpcId=inputs["vpcId"],
        ServiceName=inputs["serviceName"],
        VpcEndpointType=kind,
        **_some(
            PolicyDocument=inputs.get("policy"),
            RouteTableIds=inputs.get("routeTableIds"),
            SubnetIds=inputs.get("subnetIds"),
            SecurityGroupIds=inputs.get("securityGroupIds"),
            PrivateDnsEnabled=inputs.get("privateDnsEnabled") if kind == "Interface" else None,
        ),
    )["VpcEndpoint"]
    _ec2_tags(c, endpoint["VpcEndpointId"], inputs)
    c.deployed.map(record.id, endpoint["VpcEndpointId"])
    if record.outputs.get("prefixListId"):
        # A gateway endpoint's service has an AWS-managed prefix list; security group rules name it.
        lists = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [inputs["serviceName"]]}])
        (found,) = lists["PrefixLists"]
        c.deployed.map(record.outputs["prefixListId"], found["PrefixListId"])


def _flow_log(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    resource = next(
        (kind, inputs[key])
        for kind, key in (
            ("VPC", "vpcId"),
            ("Subnet", "subnetId"),
            ("NetworkInterface", "eniId"),
            ("TransitGateway", "transitGatewayId"),
        )
        if inputs.get(key)
    )
    destination_type = inputs.get("logDestinationType") or "cloud-watch-logs"
    created = c.client("ec2").create_flow_logs(
        ResourceIds=[resource[1]],
        ResourceType=resource[0],
        TrafficType=inputs.get("trafficType") or "ALL",
        LogDestinationType=destination_type,
        **_some(
            LogDestination=inputs.get("logDestination"),
            LogGroupName=inputs.get("logGroupName"),
            DeliverLogsPermissionArn=inputs.get("iamRoleArn"),
            MaxAggregationInterval=inputs.get("maxAggregationInterval"),
            LogFormat=inputs.get("logFormat"),
        ),
    )
    assert not created.get("Unsuccessful"), created["Unsuccessful"]
    (flow_log,) = created["FlowLogIds"]
    c.deployed.map(record.id, flow_log)


# CloudWatch Logs and SSM -------------------------------------------------------------------------


def _log_group(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    logs = c.client("logs")
    name = inputs.get("name") or record.id
    logs.create_log_group(logGroupName=name, **_some(kmsKeyId=inputs.get("kmsKeyId"), tags=inputs.get("tags") or None))
    if inputs.get("retentionInDays"):
        logs.put_retention_policy(logGroupName=name, retentionInDays=inputs["retentionInDays"])


def _parameter(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("ssm").put_parameter(
        Name=inputs.get("name") or record.id,
        Value=inputs["value"],
        Type=inputs.get("type") or "String",
        Tags=_tags(inputs),
        **_some(Description=inputs.get("description"), KeyId=inputs.get("keyId")),
    )


# SageMaker ---------------------------------------------------------------------------------------

#: SageMaker input keys whose API name is not the capitalized Pulumi name.
SAGEMAKER_NAMES = {"s3Uri": "S3Uri", "s3KmsKeyId": "S3KmsKeyId", "s3OutputPath": "S3OutputPath"}


def _domain(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    sagemaker = c.client("sagemaker")
    optional = {
        key[:1].upper() + key[1:]: pascal(inputs[key], SAGEMAKER_NAMES)
        for key in (
            "defaultUserSettings",
            "defaultSpaceSettings",
            "domainSettings",
            "appNetworkAccessType",
            "kmsKeyId",
            "appSecurityGroupManagement",
            "tagPropagation",
        )
        if inputs.get(key) is not None
    }
    created = sagemaker.create_domain(
        DomainName=inputs["domainName"],
        AuthMode=inputs["authMode"],
        SubnetIds=inputs["subnetIds"],
        VpcId=inputs["vpcId"],
        Tags=_tags(inputs),
        **optional,
    )
    # retentionPolicy is the provider's, for the delete (DeleteDomain's RetentionPolicy).
    domain = created["DomainArn"].rsplit("/", 1)[-1]
    c.deployed.map(record.id, domain)
    c.deployed.map(record.outputs.get("arn"), created["DomainArn"])


def _feature_group(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    arguments = {
        key[:1].upper() + key[1:]: pascal(inputs[key], SAGEMAKER_NAMES)
        for key in inputs
        if key not in ("tags", "featureGroupName") and inputs[key] is not None
    }
    arn = c.client("sagemaker").create_feature_group(
        FeatureGroupName=inputs["featureGroupName"], Tags=_tags(inputs), **arguments
    )["FeatureGroupArn"]
    _kept_by_aws(c, arn, {k: arguments[k] for k in ("OnlineStoreConfig", "Description") if k in arguments})


def _kept_by_aws(c: _Context, arn: str, dropped: dict[str, Any]) -> None:
    """moto's CreateFeatureGroup drops the online store's configuration (and the description), so
    DescribeFeatureGroup never shows an online store, and has no UpdateFeatureGroup; AWS keeps them.
    The emulator runs in this process (``ThreadedMotoServer``): moto's record describes them too."""
    if not dropped:
        return
    from moto.sagemaker.models import sagemaker_backends

    group = sagemaker_backends[c.deployed.account_id][c.deployed.region].feature_groups[arn]
    described = group.describe
    assert "OnlineStoreConfig" not in described(), "moto keeps the online store now: drop _kept_by_aws"
    group.describe = lambda: {**described(), **dropped}  # type: ignore[method-assign]


def _model_package_group(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("sagemaker").create_model_package_group(
        ModelPackageGroupName=inputs["modelPackageGroupName"],
        Tags=_tags(inputs),
        **_some(ModelPackageGroupDescription=inputs.get("modelPackageGroupDescription")),
    )


# Lake Formation and Glue -------------------------------------------------------------------------


def _principals(values: list[str] | None) -> list[dict[str, str]]:
    return [{"DataLakePrincipalIdentifier": value} for value in values or []]


def _data_lake_settings(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    def defaults(key: str) -> list[dict[str, Any]]:
        return [
            {"Principal": {"DataLakePrincipalIdentifier": grant["principal"]}, "Permissions": grant["permissions"]}
            for grant in inputs.get(key) or []
        ]

    settings = _some(
        DataLakeAdmins=_principals(inputs.get("admins")),
        ReadOnlyAdmins=_principals(inputs.get("readOnlyAdmins")) or None,
        CreateDatabaseDefaultPermissions=defaults("createDatabaseDefaultPermissions"),
        CreateTableDefaultPermissions=defaults("createTableDefaultPermissions"),
        TrustedResourceOwners=inputs.get("trustedResourceOwners"),
        Parameters=inputs.get("parameters"),
        AllowExternalDataFiltering=inputs.get("allowExternalDataFiltering"),
        AllowFullTableExternalDataAccess=inputs.get("allowFullTableExternalDataAccess"),
        ExternalDataFilteringAllowList=_principals(inputs.get("externalDataFilteringAllowLists")) or None,
        AuthorizedSessionTagValueList=inputs.get("authorizedSessionTagValueLists"),
    )
    c.client("lakeformation").put_data_lake_settings(
        **_some(CatalogId=inputs.get("catalogId")), DataLakeSettings=settings
    )


def _lake_resource(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("lakeformation").register_resource(
        ResourceArn=inputs["arn"],
        **_some(
            RoleArn=inputs.get("roleArn"),
            UseServiceLinkedRole=inputs.get("useServiceLinkedRole"),
            HybridAccessEnabled=inputs.get("hybridAccessEnabled"),
            WithFederation=inputs.get("withFederation"),
        ),
    )


def _lf_resource(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """A Lake Formation ``Resource`` from the provider's resource arguments (exactly one is set)."""
    if inputs.get("catalogResource"):
        return {"Catalog": {}}
    if inputs.get("database"):
        database = inputs["database"]
        return {"Database": _some(Name=database["name"], CatalogId=database.get("catalogId"))}
    if inputs.get("table"):
        table = inputs["table"]
        return {
            "Table": _some(
                DatabaseName=table["databaseName"],
                CatalogId=table.get("catalogId"),
                Name=table.get("name"),
                TableWildcard={} if table.get("wildcard") else None,
            )
        }
    if inputs.get("tableWithColumns"):
        table = inputs["tableWithColumns"]
        return {
            "TableWithColumns": _some(
                DatabaseName=table["databaseName"],
                CatalogId=table.get("catalogId"),
                Name=table.get("name") or ("*" if table.get("wildcard") else None),
                ColumnNames=table.get("columnNames"),
                ColumnWildcard=(
                    _some(ExcludedColumnNames=table.get("excludedColumnNames")) if table.get("wildcard") else None
                ),
            )
        }
    if inputs.get("dataLocation"):
        location = inputs["dataLocation"]
        return {"DataLocation": _some(ResourceArn=location["arn"], CatalogId=location.get("catalogId"))}
    if inputs.get("lfTag"):
        tag = inputs["lfTag"]
        return {"LFTag": _some(TagKey=tag["key"], TagValues=tag["values"], CatalogId=tag.get("catalogId"))}
    if inputs.get("lfTagPolicy"):
        policy = inputs["lfTagPolicy"]
        return {
            "LFTagPolicy": _some(
                ResourceType=policy["resourceType"],
                CatalogId=policy.get("catalogId"),
                Expression=[{"TagKey": e["key"], "TagValues": e["values"]} for e in policy["expressions"]],
            )
        }
    raise UnhandledTypeError(f"a Lake Formation grant on none of the resources the translator knows: {sorted(inputs)}")


def _lake_permissions(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("lakeformation").grant_permissions(
        Principal={"DataLakePrincipalIdentifier": inputs["principal"]},
        Resource=_lf_resource(inputs),
        Permissions=inputs["permissions"],
        **_some(
            PermissionsWithGrantOption=inputs.get("permissionsWithGrantOptions"), CatalogId=inputs.get("catalogId")
        ),
    )


def _lf_tag(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("lakeformation").create_lf_tag(
        TagKey=inputs["key"], TagValues=inputs["values"], **_some(CatalogId=inputs.get("catalogId"))
    )


def _resource_lf_tags(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("lakeformation").add_lf_tags_to_resource(
        Resource=_lf_resource(inputs),
        LFTags=[_some(TagKey=t["key"], TagValues=[t["value"]], CatalogId=t.get("catalogId")) for t in inputs["lfTags"]],
        **_some(CatalogId=inputs.get("catalogId")),
    )


def _catalog_encryption(c: _Context, _: ResourceRecord, inputs: dict[str, Any]) -> None:
    c.client("glue").put_data_catalog_encryption_settings(
        DataCatalogEncryptionSettings=pascal(inputs["dataCatalogEncryptionSettings"]),
        **_some(CatalogId=inputs.get("catalogId")),
    )


def _security_configuration(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    declared = inputs["encryptionConfiguration"]
    names = {"cloudwatchEncryptionMode": "CloudWatchEncryptionMode"}
    configuration = _some(
        # The provider takes one S3 encryption; the API a list of them.
        S3Encryption=[pascal(declared["s3Encryption"], names)] if declared.get("s3Encryption") else None,
        CloudWatchEncryption=pascal(declared.get("cloudwatchEncryption"), names),
        JobBookmarksEncryption=pascal(declared.get("jobBookmarksEncryption"), names),
    )
    c.client("glue").create_security_configuration(
        Name=inputs.get("name") or record.name, EncryptionConfiguration=configuration
    )


def _catalog_database(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    def default(grant: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "Principal": {"DataLakePrincipalIdentifier": grant["principal"]["dataLakePrincipalIdentifier"]},
            "Permissions": grant["permissions"],
        }

    database = _some(
        Name=inputs.get("name") or record.name,
        Description=inputs.get("description"),
        LocationUri=inputs.get("locationUri"),
        Parameters=inputs.get("parameters"),
        CreateTableDefaultPermissions=(
            [default(g) for g in inputs["createTableDefaultPermissions"]]
            if inputs.get("createTableDefaultPermissions") is not None
            else None
        ),
        TargetDatabase=pascal(inputs.get("targetDatabase")),
        FederatedDatabase=pascal(inputs.get("federatedDatabase")),
    )
    c.client("glue").create_database(
        DatabaseInput=database, **_some(CatalogId=inputs.get("catalogId"), Tags=inputs.get("tags") or None)
    )


# Athena, CodeBuild, CodePipeline -----------------------------------------------------------------


def _workgroup(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    names = {
        "enforceWorkgroupConfiguration": "EnforceWorkGroupConfiguration",
        "publishCloudwatchMetricsEnabled": "PublishCloudWatchMetricsEnabled",
        "kmsKeyArn": "KmsKey",
        "s3AclOption": "S3AclOption",
    }
    c.client("athena").create_work_group(
        Name=inputs.get("name") or record.name,
        Tags=_tags(inputs),
        **_some(Description=inputs.get("description"), Configuration=pascal(inputs.get("configuration"), names)),
    )


def _codebuild_project(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    """CodeBuild's API is camelCase like the provider's inputs; a few names differ."""
    logs = inputs.get("logsConfig")
    if logs and "cloudwatchLogs" in logs:
        logs = {**{k: v for k, v in logs.items() if k != "cloudwatchLogs"}, "cloudWatchLogs": logs["cloudwatchLogs"]}
    # moto wants a location for every source and artifacts but NO_ARTIFACTS; a pipeline's project
    # has none (the pipeline hands its artifacts over), so moto gets a placeholder that says so.
    source, artifacts = dict(inputs["source"]), dict(inputs["artifacts"])
    for part in (source, artifacts):
        if part.get("type") == "CODEPIPELINE" and not part.get("location"):
            part["location"] = "CODEPIPELINE"
    c.client("codebuild").create_project(
        name=inputs.get("name") or record.name,
        source=source,
        artifacts=artifacts,
        environment=inputs["environment"],
        serviceRole=inputs["serviceRole"],
        tags=_tags(inputs, "key", "value"),
        **_some(
            description=inputs.get("description"),
            encryptionKey=inputs.get("encryptionKey"),
            timeoutInMinutes=inputs.get("buildTimeout"),
            queuedTimeoutInMinutes=inputs.get("queuedTimeout"),
            logsConfig=logs,
            vpcConfig=inputs.get("vpcConfig"),
            cache=inputs.get("cache"),
            sourceVersion=inputs.get("sourceVersion"),
        ),
    )
    if inputs.get("encryptionKey"):
        _project_key(c, inputs.get("name") or record.name, inputs["encryptionKey"])


def _project_key(c: _Context, project: str, key: str) -> None:
    """moto's CreateProject drops ``encryptionKey`` and every project reads back with S3's AWS managed
    key (``alias/aws/s3``), and moto has no UpdateProject; AWS keeps the key given. The emulator
    runs in this process (``ThreadedMotoServer``), so the declared key goes on moto's project record."""
    from moto.codebuild.models import codebuild_backends

    backend = codebuild_backends[c.deployed.account_id][c.deployed.region]
    metadata = backend.codebuild_projects[project].project_metadata
    assert metadata["encryptionKey"].endswith(":alias/aws/s3"), "moto keeps a project's key now: drop _project_key"
    metadata["encryptionKey"] = key


def _action(action: Mapping[str, Any]) -> dict[str, Any]:
    return _some(
        name=action["name"],
        actionTypeId={
            "category": action["category"],
            "owner": action["owner"],
            "provider": action["provider"],
            "version": action["version"],
        },
        configuration=action.get("configuration"),
        inputArtifacts=[{"name": a} for a in action.get("inputArtifacts") or []],
        outputArtifacts=[{"name": a} for a in action.get("outputArtifacts") or []],
        runOrder=action.get("runOrder"),
        roleArn=action.get("roleArn"),
        region=action.get("region"),
        namespace=action.get("namespace"),
    )


def _pipeline(c: _Context, record: ResourceRecord, inputs: dict[str, Any]) -> None:
    stores = [
        _some(
            type=store["type"],
            location=store["location"],
            encryptionKey=store.get("encryptionKey"),
            region=store.get("region"),
        )
        for store in inputs["artifactStores"]
    ]
    single = len(stores) == 1 and "region" not in stores[0]
    pipeline = _some(
        name=inputs.get("name") or record.name,
        roleArn=inputs["roleArn"],
        artifactStore=stores[0] if single else None,
        artifactStores=None if single else {s.pop("region"): s for s in stores},
        stages=[
            {"name": stage["name"], "actions": [_action(a) for a in stage["actions"]]} for stage in inputs["stages"]
        ],
        pipelineType=inputs.get("pipelineType"),
        executionMode=inputs.get("executionMode"),
        variables=inputs.get("variables"),
        triggers=[
            {
                **trigger,
                "gitConfiguration": {
                    {"pushes": "push", "pullRequests": "pullRequest"}.get(key, key): value
                    for key, value in trigger["gitConfiguration"].items()
                },
            }
            for trigger in inputs.get("triggers") or []
        ]
        or None,
    )
    with _scalar_service_trust(c, inputs["roleArn"]):
        c.client("codepipeline").create_pipeline(pipeline=pipeline, tags=_tags(inputs, "key", "value"))


@contextlib.contextmanager
def _scalar_service_trust(c: _Context, role_arn: str) -> Iterator[None]:
    """moto's CreatePipeline reads a trust statement's ``Principal.Service`` as one string and refuses
    the role when it is a list (``["codepipeline.amazonaws.com"]``, as the program writes it), though
    IAM treats the two alike. For the one call, the role's trust has its one-element service lists
    written as strings (the same policy to IAM); the declared document is put back after it."""
    iam, role = c.client("iam"), role_arn.rsplit("/", 1)[-1]
    document = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    declared = json.loads(document) if isinstance(document, str) else document
    policy = json.loads(json.dumps(declared))
    statements = policy.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else None
        if isinstance(service, list) and len(service) == 1:
            principal["Service"] = service[0]
    if policy == declared:
        yield
        return
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(policy))
    try:
        yield
    finally:
        iam.update_assume_role_policy(RoleName=role, PolicyDocument=json.dumps(declared))


HANDLERS: dict[str, Handler] = {
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _public_access_block,
    "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock": _account_public_access_block,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_encryption,
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_policy,
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_versioning,
    "aws:s3/bucketLogging:BucketLogging": _bucket_logging,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_ownership,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_lifecycle,
    "aws:kms/key:Key": _key,
    "aws:kms/alias:Alias": _alias,
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _role_policy_attachment,
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/routeTable:RouteTable": _route_table,
    "aws:ec2/route:Route": _route,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _route_table_association,
    "aws:ec2/securityGroup:SecurityGroup": _security_group,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _default_security_group,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _ingress_rule,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _egress_rule,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "aws:ec2/flowLog:FlowLog": _flow_log,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ssm/parameter:Parameter": _parameter,
    "aws:sagemaker/domain:Domain": _domain,
    "aws:sagemaker/featureGroup:FeatureGroup": _feature_group,
    "aws:sagemaker/modelPackageGroup:ModelPackageGroup": _model_package_group,
    "aws:lakeformation/dataLakeSettings:DataLakeSettings": _data_lake_settings,
    "aws:lakeformation/resource:Resource": _lake_resource,
    "aws:lakeformation/permissions:Permissions": _lake_permissions,
    "aws:lakeformation/lfTag:LfTag": _lf_tag,
    "aws:lakeformation/resourceLfTags:ResourceLfTags": _resource_lf_tags,
    "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings": _catalog_encryption,
    "aws:glue/securityConfiguration:SecurityConfiguration": _security_configuration,
    "aws:glue/catalogDatabase:CatalogDatabase": _catalog_database,
    "aws:athena/workgroup:Workgroup": _workgroup,
    "aws:codebuild/project:Project": _codebuild_project,
    "aws:codepipeline/pipeline:Pipeline": _pipeline,
}

#: Types created after all the others (see ``deploy``).
DEFERRED = frozenset({"aws:s3/bucketLogging:BucketLogging"})

#: Types whose API moto (5.x) lacks: their resolved inputs are kept in ``Deployed.declared``, for a
#: ``botocore.stub.Stubber`` to answer from.
RECORDED: dict[str, str] = {
    "aws:redshiftserverless/namespace:Namespace": "moto has no redshift-serverless",
    "aws:redshiftserverless/workgroup:Workgroup": "moto has no redshift-serverless",
    "aws:sagemaker/userProfile:UserProfile": "moto has no CreateUserProfile (nor DescribeUserProfile)",
    "aws:sagemaker/space:Space": "moto has no CreateSpace",
    "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig": "moto has no CreateStudioLifecycleConfig",
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": (
        "moto has no PutModelPackageGroupPolicy (nor GetModelPackageGroupPolicy)"
    ),
}

#: Types the audit reads nothing of, by the reason: not created.
IGNORED: dict[str, str] = {
    "pulumi:pulumi:StackReference": "another stack's outputs, read at deploy time; nothing in this account",
    "pulumi:providers:aws": "a provider configuration, not a resource",
    "aws:cloudwatch/eventRule:EventRule": "the approval notification; no guardrail is on EventBridge",
    "aws:cloudwatch/eventTarget:EventTarget": "the approval notification; no guardrail is on EventBridge",
    "aws:codeartifact/domain:Domain": "the package mirror; the audit reads no CodeArtifact",
    "aws:codeartifact/domainPermissions:DomainPermissions": "the package mirror; the audit reads no CodeArtifact",
    "aws:codeartifact/repository:Repository": "the package mirror; the audit reads no CodeArtifact",
    "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy": (
        "the package mirror; the audit reads no CodeArtifact"
    ),
    "aws:codestarconnections/connection:Connection": "the GitHub connection (PENDING until a person accepts it)",
    "aws:ecr/repository:Repository": "the processing image repository; the audit reads no ECR",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "the processing image repository; the audit reads no ECR",
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "the processing image repository; the audit reads no ECR",
    "aws:sns/topic:Topic": "the approvers' topic; the audit reads no SNS",
    "aws:sns/topicPolicy:TopicPolicy": "the approvers' topic; the audit reads no SNS",
    "aws:sns/topicSubscription:TopicSubscription": "the approvers' e-mail subscriptions; the audit reads no SNS",
}
