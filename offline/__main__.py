"""``python -m offline preview [--stack NAME]... [--json]``: the offline plan and policy check;
``python -m offline graph --out FILE.svg``: the picture of the three accounts;
``python -m offline access``: each journey step of the workflow with AWS's decision and its reasons;
``python -m offline why PRINCIPAL ACTION RESOURCE [--context KEY=VALUE]...``: one decision explained;
``python -m offline stacks [--role ROLE]...``: the stacks in deploy order, as JSON (for CI matrices).

Exit codes: 0 no mandatory violation (or allowed), 1 at least one (or denied), 2 usage, project,
configuration or input error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contracts import InputError
from contracts.cli import OneLineParser
from contracts.project import load_project
from offline import EngineError
from offline.engine import preview
from offline.report import to_json, to_text


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    progress = _progress_printer() if sys.stderr.isatty() and not getattr(args, "json", False) else (lambda _: None)
    try:
        if args.command == "stacks":
            project = load_project(args.project)
            wanted = set(args.role) or set(project.roles.values())
            print(json.dumps([stack for stack in project.stacks if project.roles[stack] in wanted]))
            return 0
        if args.command == "graph":
            return _graph(args, progress)
        if args.command in ("access", "why"):
            return _access(args, progress)
        policy_config = _read_policy_configs(args.policy_config)
        result = preview(
            args.project,
            args.stack,
            policy_dir=args.policies,
            policies=not args.no_policies,
            progress=progress,
            policy_config=policy_config,
        )
    except InputError as error:
        progress("")
        if args.traceback:
            traceback.print_exception(error.__cause__ or error)
        print(f"error: {error}", file=sys.stderr)
        # A program that failed mid-run (a provider invoke, say) leaves Pulumi's helper event loops
        # half-closed; their finalizers print tracebacks at interpreter teardown. Skip the teardown.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(2)
    progress("")
    if args.json:
        json.dump(to_json(result), sys.stdout, indent=2, sort_keys=False)
        sys.stdout.write("\n")
    else:
        print(to_text(result))
    return 1 if result.mandatory else 0


def _graph(args: argparse.Namespace, progress: Callable[[str], None]) -> int:
    from offline.graph import render

    if not args.out.endswith((".svg", ".png", ".dot")):
        raise EngineError(f"--out: {args.out!r} has no picture extension; expected FILE.svg, FILE.png or FILE.dot")
    if not args.out.endswith(".dot") and shutil.which("dot") is None:
        raise EngineError(
            "--out: Graphviz's dot is not installed; expected it on PATH (Debian: apt-get install graphviz), "
            "or write FILE.dot"
        )
    result = preview(args.project, policies=False, progress=progress)
    progress("")
    print(render(result, args.out))
    return 0


def _access(args: argparse.Namespace, progress: Callable[[str], None]) -> int:
    from offline.access.check import explain, render
    from offline.access.journeys import decide, question, question_form
    from offline.access.model import AccessModel

    context: dict[str, Any] = {}
    if args.command == "why":
        # What can be refused without the stacks is refused before they are synthesized.
        context = _read_context(args.context)
        question_form(args.action, args.resource)
    result = preview(args.project, policies=False, progress=progress, access=args.command == "access")
    progress("")
    if args.command == "access":
        assert result.access is not None  # every stack was synthesized
        print(render(result.access))
        return 1 if result.access.violations() else 0
    model = AccessModel([stack.result for stack in result.stacks])
    verdict = decide(model, question(model, args.principal, args.action, args.resource, context, args.origin))
    print(f"{args.principal} {args.action} {args.resource}")
    print("\n".join(explain(verdict, indent="  ")))
    return 0 if verdict.allowed else 1


def _read_context(pairs: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; true/false are booleans, a key given twice is a list."""
    context: dict[str, Any] = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise EngineError(f"--context: {pair!r} is not KEY=VALUE; expected aws:SourceVpce=vpce-0123")
        typed: Any = {"true": True, "false": False}.get(value, value)
        if key in context:
            earlier = context[key]
            context[key] = [*(earlier if isinstance(earlier, list) else [earlier]), typed]
        else:
            context[key] = typed
    return context


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m offline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    run = commands.add_parser("preview", help="synthesize the stacks, run every policy pack, print the plan")
    draw = commands.add_parser("graph", help="draw the three accounts and what crosses between them")
    access = commands.add_parser("access", help="decide every step of the platform's journeys, with the reasons")
    why = commands.add_parser("why", help="explain one decision of the access model")
    stacks = commands.add_parser("stacks", help="the stacks in deploy order, as a JSON list")
    stacks.add_argument("--role", action="append", default=[], help="only the stacks of this account role (repeatable)")
    why.add_argument(
        "principal", help="a role of the stacks (name or ARN), or a service principal (events.amazonaws.com)"
    )
    why.add_argument(
        "action",
        help="an IAM action (s3:GetObject), or lake:PERMISSION (lake:SELECT) for a Lake Formation permission",
    )
    why.add_argument(
        "resource",
        help='an ARN or "*"; for lake:PERMISSION, ACCOUNT:DATABASE[.TABLE] such as 222222222222:mlops_curated_link.t',
    )
    why.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a condition key of the request (repeatable)",
    )
    why.add_argument(
        "--origin",
        default="",
        metavar="STACK",
        help="the stack whose private VPC the call starts in (it then goes through that VPC's endpoint)",
    )
    for command in (run, draw, access, why, stacks):
        command.add_argument(
            "--project",
            type=Path,
            default=Path(__file__).resolve().parent.parent,
            help="the folder holding Pulumi.yaml (default: this repository)",
        )
        command.add_argument("--traceback", action="store_true", help="show the full traceback of a program error")
    draw.add_argument(
        "--out", required=True, help="the picture to write: FILE.svg, FILE.png, or FILE.dot (no Graphviz)"
    )
    run.add_argument(
        "--stack",
        action="append",
        default=[],
        metavar="NAME",
        help="a stack to preview (repeatable); default: all, in deploy order",
    )
    run.add_argument("--json", action="store_true", help="write one JSON document instead of the plan")
    run.add_argument(
        "--policies",
        type=Path,
        default=None,
        metavar="DIR",
        help="the folder of policy packs (default: the project's policies/)",
    )
    run.add_argument(
        "--policy-config",
        action="append",
        default=[],
        metavar="PACK=FILE",
        help="a JSON config for a pack, as pulumi's --policy-pack-config takes (repeatable)",
    )
    run.add_argument("--no-policies", action="store_true", help="synthesize only, skip the policy packs")
    return parser


