"""The data management account, synthesized: one small test per guarantee it makes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contracts import naming
from offline.engine import StackPreview, preview
from tests.conftest import of_type, one, outputs, shipped_roles

Stack = Callable[[str], StackPreview]
DATASCI_ACCOUNT = "222222222222"
READ_VERBS = ("Get", "List", "Describe", "BatchGet", "Search", "Decrypt", "ReadFrom")


@pytest.fixture(scope="module")
def datamgmt(stack: Stack) -> StackPreview:
    return stack("datamgmt")


def grants(stack: StackPreview) -> list[dict[str, Any]]:
    return [r.inputs for r in of_type(stack, "aws:lakeformation/permissions:Permissions")]


def expression(grant: dict[str, Any]) -> dict[str, list[str]]:
    return {e["key"]: e["values"] for e in grant["lfTagPolicy"]["expressions"]}


def test_settings_keep_iam_allowed_principals_out_and_share_through_ram(datamgmt: StackPreview) -> None:
    settings = one(datamgmt, "aws:lakeformation/dataLakeSettings:DataLakeSettings").inputs
    assert settings["createDatabaseDefaultPermissions"] == []
    assert settings["createTableDefaultPermissions"] == []
    assert settings["parameters"] == {"CROSS_ACCOUNT_VERSION": "4"}


def test_admins_are_as_configured(datamgmt: StackPreview) -> None:
    settings = one(datamgmt, "aws:lakeformation/dataLakeSettings:DataLakeSettings").inputs
    assert settings["admins"] == ["arn:aws:iam::333333333333:role/pulumi-deployer"]


def test_every_lake_location_is_registered_with_the_platforms_role(datamgmt: StackPreview) -> None:
    data_access = one(datamgmt, "aws:iam/role:Role", "lake-data-access").outputs["arn"]
    locations = of_type(datamgmt, "aws:lakeformation/resource:Resource")
    lake = {f"arn:aws:s3:::{bucket}" for bucket in outputs(datamgmt)["lakeBucketNames"].values()}
    assert {location.inputs["arn"] for location in locations} == lake
    for location in locations:
        assert location.inputs["roleArn"] == data_access
        assert location.inputs["useServiceLinkedRole"] is False
        assert location.inputs["hybridAccessEnabled"] is False


def test_lake_databases_follow_config_with_the_feature_store_database(datamgmt: StackPreview) -> None:
    databases = {d.inputs["name"]: d for d in of_type(datamgmt, "aws:glue/catalogDatabase:CatalogDatabase")}
    assert set(databases) == {"mlops_raw", "mlops_curated", "mlops_features"}
    buckets = outputs(datamgmt)["lakeBucketNames"]
    assert databases["mlops_curated"].inputs["locationUri"] == f"s3://{buckets['curated']}/"
    assert all(d.inputs["createTableDefaultPermissions"] == [] and d.protect for d in databases.values())
    assert outputs(datamgmt)["sharedDatabaseNames"] == ["mlops_curated", "mlops_features"]


def test_catalog_is_encrypted_and_jobs_get_an_encrypting_security_configuration(datamgmt: StackPreview) -> None:
    key = outputs(datamgmt)["dataKeyArn"]
    settings = one(datamgmt, "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings").inputs
    at_rest = settings["dataCatalogEncryptionSettings"]["encryptionAtRest"]
    passwords = settings["dataCatalogEncryptionSettings"]["connectionPasswordEncryption"]
    assert at_rest == {"catalogEncryptionMode": "SSE-KMS", "sseAwsKmsKeyId": key}
    assert passwords == {"returnConnectionPasswordEncrypted": True, "awsKmsKeyId": key}
    security = one(datamgmt, "aws:glue/securityConfiguration:SecurityConfiguration").inputs
    encryption = security["encryptionConfiguration"]
    assert encryption["s3Encryption"] == {"s3EncryptionMode": "SSE-KMS", "kmsKeyArn": key}
    assert encryption["cloudwatchEncryption"] == {"cloudwatchEncryptionMode": "SSE-KMS", "kmsKeyArn": key}
    assert encryption["jobBookmarksEncryption"] == {"jobBookmarksEncryptionMode": "CSE-KMS", "kmsKeyArn": key}
    assert security["name"] == outputs(datamgmt)["glueSecurityConfigurationName"]


def test_lf_tags_come_from_config_and_land_on_databases_and_feature_tables(datamgmt: StackPreview) -> None:
    tags = {t.inputs["key"]: t.inputs["values"] for t in of_type(datamgmt, "aws:lakeformation/lfTag:LfTag")}
    assert tags == {"classification": ["public", "internal", "sensitive"], "layer": ["raw", "curated", "features"]}
    assigned: dict[str, dict[str, str]] = {}
    for record in of_type(datamgmt, "aws:lakeformation/resourceLfTags:ResourceLfTags"):
        where = record.inputs.get("database", {}).get("name") or "{databaseName}.{name}".format(
            **record.inputs["table"]
        )
        # One assignment per catalog resource: the provider reads back every tag on the resource,
        # so a second assignment on it would replace (and strip) the first on every update.
        assert where not in assigned, f"{where} has two LF-tag assignments"
        assigned[where] = {tag["key"]: tag["value"] for tag in record.inputs["lfTags"]}
    assert assigned == {
        "mlops_raw": {"layer": "raw", "classification": "internal"},
        "mlops_curated": {"layer": "curated", "classification": "internal"},
        "mlops_features": {"layer": "features", "classification": "internal"},
        "mlops_features.customer_churn": {"classification": "internal"},
    }


def test_the_sensitive_value_is_never_granted_to_data_science(datamgmt: StackPreview) -> None:
    readonly = outputs(datamgmt)["readonlyRoleArn"]
    to_data_science = [g for g in grants(datamgmt) if g["principal"] in (DATASCI_ACCOUNT, readonly)]
    assert len(to_data_science) == 4
    for grant in to_data_science:
        classification = expression(grant)["classification"]  # a missing key would match every value
        assert "sensitive" not in classification and classification
        assert set(expression(grant)["layer"]) <= {"curated", "features"}


def test_cross_account_grants_go_to_the_datasci_account_id_with_grant_option(datamgmt: StackPreview) -> None:
    foreign = [g for g in grants(datamgmt) if not g["principal"].startswith("arn:aws:iam::333333333333:")]
    assert foreign and all(g["principal"] == DATASCI_ACCOUNT for g in foreign)
    by_type = {g["lfTagPolicy"]["resourceType"]: g for g in foreign}
    assert by_type["TABLE"]["permissions"] == ["SELECT", "DESCRIBE"]
    assert by_type["TABLE"]["permissionsWithGrantOptions"] == ["SELECT", "DESCRIBE"]
    assert by_type["DATABASE"]["permissions"] == ["DESCRIBE"]


def tag_grants(stack: StackPreview) -> list[dict[str, Any]]:
    return [grant for grant in grants(stack) if "lfTagPolicy" in grant]


def test_no_grant_is_all_and_location_access_is_by_exact_location(datamgmt: StackPreview) -> None:
    for grant in grants(datamgmt):
        assert "ALL" not in grant["permissions"]
        if "DATA_LOCATION_ACCESS" in grant["permissions"]:
            assert grant["permissions"] == ["DATA_LOCATION_ACCESS"] and set(grant) >= {"dataLocation", "principal"}


def test_producers_may_create_tables_over_their_registered_locations(datamgmt: StackPreview) -> None:
    """Creating a table whose data is in a registered location takes DATA_LOCATION_ACCESS on it,
    besides CREATE_TABLE: the Feature Store's role on the features bucket (its offline tables), the
    data engineers' role on raw and curated, and nobody else on anything."""
    role = {r.inputs["name"]: r.outputs["arn"] for r in of_type(datamgmt, "aws:iam/role:Role")}
    buckets = outputs(datamgmt)["lakeBucketNames"]
    located = {
        (grant["principal"], grant["dataLocation"]["arn"])
        for grant in grants(datamgmt)
        if "DATA_LOCATION_ACCESS" in grant["permissions"]
    }
    assert located == {
        (role["mlops-datamgmt-feature-store"], f"arn:aws:s3:::{buckets['features']}"),
        (role["mlops-datamgmt-data-engineering"], f"arn:aws:s3:::{buckets['raw']}"),
        (role["mlops-datamgmt-data-engineering"], f"arn:aws:s3:::{buckets['curated']}"),
    }


