"""The data science account, synthesized: one small test per guarantee it makes."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from components import policy_documents as docs
from contracts import naming
from contracts.endpoints import DEFAULT_INTERFACE_ENDPOINTS
from offline.engine import Preview, StackPreview
from tests.conftest import of_type, one, outputs, raw_config, shipped_roles

Stack = Callable[[str], StackPreview]
REGION = "eu-west-1"


@pytest.fixture(scope="module")
def datasci(stack: Stack) -> StackPreview:
    return stack("datasci")


def test_studio_domain_is_vpc_only_with_iam_auth_and_the_account_key(datasci: StackPreview) -> None:
    domain = one(datasci, "aws:sagemaker/domain:Domain").inputs
    assert domain["appNetworkAccessType"] == "VpcOnly"
    assert domain["authMode"] == "IAM"
    assert domain["kmsKeyId"] == outputs(datasci)["dataKeyArn"]
    assert domain["vpcId"] == outputs(datasci)["vpcId"]
    assert domain["subnetIds"] == outputs(datasci)["subnetIds"]


def test_studio_apps_spaces_and_profiles_use_only_the_studio_security_group(datasci: StackPreview) -> None:
    studio_sg = one(datasci, "aws:ec2/securityGroup:SecurityGroup", "studio-sg").id
    domain = one(datasci, "aws:sagemaker/domain:Domain").inputs
    assert domain["defaultUserSettings"]["securityGroups"] == [studio_sg]
    assert domain["defaultSpaceSettings"]["securityGroups"] == [studio_sg]
    for profile in of_type(datasci, "aws:sagemaker/userProfile:UserProfile"):
        assert profile.inputs["userSettings"]["securityGroups"] == [studio_sg]


def test_idle_apps_shut_down(datasci: StackPreview) -> None:
    settings = one(datasci, "aws:sagemaker/domain:Domain").inputs["defaultUserSettings"]
    for app in ("jupyterLabAppSettings", "codeEditorAppSettings"):
        idle = settings[app]["appLifecycleManagement"]["idleSettings"]
        assert idle == {"lifecycleManagement": "ENABLED", "idleTimeoutInMinutes": 60}


def test_user_profiles_follow_the_configured_data_scientists(datasci: StackPreview) -> None:
    scientists = json.loads(raw_config("datasci")["mlops-feature-platform:dataScientists"])
    profiles = of_type(datasci, "aws:sagemaker/userProfile:UserProfile")
    assert sorted(p.inputs["userProfileName"] for p in profiles) == sorted(
        naming.studio_profile_name(email) for email in scientists
    )
    execution = outputs(datasci)["executionRoleArn"]
    assert all(p.inputs["userSettings"]["executionRole"] == execution for p in profiles)
    assert all(p.inputs["domainId"] == outputs(datasci)["studioDomainId"] for p in profiles)


def test_no_internet_gateway_nat_or_route_out(datasci: StackPreview) -> None:
    types = {r.type for r in datasci.result.resources}
    forbidden = {
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/natGateway:NatGateway",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
        "aws:ec2/route:Route",
        "aws:ec2/eip:Eip",
    }
    assert not types & forbidden
    tables = of_type(datasci, "aws:ec2/routeTable:RouteTable")
    assert len(tables) == 3
    assert all(not table.inputs.get("routes") for table in tables)
    subnets = of_type(datasci, "aws:ec2/subnet:Subnet")
    assert all(subnet.inputs["mapPublicIpOnLaunch"] is False for subnet in subnets)


def test_one_private_subnet_per_zone_each_with_its_route_table(datasci: StackPreview) -> None:
    subnets = {s.inputs["availabilityZone"]: s.inputs["cidrBlock"] for s in of_type(datasci, "aws:ec2/subnet:Subnet")}
    assert subnets == {"eu-west-1a": "10.20.0.0/20", "eu-west-1b": "10.20.16.0/20", "eu-west-1c": "10.20.32.0/20"}
    associations = of_type(datasci, "aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert {a.inputs["subnetId"] for a in associations} == set(outputs(datasci)["subnetIds"])
    assert len({a.inputs["routeTableId"] for a in associations}) == 3


@pytest.mark.parametrize("endpoint", DEFAULT_INTERFACE_ENDPOINTS)
def test_each_default_interface_endpoint_has_private_dns_in_every_subnet(datasci: StackPreview, endpoint: str) -> None:
    service = f"aws.sagemaker.{REGION}.studio" if endpoint == "studio" else f"com.amazonaws.{REGION}.{endpoint}"
    (record,) = [r for r in of_type(datasci, "aws:ec2/vpcEndpoint:VpcEndpoint") if r.inputs["serviceName"] == service]
    assert record.inputs["vpcEndpointType"] == "Interface"
    assert record.inputs["privateDnsEnabled"] is True
    assert record.inputs["subnetIds"] == outputs(datasci)["subnetIds"]
    assert record.inputs["securityGroupIds"] == [one(datasci, "aws:ec2/securityGroup:SecurityGroup", "endpoints-sg").id]


def test_endpoint_security_group_admits_https_from_studio_only(datasci: StackPreview) -> None:
    endpoint_sg = one(datasci, "aws:ec2/securityGroup:SecurityGroup", "endpoints-sg")
    studio_sg = one(datasci, "aws:ec2/securityGroup:SecurityGroup", "studio-sg")
    ingress = [
        r.inputs
        for r in of_type(datasci, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == endpoint_sg.id
    ]
    assert ingress == [
        {**ingress[0], "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "referencedSecurityGroupId": studio_sg.id}
    ]
    assert "cidrIpv4" not in ingress[0]
    assert not endpoint_sg.inputs.get("ingress") and not endpoint_sg.inputs.get("egress")


def test_no_security_group_rule_opens_to_an_address_range(datasci: StackPreview) -> None:
    rules = [
        *of_type(datasci, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
        *of_type(datasci, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"),
    ]
    assert rules
    for rule in rules:
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs, rule.name
        assert rule.inputs.get("referencedSecurityGroupId") or rule.inputs.get("prefixListId"), rule.name


def test_studio_reaches_s3_only_through_the_gateway_prefix_list(datasci: StackPreview) -> None:
    gateway = one(datasci, "aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3")
    to_s3 = one(datasci, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "studio-to-s3")
    assert to_s3.inputs["prefixListId"] == gateway.outputs["prefixListId"]
    assert to_s3.inputs["fromPort"] == to_s3.inputs["toPort"] == 443


def test_default_security_group_is_closed(datasci: StackPreview) -> None:
    default = one(datasci, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup").inputs
    assert default["vpcId"] == outputs(datasci)["vpcId"]
    assert default["ingress"] == [] and default["egress"] == []


def test_flow_logs_go_to_a_kms_encrypted_log_group(datasci: StackPreview) -> None:
    flow = one(datasci, "aws:ec2/flowLog:FlowLog").inputs
    group = one(datasci, "aws:cloudwatch/logGroup:LogGroup")
    assert flow["vpcId"] == outputs(datasci)["vpcId"] and flow["trafficType"] == "ALL"
    assert flow["logDestination"] == group.outputs["arn"]
    assert group.inputs["kmsKeyId"] == outputs(datasci)["dataKeyArn"]
    assert group.inputs["retentionInDays"] == 365
    key = json.loads(one(datasci, "aws:kms/key:Key").inputs["policy"])
    logs = next(s for s in key["Statement"] if s["Sid"] == "CloudWatchLogsEncryptsThisAccountsLogGroups")
    assert logs["Principal"] == {"Service": f"logs.{REGION}.amazonaws.com"}


def test_s3_gateway_endpoint_reaches_only_platform_buckets_and_ecr_layers(datasci: StackPreview) -> None:
    gateway = one(datasci, "aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3").inputs
    assert gateway["vpcEndpointType"] == "Gateway"
    assert len(gateway["routeTableIds"]) == 3
    statements = json.loads(gateway["policy"])["Statement"]
    resources = {r for s in statements for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])}
    expected_buckets = {
        f"arn:aws:s3:::mlops-datasci-{purpose}-222222222222-eu-west-1"
        for purpose in ("snapshots", "feature-store", "feature-jobs", "training")
    }
    assert resources == {
        *expected_buckets,
        *(f"{b}/*" for b in expected_buckets),
        f"arn:aws:s3:::prod-{REGION}-starport-layer-bucket/*",
    }


@pytest.mark.parametrize("purpose", ["snapshots", "feature-store", "feature-jobs", "training"])
def test_data_buckets_refuse_object_access_from_outside_the_vpc_endpoint(datasci: StackPreview, purpose: str) -> None:
    gateway = one(datasci, "aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3")
    policy = json.loads(one(datasci, "aws:s3/bucketPolicy:BucketPolicy", f"datasci-{purpose}-").inputs["policy"])
    deny = next(s for s in policy["Statement"] if s["Sid"] == "DenyObjectAccessOutsideVpcEndpoint")
    assert deny["Effect"] == "Deny" and deny["Condition"]["StringNotEquals"] == {"aws:SourceVpce": gateway.id}
    exempt = deny["Condition"].get("ArnNotEquals", {}).get("aws:PrincipalArn", [])
    outside = {"feature-store": "mlops-datasci-feature-store", "feature-jobs": "mlops-datasci-feature-runner"}
    assert exempt == ([f"arn:aws:iam::222222222222:role/mlops/{outside[purpose]}"] if purpose in outside else [])


def test_kms_on_every_store(datasci: StackPreview) -> None:
    key = outputs(datasci)["dataKeyArn"]
    (group,) = of_type(datasci, "aws:sagemaker/featureGroup:FeatureGroup")
    offline = group.inputs["offlineStoreConfig"]
    assert offline["s3StorageConfig"]["kmsKeyId"] == key
    assert offline["s3StorageConfig"]["s3Uri"] == f"s3://{outputs(datasci)['featureStoreBucketName']}/offline-store"
    assert group.inputs["onlineStoreConfig"]["securityConfig"] == {"kmsKeyId": key}
    assert one(datasci, "aws:sagemaker/domain:Domain").inputs["kmsKeyId"] == key
    for encryption in of_type(
        datasci, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ):
        rule = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        assert rule.get("kmsMasterKeyId") == key or "access-logs" in encryption.name


def test_feature_groups_come_from_the_catalog(datasci: StackPreview) -> None:
    (group,) = of_type(datasci, "aws:sagemaker/featureGroup:FeatureGroup")
    inputs = group.inputs
    assert inputs["featureGroupName"] == "customer-churn"
    assert outputs(datasci)["featureGroupNames"] == ["customer-churn"]
    assert inputs["recordIdentifierFeatureName"] == "customer_id"
    assert inputs["eventTimeFeatureName"] == "event_time"
    assert {"featureName": "customer_id", "featureType": "String"} in inputs["featureDefinitions"]
    assert inputs["onlineStoreConfig"]["ttlDuration"] == {"unit": "Days", "value": 30}
    assert inputs["offlineStoreConfig"]["dataCatalogConfig"]["database"] == "mlops_datasci_feature_store"
    assert inputs["roleArn"] == "arn:aws:iam::222222222222:role/mlops/mlops-datasci-feature-store"
    assert group.inputs["tags"]["mlops:classification"] == "internal"


@pytest.mark.parametrize(
    "token",
    [
        "aws:sagemaker/domain:Domain",
        "aws:sagemaker/featureGroup:FeatureGroup",
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
    ],
)
def test_stateful_resources_are_protected(datasci: StackPreview, token: str) -> None:
    records = of_type(datasci, token)
    assert records and all(r.protect for r in records)
    assert one(datasci, "aws:glue/catalogDatabase:CatalogDatabase", "feature-store-db").protect


def test_lake_formation_governs_new_databases_and_tables(datasci: StackPreview) -> None:
    settings = one(datasci, "aws:lakeformation/dataLakeSettings:DataLakeSettings")
    assert settings.inputs["admins"] == ["arn:aws:iam::222222222222:role/pulumi-deployer"]
    assert settings.inputs["createDatabaseDefaultPermissions"] == []
    assert settings.inputs["createTableDefaultPermissions"] == []
    database = one(datasci, "aws:glue/catalogDatabase:CatalogDatabase", "feature-store-db")
    assert database.inputs["createTableDefaultPermissions"] == []
    grants = of_type(datasci, "aws:lakeformation/permissions:Permissions")
    assert grants and all(settings.urn in g.dependencies for g in grants)


def test_resource_links_point_at_the_shared_databases_of_the_datamgmt_stack(
    datasci: StackPreview, stack: Stack
) -> None:
    datamgmt_account = stack("datamgmt").result.outputs["accountId"]
    link = one(datasci, "aws:glue/catalogDatabase:CatalogDatabase", "link-curated").inputs
    assert link["name"] == "mlops_curated_link"
    assert link["targetDatabase"] == {"catalogId": datamgmt_account, "databaseName": "mlops_curated", "region": REGION}
    execution = outputs(datasci)["executionRoleArn"]
    grants = {g.name: g.inputs for g in of_type(datasci, "aws:lakeformation/permissions:Permissions")}
    assert grants["datasci-link-curated-describe"] == {
        "principal": execution,
        "permissions": ["DESCRIBE"],
        "database": {"name": "mlops_curated_link"},
    }
    select = grants["datasci-link-curated-select"]
    assert select["permissions"] == ["SELECT", "DESCRIBE"]
    assert select["table"] == {"catalogId": datamgmt_account, "databaseName": "mlops_curated", "wildcard": True}


def role_policy(stack: StackPreview, role_part: str) -> list[dict[str, Any]]:
    record = one(stack, "aws:iam/rolePolicy:RolePolicy", f"{role_part}-policy")
    return json.loads(record.inputs["policy"])["Statement"]  # type: ignore[no-any-return]


def test_jobs_started_by_the_execution_role_must_run_in_the_vpc_with_kms(datasci: StackPreview) -> None:
    statements = role_policy(datasci, "studio-execution")
    create = next(s for s in statements if s["Sid"] == "ProcessingJobsInVpcWithKms")
    condition = create["Condition"]
    assert condition["ForAllValues:StringEquals"] == {
        "sagemaker:VpcSubnets": sorted(outputs(datasci)["subnetIds"]),
        "sagemaker:VpcSecurityGroupIds": [one(datasci, "aws:ec2/securityGroup:SecurityGroup", "studio-sg").id],
    }
    key = outputs(datasci)["dataKeyArn"]
    assert condition["StringEquals"] == {"sagemaker:VolumeKmsKeyArn": key, "sagemaker:OutputKmsKeyArn": key}
    assert set(condition["Null"].values()) == {"false"} and len(condition["Null"]) == 4


def pass_to_sagemaker(*role_arns: str) -> dict[str, Any]:
    """The one statement a role that starts SageMaker work may pass roles with, written out: exactly
    these roles, and only to SageMaker."""
    return {
        "Sid": "PassExecutionRoleToSageMaker",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": sorted(role_arns),
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    }


#: Every role of the platform that may pass roles, by stack and the name of its inline policy: the
#: stack export of the role itself, and the exports of the roles it may pass to SageMaker.
PASSING_ROLES = {
    ("datasci", "datasci-studio-execution-policy"): ("executionRoleArn", ["executionRoleArn"]),
    ("datasci", "datasci-training-policy"): ("trainingRoleArn", ["trainingRoleArn"]),
    ("datasci", "datasci-feature-runner-policy"): ("featureRunnerRoleArn", ["executionRoleArn", "trainingRoleArn"]),
    ("datamgmt", "datamgmt-job-execution-policy"): ("jobExecutionRoleArn", ["jobExecutionRoleArn"]),
    ("datamgmt", "datamgmt-training-policy"): ("trainingRoleArn", ["trainingRoleArn"]),
    (
        "datamgmt",
        "datamgmt-feature-deployer-policy",
    ): ("featureDeployerRoleArn", ["jobExecutionRoleArn", "trainingRoleArn"]),
}


def pass_role_statements(platform: Preview) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Every statement of every synthesized policy document that names iam:PassRole, in any input of
    any resource (inline role policies, managed policies, resource policies), by stack and resource."""

    def documents(value: Any) -> list[Any]:
        if isinstance(value, dict):
            return [document for item in value.values() for document in documents(item)]
        if isinstance(value, list):
            return [document for item in value for document in documents(item)]
        if isinstance(value, str) and "iam:PassRole" in value:
            try:
                return [json.loads(value)]
            except ValueError:
                pytest.fail(f"an input names iam:PassRole but is no policy document: {value[:200]}")
        return []

    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for stack in platform.stacks:
        for record in stack.result.resources:
            for document in documents(record.inputs):
                statements = document["Statement"]
                found.setdefault((stack.result.name, record.name), []).extend(
                    s
                    for s in ([statements] if isinstance(statements, dict) else statements)
                    if "iam:PassRole" in json.dumps(s)
                )
    return found


