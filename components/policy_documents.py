"""IAM, KMS and S3 policy documents as plain dicts: pure, tested without the Pulumi runtime.

Callers serialise them with ``json.dumps`` (inside ``Output.apply`` when an ARN is not yet known);
the program never calls ``get_policy_document``, a provider invoke.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from contracts import package_mirror
from contracts.audit import AUDIT_ACTIONS
from contracts.endpoints import PACKAGE_MIRROR_READ_ACTIONS, S3_GATEWAY_ACTIONS
from contracts.naming import account_root, account_roots
from contracts.package_mirror import PackageMirror

Statement = dict[str, Any]
Document = dict[str, Any]

VERSION = "2012-10-17"


def document(statements: Iterable[Mapping[str, Any]]) -> Document:
    return {"Version": VERSION, "Statement": list(statements)}


def merge_statements(statements: Iterable[Mapping[str, Any]]) -> list[Statement]:
    """One statement per resource and condition: statements that allow or deny on the same
    resources under the same condition become one (the first's Sid, the actions of all). Several
    buckets under one key, say, need the key once; every permission then has exactly one statement
    behind it, and the document stays well under IAM's size limit."""
    merged: dict[str, Statement] = {}
    kept: list[Statement] = []
    for statement in statements:
        if {"Principal", "NotPrincipal", "NotAction", "NotResource"} & set(statement):
            kept.append(dict(statement))
            continue
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        signature = json.dumps([statement["Effect"], sorted(resources), statement.get("Condition")], sort_keys=True)
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if signature in merged:
            first = merged[signature]
            first["Action"] = list(dict.fromkeys([*first["Action"], *actions]))
            continue
        merged[signature] = {**statement, "Action": list(actions)}
        kept.append(merged[signature])
    for statement in kept:
        if isinstance(statement.get("Action"), list) and len(statement["Action"]) == 1:
            statement["Action"] = statement["Action"][0]
    return kept


def service_trust(services: Sequence[str], source_account: str) -> Document:
    """Trust for AWS services acting for this account only (confused-deputy guard)."""
    return document(
        [
            {
                "Sid": "TrustedServices",
                "Effect": "Allow",
                "Principal": {"Service": sorted(services)},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": source_account}},
            }
        ]
    )


def role_trust(role_arn: str) -> Document:
    """Trust for exactly one role of another account, named by its ARN, never by the account root."""
    return document(
        [
            {
                "Sid": "TrustedRole",
                "Effect": "Allow",
                "Principal": {"AWS": role_arn},
                "Action": "sts:AssumeRole",
            }
        ]
    )


def assume_roles(role_arns: Sequence[str]) -> Statement:
    return {"Sid": "AssumeTargetRoles", "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": sorted(role_arns)}


def object_access(bucket_arn: str, key_arn: str, sid: str, write: bool = False, prefix: str = "") -> list[Statement]:
    """Read (and with ``write``, also put) a bucket's objects (under ``prefix``), with the key that
    encrypts them."""
    objects = ["s3:GetObject", "s3:GetObjectVersion", *(["s3:PutObject"] if write else [])]
    crypto = ["kms:Decrypt", "kms:DescribeKey", *(["kms:Encrypt", "kms:GenerateDataKey"] if write else [])]
    return [
        {
            "Sid": f"{sid}List",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": bucket_arn,
        },
        {"Sid": f"{sid}Objects", "Effect": "Allow", "Action": objects, "Resource": f"{bucket_arn}/{prefix}*"},
        {"Sid": f"{sid}Key", "Effect": "Allow", "Action": crypto, "Resource": key_arn},
    ]


def write_logs(partition: str, region: str, account_id: str, log_group_prefix: str) -> Statement:
    return {
        "Sid": "WriteLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [
            f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_prefix}*",
            f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_prefix}*:log-stream:*",
        ],
    }