def test_feature_groups_wait_for_location_access_and_the_registration(datamgmt: StackPreview) -> None:
    by_urn = {r.urn: r for r in datamgmt.result.resources}
    features = f"arn:aws:s3:::{outputs(datamgmt)['lakeBucketNames']['features']}"

    def waits_for(record: Any) -> set[str]:
        """Everything a resource waits for, through its dependencies and theirs."""
        seen: set[str] = set()
        pending = list(record.dependencies)
        while pending:
            urn = pending.pop()
            if urn not in seen:
                seen.add(urn)
                pending.extend(by_urn[urn].dependencies if urn in by_urn else [])
        return seen

    registration = next(
        r.urn for r in of_type(datamgmt, "aws:lakeformation/resource:Resource") if r.inputs["arn"] == features
    )
    location_grant = one(datamgmt, "aws:lakeformation/permissions:Permissions", "feature-store-location-writer")
    for group in of_type(datamgmt, "aws:sagemaker/featureGroup:FeatureGroup"):
        assert {registration, location_grant.urn} <= waits_for(group), group.name


def test_data_engineers_work_on_raw_and_curated_only(datamgmt: StackPreview) -> None:
    engineering = one(datamgmt, "aws:iam/role:Role", "data-engineering").outputs["arn"]
    theirs = [g for g in tag_grants(datamgmt) if g["principal"] == engineering]
    assert {g["lfTagPolicy"]["resourceType"] for g in theirs} == {"TABLE", "DATABASE"}
    assert all(expression(g) == {"layer": ["raw", "curated"]} for g in theirs)


