"""Ingest computed features into a feature group: runs in a SageMaker processing container.

Reads every CSV under /opt/ml/processing/features and puts each row into the feature group with the
Feature Store runtime API (online and offline stores both receive it). Exits non-zero, naming the
first failures, if any record is refused.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import boto3

FEATURES = Path("/opt/ml/processing/features")


def records(folder: Path) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    for path in sorted(folder.rglob("*.csv")):
        with path.open(newline="") as handle:
            rows.extend(csv.DictReader(handle))
    return rows


def ingest(rows: list[dict[str, str]], feature_group: str, client: object) -> list[str]:
    """Put every row; the errors, one line each."""
    errors = []
    for number, row in enumerate(rows, start=1):
        record = [{"FeatureName": name, "ValueAsString": value} for name, value in row.items() if value != ""]
        try:
            client.put_record(FeatureGroupName=feature_group, Record=record)  # type: ignore[attr-defined]
        except Exception as error:
            errors.append(f"row {number}: {error}")
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feature-group", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument("--features", type=Path, default=FEATURES)
    args = parser.parse_args(argv)
    rows = records(args.features)
    if not rows:
        print(f"no feature rows under {args.features}; expected the CSV the previous step wrote", file=sys.stderr)
        return 1
    client = boto3.client("sagemaker-featurestore-runtime", region_name=args.region)
    errors = ingest(rows, args.feature_group, client)
    print(f"{len(rows) - len(errors)} of {len(rows)} records into {args.feature_group}")
    for error in errors[:10]:
        print(error, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
