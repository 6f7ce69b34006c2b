"""Call a pack's policies directly, the way the pack's analyzer server would, with no server.

Props go through pulumi-policy's own ``unknown_checking_proxy``, so a test can put an unknown
sentinel (``pulumi_policy.proxy.UNKNOWN_*``) anywhere and see what a preview would do. Config comes
from the policy's schema defaults unless a test passes its own, as the engine does.
"""

from __future__ import annotations

import copy
import importlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from pulumi_policy import (
    Policy,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import PolicyCustomTimeouts, PolicyResource, PolicyResourceOptions
from pulumi_policy.proxy import unknown_checking_proxy

from tests.conftest import ROOT

POLICIES = ROOT / "policies"
#: With ``changed``: remove the property instead of setting it.
DELETE = object()


def load_rules(pack: str) -> ModuleType:
    """A pack's rule module (``policies/<pack>/<pack_with_underscores>_rules.py``), which lists the
    pack's ``POLICIES``."""
    return load_module(pack, f"{pack.replace('-', '_')}_rules")


def load_module(pack: str, module: str) -> ModuleType:
    """One module of a pack, imported as the pack's own process imports it: with the pack's folder
    first on ``sys.path``, so it finds its helpers and (the Studio pack) its service modules. The
    pack's modules are removed from ``sys.modules`` before and after, so that every pack gets its own
    copies even where two packs' modules could share a name, and a test sees the pack as it is on disk."""
    folder = POLICIES / pack
    local = {path.stem for path in folder.glob("*.py")} - {"__main__"}
    for name in local:
        sys.modules.pop(name, None)
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(module)
    finally:
        sys.path.remove(str(folder))
        for name in local:
            sys.modules.pop(name, None)


def schema_defaults(policy: Policy) -> dict[str, Any]:
    schema = policy.config_schema
    properties = schema.properties if schema is not None else {}
    return {key: spec["default"] for key, spec in properties.items() if "default" in spec}


def _options(parent: str | None = None, protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


def resource_violations(
    policy: ResourceValidationPolicy,
    resource_type: str,
    props: Mapping[str, Any],
    name: str = "subject",
    config: Mapping[str, Any] | None = None,
) -> list[str]:
    """The messages one resource policy reports for one resource."""
    messages: list[str] = []
    urn = f"urn:pulumi:test::project::{resource_type}::{name}"
    args = ResourceValidationArgs(
        resource_type,
        unknown_checking_proxy(dict(props)),
        urn,
        name,
        _options(),
        None,
        {**schema_defaults(policy), **(config or {})},
    )

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    policy.validate(args, report)
    return messages


@dataclass
class Res:
    """A resource of a stack, for stack policies. Dependencies name other resources of the stack."""

    type: str
    name: str
    props: dict[str, Any]
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    parent: str | None = None


def stack_violations(
    policy: StackValidationPolicy,
    resources: Sequence[Res],
    config: Mapping[str, Any] | None = None,
    reported: list[str] | None = None,
) -> list[str]:
    """The messages one stack policy reports for a stack, resources joined as AnalyzeStack joins them.
    ``reported``, when given, collects them as they come: what a policy reported before an unknown
    value stopped it."""
    built = {
        r.name: PolicyResource(
            r.type,
            unknown_checking_proxy(dict(r.props)),
            f"urn:pulumi:test::project::{r.type}::{r.name}",
            r.name,
            _options(),
            None,
            None,
            [],
            {},
        )
        for r in resources
    }
    for r in resources:
        resource = built[r.name]
        resource.parent = built.get(r.parent) if r.parent else None
        for key, names in r.property_dependencies.items():
            resource.property_dependencies[key] = [built[n] for n in names]
            resource.dependencies.extend(built[n] for n in names)
    messages: list[str] = [] if reported is None else reported

    def report(message: str, urn: str | None = None) -> None:
        messages.append(message)

    policy.validate(StackValidationArgs(list(built.values()), {**schema_defaults(policy), **(config or {})}), report)
    return messages


def set_path(props: dict[str, Any], path: Sequence[str | int], value: Any) -> None:
    """Replace the value at ``path`` in ``props`` with a copy of ``value`` (or, with DELETE, remove it)."""
    target: Any = props
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = copy.deepcopy(value)


def changed(props: Mapping[str, Any], path: Sequence[str | int], value: Any) -> dict[str, Any]:
    """A copy of ``props`` with the value at ``path`` replaced (or, with DELETE, removed)."""
    result = copy.deepcopy(dict(props))
    set_path(result, path, value)
    return result


def assert_reported(messages: list[str], *expected: str) -> None:
    """One message holds every expected part, in the "<name>: <property> <problem>; <fix>." shape."""
    assert any(all(part in m for part in expected) for m in messages), messages
    for message in messages:
        assert ": " in message and "; " in message and message.endswith("."), message


def reporting(found: Mapping[str, Sequence[str]]) -> list[str]:
    """The policies (of policy name -> messages) that reported something: with one policy per guarded
    property, a bad property should fail its own policy and no other."""
    return [name for name, messages in found.items() if messages]
