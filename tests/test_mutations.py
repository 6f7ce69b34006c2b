"""Mutation test of the guardrails over the program's own stacks.

Each mutation breaks one guarded property of one resource the program really synthesizes (or
removes or adds one resource), and the policy packs, running as the engine runs them (one process
per pack, over gRPC), must report a mandatory violation of the expected policy. The packs start once
per stack; each mutation re-sends only the mutated resources to ``Analyze``, and the whole stack to
``AnalyzeStack``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel

from offline.analyzer import PackSession, discover_packs
from offline.engine import Preview
from offline.mocks import ResourceRecord
from tests.conftest import ROOT
from tests.policy_harness import DELETE, load_rules, set_path

Records = list[ResourceRecord]


@dataclass(frozen=True)
class Mutation:
    stack: str
    policy: str
    what: str
    #: Changes the records in place; returns the URNs of the records it changed or added.
    apply: Callable[[Records], set[str]]


def _find(records: Records, token: str, name_part: str) -> ResourceRecord:
    """The one record of ``token`` whose name contains ``name_part`` (or, ending in ``$``, ends with it)."""
    if name_part.endswith("$"):
        found = [r for r in records if r.type == token and r.name.endswith(name_part[:-1])]
    else:
        found = [r for r in records if r.type == token and name_part in r.name]
    assert len(found) == 1, f"{token} {name_part!r}: {[r.name for r in found]}"
    return found[0]


def set_prop(token: str, name_part: str, path: tuple[str | int, ...], value: Any) -> Callable[[Records], set[str]]:
    """Set (or, with DELETE, remove) one property in both the inputs and the outputs."""

    def apply(records: Records) -> set[str]:
        record = _find(records, token, name_part)
        for props in (record.inputs, record.outputs):
            if props:
                set_path(props, path, value)
        return {record.urn}

    return apply


def edit_json(
    token: str, name_part: str, key: str, edit: Callable[[dict[str, Any]], None]
) -> Callable[[Records], set[str]]:
    """Edit a JSON document property (a policy) in both the inputs and the outputs."""

    def apply(records: Records) -> set[str]:
        record = _find(records, token, name_part)
        for props in (record.inputs, record.outputs):
            if props and key in props:
                document = json.loads(props[key])
                edit(document)
                props[key] = json.dumps(document)
        return {record.urn}

    return apply


def remove(token: str, name_part: str) -> Callable[[Records], set[str]]:
    def apply(records: Records) -> set[str]:
        records.remove(_find(records, token, name_part))
        return set()

    return apply


def add_beside(
    token: str, name_part: str, new_type: str, new_name: str, props: Callable[[ResourceRecord], dict[str, Any]]
) -> Callable[[Records], set[str]]:
    """Add a resource next to an existing one, depending on it through ``vpcId``/``routeTableId``."""

    def apply(records: Records) -> set[str]:
        anchor = _find(records, token, name_part)
        values = props(anchor)
        urn = anchor.urn.rsplit("::", 2)[0] + f"::{new_type}::{new_name}"
        dependencies = {key: [anchor.urn] for key, value in values.items() if value == anchor.id}
        records.append(
            ResourceRecord(
                type=new_type,
                name=new_name,
                urn=urn,
                id=f"{new_name}-id",
                custom=True,
                parent=anchor.parent,
                provider="",
                protect=False,
                retain_on_delete=False,
                dependencies=[anchor.urn],
                property_dependencies=dependencies,
                inputs=values,
                outputs=dict(values),
            )
        )
        return {urn}

    return apply


def add_statement(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    return lambda document: document["Statement"].append(statement)


def drop_statement(sid: str) -> Callable[[dict[str, Any]], None]:
    def edit(document: dict[str, Any]) -> None:
        document["Statement"] = [s for s in document["Statement"] if s.get("Sid") != sid]

    return edit


LF = "aws:lakeformation/"
SETTINGS = f"{LF}dataLakeSettings:DataLakeSettings"
GRANT = f"{LF}permissions:Permissions"
LOCATION = f"{LF}resource:Resource"
DOMAIN = "aws:sagemaker/domain:Domain"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
WORKGROUP = "aws:redshiftserverless/workgroup:Workgroup"
PROJECT = "aws:codebuild/project:Project"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
READ_ONLY_ACCESS = "arn:aws:iam::aws:policy/ReadOnlyAccess"
USER_PROFILE = "aws:sagemaker/userProfile:UserProfile"
GITHUB_OIDC = "arn:aws:iam::222222222222:oidc-provider/token.actions.githubusercontent.com"
IAM_ALLOWED = [{"principal": "IAM_ALLOWED_PRINCIPALS", "permissions": ["ALL"]}]

MUTATIONS = [
    # Lake Formation and catalog
    Mutation(
        "datamgmt",
        "lf-settings-no-iam-allowed-principals",
        "database defaults to IAM_ALLOWED_PRINCIPALS",
        set_prop(SETTINGS, "", ("createDatabaseDefaultPermissions",), IAM_ALLOWED),
    ),
    Mutation(
        "datasci",
        "lf-settings-no-iam-allowed-principals",
        "table defaults left to AWS",
        set_prop(SETTINGS, "", ("createTableDefaultPermissions",), DELETE),
    ),
    Mutation(
        "datamgmt",
        "lf-admins-allowlisted",
        "an IAM user as admin",
        set_prop(SETTINGS, "", ("admins",), ["arn:aws:iam::333333333333:user/alice"]),
    ),
    Mutation("datamgmt", "lf-admins-allowlisted", "no admins", set_prop(SETTINGS, "", ("admins",), [])),
    Mutation(
        "datamgmt",
        "lf-no-grants-to-iam-allowed-principals",
        "a grant to IAM_ALLOWED_PRINCIPALS",
        set_prop(GRANT, "governance-grant-0", ("principal",), "IAM_ALLOWED_PRINCIPALS"),
    ),
    Mutation(
        "datamgmt",
        "lf-all-only-to-producers",
        "ALL to the production feature jobs",
        set_prop(GRANT, "governance-grant-6", ("permissions",), ["ALL"]),
    ),
    Mutation(
        "datamgmt",
        "lf-location-access-only-to-producers",
        "location access through a tag expression",
        set_prop(GRANT, "governance-grant-0", ("permissions",), ["DATA_LOCATION_ACCESS"]),
    ),
    Mutation(
        "datamgmt",
        "lf-location-access-only-to-producers",
        "location access to a consumer",
        set_prop(GRANT, "locations-raw-producer-0", ("principal",), "222222222222"),
    ),
    Mutation(
        "datamgmt",
        "lf-grant-option-allowlisted",
        "grant option to a role",
        set_prop(GRANT, "governance-grant-4", ("permissionsWithGrantOptions",), ["SELECT"]),
    ),
    Mutation(
        "datasci",
        "lf-location-access-only-to-producers",
        "DATA_LOCATION_ACCESS to the execution role",
        set_prop(GRANT, "link-curated-select$", ("permissions",), ["SELECT", "DATA_LOCATION_ACCESS"]),
    ),
    Mutation(
        "datasci",
        "lf-location-access-only-to-producers",
        "DATA_LOCATION_ACCESS to the training role",
        set_prop(GRANT, "link-features-select-training", ("permissions",), ["SELECT", "DATA_LOCATION_ACCESS"]),
    ),
    Mutation(
        "datamgmt",
        "lf-sensitive-never-to-consumers",
        "sensitive data shared with data science",
        set_prop(GRANT, "governance-grant-2", ("lfTagPolicy", "expressions", 1, "values"), ["internal", "sensitive"]),
    ),
    Mutation(
        "datamgmt",
        "lf-sensitive-never-to-consumers",
        "a share not constrained by classification",
        set_prop(
            GRANT, "governance-grant-4", ("lfTagPolicy", "expressions"), [{"key": "layer", "values": ["curated"]}]
        ),
    ),
    Mutation(
        "datamgmt",
        "lf-location-data-access-role",
        "the service-linked role",
        set_prop(LOCATION, "locations-raw$", ("useServiceLinkedRole",), True),
    ),
    Mutation(
        "datamgmt",
        "lf-location-no-hybrid-access",
        "hybrid access",
        set_prop(LOCATION, "locations-curated$", ("hybridAccessEnabled",), True),
    ),
    Mutation(
        "datamgmt",
        "lf-location-data-access-role",
        "no data-access role",
        set_prop(LOCATION, "locations-features$", ("roleArn",), DELETE),
    ),
    Mutation(
        "datamgmt",
        "glue-catalog-encryption-at-rest",
        "catalog not encrypted",
        set_prop(
            "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
            "",
            ("dataCatalogEncryptionSettings", "encryptionAtRest", "catalogEncryptionMode"),
            "DISABLED",
        ),
    ),
    Mutation(
        "datamgmt",
        "glue-connection-password-encryption",
        "connection passwords in clear",
        set_prop(
            "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings",
            "",
            ("dataCatalogEncryptionSettings", "connectionPasswordEncryption", "returnConnectionPasswordEncrypted"),
            False,
        ),
    ),
    Mutation(
        "datamgmt",
        "glue-security-configuration-encryption",
        "jobs write S3 unencrypted",
        set_prop(
            "aws:glue/securityConfiguration:SecurityConfiguration",
            "",
            ("encryptionConfiguration", "s3Encryption", "s3EncryptionMode"),
            "DISABLED",
        ),
    ),
    # Studio and its VPC
    Mutation(
        "datasci",
        "studio-domain-vpc-only",
        "public internet Studio",
        set_prop(DOMAIN, "", ("appNetworkAccessType",), "PublicInternetOnly"),
    ),
    Mutation(
        "datamgmt",
        "studio-domain-vpc-only",
        "network mode left to AWS",
        set_prop(DOMAIN, "", ("appNetworkAccessType",), DELETE),
    ),
    Mutation(
        "datasci",
        "studio-domain-security-groups",
        "no default security groups",
        set_prop(DOMAIN, "", ("defaultUserSettings", "securityGroups"), DELETE),
    ),
    Mutation("datasci", "studio-domain-subnets", "no subnets", set_prop(DOMAIN, "", ("subnetIds",), DELETE)),
    Mutation(
        "datasci",
        "studio-profile-security-groups",
        "a profile adds a security group its domain does not use",
        set_prop(
            USER_PROFILE,
            "studio-user-alice",
            ("userSettings", "securityGroups"),
            ["sg-cb502dc95aa51d9a7", "sg-0aaaaaaaaaaaaaaaa"],
        ),
    ),
    Mutation("datasci", "studio-domain-kms", "no customer key", set_prop(DOMAIN, "", ("kmsKeyId",), DELETE)),
    Mutation(
        "datasci",
        "feature-group-offline-store-kms",
        "offline store without KMS",
        set_prop(
            "aws:sagemaker/featureGroup:FeatureGroup", "", ("offlineStoreConfig", "s3StorageConfig", "kmsKeyId"), DELETE
        ),
    ),
    Mutation(
        "datamgmt",
        "feature-group-online-store-kms",
        "online store without KMS",
        set_prop("aws:sagemaker/featureGroup:FeatureGroup", "", ("onlineStoreConfig", "securityConfig"), DELETE),
    ),
    Mutation(
        "datasci",
        "studio-required-vpc-endpoints",
        "no SageMaker API endpoint",
        remove(ENDPOINT, "network-sagemaker-api"),
    ),
    Mutation(
        "datamgmt",
        "studio-required-vpc-endpoints",
        "STS endpoint without private DNS",
        set_prop(ENDPOINT, "network-sts", ("privateDnsEnabled",), False),
    ),
    Mutation("datasci", "studio-required-vpc-endpoints", "no S3 gateway endpoint", remove(ENDPOINT, "network-s3")),
    Mutation(
        "datasci",
        "vpc-no-internet-path",
        "an internet gateway",
        add_beside(
            "aws:ec2/vpc:Vpc", "", "aws:ec2/internetGateway:InternetGateway", "igw", lambda vpc: {"vpcId": vpc.id}
        ),
    ),
    Mutation(
        "datamgmt",
        "vpc-no-internet-path",
        "a default route",
        set_prop(
            "aws:ec2/routeTable:RouteTable",
            "eu-west-1a",
            ("routes",),
            [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-0123456789abcdef0"}],
        ),
    ),
    Mutation("datasci", "vpc-flow-logs", "no flow logs", remove("aws:ec2/flowLog:FlowLog", "")),
    Mutation(
        "datamgmt",
        "vpc-default-security-group-closed",
        "default group allows all egress",
        set_prop(
            "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
            "",
            ("egress",),
            [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
        ),
    ),
    Mutation(
        "datasci",
        "vpc-default-security-group-closed",
        "default group left to AWS",
        remove("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", ""),
    ),
    Mutation(
        "datasci",
        "security-group-no-public-ingress",
        "endpoints open to the world",
        set_prop(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "endpoints-from-studio",
            ("cidrIpv4",),
            "0.0.0.0/0",
        ),
    ),
    # Data protection
    Mutation(
        "datasci",
        "s3-public-access-block",
        "public policies allowed",
        set_prop("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "snapshots", ("blockPublicPolicy",), False),
    ),
    Mutation(
        "tooling",
        "s3-public-access-block",
        "no public access block",
        remove("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "artifacts"),
    ),
    Mutation(
        "datamgmt",
        "s3-kms-encryption",
        "SSE-S3 on a lake bucket",
        set_prop(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "curated",
            ("rules", 0, "applyServerSideEncryptionByDefault"),
            {"sseAlgorithm": "AES256"},
        ),
    ),
    Mutation(
        "tooling",
        "s3-kms-encryption",
        "no encryption configuration",
        remove("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "artifacts"),
    ),
    Mutation(
        "datasci",
        "s3-tls-only",
        "no TLS-only statement",
        edit_json(BUCKET_POLICY, "feature-store-policy", "policy", drop_statement("DenyInsecureTransport")),
    ),
    Mutation("datamgmt", "s3-tls-only", "no bucket policy", remove(BUCKET_POLICY, "raw-policy")),
    Mutation(
        "datamgmt",
        "s3-tls-only",
        "training bucket without the TLS-only statement",
        edit_json(BUCKET_POLICY, "training-policy", "policy", drop_statement("DenyInsecureTransport")),
    ),
    Mutation(
        "tooling", "kms-key-rotation", "rotation off", set_prop("aws:kms/key:Key", "", ("enableKeyRotation",), False)
    ),
    Mutation(
        "tooling",
        "kms-key-no-lockout-bypass",
        "policy lockout safety check bypassed",
        set_prop("aws:kms/key:Key", "", ("bypassPolicyLockoutSafetyCheck",), True),
    ),
    Mutation(
        "datasci",
        "kms-key-not-public",
        "an unconditioned * principal",
        edit_json(
            "aws:kms/key:Key",
            "",
            "policy",
            add_statement(
                {
                    "Sid": "Everyone",
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "kms:Decrypt",
                    "Resource": "*",
                }
            ),
        ),
    ),
    Mutation(
        "datamgmt", "redshift-not-public", "publicly accessible", set_prop(WORKGROUP, "", ("publiclyAccessible",), True)
    ),
    Mutation(
        "datamgmt",
        "redshift-enhanced-vpc-routing",
        "no enhanced VPC routing",
        set_prop(WORKGROUP, "", ("enhancedVpcRouting",), False),
    ),
    Mutation(
        "datamgmt", "redshift-require-ssl", "SSL not required", set_prop(WORKGROUP, "", ("configParameters",), [])
    ),
    Mutation(
        "datamgmt",
        "redshift-kms",
        "AWS owned key",
        set_prop("aws:redshiftserverless/namespace:Namespace", "", ("kmsKeyId",), DELETE),
    ),
    # CI/CD and IAM
    Mutation(
        "tooling",
        "codebuild-not-privileged",
        "privileged build",
        set_prop(PROJECT, "checks", ("environment", "privilegedMode"), True),
    ),
    Mutation(
        "tooling",
        "codebuild-artifacts-kms",
        "AWS managed key",
        set_prop(PROJECT, "cicd-feature-job$", ("encryptionKey",), DELETE),
    ),
    Mutation(
        "tooling",
        "codebuild-logs",
        "logs off",
        set_prop(PROJECT, "checks", ("logsConfig", "cloudwatchLogs", "status"), "DISABLED"),
    ),
    Mutation(
        "tooling",
        "codebuild-no-plaintext-secrets",
        "a plaintext secret",
        set_prop(
            PROJECT,
            "checks",
            ("environment", "environmentVariables"),
            [{"name": "DB_PASSWORD", "value": "hunter2", "type": "PLAINTEXT"}],
        ),
    ),
    Mutation(
        "tooling",
        "codepipeline-artifact-kms",
        "artifacts with the AWS managed key",
        set_prop("aws:codepipeline/pipeline:Pipeline", "production", ("artifactStores", 0, "encryptionKey"), DELETE),
    ),
    Mutation(
        "tooling",
        "iam-no-admin",
        "admin on everything",
        edit_json(
            ROLE_POLICY,
            "tooling-ci-policy",
            "policy",
            add_statement({"Effect": "Allow", "Action": "*", "Resource": "*"}),
        ),
    ),
    Mutation(
        "datasci",
        "iam-no-kms-decrypt-on-all-keys",
        "kms:Decrypt on every key",
        edit_json(
            ROLE_POLICY,
            "studio-execution-policy",
            "policy",
            add_statement({"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}),
        ),
    ),
    Mutation(
        "datamgmt",
        "iam-no-service-wildcard",
        "s3:* on every bucket",
        edit_json(
            ROLE_POLICY,
            "job-execution-policy",
            "policy",
            add_statement({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        ),
    ),
    Mutation(
        "datasci",
        "iam-no-service-wildcard",
        "sagemaker:* for the training role",
        edit_json(
            ROLE_POLICY,
            "-training-policy",
            "policy",
            add_statement({"Effect": "Allow", "Action": "sagemaker:*", "Resource": "*"}),
        ),
    ),
    Mutation(
        "datasci",
        "iam-trust-no-wildcard-principal",
        "anyone may assume the runner",
        edit_json(
            "aws:iam/role:Role",
            "feature-runner",
            "assumeRolePolicy",
            lambda d: d["Statement"][0].update({"Principal": {"AWS": "*"}}),
        ),
    ),
    Mutation(
        "datasci",
        "iam-trust-github-oidc-pinned",
        "GitHub OIDC of any repository may assume the runner",
        edit_json(
            "aws:iam/role:Role",
            "feature-runner",
            "assumeRolePolicy",
            lambda d: d["Statement"][0].update(
                {"Principal": {"Federated": GITHUB_OIDC}, "Action": "sts:AssumeRoleWithWebIdentity"}
            ),
        ),
    ),
    Mutation(
        "datamgmt",
        "iam-trust-no-account-root",
        "the tooling account root may assume the deployer",
        edit_json(
            "aws:iam/role:Role",
            "feature-deployer",
            "assumeRolePolicy",
            lambda d: d["Statement"][0].update({"Principal": {"AWS": "arn:aws:iam::111111111111:root"}}),
        ),
    ),
    Mutation(
        "datamgmt",
        "iam-auditor-read-only",
        "the auditor may write objects",
        edit_json(
            ROLE_POLICY,
            "datamgmt-auditor-policy",
            "policy",
            add_statement({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}),
        ),
    ),
    Mutation(
        "datasci",
        "iam-auditor-read-only",
        "the auditor may read objects",
        edit_json(
            ROLE_POLICY,
            "datasci-auditor-policy",
            "policy",
            add_statement({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
        ),
    ),
    Mutation(
        "datamgmt",
        "iam-auditor-read-only",
        "a managed policy on the auditor",
        set_prop("aws:iam/role:Role", "datamgmt-auditor-role", ("managedPolicyArns",), [READ_ONLY_ACCESS]),
    ),
    Mutation(
        "datasci",
        "iam-auditor-read-only",
        "a managed policy attached to the auditor",
        add_beside(
            "aws:iam/role:Role",
            "datasci-auditor-role",
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
            "datasci-auditor-read-only-access",
            lambda role: {"role": role.id, "policyArn": READ_ONLY_ACCESS},
        ),
    ),
]


@pytest.fixture(scope="module")
def sessions(platform: Preview) -> Iterator[dict[str, PackSession]]:
    packs = discover_packs(ROOT / "policies")
    opened = {stack.result.name: PackSession.for_result(packs, stack.result, {}) for stack in platform.stacks}
    yield opened
    for session in opened.values():
        session.close()


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[f"{m.policy}:{m.what}" for m in MUTATIONS])
def test_each_mutation_of_a_guarded_property_is_caught(
    platform: Preview, sessions: dict[str, PackSession], mutation: Mutation
) -> None:
    """Caught by its own policy, mandatory, and by no other mandatory policy: with one policy per
    guarded property, making one advisory or disabling it hides only that property."""
    original = next(stack.result for stack in platform.stacks if stack.result.name == mutation.stack)
    mutated = replace(original, resources=copy.deepcopy(original.resources))
    touched = mutation.apply(mutated.resources)
    violations = sessions[mutation.stack].analyze(mutated, only=touched)
    caught = [v for v in violations if v.policy == mutation.policy and v.level == "mandatory"]
    assert caught, f"{mutation.what}: no mandatory {mutation.policy}; got {[(v.policy, v.level) for v in violations]}"
    others = sorted({v.policy for v in violations if v.level == "mandatory"} - {mutation.policy})
    assert others == [], f"{mutation.what}: also {others}"


def test_the_unmutated_stacks_pass_every_pack(platform: Preview, sessions: dict[str, PackSession]) -> None:
    for stack in platform.stacks:
        mandatory = [v for v in sessions[stack.result.name].analyze(stack.result) if v.level == "mandatory"]
        assert mandatory == [], stack.result.name


#: Mandatory policies for resource types the program does not create, so there is nothing of ours to
#: mutate; their own tests (tests/policies/) cover them property by property.
NOT_IN_OUR_STACKS = {
    "notebook-instance-no-direct-internet",
    "notebook-instance-in-vpc",
    "notebook-instance-no-root-access",
    "notebook-instance-kms",
    "notebook-instance-imdsv2",
    "sagemaker-model-network-isolation",
    "sagemaker-model-in-vpc",
    "sagemaker-endpoint-config-kms",
    "glue-security-configuration-attached",  # no Glue job or crawler
}


def test_every_mandatory_policy_has_a_mutation() -> None:
    mandatory = {
        policy.name
        for pack in discover_packs(ROOT / "policies")
        for policy in load_rules(pack.name).POLICIES
        if policy.enforcement_level == EnforcementLevel.MANDATORY
    }
    covered = {m.policy for m in MUTATIONS}
    assert mandatory <= covered | NOT_IN_OUR_STACKS, sorted(mandatory - covered - NOT_IN_OUR_STACKS)
    # The list names only real policies, and none that a mutation already covers.
    assert mandatory >= NOT_IN_OUR_STACKS and not NOT_IN_OUR_STACKS & covered
