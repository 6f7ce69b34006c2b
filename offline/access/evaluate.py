"""AWS IAM policy evaluation, offline: which statements apply to a request and what AWS would decide.

The access model needs an answer it can trust without calling AWS, so this follows the documented logic
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html) and refuses
(``PolicyError``) whatever it does not implement rather than guess: a wrong "allowed" hides a broken journey.
Not modelled: SCPs, RCPs, permissions boundaries, session policies, policy variables.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

Value = str | bool | int | float | Sequence[str]


@dataclass(frozen=True)
class Request:
    """One API call as AWS authorizes it. ``principal`` is a role ARN (path included, standing for its
    session) or a service principal such as ``events.amazonaws.com``; ``resource`` is an ARN, or ``"*"``
    for actions without resource types; ``context`` holds condition keys (names case-insensitive)."""

    principal: str
    action: str
    resource: str
    context: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    """A parsed policy document with the label explanations show (which role or resource it belongs to)."""

    label: str
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Match:
    """A statement that took part in a decision; ``statement`` is its Sid, or ``#<index>`` without one."""

    policy: str
    statement: str
    effect: str


@dataclass(frozen=True)
class Decision:
    """The verdict with its evidence: ``matches`` are the denying statements of an explicit deny, the allowing
    statements an allow needed, and empty for an implicit deny (there is nothing to point at)."""

    allowed: bool
    reason: str
    matches: tuple[Match, ...]


class PolicyError(ValueError):
    """A policy the evaluator cannot evaluate: raised, never guessed, so a journey cannot pass by accident."""


def principal_account(principal: str) -> str | None:
    """The account of an ARN principal; None for a service principal, which belongs to no customer account."""
    parts = principal.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" else None


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def _arn_like(pattern: str, value: str) -> bool:
    """ARN matching per colon-separated part, so ``*`` in the region cannot swallow the account.

    The first five parts match one by one; the resource part may hold colons and slashes. A pattern with
    fewer parts whose last part ends in ``*`` expands over the rest, as the Resource element page allows
    ("If the * wildcard is the last character of a resource ARN segment, it can expand to match beyond
    the colon boundaries", reference_policies_elements_resource.html).
    """
    if pattern == "*":
        return True
    pat, val = pattern.split(":", 5), value.split(":", 5)
    if pat[0] != "arn" or val[0] != "arn":
        return _like(pattern, value)
    if len(pat) < len(val) and pat[-1].endswith("*"):
        val = [*val[: len(pat) - 1], ":".join(val[len(pat) - 1 :])]
    return len(pat) == len(val) and all(_like(p, v) for p, v in zip(pat, val, strict=True))


def _resource_matches(pattern: str, resource: str) -> bool:
    # A request on "*" (an action without resource types) is covered only by a statement on "*".
    return pattern == "*" or (resource != "*" and _arn_like(pattern, resource))


_ROOT = re.compile(r"^arn:[^:]+:iam::(\d{12}):root$")


def _principal_kind(element: Any, principal: str, where: str) -> str | None:
    """How a Principal element names the caller: "direct" (itself, or everyone), "account" (its account
    root, which delegates to the account's identity policies), or None."""
    if element == "*":
        return "direct"
    if not isinstance(element, Mapping):
        raise PolicyError(f"{where}: malformed Principal {element!r}")
    account = principal_account(principal)
    kind: str | None = None
    for key, values in element.items():
        if key not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise PolicyError(f"{where}: unknown principal type {key!r}")
        for value in _as_list(values):
            if value == "*" and key == "AWS":
                return "direct"
            if key == "Service" and account is None and str(value).lower() == principal.lower():
                return "direct"
            if key != "AWS" or account is None:
                continue
            if value == principal:
                return "direct"
            root = _ROOT.match(str(value))
            if str(value) == account or (root and root.group(1) == account):
                kind = "account"
    return kind