def test_catalog_databases_come_after_catalog_encryption(datamgmt: StackPreview) -> None:
    """Glue encrypts only metadata written once encryption is on."""
    encryption = one(datamgmt, "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings").urn
    for database in of_type(datamgmt, "aws:glue/catalogDatabase:CatalogDatabase"):
        assert encryption in database.dependencies, database.name


def test_redshift_declares_every_parameter_aws_reports(datamgmt: StackPreview) -> None:
    """The API returns all nine workgroup parameters; declaring fewer is a diff on every preview."""
    workgroup = one(datamgmt, "aws:redshiftserverless/workgroup:Workgroup").inputs
    declared = {p["parameterKey"]: p["parameterValue"] for p in workgroup["configParameters"]}
    assert declared == {
        "auto_mv": "true",
        "datestyle": "ISO, MDY",
        "enable_case_sensitive_identifier": "false",
        "enable_user_activity_logging": "true",
        "query_group": "default",
        "search_path": "$user, public",
        "require_ssl": "true",
        "use_fips_ssl": "false",
        "max_query_execution_time": "14400",
    }


def test_the_offline_store_role_has_the_acl_permissions_aws_documents(stack: Stack) -> None:
    """SageMaker Feature Store's offline-store role: s3:GetBucketAcl and s3:PutObjectAcl besides
    the objects (feature-store-adding-policies)."""
    buckets = {
        "datasci": stack("datasci").result.outputs["featureStoreBucketName"],
        "datamgmt": stack("datamgmt").result.outputs["lakeBucketNames"]["features"],
    }
    for name, bucket in buckets.items():
        record = one(stack(name), "aws:iam/rolePolicy:RolePolicy", "feature-store-role-policy")
        actions = {
            json.dumps(statement["Resource"]): statement["Action"]
            for statement in json.loads(record.inputs["policy"])["Statement"]
        }
        assert "s3:GetBucketAcl" in actions[json.dumps(f"arn:aws:s3:::{bucket}")]
        assert "s3:PutObjectAcl" in actions[json.dumps(f"arn:aws:s3:::{bucket}/*")]


