"""What AWS would decide for a call, a Lake Formation permission or a network connection, read
off the synthesized stacks.

One ``AccessModel`` holds the stacks (tooling, data management, each data science team's,
pre-production's). It answers these kinds of question, each with the evidence that decided it (the
statements, grants, tag assignments, registrations, security group rules and build projects), so
that a person can see why, and a test can remove each piece and watch the answer change:

- ``call``: an API call by a role or an AWS service, through the VPC endpoint of the caller's VPC
  when it starts there: identity policies, the resource's policy (bucket, key, topic, ECR repository,
  model package group, CodeArtifact domain and repository, role trust), the endpoint's policy, both
  sides across accounts;
- ``lake``: a Lake Formation permission on a database or table, through resource links and
  cross-account shares, by named resource or by LF-tag expression against the assigned tags;
  ``location``: data location access on a registered S3 location;
- ``connect``: a TCP connection between security groups (or to a prefix list): the source's
  egress and the destination's ingress;
- ``runs_as``: the role a CodeBuild project's builds run as.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from contracts.endpoints import endpoint_service_name
from offline import EngineError
from offline.access.documents import PolicyDocument, policy_documents, property_of
from offline.access.evaluate import Match, Policy, Request, Value, authorize, principal_account
from offline.mocks import ResourceRecord
from offline.synth import StackResult

ROLE = "aws:iam/role:Role"
BUCKET = "aws:s3/bucket:Bucket"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
GRANT = "aws:lakeformation/permissions:Permissions"
TAGS = "aws:lakeformation/resourceLfTags:ResourceLfTags"
LF_TAG = "aws:lakeformation/lfTag:LfTag"
LOCATION = "aws:lakeformation/resource:Resource"
DATABASE = "aws:glue/catalogDatabase:CatalogDatabase"
BUILD_PROJECT = "aws:codebuild/project:Project"
PACKAGE_REPOSITORY = "aws:codeartifact/repository:Repository"

#: The VPC endpoint (short name, as in the network's config) a call from inside the VPC goes
#: through, by the action's service prefix; some SageMaker actions have endpoints of their own.
ENDPOINT_OF_SERVICE = {
    "s3": "s3",
    "sagemaker": "sagemaker.api",
    "sts": "sts",
    "logs": "logs",
    "kms": "kms",
    "glue": "glue",
    "lakeformation": "lakeformation",
    "athena": "athena",
    "ssm": "ssm",
    "ecr": "ecr.api",
    "cloudwatch": "monitoring",
    "codeartifact": "codeartifact.api",
    "redshift-serverless": "redshift-serverless",
    "redshift-data": "redshift-data",
}
ENDPOINT_OF_ACTION = {
    "sagemaker:getrecord": "sagemaker.featurestore-runtime",
    "sagemaker:batchgetrecord": "sagemaker.featurestore-runtime",
    "sagemaker:putrecord": "sagemaker.featurestore-runtime",
    "sagemaker:deleterecord": "sagemaker.featurestore-runtime",
    "sagemaker:invokeendpoint": "sagemaker.runtime",
    # CodeArtifact has two endpoints: codeartifact.api for its API (GetAuthorizationToken,
    # GetRepositoryEndpoint...), codeartifact.repositories for package managers reading packages
    # (pip's requests, authorized as ReadFromRepository):
    # https://docs.aws.amazon.com/codeartifact/latest/ug/create-vpc-endpoints.html
    "codeartifact:readfromrepository": "codeartifact.repositories",
}
#: A service that hands out STS bearer tokens asks STS for one on its caller's behalf, inside the
#: caller's request to it (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_bearer.html):
#: ``sts:GetServiceBearerToken`` is authorized for the caller with ``sts:AWSServiceName`` naming the
#: service, and from a VPC it comes through that request's endpoint, whose policy must allow it (as
#: CodeArtifact's example endpoint policy does:
#: https://docs.aws.amazon.com/codeartifact/latest/ug/create-vpc-endoint-policy.html). By service name.
BEARER_TOKEN_ENDPOINTS = {"codeartifact.amazonaws.com": "codeartifact.api"}
BEARER_TOKEN = "sts:getservicebearertoken"
HTTPS = 443


class AccessError(EngineError):
    """A question the model cannot answer as asked: an unknown principal, a malformed ARN."""


@dataclass(frozen=True)
class Evidence:
    """One thing a decision rested on, by the resource that holds it."""

    kind: str
    stack: str
    urn: str
    #: The statement's Sid (statements), or the resource's name.
    detail: str
    #: Where: the policy's label (statements), empty otherwise.
    where: str = ""

    def __str__(self) -> str:
        return (
            f"{self.where} statement {self.detail}"
            if self.kind == "statement"
            else f"{self.stack}: {self.kind} {self.detail}"
        )


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str
    evidence: tuple[Evidence, ...] = ()


def all_of(verdicts: Iterable[Verdict]) -> Verdict:
    """Every part must allow; the first refusal explains the whole."""
    collected = list(verdicts)
    for verdict in collected:
        if not verdict.allowed:
            return verdict
    evidence = tuple(dict.fromkeys(e for v in collected for e in v.evidence))
    return Verdict(True, "; ".join(v.reason for v in collected if v.reason), evidence)


def parse_arn(arn: str) -> tuple[str, str, str, str, str]:
    """(partition, service, region, account, resource) of an ARN, or AccessError naming it."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        raise AccessError(f"{arn!r} is not an ARN; expected arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE")
    return parts[1], parts[2], parts[3], parts[4], parts[5]