_OPERATORS: dict[str, Any] = {
    "StringEquals": lambda p, c: c == p,
    "StringEqualsIgnoreCase": lambda p, c: c.casefold() == p.casefold(),
    "StringLike": _like,
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": lambda p, c: c.lower() == p.lower(),
    "NumericEquals": lambda p, c: c == p,
    "NumericLessThan": lambda p, c: c < p,
    "NumericLessThanEquals": lambda p, c: c <= p,
    "NumericGreaterThan": lambda p, c: c > p,
    "NumericGreaterThanEquals": lambda p, c: c >= p,
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _literal(value: Any, where: str) -> str:
    """A policy value as text; policy variables (``${aws:username}``) are refused, since matching them
    literally would quietly skip a Deny that AWS would apply."""
    text = _text(value)
    if "${" in text:
        raise PolicyError(f"{where}: policy variables are not supported: {text!r}")
    return text


def _number(value: Any) -> float | None:
    try:
        return None if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        return None


def _context_values(context: Mapping[str, Value], key: str) -> list[Any] | None:
    """The request's values for a key (names are case-insensitive); None when absent or an empty list."""
    for name, value in context.items():
        if name.lower() == key.lower():
            values = [value] if isinstance(value, str | bool | int | float) else list(value)
            return values or None
    return None


def _parse(operator: str, where: str) -> tuple[str, str, bool]:
    """Split ``ForAnyValue:StringLikeIfExists`` into (set prefix, operator, IfExists), refusing unknown ones."""
    if operator == "Null":
        return "", "Null", False
    prefix, _, name = operator.rpartition(":")
    base = name.removesuffix("IfExists")
    if prefix not in ("", "ForAllValues", "ForAnyValue") or _NEGATED.get(base, base) not in _OPERATORS:
        raise PolicyError(f"{where}: unknown condition operator {operator!r}")
    return prefix, base, base != name


def _condition(operator: str, key: str, policy_values: Any, context: Mapping[str, Value], where: str) -> bool:
    """One key of one operator, per reference_policies_elements_condition_operators.html and
    reference_policies_condition-single-vs-multi-valued-context-keys.html."""
    present = _context_values(context, key)
    prefix, base, if_exists = _parse(operator, where)
    if base == "Null":
        flags = {_text(v).lower() for v in _as_list(policy_values)}
        if not flags <= {"true", "false"}:
            raise PolicyError(f"{where}: Null takes true or false, not {policy_values!r}")
        return ("true" if present is None else "false") in flags
    positive = _NEGATED.get(base, base)
    compare = _OPERATORS[positive]
    convert = _number if positive.startswith("Numeric") else _text
    wanted = [convert(_literal(v, where)) for v in _as_list(policy_values)]
    if None in wanted:
        raise PolicyError(f"{where}: {operator} needs numbers, got {policy_values!r}")

    def hit(value: Any) -> bool:  # does one context value satisfy the (possibly negated) operator?
        got = convert(value)
        matched = got is not None and any(compare(w, got) for w in wanted)
        return matched != (base in _NEGATED)

    if prefix == "ForAllValues":
        return present is None or all(hit(v) for v in present)
    if prefix == "ForAnyValue":
        return (present is None and if_exists) or (present is not None and any(hit(v) for v in present))
    if present is None:
        return if_exists or base in _NEGATED
    # A list-valued key with a plain operator: a positive operator holds if any value matches, a negated
    # one only if no value matches any policy value (the negation of the positive operator).
    if base in _NEGATED:
        return all(hit(v) for v in present)
    return any(hit(v) for v in present)


def _statement_kind(statement: Any, request: Request, check_principal: bool, where: str) -> str | None:
    """How the statement applies to the request ("direct", "account", "identity"), or None if it does not."""
    if not isinstance(statement, Mapping) or statement.get("Effect") not in ("Allow", "Deny"):
        raise PolicyError(f"{where}: malformed statement or Effect {statement!r}")
    block = statement.get("Condition", {})
    if not isinstance(block, Mapping) or not all(isinstance(keys, Mapping) for keys in block.values()):
        raise PolicyError(f"{where}: malformed Condition {block!r}")
    for operator in block:  # checked before matching, so a typo fails every request, not only matching ones
        _parse(operator, where)
    for element, target, matcher in (
        ("Action", request.action, lambda p, v: _like(p, v, ignore_case=True)),
        ("Resource", request.resource, _resource_matches),
    ):
        if element in statement and f"Not{element}" in statement:
            raise PolicyError(f"{where}: both {element} and Not{element}")
        if element in statement:
            if not any(matcher(_literal(p, where), target) for p in _as_list(statement[element])):
                return None
        elif f"Not{element}" in statement:
            if any(matcher(_literal(p, where), target) for p in _as_list(statement[f"Not{element}"])):
                return None
        elif element == "Action":
            raise PolicyError(f"{where}: no Action or NotAction")
    kind = "identity"
    if check_principal:
        if "Principal" in statement:
            found = _principal_kind(statement["Principal"], request.principal, where)
            if found is None:
                return None
            kind = found
        elif "NotPrincipal" in statement:
            # Everyone but the listed: naming the role or its account root excludes the role's session.
            if _principal_kind(statement["NotPrincipal"], request.principal, where) is not None:
                return None
            kind = "direct"
        else:
            raise PolicyError(f"{where}: a resource-based statement needs Principal or NotPrincipal")
    for operator, keys in block.items():
        for key, values in keys.items():
            if not _condition(operator, key, values, request.context, where):
                return None
    return kind


def statement_matches(statement: Mapping[str, Any], request: Request, *, check_principal: bool) -> bool:
    """Whether one statement applies; exposed so checks can test a single statement without a policy."""
    where = f"statement {statement.get('Sid', '(no Sid)')!r}" if isinstance(statement, Mapping) else "statement"
    return _statement_kind(statement, request, check_principal, where) is not None


def _scan(policies: Sequence[Policy], request: Request, check_principal: bool) -> Iterator[tuple[Match, str]]:
    for policy in policies:
        statements = policy.document.get("Statement", [])
        for index, statement in enumerate(_as_list(statements)):
            sid = str(statement.get("Sid") or f"#{index}") if isinstance(statement, Mapping) else f"#{index}"
            kind = _statement_kind(statement, request, check_principal, f"{policy.label}: statement {sid!r}")
            if kind is not None:
                yield Match(policy.label, sid, statement["Effect"]), kind


def evaluate(policies: Sequence[Policy], request: Request, *, check_principal: bool) -> tuple[list[Match], list[Match]]:
    """Every matching Allow and Deny, so a caller can explain a decision and not only state it."""
    found = [m for m, _ in _scan(policies, request, check_principal)]
    return [m for m in found if m.effect == "Allow"], [m for m in found if m.effect == "Deny"]


def _with_principal_keys(request: Request) -> Request:
    """Add the global keys AWS sets from the caller, so conditions on them see what AWS would."""
    account = principal_account(request.principal)
    derived: dict[str, Value] = (
        {"aws:PrincipalArn": request.principal, "aws:PrincipalAccount": account}
        if account is not None
        else {"aws:PrincipalServiceName": request.principal}
    )
    context = dict(request.context)
    for key, value in derived.items():
        if _context_values(context, key) is None:
            context[key] = value
    return replace(request, context=context)


def authorize(
    request: Request,
    *,
    identity: Sequence[Policy] = (),
    resource: Policy | None = None,
    resource_account: str,
    endpoint: Policy | None = None,
    key_policy: bool = False,
    trust: bool = False,
) -> Decision:
    """AWS's decision for one request: explicit deny first, then the endpoint policy, then the allows the
    case needs (reference_policies_evaluation-logic.html, ..._evaluation-logic-cross-account.html, and for
    keys https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html)."""
    request = _with_principal_keys(request)
    found = {
        side: list(_scan(policies, request, side != "identity"))
        for side, policies in (
            ("identity", identity),
            ("resource", [resource] if resource else []),
            ("endpoint", [endpoint] if endpoint else []),
        )
    }
    denies = [m for matches in found.values() for m, _ in matches if m.effect == "Deny"]
    if denies:
        return Decision(False, "explicit deny", tuple(denies))
    ident = [m for m, _ in found["identity"] if m.effect == "Allow"]
    res = [(m, kind) for m, kind in found["resource"] if m.effect == "Allow"]
    ends = [m for m, _ in found["endpoint"] if m.effect == "Allow"]
    if endpoint is not None and not ends:
        return Decision(False, "implicit deny: the VPC endpoint policy does not allow it", ())
    via = " through the VPC endpoint" if endpoint is not None else ""

    def allow(reason: str, *needed: Sequence[Match]) -> Decision:
        return Decision(True, reason + via, tuple(m for group in (*needed, ends) for m in group))

    def deny(reason: str) -> Decision:
        return Decision(False, "implicit deny: " + reason, ())

    direct = [m for m, kind in res if kind == "direct"]
    delegated = [m for m, kind in res if kind == "account"]
    name = "key policy" if key_policy else "trust policy" if trust else "resource policy"
    caller = principal_account(request.principal)
    if caller is None:  # a service principal has no identity policies: its grant is the resource's alone
        return allow(f"allowed by the {name}", direct) if direct else deny(f"no {name} allows the service")
    same = caller == resource_account
    if key_policy or trust:  # the resource policy must always allow, even in the same account
        if not res:
            return deny(f"the {name} does not allow the caller")
        if same and direct:
            return allow(f"allowed by the {name}", direct)
        if not ident:
            why = "cross-account calls need both sides" if not same else f"the {name} delegates to IAM"
            return deny(f"no identity policy allows it ({why})")
        return allow(f"allowed by the identity policy and the {name}", ident, direct, delegated)
    if same:
        if ident or direct:
            sides = " and ".join(s for s, ok in (("identity policy", ident), (name, direct)) if ok)
            return allow(f"allowed by the {sides}", ident, direct)
        if delegated:
            return deny("the resource policy names only the account root, which delegates to IAM")
        return deny("no policy allows it")
    if not ident:
        return deny("no identity policy allows it (cross-account calls need both sides)")
    if not res:
        return deny(f"no {name} allows it (cross-account calls need both sides)")
    return allow(f"allowed by the identity policy and the {name}", ident, direct, delegated)
