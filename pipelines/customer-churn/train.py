"""Customer churn model: the training script of the customer-churn training pipeline.

Reads the training channel (one or more CSV files with a header row: ``customer_id``, the model
features of features/customer-churn.yaml and the 0/1 label ``churned``; other columns are ignored),
fits a scikit-learn pipeline (imputation, one-hot encoding, gradient boosting) on all of it and
writes the fitted pipeline as ``model.joblib`` to the model directory and its training metrics as
``metrics.json`` to the output data directory. The platform splits train and test before this runs.

It runs in script mode on a SageMaker training job with the scikit-learn 1.2-1 image (Python 3.8),
started by the ModelTrainer's script driver as ``python train.py --n_estimators 200 ...``; the
directories default to the SM_CHANNEL_TRAIN, SM_MODEL_DIR and SM_OUTPUT_DATA_DIR it sets. Locally:

    python pipelines/customer-churn/train.py --train data/train --model-dir build/model --output-data-dir build/out

Each metric is also printed as ``train:<name>=<value>`` for the job's metric definitions.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

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
#: SageMaker shows this file's text as the training job's FailureReason (if the job writes it first).
FAILURE_FILE = Path("/opt/ml/output/failure")


# The CSV-reading helpers below are duplicated in evaluate.py on purpose: each script is uploaded and
# run alone (this one in the training job, that one in a processing job), so neither can import the other.
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


def build_model(n_estimators: int, max_depth: int, learning_rate: float) -> Pipeline:
    categorical = Pipeline(
        [("impute", SimpleImputer(strategy="most_frequent")), ("encode", OneHotEncoder(handle_unknown="ignore"))]
    )
    features = ColumnTransformer(
        [("numeric", SimpleImputer(strategy="median"), NUMERIC), ("categorical", categorical, CATEGORICAL)],
        sparse_threshold=0.0,
    )
    classifier = GradientBoostingClassifier(
        n_estimators=n_estimators, max_depth=max_depth, learning_rate=learning_rate, random_state=0
    )
    return Pipeline([("features", features), ("classifier", classifier)])


def fail(message: str) -> SystemExit:
    """The error to raise, its message also left for SageMaker's FailureReason when in a training job."""
    if FAILURE_FILE.parent.is_dir():
        FAILURE_FILE.write_text(message + "\n")
    return SystemExit(message)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("--n_estimators", type=int, default=200)
    parser.add_argument("--max_depth", type=int, default=3)
    parser.add_argument("--learning_rate", type=float, default=0.1)
    parser.add_argument("--label", default="churned")
    parser.add_argument("--train", type=Path, default=os.environ.get("SM_CHANNEL_TRAIN", "/opt/ml/input/data/train"))
    parser.add_argument("--model-dir", type=Path, default=os.environ.get("SM_MODEL_DIR", "/opt/ml/model"))
    parser.add_argument(
        "--output-data-dir", type=Path, default=os.environ.get("SM_OUTPUT_DATA_DIR", "/opt/ml/output/data")
    )
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        print(f"ignoring unknown arguments: {' '.join(unknown)}", file=sys.stderr)
    if args.n_estimators < 1 or args.max_depth < 1 or not args.learning_rate > 0:
        parser.error("--n_estimators and --max_depth must be at least 1 and --learning_rate above 0")

    try:
        data = read_channel(args.train, "--train", args.label)
        source = f"--train {args.train}"
        inputs, target = model_inputs(data, source), labels(data, source, args.label)
        if target.nunique() < 2:
            raise SystemExit(
                f"{source}: label column {args.label} is {target.iloc[0]} in all {len(target)} rows; "
                "expected both classes, 0 and 1"
            )
        empty = [column for column in FEATURES if inputs[column].isna().all()]
        if empty:
            raise SystemExit(
                f"{source}: column {', '.join(empty)} is empty in all {len(inputs)} rows; expected values to learn from"
            )
    except SystemExit as error:
        raise fail(str(error.code)) from None

    model = build_model(args.n_estimators, args.max_depth, args.learning_rate).fit(inputs, target)
    probabilities = model.predict_proba(inputs)[:, 1]
    metrics = {
        "rows": len(target),
        "positive_rate": float(target.mean()),
        "auc": float(roc_auc_score(target, probabilities)),
        "accuracy": float(accuracy_score(target, model.predict(inputs))),
    }

    args.model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, args.model_dir / "model.joblib")
    args.output_data_dir.mkdir(parents=True, exist_ok=True)
    hyperparameters = {
        "n_estimators": args.n_estimators,
        "max_depth": args.max_depth,
        "learning_rate": args.learning_rate,
    }
    (args.output_data_dir / "metrics.json").write_text(
        json.dumps({**metrics, "hyperparameters": hyperparameters}, indent=2) + "\n"
    )
    for name, value in metrics.items():
        print(f"train:{name}={value:.4f}" if isinstance(value, float) else f"train:{name}={value}")
    print(f"{len(target)} rows -> {args.model_dir / 'model.joblib'}, {args.output_data_dir / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