def kms_key_policy(
    partition: str,
    account_id: str,
    decrypt_roles: Sequence[str] = (),
    logs_region: str | None = None,
    eventbridge_publishes: bool = False,
) -> Document:
    """A key policy that leaves administration to IAM in this account, lets named roles of other
    accounts decrypt, (with ``logs_region``) lets CloudWatch Logs encrypt this account's log groups,
    and (with ``eventbridge_publishes``) lets EventBridge publish to this account's encrypted topics.

    The cross-account roles may not exist yet when this key is created (the tooling stack deploys
    first), and KMS rejects a policy naming a missing principal. So the statement names each other
    account's root as principal and pins the exact roles with ``aws:PrincipalArn``.
    """
    statements: list[Statement] = [
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": account_root(partition, account_id)},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    if decrypt_roles:
        statements.append(
            {
                "Sid": "NamedRolesOfOtherAccountsDecrypt",
                "Effect": "Allow",
                "Principal": {"AWS": account_roots(partition, decrypt_roles)},
                "Action": ["kms:Decrypt", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"ArnEquals": {"aws:PrincipalArn": sorted(decrypt_roles)}},
            }
        )
    if logs_region:
        statements.append(
            {
                "Sid": "CloudWatchLogsEncryptsThisAccountsLogGroups",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{logs_region}.amazonaws.com"},
                # No DescribeKey: it carries no encryption context, so the condition never holds for it.
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": (
                            f"arn:{partition}:logs:{logs_region}:{account_id}:log-group:*"
                        )
                    }
                },
            }
        )
    if eventbridge_publishes:
        # Only for this account's rules (confused deputy): EventBridge's key-policy guidance,
        # https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html
        statements.append(
            {
                "Sid": "EventBridgePublishesToEncryptedTopics",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    return document(statements)


def deny_insecure_transport(bucket_arn: str) -> Statement:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def deny_outside_vpc_endpoint(bucket_arn: str, vpc_endpoint_id: str, exempt_role_arns: Sequence[str]) -> Statement:
    """Refuse object access that does not come through the VPC's S3 endpoint. AWS services acting
    for a caller (Athena, Lake Formation) and the named service roles (the Feature Store writes its
    offline store from AWS's network) are exempt; bucket management is not object access, so
    deployments still work from outside."""
    condition: dict[str, Any] = {
        "StringNotEquals": {"aws:SourceVpce": vpc_endpoint_id},
        "Bool": {"aws:ViaAWSService": "false"},
    }
    if exempt_role_arns:
        condition["ArnNotEquals"] = {"aws:PrincipalArn": sorted(exempt_role_arns)}
    return {
        "Sid": "DenyObjectAccessOutsideVpcEndpoint",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:ListBucket*"],
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": condition,
    }


def allow_access_log_delivery(partition: str, bucket_arn: str, source_account: str) -> Statement:
    """S3 server access logging writes as the logging service, from this account's buckets only."""
    return {
        "Sid": "AllowAccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{bucket_arn}/*",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": source_account},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:s3:::*"},
        },
    }


def allow_roles_read(partition: str, bucket_arn: str, role_arns: Sequence[str]) -> Statement:
    """Let named roles of other accounts read a bucket's objects (their own policies must allow it
    too). As in the key policy, the accounts are the principals and ``aws:PrincipalArn`` pins the
    roles, because S3 rejects a policy naming a role that does not exist yet."""
    return {
        "Sid": "NamedRolesOfOtherAccountsRead",
        "Effect": "Allow",
        "Principal": {"AWS": account_roots(partition, role_arns)},
        "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket", "s3:GetBucketLocation"],
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"ArnEquals": {"aws:PrincipalArn": sorted(role_arns)}},
    }


# --- SageMaker, Lake Formation and the network --------------------------------------------------

#: Statements whose ``Resource`` is ``"*"`` because AWS offers no resource-level permission for
#: their actions. Every other statement names its resources; tests hold the program to this list.
WILDCARD_RESOURCE_SIDS = {
    "EcrAuthorizationToken": "ecr:GetAuthorizationToken takes no resource",
    "LakeFormationDataAccess": "lakeformation:GetDataAccess takes no resource",
    "NetworkDescribe": "the ec2:Describe* actions take no resource",
    "FeatureGroupList": "sagemaker:ListFeatureGroups takes no resource",
    "StudioListAppsAndSpaces": "sagemaker:ListApps and sagemaker:ListSpaces take no resource",
    "PackageMirrorBearerToken": "sts:GetServiceBearerToken takes no resource (its condition names the service)",
    "ReadGuardrailSettings": "the audit reads the settings of every resource of the account, read-only (audit_read)",
}


def sagemaker_arn(partition: str, region: str, account_id: str, resource: str) -> str:
    return f"arn:{partition}:sagemaker:{region}:{account_id}:{resource}"


