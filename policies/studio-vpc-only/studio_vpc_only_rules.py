"""VPC-only SageMaker Studio rules (GUARDRAILS.md 9-20).

Values unknown during a preview: a check that only needs to know a property is set looks at the
property's key (an unknown ARN or id counts as set); a check that needs the value reads it through
pulumi-policy's proxy, which raises ``UnknownValueError`` so the pack reports that the policy could
not run. Checks that can run still report first: ``_Unknowns`` holds the first error back until the
other checks of the policy are done.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, NamedTuple

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

DOMAIN = "aws:sagemaker/domain:Domain"
USER_PROFILE = "aws:sagemaker/userProfile:UserProfile"
NOTEBOOK_INSTANCE = "aws:sagemaker/notebookInstance:NotebookInstance"
MODEL = "aws:sagemaker/model:Model"
ENDPOINT_CONFIGURATION = "aws:sagemaker/endpointConfiguration:EndpointConfiguration"
FEATURE_GROUP = "aws:sagemaker/featureGroup:FeatureGroup"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
INTERNET_GATEWAY = "aws:ec2/internetGateway:InternetGateway"
INTERNET_GATEWAY_ATTACHMENT = "aws:ec2/internetGatewayAttachment:InternetGatewayAttachment"
EGRESS_ONLY_INTERNET_GATEWAY = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
DEFAULT_ROUTE_TABLE = "aws:ec2/defaultRouteTable:DefaultRouteTable"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
SECURITY_GROUP_TYPES = (SECURITY_GROUP, DEFAULT_SECURITY_GROUP)
ROUTE_TABLE_TYPES = (ROUTE_TABLE, DEFAULT_ROUTE_TABLE)
STANDALONE_RULE_TYPES = (SECURITY_GROUP_RULE, SECURITY_GROUP_INGRESS_RULE, SECURITY_GROUP_EGRESS_RULE)

#: Defaults of the configurable policies; they match this program (policy-config.example.json).
DEFAULT_ALLOWED_SECURITY_GROUPS: list[str] = []
DEFAULT_REQUIRED_ENDPOINTS = [
    "sagemaker.api",
    "sagemaker.runtime",
    "sagemaker.featurestore-runtime",
    "sts",
    "logs",
    "ecr.api",
    "ecr.dkr",
    "kms",
    "glue",
    "studio",
]
#: Short names whose service is named ``aws.sagemaker.<region>.<short>``, not ``com.amazonaws.<region>.<short>``.
SAGEMAKER_UI_SERVICES = ("studio", "notebook")


# --- reading properties ------------------------------------------------------------------------


class _Absent:
    """A property that is not there (or null): judged by its AWS default."""


class _Unknown:
    """A property whose value is unknown during a preview."""


ABSENT = _Absent()
UNKNOWN = _Unknown()


def _peek(props: Any, key: str) -> Any:
    """``key``'s value, ABSENT or UNKNOWN. Looks for the key among the proxy's keys first:
    ``key in props`` would read the value, and an unknown one would raise."""
    if not isinstance(props, Mapping) or key not in list(props):
        return ABSENT
    try:
        value = props[key]
    except UnknownValueError:
        return UNKNOWN
    return ABSENT if value is None else value


def _is_set(props: Any, key: str) -> bool:
    """Presence only: an unknown value counts as set; null, "" and empty lists or objects do not."""
    value = _peek(props, key)
    if value is ABSENT:
        return False
    if value is UNKNOWN:
        return True
    if isinstance(value, str | Sequence | Mapping):
        return len(value) > 0
    return True


def _value(props: Any, key: str) -> Any:
    """``key``'s value, None when missing; raises UnknownValueError when unknown."""
    if not isinstance(props, Mapping):
        return None
    return props.get(key)


def _shown(value: Any, default: str) -> str:
    if value is None:
        return f"not set (AWS defaults to {default})"
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _is_everywhere(cidr: Any) -> bool:
    """0.0.0.0/0, ::/0 or any other spelling of a prefix of length zero."""
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False  # not a CIDR; AWS rejects it


def _list(props: Any, key: str) -> list[Any]:
    """A list property's elements; raises UnknownValueError when the list or an element is unknown."""
    value = _value(props, key)
    if value is None or isinstance(value, str) or not isinstance(value, Sequence):
        return []
    return [value[i] for i in range(len(value))]


class _Unknowns:
    """``with unknowns:`` around a check that reads a value: an unknown value stops that check only;
    ``reraise()`` at the end raises the first one, so the pack reports that the policy could not run."""

    def __init__(self) -> None:
        self.first: UnknownValueError | None = None

    def __enter__(self) -> _Unknowns:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if isinstance(exc, UnknownValueError):
            if self.first is None:
                self.first = exc
            return True
        return False

    def reraise(self) -> None:
        if self.first is not None:
            raise self.first


