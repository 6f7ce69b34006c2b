"""``python -m ops snapshot`` against moto: an emulated data science account as its stack leaves it
(the snapshot database, bucket and workgroup; the resource link to the shared curated database),
and the command run in it as Studio's execution role.

Where moto 5.2.5 falls short, and what these tests do about it (nothing missing is faked):

- Lake Formation: moto enforces no grant, follows no resource link and filters no column. The link
  database here holds the shared tables itself, with the columns that GetTable through the link
  returns to the execution role. For example, ``churn_labels`` has no ``ssn``, because Lake
  Formation withholds it. A refusal (``AccessDeniedException``) cannot happen in moto, so the one
  Glue returns is given to the command by a botocore ``before-call`` hook, and the test checks what
  the command does with it.
- Athena: moto has no query engine. StartQueryExecution records the query, and the execution reads
  SUCCEEDED, but the CTAS writes no file and creates no table. So the end-to-end run stops at the
  command's own check that the table exists, which fails (exit 1), and the test asserts that. The
  writing of the provenance is tested on its own, on a table the test creates in the form a CTAS
  leaves. A query cannot fail in moto, so the failure message is tested on Athena's wording of an
  unreadable column. moto does not refuse ``external_location`` in a workgroup that enforces its
  configuration, as Athena does: the command never sends one there, and the tests check the query it
  sends.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

import ops.aws
from contracts import naming
from contracts.config import Settings
from ops import OpsError
from ops.__main__ import _settings, main
from ops.snapshot import (
    Plan,
    Request,
    Snapshots,
    Source,
    build_query,
    failure,
    parse_request,
    percentage,
    quote,
    refused_columns,
    summary,
    time_filter,
)
from tests.conftest import ROOT
from tests.ops.conftest import REGION, in_account

DATASCI, DATAMGMT = "222222222222", "333333333333"
STUDIO = f"arn:aws:iam::{DATASCI}:role/mlops/mlops-datasci-studio-execution"
BUCKET = f"mlops-datasci-snapshots-{DATASCI}-{REGION}"
WORKGROUP = "mlops-datasci-snapshots"
LINK = "mlops_curated_link"
REVISION = "0123456789abcdef0123456789abcdef01234567"
NOW = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
#: The snapshot workgroup's configuration as the datasci stack sets it (components/accounts/datasci.py).
ENFORCED: dict[str, Any] = {
    "EnforceWorkGroupConfiguration": True,
    "ResultConfiguration": {
        "OutputLocation": f"s3://{BUCKET}/athena-results/",
        "EncryptionConfiguration": {"EncryptionOption": "SSE_KMS", "KmsKey": "key"},
    },
}
#: The shared tables as GetTable through the link returns them to the execution role: columns, partition
#: keys, parameters. Lake Formation withholds ``churn_labels.ssn``, so it is not here.
SHARED: dict[str, tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, str]]] = {
    "churn_labels": ([("customer_id", "string"), ("churned", "boolean"), ("label_time", "timestamp")], [], {}),
    "customer_events": (
        [("customer_id", "string"), ("amount", "double"), ("event_time", "timestamp")],
        [("dt", "string")],
        {"classification": "parquet"},
    ),
    "orders": ([("order_id", "string"), ("event_time", "timestamp")], [], {"table_type": "ICEBERG"}),
}
SNAPSHOT_NAME = re.compile(r"[a-z0-9_]+_\d{8}t\d{6}z")


@pytest.fixture(scope="module")
def settings() -> Settings:
    return _settings(ROOT, "datasci", ("datasci",))


def _columns(pairs: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"Name": name, "Type": kind} for name, kind in pairs]


def workgroup(session: boto3.Session, configuration: dict[str, Any]) -> None:
    athena = session.client("athena")
    athena.delete_work_group(WorkGroup=WORKGROUP, RecursiveDeleteOption=True)
    athena.create_work_group(Name=WORKGROUP, Configuration=configuration)


@pytest.fixture
def account(aws: boto3.Session) -> boto3.Session:
    """The data science account as the stack leaves it, for what ``ops snapshot`` touches."""
    session = in_account(aws, DATASCI)
    session.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    glue = session.client("glue")
    glue.create_database(DatabaseInput={"Name": naming.SNAPSHOT_DATABASE})
    glue.create_database(
        DatabaseInput={"Name": LINK, "TargetDatabase": {"CatalogId": DATAMGMT, "DatabaseName": "mlops_curated"}}
    )
    for name, (columns, keys, parameters) in SHARED.items():
        glue.create_table(
            DatabaseName=LINK,
            TableInput={
                "Name": name,
                "StorageDescriptor": {
                    "Columns": _columns(columns),
                    "Location": f"s3://mlops-datamgmt-curated-{DATAMGMT}-{REGION}/{name}/",
                },
                "PartitionKeys": _columns(keys),
                "Parameters": parameters,
            },
        )
    workgroup(session, ENFORCED)
    return session


def studio(aws: boto3.Session) -> boto3.Session:
    """A session as Studio's execution role, as ``ops snapshot --role-arn`` makes it."""
    return ops.aws.assume_role(aws, STUDIO, "mlops-ops-snapshot")


