"""The package mirror in the tooling account: a CodeArtifact domain encrypted with the account key,
a ``<name>-store`` repository per external connection (``public:pypi``: PyPI), and the ``platform``
repository that reads through them and holds in-house packages. The target accounts' Studio, job
and training roles may get a token and read ``platform``; nothing else."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import policy_documents as docs
from contracts.package_mirror import PackageMirror


def store_repository(upstream: str) -> str:
    """The repository that caches an external connection: ``public:pypi`` is ``pypi-store``."""
    return f"{upstream.removeprefix('public:')}-store"


@dataclass(frozen=True)
class PackageMirrorArgs:
    mirror: PackageMirror
    #: External connections, each cached in a repository of its own (CodeArtifact allows one per repository).
    upstreams: Sequence[str]
    kms_key_arn: pulumi.Input[str]
    #: Roles of other accounts that read the mirror.
    reader_arns: Sequence[str]
    partition: str
    tags: Mapping[str, str] = field(default_factory=dict)
    protect: bool = True

    def __post_init__(self) -> None:
        if not self.reader_arns:
            raise ValueError("reader_arns: empty; expected the roles that install packages from the mirror")


class PackageMirrorDomain(pulumi.ComponentResource):
    domain_arn: pulumi.Output[str]
    repository_arn: pulumi.Output[str]

    def __init__(self, name: str, args: PackageMirrorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlops:packages:PackageMirror", name, None, opts)
        mirror = args.mirror
        protected = pulumi.ResourceOptions(parent=self, protect=args.protect)
        domain = aws.codeartifact.Domain(
            f"{name}-domain",
            domain=mirror.domain,
            encryption_key=args.kms_key_arn,
            tags=dict(args.tags),
            opts=protected,
        )
        stores = [
            aws.codeartifact.Repository(
                f"{name}-{store_repository(upstream)}",
                repository=store_repository(upstream),
                domain=domain.domain,
                description=f"A cache of {upstream}; nobody publishes here",
                external_connections={"external_connection_name": upstream},
                tags=dict(args.tags),
                opts=protected,
            )
            for upstream in args.upstreams
        ]
        platform = aws.codeartifact.Repository(
            f"{name}-{mirror.repository}",
            repository=mirror.repository,
            domain=domain.domain,
            description="In-house packages, and the stores' through it: what Studio and the jobs install from",
            upstreams=[{"repository_name": store.repository} for store in stores],
            tags=dict(args.tags),
            opts=protected,
        )
        domain_policy, repository_policy = docs.package_mirror_policies(mirror, args.partition, args.reader_arns)
        aws.codeartifact.DomainPermissions(
            f"{name}-domain-policy",
            domain=domain.domain,
            policy_document=json.dumps(domain_policy),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.codeartifact.RepositoryPermissionsPolicy(
            f"{name}-{mirror.repository}-policy",
            domain=domain.domain,
            repository=platform.repository,
            policy_document=json.dumps(repository_policy),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.domain_arn = domain.arn
        self.repository_arn = platform.arn
        self.register_outputs({"domainArn": self.domain_arn, "repositoryArn": self.repository_arn})
