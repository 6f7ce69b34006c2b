"""Customer churn features: the processing script exported from customer-churn.flow.

Reads the customers table and the customer events (logins, payment failures, support tickets),
both CSV, and writes one row per customer with the features of features/customer-churn.yaml. It
runs on a SageMaker processing image with pandas (the scikit-learn image) or locally:

    python flows/customer-churn.py --customers customers.csv --events events.csv --output features.csv

The snapshot time ("as of") is the end of the day of the latest event, so a rerun on the same data
gives the same features; ``--as-of`` overrides it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

CONTAINER_INPUT = Path("/opt/ml/processing/input")
CONTAINER_OUTPUT = Path("/opt/ml/processing/output")
FEATURES = [
    "customer_id",
    "event_time",
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "contract_type",
    "payment_failures_90d",
    "support_tickets_90d",
    "days_since_last_login",
    "avg_session_minutes_30d",
    "churn_risk_segment",
]


def snapshot_time(events: pd.DataFrame) -> pd.Timestamp:
    """The end of the day of the latest event: the moment the features describe."""
    return pd.to_datetime(events["event_time"], utc=True).max().ceil("D")


def aggregate_events(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Per customer: payment failures and support tickets in 90 days, last login, recent session length."""
    events = events.assign(event_time=pd.to_datetime(events["event_time"], utc=True))
    events = events[events["event_time"] <= as_of]
    last_90 = events[events["event_time"] > as_of - pd.Timedelta(days=90)]
    logins = events[events["event_type"] == "login"]
    recent_logins = logins[logins["event_time"] > as_of - pd.Timedelta(days=30)]
    counts = last_90.pivot_table(index="customer_id", columns="event_type", values="event_time", aggfunc="count")
    return (
        pd.DataFrame(
            {
                "payment_failures_90d": counts.get("payment_failed", pd.Series(dtype=float)),
                "support_tickets_90d": counts.get("support_ticket", pd.Series(dtype=float)),
                "last_login": logins.groupby("customer_id")["event_time"].max(),
                "avg_session_minutes_30d": recent_logins.groupby("customer_id")["session_minutes"].mean(),
            }
        )
        .rename_axis("customer_id")
        .reset_index()
    )


def derive_features(df: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """From customers joined with their activity, the catalog's features, typed as the catalog says."""
    df = df.copy()
    signup = pd.to_datetime(df["signup_date"], utc=True)
    months = (as_of.year - signup.dt.year) * 12 + (as_of.month - signup.dt.month)
    df["tenure_months"] = (months - (as_of.day < signup.dt.day)).clip(lower=0).astype("int64")
    for column in ("payment_failures_90d", "support_tickets_90d"):
        df[column] = df[column].fillna(0).astype("int64")
    # A customer who never logged in counts from sign-up.
    last_seen = pd.to_datetime(df["last_login"], utc=True).fillna(signup)
    df["days_since_last_login"] = (as_of - last_seen).dt.days.astype("int64")
    df["avg_session_minutes_30d"] = df["avg_session_minutes_30d"].fillna(0.0).astype("float64")
    df["monthly_charges"] = df["monthly_charges"].astype("float64")
    df["total_charges"] = df["total_charges"].astype("float64")
    high = (
        (df["payment_failures_90d"] >= 2)
        | (df["days_since_last_login"] > 30)
        | ((df["contract_type"] == "month-to-month") & (df["support_tickets_90d"] >= 3))
    )
    medium = (df["support_tickets_90d"] >= 1) | (df["days_since_last_login"] > 14)
    df["churn_risk_segment"] = "low"
    df.loc[medium, "churn_risk_segment"] = "medium"
    df.loc[high, "churn_risk_segment"] = "high"
    df["event_time"] = as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
    return df[FEATURES].sort_values("customer_id").reset_index(drop=True)


def compute_features(customers: pd.DataFrame, events: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
    as_of = as_of if as_of is not None else snapshot_time(events)
    activity = aggregate_events(events, as_of)
    return derive_features(customers.merge(activity, on="customer_id", how="left"), as_of)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=Path, default=CONTAINER_INPUT / "customers" / "customers.csv")
    parser.add_argument("--events", type=Path, default=CONTAINER_INPUT / "events" / "events.csv")
    parser.add_argument("--output", type=Path, default=CONTAINER_OUTPUT / "features.csv")
    parser.add_argument("--as-of", type=pd.Timestamp, default=None, help="snapshot time, ISO-8601 (default: derived)")
    args = parser.parse_args(argv)
    for name in ("customers", "events"):
        if not getattr(args, name).is_file():
            print(f"--{name}: {str(getattr(args, name))!r} is not a file; expected a CSV", file=sys.stderr)
            return 2
    as_of = args.as_of.tz_localize("UTC") if args.as_of is not None and args.as_of.tzinfo is None else args.as_of
    features = compute_features(pd.read_csv(args.customers), pd.read_csv(args.events), as_of)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    features.to_csv(args.output, index=False)
    print(f"{len(features)} customers, {len(FEATURES)} features -> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