def _config_list(args: ResourceValidationArgs | StackValidationArgs, key: str, default: list[str]) -> list[str]:
    value = args.get_config().get(key, default)
    if not isinstance(value, list | tuple):
        return list(default)
    return [str(item) for item in value]


# --- 9. studio-domain-vpc-only (AWS Config sagemaker-domain-in-vpc) --------------------------------


def _vpc_only(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DOMAIN:
        return
    mode = args.props.get("appNetworkAccessType")
    if mode != "VpcOnly":
        # Missing means the AWS default, PublicInternetOnly: Studio apps reach the internet directly.
        shown = "not set (AWS defaults to PublicInternetOnly)" if mode is None else f"{mode!r}"
        report_violation(
            f"{args.name}: appNetworkAccessType is {shown}, which gives Studio apps a path to the "
            'internet; set appNetworkAccessType to "VpcOnly".',
            None,
        )


studio_domain_vpc_only = ResourceValidationPolicy(
    name="studio-domain-vpc-only",
    description="SageMaker Studio domains run in VPC-only mode, with no direct internet access.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_vpc_only,
)


# --- stack joins ----------------------------------------------------------------------------------


def _of(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in types]


def _known_id(resource: PolicyResource, key: str = "id") -> str | None:
    """A resource's id (or another output naming it) when known; None while unknown or missing."""
    value = _peek(resource.props, key)
    return value if isinstance(value, str) and value else None


def _by_id(resources: Iterable[PolicyResource], *keys: str) -> dict[str, PolicyResource]:
    """Resources by the known values of ``keys`` (their id, or outputs such as a VPC's main route table)."""
    found: dict[str, PolicyResource] = {}
    for resource in resources:
        for key in keys or ("id",):
            known = _known_id(resource, key)
            if known is not None:
                found.setdefault(known, resource)
    return found


def _target(
    resource: PolicyResource, key: str, types: Sequence[str], by_id: Mapping[str, PolicyResource]
) -> PolicyResource | str | None:
    """What ``resource``'s ``key`` property names: the resource of one of ``types`` it depends on for
    that property (so it works while ids are unknown); else the resource whose known id equals the
    value; else the value itself (something outside this stack); None when unset. Raises
    UnknownValueError when the value is unknown and no dependency tells."""
    if _peek(resource.props, key) is ABSENT:
        return None
    for dependency in resource.property_dependencies.get(key, []):
        if dependency.resource_type in types:
            return dependency
    value = _value(resource.props, key)
    if not isinstance(value, str) or not value:
        return None
    return by_id.get(value, value)


class _Network:
    """The stack's VPCs and what places a resource in one. A VPC is keyed by its Vpc resource's URN,
    or by its id when it is not in this stack."""

    # No dataclasses in this module: the tests import it without registering it in sys.modules,
    # where @dataclass looks up the module of string annotations.
    def __init__(self, resources: Sequence[PolicyResource]) -> None:
        self.resources = resources
        self.vpcs = _of(self.resources, VPC)
        self.vpc_by_id = _by_id(self.vpcs)
        self.subnet_by_id = _by_id(_of(self.resources, SUBNET))
        # A route names a route table, or a Vpc's main or default route table through the Vpc's outputs.
        self.table_by_id = {
            **_by_id(self.vpcs, "mainRouteTableId", "defaultRouteTableId"),
            **_by_id(_of(self.resources, *ROUTE_TABLE_TYPES)),
        }
        self.names = {vpc.urn: vpc.name for vpc in self.vpcs}

    def vpc_of(self, resource: PolicyResource, key: str = "vpcId") -> str | None:
        """The VPC ``resource``'s ``key`` names; raises UnknownValueError when it cannot tell."""
        found = _target(resource, key, (VPC,), self.vpc_by_id)
        if isinstance(found, PolicyResource):
            return found.urn
        return found

    def label(self, vpc: str) -> str:
        return self.names.get(vpc, vpc)

    def subnet_vpc(self, resource: PolicyResource, key: str = "subnetId") -> str | None:
        """The VPC of the subnet ``resource``'s ``key`` names; None when the subnet is not in this stack."""
        subnet = _target(resource, key, (SUBNET,), self.subnet_by_id)
        return self.vpc_of(subnet) if isinstance(subnet, PolicyResource) else None

    def default_route_table_vpc(self, table: PolicyResource) -> str | None:
        # A default route table has no vpcId input: it names the VPC's default route table, usually
        # through the Vpc's defaultRouteTableId output (a dependency on the Vpc); vpcId is an output.
        for dependency in table.property_dependencies.get("defaultRouteTableId", []):
            if dependency.resource_type == VPC:
                return dependency.urn
        known = _known_id(table, "defaultRouteTableId")
        owner = _by_id(self.vpcs, "defaultRouteTableId", "mainRouteTableId").get(known or "")
        if owner is not None:
            return owner.urn
        return self.vpc_of(table)

    def table_vpc(self, table: PolicyResource) -> str | None:
        if table.resource_type == DEFAULT_ROUTE_TABLE:
            return self.default_route_table_vpc(table)
        return self.vpc_of(table)

    def route_table_vpc(self, resource: PolicyResource, key: str = "routeTableId") -> str | None:
        """The VPC of the route table ``resource``'s ``key`` names (a Vpc's main route table counts)."""
        table = _target(resource, key, (*ROUTE_TABLE_TYPES, VPC), self.table_by_id)
        if not isinstance(table, PolicyResource):
            return None
        return table.urn if table.resource_type == VPC else self.table_vpc(table)


# --- 10. studio-domain-network --------------------------------------------------------------------


class _Groups:
    """The security groups one setting lists: the SecurityGroup resources the setting depends on, the
    ids known, and how many entries are unknown (-1: the whole list is)."""

    def __init__(self, resources: list[PolicyResource]) -> None:
        self.resources = resources
        self.known: list[str] = []
        self.unknown = 0
        self.error: UnknownValueError | None = None

    def unaccounted(self) -> bool:
        """Whether unknown entries may be more than the security group resources with unknown ids:
        then something other than those groups is listed, and could be anything."""
        if self.error is None:
            return False
        if self.unknown == -1:
            return not self.resources
        return self.unknown > sum(1 for r in self.resources if _known_id(r) is None)


def _groups(resource: PolicyResource, prop: str, settings: Any) -> _Groups:
    depended = [d for d in resource.property_dependencies.get(prop, []) if d.resource_type in SECURITY_GROUP_TYPES]
    groups = _Groups(depended)
    if _peek(settings, "securityGroups") is ABSENT:
        return groups
    try:
        values = settings["securityGroups"]
    except UnknownValueError as error:
        groups.unknown, groups.error = -1, error
        return groups
    if isinstance(values, str) or not isinstance(values, Sequence):
        return groups
    for index in range(len(values)):
        try:
            value = values[index]
        except UnknownValueError as error:
            groups.unknown += 1
            groups.error = groups.error or error
            continue
        if isinstance(value, str):
            groups.known.append(value)
    return groups


def _outside(
    subject: _Groups, domain: _Groups | None, allowlist: set[str], sg_by_id: Mapping[str, PolicyResource]
) -> list[str]:
    """The security groups ``subject`` lists beyond the domain's defaultUserSettings ones and the
    allowlist, compared as resources (ids may be unknown), then as known ids. Raises
    UnknownValueError when unknown entries leave the answer open."""
    domain_urns = {r.urn for r in domain.resources} if domain else set()
    allowed = set(allowlist)
    if domain is not None:
        allowed |= set(domain.known) | {i for i in (_known_id(r) for r in domain.resources) if i}
    outside: list[str] = []
    subject_ids: set[str] = set()
    for group in subject.resources:
        known = _known_id(group)
        if known is not None:
            subject_ids.add(known)
        if group.urn in domain_urns or (known is not None and known in allowed):
            continue
        outside.append(group.name)
    for value in subject.known:
        if value in allowed or value in subject_ids:
            continue  # allowed, or already judged as the resource it is
        owner = sg_by_id.get(value)
        if owner is not None and owner.urn in domain_urns:
            continue
        outside.append(owner.name if owner is not None else value)
    if outside and domain is not None and domain.error is not None and domain.unaccounted():
        raise domain.error  # the domain's own list may hold these groups
    if not outside and subject.error is not None and subject.unaccounted():
        raise subject.error
    return list(dict.fromkeys(outside))


def _domain_network(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    # A stack policy although GUARDRAILS.md marks guardrail 10 R: whether a user profile (or the
    # domain's default space settings) adds a security group can only be judged against its domain's
    # defaultUserSettings, which is another resource, joined through the profile's domainId; and the
    # groups are compared as the SecurityGroup resources each setting depends on, which only
    # AnalyzeStack's property dependencies show while ids are unknown.
    allowlist = set(_config_list(args, "allowedSecurityGroups", DEFAULT_ALLOWED_SECURITY_GROUPS))
    resources = args.resources
    domains = _of(resources, DOMAIN)
    sg_by_id = _by_id(_of(resources, *SECURITY_GROUP_TYPES))
    unknowns = _Unknowns()
    defaults: dict[str, _Groups] = {}
    for domain in domains:
        if not _is_set(domain.props, "subnetIds"):
            report_violation(
                f"{domain.name}: subnetIds is not set, so Studio has no subnets of the VPC to run in; "
                "set subnetIds to the VPC's private subnets.",
                domain.urn,
            )
        with unknowns:
            user_settings = _value(domain.props, "defaultUserSettings")
            if not _is_set(user_settings, "securityGroups"):
                report_violation(
                    f"{domain.name}: defaultUserSettings.securityGroups is not set, so Studio apps get no "
                    "platform security group; set defaultUserSettings.securityGroups to the Studio "
                    "security group.",
                    domain.urn,
                )
            else:
                # Without the domain's own groups there is nothing to compare profiles and spaces
                # with: the violation above is the one to fix first.
                defaults[domain.urn] = _groups(domain, "defaultUserSettings", user_settings)
        with unknowns:
            space_settings = _value(domain.props, "defaultSpaceSettings")
            if domain.urn in defaults:
                outside = _outside(
                    _groups(domain, "defaultSpaceSettings", space_settings), defaults[domain.urn], allowlist, sg_by_id
                )
                if outside:
                    report_violation(
                        f"{domain.name}: defaultSpaceSettings.securityGroups adds {', '.join(outside)}, which "
                        "defaultUserSettings.securityGroups does not use; give spaces only the domain's "
                        "security groups, or add the group ids to allowedSecurityGroups.",
                        domain.urn,
                    )
    domain_by_id = _by_id(domains)
    # aws:sagemaker/space:Space has no security group setting of its own: spaces use the domain's
    # defaultSpaceSettings, checked above.
    for profile in _of(resources, USER_PROFILE):
        with unknowns:
            owner = _target(profile, "domainId", (DOMAIN,), domain_by_id)
            settings = _value(profile.props, "userSettings")
            subject = _groups(profile, "userSettings", settings)
            if owner is None:
                continue  # the provider requires domainId
            if isinstance(owner, PolicyResource):
                if owner.urn not in defaults:
                    continue  # the domain's groups are missing (reported) or unknown (reraised below)
                outside = _outside(subject, defaults[owner.urn], allowlist, sg_by_id)
                problem = f"which the domain {owner.name} does not use in defaultUserSettings.securityGroups"
            else:
                outside = _outside(subject, None, allowlist, sg_by_id)
                problem = f"which are not in allowedSecurityGroups, and its domain {owner} is not in this stack"
            if outside:
                report_violation(
                    f"{profile.name}: userSettings.securityGroups adds {', '.join(outside)}, {problem}; use "
                    "only the domain's security groups, or add the group ids to allowedSecurityGroups.",
                    profile.urn,
                )
    unknowns.reraise()


studio_domain_network = StackValidationPolicy(
    name="studio-domain-network",
    description=(
        "Studio domains set their subnets and default security groups; user profiles and spaces use no "
        "security groups beyond the domain's and the allowed ones."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_domain_network,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedSecurityGroups": {
                "type": "array",
                "items": {"type": "string"},
                "description": (
                    "Security group ids user profiles and spaces may use besides the domain's "
                    "defaultUserSettings.securityGroups."
                ),
                "default": DEFAULT_ALLOWED_SECURITY_GROUPS,
            }
        }
    ),
)


