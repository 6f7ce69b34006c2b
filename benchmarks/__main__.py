"""``make bench`` (``python -m benchmarks``): speed and scale of the offline engine and the test suite.

Every measurement runs in a fresh process, as a person or CI runs the command, and reports wall
time and peak memory (maximum resident set size) of that process. Results print as tables; the
goals of issue #8 are checked at the end (a goal missed is reported, not asserted).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from offline.engine import PACK_WINDOW  # noqa: E402
from tests.scenarios import FIRST_TEAM, THREE_TEAMS, Team, copy_project, many_teams, write_teams  # noqa: E402

PYTHON = sys.executable
STACKS = ("tooling", "datamgmt", "datasci")
#: Data science teams (each with an account and a stack), with pre-production, in section 6.
TEAM_COUNTS = (1, 5, 20, 50)
#: Team counts of the policy-size table (section 7).
SIZE_TEAM_COUNTS = (1, 10, 50)


def floor_program(types: Sequence[str]) -> str:
    """A program that only imports pulumi and loads the pulumi_aws classes of ``types`` (type tokens
    such as ``aws:s3/bucket:Bucket``): what any synthesis of those resources must pay first."""
    lines = ["import pulumi, pulumi_aws"]
    for token in sorted({t for t in types if t.startswith("aws:")}):
        _, module, name = token.split(":")
        # pulumi_aws loads a module's classes on first use: touching each class loads it for real.
        lines.append(f"pulumi_aws.{module.split('/')[0]}.{name}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    stdout: str
    #: With ``tree``: the peak of the resident set sizes of the process and its descendants added up
    #: (sampled every 0.1 s; pages they share count in each), and the most processes seen at once.
    tree_mb: float = 0.0
    processes: int = 1


class TreeSampler(threading.Thread):
    """Samples, until stopped, the memory of a process and all its descendants."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.peak_mb, self.processes = 0.0, 1
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.1):
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                continue
            total = 0
            for process in tree:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self.processes = max(self.processes, len(tree))


def measure(
    args: Sequence[str], cwd: Path = ROOT, repeat: int = 1, tree: bool = False, env: dict[str, str] | None = None
) -> Run:
    """The fastest of ``repeat`` runs of a command, with that run's peak memory (with ``tree``, also
    that of the processes it starts)."""
    best: Run | None = None
    for _ in range(repeat):
        started = time.perf_counter()
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        sampler = TreeSampler(process.pid) if tree else None
        if sampler:
            sampler.start()
        stdout = process.stdout.read() if process.stdout else ""
        if sampler:
            # Sampled while the process runs, not once it has exited and only waits to be reaped.
            sampler.done.set()
            sampler.join()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in (0, 1):
            raise SystemExit(f"benchmark: {' '.join(args)} exited {process.returncode}")
        run = Run(elapsed, usage.ru_maxrss / 1024, stdout)
        if sampler:
            run = Run(run.seconds, run.peak_mb, stdout, max(sampler.peak_mb, run.peak_mb), sampler.processes)
        best = run if best is None or run.seconds < best.seconds else best
    assert best is not None
    return best