def test_redshift_is_private_encrypted_routed_through_the_vpc_and_ssl_only(datamgmt: StackPreview) -> None:
    workgroup = one(datamgmt, "aws:redshiftserverless/workgroup:Workgroup").inputs
    namespace = one(datamgmt, "aws:redshiftserverless/namespace:Namespace")
    assert workgroup["publiclyAccessible"] is False
    assert workgroup["enhancedVpcRouting"] is True
    assert {"parameterKey": "require_ssl", "parameterValue": "true"} in workgroup["configParameters"]
    assert workgroup["subnetIds"] == outputs(datamgmt)["subnetIds"]
    assert workgroup["securityGroupIds"] == [one(datamgmt, "aws:ec2/securityGroup:SecurityGroup", "warehouse-sg").id]
    assert namespace.inputs["kmsKeyId"] == outputs(datamgmt)["dataKeyArn"]
    assert namespace.inputs["manageAdminPassword"] is True and "adminUserPassword" not in namespace.inputs
    assert namespace.protect


def test_redshift_admits_only_studio(datamgmt: StackPreview) -> None:
    sg = one(datamgmt, "aws:ec2/securityGroup:SecurityGroup", "warehouse-sg").id
    studio = one(datamgmt, "aws:ec2/securityGroup:SecurityGroup", "studio-sg").id
    ingress = [
        r.inputs
        for r in of_type(datamgmt, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs["securityGroupId"] == sg
    ]
    assert [(i["referencedSecurityGroupId"], i["fromPort"]) for i in ingress] == [(studio, 5439)]


def test_online_and_offline_stores_are_encrypted(datamgmt: StackPreview) -> None:
    key = outputs(datamgmt)["dataKeyArn"]
    for group in of_type(datamgmt, "aws:sagemaker/featureGroup:FeatureGroup"):
        assert group.inputs["onlineStoreConfig"]["securityConfig"] == {"kmsKeyId": key}
        assert group.inputs["offlineStoreConfig"]["s3StorageConfig"]["kmsKeyId"] == key
        assert group.inputs["offlineStoreConfig"]["dataCatalogConfig"]["database"] == "mlops_features"
        assert group.protect


def test_read_only_role_has_no_write_action(datamgmt: StackPreview) -> None:
    policy = one(datamgmt, "aws:iam/rolePolicy:RolePolicy", "studio-readonly-policy")
    statements = json.loads(policy.inputs["policy"])["Statement"]
    actions = [a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    assert actions
    for action in actions:
        verb = action.split(":", 1)[1]
        assert verb.startswith(READ_VERBS), action


def test_read_only_studio_is_vpc_only_for_every_data_scientist(datamgmt: StackPreview) -> None:
    domain = one(datamgmt, "aws:sagemaker/domain:Domain").inputs
    assert domain["appNetworkAccessType"] == "VpcOnly"
    assert domain["defaultUserSettings"]["executionRole"] == outputs(datamgmt)["readonlyRoleArn"]
    profiles = of_type(datamgmt, "aws:sagemaker/userProfile:UserProfile")
    assert sorted(p.inputs["userProfileName"] for p in profiles) == ["alice", "bob"]


@pytest.mark.parametrize(
    "token",
    [
        "aws:s3/bucket:Bucket",
        "aws:kms/key:Key",
        "aws:glue/catalogDatabase:CatalogDatabase",
        "aws:sagemaker/featureGroup:FeatureGroup",
        "aws:sagemaker/domain:Domain",
        "aws:redshiftserverless/namespace:Namespace",
    ],
)
def test_stateful_resources_are_protected(datamgmt: StackPreview, token: str) -> None:
    records = of_type(datamgmt, token)
    assert records and all(r.protect for r in records)


def test_deploy_role_trusts_only_the_build_role_of_its_pipeline_and_passes_only_the_job_and_training_roles(
    datamgmt: StackPreview, stack: Stack
) -> None:
    deployer = one(datamgmt, "aws:iam/role:Role", "feature-deployer")
    trust = json.loads(deployer.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"AWS": shipped_roles().build_role(naming.PRODUCTION)}]
    statements = json.loads(one(datamgmt, "aws:iam/rolePolicy:RolePolicy", "feature-deployer-policy").inputs["policy"])[
        "Statement"
    ]
    passes = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert [s["Resource"] for s in passes] == [
        sorted([outputs(datamgmt)["jobExecutionRoleArn"], outputs(datamgmt)["trainingRoleArn"]])
    ]


def test_lake_buckets_refuse_object_access_from_outside_the_vpc_endpoint(datamgmt: StackPreview) -> None:
    gateway = one(datamgmt, "aws:ec2/vpcEndpoint:VpcEndpoint", "network-s3")
    for bucket in outputs(datamgmt)["lakeBucketNames"]:
        policy = json.loads(one(datamgmt, "aws:s3/bucketPolicy:BucketPolicy", f"datamgmt-{bucket}-").inputs["policy"])
        deny = next(s for s in policy["Statement"] if s["Sid"] == "DenyObjectAccessOutsideVpcEndpoint")
        assert deny["Condition"]["StringNotEquals"] == {"aws:SourceVpce": gateway.id}
        exempt = deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
        assert {arn.rsplit("/", 1)[-1] for arn in exempt} == {
            "mlops-datamgmt-lake-data-access",
            "mlops-datamgmt-data-engineering",
            "mlops-datamgmt-feature-store",
        }


def test_catalog_key_lets_the_data_science_roles_read_shared_metadata(datamgmt: StackPreview) -> None:
    key = json.loads(one(datamgmt, "aws:kms/key:Key").inputs["policy"])
    cross = next(s for s in key["Statement"] if s["Sid"] == "NamedRolesOfOtherAccountsDecrypt")
    assert cross["Condition"]["ArnEquals"]["aws:PrincipalArn"] == [
        "arn:aws:iam::222222222222:role/mlops/mlops-datasci-studio-execution",
        "arn:aws:iam::222222222222:role/mlops/mlops-datasci-training",
    ]


def test_a_configured_column_tag_lands_on_those_columns(project_copy: Path) -> None:
    stack_file = project_copy / "Pulumi.datamgmt.yaml"
    stack_file.write_text(
        stack_file.read_text()
        + """  mlops-feature-platform:lfTagAssignments:
    - "raw: layer=raw"
    - "raw: classification=internal"
    - "curated: layer=curated"
    - "curated: classification=internal"
    - "curated.customers.email: classification=sensitive"
"""
    )
    (result,) = preview(project_copy, ["datamgmt"], policies=False).stacks
    columns = [
        r.inputs
        for r in of_type(result, "aws:lakeformation/resourceLfTags:ResourceLfTags")
        if "tableWithColumns" in r.inputs
    ]
    assert columns == [
        {
            "tableWithColumns": {"databaseName": "mlops_curated", "name": "customers", "columnNames": ["email"]},
            "lfTags": [{"key": "classification", "value": "sensitive"}],
        }
    ]


def test_tags_and_grants_wait_only_for_what_they_need(datamgmt: StackPreview) -> None:
    """Needless waits lengthen every deploy: tags and grants need the admin settings, assignments
    also need the databases and tables they tag."""
    by_urn = {r.urn: r for r in datamgmt.result.resources}
    settings = one(datamgmt, "aws:lakeformation/dataLakeSettings:DataLakeSettings").urn
    for tag in of_type(datamgmt, "aws:lakeformation/lfTag:LfTag"):
        assert tag.dependencies == [settings]
    for grant in [g for g in of_type(datamgmt, "aws:lakeformation/permissions:Permissions") if "governance" in g.name]:
        assert {by_urn[d].type for d in grant.dependencies} <= {
            "aws:lakeformation/dataLakeSettings:DataLakeSettings",
            "aws:lakeformation/lfTag:LfTag",
            "aws:iam/role:Role",  # the principal, through the grant's own input
        }
    group = one(datamgmt, "aws:sagemaker/featureGroup:FeatureGroup")
    table_tags = [
        r for r in of_type(datamgmt, "aws:lakeformation/resourceLfTags:ResourceLfTags") if "table" in r.inputs
    ]
    assert table_tags and all(
        group.urn in r.dependencies or any(d.endswith("::datamgmt-feature-store") for d in r.dependencies)
        for r in table_tags
    )