def pass_roles_to_sagemaker(role_arns: Sequence[str]) -> Statement:
    """Pass exactly these roles, and only to SageMaker."""
    return {
        "Sid": "PassExecutionRoleToSageMaker",
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": sorted(role_arns),
        "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
    }


#: SageMaker job kinds an execution role may start, each only in the VPC and with the customer key.
JobKind = Literal["processing", "training"]


def vpc_jobs(
    partition: str,
    region: str,
    account_id: str,
    subnet_ids: Sequence[str],
    security_group_ids: Sequence[str],
    kms_key_arn: str,
    kind: JobKind = "processing",
) -> list[Statement]:
    """Start processing jobs (Data Wrangler jobs are processing jobs) or training jobs only inside
    the VPC and only with the customer key on their volumes and outputs: a job without them is refused."""
    title = kind.title()
    jobs = sagemaker_arn(partition, region, account_id, f"{kind}-job/*")
    return [
        {
            "Sid": f"{title}JobsInVpcWithKms",
            "Effect": "Allow",
            "Action": f"sagemaker:Create{title}Job",
            "Resource": jobs,
            "Condition": {
                # Null=false: the key must be present; ForAllValues alone would pass an absent key.
                "Null": {
                    "sagemaker:VpcSubnets": "false",
                    "sagemaker:VpcSecurityGroupIds": "false",
                    "sagemaker:VolumeKmsKeyArn": "false",
                    "sagemaker:OutputKmsKeyArn": "false",
                },
                "ForAllValues:StringEquals": {
                    "sagemaker:VpcSubnets": sorted(subnet_ids),
                    "sagemaker:VpcSecurityGroupIds": sorted(security_group_ids),
                },
                # The ...Arn keys: SageMaker's jobs no longer carry the deprecated VolumeKmsKey and
                # OutputKmsKey, so a condition on those would never hold (Service Authorization Reference).
                "StringEquals": {"sagemaker:VolumeKmsKeyArn": kms_key_arn, "sagemaker:OutputKmsKeyArn": kms_key_arn},
            },
        },
        {
            "Sid": f"{title}JobsFollowUp",
            "Effect": "Allow",
            "Action": [
                f"sagemaker:Describe{title}Job",
                f"sagemaker:Stop{title}Job",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
            ],
            "Resource": jobs,
        },
    ]


def vpc_network_interfaces(partition: str, region: str, account_id: str) -> list[Statement]:
    """What SageMaker needs, acting as the execution role, to attach jobs to the VPC."""
    ec2 = f"arn:{partition}:ec2:{region}:{account_id}"
    return [
        {
            "Sid": "NetworkDescribe",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeDhcpOptions",
            ],
            "Resource": "*",
        },
        {
            "Sid": "NetworkInterfaces",
            "Effect": "Allow",
            "Action": [
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
            ],
            "Resource": [f"{ec2}:network-interface/*", f"{ec2}:subnet/*", f"{ec2}:security-group/*"],
        },
    ]


def key_use(kms_key_arn: str) -> Statement:
    """Encrypt and decrypt with one key; grants only for AWS resources (job volumes, Studio storage)."""
    return {
        "Sid": "UseDataKey",
        "Effect": "Allow",
        "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        "Resource": kms_key_arn,
    }


def key_decrypt(kms_key_arn: str) -> Statement:
    """Read what one key encrypts, and nothing more."""
    return {
        "Sid": "DecryptWithDataKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:DescribeKey"],
        "Resource": kms_key_arn,
    }


def key_grants_for_aws_resources(kms_key_arn: str) -> Statement:
    return {
        "Sid": "GrantDataKeyToAwsResources",
        "Effect": "Allow",
        "Action": "kms:CreateGrant",
        "Resource": kms_key_arn,
        "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
    }


