"""Every IAM policy document a synthesized stack would send to AWS, with a label a person can find.

The checks downstream (``service_authorization``, the access model) reason about documents, not
about Pulumi types; this module is the one place that knows which resource property of which
pulumi-aws v7 type holds a policy, so a new policy-bearing resource is one row in ``SOURCES``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from offline import EngineError
from offline.mocks import ResourceRecord


@dataclass(frozen=True)
class PolicyDocument:
    #: One of "identity", "trust", "bucket", "key", "topic", "repository" (ECR), "model-package-group",
    #: "package-domain" and "package-repository" (CodeArtifact's), "endpoint".
    kind: str
    #: Where a person finds it, e.g. "datasci: role mlops-datasci-training, inline policy datasci-training-policy".
    label: str
    record: ResourceRecord
    document: dict[str, Any]


#: Type token -> (kind, camelCase property holding the JSON document).
SOURCES: Mapping[str, tuple[str, str]] = {
    "aws:iam/rolePolicy:RolePolicy": ("identity", "policy"),
    "aws:iam/role:Role": ("trust", "assumeRolePolicy"),
    "aws:s3/bucketPolicy:BucketPolicy": ("bucket", "policy"),
    "aws:kms/key:Key": ("key", "policy"),
    "aws:sns/topicPolicy:TopicPolicy": ("topic", "policy"),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": ("repository", "policy"),
    "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy": ("model-package-group", "resourcePolicy"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("endpoint", "policy"),
    "aws:codeartifact/domainPermissions:DomainPermissions": ("package-domain", "policyDocument"),
    "aws:codeartifact/repositoryPermissionsPolicy:RepositoryPermissionsPolicy": (
        "package-repository",
        "policyDocument",
    ),
}


def property_of(record: ResourceRecord, name: str) -> Any:
    """Outputs first: they are what the provider would store (and include computed values); inputs otherwise."""
    value = record.outputs.get(name)
    if value is None or value == "":
        value = record.inputs.get(name)
    return value


def _role_policy_label(stack: str, record: ResourceRecord) -> str:
    role = property_of(record, "role") or "?"
    return f"{stack}: role {role}, inline policy {record.name}"


def _trust_label(stack: str, record: ResourceRecord) -> str:
    return f"{stack}: role {property_of(record, 'name') or record.name}, trust policy"


_LABELS: Mapping[str, Callable[[str, ResourceRecord], str]] = {
    "identity": _role_policy_label,
    "trust": _trust_label,
    "bucket": lambda stack, record: f"{stack}: bucket policy {record.name}",
    "key": lambda stack, record: f"{stack}: key policy {record.name}",
    "topic": lambda stack, record: f"{stack}: topic policy {record.name}",
    "repository": lambda stack, record: f"{stack}: repository policy {record.name}",
    "model-package-group": lambda stack, record: f"{stack}: model package group policy {record.name}",
    "endpoint": lambda stack, record: f"{stack}: VPC endpoint policy {record.name}",
    "package-domain": lambda stack, record: f"{stack}: CodeArtifact domain policy {record.name}",
    "package-repository": lambda stack, record: f"{stack}: CodeArtifact repository policy {record.name}",
}


def _parse(stack: str, record: ResourceRecord, prop: str, value: Any) -> dict[str, Any]:
    if isinstance(value, Mapping):
        return dict(value)
    if not isinstance(value, str):
        raise EngineError(
            f"{stack}: {record.type} {record.name}: {prop} is {type(value).__name__}, not a JSON document"
        )
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise EngineError(f"{stack}: {record.type} {record.name}: {prop} is not valid JSON ({error})") from error
    if not isinstance(parsed, dict):
        raise EngineError(f"{stack}: {record.type} {record.name}: {prop} is JSON but not a policy object")
    return parsed


def policy_documents(stack: str, records: Sequence[ResourceRecord]) -> list[PolicyDocument]:
    """The stack's policy documents in resource registration order.

    A property left unset (an interface endpoint without a policy gets AWS's full-access default,
    which the program did not write) yields no document.
    """
    documents: list[PolicyDocument] = []
    for record in records:
        source = SOURCES.get(record.type)
        if source is None:
            continue
        kind, prop = source
        value = property_of(record, prop)
        if value is None or value == "":
            continue
        documents.append(
            PolicyDocument(
                kind=kind,
                label=_LABELS[kind](stack, record),
                record=record,
                document=_parse(stack, record, prop, value),
            )
        )
    return documents