def table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    cells = [list(header), *[[f"{c:.3f}" if isinstance(c, float) else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [f"\n{title}", "  ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells[1:]]
    return "\n".join(lines)


def preview(
    project: Path, stacks: Sequence[str], policies: bool, repeat: int, tree: bool = False
) -> tuple[Run, dict[str, Any]]:
    args = [PYTHON, "-m", "offline", "preview", "--json", "--project", str(project)]
    args += [arg for stack in stacks for arg in ("--stack", stack)]
    if not policies:
        args.append("--no-policies")
    # Run from the project's folder, as the Pulumi CLI runs a program (settings such as the feature
    # catalog's folder are read from there), with this repository's engine importable.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    run = measure(args, cwd=project, repeat=repeat, tree=tree, env=env)
    return run, json.loads(run.stdout)


def bench_preview(repeat: int) -> tuple[str, dict[str, float]]:
    synth, document = preview(ROOT, STACKS, policies=False, repeat=repeat)
    types = [r["type"] for s in document["stacks"] for r in s["resources"]]
    floor = measure([PYTHON, "-c", floor_program(types)], repeat=repeat)
    rows: list[tuple[Any, ...]] = [
        ("import floor (pulumi + the pulumi_aws classes used)", "-", floor.seconds, floor.peak_mb, 1.0)
    ]
    for stacks in ([s] for s in STACKS):
        run, document = preview(ROOT, stacks, policies=True, repeat=repeat)
        count = sum(len(s["resources"]) for s in document["stacks"])
        rows.append(
            (
                f"preview {stacks[0]} (+ upstream synthesis)",
                count,
                run.seconds,
                run.peak_mb,
                run.seconds / floor.seconds,
            )
        )
    total = len(types)
    rows.append(
        ("synthesis of all three, no packs", total, synth.seconds, synth.peak_mb, synth.seconds / floor.seconds)
    )
    full, _ = preview(ROOT, STACKS, policies=True, repeat=repeat)
    rows.append(("preview of all three, 4 packs", total, full.seconds, full.peak_mb, full.seconds / floor.seconds))
    text = table(
        f"1. Offline preview (fastest of {repeat})", ("run", "resources", "seconds", "peak MB", "x floor"), rows
    )
    split = stage_split(synth.seconds)
    text += "\n\n" + table(
        "1b. Where the preview's time goes (each stage alone, one run; the preview overlaps them)",
        ("stage", "seconds", "x floor"),
        [(stage, seconds, seconds / floor.seconds) for stage, seconds in split],
    )
    return text, {"preview_ratio": full.seconds / floor.seconds, "synth_ratio": synth.seconds / floor.seconds}


def stage_split(synthesis_seconds: float) -> list[tuple[str, float]]:
    """The preview's stages timed one by one: the three programs' synthesis (the no-packs preview
    above, a process of its own), starting the four packs of every stack at once (twelve processes
    forked from a fresh pack host) until each is connected and configured, and their analysis
    (``Analyze`` per resource, then ``AnalyzeStack``, every pack at once). The preview overlaps the
    last two with the first: each stack's packs start before its program runs, in the packs'
    process (offline/packs.py), and are asked about each resource as it is registered."""
    from offline import pack_host
    from offline.analyzer import PackSession, discover_packs
    from offline.engine import preview as run_preview

    results = [s.result for s in run_preview(ROOT, list(STACKS), policies=False, access=False).stacks]
    packs = discover_packs(ROOT / "policies")
    pack_host.stop()  # the host's own start counts
    started = time.perf_counter()
    sessions = [PackSession.for_result(packs, result, {}) for result in results]
    try:
        for session in sessions:
            session._ready()
        ready = time.perf_counter()
        for session, result in zip(sessions, results, strict=True):
            session.analyze(result)
        analyzed = time.perf_counter()
    finally:
        for session in sessions:
            session.close()
    return [
        ("synthesis of the three programs (a process)", synthesis_seconds),
        (f"pack start: {len(packs) * len(results)} processes until configured", ready - started),
        ("analysis: every resource and every stack", analyzed - ready),
    ]


def scaled_project(data_scientists: int, feature_groups: int) -> Path:
    """A copy of the project with that many data scientists (the first leads the one team) and
    feature groups."""
    folder = copy_project(Path(tempfile.mkdtemp(prefix="mlops-bench-")))
    scientists = [f"scientist{i:04d}@example.com" for i in range(data_scientists)]
    write_teams(folder, (Team(FIRST_TEAM, THREE_TEAMS[0].account_id, (scientists[0],)),))
    project = yaml.safe_load((folder / "Pulumi.yaml").read_text())
    project["config"]["dataScientists"]["default"] = scientists
    (folder / "Pulumi.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    shutil.rmtree(folder / "features")
    (folder / "features").mkdir()
    example = yaml.safe_load((ROOT / "features" / "customer-churn.yaml").read_text())
    for i in range(feature_groups):
        spec = {**example, "name": f"churn-{i:03d}", "owner": scientists[0]}
        (folder / "features" / f"churn-{i:03d}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return folder


def bench_scale(repeat: int) -> tuple[str, dict[str, float]]:
    """Synthesis of all three stacks as users (Studio profiles, in two stacks) and feature groups
    (two Feature Stores, Lake Formation tags) grow; the slope is the cost of one more resource."""
    rows, points = [], {}
    for scientists, groups in ((10, 10), (100, 10), (500, 10), (10, 100)):
        project = scaled_project(scientists, groups)
        try:
            run, document = preview(project, STACKS, policies=False, repeat=repeat)
        finally:
            shutil.rmtree(project)
        counts = {s["name"]: len(s["resources"]) for s in document["stacks"]}
        total = sum(counts.values())
        points[(scientists, groups)] = (run.seconds, total)
        rows.append(
            (
                scientists,
                groups,
                *(counts[s] for s in STACKS),
                total,
                run.seconds,
                run.peak_mb,
                1000 * run.seconds / total,
            )
        )
    (t0, r0), (t1, r1), (t2, r2) = points[(10, 10)], points[(500, 10)], points[(10, 100)]
    users_slope, groups_slope = 1000 * (t1 - t0) / (r1 - r0), 1000 * (t2 - t0) / (r2 - r0)
    text = table(
        "2. Scale: synthesis of the three stacks, no packs",
        ("data scientists", "feature groups", *STACKS, "total", "seconds", "peak MB", "ms per resource"),
        rows,
    )
    text += (
        f"\n   per added resource: {users_slope:.2f} ms (users, 10 -> 500), "
        f"{groups_slope:.2f} ms (feature groups, 10 -> 100)"
    )
    return text, {"ms_per_added_resource": max(users_slope, groups_slope)}


def bench_analyzer() -> tuple[str, dict[str, float]]:
    sys.path.insert(0, str(ROOT))
    from offline.analyzer import PackSession, discover_packs
    from offline.engine import preview as run_preview

    result = next(s.result for s in run_preview(ROOT, ["datamgmt"], policies=False).stacks)
    packs = discover_packs(ROOT / "policies")
    rows = []
    with PackSession.for_result(packs, result, {}) as session:
        session.analyze_stack(result)  # packs up and configured before the clock starts
        started = time.perf_counter()
        for record in result.resources:
            session.analyze_resources(result, [record.urn])
        per_resource = time.perf_counter() - started
        started = time.perf_counter()
        session.analyze_stack(result)
        whole = time.perf_counter() - started
    n = len(result.resources)
    calls = n * len(packs)
    rows.append(("Analyze, one resource per call", n, len(packs), per_resource, calls / per_resource))
    rows.append(("AnalyzeStack, the whole stack", n, len(packs), whole, n * len(packs) / whole))
    text = table(
        "3. Policy analysis over gRPC (datamgmt stack)", ("call", "resources", "packs", "seconds", "resources/s"), rows
    )
    return text, {"analyze_per_resource": calls / per_resource, "analyze_stack": n * len(packs) / whole}


def critical_path(stack: dict[str, Any]) -> list[str]:
    """The longest chain of custom resources, each waiting for the one before (dependencies; a
    dependency on a component means on all its custom descendants)."""
    resources = {r["urn"]: r for r in stack["resources"]}
    children: dict[str, list[str]] = {}
    for r in stack["resources"]:
        children.setdefault(r["parent"], []).append(r["urn"])

    def customs(urn: str) -> list[str]:
        if urn not in resources:
            return []
        below = [c for child in children.get(urn, []) for c in customs(child)]
        return below if resources[urn]["type"].startswith("mlops:") else [urn, *below]

    waits = {
        urn: {d for dep in r["dependencies"] for d in customs(dep) if d != urn}
        for urn, r in resources.items()
        if not r["type"].startswith("mlops:")
    }
    longest: dict[str, list[str]] = {}

    def chain(urn: str) -> list[str]:
        if urn not in longest:
            before = max((chain(d) for d in waits.get(urn, ())), key=len, default=[])
            longest[urn] = [*before, urn]
        return longest[urn]

    return max((chain(urn) for urn in waits), key=len, default=[])


def bench_critical_path() -> str:
    _, document = preview(ROOT, STACKS, policies=False, repeat=1)
    rows = []
    for stack in document["stacks"]:
        path = critical_path(stack)
        names = " -> ".join(urn.rsplit("::", 1)[-1] for urn in path)
        rows.append((stack["name"], len(stack["resources"]), len(path), names))
    return table(
        "4. Critical path: the longest chain of resources that wait for each other",
        ("stack", "resources", "chain length", "chain"),
        rows,
    )


def slope(points: Sequence[tuple[float, float]]) -> float:
    """The least-squares slope of ``(x, y)`` points."""
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _ in points)


def teams_project(count: int) -> Path:
    """A copy of the project with ``count`` data science teams and pre-production."""
    return write_teams(copy_project(Path(tempfile.mkdtemp(prefix="mlops-bench-teams-"))), many_teams(count), True)


def bench_teams() -> tuple[str, dict[str, float]]:
    """The full preview (every stack, the four packs, the access model) as data science teams are
    added, one account and stack each, with pre-production."""
    projects = {count: teams_project(count) for count in TEAM_COUNTS}
    try:
        runs = {count: preview(projects[count], (), True, repeat=1, tree=True) for count in TEAM_COUNTS}
    finally:
        for folder in projects.values():
            shutil.rmtree(folder)
    rows = []
    for count, (run, document) in runs.items():
        resources = sum(len(stack["resources"]) for stack in document["stacks"])
        steps = len(document.get("access", {}).get("steps", []))
        rows.append((count, len(document["stacks"]), resources, steps, run.seconds, run.peak_mb, run.tree_mb))
    per_team = [slope([(row[0], row[i]) for row in rows]) for i in (4, 6, 2, 3)]
    text = table(
        "6. Teams (with pre-production): full preview, four policy packs a stack (at most "
        f"{PACK_WINDOW + 1} stacks' packs running at once) and the access model",
        ("teams", "stacks", "resources", "access steps", "seconds", "peak MB (preview)", "peak MB (all processes)"),
        rows,
    )
    text += (
        f"\n   one more team (least-squares slope, {TEAM_COUNTS[0]} to {TEAM_COUNTS[-1]} teams): "
        f"{per_team[0]:+.2f} s, {per_team[1]:+.1f} MB (all processes), {per_team[2]:+.0f} resources, "
        f"{per_team[3]:+.0f} access steps"
    )
    return text, {"seconds_per_team": per_team[0], "mb_per_team": per_team[1]}


def bench_policy_sizes() -> str:
    """The largest policy document of each kind in tooling and data management, which name every team."""
    from offline import sizes
    from offline.engine import preview as run_preview

    points = {}
    for count in SIZE_TEAM_COUNTS:
        project = teams_project(count)
        try:
            result = run_preview(project, ["tooling", "datamgmt"], policies=False, access=False)
        finally:
            shutil.rmtree(project)
        points[count] = sizes.documents(stack.result for stack in result.stacks)
    return "\n" + sizes.render(
        sizes.growth(points), "7. Policy sizes against AWS's limits: tooling and datamgmt, with pre-production"
    )


def bench_tests() -> tuple[str, dict[str, float]]:
    run = measure([PYTHON, "-m", "pytest", "-p", "no:warnings"])
    summary = next((line for line in reversed(run.stdout.splitlines()) if " passed" in line), "no summary")
    text = table(
        "8. Test suite",
        ("run", "seconds", "peak MB", "result"),
        [("make test (pytest)", run.seconds, run.peak_mb, summary)],
    )
    return text, {"tests_seconds": run.seconds}


SECTIONS = ("preview", "scale", "analyzer", "critical-path", "teams", "policy-sizes", "tests")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--skip-tests", action="store_true", help="leave out the test suite's wall time")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, default=[], help="run only this section (repeatable)"
    )
    args = parser.parse_args(argv)
    wanted = set(args.only or SECTIONS) - ({"tests"} if args.skip_tests else set())
    sections: list[tuple[str, Callable[[], tuple[str, dict[str, float]]]]] = [
        ("preview", lambda: bench_preview(args.repeat)),
        ("scale", lambda: bench_scale(1)),
        ("analyzer", bench_analyzer),
        ("critical-path", lambda: (bench_critical_path(), {})),
        ("teams", bench_teams),
        ("policy-sizes", lambda: (bench_policy_sizes(), {})),
        ("tests", bench_tests),
    ]
    results: dict[str, float] = {}
    for name, bench in sections:
        if name in wanted:
            text, numbers = bench()
            print(text, flush=True)
            results.update(numbers)
    goals = [
        ("full three-stack preview within 2x the import floor", "preview_ratio", "<=", 2.0),
        ("under 1 ms per added resource", "ms_per_added_resource", "<", 1.0),
        ("at least 2,000 resources/s through the analyzer (whole stack)", "analyze_stack", ">=", 2000.0),
        ("test suite under 90 s", "tests_seconds", "<", 90.0),
    ]
    rows = []
    for goal, key, op, bound in goals:
        if key not in results:
            continue
        value = results[key]
        met = {"<=": value <= bound, "<": value < bound, ">=": value >= bound}[op]
        rows.append((goal, f"{value:.2f}", f"{op} {bound:g}", "met" if met else "MISSED"))
    if rows:
        print(table("Goals (issue #8)", ("goal", "measured", "target", "verdict"), rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