def run(*extra: str, table: str | None = "mlops_curated.churn_labels") -> int:
    words = ["snapshot", "--account", "datasci", "--role-arn", STUDIO, "--git-revision", REVISION]
    words += ["--branch", "main", "--poll-seconds", "0.01"]
    return main([*words, *(["--table", table] if table else []), *extra])


def made(session: boto3.Session) -> tuple[list[str], list[str], list[str]]:
    """What a snapshot leaves in the account: its queries, its tables, its files."""
    queries = session.client("athena").list_query_executions()["QueryExecutionIds"]
    tables = session.client("glue").get_tables(DatabaseName=naming.SNAPSHOT_DATABASE)["TableList"]
    files = session.client("s3").list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return queries, [t["Name"] for t in tables], [f["Key"] for f in files]


def request(table: str = "mlops_curated.churn_labels", **options: str) -> Request:
    return parse_request(
        table,
        options.get("as_of"),
        options.get("columns"),
        options.get("where"),
        options.get("sample"),
        options.get("time_column"),
        NOW,
    )


def test_snapshot_submits_a_ctas_through_the_link_in_the_snapshot_workgroup(
    account: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    """The query goes to the snapshot workgroup, as Studio's role. moto's Athena makes no table, so the
    command stops where it reads back the table the CTAS would have made, and says so (exit 1)."""
    code = run(
        "--as-of",
        "2026-11-01T00:00:00Z",
        "--columns",
        "customer_id,amount,dt",
        "--where",
        "amount > 0 -- refunds out",
        "--sample",
        "0.25",
        table="mlops_curated.customer_events",
    )
    out, err = capsys.readouterr()
    athena = account.client("athena")
    (execution,) = athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    submitted = athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]
    name = re.search(r'"mlops_snapshots"\."([^"]+)"', submitted["Query"])
    assert name and SNAPSHOT_NAME.fullmatch(name[1]) and name[1].startswith("customer_events_")
    created = datetime.strptime(name[1].removeprefix("customer_events_"), "%Y%m%dt%H%M%Sz").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - created) < timedelta(minutes=1)
    assert submitted["WorkGroup"] == WORKGROUP
    # The stack's workgroup enforces its configuration: Athena refuses external_location there and
    # puts the table under its result location, in the snapshots bucket.
    assert submitted["Query"] == (
        f'CREATE TABLE "mlops_snapshots"."{name[1]}"\n'
        "WITH (\n"
        "    format = 'PARQUET'\n"
        ") AS\n"
        'SELECT "customer_id", "amount", "dt"\n'
        'FROM "mlops_curated_link"."customer_events" TABLESAMPLE BERNOULLI (25)\n'
        "WHERE \"event_time\" <= TIMESTAMP '2026-11-01 00:00:00'\n"
        "AND (\n"
        "amount > 0 -- refunds out\n"
        ")\n"
    )
    assert out == f"started query {execution} in {WORKGROUP}: mlops_curated.customer_events into {name[1]}\n"
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith(f"failed: query {execution} succeeded, but mlops_snapshots.{name[1]} cannot be read")


