"""The example flow's exported script on a small generated dataset, and the flow itself."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd
import pytest

from contracts.feature_catalog import load_spec
from tests.conftest import ROOT

FLOWS = ROOT / "flows"
SPEC = load_spec(ROOT / "features" / "customer-churn.yaml")
#: pandas 3 gives text its own "str" dtype; earlier versions say "object".
DTYPES = {"Integral": ("int64",), "Fractional": ("float64",), "String": ("str", "object")}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("customer_churn", FLOWS / "customer-churn.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SCRIPT = _script()


def generate() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three customers whose features are easy to work out by hand; the latest event is on 2024-06-10."""
    customers = pd.DataFrame(
        {
            "customer_id": ["c1", "c2", "c3"],
            "signup_date": ["2022-01-15", "2024-05-20", "2023-06-11"],
            "contract_type": ["two-year", "month-to-month", "month-to-month"],
            "monthly_charges": [80.0, 20.5, 55.0],
            "total_charges": [2400.0, 20.5, 660.0],
        }
    )
    events = pd.DataFrame(
        [
            ("c1", "login", "2024-06-09T10:00:00Z", 30.0),
            ("c1", "login", "2024-06-01T10:00:00Z", 10.0),
            ("c1", "login", "2024-04-01T10:00:00Z", 99.0),  # older than 30 days: not in the average
            ("c2", "payment_failed", "2024-06-02T00:00:00Z", None),
            ("c2", "payment_failed", "2024-06-05T00:00:00Z", None),
            ("c3", "support_ticket", "2024-05-01T00:00:00Z", None),
            ("c3", "support_ticket", "2024-02-01T00:00:00Z", None),  # older than 90 days
            ("c3", "login", "2024-04-01T00:00:00Z", 12.0),
            ("c1", "support_ticket", "2024-06-10T08:00:00Z", None),
        ],
        columns=["customer_id", "event_type", "event_time", "session_minutes"],
    )
    return customers, events


def test_the_script_computes_the_features_by_hand() -> None:
    features = SCRIPT.compute_features(*generate()).set_index("customer_id")
    assert features.loc["c1", "event_time"] == "2024-06-11T00:00:00Z"  # end of the day of the latest event
    assert features.loc["c1", "tenure_months"] == 28
    assert features.loc["c2", "tenure_months"] == 0
    assert features.loc["c3", "tenure_months"] == 12
    assert features.loc["c1", "avg_session_minutes_30d"] == 20.0
    assert features.loc["c3", "avg_session_minutes_30d"] == 0.0
    assert features.loc["c2", "payment_failures_90d"] == 2
    assert features.loc["c3", "support_tickets_90d"] == 1
    assert features.loc["c1", "days_since_last_login"] == 1
    assert features.loc["c2", "days_since_last_login"] == 22  # never logged in: counted from sign-up
    assert features.loc["c3", "days_since_last_login"] == 71
    assert features["churn_risk_segment"].to_dict() == {"c1": "medium", "c2": "high", "c3": "high"}


def test_the_output_matches_the_catalog_spec() -> None:
    features = SCRIPT.compute_features(*generate())
    assert list(features.columns) == [f.name for f in SPEC.features]
    for feature in SPEC.features:
        assert str(features[feature.name].dtype) in DTYPES[feature.type], feature.name
    assert features[SPEC.record_identifier].is_unique


def test_the_script_runs_as_the_processing_job_does(tmp_path: Path) -> None:
    customers, events = generate()
    customers.to_csv(tmp_path / "customers.csv", index=False)
    events.to_csv(tmp_path / "events.csv", index=False)
    output = tmp_path / "out" / "features.csv"
    code = SCRIPT.main(
        [
            "--customers",
            str(tmp_path / "customers.csv"),
            "--events",
            str(tmp_path / "events.csv"),
            "--output",
            str(output),
        ]
    )
    assert code == 0
    written = pd.read_csv(output)
    assert len(written) == 3 and list(written.columns) == SCRIPT.FEATURES


def test_the_script_refuses_a_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert SCRIPT.main(["--customers", str(tmp_path / "nope.csv"), "--events", str(tmp_path / "nope.csv")]) == 2
    assert "--customers" in capsys.readouterr().err


def _nodes() -> dict[str, dict[str, Any]]:
    flow = json.loads((FLOWS / "customer-churn.flow").read_text())
    return {node["node_id"]: node for node in flow["nodes"]}


def _run_pandas_node(node: dict[str, Any], df: pd.DataFrame) -> pd.DataFrame:
    """Data Wrangler runs a custom pandas transform with ``df`` bound to its input and reads ``df`` back."""
    namespace: dict[str, Any] = {"pd": pd, "df": df}
    exec(node["parameters"]["pandas_parameters"]["code"], namespace)
    result = namespace["df"]
    assert isinstance(result, pd.DataFrame)
    return result


def test_the_flow_computes_what_its_exported_script_computes() -> None:
    """Run the flow's graph (sources, custom pandas transforms, the join) on the same data: the
    features must be the script's, so the flow and its export cannot drift apart."""
    customers, events = generate()
    nodes = _nodes()
    outputs: dict[str, pd.DataFrame] = {}
    by_source = {"customers.csv": customers, "events.csv": events}
    pending = list(nodes)
    while pending:
        node = nodes[pending.pop(0)]
        inputs = [i["node_id"] for i in node.get("inputs", [])]
        if any(i not in outputs for i in inputs):
            pending.append(node["node_id"])
            continue
        if node["type"] == "SOURCE":
            outputs[node["node_id"]] = by_source[node["parameters"]["dataset_definition"]["name"]]
        elif node["operator"] == "sagemaker.spark.join_tables_0.1":
            left, right = (outputs[i] for i in inputs)
            parameters = node["parameters"]
            assert parameters["join_type"] == "leftouter"
            outputs[node["node_id"]] = left.merge(
                right, left_on=parameters["left_column"], right_on=parameters["right_column"], how="left"
            )
        else:
            outputs[node["node_id"]] = _run_pandas_node(node, outputs[inputs[0]])
    consumed = {i["node_id"] for n in nodes.values() for i in n.get("inputs", [])}
    (last,) = [n for n in nodes if n not in consumed]
    pd.testing.assert_frame_equal(outputs[last], SCRIPT.compute_features(customers, events))


def test_the_flow_reads_from_the_data_science_snapshots() -> None:
    sources = [
        n["parameters"]["dataset_definition"]["s3ExecutionContext"]["s3Uri"]
        for n in _nodes().values()
        if n["type"] == "SOURCE"
    ]
    assert sources and all(uri.startswith("s3://mlops-datasci-snapshots-") for uri in sources)
