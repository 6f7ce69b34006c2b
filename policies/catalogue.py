"""Write the guardrail catalogue, docs/guardrails.md, from the policy packs' own metadata.

    .venv/bin/python policies/catalogue.py > docs/guardrails.md   # regenerate
    .venv/bin/python policies/catalogue.py --check                # exit 1 when docs/guardrails.md is stale

The catalogue is generated, not written, so that it cannot disagree with the packs: each policy's
name, pack, enforcement level, kind and settings come from the policy object, and its guardrail
number and control ids from the end of its description (``described`` in the packs' helpers writes
them, ``controls_of`` reads them back). Only the guardrails' titles live here. Each pack is loaded as
its own process loads it (its folder first on ``sys.path``), and nothing of the program is imported.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from pulumi_policy import Policy, StackValidationPolicy

POLICY_DIR = Path(__file__).resolve().parent
CATALOGUE = POLICY_DIR.parent / "docs" / "guardrails.md"
REGENERATE = ".venv/bin/python policies/catalogue.py > docs/guardrails.md"

#: The platform's guardrails by number, in areas; the policies that implement each say its number.
AREAS: dict[str, dict[int, str]] = {
    "Lake Formation and the Glue Data Catalog": {
        1: "Data lake settings give no default permissions to IAM_ALLOWED_PRINCIPALS",
        2: "Data lake administrators are allowlisted IAM roles",
        3: "No Lake Formation grant to IAM_ALLOWED_PRINCIPALS",
        4: "Least-privilege Lake Formation grants",
        5: "LF-tag based grants from one vocabulary; sensitive data never to consumers",
        6: "Registered data lake locations",
        7: "Glue Data Catalog encryption",
        8: "Glue security configurations",
    },
    "SageMaker Studio in VPC-only mode": {
        9: "Studio domains in VPC-only mode",
        10: "Studio network: subnets and security groups",
        11: "Studio domain storage key",
        12: "Notebook instances",
        13: "SageMaker models",
        14: "SageMaker endpoint configuration key",
        15: "Feature group encryption",
        16: "The VPC endpoints Studio needs",
        17: "No internet path from a VPC-only Studio VPC",
        18: "VPC flow logs",
        19: "Default security groups closed",
        20: "No public ingress",
    },
    "Data protection": {
        21: "S3 public access blocks",
        22: "S3 default encryption with a customer key",
        23: "S3 requests over TLS only",
        24: "S3 versioning and access logging",
        25: "KMS key hygiene",
        26: "Redshift warehouses",
    },
    "CI/CD": {27: "CodeBuild projects", 28: "CodePipeline artifact encryption"},
    "IAM": {29: "No wildcard or admin permissions", 30: "Pinned role trust", 31: "Read-only auditors"},
}
GUARDRAILS = {number: title for area in AREAS.values() for number, title in area.items()}


@dataclass(frozen=True)
class Entry:
    """One policy, as the catalogue shows it."""

    pack: str
    policy: str
    level: str
    kind: str
    summary: str
    guardrail: int
    controls: dict[str, tuple[str, ...]]
    settings: dict[str, Any]


@contextmanager
def _pack_on_path(folder: Path) -> Iterator[None]:
    """The pack's folder first on ``sys.path``, and none of its modules left in ``sys.modules`` after
    (nor before): each pack has its own copies of modules other packs may also have."""
    local = {path.stem for path in folder.glob("*.py")} - {"__main__"}
    for name in local:
        sys.modules.pop(name, None)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        sys.path.remove(str(folder))
        for name in local:
            sys.modules.pop(name, None)


def _settings(policy: Policy) -> dict[str, Any]:
    schema = policy.config_schema
    return {key: spec.get("default") for key, spec in (schema.properties if schema else {}).items()}


def entries(policy_dir: Path = POLICY_DIR) -> list[Entry]:
    """Every policy of every pack (each folder with a PulumiPolicy.yaml), in pack order."""
    found = []
    for folder in sorted(path.parent for path in policy_dir.glob("*/PulumiPolicy.yaml")):
        prefix = folder.name.replace("-", "_")
        with _pack_on_path(folder):
            rules: ModuleType = importlib.import_module(f"{prefix}_rules")
            helpers: ModuleType = importlib.import_module(f"{prefix}_helpers")
        for policy in rules.POLICIES:
            controls = helpers.controls_of(policy.description)
            found.append(
                Entry(
                    pack=folder.name,
                    policy=policy.name,
                    level=policy.enforcement_level.value,
                    kind="stack" if isinstance(policy, StackValidationPolicy) else "resource",
                    summary=controls.summary,
                    guardrail=controls.guardrail,
                    controls=dict(controls.ids),
                    settings=_settings(policy),
                )
            )
    return found


def _cell(text: str) -> str:
    """Text in a Markdown table cell: ``*`` would start emphasis and ``|`` end the cell."""
    return text.replace("|", "\\|").replace("*", "\\*")


def _controls(entry: Entry) -> str:
    listed = [f"{source} {', '.join(ids)}" for source, ids in entry.controls.items()]
    return "; ".join(listed) or "—"


def _settings_cell(entry: Entry) -> str:
    # A | ends the cell even inside a code span (GitHub's tables), so it is escaped there too.
    shown = [f"`{key}` = `{json.dumps(default)}`".replace("|", "\\|") for key, default in entry.settings.items()]
    return "<br>".join(shown) or "—"


def render(found: Sequence[Entry]) -> str:
    """The catalogue, grouped by guardrail number. Refuses a policy without a known guardrail, and a
    guardrail without a policy: the catalogue must show every policy and every guardrail."""
    unknown = [f"{e.policy} (guardrail {e.guardrail})" for e in found if e.guardrail not in GUARDRAILS]
    if unknown:
        raise ValueError(f"no guardrail of that number: {', '.join(unknown)}")
    missing = sorted(set(GUARDRAILS) - {e.guardrail for e in found})
    if missing:
        raise ValueError(f"guardrails with no policy: {missing}")
    packs = sorted({e.pack for e in found}, key=lambda pack: min(e.guardrail for e in found if e.pack == pack))
    lines = [
        "# Guardrail catalogue",
        "",
        "<!-- Generated by policies/catalogue.py from the policy packs' metadata: do not edit by hand. -->",
        "Generated from the policy packs' own metadata by `policies/catalogue.py`: do not edit it by hand. "
        f"Regenerate it with `{REGENERATE}`; `policies/catalogue.py --check` (and `tests/policies/test_catalogue.py`) "
        "fails when it is stale.",
        "",
        "Each policy guards one property, so each can be made advisory or disabled on its own through "
        "`--policy-pack-config` (each pack's `policy-config.example.json` lists every policy with its level and "
        "settings). Controls are the public rules that check the same property: AWS Security Hub (Foundational "
        "Security Best Practices), Checkov, AWS Config. A resource policy judges one resource; a stack policy "
        "joins several (a bucket and its settings, a VPC and what is in it).",
        "",
        "| pack | guardrails | policies | mandatory | advisory |",
        "|---|---|---|---|---|",
    ]
    for pack in packs:
        mine = [e for e in found if e.pack == pack]
        numbers = sorted({e.guardrail for e in mine})
        mandatory = sum(e.level == "mandatory" for e in mine)
        lines.append(
            f"| [`{pack}`](../policies/{pack}/) | {numbers[0]}-{numbers[-1]} | {len(mine)} | {mandatory} "
            f"| {len(mine) - mandatory} |"
        )
    total_mandatory = sum(e.level == "mandatory" for e in found)
    lines.append(f"| all | 1-{max(GUARDRAILS)} | {len(found)} | {total_mandatory} | {len(found) - total_mandatory} |")
    for area, guardrails in AREAS.items():
        lines += ["", f"## {area}"]
        for number, title in guardrails.items():
            mine = [e for e in found if e.guardrail == number]
            lines += [
                "",
                f"### {number}. {_cell(title)}",
                "",
                "| policy | pack | level | kind | checks | controls | settings (default) |",
                "|---|---|---|---|---|---|---|",
            ]
            lines += [
                f"| `{e.policy}` | `{e.pack}` | {e.level} | {e.kind} | {_cell(e.summary)} | {_controls(e)} "
                f"| {_settings_cell(e)} |"
                for e in mine
            ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the guardrail catalogue (docs/guardrails.md) to stdout.")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when {CATALOGUE.name} is not up to date")
    args = parser.parse_args(argv)
    text = render(entries())
    if not args.check:
        sys.stdout.write(text)
        return 0
    if CATALOGUE.is_file() and CATALOGUE.read_text() == text:
        return 0
    print(f"docs/guardrails.md is stale: regenerate it with {REGENERATE}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
