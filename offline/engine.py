"""Check the stacks as a set, synthesize them in deploy order and analyze each with every policy pack."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

from contracts.config import ConfigError, Settings, parse
from contracts.naming import DATASCI_STACK, PREPROD_STACK
from contracts.project import Project, load_project, stack_config
from offline import EngineError
from offline.access.check import AccessCheck
from offline.access.check import check as check_access
from offline.access.journeys import STACKS as JOURNEY_STACKS
from offline.analyzer import Violation, discover_packs
from offline.packs import PackProcesses
from offline.synth import StackResult, collector_paused, synthesize


@dataclass
class StackPreview:
    result: StackResult
    violations: list[Violation]


@dataclass
class Preview:
    project: Project
    packs: list[Path]
    stacks: list[StackPreview]
    #: The access model's check, when every stack the journeys cross was synthesized.
    access: AccessCheck | None = None

    @property
    def mandatory(self) -> list[Violation]:
        access = self.access.violations() if self.access else []
        everything = [*(v for stack in self.stacks for v in stack.violations), *access]
        return [v for v in everything if v.level == "mandatory"]


def preview(
    project_dir: Path,
    selected: Sequence[str] = (),
    policy_dir: Path | None = None,
    policies: bool = True,
    progress: Callable[[str], None] = lambda _: None,
    policy_config: Mapping[str, Mapping[str, Any]] | None = None,
    access: bool = True,
) -> Preview:
    """Preview ``selected`` stacks (all when empty). Stacks a selected stack reads from are
    synthesized first, for their exports, but not reported. Packs come from ``policy_dir``
    (default: the project's ``policies/``). With ``access``, once every stack is synthesized, the
    access model decides the platform's journeys (offline/access)."""
    project = load_project(project_dir)
    if not project.stacks:
        raise EngineError(
            f"{project.directory}: no Pulumi.<stack>.yaml beside Pulumi.yaml; expected a stack file per stack, "
            "such as Pulumi.tooling.yaml"
        )
    for name in selected:
        if name not in project.stacks:
            raise EngineError(
                f"--stack: {name!r} is not a stack of {project.name}; "
                f"expected one of {', '.join(project.stacks) or 'none (no Pulumi.<stack>.yaml)'}"
            )
    wanted = list(selected) or list(project.stacks)
    last = max(project.stacks.index(name) for name in wanted)
    packs = discover_packs(policy_dir or project.directory / "policies") if policies else []
    for pack in policy_config or {}:
        if pack not in {folder.name for folder in packs}:
            raise EngineError(
                f"--policy-config: {pack!r} is not a policy pack; expected one of {', '.join(p.name for p in packs)}"
            )
    # Every stack file is read, and the stacks checked as a set, before any program runs: a broken
    # one stops the preview at once.
    every_config = {name: stack_config(project, name) for name in project.stacks}
    check_stack_set(project, every_config)
    configs = {name: every_config[name] for name in project.stacks[: last + 1]}
    # The previewed stacks whose packs run, in deploy order. The packs of the next PACK_WINDOW stacks
    # start ahead and come up while the programs run; a stack is handed to its packs once synthesized
    # and analyzed while the next is (in a process of their own, offline/packs.py).
    analyzed = [name for name in configs if name in wanted] if packs else []
    pack_processes = PackProcesses(packs, policy_config or {}) if analyzed else None
    started: set[str] = set()
    violations: dict[str, list[Violation]] = {}

    def start_packs(upto: int) -> None:
        assert pack_processes is not None
        for name in analyzed[:upto]:
            if name not in started:
                started.add(name)
                pack_processes.start(project.name, name, configs[name])

    def finish(name: str) -> None:
        assert pack_processes is not None
        if name not in violations:
            violations[name] = pack_processes.violations(name)

    exports: dict[str, dict[str, Any]] = {}
    results: list[StackResult] = []
    try:
        with collector_paused() as settle:
            for name, config in configs.items():
                if name in analyzed:
                    position = analyzed.index(name)
                    # At most the window and the stack being analyzed have packs running.
                    if position >= 2:
                        finish(analyzed[position - 2])
                    start_packs(position + PACK_WINDOW)
                progress(f"{name}: synthesizing")
                # The packs are asked about each resource as the program registers it.
                on_record = (
                    functools.partial(pack_processes.register, name) if pack_processes and name in analyzed else None
                )
                result = synthesize(project, name, config, exports, on_record)
                results.append(result)
                exports[name] = result.outputs
                if pack_processes is not None and name in analyzed:
                    pack_processes.analyze(result)
                settle()
            checked = None
            if access and {result.name for result in results} >= set(JOURNEY_STACKS):
                progress("deciding the journeys with the access model")
                checked = check_access(results)
        progress(f"analyzing with {len(packs)} policy packs")
        for name in analyzed:
            finish(name)
        previews = [StackPreview(r, violations.get(r.name, [])) for r in results if r.name in wanted]
    finally:
        if pack_processes is not None:
            pack_processes.close()
    previews.sort(key=lambda p: wanted.index(p.result.name))
    return Preview(project=project, packs=packs, stacks=previews, access=checked)


#: How many stacks' policy packs (four processes each, about 55 MB apiece) start ahead of their
#: synthesis: the platform's three stacks all start at once; with many teams, memory stays bounded
#: instead of growing by about 220 MB a team.
PACK_WINDOW = 3


class StackSetError(EngineError):
    """Stacks that cannot deploy the platform together: a team without its stack, a stack of the
    wrong team, pre-production without its stack, stacks that disagree on the accounts."""


#: Keys every stack must resolve alike: each stack builds its share of the platform from them.
PLATFORM_KEYS: dict[str, Callable[[Settings], object]] = {
    "toolingAccountId": lambda s: s.accounts.tooling,
    "datamgmtAccountId": lambda s: s.accounts.datamgmt,
    "dataScienceTeams": lambda s: s.accounts.teams,
    "preprodAccountId": lambda s: s.accounts.preprod,
    "teamTag": lambda s: s.team_tag,
}


def check_stack_set(project: Project, configs: Mapping[str, Mapping[str, str]]) -> None:
    """Refuse, with one line, stacks of this platform that cannot deploy it together. Each stack's
    configuration is first validated as its program validates it (contracts/config.parse), so a
    configuration error stops the preview here with the line the program would give. Projects that
    do not declare the platform's ``accountRole`` and ``dataScienceTeams`` are not checked."""
    if not {"accountRole", "dataScienceTeams"} <= project.schema.keys() or not configs:
        return
    settings: dict[str, Settings] = {}
    for name, raw in configs.items():
        try:
            settings[name] = parse(
                raw, project=project.name, stack=name, project_dir=project.directory, environ=os.environ
            )
        except ConfigError as error:
            raise StackSetError(f"{name}: {' '.join(str(error).split())}") from None

    def key(name: str) -> str:
        return f"{project.name}:{name}"

    first, reference = next(iter(settings.items()))
    for name, stack in settings.items():
        for setting, view in PLATFORM_KEYS.items():
            if view(stack) != view(reference):
                raise StackSetError(
                    f"{project.stack_file(name).name}: {key(setting)}: {configs[name].get(key(setting), '')!r} "
                    f"differs from the {first} stack's {configs[first].get(key(setting), '')!r}; "
                    "expected one value for every stack (set it once, in Pulumi.yaml)"
                )
    teams = reference.accounts.teams
    for name, stack in settings.items():
        if stack.role == "datasci" and stack.team is not None and name != stack.team.stack:
            _wrong_team(
                project, name, configs[name].get(key("dataScienceTeam"), ""), stack, reference.accounts.team_names
            )
        if stack.role == "preprod" and name != PREPROD_STACK:
            raise StackSetError(
                f"{project.stack_file(name).name}: {key('accountRole')}: 'preprod' is set on the stack {name!r}; "
                f"expected the pre-production stack named {PREPROD_STACK} (Pulumi.{PREPROD_STACK}.yaml), "
                "the stack the production pipeline and ops --account name"
            )
    entries = json.loads(configs[first][key("dataScienceTeams")])
    for team, entry in zip(teams, entries, strict=True):
        if team.stack not in settings:
            team_setting = "" if team.first else f" and {key('dataScienceTeam')}: {team.name}"
            raise StackSetError(
                f"{key('dataScienceTeams')}: {entry.strip()!r} names the team {team.name}, which has no "
                f"{project.stack_file(team.stack).name}; expected a stack file per team, that one with "
                f"{key('accountRole')}: datasci{team_setting}"
            )
    preprod = reference.accounts.preprod
    if preprod is not None and PREPROD_STACK not in settings:
        raise StackSetError(
            f"{key('preprodAccountId')}: {preprod!r} is set, but there is no "
            f"{project.stack_file(PREPROD_STACK).name}; expected that stack file, with {key('accountRole')}: "
            "preprod, or preprodAccountId empty for no pre-production account"
        )


def _wrong_team(project: Project, name: str, value: str, stack: Settings, teams: list[str]) -> NoReturn:
    """A datasci stack that deploys another team than its name says (or a team under a name of no team)."""
    assert stack.team is not None
    where = f"{project.stack_file(name).name}: {project.name}:dataScienceTeam"
    shown = repr(value) if value.strip() else f"'' (the first team, {teams[0]})"
    if name == DATASCI_STACK:
        raise StackSetError(
            f"{where}: {shown} is not the first team, whose stack {name} is; "
            f"expected {teams[0]} or unset ({stack.team.name}'s stack is {stack.team.stack})"
        )
    suffix = name.removeprefix(f"{DATASCI_STACK}-")
    if suffix != name:
        lacking = "" if suffix in teams else f", a team dataScienceTeams lacks (it has {', '.join(teams)})"
        raise StackSetError(
            f"{where}: {shown} is not the team of the stack {name}; "
            f"expected {suffix} (the stack {DATASCI_STACK}-<team> deploys <team>){lacking}"
        )
    raise StackSetError(
        f"{project.stack_file(name).name}: the stack {name!r} deploys the {stack.team.name} team "
        f"(accountRole: datasci); expected it named {stack.team.stack} ({project.stack_file(stack.team.stack).name}), "
        "the stack the team's pipeline and ops --account name"
    )