def _read_policy_configs(pairs: list[str]) -> dict[str, dict[str, Any]]:
    configs: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        pack, separator, file = pair.partition("=")
        if not separator or not pack or not file:
            raise EngineError(f"--policy-config: {pair!r} is not PACK=FILE; expected lake-formation=config.json")
        try:
            loaded = json.loads(Path(file).read_text())
        except OSError as error:
            raise EngineError(
                f"--policy-config: {file!r} cannot be read ({error.strerror}); expected a JSON file"
            ) from None
        except ValueError as error:
            raise EngineError(f"--policy-config: {file!r} is not JSON ({error}); expected a JSON object") from None
        if not isinstance(loaded, dict):
            raise EngineError(f"--policy-config: {file!r} holds a {type(loaded).__name__}; expected a JSON object")
        configs[pack] = loaded
    return configs


def _progress_printer() -> Callable[[str], None]:
    def show(message: str) -> None:
        # One status line, rewritten in place; cleared with an empty message.
        sys.stderr.write(f"\r\033[K{message}" if message else "\r\033[K")
        sys.stderr.flush()

    return show


if __name__ == "__main__":
    code = main()
    # The output is written and every pack stopped. Skip the interpreter's teardown: freeing the
    # programs' objects one by one takes longer than a stack's synthesis.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
