"""The package mirror: a CodeArtifact domain in the tooling account whose ``platform`` repository
serves in-house packages and, through its upstream ``pypi-store`` (external connection
``public:pypi``), PyPI. Studio's lifecycle scripts, the jobs ``ops`` starts and the stacks all
name it through this one type, so the URL pip is given cannot drift from what the stacks create.

CodeArtifact's URLs: https://docs.aws.amazon.com/codeartifact/latest/ug/python-configure-pip.html
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from contracts import InputError, naming
from contracts.regions import REGIONS

#: The domain, in the tooling account.
DOMAIN = f"{naming.PREFIX}-packages"
#: The repository with the external connection to PyPI (a cache: nobody publishes to it).
PYPI_STORE = "pypi-store"
#: The repository everyone reads, for in-house packages, with ``pypi-store`` as its upstream.
PLATFORM = "platform"
#: The external connection of ``pypi-store``.
PUBLIC_PYPI = "public:pypi"
#: The service CodeArtifact's bearer tokens are for (``sts:GetServiceBearerToken``'s condition).
SERVICE = "codeartifact.amazonaws.com"
#: Seconds a token lasts when the lifecycle scripts and jobs ask for one (the default: 12 hours).
TOKEN_SECONDS = 43200


#: CodeArtifact's own patterns (the GetAuthorizationToken and GetRepositoryEndpoint parameters).
_DOMAIN = re.compile(r"[a-z][a-z0-9-]{0,48}[a-z0-9]")
_OWNER = re.compile(r"[0-9]{12}")
_REPOSITORY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,99}")


class MirrorError(InputError):
    """A mirror whose values are not a CodeArtifact domain, account, region and repository."""


@dataclass(frozen=True)
class PackageMirror:
    domain: str
    #: The tooling account, which owns the domain.
    owner: str
    region: str
    repository: str

    def check(self) -> None:
        """Refuse a value that is not a CodeArtifact domain, account, region or repository: the
        values go into a shell script and a job's environment, so nothing else may reach them."""
        checks = (
            ("domain", self.domain, _DOMAIN.fullmatch(self.domain), "2 to 50 lowercase letters, digits and hyphens"),
            ("owner", self.owner, _OWNER.fullmatch(self.owner), "a 12-digit account id"),
            ("region", self.region, self.region in REGIONS, "an AWS region such as eu-west-1"),
            ("repository", self.repository, _REPOSITORY.fullmatch(self.repository), "2 to 100 letters, digits, . _ -"),
        )
        for field, value, ok, expected in checks:
            if not ok:
                raise MirrorError(f"package mirror {field}: {value!r} is not one; expected {expected}")

    @property
    def host(self) -> str:
        return f"{self.domain}-{self.owner}.d.codeartifact.{self.region}.amazonaws.com"

    def index_url(self, token: str = "") -> str:
        """pip's index URL; with a token, the credentials pip sends (user ``aws``)."""
        credentials = f"aws:{token}@" if token else ""
        return f"https://{credentials}{self.host}/pypi/{self.repository}/simple/"

    def domain_arn(self, partition: str) -> str:
        return f"arn:{partition}:codeartifact:{self.region}:{self.owner}:domain/{self.domain}"

    def repository_arn(self, partition: str, repository: str = "") -> str:
        name = repository or self.repository
        return f"arn:{partition}:codeartifact:{self.region}:{self.owner}:repository/{self.domain}/{name}"

    def package_arns(self, partition: str, repository: str = "") -> str:
        """Every package of the repository (``codeartifact:ReadFromRepository`` takes the repository)."""
        name = repository or self.repository
        return f"arn:{partition}:codeartifact:{self.region}:{self.owner}:package/{self.domain}/{name}/*"

    def to_document(self) -> dict[str, str]:
        return {"domain": self.domain, "owner": self.owner, "region": self.region, "repository": self.repository}

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> PackageMirror:
        return cls(
            domain=str(raw["domain"]),
            owner=str(raw["owner"]),
            region=str(raw["region"]),
            repository=str(raw["repository"]),
        )


def platform_mirror(tooling_account: str, region: str) -> PackageMirror:
    """The platform's mirror: the ``platform`` repository of the tooling account's domain."""
    return PackageMirror(domain=DOMAIN, owner=tooling_account, region=region, repository=PLATFORM)
