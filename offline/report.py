"""Render a preview: a tree of resources by component for people, one JSON document for machines."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from offline.access.check import summary
from offline.engine import Preview, StackPreview
from offline.mocks import ResourceRecord


def to_json(preview: Preview) -> dict[str, Any]:
    document: dict[str, Any] = {"stacks": [_stack_json(stack) for stack in preview.stacks]}
    if preview.access is not None:
        document["access"] = {
            "steps": [
                {
                    "journey": o.journey.name,
                    "step": str(o.step),
                    "allowed": o.verdict.allowed,
                    # A step the platform must refuse (one team's build reaching another's account).
                    "mustRefuse": o.refusal,
                    "asExpected": o.expected,
                    "reason": o.verdict.reason,
                    "evidence": [str(e) for e in o.verdict.evidence],
                }
                for o in preview.access.outcomes
            ],
            "serviceAuthorization": [
                {"where": f.where, "statement": f.statement, "problem": f.problem} for f in preview.access.findings
            ],
            "advisories": [
                {"where": f.where, "statement": f.statement, "problem": f.problem} for f in preview.access.advisories
            ],
        }
    return document


def _stack_json(stack: StackPreview) -> dict[str, Any]:
    return {
        "name": stack.result.name,
        "resources": [
            {
                "type": r.type,
                "name": r.name,
                "urn": r.urn,
                "id": r.id,
                "parent": r.parent,
                "protect": r.protect,
                "retainOnDelete": r.retain_on_delete,
                "dependencies": r.dependencies,
                "propertyDependencies": r.property_dependencies,
                "inputs": r.inputs,
                "outputs": r.outputs,
            }
            for r in stack.result.resources
        ],
        "outputs": stack.result.outputs,
        "violations": [
            {"pack": v.pack, "policy": v.policy, "level": v.level, "urn": v.urn, "message": v.message}
            for v in stack.violations
        ],
    }


def to_text(preview: Preview) -> str:
    lines: list[str] = []
    for stack in preview.stacks:
        lines.extend(_stack_text(stack))
        lines.append("")
    mandatory = len(preview.mandatory)
    total = sum(len(s.result.resources) for s in preview.stacks)
    if preview.access is not None:
        lines.append(summary(preview.access))
        for violation in preview.access.violations():
            lines.append(f"  [{violation.level}] {violation.pack}/{violation.policy}: {violation.message}")
        lines.append("")
    packs = ", ".join(p.name for p in preview.packs) or "none"
    verdict = (
        f"{mandatory} mandatory violation{'s' if mandatory != 1 else ''}" if mandatory else "no mandatory violation"
    )
    lines.append(f"{len(preview.stacks)} stacks, {total} resources, policy packs: {packs}; {verdict}")
    return "\n".join(lines)


def _stack_text(stack: StackPreview) -> list[str]:
    result = stack.result
    children: dict[str, list[ResourceRecord]] = defaultdict(list)
    urns = {r.urn for r in result.resources}
    for record in result.resources:
        children[record.parent if record.parent in urns else ""].append(record)

    def size(record: ResourceRecord) -> int:
        return sum(1 + size(child) for child in children[record.urn])

    def walk(record: ResourceRecord, depth: int) -> None:
        flags = [flag for flag, on in (("protected", record.protect), ("retained", record.retain_on_delete)) if on]
        count = f" ({size(record)})" if children[record.urn] else ""
        suffix = f"  [{', '.join(flags)}]" if flags else ""
        lines.append(f"{'  ' * depth}{record.type}  {record.name}{count}{suffix}")
        for child in sorted(children[record.urn], key=_order):
            walk(child, depth + 1)

    lines = [f"== {result.name}: account {result.account_id}, {result.region}, {len(result.resources)} resources"]
    for root in sorted(children[""], key=_order):
        walk(root, 1)
    by_type = Counter(r.type for r in result.resources if r.custom)
    lines.append("  resources by type: " + ", ".join(f"{t} {n}" for t, n in sorted(by_type.items())))
    lines.append("  exports:")
    lines.extend(f"    {key} = {value}" for key, value in sorted(result.outputs.items()))
    if stack.violations:
        lines.append("  violations:")
        for v in stack.violations:
            message = " ".join(v.message.split())
            lines.append(f"    [{v.level}] {v.pack}/{v.policy}: {message}  ({v.urn or 'stack'})")
    else:
        lines.append("  violations: none")
    return lines


def _order(record: ResourceRecord) -> tuple[str, str]:
    """Registration order varies with the async runtime; names give a stable plan."""
    return (record.name, record.type)