def test_the_ctas_names_its_location_when_the_workgroup_leaves_it_to_the_query(
    aws: boto3.Session, account: boto3.Session, settings: Settings
) -> None:
    """A workgroup that does not enforce its configuration takes external_location: under tables/."""
    workgroup(account, {**ENFORCED, "EnforceWorkGroupConfiguration": False})
    plan = Snapshots(studio(aws), settings).plan(request("mlops_curated.orders", as_of="2026-11-01T12:30:00Z"))
    assert plan.name == "orders_20261130t081500z"
    assert plan.location(None) == f"s3://{BUCKET}/tables/orders_20261130t081500z/"
    assert plan.query == (
        'CREATE TABLE "mlops_snapshots"."orders_20261130t081500z"\n'
        "WITH (\n"
        "    format = 'PARQUET',\n"
        f"    external_location = 's3://{BUCKET}/tables/orders_20261130t081500z/'\n"
        ") AS\n"
        'SELECT "order_id", "event_time"\n'
        'FROM "mlops_curated_link"."orders" FOR TIMESTAMP AS OF TIMESTAMP \'2026-11-01 12:30:00 UTC\'\n'
    )
    account.client("s3").put_object(Bucket=BUCKET, Key="tables/orders_20261130t081500z/old.parquet", Body=b"x")
    with pytest.raises(OpsError, match=r"tables/orders_20261130t081500z/: holds files; expected an empty location"):
        Snapshots(studio(aws), settings).plan(request("mlops_curated.orders"))
    assert made(account)[:2] == ([], [])


@pytest.mark.parametrize(
    ("table", "options", "method", "where"),
    [
        ("orders", {}, "time travel to 2026-11-30T08:15:00Z (Iceberg)", None),
        (
            "customer_events",
            {},
            "rows with event_time <= 2026-11-30T08:15:00Z",
            "\"event_time\" <= TIMESTAMP '2026-11-30 08:15:00'",
        ),
        (
            "churn_labels",
            {},
            "recorded only: mlops_curated.churn_labels has no time travel and no event_time, "
            "so the copy is the table as it is now",
            None,
        ),
        (
            "churn_labels",
            {"time_column": "label_time", "as_of": "2026-11-01T01:00:00+01:00"},
            "rows with label_time <= 2026-11-01T00:00:00Z",
            "\"label_time\" <= TIMESTAMP '2026-11-01 00:00:00'",
        ),
    ],
)
def test_as_of_is_applied_as_the_table_allows_and_said(
    aws: boto3.Session,
    account: boto3.Session,
    settings: Settings,
    table: str,
    options: dict[str, str],
    method: str,
    where: str | None,
) -> None:
    plan = Snapshots(studio(aws), settings).plan(request(f"mlops_curated.{table}", **options))
    assert plan.method == method
    assert plan.time_filter == where
    assert ("FOR TIMESTAMP AS OF" in plan.query) is (table == "orders")
    assert ("WHERE" in plan.query) is (where is not None)


def test_time_filters_by_column_type() -> None:
    moment = datetime(2026, 11, 1, 6, tzinfo=UTC)
    assert time_filter("t", "timestamp", moment) == "\"t\" <= TIMESTAMP '2026-11-01 06:00:00'"
    assert time_filter("t", "date", moment) == "\"t\" <= DATE '2026-11-01'"
    assert time_filter("t", "varchar(32)", moment) == (
        "CAST(from_iso8601_timestamp(\"t\") AT TIME ZONE 'UTC' AS timestamp) <= TIMESTAMP '2026-11-01 06:00:00'"
    )
    assert (
        time_filter("t", "bigint", moment)
        == "CAST(from_unixtime(\"t\") AS timestamp) <= TIMESTAMP '2026-11-01 06:00:00'"
    )
    assert time_filter("t", "boolean", moment) is None


def test_names_are_quoted_and_the_sample_is_a_percentage() -> None:
    assert quote('we"ird') == '"we""ird"'
    assert [percentage(Decimal(v)) for v in ("0.1", "1", "0.005", "0.333", "0.25")] == [
        "10",
        "100",
        "0.5",
        "33.3",
        "25",
    ]
    source = Source("mlops_curated", LINK, "t", DATAMGMT, {'a"b': "string"}, False, None)
    plan = Plan(
        source=source,
        name="t_20261130t081500z",
        columns=('a"b',),
        as_of=NOW,
        created=NOW,
        created_by="arn",
        method="recorded only",
        time_travel=False,
        time_filter=None,
        where=None,
        sample=Decimal("1"),
        workgroup=WORKGROUP,
        external_location="s3://b/tables/it's/",
        results_location="s3://b/athena-results/",
    )
    assert 'SELECT "a""b"\nFROM "mlops_curated_link"."t" TABLESAMPLE BERNOULLI (100)\n' in build_query(plan)
    assert "external_location = 's3://b/tables/it''s/'" in build_query(plan)


