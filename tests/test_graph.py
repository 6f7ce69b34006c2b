"""``python -m offline graph``: the picture of the three accounts and what crosses between them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from offline.engine import Preview
from offline.graph import build
from tests.conftest import ROOT, run_engine


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
    assert labels.count("assumes") == 2  # the CI role into the runner and the deploy role
    assert any(label.startswith("LF-tag share (RAM): tables where") and "public/internal" in label for label in labels)
    assert {"resource link to mlops_curated", "resource link to mlops_features"} <= set(labels)
    assert "mlops-tooling-feature-branches\npush to feature/*: Checks -> FeatureJob" in labels
    assert "mlops-tooling-production\npush to main: Checks -> Approval -> ProductionFeatureJob" in labels


def test_the_committed_picture_is_current(source: str) -> None:
    committed = (ROOT / "docs" / "platform.dot").read_text()
    assert committed.strip() == source.strip(), "docs/platform.dot is stale: run make graph"
    assert (ROOT / "docs" / "platform.svg").stat().st_mtime_ns > 0


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
