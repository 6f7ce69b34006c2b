"""Run the program for one stack under the mock runtime, as the Pulumi language host would."""

from __future__ import annotations

import gc
import json
import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.project import Project
from offline import EngineError, pulumi_internals
from offline.mocks import PlatformMocks, RecordingMonitor, ResourceRecord


@dataclass
class StackResult:
    name: str
    project: str
    account_id: str
    region: str
    config: dict[str, str]
    resources: list[ResourceRecord]
    outputs: dict[str, Any]


class ProgramError(EngineError):
    """The program raised: bad configuration, or a bug. The message is the program's own."""


def synthesize(
    project: Project,
    stack: str,
    config: dict[str, str],
    stack_exports: Mapping[str, Mapping[str, Any]],
    on_record: Callable[[ResourceRecord], None] | None = None,
) -> StackResult:
    """Run ``project.main`` for ``stack``; ``stack_exports`` answers its stack references, and
    ``on_record`` is told of each resource as the program registers it."""
    region = config.get("aws:region", "us-east-1")
    account_id = _deploy_account(config)
    mocks = PlatformMocks(project.name, stack, account_id, region, stack_exports)
    monitor = RecordingMonitor(mocks, on_record)
    with _program_environment(project.directory):
        # Each stack is a fresh program run: a new root stack resource, config and monitor.
        pulumi_internals.reset_root_stack()
        pulumi_internals.skip_source_lines()
        pulumi_internals.set_program_config(config)
        pulumi_internals.install_mocks(mocks, monitor, project=project.name, stack=stack)

        def run_program() -> None:
            runpy.run_path(str(project.main), run_name="__main__")

        try:
            pulumi_internals.run_program(run_program)
            outputs = pulumi_internals.stack_exports()
        except EngineError:
            raise
        except Exception as error:
            raise ProgramError(f"{stack}: {_one_line(error)}") from error
        finally:
            pulumi_internals.release_program()
    return StackResult(
        name=stack,
        project=project.name,
        account_id=account_id,
        region=region,
        config=config,
        resources=monitor.records,
        outputs=json.loads(json.dumps(outputs, default=str)),
    )


@contextmanager
def collector_paused() -> Iterator[Callable[[], None]]:
    """Python's cyclic garbage collector, paused while programs run, for a run of several stacks.

    A program makes few cycles but hundreds of thousands of objects (the Pulumi SDK's and the AWS
    provider's classes, loaded as the program first uses them, and every resource's inputs and
    outputs); with the collector on, its full collections rescan all of them again and again, about
    a third of a synthesis. Yields ``settle``, to call between programs: one collection frees what
    the last run left (``synthesize`` has let go of it), and what survives is set aside
    (``gc.freeze``) so that no later collection scans it again. Memory stays as flat as with the
    collector on, however many stacks run. Everything is handed back to the collector at the end.
    """
    enabled = gc.isenabled()
    gc.disable()

    def settle() -> None:
        gc.collect()
        gc.freeze()

    try:
        yield settle
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _deploy_account(config: Mapping[str, str]) -> str:
    """The account the stack deploys to, as the provider would learn it: the allowed account."""
    try:
        allowed = json.loads(config.get("aws:allowedAccountIds", "[]"))
    except ValueError:
        allowed = []
    return str(allowed[0]) if isinstance(allowed, list) and allowed else "123456789012"


def _one_line(error: BaseException) -> str:
    message = " ".join(str(error).split()) or type(error).__name__
    # Input errors (the program's configuration and catalog errors are ValueErrors) speak for
    # themselves; anything else is a bug, named by its type.
    return message if isinstance(error, ValueError) else f"{type(error).__name__}: {message}"


@contextmanager
def _program_environment(directory: Path) -> Iterator[None]:
    """The language host runs the program from its folder, with the folder importable."""
    previous = os.getcwd()
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path.remove(str(directory))
        os.chdir(previous)