def ecr_pull(
    partition: str,
    region: str,
    account_id: str,
    tooling_account_id: str,
    repository: str,
    image_repository_arns: Sequence[str],
) -> list[Statement]:
    """Pull this account's images, the platform's processing images from the tooling account,
    and the SageMaker images the jobs run (``image_repository_arns``: exact repositories of the AWS
    accounts that publish them in this region, contracts/sagemaker_images.py)."""
    return [
        {"Sid": "EcrAuthorizationToken", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {
            "Sid": "EcrPull",
            "Effect": "Allow",
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
            "Resource": [
                f"arn:{partition}:ecr:{region}:{account_id}:repository/*",
                f"arn:{partition}:ecr:{region}:{tooling_account_id}:repository/{repository}",
                *sorted(image_repository_arns),
            ],
        },
    ]


def offline_store_access(bucket_arn: str, key_arn: str) -> list[Statement]:
    """What SageMaker Feature Store, as a group's role, does to write its offline store: the
    objects (with the key) and their ACLs, and the bucket's ACL.
    https://docs.aws.amazon.com/sagemaker/latest/dg/feature-store-adding-policies.html"""
    return [
        *object_access(bucket_arn, key_arn, "OfflineStore", write=True),
        {"Sid": "OfflineStoreBucketAcl", "Effect": "Allow", "Action": "s3:GetBucketAcl", "Resource": bucket_arn},
        {"Sid": "OfflineStoreObjectAcl", "Effect": "Allow", "Action": "s3:PutObjectAcl", "Resource": f"{bucket_arn}/*"},
    ]


def feature_store_records(partition: str, region: str, account_id: str, write: bool = True) -> list[Statement]:
    """Read (and with ``write``, put and delete) records of this account's feature groups; the
    groups themselves come from Pulumi."""
    actions = ["sagemaker:DescribeFeatureGroup", "sagemaker:GetRecord", "sagemaker:BatchGetRecord"]
    return [
        {
            "Sid": "FeatureGroupRecords",
            "Effect": "Allow",
            "Action": [*actions, *(["sagemaker:PutRecord", "sagemaker:DeleteRecord"] if write else [])],
            "Resource": sagemaker_arn(partition, region, account_id, "feature-group/*"),
        },
        {"Sid": "FeatureGroupList", "Effect": "Allow", "Action": "sagemaker:ListFeatureGroups", "Resource": "*"},
    ]


def glue_catalog_read(partition: str, region: str, catalog_ids: Sequence[str]) -> list[Statement]:
    """Read the Glue catalog (this account's and, through resource links, other accounts'); Lake
    Formation then decides which data each principal may see."""
    resources = []
    for catalog in sorted(catalog_ids):
        glue = f"arn:{partition}:glue:{region}:{catalog}"
        resources += [f"{glue}:catalog", f"{glue}:database/*", f"{glue}:table/*/*"]
    return [
        {
            "Sid": "GlueCatalogRead",
            "Effect": "Allow",
            "Action": [
                "glue:GetDatabase",
                "glue:GetDatabases",
                "glue:GetTable",
                "glue:GetTables",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:SearchTables",
            ],
            "Resource": resources,
        },
        lake_formation_data_access(),
    ]


def lake_formation_data_access() -> Statement:
    """Ask Lake Formation for temporary credentials to data it has granted."""
    return {
        "Sid": "LakeFormationDataAccess",
        "Effect": "Allow",
        "Action": "lakeformation:GetDataAccess",
        "Resource": "*",
    }


def glue_tables_write(partition: str, region: str, account_id: str, database: str, sid: str) -> Statement:
    """Create and update the tables of one database (the Feature Store's offline tables, a lake layer)."""
    glue = f"arn:{partition}:glue:{region}:{account_id}"
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": ["glue:GetDatabase", "glue:GetTable", "glue:CreateTable", "glue:UpdateTable", "glue:GetPartitions"],
        "Resource": [f"{glue}:catalog", f"{glue}:database/{database}", f"{glue}:table/{database}/*"],
    }


def multipart_writes(bucket_arn: str, sid: str) -> list[Statement]:
    """What Athena needs, beyond reading and putting objects, to write a query's files into a bucket
    (it uploads in parts): https://docs.aws.amazon.com/athena/latest/ug/security-iam-athena.html"""
    return [
        {"Sid": f"{sid}Uploads", "Effect": "Allow", "Action": "s3:ListBucketMultipartUploads", "Resource": bucket_arn},
        {
            "Sid": f"{sid}Parts",
            "Effect": "Allow",
            "Action": ["s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"],
            "Resource": f"{bucket_arn}/*",
        },
    ]


