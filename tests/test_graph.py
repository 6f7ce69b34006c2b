"""``python -m offline graph``: the picture of the accounts and what crosses between them (the
shipped three, and three data science teams with pre-production)."""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import graphviz
import pytest

from offline.engine import Preview
from offline.graph import ACCOUNT_COLOURS, build
from tests.conftest import ROOT, run_engine
from tests.scenarios import PREPROD_ACCOUNT, THREE_TEAMS

DOT_FILE = ROOT / "docs" / "platform.dot"
SVG_FILE = ROOT / "docs" / "platform.svg"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def source(platform: Preview) -> str:
    return str(build(platform).source)


def edges(source: str) -> list[str]:
    """Each edge's label (quoted when it has spaces or lines, bare when it is one word)."""
    return [quoted or bare for quoted, bare in re.findall(r'->\s*\S+\s*\[label=(?:"([^"]*)"|(\w+))', source)]


def test_each_account_is_a_cluster_of_its_building_blocks(source: str) -> None:
    for name, account in (("tooling", "111111111111"), ("datamgmt", "333333333333"), ("datasci", "222222222222")):
        assert f"subgraph cluster_{name}" in source
        assert f"{name}  ({account}, eu-west-1)" in source
    for block in ("StudioDomain\ndatasci-studio", "LakeGovernance\ndatamgmt-governance", "CiCd\ntooling-cicd"):
        assert block in source


def test_cross_account_edges(source: str) -> None:
    labels = edges(source)
    assert labels.count("stack reference") == 3  # tooling to both, datamgmt to datasci
    # The team's build role into its runner, production's into the deployer, and the audit role
    # into each account's auditor.
    assert labels.count("assumes") == 2 + 2
    assert any(label.startswith("LF-tag share (RAM): tables where") and "public/internal" in label for label in labels)
    assert {"resource link to mlops_curated", "resource link to mlops_features"} <= set(labels)
    assert "mlops-tooling-feature-branches\npush to feature/analytics/**, feature/*: Checks -> FeatureJob" in labels
    assert "mlops-tooling-production\npush to main: Checks -> Approval -> ProductionFeatureJob" in labels


@pytest.fixture(scope="module")
def teams_drawing(teams_platform: Preview) -> Drawing:
    return parse_dot(str(build(teams_platform).source))


def test_every_account_of_three_teams_and_preprod_is_drawn_in_its_roles_colour(teams_platform: Preview) -> None:
    source = str(build(teams_platform).source)
    accounts = {
        "tooling": ("111111111111", "tooling"),
        "datamgmt": ("333333333333", "datamgmt"),
        **{team.stack: (team.account_id, "datasci") for team in THREE_TEAMS},
        "preprod": (PREPROD_ACCOUNT, "preprod"),
    }
    for name, (account, role) in accounts.items():
        cluster = re.search(
            rf'subgraph "?cluster_{name}"? {{\s*fillcolor="([^"]+)"[^\n]*label="{name}  \({account}, eu-west-1\)"',
            source,
        )
        assert cluster is not None, name
        assert cluster.group(1) == ACCOUNT_COLOURS[role], name
    assert len(set(ACCOUNT_COLOURS.values())) == len(ACCOUNT_COLOURS)
    assert 'label="MLOps feature platform: six accounts"' in source


def test_each_teams_pipeline_reaches_its_own_account(teams_platform: Preview, teams_drawing: Drawing) -> None:
    labels = edges(str(build(teams_platform).source))
    # Each runner trusts its pipeline's build role: three teams', preprod's and the deployer; each
    # of those five accounts' auditor trusts the audit role.
    assert labels.count("assumes") == 5 + 5
    for team in THREE_TEAMS[1:]:
        assert (
            f"mlops-tooling-feature-branches-{team.name}\npush to feature/{team.name}/**: Checks -> FeatureJob"
            in labels
        )
    assert "mlops-tooling-production\npush to main: Checks -> PreprodFeatureJob" in labels
    assert (
        "mlops-tooling-production\npush to main: Checks -> PreprodFeatureJob -> Approval -> ProductionFeatureJob"
        in labels
    )
    # Each team's account is reached by its feature branches and its build role, from tooling's blocks.
    clusters = {name.strip('"'): label for name, label in teams_drawing.clusters.items()}
    assert len(clusters) == 6
    nodes = teams_drawing.nodes
    for team in THREE_TEAMS:
        runner_nodes = {
            head
            for (tail, head, label) in teams_drawing.edges
            if label == ("assumes",) and nodes.get(tail) == ("PlatformRole", f"tooling-build-{team.name}")
        }
        assert len(runner_nodes) == 1, team.name
        pipeline_heads = {
            head
            for (tail, head, label) in teams_drawing.edges
            if label[0] == ("mlops-tooling-feature-branches" + ("" if team is THREE_TEAMS[0] else f"-{team.name}"))
        }
        assert pipeline_heads == runner_nodes, team.name


