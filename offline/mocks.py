"""A recording mock of the Pulumi engine and the AWS provider.

The monitor keeps, for every resource, what the real engine would know at preview: its inputs
(camelCase, as the engine sends them to analyzers), parent, dependencies, property dependencies,
protect and retain-on-delete flags. The mocks return realistic computed outputs (ids and ARNs in
the stack's account and region), so stack references and policies see what they would see live.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi.runtime import MockCallArgs, MockResourceArgs, Mocks

from offline import EngineError
from offline.pulumi_internals import HookedMockMonitor, Registration, is_secret


@dataclass
class ResourceRecord:
    type: str
    name: str
    urn: str
    id: str
    custom: bool
    parent: str
    provider: str
    protect: bool
    retain_on_delete: bool
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    #: Whether a component called ``register_outputs`` (custom resources: always False).
    registered_outputs: bool = False


class RecordingMonitor(HookedMockMonitor):
    """A mock resource monitor that also records each resource the program registers or reads."""

    def __init__(self, mocks: Mocks, on_record: Callable[[ResourceRecord], None] | None = None) -> None:
        super().__init__(mocks)
        self.records: list[ResourceRecord] = []
        #: Told of each resource as it is recorded, as the engine's policy packs are.
        self.on_record = on_record

    def on_register(self, registration: Registration) -> None:
        record = ResourceRecord(
            type=registration.type,
            name=registration.name,
            urn=registration.urn,
            id=registration.id,
            custom=registration.custom,
            parent=registration.parent,
            provider=registration.provider,
            protect=registration.protect,
            retain_on_delete=registration.retain_on_delete,
            dependencies=registration.dependencies,
            property_dependencies=registration.property_dependencies,
            inputs=_plain(registration.inputs),
            outputs=_plain(registration.outputs),
        )
        self.records.append(record)
        if self.on_record is not None:
            self.on_record(record)

    def on_outputs(self, urn: str, outputs: Any) -> None:
        """A component's ``register_outputs``: kept as the component's outputs."""
        for record in self.records:
            if record.urn == urn:
                record.outputs = _plain(outputs)
                record.registered_outputs = True


def _plain(value: Any) -> Any:
    """Turn deserialized properties into JSON-ready values (secrets unwrapped, as the analyzer gets them)."""
    if isinstance(value, Mapping):
        if is_secret(value):
            return _plain(value.get("value"))
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        # The wire carries every number as a double; whole numbers read better (and validate) as ints.
        return int(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    # Assets, archives and resource references: a description is what a plan shows.
    return str(value)


#: Type token to (id prefix, ARN path before the id, or "" where the resource has no ARN).
AWS_IDS = {
    "aws:ec2/vpc:Vpc": ("vpc-", "vpc/"),
    "aws:ec2/subnet:Subnet": ("subnet-", "subnet/"),
    "aws:ec2/routeTable:RouteTable": ("rtb-", "route-table/"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ("rtbassoc-", ""),
    "aws:ec2/securityGroup:SecurityGroup": ("sg-", "security-group/"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("sg-", "security-group/"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("sgr-", "security-group-rule/"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ("sgr-", "security-group-rule/"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("vpce-", "vpc-endpoint/"),
    "aws:ec2/flowLog:FlowLog": ("fl-", "vpc-flow-log/"),
    "aws:sagemaker/domain:Domain": ("d-", "domain/"),
}


#: Type token to (ARN service, path before the name) for resources whose ARN ends in their name.
NAMED_ARNS = {
    "aws:sns/topic:Topic": ("sns", ""),
    "aws:codebuild/project:Project": ("codebuild", "project/"),
    "aws:codepipeline/pipeline:Pipeline": ("codepipeline", ""),
    "aws:ecr/repository:Repository": ("ecr", "repository/"),
    "aws:codecommit/repository:Repository": ("codecommit", ""),
    "aws:cloudwatch/eventRule:EventRule": ("events", "rule/"),
    # Parameter names start with "/": the ARN reads parameter/mlops/...
    "aws:ssm/parameter:Parameter": ("ssm", "parameter"),
}


class PlatformMocks(Mocks):
    """Computed outputs for the AWS resources, in one account and region; stack references
    answered from the stacks synthesized before."""

    def __init__(
        self, project: str, stack: str, account_id: str, region: str, stack_exports: Mapping[str, Mapping[str, Any]]
    ) -> None:
        self.project = project
        self.stack = stack
        self.account_id = account_id
        self.region = region
        self.partition = (
            "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
        )
        self.stack_exports = stack_exports

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        raise EngineError(
            f"{self.stack}: the program calls the provider function {args.token}, which the offline "
            "engine does not emulate; expected no provider invokes (build values in Python instead)"
        )

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "pulumi:pulumi:StackReference":
            return self._stack_reference(args)
        if not args.custom:
            return "", {}
        suffix = hashlib.sha256(f"{self.stack}/{args.typ}/{args.name}".encode()).hexdigest()
        computed = self._computed(args.typ, args.name, args.inputs, suffix)
        outputs = {**args.inputs, **computed}
        return str(outputs.pop("__id")), outputs

    def _stack_reference(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        name = str(args.resource_id or args.inputs.get("name") or args.name)
        parts = name.split("/")
        local = parts[-1] if len(parts) == 1 or (len(parts) == 3 and parts[1] == self.project) else None
        if local is None or local not in self.stack_exports:
            known = ", ".join(self.stack_exports) or "none yet"
            raise EngineError(
                f"{self.stack}: StackReference {name!r} names no stack synthesized before it; "
                f"expected one of this project's earlier stacks ({known})"
            )
        return name, {"name": name, "outputs": dict(self.stack_exports[local]), "secretOutputNames": []}

    def _computed(self, typ: str, name: str, inputs: Mapping[str, Any], suffix: str) -> dict[str, Any]:
        """Outputs the provider computes. Names Pulumi would auto-generate get a stable suffix."""
        p, region, account = self.partition, self.region, self.account_id
        auto_name = inputs.get("name") or f"{name}-{suffix[:7]}"
        if typ == "aws:kms/key:Key":
            key_id = str(uuid.UUID(suffix[:32]))
            return {"__id": key_id, "keyId": key_id, "arn": f"arn:{p}:kms:{region}:{account}:key/{key_id}"}
        if typ == "aws:kms/alias:Alias":
            return {"__id": auto_name, "arn": f"arn:{p}:kms:{region}:{account}:{auto_name}"}
        if typ == "aws:s3/bucket:Bucket":
            bucket = inputs.get("bucket") or f"{name}-{suffix[:7]}"
            return {
                "__id": bucket,
                "bucket": bucket,
                "arn": f"arn:{p}:s3:::{bucket}",
                "region": region,
                "bucketDomainName": f"{bucket}.s3.amazonaws.com",
                "bucketRegionalDomainName": f"{bucket}.s3.{region}.amazonaws.com",
            }
        if typ.startswith("aws:s3/bucket") and "bucket" in inputs:
            return {"__id": inputs["bucket"]}
        if typ == "aws:iam/role:Role":
            path = inputs.get("path") or "/"
            return {
                "__id": auto_name,
                "name": auto_name,
                "arn": f"arn:{p}:iam::{account}:role{path}{auto_name}",
                "uniqueId": "AROA" + suffix[:17].upper(),
            }
        if typ == "aws:iam/rolePolicy:RolePolicy":
            return {"__id": f"{inputs.get('role')}:{auto_name}", "name": auto_name}
        if typ.startswith("pulumi:providers:"):
            return {"__id": str(uuid.UUID(suffix[:32]))}
        if typ in AWS_IDS:
            # EC2 and SageMaker ids have a type prefix and 17 (SageMaker domains 12) hex digits.
            prefix, arn_path = AWS_IDS[typ]
            resource_id = prefix + suffix[: 12 if prefix == "d-" else 17]
            computed: dict[str, Any] = {"__id": resource_id, "id": resource_id}
            if arn_path:
                service = "sagemaker" if prefix == "d-" else "ec2"
                computed["arn"] = f"arn:{p}:{service}:{region}:{account}:{arn_path}{resource_id}"
            if typ == "aws:ec2/vpcEndpoint:VpcEndpoint" and inputs.get("vpcEndpointType") == "Gateway":
                computed["prefixListId"] = "pl-" + suffix[20:28]
            return computed
        if typ == "aws:cloudwatch/logGroup:LogGroup":
            return {"__id": auto_name, "arn": f"arn:{p}:logs:{region}:{account}:log-group:{auto_name}"}
        if typ == "aws:sagemaker/featureGroup:FeatureGroup":
            group = inputs["featureGroupName"]
            return {"__id": group, "arn": f"arn:{p}:sagemaker:{region}:{account}:feature-group/{group.lower()}"}
        if typ == "aws:redshiftserverless/workgroup:Workgroup":
            # Workgroup ARNs end in the workgroup's id, which AWS makes up.
            workgroup = str(uuid.UUID(suffix[:32]))
            return {
                "__id": inputs.get("workgroupName") or auto_name,
                "workgroupId": workgroup,
                "arn": f"arn:{p}:redshift-serverless:{region}:{account}:workgroup/{workgroup}",
            }
        if typ == "aws:glue/catalogDatabase:CatalogDatabase":
            return {
                "__id": f"{account}:{auto_name}",
                "catalogId": inputs.get("catalogId") or account,
                "arn": f"arn:{p}:glue:{region}:{account}:database/{auto_name}",
            }
        if typ in NAMED_ARNS:
            service, path = NAMED_ARNS[typ]
            named = inputs.get("name") or inputs.get("repositoryName") or auto_name
            computed = {"__id": named, "arn": f"arn:{p}:{service}:{region}:{account}:{path}{named}"}
            if typ == "aws:ecr/repository:Repository":
                computed["repositoryUrl"] = f"{account}.dkr.ecr.{region}.amazonaws.com/{named}"
            return computed
        package = self._codeartifact(typ, inputs, auto_name) if typ.startswith("aws:codeartifact/") else None
        if package is not None:
            return package
        if typ == "aws:sagemaker/studioLifecycleConfig:StudioLifecycleConfig":
            # The provider's id is the name; the ARN ends in it:
            # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StudioLifecycleConfigDetails.html
            config = inputs.get("studioLifecycleConfigName") or auto_name
            return {"__id": config, "arn": f"arn:{p}:sagemaker:{region}:{account}:studio-lifecycle-config/{config}"}
        if typ == "aws:codestarconnections/connection:Connection":
            connection = str(uuid.UUID(suffix[:32]))
            return {
                "__id": connection,
                "connectionStatus": "PENDING",
                "arn": f"arn:{p}:codestar-connections:{region}:{account}:connection/{connection}",
            }
        # Anything else: an id and, where the type has one, an ARN in this account and region.
        service = typ.split(":")[1].split("/")[0]
        resource_id = f"{name}-{suffix[:7]}"
        return {"__id": resource_id, "arn": inputs.get("arn") or f"arn:{p}:{service}:{region}:{account}:{resource_id}"}

    def _codeartifact(self, typ: str, inputs: Mapping[str, Any], auto_name: str) -> dict[str, Any] | None:
        """CodeArtifact's domains and repositories, and their policies. A domain's ARN is in its
        owner's account, and so is each of its repositories' (whoever administers them); the
        provider's id of each is its ARN, and of a policy, the ARN of what it is on. The formats:
        https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodeartifact.html
        (resource types ``domain`` and ``repository``), the fields ``owner`` and ``domainOwner``:
        https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_DomainDescription.html and
        https://docs.aws.amazon.com/codeartifact/latest/APIReference/API_RepositoryDescription.html
        None for the other CodeArtifact types."""
        p, region, account = self.partition, self.region, self.account_id
        domain = str(inputs.get("domain") or auto_name)
        owner = str(inputs.get("domainOwner") or account)
        domain_arn = f"arn:{p}:codeartifact:{region}:{owner}:domain/{domain}"
        if typ == "aws:codeartifact/domain:Domain":
            return {"__id": domain_arn, "arn": domain_arn, "owner": account}
        if typ == "aws:codeartifact/domainPermissions:DomainPermissions":
            return {"__id": domain_arn, "domainOwner": owner, "resourceArn": domain_arn}
        repository = str(inputs.get("repository") or auto_name)
        repository_arn = f"arn:{p}:codeartifact:{region}:{owner}:repository/{domain}/{repository}"
        if typ == "aws:codeartifact/repository:Repository":
            return {
                "__id": repository_arn,
                "arn": repository_arn,
                "domainOwner": owner,
                "administratorAccount": account,
            }
        if typ == "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy":
            return {"__id": repository_arn, "domainOwner": owner, "resourceArn": repository_arn}
        return None  # another CodeArtifact type: the generic id and ARN