def read_parameter(parameter_arn: str) -> Statement:
    return {"Sid": "ReadJobSettings", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": parameter_arn}


def describe_feature_groups(partition: str, region: str, account_id: str) -> Statement:
    """Check that a feature group exists and read its schema, nothing more."""
    return {
        "Sid": "DescribeFeatureGroups",
        "Effect": "Allow",
        "Action": "sagemaker:DescribeFeatureGroup",
        "Resource": sagemaker_arn(partition, region, account_id, "feature-group/*"),
    }


def sagemaker_pipelines(partition: str, region: str, account_id: str, name_prefixes: Sequence[str]) -> Statement:
    """Upsert, start and follow the platform's SageMaker pipelines, by name prefix."""
    pipelines = [sagemaker_arn(partition, region, account_id, f"pipeline/{prefix}*") for prefix in name_prefixes]
    return {
        "Sid": "PlatformPipelines",
        "Effect": "Allow",
        "Action": [
            "sagemaker:CreatePipeline",
            "sagemaker:UpdatePipeline",
            "sagemaker:DescribePipeline",
            "sagemaker:DescribePipelineDefinitionForExecution",
            "sagemaker:StartPipelineExecution",
            "sagemaker:StopPipelineExecution",
            "sagemaker:DescribePipelineExecution",
            "sagemaker:ListPipelineExecutions",
            "sagemaker:ListPipelineExecutionSteps",
            "sagemaker:AddTags",
            "sagemaker:ListTags",
        ],
        "Resource": [arn for pipeline in pipelines for arn in (pipeline, f"{pipeline}/execution/*")],
    }


def redshift_credentials(workgroup_arn: str) -> Statement:
    """Connect to one Redshift Serverless workgroup with IAM credentials (the database then decides
    what the user may read)."""
    return {
        "Sid": "RedshiftWorkgroupCredentials",
        "Effect": "Allow",
        "Action": ["redshift-serverless:GetCredentials", "redshift-serverless:GetWorkgroup"],
        "Resource": workgroup_arn,
    }


def athena_queries(partition: str, region: str, account_id: str, *workgroups: str) -> Statement:
    """Run and read queries in the workgroups, whose configuration (result location, key) is enforced."""
    arns = [f"arn:{partition}:athena:{region}:{account_id}:workgroup/{workgroup}" for workgroup in workgroups]
    return {
        "Sid": "AthenaWorkgroupQueries",
        "Effect": "Allow",
        "Action": [
            "athena:GetWorkGroup",
            "athena:StartQueryExecution",
            "athena:GetQueryExecution",
            "athena:GetQueryResults",
            "athena:StopQueryExecution",
        ],
        "Resource": arns[0] if len(arns) == 1 else arns,
    }


def studio_apps(partition: str, region: str, account_id: str, domain_id: str) -> list[Statement]:
    """Manage the apps and spaces of one Studio domain: Studio acts as the execution role. Listing
    takes no resource (it is filtered by domain in the request), so it is a statement of its own."""

    def arn(resource: str) -> str:
        return sagemaker_arn(partition, region, account_id, resource)

    return [
        {
            "Sid": "StudioListAppsAndSpaces",
            "Effect": "Allow",
            "Action": ["sagemaker:ListApps", "sagemaker:ListSpaces"],
            "Resource": "*",
        },
        {
            "Sid": "StudioAppsOfThisDomain",
            "Effect": "Allow",
            "Action": [
                "sagemaker:DescribeDomain",
                "sagemaker:DescribeUserProfile",
                "sagemaker:CreateApp",
                "sagemaker:DeleteApp",
                "sagemaker:DescribeApp",
                "sagemaker:CreateSpace",
                "sagemaker:UpdateSpace",
                "sagemaker:DeleteSpace",
                "sagemaker:DescribeSpace",
                "sagemaker:AddTags",
                "sagemaker:ListTags",
            ],
            "Resource": [
                arn(f"domain/{domain_id}"),
                arn(f"user-profile/{domain_id}/*"),
                arn(f"app/{domain_id}/*"),
                arn(f"space/{domain_id}/*"),
            ],
        },
    ]


def package_mirror_read(mirror: PackageMirror, partition: str) -> list[Statement]:
    """Install packages from the mirror: a token for its domain, its repository's endpoint and
    packages. CodeArtifact's tokens are STS bearer tokens, asked for with the token (and only for
    CodeArtifact): https://docs.aws.amazon.com/codeartifact/latest/ug/tokens-authentication.html"""
    return [
        {
            "Sid": "PackageMirrorToken",
            "Effect": "Allow",
            "Action": "codeartifact:GetAuthorizationToken",
            "Resource": mirror.domain_arn(partition),
        },
        {
            "Sid": "PackageMirrorRead",
            "Effect": "Allow",
            "Action": ["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
            "Resource": mirror.repository_arn(partition),
        },
        {
            "Sid": "PackageMirrorBearerToken",
            "Effect": "Allow",
            "Action": "sts:GetServiceBearerToken",
            "Resource": "*",
            "Condition": {"StringEquals": {"sts:AWSServiceName": package_mirror.SERVICE}},
        },
    ]


def package_mirror_policies(
    mirror: PackageMirror, partition: str, reader_arns: Sequence[str]
) -> tuple[Document, Document]:
    """The domain's and the ``platform`` repository's resource policies: the named roles of the other
    accounts (pinned by ``aws:PrincipalArn``, as they may not exist yet) get a token and read, and
    nothing else. A repository's policy is evaluated only for requests to it, so its upstreams need
    none: https://docs.aws.amazon.com/codeartifact/latest/ug/repo-policies.html"""
    principal = {"AWS": account_roots(partition, reader_arns)}
    pinned = {"ArnEquals": {"aws:PrincipalArn": sorted(reader_arns)}}
    domain = document(
        [
            {
                "Sid": "ReadersGetTokens",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "codeartifact:GetAuthorizationToken",
                "Resource": mirror.domain_arn(partition),
                "Condition": pinned,
            }
        ]
    )
    repository = document(
        [
            {
                "Sid": "ReadersRead",
                "Effect": "Allow",
                "Principal": principal,
                "Action": ["codeartifact:GetRepositoryEndpoint", "codeartifact:ReadFromRepository"],
                "Resource": mirror.repository_arn(partition),
                "Condition": pinned,
            }
        ]
    )
    return domain, repository


def package_mirror_endpoint_policy(mirror: PackageMirror, partition: str, account_id: str) -> Document:
    """What the VPC's CodeArtifact endpoints let through: this account's principals reading the
    mirror, and nothing else (the bearer token check happens in the token request, through them):
    https://docs.aws.amazon.com/codeartifact/latest/ug/create-vpc-endoint-policy.html"""
    return document(
        [
            {
                "Sid": "ReadThePackageMirror",
                "Effect": "Allow",
                "Principal": {"AWS": account_root(partition, account_id)},
                "Action": list(PACKAGE_MIRROR_READ_ACTIONS),
                "Resource": [mirror.domain_arn(partition), mirror.repository_arn(partition)],
            },
            {
                "Sid": "CodeArtifactBearerTokens",
                "Effect": "Allow",
                "Principal": {"AWS": account_root(partition, account_id)},
                "Action": "sts:GetServiceBearerToken",
                "Resource": "*",
                "Condition": {"StringEquals": {"sts:AWSServiceName": package_mirror.SERVICE}},
            },
        ]
    )


def s3_gateway_endpoint_policy(partition: str, region: str, bucket_arns: Sequence[str]) -> Document:
    """The S3 gateway endpoint reaches the platform's buckets and the AWS-owned bucket ECR serves
    image layers from, and nothing else: no path to arbitrary buckets (exfiltration) from the VPC.
    Python packages come through the CodeArtifact interface endpoints, which need no S3 bucket."""
    buckets = sorted(bucket_arns)
    return document(
        [
            {
                "Sid": "PlatformBuckets",
                "Effect": "Allow",
                "Principal": "*",
                "Action": list(S3_GATEWAY_ACTIONS),
                "Resource": [*buckets, *(f"{bucket}/*" for bucket in buckets)],
            },
            {
                "Sid": "EcrImageLayers",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:{partition}:s3:::prod-{region}-starport-layer-bucket/*",
            },
        ]
    )


def flow_logs_delivery(log_group_arn: str) -> Statement:
    """What VPC Flow Logs, acting as its delivery role, does to one log group."""
    return {
        "Sid": "DeliverFlowLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        "Resource": [log_group_arn, f"{log_group_arn}:log-stream:*"],
    }


def audit_read() -> list[Statement]:
    """The auditor role's permissions: the settings and metadata ``python -m ops audit`` reads, by
    name (contracts/audit.AUDIT_ACTIONS), and nothing that reads data or changes anything.

    Every resource: the audit's point is to see all of the account's buckets, keys, roles and
    networks, including the ones the platform did not create (as AWS's SecurityAudit policy does).
    """
    return [
        {
            "Sid": "ReadGuardrailSettings",  # in WILDCARD_RESOURCE_SIDS
            "Effect": "Allow",
            "Action": sorted(action for actions in AUDIT_ACTIONS.values() for action in actions),
            "Resource": "*",
        }
    ]
