"""Read online features (GetRecord, BatchGetRecord) and report the latency a model would see."""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Latency:
    calls: int
    p50_ms: float
    p95_ms: float
    max_ms: float


def _measure(call: Any, repeat: int) -> tuple[Any, Latency]:
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        timings.append((time.perf_counter() - started) * 1000)
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return result, Latency(len(timings), statistics.median(ordered), p95, ordered[-1])


def get_records(
    runtime: Any, feature_group: str, record_ids: Sequence[str], repeat: int = 1
) -> tuple[list[dict[str, str]], Latency]:
    """One record with GetRecord, several with BatchGetRecord; each record as feature name to value."""
    if len(record_ids) == 1:
        response, latency = _measure(
            lambda: runtime.get_record(FeatureGroupName=feature_group, RecordIdentifierValueAsString=record_ids[0]),
            repeat,
        )
        found = [response.get("Record", [])] if response.get("Record") else []
    else:
        identifiers = [{"FeatureGroupName": feature_group, "RecordIdentifiersValueAsString": list(record_ids)}]
        response, latency = _measure(lambda: runtime.batch_get_record(Identifiers=identifiers), repeat)
        found = [r["Record"] for r in response.get("Records", [])]
    return [{v["FeatureName"]: v["ValueAsString"] for v in record} for record in found], latency
