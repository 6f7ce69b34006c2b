"""Customer churn model: the evaluation script of the customer-churn training pipeline.

Loads the pipeline that train.py fitted (``model.joblib``, inside the ``model.tar.gz`` the training
job produced), scores the held-out test set (CSV files with a header row, as for training) and writes
``evaluation.json`` in the Model Registry's model-quality format: AUC, accuracy, precision, recall and
F1 under ``binary_classification_metrics``, each as ``{"value": ..., "standard_deviation": "NaN"}``,
plus ``rows`` and ``positive_rate``. The pipeline's condition step reads
``binary_classification_metrics.auc.value``.

It runs on a SageMaker processing job with the scikit-learn 1.2-1 image (Python 3.8), the same image
as training so that the model unpickles; the defaults are the processing job's paths. Locally:

    python pipelines/customer-churn/evaluate.py --model build/model --test data/test --output build/evaluation
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

CONTAINER = Path("/opt/ml/processing")
NUMERIC = [
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "payment_failures_90d",
    "support_tickets_90d",
    "days_since_last_login",
    "avg_session_minutes_30d",
]
CATEGORICAL = ["contract_type", "churn_risk_segment"]
FEATURES = NUMERIC + CATEGORICAL


# The CSV-reading helpers below are duplicated from train.py on purpose: each script is uploaded and
# run alone (that one in the training job, this one in a processing job), so neither can import the other.
def read_channel(path: Path, option: str, label: str) -> pd.DataFrame:
    """Every ``*.csv`` under a channel directory (or one CSV file), concatenated; each must have the
    features and the label."""
    files = [path] if path.is_file() else sorted(path.rglob("*.csv")) if path.is_dir() else []
    if not files:
        raise SystemExit(f"{option} {path}: no CSV files found; expected a directory of *.csv files with a header row")
    frames = []
    for file in files:
        try:
            frame = pd.read_csv(file)
        except pd.errors.EmptyDataError:
            raise SystemExit(f"{option} {file}: the file is empty; expected CSV with a header row") from None
        missing = [column for column in [*FEATURES, label] if column not in frame.columns]
        if missing:
            raise SystemExit(
                f"{option} {file}: missing column(s) {', '.join(missing)}; expected a header row with "
                f"{', '.join(FEATURES)} and the label {label}"
            )
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    if data.empty:
        raise SystemExit(f"{option} {path}: no data rows; expected at least one row below the header")
    return data


def model_inputs(data: pd.DataFrame, option: str) -> pd.DataFrame:
    """The model's features in order: numeric as float (empty is NaN), categorical as text objects."""
    inputs = pd.DataFrame(index=data.index)
    for column in NUMERIC:
        values = pd.to_numeric(data[column], errors="coerce")
        bad = data[column][values.isna() & data[column].notna()]
        if len(bad):
            raise SystemExit(f"{option}: column {column} has the non-numeric value {bad.iloc[0]!r}; expected a number")
        inputs[column] = values.astype("float64")
    for column in CATEGORICAL:
        # Plain objects with NaN for empty, the same under pandas 1 (object) and pandas 3 ("str").
        inputs[column] = pd.Series(
            [np.nan if pd.isna(v) else str(v) for v in data[column]], index=data.index, dtype=object
        )
    return inputs


def labels(data: pd.DataFrame, option: str, label: str) -> pd.Series:
    """The label as 0/1 integers; anything else (text, 2, empty) is an error."""
    values = pd.to_numeric(data[label], errors="coerce")
    bad = data[label][~values.isin([0, 1])]
    if len(bad):
        shown = ", ".join(sorted({"(empty)" if pd.isna(v) else repr(v) for v in bad})[:5])
        raise SystemExit(
            f"{option}: label column {label} has {len(bad)} value(s) other than 0/1, such as {shown}; expected 0 or 1"
        )
    return values.astype("int64")


def extract(tarball: Path, destination: Path) -> None:
    """Unpack a model archive, refusing absolute paths, ``..``, links and devices before writing anything."""
    try:
        with tarfile.open(tarball, "r:*") as archive:
            members = archive.getmembers()
            for member in members:
                parts = PurePosixPath(member.name).parts
                if member.name.startswith(("/", "\\")) or ".." in parts:
                    raise SystemExit(
                        f"--model {tarball}: unsafe member path {member.name!r}; expected relative paths without '..'"
                    )
                if not (member.isfile() or member.isdir()):
                    raise SystemExit(
                        f"--model {tarball}: member {member.name!r} is a link or special file; expected regular files"
                    )
            for member in members:
                target = destination.joinpath(*PurePosixPath(member.name).parts)
                if member.isdir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                source = archive.extractfile(member)
                assert source is not None  # a regular file always has content
                with source, target.open("wb") as out:
                    shutil.copyfileobj(source, out)
    except (tarfile.TarError, EOFError) as error:
        raise SystemExit(f"--model {tarball}: not a readable tar archive ({error}); expected a model.tar.gz") from None


def load_model(path: Path) -> Any:
    """The fitted pipeline from a directory holding model.tar.gz or model.joblib, or from either file."""
    candidates = [path / "model.joblib", path / "model.tar.gz"] if path.is_dir() else [path]
    found = next((file for file in candidates if file.is_file()), None)
    if found is None:
        raise SystemExit(
            f"--model {path}: no model.tar.gz or model.joblib; expected the training job's model artifact directory"
        )
    if found.name.endswith(".joblib"):
        return joblib.load(found)
    with tempfile.TemporaryDirectory() as unpacked:
        extract(found, Path(unpacked))
        model_file = Path(unpacked) / "model.joblib"
        if not model_file.is_file():
            raise SystemExit(
                f"--model {found}: the archive has no model.joblib at its top level; expected train.py's model"
            )
        return joblib.load(model_file)


def metric(value: float) -> dict[str, Any]:
    return {"value": float(value), "standard_deviation": "NaN"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--model", type=Path, default=CONTAINER / "model")
    parser.add_argument("--test", type=Path, default=CONTAINER / "test")
    parser.add_argument("--output", type=Path, default=CONTAINER / "evaluation")
    parser.add_argument("--label", default="churned")
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        print(f"ignoring unknown arguments: {' '.join(unknown)}", file=sys.stderr)

    data = read_channel(args.test, "--test", args.label)
    source = f"--test {args.test}"
    inputs, target = model_inputs(data, source), labels(data, source, args.label)
    if target.nunique() < 2:
        raise SystemExit(
            f"{source}: label column {args.label} is {target.iloc[0]} in all {len(target)} rows; "
            "expected both classes, 0 and 1, for an AUC"
        )
    model = load_model(args.model)
    probabilities = model.predict_proba(inputs)[:, 1]
    predicted = model.predict(inputs)
    scores = {
        "auc": roc_auc_score(target, probabilities),
        "accuracy": accuracy_score(target, predicted),
        "precision": precision_score(target, predicted, zero_division=0),
        "recall": recall_score(target, predicted, zero_division=0),
        "f1": f1_score(target, predicted, zero_division=0),
    }
    report = {
        "binary_classification_metrics": {name: metric(value) for name, value in scores.items()},
        "rows": len(target),
        "positive_rate": float(target.mean()),
    }

    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "evaluation.json").write_text(json.dumps(report, indent=2) + "\n")
    for name, value in scores.items():
        print(f"test:{name}={value:.4f}")
    print(f"{len(target)} rows -> {args.output / 'evaluation.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