def test_the_provenance_is_written_on_the_table_the_ctas_made(
    aws: boto3.Session, account: boto3.Session, settings: Settings
) -> None:
    """moto's CTAS makes no table: this test creates the one Athena would (Parquet files under the
    workgroup's results, its own parameters) after planning and submitting the real query, then
    checks that the command adds its properties with UpdateTable and keeps Athena's."""
    snapshots = Snapshots(studio(aws), settings)
    plan = snapshots.plan(request("mlops_curated.churn_labels", columns="customer_id,churned", sample="0.5"))
    execution = snapshots.start(plan)
    location = plan.location(execution)
    assert location == f"s3://{BUCKET}/athena-results/tables/{execution}/"
    parquet = {
        "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
    }
    account.client("glue").create_table(
        DatabaseName=naming.SNAPSHOT_DATABASE,
        TableInput={
            "Name": plan.name,
            "TableType": "EXTERNAL_TABLE",
            "StorageDescriptor": {
                "Columns": _columns([("customer_id", "string"), ("churned", "boolean")]),
                "Location": location,
                **parquet,
            },
            "Parameters": {"has_encrypted_data": "true", "parquet.compression": "GZIP"},
        },
    )
    table = snapshots.record(plan, execution, REVISION, "main")
    submitted = account.client("athena").get_query_execution(QueryExecutionId=execution)["QueryExecution"]["Query"]
    assert table["Parameters"] == {
        "has_encrypted_data": "true",
        "parquet.compression": "GZIP",
        "mlops:source": "mlops_curated.churn_labels",
        "mlops:source-catalog": DATAMGMT,
        **({"mlops:source-version": plan.source.version} if plan.source.version else {}),
        "mlops:as-of": "2026-11-30T08:15:00Z",
        "mlops:as-of-method": plan.method,
        "mlops:created-at": "2026-11-30T08:15:00Z",
        "mlops:created-by": f"arn:aws:sts::{DATASCI}:assumed-role/mlops-datasci-studio-execution/mlops-ops-snapshot",
        "mlops:query-sha256": hashlib.sha256(submitted.encode()).hexdigest(),
        "mlops:query-execution-id": execution,
        "mlops:query": submitted,
        "mlops:sample": "0.5",
        "mlops:git-revision": REVISION,
        "mlops:git-branch": "main",
    }
    assert table["StorageDescriptor"]["Location"] == location
    assert [c["Name"] for c in table["StorageDescriptor"]["Columns"]] == ["customer_id", "churned"]
    assert table["StorageDescriptor"]["SerdeInfo"] == parquet["SerdeInfo"]
    assert table["Description"] == "Snapshot of mlops_curated.churn_labels as of 2026-11-30T08:15:00Z (ops snapshot)"
    assert list(summary(plan, table)) == [
        f"made mlops_snapshots.{plan.name} from mlops_curated.churn_labels: 2 of the 3 columns Lake Formation "
        f"shows this account, at {location}",
        "as of 2026-11-30T08:15:00Z: recorded only: mlops_curated.churn_labels has no time travel and no event_time, "
        "so the copy is the table as it is now",
        f"query sha256 {hashlib.sha256(submitted.encode()).hexdigest()}",
    ]


