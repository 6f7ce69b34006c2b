"""What every guardrail pack shares: reading properties, unknown values, configuration, policy
documents, stack joins, and descriptions that name their controls.

Each pack runs alone, in its own process and (with the Pulumi CLI) its own virtual environment built
from its requirements.txt, so a pack imports nothing from the program or from another pack. Each pack
therefore holds a copy of this module, byte for byte the same, under the pack's own name
(``<pack>_helpers.py``: four modules of one name would be one module to mypy), and
tests/policies/test_packs.py fails when the copies drift apart. Change one, copy it to the others.

Values unknown during a preview: pulumi-policy wraps a resource's properties in a proxy that raises
``UnknownValueError`` when an unknown value is read. A check that only needs to know a property is
set looks at the keys (``is_set``), so an unknown ARN or id counts as set. A check that needs the value
reads it, and the error makes pulumi-policy report that the policy could not run ("can't run policy
... during preview") rather than pass or fail on a guess. ``Unknowns`` and ``each`` hold that error
back until the policy's other checks have reported: an unknown stops only the check that read it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, NamedTuple, TypeVar, cast

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError

T = TypeVar("T")

# --- reading properties ------------------------------------------------------------------------


class _Absent:
    """A property that is not there (or null): judged by its AWS default."""


class _Unknown:
    """A property whose value is unknown during a preview."""


ABSENT = _Absent()
UNKNOWN = _Unknown()


def peek(props: Any, key: str) -> Any:
    """``key``'s value, ABSENT or UNKNOWN; never raises. Looks for the key among the proxy's keys
    first: ``key in props`` would read the value, and an unknown one would raise."""
    if not isinstance(props, Mapping) or key not in list(props):
        return ABSENT
    try:
        found = props[key]
    except UnknownValueError:
        return UNKNOWN
    return ABSENT if found is None else found


def is_set(props: Any, key: str) -> bool:
    """Presence only, for checks that need no value: an unknown value counts as set; null, "" and
    empty lists or objects (what an unset property's output looks like) do not."""
    found = peek(props, key)
    if found is ABSENT:
        return False
    if found is UNKNOWN:
        return True
    if isinstance(found, str | Sequence | Mapping):
        return len(found) > 0
    return True


def value(props: Any, key: str) -> Any:
    """``key``'s value, None when missing (or ``props`` is not an object); raises UnknownValueError
    when it is unknown."""
    if not isinstance(props, Mapping):
        return None
    return props.get(key)


def block(props: Any, key: str) -> Mapping[str, Any] | None:
    """A nested object, None when missing or not an object; raises when unknown (its fields are needed)."""
    found = value(props, key)
    return found if isinstance(found, Mapping) else None


def obj(found: Any) -> Mapping[str, Any]:
    """A nested object; an empty one when the value is missing or not an object."""
    return found if isinstance(found, Mapping) else {}


def sequence(found: Any) -> Sequence[Any]:
    """A list value as it is (empty when missing or not a list): its elements are read one at a
    time, so those before an unknown one are judged before it raises."""
    return found if isinstance(found, Sequence) and not isinstance(found, str) else []


def objects(found: Any) -> list[Mapping[str, Any]]:
    """The objects of a list value; raises UnknownValueError when the list or an element is unknown."""
    return [item for item in sequence(found) if isinstance(item, Mapping)]


def strings(found: Any) -> list[str]:
    """A string or a list of strings (as in a policy statement), as a list."""
    if isinstance(found, str):
        return [found]
    return [item for item in sequence(found) if isinstance(item, str)]


def is_true(found: Any) -> bool:
    """True, or a string "true" in any case (Redshift parameters are strings)."""
    return found is True or (isinstance(found, str) and found.lower() == "true")


def is_false(found: Any) -> bool:
    return found is False or (isinstance(found, str) and found.lower() == "false")


def shown(found: Any, default: str) -> str:
    """A value as a message shows it: a missing one with its AWS default, a boolean as Pulumi writes it."""
    if found is None:
        return f"not set (AWS defaults to {default})"
    return str(found).lower() if isinstance(found, bool) else repr(found)


def quoted(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in values)


# --- unknown values ------------------------------------------------------------------------------


class Unknowns:
    """``with unknowns:`` around a check that reads a value: an unknown value stops that check only;
    ``reraise()`` at the end raises the first one, so the pack reports that the policy could not run
    after every check that could run has reported."""

    def __init__(self) -> None:
        self.first: UnknownValueError | None = None

    def __enter__(self) -> Unknowns:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool:
        if isinstance(exc, UnknownValueError):
            if self.first is None:
                self.first = exc
            return True
        return False

    def reraise(self) -> None:
        if self.first is not None:
            raise self.first


def each(checks: Iterable[Callable[[], None]]) -> None:
    """Run independent checks; an unknown value stops only the check that read it, and the first one
    is raised once every check has reported."""
    unknowns = Unknowns()
    for check in checks:
        with unknowns:
            check()
    unknowns.reraise()


# --- configuration -------------------------------------------------------------------------------


def setting(args: ResourceValidationArgs | StackValidationArgs, key: str, default: T) -> T:
    """A policy config setting. The engine sends the schema defaults; without them (an engine that
    sends no config) or with a value of the wrong shape, the module's own default applies, which is
    the one the schema publishes."""
    found = (args.get_config() or {}).get(key)
    if found is None:
        return default
    if isinstance(default, list | tuple):
        return cast(T, [str(item) for item in found]) if isinstance(found, list | tuple) else default
    if isinstance(default, Mapping) and not isinstance(found, Mapping):
        return default
    return cast(T, found)


def patterns(policy: str, key: str, values: Sequence[str]) -> list[re.Pattern[str]]:
    """Regular expressions from a config list; a bad one is named with its policy and setting."""
    compiled = []
    for pattern in values:
        try:
            compiled.append(re.compile(pattern))
        except re.error as error:
            raise ValueError(
                f"{policy}: config {key} entry {pattern!r} is not a regular expression: {error}"
            ) from error
    return compiled


def matches(compiled: Sequence[re.Pattern[str]], found: str) -> bool:
    """Whether any pattern is found in the value (searched, not matched whole)."""
    return any(p.search(found) for p in compiled)


# --- policy documents ----------------------------------------------------------------------------


def document(found: Any) -> Mapping[str, Any] | None:
    """A policy document from its JSON string (or an object); None when it is not one."""
    if isinstance(found, str):
        try:
            found = json.loads(found)
        except ValueError:
            return None
    return found if isinstance(found, Mapping) else None


def statements(policy_document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A document's statements: ``Statement`` may be one object or a list."""
    statement = policy_document.get("Statement")
    return [statement] if isinstance(statement, Mapping) else objects(statement)


def is_everyone(principal: Any) -> bool:
    """Principal ``*`` or ``{"AWS": "*"}`` (alone or in a list)."""
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in strings(principal.get("AWS"))


# --- stack joins ---------------------------------------------------------------------------------


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in types]


def known_id(resource: PolicyResource, key: str = "id") -> str | None:
    """A resource's id (or another output naming it) when known; None while unknown or missing."""
    found = peek(resource.props, key)
    return found if isinstance(found, str) and found else None


def by_id(resources: Iterable[PolicyResource], *keys: str) -> dict[str, PolicyResource]:
    """Resources by the known values of ``keys`` (their id, or outputs such as a VPC's main route table)."""
    indexed: dict[str, PolicyResource] = {}
    for resource in resources:
        for key in keys or ("id",):
            known = known_id(resource, key)
            if known is not None:
                indexed.setdefault(known, resource)
    return indexed


def target(
    resource: PolicyResource, key: str, types: Sequence[str], indexed: Mapping[str, PolicyResource]
) -> PolicyResource | str | None:
    """What ``resource``'s ``key`` property names: the resource of one of ``types`` it depends on for
    that property (so it works while ids are unknown); else the resource whose known id equals the
    value; else the value itself (something outside this stack); None when unset. Raises
    UnknownValueError when the value is unknown and no dependency tells."""
    if peek(resource.props, key) is ABSENT:
        return None
    for dependency in resource.property_dependencies.get(key, []):
        if dependency.resource_type in types:
            return dependency
    found = value(resource.props, key)
    if not isinstance(found, str) or not found:
        return None
    return indexed.get(found, found)


# --- descriptions that name their controls -------------------------------------------------------

#: The public rule sets a control id may come from, in the order a description lists them.
CONTROL_SOURCES = ("Security Hub", "Checkov", "AWS Config")
_CONTROL_ID = {
    "Security Hub": r"[A-Za-z0-9]+\.[0-9]+",
    "Checkov": r"CKV2?_AWS_[0-9]+",
    "AWS Config": r"[a-z0-9]+(?:-[a-z0-9]+)+",
}
_CONTROLS = re.compile(r"^(?P<summary>\S.*\.) Controls: (?P<sources>(?:[^;]+; )*)guardrail (?P<guardrail>[0-9]+)\.$")


class Controls(NamedTuple):
    """What a policy's description says it implements: the platform's guardrail number and the
    public controls (by source) that check the same property."""

    summary: str
    guardrail: int
    ids: dict[str, tuple[str, ...]]


def described(
    summary: str,
    guardrail: int,
    *,
    security_hub: Sequence[str] = (),
    checkov: Sequence[str] = (),
    aws_config: Sequence[str] = (),
) -> str:
    """A policy description that ends with its controls, in the one form ``controls_of`` reads back:
    "<summary> Controls: Security Hub CodeBuild.5; Checkov CKV_AWS_316; guardrail 27."."""
    parts = [
        f"{source} {', '.join(ids)}"
        for source, ids in zip(CONTROL_SOURCES, (security_hub, checkov, aws_config), strict=True)
        if ids
    ]
    description = f"{summary} Controls: {''.join(f'{part}; ' for part in parts)}guardrail {guardrail}."
    controls_of(description)  # refuse, when the pack loads, an id that does not look like its source's
    return description


def controls_of(description: str) -> Controls:
    """The controls a description names; ValueError when it does not end in the form ``described`` writes."""
    found = _CONTROLS.match(description)
    if found is None:
        raise ValueError(f"{description!r} does not end with 'Controls: ...; guardrail <number>.'")
    ids: dict[str, tuple[str, ...]] = {}
    for part in found["sources"].split("; ")[:-1]:
        source = next((s for s in CONTROL_SOURCES if part.startswith(f"{s} ")), None)
        if source is None or source in ids:
            raise ValueError(f"{description!r}: {part!r} does not name one of {quoted(CONTROL_SOURCES)} once")
        listed = tuple(part[len(source) + 1 :].split(", "))
        bad = [i for i in listed if not re.fullmatch(_CONTROL_ID[source], i)]
        if bad:
            raise ValueError(f"{description!r}: {quoted(bad)} is not a {source} control id")
        ids[source] = listed
    if list(ids) != [s for s in CONTROL_SOURCES if s in ids]:
        raise ValueError(f"{description!r}: controls are not listed in the order {quoted(CONTROL_SOURCES)}")
    return Controls(found["summary"], int(found["guardrail"]), ids)
