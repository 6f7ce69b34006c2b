"""The pack host (offline/pack_host.py) and the packs' process (offline/packs.py).

A pack forked from the warm host must start exactly as the CLI's command starts it, and no pack may
outlive the engine, however the engine or the host ends."""

from __future__ import annotations

import gc
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from offline import EngineError, pulumi_internals
from offline.analyzer import PackSession, discover_packs
from offline.engine import Preview, preview
from offline.pack_host import PackHost
from offline.packs import PackProcesses
from offline.synth import StackResult, collector_paused
from tests.conftest import FIXTURES, ROOT

#: A module run as a pack would be: it reports what it was started with, then exits 3.
PROBE = """
import gc, io, json, os, signal, sys
import __main__
report = {
    "cwd": os.getcwd(),
    "path0": sys.path[0],
    "argv": sys.argv,
    "environ": dict(os.environ),
    "name": __name__,
    "spec": __main__.__spec__.name,
    "stdout": [type(sys.stdout.buffer).__name__, sys.stdout.write_through],
    "stderr": [type(sys.stderr.buffer).__name__, sys.stderr.write_through, sys.stderr.errors],
    "sigint": signal.getsignal(signal.SIGINT) is signal.default_int_handler,
    "sigchld": signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL,
    "gc": gc.isenabled(),
}
sys.stdout.buffer.write(json.dumps(report).encode() + b"\\n")
print("to stderr", file=sys.stderr)
sys.exit(3)
"""

#: A pack that prints its pid and waits to be stopped.
SLEEPER = """
import os, sys, time
sys.stdout.buffer.write(f"{os.getpid()}\\n".encode())
time.sleep(600)
"""


@pytest.fixture
def host() -> Iterator[PackHost]:
    started = PackHost()
    yield started
    if started.running:
        started.close()