def test_list_shows_age_size_and_the_snapshots_past_retention(
    account: boto3.Session, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    days = settings.snapshot_retention_days
    now = datetime.now(UTC).replace(microsecond=0)
    old, recent = now - timedelta(days=days + 15), now - timedelta(days=2, hours=1)
    glue, s3 = account.client("glue"), account.client("s3")
    tables = {
        "churn_labels_20261001t000000z": ("athena-results/tables/q1/", old, {"a": 1000, "b": 24}),
        "customer_events_20261128t070000z": ("athena-results/tables/q2/", recent, {"a": 2048}),
        "by_hand": ("elsewhere/", None, {}),
    }
    for name, (prefix, created, files) in tables.items():
        parameters = (
            {
                "mlops:source": f"mlops_curated.{name.rsplit('_', 1)[0]}",
                "mlops:as-of": f"{created:%Y-%m-%dT%H:%M:%SZ}",
                "mlops:created-at": f"{created:%Y-%m-%dT%H:%M:%SZ}",
            }
            if created
            else {}
        )
        glue.create_table(
            DatabaseName=naming.SNAPSHOT_DATABASE,
            TableInput={
                "Name": name,
                "StorageDescriptor": {"Columns": [], "Location": f"s3://{BUCKET}/{prefix}"},
                "Parameters": parameters,
            },
        )
        for key, size in files.items():
            s3.put_object(Bucket=BUCKET, Key=f"{prefix}{key}.parquet", Body=b"x" * size)
    s3.put_object(Bucket=BUCKET, Key="athena-results/tables/q10/other.parquet", Body=b"x" * 99)
    glue.create_table(
        DatabaseName=naming.SNAPSHOT_DATABASE,
        TableInput={"Name": "lost", "StorageDescriptor": {"Location": "s3://no-such-bucket-here/x/"}},
    )
    assert run("--list", table=None) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["SNAPSHOT", "SOURCE", "AS", "OF", "AGE", "SIZE", "STATUS"]
    rows = {line.split()[0]: line.split(None, 3)[3] for line in lines[1:-1]}
    assert list(rows) == ["by_hand", "churn_labels_20261001t000000z", "customer_events_20261128t070000z", "lost"]
    assert re.fullmatch(rf"0m\s+0 B\s+expires in {days - 1}d", rows["by_hand"])
    assert re.fullmatch(rf"{days + 15}d\s+1\.0 KiB\s+PAST RETENTION \({days}d\)", rows["churn_labels_20261001t000000z"])
    assert re.fullmatch(rf"2d\s+2\.0 KiB\s+expires in {days - 3}d", rows["customer_events_20261128t070000z"])
    assert re.fullmatch(rf"0m\s+\?\s+expires in {days - 1}d; size unreadable \(NoSuchBucket\)", rows["lost"])
    assert lines[1].split()[1:3] == ["-", "-"]
    assert lines[-1] == (
        f"4 snapshots, 3.0 KiB in all; 1 past the {days}-day retention "
        "(the bucket's lifecycle expires their files; their tables stay until dropped)"
    )


BAD_INPUT = [
    (("--table", "churn_labels"), "--table: 'churn_labels' is not DATABASE.TABLE; expected"),
    (("--table", "mlops_curated.Churn-Labels"), "--table: 'mlops_curated.Churn-Labels' is not DATABASE.TABLE"),
    (("--table", 'mlops_curated.x";drop'), "--table: 'mlops_curated.x\";drop' is not DATABASE.TABLE"),
    (("--table", "mlops_raw.churn_labels"), "--table: 'mlops_raw' is not a database this account links to; expected"),
    (
        ("--table", "mlops_curated.no_such_table"),
        "--table: 'mlops_curated.no_such_table' is not a table of mlops_curated this account can see; "
        "expected one of churn_labels, customer_events, orders",
    ),
    (("--as-of", "2026-11-01T00:00:00"), "--as-of: '2026-11-01T00:00:00' has no time zone; expected ISO-8601"),
    (("--as-of", "yesterday"), "--as-of: 'yesterday' is not a time; expected ISO-8601"),
    (("--as-of", "2999-01-01T00:00:00Z"), "--as-of: '2999-01-01T00:00:00Z' is in the future; expected a time"),
    (("--sample", "0"), "--sample: '0' is not a fraction in (0, 1]; expected for example 0.1"),
    (("--sample", "1.5"), "--sample: '1.5' is not a fraction in (0, 1]"),
    (("--sample", "nan"), "--sample: 'nan' is not a fraction in (0, 1]"),
    (("--sample", "ten"), "--sample: 'ten' is not a fraction in (0, 1]"),
    (
        ("--columns", "customer_id,ssn"),
        "--columns: Lake Formation shows this account no column 'ssn' in mlops_curated.churn_labels "
        "(withheld, or not in the table); expected some of customer_id, churned, label_time",
    ),
    (
        ("--columns", "ssn,email,churned"),
        "--columns: Lake Formation shows this account no columns 'ssn', 'email' in mlops_curated.churn_labels",
    ),
    (("--columns", "customer_id,,churned"), "--columns: 'customer_id,,churned' has an empty name; expected"),
    (("--columns", "churned,churned"), "--columns: 'churned,churned' names churned twice"),
    (("--time-column", "updated_at"), "--time-column: 'updated_at' is not a column this account can read"),
    (("--time-column", "churned"), "--time-column: 'churned' is boolean; expected a timestamp, date"),
    (("--where", "  "), "--where: '  ' is not an expression; expected SQL"),
    (("--list", "--sample", "0.1"), "--list: lists snapshots, so --sample has no use; expected --list alone"),
]


@pytest.mark.parametrize(("extra", "message"), BAD_INPUT, ids=[" ".join(case[0]) for case in BAD_INPUT])
def test_bad_input_is_one_line_exit_2_and_nothing_is_made(
    account: boto3.Session, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    table: str | None = "mlops_curated.churn_labels"
    if extra[0] == "--table":
        table, extra = extra[1], extra[2:]
    elif extra[0] == "--list":
        table = None
    assert run(*extra, table=table) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and err.startswith(f"error: {message}"), err
    assert made(account) == ([], [], [])


def test_a_stack_without_snapshots_or_credentials_of_another_account_are_refused(
    account: boto3.Session, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["snapshot", "--account", "datamgmt", "--table", "mlops_curated.churn_labels"]) == 2
    assert capsys.readouterr().err == (
        "error: --account: 'datamgmt' is the datamgmt stack; expected a stack of a datasci account\n"
    )
    # The ambient credentials by default: here moto's default account, not the stack's.
    assert main(["snapshot", "--account", "datasci", "--table", "mlops_curated.churn_labels"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --account: the stack's account is 222222222222, but the credentials are of ")
    assert err.count("\n") == 1
    with pytest.raises(SystemExit) as exited:
        main(["snapshot", "--account", "datasci"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "one of the arguments --table --list is required" in err
    assert made(account) == ([], [], [])


@pytest.fixture
def refused(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str, str], None]]:
    """Make Glue answer an operation with Lake Formation's refusal, which moto cannot produce: the
    sessions ``ops`` makes get a botocore hook that returns the error response instead of calling."""
    refusals: dict[str, str] = {}
    assume = ops.aws.assume_role

    def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if model.name not in refusals:
            return None
        error = {"Code": "AccessDeniedException", "Message": refusals[model.name]}
        return AWSResponse("https://glue", 400, {}, None), {"Error": error, "ResponseMetadata": {}}

    def assume_role(base: boto3.Session, role_arn: str, session_name: str) -> boto3.Session:
        session = assume(base, role_arn, session_name)
        session.events.register("before-call.glue", answer)
        return session

    monkeypatch.setattr(ops.aws, "assume_role", assume_role)
    yield refusals.__setitem__


def test_a_table_lake_formation_refuses_is_bad_input(
    account: boto3.Session, capsys: pytest.CaptureFixture[str], refused: Callable[[str, str], None]
) -> None:
    refused("GetTable", "Insufficient Lake Formation permission(s) on churn_labels")
    assert run() == 2
    assert capsys.readouterr().err == (
        "error: --table: 'mlops_curated.churn_labels' cannot be read by this account (Insufficient Lake Formation "
        "permission(s) on churn_labels); expected a table of mlops_curated Lake Formation grants it (it refuses so "
        "for a table that does not exist, too)\n"
    )
    assert made(account) == ([], [], [])


def test_a_failed_query_names_the_columns_lake_formation_refused(
    aws: boto3.Session, account: boto3.Session, settings: Settings
) -> None:
    """moto cannot fail a query: the message is built from Athena's reason for an unreadable column
    (Lake Formation hides a withheld column, so Athena cannot resolve it)."""
    reason = (
        "COLUMN_NOT_FOUND: line 5:8: Column 'ssn' cannot be resolved or requester is not authorized to access "
        "requested resources"
    )
    assert refused_columns(reason) == ["ssn"]
    assert refused_columns("TABLE_NOT_FOUND: line 6:6: Table 'awsdatacatalog.x.y' does not exist") == []
    plan = Snapshots(studio(aws), settings).plan(request())
    assert failure(plan, "q-1", "FAILED", reason, 30) == (
        f"query q-1 FAILED: Lake Formation withholds (or mlops_curated.churn_labels lacks) ssn; {reason}; "
        f"no snapshot was made, and any files written before it ended stay under "
        f"s3://{BUCKET}/athena-results/tables/q-1/ until the bucket expires them (30 days)"
    )
