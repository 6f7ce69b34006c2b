"""Customer churn: a classifier of which subscription customers will cancel, trained on the
customer-churn features (features/customer-churn.yaml) and the retention team's churn labels.

Run it with ``python -m ops run-training --pipeline pipelines/customer-churn.py --account datasci``
(data scientists, on the experimentation features) or let the production pipeline run it in the
data management account after each production feature job. The code is in ``customer-churn/``:
``train.py`` fits the model, ``evaluate.py`` scores it on the held-out records.
"""

from pathlib import Path

from ops.training import Labels, TrainingDefinition

PIPELINE = TrainingDefinition(
    name="customer-churn",
    feature_group="customer-churn",
    features=(
        "tenure_months",
        "monthly_charges",
        "total_charges",
        "payment_failures_90d",
        "support_tickets_90d",
        "days_since_last_login",
        "avg_session_minutes_30d",
        "contract_type",
        "churn_risk_segment",
    ),
    # One row per customer and month end: whether the customer cancelled in the following 30 days.
    labels=Labels(table="churn_labels", column="churned", time="label_time"),
    code=Path("customer-churn"),
    hyperparameters={"n_estimators": 200, "max_depth": 3, "learning_rate": 0.1},
    objective="auc",
    minimum=0.7,
)