@dataclass
class _Stack:
    name: str
    account_id: str
    region: str
    records: list[ResourceRecord]
    outputs: Mapping[str, Any]
    #: The stack's configuration as the program read it (keys ``namespace:key``), and its project.
    config: Mapping[str, str] = field(default_factory=dict)
    project: str = ""
    documents: list[PolicyDocument] = field(default_factory=list)

    def of(self, token: str) -> list[ResourceRecord]:
        return [r for r in self.records if r.type == token]


class AccessModel:
    """The stacks as AWS would see them once deployed."""

    def __init__(self, stacks: Sequence[StackResult]) -> None:
        self.stacks = {
            s.name: _Stack(s.name, s.account_id, s.region, list(s.resources), s.outputs, s.config, s.project)
            for s in stacks
        }
        for stack in self.stacks.values():
            stack.documents = policy_documents(stack.name, stack.records)
        self._by_label = {d.label: (s, d) for s in self.stacks.values() for d in s.documents}
        self.roles: dict[str, tuple[_Stack, ResourceRecord]] = {
            str(r.outputs["arn"]): (s, r) for s in self.stacks.values() for r in s.of(ROLE)
        }

    # --- who and what ------------------------------------------------------------------------------

    def stack(self, name: str) -> _Stack:
        return self.stacks[name]

    def stack_of_account(self, account: str) -> _Stack | None:
        return next((s for s in self.stacks.values() if s.account_id == account), None)

    def role_arn(self, name_or_arn: str) -> str:
        """A role of the stacks by ARN or by name (``mlops-datasci-studio-execution``)."""
        if name_or_arn in self.roles:
            return name_or_arn
        found = [arn for arn, (_, r) in self.roles.items() if r.inputs.get("name") == name_or_arn]
        if len(found) > 1:
            # Every data science team's account has the same roles: the name alone is not enough.
            raise AccessError(
                f"principal {name_or_arn!r} is a role of several accounts ({', '.join(sorted(found))}); "
                "expected one of these ARNs"
            )
        if not found:
            known = ", ".join(sorted(str(r.inputs.get("name")) for _, r in self.roles.values()))
            raise AccessError(
                f"principal {name_or_arn!r} is no role of the stacks; expected a role name or ARN ({known}) "
                "or a service principal such as events.amazonaws.com"
            )
        return found[0]

    def identity_policies(self, role_arn: str) -> list[PolicyDocument]:
        stack, role = self.roles[role_arn]
        name = role.inputs.get("name")
        return [d for d in stack.documents if d.kind == "identity" and property_of(d.record, "role") == name]

    # --- API calls -----------------------------------------------------------------------------------

    def call(
        self,
        principal: str,
        action: str,
        resource: str,
        context: Mapping[str, Value] | None = None,
        endpoint: ResourceRecord | None = None,
        external: bool = False,
    ) -> Verdict:
        """One API call, as AWS authorizes it. ``principal`` is a role of the stacks or an AWS
        service principal (``*.amazonaws.com``); ``endpoint`` the VPC endpoint it comes through.
        ``external``: the resource is AWS's own (a SageMaker image repository), whose policy is not
        ours to see; only the caller's side is decided here."""
        if resource != "*":
            parse_arn(resource)
        if principal_account(principal) is not None:
            principal = self.role_arn(principal)
            identity = self.identity_policies(principal)
        elif principal.endswith(".amazonaws.com"):
            identity = []
        else:
            self.role_arn(principal)  # raises, naming what is expected
            identity = []
        owner, document, kind = self._resource_policy(action, resource)
        caller = principal_account(principal)
        shared: Verdict | None = None
        # An action on no resource, or on AWS's own: the caller's side decides.
        if resource == "*" or (external and self.stack_of_account(owner) is None):
            owner = caller or owner
        elif action.lower().startswith("glue:") and caller and owner and owner != caller:
            # The owner's catalog is shared through RAM by Lake Formation's cross-account grants:
            # that share is the catalog's resource policy for the caller's account.
            shared = self._glue_share(caller, resource)
            owner = caller
        endpoint_document = self._endpoint_policy(endpoint) if endpoint is not None else None
        full_context: dict[str, Value] = dict(context or {})
        if endpoint is not None:
            full_context.setdefault("aws:SourceVpce", endpoint.id)
            full_context.setdefault("aws:SourceVpc", str(endpoint.inputs.get("vpcId", "")))
        full_context.setdefault("aws:ViaAWSService", False)
        full_context.setdefault("aws:SecureTransport", True)
        decision = authorize(
            Request(principal, action, resource, full_context),
            identity=[Policy(d.label, d.document) for d in identity],
            resource=Policy(document.label, document.document) if document else None,
            resource_account=owner,
            endpoint=Policy(endpoint_document.label, endpoint_document.document) if endpoint_document else None,
            key_policy=kind == "key",
            trust=kind == "trust",
        )
        verdict = Verdict(decision.allowed, decision.reason, tuple(self._statement(m) for m in decision.matches))
        return verdict if shared is None else all_of([verdict, shared])

    def _glue_share(self, account: str, resource: str) -> Verdict:
        _, _, _, owner, path = parse_arn(resource)
        parts = path.split("/")
        if parts[0] == "catalog":
            return Verdict(True, "the catalog itself is shared with every account a database is shared with")
        if parts[0] not in ("database", "table") or len(parts) < 2:
            return Verdict(False, f"{resource} is not shared through Lake Formation")
        table = parts[2] if parts[0] == "table" and len(parts) > 2 else None
        return self.lake(account, "DESCRIBE", owner, parts[1], table)

    def _statement(self, match: Match) -> Evidence:
        stack, document = self._by_label[match.policy]
        return Evidence("statement", stack.name, document.record.urn, match.statement, match.policy)

    def _endpoint_policy(self, endpoint: ResourceRecord) -> PolicyDocument | None:
        """An endpoint without a policy has AWS's default, full access: no document to apply."""
        return next(
            (d for s in self.stacks.values() for d in s.documents if d.kind == "endpoint" and d.record is endpoint),
            None,
        )

    def _resource_policy(self, action: str, resource: str) -> tuple[str, PolicyDocument | None, str]:
        """(owner account, the resource's policy, its kind) for the resource a call names."""
        if resource == "*":
            return "", None, ""
        _, service, _, account, path = parse_arn(resource)
        kinds = {"s3": "bucket", "kms": "key", "sns": "topic", "ecr": "repository", "sagemaker": "model-package-group"}
        # A role's trust policy is the resource policy of assuming it, and of nothing else.
        kind = "trust" if action.lower() == "sts:assumerole" else kinds.get(service, "")
        if service == "s3":
            bucket = path.split("/", 1)[0]
            for holder in self.stacks.values():
                if any(property_of(b, "bucket") == bucket for b in holder.of(BUCKET)):
                    return (
                        holder.account_id,
                        self._document(holder, "bucket", lambda r: property_of(r, "bucket") == bucket),
                        kind,
                    )
            return "", None, kind  # a bucket of no stack: AWS's or someone else's
        stack = self.stack_of_account(account)
        if service == "codeartifact":
            return (account, *self._package_policy(path, account))
        if stack is None or not kind:
            return account, None, kind
        if kind == "key":
            return account, self._document(stack, kind, lambda r: r.outputs.get("arn") == resource), kind
        if kind == "topic":
            return account, self._document(stack, kind, lambda r: property_of(r, "arn") == resource), kind
        if kind == "repository":
            name = path.removeprefix("repository/")
            return account, self._document(stack, kind, lambda r: property_of(r, "repository") == name), kind
        if kind == "trust":
            return account, self._document(stack, kind, lambda r: r.outputs.get("arn") == resource), kind
        # SageMaker: only model package groups (and their versions) carry a resource policy.
        group = path.split("/")[1] if path.startswith(("model-package-group/", "model-package/")) else None
        if group is None:
            return account, None, ""
        document = self._document(
            stack, kind, lambda r: str(property_of(r, "modelPackageGroupName")).lower() == group.lower()
        )
        return account, document, kind

    def _package_policy(self, path: str, owner: str) -> tuple[PolicyDocument | None, str]:
        """A CodeArtifact domain's or repository's policy (a package's is its repository's), in
        whichever stack set it: a repository's may be another account's than the domain owner's.
        CodeArtifact's resource policies: https://docs.aws.amazon.com/codeartifact/latest/ug/domain-policies.html
        and https://docs.aws.amazon.com/codeartifact/latest/ug/repo-policies.html"""
        kind, _, rest = path.partition("/")
        parts = rest.split("/")
        if kind == "domain" and len(parts) == 1:
            wanted = {"domain": parts[0]}
            kind = "package-domain"
        elif kind in ("repository", "package") and len(parts) >= 2:
            wanted = {"domain": parts[0], "repository": parts[1]}
            kind = "package-repository"
        else:
            return None, ""
        for holder in self.stacks.values():
            document = self._document(
                holder,
                kind,
                lambda r, holder=holder: (
                    (property_of(r, "domainOwner") or holder.account_id) == owner
                    and all(property_of(r, key) == value for key, value in wanted.items())
                ),
            )
            if document is not None:
                return document, kind
        return None, kind

    @staticmethod
    def _document(stack: _Stack, kind: str, matches: Any) -> PolicyDocument | None:
        return next((d for d in stack.documents if d.kind == kind and matches(d.record)), None)

    # --- builds ------------------------------------------------------------------------------------------

    def runs_as(self, stack_name: str, project: str, role_arn: str) -> Verdict:
        """Whether the stack's CodeBuild project ``project`` runs its builds as ``role_arn`` (its
        service role, given by ARN or by name)."""
        stack = self.stacks[stack_name]
        found = next((r for r in stack.of(BUILD_PROJECT) if property_of(r, "name") == project), None)
        if found is None:
            return Verdict(False, f"{stack_name} has no CodeBuild project {project}")
        service_role = str(property_of(found, "serviceRole"))
        if service_role != role_arn and role_arn.rsplit("/", 1)[-1] != service_role:
            return Verdict(False, f"the CodeBuild project {project} runs as {service_role}, not {role_arn}")
        by = Evidence("build project", stack_name, found.urn, found.name)
        return Verdict(True, f"the CodeBuild project {project} runs as {service_role}", (by,))

    # --- the VPC: endpoints and security groups ------------------------------------------------------

    def endpoint_for(
        self, stack_name: str, action: str, context: Mapping[str, Value] | None = None
    ) -> ResourceRecord | None:
        """The endpoint a call of ``action`` from inside the stack's VPC goes through, or None
        (no route: the VPC has no internet path). ``context``: a bearer token's request goes
        through the endpoint of the service named by its ``sts:AWSServiceName``."""
        short = endpoint_name(action, context or {})
        if short is None:
            return None
        stack = self.stacks[stack_name]
        wanted = endpoint_service_name(stack.region, short)
        return next((e for e in stack.of(ENDPOINT) if e.inputs.get("serviceName") == wanted), None)

    def security_group(self, stack_name: str, suffix: str) -> ResourceRecord:
        """A security group of the stack by the end of its resource name (``studio-sg``)."""
        (group,) = [g for g in self.stacks[stack_name].of(SECURITY_GROUP) if g.name.endswith(suffix)]
        return group

    def connect(self, stack_name: str, source: str, port: int, *, group: str = "", prefix_list: str = "") -> Verdict:
        """A TCP connection from security group ``source`` to security group ``group`` (its egress
        and the destination's ingress) or to a gateway endpoint's ``prefix_list`` (egress only)."""
        stack = self.stacks[stack_name]
        peer = {"referencedSecurityGroupId": group} if group else {"prefixListId": prefix_list}
        out = [r for r in stack.of(EGRESS) if _rule_admits(r, source, peer, port)]
        if not out:
            return Verdict(False, f"no egress rule of {source} admits port {port} to {group or prefix_list}")
        evidence = [Evidence("egress rule", stack_name, r.urn, r.name) for r in out]
        if group:
            into = [r for r in stack.of(INGRESS) if _rule_admits(r, group, {"referencedSecurityGroupId": source}, port)]
            if not into:
                return Verdict(False, f"no ingress rule of {group} admits port {port} from {source}")
            evidence += [Evidence("ingress rule", stack_name, r.urn, r.name) for r in into]
        return Verdict(True, f"port {port} open from {source}", tuple(evidence))

    # --- Lake Formation ------------------------------------------------------------------------------

    def lake(self, principal: str, permission: str, catalog: str, database: str, table: str | None = None) -> Verdict:
        """Lake Formation ``permission`` for ``principal`` (a role ARN) on a database (or one of its
        tables) of the ``catalog`` account, following a resource link to its target."""
        stack = self.stack_of_account(catalog)
        if stack is None:
            raise AccessError(f"catalog {catalog!r} is no account of the stacks")
        link = next((d for d in stack.of(DATABASE) if property_of(d, "name") == database), None)
        target = property_of(link, "targetDatabase") if link is not None else None
        if link is not None and target:
            # A link is a database of the caller's own catalog: describing it is granted there.
            described = self._granted(stack, principal, "DESCRIBE", catalog, database, None)
            if not described.allowed:
                return described
            through = Verdict(
                True,
                f"through the resource link {database}",
                (Evidence("resource link", stack.name, link.urn, link.name),),
            )
            return all_of(
                [
                    described,
                    through,
                    self.lake(principal, permission, target["catalogId"], target["databaseName"], table),
                ]
            )
        account = principal_account(principal) or principal
        if account == catalog:
            return self._granted(stack, principal, permission, catalog, database, table)
        if account == principal:  # the consumer account itself: what the owner shared with it
            return self._granted(stack, account, permission, catalog, database, table)
        # Shared across accounts (RAM): the owner grants the account, with the grant option its
        # admin needs, and the account's admin grants the role in its own catalog.
        consumer = self.stack_of_account(account)
        shared = self._granted(stack, account, permission, catalog, database, table, grantable=True)
        if consumer is None or not shared.allowed:
            return shared
        return all_of([shared, self._granted(consumer, principal, permission, catalog, database, table)])

    def _granted(
        self,
        stack: _Stack,
        principal: str,
        permission: str,
        catalog: str,
        database: str,
        table: str | None,
        grantable: bool = False,
    ) -> Verdict:
        what = f"{database}.{table}" if table else database
        for grant in stack.of(GRANT):
            if property_of(grant, "principal") != principal:
                continue
            permissions = set(property_of(grant, "permissions") or ())
            if permission not in permissions and "ALL" not in permissions:
                continue
            if grantable and permission not in set(property_of(grant, "permissionsWithGrantOptions") or ()):
                continue
            evidence = self._grant_covers(stack, grant, catalog, database, table)
            if evidence is not None:
                by = Evidence("grant", stack.name, grant.urn, grant.name)
                return Verdict(True, f"{permission} on {what} granted in {stack.name}", (by, *evidence))
        option = " with the grant option" if grantable else ""
        return Verdict(
            False, f"no Lake Formation grant in {stack.name} gives {principal} {permission} on {what}{option}"
        )

    def _grant_covers(
        self, stack: _Stack, grant: ResourceRecord, catalog: str, database: str, table: str | None
    ) -> tuple[Evidence, ...] | None:
        """None when the grant does not cover the resource; else what else it relies on (tags)."""
        named_db, named_table = property_of(grant, "database"), property_of(grant, "table")
        if table is None and named_db:
            ok = named_db.get("name") == database and (named_db.get("catalogId") or stack.account_id) == catalog
            return () if ok else None
        if table is not None and named_table:
            ok = (
                named_table.get("databaseName") == database
                and (named_table.get("wildcard") or named_table.get("name") == table)
                and (named_table.get("catalogId") or stack.account_id) == catalog
            )
            return () if ok else None
        policy = property_of(grant, "lfTagPolicy")
        if not policy or catalog != stack.account_id:
            return None
        if policy.get("resourceType") != ("TABLE" if table else "DATABASE"):
            return None
        tags, evidence = self.tags_of(stack, database, table)
        for expression in policy.get("expressions", ()):
            if tags.get(expression["key"]) not in expression["values"]:
                return None
        return evidence

    def tags_of(self, stack: _Stack, database: str, table: str | None) -> tuple[dict[str, str], tuple[Evidence, ...]]:
        """The LF-tags a database or table carries (a table inherits its database's, and its own
        override them key by key), with the assignments that gave them. A value the LF-tag does not
        define is no tag at all."""
        vocabulary = {property_of(t, "key"): set(property_of(t, "values") or ()) for t in stack.of(LF_TAG)}
        tags: dict[str, str] = {}
        used: dict[str, Evidence] = {}
        for level in (None, table) if table else (None,):
            for assignment in stack.of(TAGS):
                if not _assigned_to(assignment, database, level):
                    continue
                for tag in property_of(assignment, "lfTags") or ():
                    if tag["value"] in vocabulary.get(tag["key"], set()):
                        tags[tag["key"]] = tag["value"]
                        used[tag["key"]] = Evidence("tag assignment", stack.name, assignment.urn, assignment.name)
        return tags, tuple(dict.fromkeys(used.values()))

    def location(self, principal: str, location: str) -> Verdict:
        """Data location access to an S3 location (bucket ARN) for creating tables over it: needed
        only where Lake Formation governs the location."""
        for stack in self.stacks.values():
            registered = [
                r
                for r in stack.of(LOCATION)
                if location == property_of(r, "arn") or location.startswith(f"{property_of(r, 'arn')}/")
            ]
            if not registered:
                continue
            for grant in stack.of(GRANT):
                place = property_of(grant, "dataLocation") or {}
                if (
                    property_of(grant, "principal") == principal
                    and "DATA_LOCATION_ACCESS" in (property_of(grant, "permissions") or ())
                    and (location == place.get("arn") or location.startswith(f"{place.get('arn')}/"))
                ):
                    by = Evidence("grant", stack.name, grant.urn, grant.name)
                    reason = f"data location access on {location}, registered by {registered[0].name}"
                    return Verdict(True, reason, (by,))
            return Verdict(
                False, f"{location} is a registered location and {principal} has no data location access to it"
            )
        return Verdict(True, f"{location} is not a registered location: S3 permissions alone decide")