# --- 11. studio-domain-kms (CKV_AWS_187) ----------------------------------------------------------


def _is_aws_managed_key(key: str) -> bool:
    return key.startswith("alias/aws/") or ":alias/aws/" in key


def _domain_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != DOMAIN:
        return
    key = _peek(args.props, "kmsKeyId")
    if not _is_set(args.props, "kmsKeyId"):
        report_violation(
            f"{args.name}: kmsKeyId is not set, so the domain's storage is encrypted with an AWS managed "
            "key; set kmsKeyId to the platform's customer managed KMS key.",
            None,
        )
    elif isinstance(key, str) and _is_aws_managed_key(key):
        report_violation(
            f"{args.name}: kmsKeyId is {key!r}, an AWS managed key; set kmsKeyId to the platform's customer "
            "managed KMS key.",
            None,
        )


studio_domain_kms = ResourceValidationPolicy(
    name="studio-domain-kms",
    description="Studio domain storage is encrypted with a customer managed KMS key.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_domain_kms,
)


# --- 12. notebook-instance-guardrails (SageMaker.1-3, CKV_AWS_122/306/307/22/371) -------------------


def _notebook(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != NOTEBOOK_INSTANCE:
        return
    props, name = args.props, args.name
    unknowns = _Unknowns()
    with unknowns:  # SageMaker.1, CKV_AWS_122
        access = _value(props, "directInternetAccess")
        if access != "Disabled":
            report_violation(
                f"{name}: directInternetAccess is {_shown(access, 'Enabled')}, which gives the notebook a "
                'direct route to the internet; set directInternetAccess to "Disabled".',
                None,
            )
    if not _is_set(props, "subnetId"):  # SageMaker.2, CKV_AWS_306
        report_violation(
            f"{name}: subnetId is not set, so the notebook runs outside the platform's VPC; set subnetId to "
            "a private subnet of the VPC.",
            None,
        )
    with unknowns:  # SageMaker.3, CKV_AWS_307
        root = _value(props, "rootAccess")
        if root != "Disabled":
            report_violation(
                f"{name}: rootAccess is {_shown(root, 'Enabled')}, which lets notebook users change the "
                'instance; set rootAccess to "Disabled".',
                None,
            )
    if not _is_set(props, "kmsKeyId"):  # CKV_AWS_22
        report_violation(
            f"{name}: kmsKeyId is not set, so the notebook's storage is encrypted with an AWS managed key; "
            "set kmsKeyId to the platform's customer managed KMS key.",
            None,
        )
    with unknowns:  # CKV_AWS_371
        imds = _value(props, "instanceMetadataServiceConfiguration")
        version = _value(imds, "minimumInstanceMetadataServiceVersion")
        if version != "2":
            report_violation(
                f"{name}: instanceMetadataServiceConfiguration.minimumInstanceMetadataServiceVersion is "
                f"{_shown(version, '1, which allows IMDSv1')}; set "
                'instanceMetadataServiceConfiguration.minimumInstanceMetadataServiceVersion to "2".',
                None,
            )
    unknowns.reraise()


notebook_instance_guardrails = ResourceValidationPolicy(
    name="notebook-instance-guardrails",
    description=(
        "Notebook instances run in a VPC subnet without direct internet access or root access, with a "
        "customer managed KMS key and IMDSv2 only."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_notebook,
)


# --- 13. sagemaker-model-network-isolation (SageMaker.5, CKV_AWS_370) --------------------------------


def _model_isolation(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != MODEL:
        return
    props, name = args.props, args.name
    unknowns = _Unknowns()
    with unknowns:
        isolation = _value(props, "enableNetworkIsolation")
        if isolation is not True:
            report_violation(
                f"{name}: enableNetworkIsolation is {_shown(isolation, 'false')}, so the model's containers "
                "can make network calls; set enableNetworkIsolation to true.",
                None,
            )
    vpc_config = _peek(props, "vpcConfig")
    if vpc_config is ABSENT:
        report_violation(
            f"{name}: vpcConfig is not set, so the model runs outside the platform's VPC; set vpcConfig with "
            "the VPC's private subnets and security groups.",
            None,
        )
    elif vpc_config is not UNKNOWN:
        # An unknown vpcConfig counts as set: the provider requires both of its lists.
        for key in ("subnets", "securityGroupIds"):
            if not _is_set(vpc_config, key):
                report_violation(
                    f"{name}: vpcConfig.{key} is empty, so the model is not placed in the VPC; set "
                    f"vpcConfig.{key} to the VPC's private {'subnets' if key == 'subnets' else 'security groups'}.",
                    None,
                )
    unknowns.reraise()


sagemaker_model_network_isolation = ResourceValidationPolicy(
    name="sagemaker-model-network-isolation",
    description="SageMaker models run network-isolated and inside the platform's VPC.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_model_isolation,
)


# --- 14. sagemaker-endpoint-config-kms (CKV_AWS_98) -----------------------------------------------


def _endpoint_config_kms(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != ENDPOINT_CONFIGURATION:
        return
    if not _is_set(args.props, "kmsKeyArn"):
        report_violation(
            f"{args.name}: kmsKeyArn is not set, so the endpoint's storage volumes are encrypted with an AWS "
            "managed key; set kmsKeyArn to the platform's customer managed KMS key.",
            None,
        )


sagemaker_endpoint_config_kms = ResourceValidationPolicy(
    name="sagemaker-endpoint-config-kms",
    description="SageMaker endpoint configurations encrypt their storage with a customer managed KMS key.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_endpoint_config_kms,
)


# --- 15. feature-group-encryption (AWS Config sagemaker-featuregroup-encryption-at-rest) -----------


def _feature_group_encryption(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != FEATURE_GROUP:
        return
    props, name = args.props, args.name
    unknowns = _Unknowns()
    with unknowns:
        offline = _value(props, "offlineStoreConfig")
        if offline is not None and not _is_set(_value(offline, "s3StorageConfig"), "kmsKeyId"):
            report_violation(
                f"{name}: offlineStoreConfig.s3StorageConfig.kmsKeyId is not set, so the offline store is "
                "written with the bucket's default encryption; set offlineStoreConfig.s3StorageConfig.kmsKeyId "
                "to the platform's customer managed KMS key.",
                None,
            )
    with unknowns:
        online = _value(props, "onlineStoreConfig")
        # enableOnlineStore defaults to false: without it there is no online store to encrypt.
        if _value(online, "enableOnlineStore") is True and not _is_set(_value(online, "securityConfig"), "kmsKeyId"):
            report_violation(
                f"{name}: onlineStoreConfig.securityConfig.kmsKeyId is not set, so the online store is "
                "encrypted with an AWS owned key; set onlineStoreConfig.securityConfig.kmsKeyId to the "
                "platform's customer managed KMS key.",
                None,
            )
    unknowns.reraise()


feature_group_encryption = ResourceValidationPolicy(
    name="feature-group-encryption",
    description="Feature groups encrypt their offline and online stores with a customer managed KMS key.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_feature_group_encryption,
)


# --- 16. studio-required-vpc-endpoints ------------------------------------------------------------


def _service(name: str, prefix: str) -> str | None:
    """``<service>`` of ``<prefix><region>.<service>``; None for another form."""
    if not name.startswith(prefix):
        return None
    region, _, service = name[len(prefix) :].partition(".")
    return service if region and service else None


def _serves(endpoint_service: str, short: str) -> bool:
    if short in SAGEMAKER_UI_SERVICES:
        return _service(endpoint_service, "aws.sagemaker.") == short
    return _service(endpoint_service, "com.amazonaws.") == short


def _pattern(short: str) -> str:
    prefix = "aws.sagemaker" if short in SAGEMAKER_UI_SERVICES else "com.amazonaws"
    return f"{prefix}.<region>.{short}"


class _Endpoint(NamedTuple):
    name: str
    service: str
    kind: str
    private_dns: Any


def _missing_endpoints(endpoints: Sequence[_Endpoint], required: Sequence[str]) -> list[str]:
    missing: list[str] = []
    for short in required:
        serving = [e for e in endpoints if _serves(e.service, short)]
        if any(e.kind == "Interface" and e.private_dns is True for e in serving):
            continue
        if not serving:
            reason = "no endpoint"
        elif all(e.kind != "Interface" for e in serving):
            reason = f"{serving[0].name} has vpcEndpointType {serving[0].kind}, not Interface"
        else:
            interface = next(e for e in serving if e.kind == "Interface")
            reason = f"privateDnsEnabled is {_shown(interface.private_dns, 'false')} on {interface.name}"
        missing.append(f"{_pattern(short)} ({reason})")
    s3 = [e for e in endpoints if _serves(e.service, "s3")]
    if not any(e.kind == "Gateway" for e in s3):
        reason = f"{s3[0].name} has vpcEndpointType {s3[0].kind}, not Gateway" if s3 else "no endpoint"
        missing.append(f"{_pattern('s3')} Gateway ({reason})")
    return missing


def _required_endpoints(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    required = _config_list(args, "requiredEndpoints", DEFAULT_REQUIRED_ENDPOINTS)
    network = _Network(args.resources)
    by_vpc: dict[str | None, list[_Endpoint]] = {}
    # Endpoints whose VPC, service, type or DNS setting is unknown: (their VPC if known, the error).
    undecided: list[tuple[str | None, UnknownValueError]] = []
    for resource in _of(args.resources, VPC_ENDPOINT):
        vpc: str | None = None
        try:
            vpc = network.vpc_of(resource)
            service = _value(resource.props, "serviceName")
            kind = _value(resource.props, "vpcEndpointType") or "Gateway"  # the AWS default
            private_dns = _value(resource.props, "privateDnsEnabled") if kind == "Interface" else None
        except UnknownValueError as error:
            undecided.append((vpc, error))
            continue
        if isinstance(service, str):
            by_vpc.setdefault(vpc, []).append(_Endpoint(resource.name, service, str(kind), private_dns))
    unknowns = _Unknowns()
    for domain in _of(args.resources, DOMAIN):
        with unknowns:
            vpc = network.vpc_of(domain)
            if vpc is None:
                continue  # the provider requires vpcId
            missing = _missing_endpoints(by_vpc.get(vpc, []), required)
            if not missing:
                continue
            for place, unread in undecided:
                if place in (None, vpc):
                    raise unread  # an endpoint we could not read may be the missing one
            report_violation(
                f"{domain.name}: vpcId names VPC {network.label(vpc)}, which lacks the VPC endpoints VPC-only "
                f"Studio needs: {', '.join(missing)}; add an Interface endpoint with privateDnsEnabled true "
                "for each missing service, and a Gateway endpoint for S3.",
                domain.urn,
            )
    unknowns.reraise()


studio_required_vpc_endpoints = StackValidationPolicy(
    name="studio-required-vpc-endpoints",
    description=(
        "The VPC of each Studio domain has Interface endpoints with private DNS for the AWS services "
        "Studio needs, and the S3 Gateway endpoint."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_required_endpoints,
    config_schema=PolicyConfigSchema(
        properties={
            "requiredEndpoints": {
                "type": "array",
                "items": {"type": "string"},
                "description": (
                    "Short names of the services that need an Interface endpoint with private DNS: "
                    "com.amazonaws.<region>.<name>, or aws.sagemaker.<region>.<name> for studio and notebook."
                ),
                "default": DEFAULT_REQUIRED_ENDPOINTS,
            }
        }
    ),
)


# --- 17. vpc-no-internet-path ---------------------------------------------------------------------


def _no_internet_path(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = args.resources
    network = _Network(resources)
    unknowns = _Unknowns()
    hosted: dict[str, str] = {}  # VPC -> the VpcOnly domain it hosts
    for domain in _of(resources, DOMAIN):
        with unknowns:
            if _value(domain.props, "appNetworkAccessType") == "VpcOnly":
                vpc = network.vpc_of(domain)
                if vpc is not None:
                    hosted.setdefault(vpc, domain.name)

    def where(vpc: str | None) -> str | None:
        """How a message names a VPC that hosts a VpcOnly domain; None for other VPCs."""
        if vpc is None or vpc not in hosted:
            return None
        return f"VPC {network.label(vpc)}, which hosts the VpcOnly Studio domain {hosted[vpc]}"

    fix = "reach AWS services through VPC endpoints instead"
    gateways = {
        INTERNET_GATEWAY: "an internet gateway",
        INTERNET_GATEWAY_ATTACHMENT: "an internet gateway",
        EGRESS_ONLY_INTERNET_GATEWAY: "an egress-only internet gateway",
    }
    for gateway in _of(resources, *gateways):
        with unknowns:
            if (hosts := where(network.vpc_of(gateway))) is not None:
                report_violation(
                    f"{gateway.name}: vpcId attaches {gateways[gateway.resource_type]} to {hosts}; remove it "
                    f"and {fix}.",
                    gateway.urn,
                )
    for nat in _of(resources, NAT_GATEWAY):
        with unknowns:
            # A zonal NAT gateway lives in a subnet (joined to its VPC); a regional one names its VPC.
            # vpcId is read only when the subnet does not tell: a zonal gateway has it as an output,
            # unknown during a preview.
            prop, vpc = "subnetId", network.subnet_vpc(nat)
            if vpc is None:
                prop, vpc = "vpcId", network.vpc_of(nat)
            if (hosts := where(vpc)) is not None:
                report_violation(
                    f"{nat.name}: {prop} places a NAT gateway in {hosts}; remove the NAT gateway and {fix}.",
                    nat.urn,
                )
    for route in _of(resources, ROUTE):
        with unknowns:
            for prop in ("destinationCidrBlock", "destinationIpv6CidrBlock"):
                cidr = _value(route.props, prop)
                if _is_everywhere(cidr) and (hosts := where(network.route_table_vpc(route))) is not None:
                    report_violation(
                        f"{route.name}: {prop} {cidr} sends traffic out of {hosts}; remove the route and {fix}.",
                        route.urn,
                    )
    for table in _of(resources, *ROUTE_TABLE_TYPES):
        with unknowns:
            # The VPC first: routes are read only for tables of a VPC that hosts a VpcOnly domain.
            if (hosts := where(network.table_vpc(table))) is None:
                continue
            for index, entry in enumerate(_list(table.props, "routes")):
                for prop in ("cidrBlock", "ipv6CidrBlock"):
                    with unknowns:
                        if _is_everywhere(cidr := _value(entry, prop)):
                            report_violation(
                                f"{table.name}: routes[{index}].{prop} {cidr} sends traffic out of {hosts}; "
                                f"remove the route and {fix}.",
                                table.urn,
                            )
    unknowns.reraise()


vpc_no_internet_path = StackValidationPolicy(
    name="vpc-no-internet-path",
    description=(
        "A VPC that hosts a VPC-only Studio domain has no internet gateway, NAT gateway or route to 0.0.0.0/0 or ::/0."
    ),
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_no_internet_path,
)


# --- 18. vpc-flow-logs (EC2.6, CKV2_AWS_11) -------------------------------------------------------


def _vpcs_with(
    members: Iterable[PolicyResource], placed: Callable[[PolicyResource], str | None]
) -> tuple[dict[str, list[PolicyResource]], UnknownValueError | None]:
    """``members`` by the VPC ``placed(member)`` names, and the first member that could not be placed."""
    found: dict[str, list[PolicyResource]] = {}
    undecided: UnknownValueError | None = None
    for member in members:
        try:
            vpc = placed(member)
        except UnknownValueError as error:
            undecided = undecided or error
            continue
        if vpc is not None:
            found.setdefault(vpc, []).append(member)
    return found, undecided


def _flow_logs(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    network = _Network(args.resources)
    logged, undecided = _vpcs_with(_of(args.resources, FLOW_LOG), network.vpc_of)
    for vpc in network.vpcs:
        if vpc.urn in logged:
            continue
        if undecided is not None:
            raise undecided  # a flow log whose VPC is unknown may be this VPC's
        report_violation(
            f"{vpc.name}: vpcId of no aws:ec2/flowLog:FlowLog names this VPC, so its traffic is not logged; "
            "add a FlowLog with vpcId set to this VPC.",
            vpc.urn,
        )


vpc_flow_logs = StackValidationPolicy(
    name="vpc-flow-logs",
    description="Every VPC has flow logs.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_flow_logs,
)


# --- 19. vpc-default-security-group-closed (EC2.2, CKV2_AWS_12) ------------------------------------


def _default_group_closed(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = args.resources
    network = _Network(resources)
    default_groups = _of(resources, DEFAULT_SECURITY_GROUP)
    managed, undecided = _vpcs_with(default_groups, network.vpc_of)
    for vpc in network.vpcs:
        if vpc.urn in managed:
            continue
        if undecided is not None:
            raise undecided
        report_violation(
            f"{vpc.name}: vpcId of no aws:ec2/defaultSecurityGroup:DefaultSecurityGroup names this VPC, so its "
            "default security group keeps AWS's rules (all egress, all ingress from the group itself); add a "
            "DefaultSecurityGroup for this VPC with no ingress and no egress rules.",
            vpc.urn,
        )
    unknowns = _Unknowns()
    for group in default_groups:
        # A DefaultSecurityGroup without ingress or egress leaves none: when the provider adopts the
        # group it removes all its rules and creates only those listed (pulumi-aws docs of
        # ec2.DefaultSecurityGroup), so missing is as closed as an empty list.
        for prop in ("ingress", "egress"):
            with unknowns:
                rules = _list(group.props, prop)
                if rules:
                    report_violation(
                        f"{group.name}: {prop} has {len(rules)} rule(s), so the VPC's default security group "
                        f"allows traffic; set {prop} to an empty list.",
                        group.urn,
                    )
    # Rules added to the default group by separate resources open it just the same. A rule names the
    # default group through the DefaultSecurityGroup, or through its Vpc's defaultSecurityGroupId.
    by_id = {
        **_by_id(_of(resources, SECURITY_GROUP)),
        **_by_id(network.vpcs, "defaultSecurityGroupId"),
        **_by_id(default_groups),
    }
    for rule in _of(resources, *STANDALONE_RULE_TYPES):
        with unknowns:
            target = _target(rule, "securityGroupId", (*SECURITY_GROUP_TYPES, VPC), by_id)
            if isinstance(target, PolicyResource) and target.resource_type in (DEFAULT_SECURITY_GROUP, VPC):
                report_violation(
                    f"{rule.name}: securityGroupId adds a rule to the default security group of "
                    f"{target.name}; remove the rule and attach it to a dedicated security group.",
                    rule.urn,
                )
    unknowns.reraise()


vpc_default_security_group_closed = StackValidationPolicy(
    name="vpc-default-security-group-closed",
    description="Every VPC manages its default security group and leaves it with no rules.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_default_group_closed,
)


# --- 20. security-group-no-public-ingress ---------------------------------------------------------

_PUBLIC_FIX = "allow only the security groups or private CIDR ranges that need access"


def _public_ingress(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props, name = args.props, args.name
    unknowns = _Unknowns()
    if args.resource_type == SECURITY_GROUP:
        with unknowns:
            for index, rule in enumerate(_list(props, "ingress")):
                for prop in ("cidrBlocks", "ipv6CidrBlocks"):
                    with unknowns:
                        for cidr in _list(rule, prop):
                            if _is_everywhere(cidr):
                                report_violation(
                                    f"{name}: ingress[{index}].{prop} includes {cidr}, which opens the group to "
                                    f"the whole internet; {_PUBLIC_FIX}.",
                                    None,
                                )
    elif args.resource_type == SECURITY_GROUP_INGRESS_RULE:
        for prop in ("cidrIpv4", "cidrIpv6"):
            with unknowns:
                cidr = _value(props, prop)
                if _is_everywhere(cidr):
                    report_violation(
                        f"{name}: {prop} is {cidr}, which opens the group to the whole internet; {_PUBLIC_FIX}.",
                        None,
                    )
    elif args.resource_type == SECURITY_GROUP_RULE:
        for prop in ("cidrBlocks", "ipv6CidrBlocks"):
            with unknowns:
                public = [cidr for cidr in _list(props, prop) if _is_everywhere(cidr)]
                # The rule's type is read only when it matters: an egress rule may go anywhere.
                if public and _value(props, "type") == "ingress":
                    report_violation(
                        f"{name}: {prop} includes {public[0]} on an ingress rule, which opens the group to the "
                        f"whole internet; {_PUBLIC_FIX}.",
                        None,
                    )
    unknowns.reraise()


security_group_no_public_ingress = ResourceValidationPolicy(
    name="security-group-no-public-ingress",
    description="No security group allows ingress from 0.0.0.0/0 or ::/0.",
    enforcement_level=EnforcementLevel.MANDATORY,
    validate=_public_ingress,
)

POLICIES = [
    studio_domain_vpc_only,
    studio_domain_network,
    studio_domain_kms,
    notebook_instance_guardrails,
    sagemaker_model_network_isolation,
    sagemaker_endpoint_config_kms,
    feature_group_encryption,
    studio_required_vpc_endpoints,
    vpc_no_internet_path,
    vpc_flow_logs,
    vpc_default_security_group_closed,
    security_group_no_public_ingress,
]
