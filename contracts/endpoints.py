"""The VPC endpoints of the platform's private VPCs, by short name (``studio`` is Studio's UI)."""

from __future__ import annotations

#: What VPC-only Studio and its jobs cannot work without; the policy packs require them too
#: (studio-required-vpc-endpoints, guardrail 16 in docs/guardrails.md).
REQUIRED_INTERFACE_ENDPOINTS = (
    "sagemaker.api",
    "sagemaker.runtime",
    "sagemaker.featurestore-runtime",
    "studio",
    "sts",
    "logs",
    "ecr.api",
    "ecr.dkr",
    "kms",
    "glue",
)
#: The configuration's default: the required ones, plus metrics, Lake Formation, Athena, SSM (job
#: settings) and CodeArtifact (Python packages).
DEFAULT_INTERFACE_ENDPOINTS = (
    *REQUIRED_INTERFACE_ENDPOINTS,
    "monitoring",
    "lakeformation",
    "athena",
    "ssm",
    "codeartifact.api",
    "codeartifact.repositories",
)

#: What pip needs, in a VPC, to reach the package mirror (a Python package needs no S3 endpoint:
#: https://docs.aws.amazon.com/codeartifact/latest/ug/create-s3-gateway-endpoint.html).
PACKAGE_MIRROR_ENDPOINTS = ("codeartifact.api", "codeartifact.repositories")
#: What those endpoints' policy lets through: reading the mirror (and, besides, bearer tokens for
#: CodeArtifact alone). The program writes the policy; ``ops audit`` checks nothing wider is live.
PACKAGE_MIRROR_READ_ACTIONS = (
    "codeartifact:GetAuthorizationToken",
    "codeartifact:GetRepositoryEndpoint",
    "codeartifact:ReadFromRepository",
)
#: What the S3 gateway endpoint's policy lets through to the platform's buckets.
S3_GATEWAY_ACTIONS = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts",
    "s3:ListBucket",
    "s3:GetBucketLocation",
)


def endpoint_service_name(region: str, endpoint: str) -> str:
    """The VPC endpoint service name of a short endpoint name; Studio's UI has its own namespace."""
    if endpoint == "studio":
        return f"aws.sagemaker.{region}.studio"
    return f"com.amazonaws.{region}.{endpoint}"
