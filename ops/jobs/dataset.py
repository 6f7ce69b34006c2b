"""Build a training dataset: runs in a SageMaker processing container (Python 3.8, boto3).

Runs the dataset query (a file ``ops`` wrote: the feature group's offline store as of a point in
time, joined to the labels) with Athena in the account's training workgroup, whose settings put the
results, encrypted, in the training bucket. Lake Formation decides what the query may read, as the
pipeline's execution role. The rows are split by record identifier, so a record is never in both
parts, and written as ``train/dataset.csv`` and ``test/dataset.csv`` (with a header row).

Locally, against any Athena: ``python ops/jobs/dataset.py --query query.sql --workgroup W
--region eu-west-1 --record-identifier customer_id --output build/dataset``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3

OUTPUT = Path("/opt/ml/processing/output")
QUERY = Path("/opt/ml/processing/input/query/query.sql")


def run_query(client: Any, query: str, workgroup: str, poll_seconds: float, timeout_seconds: float) -> str:
    """Start the query and wait for it; its execution id. A failed query exits with Athena's reason."""
    execution = client.start_query_execution(QueryString=query, WorkGroup=workgroup)["QueryExecutionId"]
    started = time.monotonic()
    while True:
        status = client.get_query_execution(QueryExecutionId=execution)["QueryExecution"]["Status"]
        state = status["State"]
        if state == "SUCCEEDED":
            return str(execution)
        if state in ("FAILED", "CANCELLED"):
            raise SystemExit(f"query {execution}: {state}: {status.get('StateChangeReason', 'no reason given')}")
        if time.monotonic() - started > timeout_seconds:
            client.stop_query_execution(QueryExecutionId=execution)
            raise SystemExit(f"query {execution}: still {state} after {timeout_seconds:.0f} s; stopped")
        time.sleep(poll_seconds)


def result_rows(client: Any, execution: str) -> Iterator[list[str]]:
    """Every row of the result, the header first; a NULL is an empty string."""
    for page in client.get_paginator("get_query_results").paginate(QueryExecutionId=execution):
        for row in page["ResultSet"]["Rows"]:
            yield [cell.get("VarCharValue", "") for cell in row["Data"]]


def in_test(record_id: str, test_fraction: float) -> bool:
    """A stable choice per record: the same record is in the same part on every run."""
    digest = hashlib.sha256(record_id.encode("utf-8")).hexdigest()
    return int(digest[:8], 16) / 0x100000000 < test_fraction


def split(rows: Iterator[list[str]], record_identifier: str, test_fraction: float) -> dict[str, list[list[str]]]:
    header = next(rows, None)
    if header is None:
        raise SystemExit("query result: no header row; expected the dataset query's columns")
    if record_identifier not in header:
        raise SystemExit(f"--record-identifier: {record_identifier!r} is not a column of the result {header}")
    index = header.index(record_identifier)
    parts: dict[str, list[list[str]]] = {"header": [header], "train": [], "test": []}
    for row in rows:
        parts["test" if in_test(row[index], test_fraction) else "train"].append(row)
    for part in ("train", "test"):
        if not parts[part]:
            raise SystemExit(
                f"dataset: the {part} part is empty ({len(parts['train']) + len(parts['test'])} rows in all); "
                "expected labels for enough records as of the dataset's point in time"
            )
    return parts


def write(parts: dict[str, list[list[str]]], output: Path) -> None:
    for part in ("train", "test"):
        folder = output / part
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "dataset.csv").open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerows(parts["header"] + parts[part])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query", type=Path, default=QUERY, help="a file holding the dataset query")
    parser.add_argument("--workgroup", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--record-identifier", required=True)
    parser.add_argument("--test-fraction", type=float, default=0.2)
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--poll-seconds", type=float, default=2.0)
    parser.add_argument("--timeout-minutes", type=float, default=60.0)
    args = parser.parse_args(argv)
    if not 0 < args.test_fraction < 1:
        parser.error(f"--test-fraction: {args.test_fraction} is not between 0 and 1; expected for example 0.2")
    try:
        query = args.query.read_text()
    except OSError as error:
        raise SystemExit(
            f"--query: {str(args.query)!r} cannot be read ({error.strerror}); expected the query file"
        ) from None
    client = boto3.client("athena", region_name=args.region)
    execution = run_query(client, query, args.workgroup, args.poll_seconds, args.timeout_minutes * 60)
    parts = split(result_rows(client, execution), args.record_identifier, args.test_fraction)
    write(parts, args.output)
    print(f"dataset: {len(parts['train'])} training rows, {len(parts['test'])} test rows (query {execution})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