def test_only_the_known_roles_may_pass_roles(platform: Preview) -> None:
    assert sorted(pass_role_statements(platform)) == sorted(PASSING_ROLES)


@pytest.mark.parametrize(("stack_name", "policy"), sorted(PASSING_ROLES))
def test_roles_are_passed_only_to_sagemaker_and_only_the_platforms_own(
    platform: Preview, stack: Stack, stack_name: str, policy: str
) -> None:
    exports = outputs(stack(stack_name))
    owner, passed = PASSING_ROLES[(stack_name, policy)]
    record = one(stack(stack_name), "aws:iam/rolePolicy:RolePolicy", policy)
    assert record.inputs["role"] == exports[owner].rsplit("/", 1)[-1]
    assert pass_role_statements(platform)[(stack_name, policy)] == [pass_to_sagemaker(*(exports[p] for p in passed))]


def test_execution_role_passes_only_itself_and_only_to_sagemaker(datasci: StackPreview) -> None:
    statements = role_policy(datasci, "studio-execution")
    passes = [s for s in statements if "iam:PassRole" in json.dumps(s["Action"])]
    assert passes == [
        {
            "Sid": "PassExecutionRoleToSageMaker",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": [outputs(datasci)["executionRoleArn"]],
            "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        }
    ]


def test_studio_app_rights_are_scoped_to_this_domain(datasci: StackPreview) -> None:
    record = one(datasci, "aws:iam/rolePolicy:RolePolicy", "studio-execution-apps")
    assert record.inputs["role"] == naming.job_execution_role_name("datasci")
    listing, statement = json.loads(record.inputs["policy"])["Statement"]
    domain = outputs(datasci)["studioDomainId"]
    assert all(f"/{domain}" in resource for resource in statement["Resource"])
    # Listing takes no resource; the request names the domain.
    assert listing["Action"] == ["sagemaker:ListApps", "sagemaker:ListSpaces"] and listing["Resource"] == "*"


def test_runner_role_trusts_only_the_build_role_of_its_pipeline_and_runs_only_platform_pipelines(
    datasci: StackPreview, stack: Stack
) -> None:
    runner = one(datasci, "aws:iam/role:Role", "feature-runner")
    trust = json.loads(runner.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"AWS": shipped_roles().build_role("analytics")}]
    statements = role_policy(datasci, "feature-runner")
    pipelines = next(s for s in statements if s["Sid"] == "PlatformPipelines")
    assert pipelines["Resource"] == [
        "arn:aws:sagemaker:eu-west-1:222222222222:pipeline/mlops-feature-*",
        "arn:aws:sagemaker:eu-west-1:222222222222:pipeline/mlops-feature-*/execution/*",
        "arn:aws:sagemaker:eu-west-1:222222222222:pipeline/mlops-training-*",
        "arn:aws:sagemaker:eu-west-1:222222222222:pipeline/mlops-training-*/execution/*",
    ]
    passes = next(s for s in statements if s["Sid"] == "PassExecutionRoleToSageMaker")
    assert passes["Resource"] == sorted([outputs(datasci)["executionRoleArn"], outputs(datasci)["trainingRoleArn"]])
    assert {s["Sid"] for s in statements} == {
        "ToolingArtifactsList",
        "ToolingArtifactsObjects",
        "ToolingArtifactsKey",
        "FeatureJobsList",
        "FeatureJobsObjects",
        "FeatureJobsKey",
        "PlatformPipelines",
        "PassExecutionRoleToSageMaker",
        "ReadJobSettings",
        "DescribeFeatureGroups",
    }


