"""The policy documents the stacks send to AWS, measured as AWS measures them, against AWS's limits.

``documents`` measures every document of each kind in synthesized stacks, with where it is (a role's
inline policies add up); ``largest`` picks the largest of each kind; ``growth`` compares the documents
at several team counts and extrapolates, from the last two, the team count at which each kind would
exceed its limit; ``render`` prints that as a table. Pure: no Pulumi, no AWS.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from offline.synth import StackResult

#: How AWS counts a document against its limit: UTF-8 bytes, characters, or (IAM) characters that
#: are not whitespace. Bytes and characters count the document as the program sends it, whitespace
#: included: an upper bound if the provider compacts the JSON first.
Counting = Literal["bytes", "characters", "non-whitespace characters"]


@dataclass(frozen=True)
class Kind:
    name: str
    #: The resource type and the input that holds the document.
    type: str
    field: str
    limit: int
    counting: Counting
    #: Where AWS documents the limit.
    source: str
    #: IAM limits the aggregate of a role's inline policies: sizes add up per role (the ``role`` input).
    per_role: bool = False

    def measure(self, text: str) -> int:
        if self.counting == "bytes":
            return len(text.encode())
        if self.counting == "characters":
            return len(text)
        return sum(not character.isspace() for character in text)


_IAM_QUOTAS = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html"
KINDS = (
    # "Up to 32 kilobytes (32,768 bytes)"; PutKeyPolicy: "The policy size limit is 32 KiB (32768 bytes)".
    Kind(
        "KMS key policy",
        "aws:kms/key:Key",
        "policy",
        32_768,
        "bytes",
        "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html",
    ),
    # "Bucket policies are limited to 20 KB in size." (taken as 20 KiB).
    Kind(
        "S3 bucket policy",
        "aws:s3/bucketPolicy:BucketPolicy",
        "policy",
        20_480,
        "bytes",
        "https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-iam-policies.html",
    ),
    # "Role policy size cannot exceed 10,240 characters" for the aggregate of a role's inline policies;
    # IAM does not count whitespace (GetAccountSummary: "in non-whitespace characters").
    Kind(
        "IAM role inline policies",
        "aws:iam/rolePolicy:RolePolicy",
        "policy",
        10_240,
        "non-whitespace characters",
        _IAM_QUOTAS,
        per_role=True,
    ),
    # "Role trust policy length": 2,048 characters by default, an adjustable quota (Service Quotas);
    # GetAccountSummary's AssumeRolePolicySizeQuota counts it "in non-whitespace characters".
    Kind(
        "IAM role trust policy",
        "aws:iam/role:Role",
        "assumeRolePolicy",
        2_048,
        "non-whitespace characters",
        _IAM_QUOTAS,
    ),
    # Policy quotas: "Bytes: 30 kb" (Access Analyzer's topicPolicy: maximum length 30720).
    Kind(
        "SNS topic policy",
        "aws:sns/topicPolicy:TopicPolicy",
        "policy",
        30_720,
        "bytes",
        "https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html",
    ),
    # ResourcePolicy: "Maximum length of 20480."
    Kind(
        "SageMaker model package group policy",
        "aws:sagemaker/modelPackageGroupPolicy:ModelPackageGroupPolicy",
        "resourcePolicy",
        20_480,
        "characters",
        "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PutModelPackageGroupPolicy.html",
    ),
    # policyText: "Maximum length of 10240."
    Kind(
        "ECR repository policy",
        "aws:ecr/repositoryPolicy:RepositoryPolicy",
        "policy",
        10_240,
        "characters",
        "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_SetRepositoryPolicy.html",
    ),
)


@dataclass(frozen=True)
class Document:
    kind: Kind
    stack: str
    #: The resource holding the document; for inline policies, the role they add up in.
    resource: str
    size: int

    @property
    def where(self) -> str:
        return f"{self.stack}: {self.resource}"


def documents(stacks: Iterable[StackResult], kinds: Sequence[Kind] = KINDS) -> list[Document]:
    """Every policy document of ``kinds`` in ``stacks``, measured (a role's inline policies as one)."""
    found = []
    for stack in stacks:
        for kind in kinds:
            sizes: dict[str, int] = {}
            for record in stack.resources:
                text = record.inputs.get(kind.field) if record.type == kind.type else None
                if isinstance(text, str):
                    where = str(record.inputs.get("role")) if kind.per_role else record.name
                    sizes[where] = sizes.get(where, 0) + kind.measure(text)
            found += [Document(kind, stack.name, where, size) for where, size in sizes.items()]
    return found


def largest(found: Iterable[Document]) -> dict[str, Document]:
    """The largest document of each kind, by kind name (kinds with no document are left out)."""
    biggest: dict[str, Document] = {}
    for document in found:
        if document.kind.name not in biggest or document.size > biggest[document.kind.name].size:
            biggest[document.kind.name] = document
    return biggest


@dataclass(frozen=True)
class Growth:
    kind: Kind
    #: The largest document of the kind at each team count measured.
    largest: dict[int, Document]
    #: The document that would exceed the limit first (the largest at the last count when none grows),
    #: and the size one more team adds to it, between the last two team counts.
    limiting: Document
    per_team: float
    #: The first team count at which ``limiting`` exceeds the limit, extrapolated linearly from the
    #: last count; None when no document of the kind grows with the teams.
    exceeds_at: int | None


def growth(points: Mapping[int, Sequence[Document]], kinds: Sequence[Kind] = KINDS) -> list[Growth]:
    """How each kind's documents grow over ``points`` (team count -> ``documents``, two counts or more)."""
    (before, n0), (last, n1) = [(points[count], count) for count in sorted(points)[-2:]]
    rows = []
    for kind in kinds:
        biggest = {count: largest(found).get(kind.name) for count, found in sorted(points.items())}
        at_last = biggest[n1]
        if at_last is None:
            continue
        earlier = {(d.stack, d.resource): d.size for d in before if d.kind == kind}
        candidates = [at_last, *(d for d in last if d.kind == kind and (d.stack, d.resource) in earlier)]
        slopes = {d: (d.size - earlier.get((d.stack, d.resource), d.size)) / (n1 - n0) for d in candidates}
        crossings = {d: n1 + math.floor((kind.limit - d.size) / slope) + 1 for d, slope in slopes.items() if slope > 0}
        limiting = min(crossings, key=lambda d: crossings[d]) if crossings else at_last
        rows.append(
            Growth(
                kind,
                {count: d for count, d in biggest.items() if d is not None},
                limiting,
                slopes[limiting],
                crossings.get(limiting),
            )
        )
    return rows


_UNITS = {"bytes": "B", "characters": "chars", "non-whitespace characters": "chars*"}


def render(rows: Sequence[Growth], title: str) -> str:
    """A table: each kind's limit, its largest document at each team count, the size one more team adds,
    and the team count at which it would exceed the limit, with the document that would."""
    counts = sorted({count for row in rows for count in row.largest})
    header = ["document", "limit", *(f"{n} teams" for n in counts), "per team", "exceeds at", "where"]
    cells = [
        [
            row.kind.name,
            f"{row.kind.limit:,} {_UNITS[row.kind.counting]}",
            *(f"{row.largest[n].size:,}" if n in row.largest else "-" for n in counts),
            f"{row.per_team:+.0f}",
            "never" if row.exceeds_at is None else f"{row.exceeds_at} teams",
            row.limiting.where,
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    left = (0, len(header) - 1)
    lines = [title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for line in [header, *cells][1:]:
        padded = [c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))]
        lines.append("  ".join(padded).rstrip())
    lines.append(
        "   sizes: the largest document at each count; per team and where: the document that exceeds first (or\n"
        "   the largest). B: UTF-8 bytes as sent; chars*: characters other than whitespace, as IAM counts."
    )
    return "\n".join(lines)