def _module(folder: Path, name: str, source: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.py").write_text(source)
    return folder


def _gone(pid: int) -> bool:
    """Whether a process has exited (a zombie waiting to be reaped counts as exited)."""
    try:
        return psutil.Process(pid).status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
    except psutil.NoSuchProcess:
        return True


def _wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not _gone(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _gone(pid)


def test_a_forked_pack_starts_as_the_command_line_starts_it(tmp_path: Path, host: PackHost) -> None:
    """Folder, import path, arguments, environment, unbuffered streams, signals and the collector:
    what ``python -u -m <module> <args>`` gives a pack, the fork gives it too."""
    folder = _module(tmp_path / "pack", "probe_pack", PROBE)
    # The engine's environment and the stack's, as PackSession gives it.
    env = {**os.environ, "PULUMI_STACK": "tooling", "PROBE_X": "1"}
    argv = ["probe_pack", "127.0.0.1:0", "."]
    command = subprocess.run(
        [sys.executable, "-u", "-m", *argv], cwd=folder, env=env, capture_output=True, text=True, timeout=60
    )
    forked = host.start(argv, folder, env)
    assert forked.stdout is not None and forked.stderr is not None
    output, errors = forked.stdout.read(), forked.stderr.read()
    assert json.loads(output) == json.loads(command.stdout)
    assert errors == command.stderr == "to stderr\n"
    assert forked.wait() == command.returncode == 3
    assert forked.poll() == 3


def test_a_start_larger_than_the_socket_buffer_arrives_whole(tmp_path: Path, host: PackHost) -> None:
    """A stack's configuration travels in the pack's environment: megabytes must not be cut."""
    folder = _module(
        tmp_path, "measure", "import os, sys\nsys.stdout.buffer.write(str(len(os.environ['BIG'])).encode())\n"
    )
    sizes = [3_000_000, 10, 1_500_000]
    started = [host.start(["measure"], folder, {"PATH": "", "BIG": "x" * size}) for size in sizes]
    assert [forked.stdout.read() for forked in started if forked.stdout] == [str(size) for size in sizes]


def test_a_pack_that_cannot_start_says_why_on_its_stderr(tmp_path: Path, host: PackHost) -> None:
    forked = host.start(["no_such_pack_module"], tmp_path, {"PATH": os.environ.get("PATH", "")})
    assert forked.stdout is not None and forked.stderr is not None
    assert forked.stdout.read() == ""
    assert "No module named no_such_pack_module" in forked.stderr.read()
    assert forked.wait() == 1


def test_stopping_a_pack_kills_it_and_reports_how_it_ended(tmp_path: Path, host: PackHost) -> None:
    forked = host.start(["sleeper"], _module(tmp_path, "sleeper", SLEEPER), {"PATH": ""})
    assert forked.stdout is not None
    pid = int(forked.stdout.readline())
    forked.kill()
    assert forked.wait() == -signal.SIGKILL
    assert _gone(pid)


def test_closing_the_host_stops_every_pack_it_runs(tmp_path: Path, host: PackHost) -> None:
    folder = _module(tmp_path, "sleeper", SLEEPER)
    pids = []
    for _ in range(3):
        forked = host.start(["sleeper"], folder, {"PATH": ""})
        assert forked.stdout is not None
        pids.append(int(forked.stdout.readline()))
    host.close()
    assert all(_gone(pid) for pid in pids)


def test_packs_die_with_their_host_however_it_dies(tmp_path: Path, host: PackHost) -> None:
    forked = host.start(["sleeper"], _module(tmp_path, "sleeper", SLEEPER), {"PATH": ""})
    assert forked.stdout is not None
    pid = int(forked.stdout.readline())
    host.process.kill()
    host.process.wait()
    assert _wait_gone(pid), f"pack {pid} outlived its host"


def test_no_pack_outlives_an_engine_killed_mid_preview() -> None:
    """SIGKILL leaves the engine no chance to stop anything: the packs' process sees its socket
    close, stops the packs and the host, and exits."""
    engine = subprocess.Popen(
        [sys.executable, "-m", "offline", "preview", "--json"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        started: list[int] = []
        # The packs' process, the host, and at least one stack's four packs.
        while len(started) < 6 and time.monotonic() < deadline:
            time.sleep(0.1)
            started = _descendants(engine.pid)
        assert len(started) >= 6, f"the preview started {len(started)} processes"
    finally:
        engine.kill()
        engine.wait()
    assert all(_wait_gone(pid) for pid in started), "a process of the preview outlived the engine"


def _descendants(pid: int) -> list[int]:
    try:
        return [child.pid for child in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


# --- The packs' process ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def noncompliant() -> Preview:
    """Synthesized only: the tests below hand its stacks to the packs themselves."""
    return preview(FIXTURES / "noncompliant", policy_dir=ROOT / "policies", policies=False)


def test_resources_registered_as_they_come_get_the_answers_of_a_whole_stack(noncompliant: Preview) -> None:
    """``register`` sends each resource while the program runs; the stack's analysis then reads those
    answers: the same violations, in the same order, as asking for the whole stack at once."""
    packs = discover_packs(ROOT / "policies")
    result = noncompliant.stacks[0].result
    with PackSession.for_result(packs, result, {}) as whole:
        expected = whole.analyze(result)
    with PackSession.for_result(packs, result, {}) as streamed:
        for record in result.resources:
            streamed.register(record)
        assert streamed.analyze(result) == expected
        assert streamed._registered == {}
    assert any(v.level == "mandatory" for v in expected)


def test_the_packs_process_analyzes_what_the_engine_hands_it(noncompliant: Preview) -> None:
    packs = discover_packs(ROOT / "policies")
    result = noncompliant.stacks[0].result
    with PackSession.for_result(packs, result, {}) as session:
        expected = session.analyze(result)
    with PackProcesses(packs, {}) as processes:
        processes.start(result.project, result.name, result.config)
        for record in result.resources[: len(result.resources) // 2]:
            processes.register(result.name, record)
        processes.analyze(result)
        assert processes.violations(result.name) == expected


def test_a_pack_error_reaches_the_engine_as_the_pack_said_it(noncompliant: Preview) -> None:
    result = noncompliant.stacks[0].result
    config = {"studio-vpc-only": {"no-such-policy": "advisory"}}
    with PackProcesses(discover_packs(ROOT / "policies"), config) as processes:
        processes.start(result.project, result.name, result.config)
        processes.register(result.name, result.resources[0])
        processes.analyze(result)
        with pytest.raises(EngineError, match="'no-such-policy' is not a policy of the pack"):
            processes.violations(result.name)


def test_a_crash_of_the_packs_process_is_reported_with_its_last_words(noncompliant: Preview) -> None:
    result = noncompliant.stacks[0].result
    unstarted = StackResult(**{**vars(result), "name": "never-started"})
    with PackProcesses(discover_packs(ROOT / "policies"), {}) as processes:
        processes.analyze(unstarted)
        with pytest.raises(EngineError, match=r"the policy packs' process stopped: KeyError: 'never-started'"):
            processes.violations("never-started")


# --- The collector while programs run -----------------------------------------------------------


def test_the_collector_is_paused_while_programs_run_and_handed_back_after() -> None:
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with collector_paused() as settle:
        assert not gc.isenabled()
        settle()
        assert gc.get_freeze_count() > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), collector_paused() as settle:
        settle()
        raise RuntimeError
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_synthesized_program_is_let_go_of(noncompliant: Preview) -> None:
    """The runtime keeps no root stack or monitor once a program has run: what the run made can be
    collected before the next one, and nothing of it is frozen with the survivors."""
    from pulumi.runtime import settings

    assert settings.get_root_resource() is None
    assert settings.get_monitor() is None
    pulumi_internals.release_program()  # idempotent
    assert settings.get_monitor() is None


IDENTITY_PACK = """
import json, os
import pulumi
from pulumi_policy import EnforcementLevel, PolicyPack, StackValidationPolicy

def who(args, report_violation):
    config = json.loads(os.environ["PULUMI_CONFIG"])
    report_violation(f"{pulumi.get_stack()} {os.environ['PULUMI_STACK']} {config.get('identity:colour')}")

PolicyPack(
    name="identity",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[StackValidationPolicy(name="who", description="Names the stack it analyzes.", validate=who)],
)
"""


def test_each_stack_gets_its_own_packs_with_its_name_and_configuration(tmp_path: Path, noncompliant: Preview) -> None:
    """The same pack, forked for two stacks from one host: each process knows only its own stack."""
    pack = tmp_path / "identity"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text(IDENTITY_PACK)
    with PackProcesses([pack], {}) as processes:
        for stack in noncompliant.stacks:
            result = stack.result
            config = {**result.config, "identity:colour": f"colour-of-{result.name}"}
            processes.start(result.project, result.name, config)
        for stack in noncompliant.stacks:
            processes.analyze(stack.result)
        said = {s.result.name: [v.message for v in processes.violations(s.result.name)] for s in noncompliant.stacks}
    assert said == {name: [f"Names the stack it analyzes.\n{name} {name} colour-of-{name}"] for name in said}
    assert len(said) == 2