def endpoint_name(action: str, context: Mapping[str, Value]) -> str | None:
    """The short name of the VPC endpoint a call of ``action`` with ``context`` goes through."""
    lowered = action.lower()
    if lowered == BEARER_TOKEN:
        service = next((v for k, v in context.items() if k.lower() == "sts:awsservicename"), None)
        if isinstance(service, str) and service in BEARER_TOKEN_ENDPOINTS:
            return BEARER_TOKEN_ENDPOINTS[service]
    return ENDPOINT_OF_ACTION.get(lowered) or ENDPOINT_OF_SERVICE.get(lowered.split(":")[0])


def _rule_admits(rule: ResourceRecord, group: str, peer: Mapping[str, str], port: int) -> bool:
    inputs = rule.inputs
    if inputs.get("securityGroupId") != group:
        return False
    if any(inputs.get(key) != value for key, value in peer.items()):
        return False
    if inputs.get("ipProtocol") == "-1":
        return True
    return inputs.get("ipProtocol") == "tcp" and int(inputs.get("fromPort", -1)) <= port <= int(
        inputs.get("toPort", -1)
    )


def _assigned_to(assignment: ResourceRecord, database: str, table: str | None) -> bool:
    if table is None:
        return (property_of(assignment, "database") or {}).get("name") == database
    named = property_of(assignment, "table") or {}
    return named.get("databaseName") == database and named.get("name") == table