def all_statements(platform: Preview) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for stack in platform.stacks:
        for record in stack.result.resources:
            if record.type == "aws:iam/rolePolicy:RolePolicy":
                found += [(record.name, s) for s in json.loads(record.inputs["policy"])["Statement"]]
    return found


def test_no_iam_statement_allows_every_action_of_a_service(platform: Preview) -> None:
    statements = all_statements(platform)
    assert len(statements) > 30
    for name, statement in statements:
        actions = [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        assert all(action != "*" and not action.endswith(":*") for action in actions), (name, statement["Sid"])


def test_resource_wildcards_only_where_aws_offers_no_resource_level_permission(platform: Preview) -> None:
    for name, statement in all_statements(platform):
        resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        if "*" in resources:
            assert statement["Sid"] in docs.WILDCARD_RESOURCE_SIDS, (name, statement["Sid"])


def test_feature_groups_wait_for_the_grant_that_lets_sagemaker_register_their_tables(datasci: StackPreview) -> None:
    writer = one(datasci, "aws:lakeformation/permissions:Permissions", "feature-store-table-writer")
    assert writer.inputs["permissions"] == ["CREATE_TABLE", "ALTER", "DESCRIBE"]
    assert writer.inputs["principal"] == "arn:aws:iam::222222222222:role/mlops/mlops-datasci-feature-store"
    for group in of_type(datasci, "aws:sagemaker/featureGroup:FeatureGroup"):
        assert writer.urn in group.dependencies


def test_job_settings_are_published_for_the_runner_and_only_it_reads_them(datasci: StackPreview) -> None:
    parameter = one(datasci, "aws:ssm/parameter:Parameter")
    assert parameter.inputs["name"] == "/mlops/feature-jobs/settings"
    values = json.loads(parameter.inputs["value"])
    assert values == {
        "accountId": "222222222222",
        "region": REGION,
        "executionRoleArn": outputs(datasci)["executionRoleArn"],
        "bucket": "mlops-datasci-feature-jobs-222222222222-eu-west-1",
        "subnetIds": outputs(datasci)["subnetIds"],
        "securityGroupIds": [one(datasci, "aws:ec2/securityGroup:SecurityGroup", "studio-sg").id],
        "kmsKeyArn": outputs(datasci)["dataKeyArn"],
        "pipelinePrefix": "mlops-feature-",
        "training": {
            "roleArn": outputs(datasci)["trainingRoleArn"],
            "bucket": "mlops-datasci-training-222222222222-eu-west-1",
            "athenaWorkgroup": "mlops-datasci-training",
            # Labels are curated data, which this account reads through its resource link.
            "curatedDatabase": "mlops_curated_link",
            "modelPackageGroupArn": "arn:aws:sagemaker:eu-west-1:111111111111:model-package-group/mlops-feature-models",
            "pipelinePrefix": "mlops-training-",
        },
        # The jobs install their requirements from the tooling account's mirror.
        "packageMirror": {
            "domain": "mlops-packages",
            "owner": "111111111111",
            "region": REGION,
            "repository": "platform",
        },
    }
    read = next(s for s in role_policy(datasci, "feature-runner") if s["Sid"] == "ReadJobSettings")
    assert read["Resource"] == parameter.outputs["arn"]


def test_studio_and_its_jobs_install_packages_from_the_mirror_and_only_there(datasci: StackPreview) -> None:
    statements = {s["Sid"]: s for s in role_policy(datasci, "studio-execution")}
    domain = "arn:aws:codeartifact:eu-west-1:111111111111:domain/mlops-packages"
    repository = "arn:aws:codeartifact:eu-west-1:111111111111:repository/mlops-packages/platform"
    assert statements["PackageMirrorToken"]["Resource"] == domain
    assert statements["PackageMirrorRead"]["Resource"] == repository
    bearer = statements["PackageMirrorBearerToken"]
    assert bearer["Action"] == "sts:GetServiceBearerToken"
    assert bearer["Condition"] == {"StringEquals": {"sts:AWSServiceName": "codeartifact.amazonaws.com"}}
    # The CodeArtifact endpoints let through reading the mirror, nothing else; the others keep AWS's default.
    endpoints = {
        r.inputs["serviceName"].split(f"{REGION}.", 1)[1]: r
        for r in of_type(datasci, "aws:ec2/vpcEndpoint:VpcEndpoint")
    }
    for name in ("codeartifact.api", "codeartifact.repositories"):
        policy = json.loads(endpoints[name].inputs["policy"])
        resources = [
            r
            for s in policy["Statement"]
            for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
        ]
        assert set(resources) == {domain, repository, "*"}
        assert {
            a for s in policy["Statement"] for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
        } == {
            "codeartifact:GetAuthorizationToken",
            "codeartifact:GetRepositoryEndpoint",
            "codeartifact:ReadFromRepository",
            "sts:GetServiceBearerToken",
        }
    assert "policy" not in endpoints["sagemaker.api"].inputs


def test_snapshots_are_made_in_an_enforced_workgroup_into_a_governed_database(datasci: StackPreview) -> None:
    workgroup = one(datasci, "aws:athena/workgroup:Workgroup", "-snapshots").inputs
    assert workgroup["name"] == "mlops-datasci-snapshots"
    configuration = workgroup["configuration"]
    assert configuration["enforceWorkgroupConfiguration"] is True
    results = configuration["resultConfiguration"]
    assert results["outputLocation"] == f"s3://{outputs(datasci)['snapshotBucketName']}/athena-results/"
    assert results["encryptionConfiguration"] == {
        "encryptionOption": "SSE_KMS",
        "kmsKeyArn": outputs(datasci)["dataKeyArn"],
    }
    database = one(datasci, "aws:glue/catalogDatabase:CatalogDatabase", "snapshots-db")
    assert database.inputs["name"] == naming.SNAPSHOT_DATABASE and database.protect
    assert database.inputs["createTableDefaultPermissions"] == []
    role = outputs(datasci)["executionRoleArn"]
    grants = {
        r.name: r.inputs for r in of_type(datasci, "aws:lakeformation/permissions:Permissions") if "snapshots" in r.name
    }
    assert grants["datasci-snapshots-creator"]["principal"] == role
    assert grants["datasci-snapshots-creator"]["permissions"] == ["CREATE_TABLE", "DESCRIBE"]
    assert grants["datasci-snapshots-tables"]["table"] == {"databaseName": naming.SNAPSHOT_DATABASE, "wildcard": True}
    assert "SELECT" in grants["datasci-snapshots-tables"]["permissions"]
    statements = {s["Sid"]: s for s in role_policy(datasci, "studio-execution")}
    assert statements["AthenaWorkgroupQueries"]["Resource"] == [
        "arn:aws:athena:eu-west-1:222222222222:workgroup/mlops-datasci-training",
        "arn:aws:athena:eu-west-1:222222222222:workgroup/mlops-datasci-snapshots",
    ]
    assert "arn:aws:glue:eu-west-1:222222222222:table/mlops_snapshots/*" in statements["GlueSnapshots"]["Resource"]
