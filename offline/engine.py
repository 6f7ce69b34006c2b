"""Synthesize the stacks in deploy order and analyze each with every policy pack."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.project import Project, load_project, stack_config
from offline import EngineError
from offline.access.check import AccessCheck
from offline.access.check import check as check_access
from offline.access.journeys import STACKS as JOURNEY_STACKS
from offline.analyzer import PackSession, StackIdentity, Violation, discover_packs
from offline.synth import StackResult, synthesize


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
    # Every stack file is read before any program runs: a broken one stops the preview at once.
    configs = {name: stack_config(project, name) for name in project.stacks[: last + 1]}
    # The packs of every previewed stack start now, and come up while the programs run.
    sessions = {
        name: PackSession(packs, StackIdentity(project.name, name, configs[name]), policy_config or {})
        for name in wanted
        if packs
    }
    exports: dict[str, dict[str, Any]] = {}
    results: list[StackResult] = []
    analyses: list[tuple[StackResult, Future[list[Violation]] | None]] = []
    try:
        # A stack's packs analyze it in the background while the next stack is synthesized.
        with ThreadPoolExecutor(max_workers=1) as background:
            for name, config in configs.items():
                progress(f"{name}: synthesizing")
                result = synthesize(project, name, config, exports)
                results.append(result)
                exports[name] = result.outputs
                if name in wanted:
                    session = sessions.get(name)
                    analyses.append((result, background.submit(session.analyze, result) if session else None))
            checked = None
            if access and {result.name for result in results} >= set(JOURNEY_STACKS):
                progress("deciding the journeys with the access model")
                checked = check_access(results)
            progress(f"analyzing with {len(packs)} policy packs")
            previews = [StackPreview(result, future.result() if future else []) for result, future in analyses]
    finally:
        for session in sessions.values():
            session.close()
    previews.sort(key=lambda p: wanted.index(p.result.name))
    return Preview(project=project, packs=packs, stacks=previews, access=checked)