@dataclass
class Drawing:
    """What a picture shows, as text: each node's label lines, each edge's ends and label lines, and
    each cluster's label. The same for the dot source and for Graphviz's SVG of it, whatever the layout."""

    title: str = ""
    label: tuple[str, ...] = ()
    nodes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    edges: Counter[tuple[str, str, tuple[str, ...]]] = field(default_factory=Counter)
    clusters: dict[str, tuple[str, ...]] = field(default_factory=dict)


TOKEN = re.compile(
    r'\s*(?:(?P<quoted>"(?:[^"\\]|\\.)*")|(?P<arrow>->|--)|(?P<punct>[\[\]{}=;,])|(?P<id>[^\s\[\]{}=;,"]+))'
)


def _lines(label: str) -> tuple[str, ...]:
    """A label's lines as Graphviz draws them: a line break, or a \\n, \\l or \\r escape, ends one;
    runs of spaces are kept (the SVG writes them as non-breaking)."""
    return tuple(line.strip() for line in re.split(r"\n|\\[nlr]", label.replace('\\"', '"')))


def parse_dot(text: str) -> Drawing:
    """The statements offline/graph.py writes: a digraph of node, edge, attribute and subgraph
    statements (no ports, no HTML labels, no edge chains through subgraphs)."""
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(text.rstrip()):
        match = TOKEN.match(text, position)
        assert match is not None, f"docs/platform.dot: cannot read from {text[position : position + 40]!r}"
        kind = match.lastgroup or ""
        value = match.group(kind)
        tokens.append(("id", value[1:-1]) if kind == "quoted" else (kind, value))
        position = match.end()

    def attributes(index: int) -> tuple[dict[str, str], int]:
        found: dict[str, str] = {}
        while index < len(tokens) and tokens[index] == ("punct", "["):
            index += 1
            while tokens[index] != ("punct", "]"):
                if tokens[index][0] == "punct":
                    index += 1
                    continue
                key, value = tokens[index][1], tokens[index + 2][1]
                found[key] = value
                index += 3
            index += 1
        return found, index

    drawing = Drawing()
    scopes: list[str] = []
    index = 0
    while index < len(tokens):
        kind, value = tokens[index]
        following = tokens[index + 1] if index + 1 < len(tokens) else ("", "")
        if kind == "punct":
            if value == "}":
                scopes.pop()
            index += 1
        elif value in ("strict", "digraph", "subgraph") and kind == "id":
            name = following[1] if following[0] == "id" else ""
            if value == "digraph":
                drawing.title = name
            scopes.append(name)
            index += 2 if name else 1
        elif value in ("graph", "node", "edge") and following == ("punct", "["):
            found, index = attributes(index + 1)
            if value == "graph" and "label" in found:
                drawing.label = _lines(found["label"])
        elif following == ("punct", "="):
            # key=value in a subgraph: the cluster's own attributes.
            if value == "label" and scopes and scopes[-1].startswith("cluster"):
                drawing.clusters[scopes[-1]] = _lines(tokens[index + 2][1])
            index += 3
        elif following[0] == "arrow":
            ends = [value]
            index += 1
            while index < len(tokens) and tokens[index][0] == "arrow":
                ends.append(tokens[index + 1][1])
                index += 2
            found, index = attributes(index)
            for tail, head in itertools.pairwise(ends):
                drawing.edges[(tail, head, _lines(found.get("label", "")))] += 1
        else:
            found, index = attributes(index + 1)
            drawing.nodes[value] = _lines(found.get("label", value))
    return drawing


def parse_svg(data: bytes) -> Drawing:
    """The same from Graphviz's SVG: each node, edge and cluster is a <g> with a <title> and its
    label's lines as <text> elements."""
    root = ElementTree.fromstring(data)

    def texts(group: ElementTree.Element) -> tuple[str, ...]:
        return tuple((t.text or "").replace("\xa0", " ").strip() for t in group.iter(f"{SVG}text"))

    drawing = Drawing()
    for group in root.iter(f"{SVG}g"):
        title = (group.findtext(f"{SVG}title") or "").strip()
        kind = group.get("class")
        if kind == "graph":
            drawing.title = title
            drawing.label = tuple((t.text or "").replace("\xa0", " ").strip() for t in group.findall(f"{SVG}text"))
        elif kind == "node":
            drawing.nodes[title] = texts(group)
        elif kind == "edge":
            tail, _, head = title.partition("->")
            drawing.edges[(tail, head, texts(group) or ("",))] += 1
        elif kind == "cluster":
            drawing.clusters[title] = texts(group)
    return drawing


def test_the_committed_picture_is_current(source: str) -> None:
    committed = DOT_FILE.read_text()
    assert committed.strip() == source.strip(), "docs/platform.dot is stale: run make graph"


def test_the_committed_svg_draws_every_node_edge_and_label_of_the_dot_source() -> None:
    """Needs no Graphviz, so CI (which installs none) checks it too: the SVG shows the dot source's
    nodes, edges and clusters, each with its label, and nothing else."""
    text = DOT_FILE.read_text()
    dot, svg = parse_dot(text), parse_svg(SVG_FILE.read_bytes())
    # The parser read it all: every node statement, and the three accounts.
    assert len(dot.nodes) == len(re.findall(r"^\s*n[0-9a-f]+ \[label=", text, re.MULTILINE)) > 20
    assert len(dot.edges) > 10 and len(dot.clusters) == 3
    stale = "docs/platform.svg is not the picture of docs/platform.dot: run make graph"
    assert (svg.title, svg.label) == (dot.title, dot.label), stale
    assert svg.clusters == dot.clusters, stale
    assert {n: svg.nodes.get(n) for n in dot.nodes} == dot.nodes, stale
    assert set(svg.nodes) == set(dot.nodes), stale
    assert svg.edges == dot.edges, stale


def _graphviz_version() -> str | None:
    """The installed Graphviz's version, as its SVG comments print it (None without Graphviz)."""
    if shutil.which("dot") is None:
        return None
    run = subprocess.run(["dot", "-V"], capture_output=True, text=True, timeout=30)
    found = re.search(r"graphviz version (\S+(?: \(\S+\))?)", run.stderr + run.stdout)
    return found.group(1) if found else "unknown"


def test_the_committed_svg_is_graphvizs_rendering_of_the_dot_source() -> None:
    """Byte for byte, where the Graphviz that drew the committed SVG is installed: layout and output
    differ between Graphviz versions, and `make graph` is the only way the SVG is made."""
    committed = SVG_FILE.read_bytes()
    drawn_by = re.search(rb"Generated by graphviz version (\S+(?: \(\S+\))?)", committed)
    assert drawn_by is not None, "docs/platform.svg does not say which Graphviz drew it: run make graph"
    installed = _graphviz_version()
    if installed is None:
        pytest.skip(
            "Graphviz (dot) is not on PATH (CI installs none); the SVG is checked against the dot source's text instead"
        )
    if installed != drawn_by.group(1).decode():
        pytest.skip(
            f"Graphviz {installed} is installed, but {drawn_by.group(1).decode()} drew docs/platform.svg and "
            "layouts differ between versions; the SVG is checked against the dot source's text"
        )
    rendered = graphviz.Source(DOT_FILE.read_text()).pipe(format="svg")
    assert rendered == committed, "docs/platform.svg is not Graphviz's rendering of docs/platform.dot: run make graph"


@pytest.mark.parametrize(
    ("out", "fragment"),
    [
        ("picture.txt", "--out: 'picture.txt' has no picture extension"),
    ],
)
def test_bad_output_is_one_line(out: str, fragment: str) -> None:
    run = run_engine(["graph", "--out", out])
    assert run.returncode == 2
    (line,) = run.stderr.strip().splitlines()
    assert fragment in line


def test_without_graphviz_the_source_still_comes_out(tmp_path: Path) -> None:
    out = tmp_path / "platform.dot"
    run = run_engine(["graph", "--out", str(out)])
    assert run.returncode == 0, run.stderr
    assert out.read_text().startswith("digraph platform {")
