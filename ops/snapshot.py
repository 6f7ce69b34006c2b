"""Snapshots of shared curated data in a data science account (``python -m ops snapshot``).

A snapshot copies a table that the data management account shares (``mlops_curated``, read through
its resource link ``mlops_curated_link``) with one Athena CTAS in the account's snapshot workgroup.
The copy is written as Parquet files in the snapshots bucket and becomes a table of ``mlops_snapshots``
named ``<table>_<UTC time it was made>``, such as ``churn_labels_20261130t081500z``. The query runs
with the caller's credentials (in Studio, the execution role), so Lake Formation decides what it may
read.

Where the files go. A workgroup that enforces its configuration refuses a CTAS that names an
``external_location``, and writes the table to ``<its result location>tables/<query id>/`` (Athena's
"Considerations and limitations for CTAS queries"). So the command reads the workgroup first. If the
workgroup enforces its configuration (as the datasci stack's does), the CTAS names no location and the
files go to ``s3://<snapshots bucket>/athena-results/tables/<query id>/``. If it does not, the CTAS
names ``s3://<snapshots bucket>/tables/<snapshot>/``. Either way the files are in the snapshots
bucket and expire with its objects after ``snapshotRetentionDays``.

The point in time (``--as-of``, default now), applied in the first of these ways that fits:

- An Iceberg table is read as it was then, with Athena's time travel (``FOR TIMESTAMP AS OF``).
- Any other table has no history. If it has the time column (``--time-column``, default
  ``event_time``), rows with a later time are left out (``<= as-of``). This does not undo later
  updates or deletes of earlier rows, so the copy is the table as it is now, restricted to what had
  happened by then.
- Otherwise the time is only recorded: the copy is the table as it is now.

A time column named with ``--time-column`` filters an Iceberg table too. The table's properties say
which way was used (``mlops:as-of-method``), and so does the output.

Columns. Lake Formation withholds the columns the account may not read. A GetTable through the link
returns only the columns the caller may read, and Athena answers "cannot be resolved" for the others.
So a column named by ``--columns`` that GetTable does not return is refused before anything starts:
it is either withheld or not in the table, and the account cannot tell which. Without ``--columns``
the copy has every column the account can read; the output says how many.

``--where`` is a boolean SQL expression in Athena's (Trino's) dialect, and it belongs to the user. It
goes into the query as it is, in parentheses on lines of its own, and runs with the caller's rights,
so it can read no more than the caller could anyway. It is part of the query that the recorded
SHA-256 covers. Database, table and column names are checked against the catalog and double-quoted,
so ``--table`` and ``--columns`` cannot inject SQL. ``--sample`` (a fraction in (0, 1]) becomes
``TABLESAMPLE BERNOULLI`` with that percentage.

What is recorded on the table. These are Glue table parameters, written with UpdateTable once
Athena has created the table, because a CTAS's WITH clause takes only Athena's own properties:
the source table (with its catalog and version), the point in time and how it was applied, the
query with its SHA-256 and execution id, the git revision and branch, when the snapshot was made and
who made it (the caller's ARN from STS; in Studio that names the shared execution role, not a person).

``--list`` shows every table of ``mlops_snapshots``: its source and point in time, its age (from
``mlops:created-at``, else Glue's CreateTime), its size (the sum of the object sizes under its
location), and whether it is past ``snapshotRetentionDays``. For a snapshot past the retention, the
bucket's lifecycle expires the files, but the table stays in the catalog until it is dropped.

Bad input exits with code 2, one line, and nothing made. Every check runs before the query starts:
the names, the time, the sample, the table and its columns through the link, the snapshot database,
the workgroup and the location. A query that fails exits with code 1, naming the columns Lake
Formation refused when Athena's reason names them.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from contracts import naming
from contracts.config import Settings
from ops import FeatureJobError, OpsError
from ops.training import parse_as_of

#: Names Glue and Athena accept unquoted: lowercase letters, digits, underscores.
IDENTIFIER = re.compile(r"[a-z0-9_]+")
#: Glue's limit on a table's name.
NAME_LIMIT = 255
#: The UTC time in a snapshot's name: ``20261130t081500z``.
STAMP = "%Y%m%dt%H%M%Sz"
DEFAULT_TIME_COLUMN = "event_time"
#: Table parameters the command writes start with this.
PROPERTY_PREFIX = naming.TAG_PREFIX
#: Glue's limit on a table parameter's value: a longer query is recorded by its hash only.
PARAMETER_LIMIT = 512_000
#: What UpdateTable takes back of what GetTable returns (a CTAS table is no view).
TABLE_INPUT_KEYS = ("Name", "Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys", "TableType")
NOT_FOUND = ("EntityNotFoundException",)
DENIED = ("AccessDeniedException", "AccessDenied")
#: Glue column types by how a time column of the type compares with the point in time.
TEXT_TYPES = ("string", "varchar", "char")
EPOCH_TYPES = ("bigint", "int", "integer", "smallint", "tinyint", "double", "float", "decimal")


class SnapshotError(FeatureJobError):
    """The snapshot's query ran and failed, or its table could not be completed: exit code 1."""


def _reason(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Message") or error)
    return str(error)


def _code(error: Exception) -> str:
    return str(error.response.get("Error", {}).get("Code", "")) if isinstance(error, ClientError) else ""


def quote(identifier: str) -> str:
    """A double-quoted SQL identifier (a double quote inside it doubled)."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A single-quoted SQL string (a single quote inside it doubled)."""
    return "'" + text.replace("'", "''") + "'"


def shared_databases() -> dict[str, str]:
    """The databases a snapshot may copy from, by the names ``--table`` accepts (the shared
    database's own and its resource link's), each to its resource link."""
    databases = {}
    for shared in naming.SHARED_LAKE_DATABASES:
        target = naming.lake_database(shared)
        databases[target] = databases[naming.resource_link(target)] = naming.resource_link(target)
    return databases


@dataclass(frozen=True)
class Request:
    """What the user asked for, checked for form; the catalog is not read yet."""

    database: str
    table: str
    as_of: datetime
    #: When the snapshot is made: its name's time, and ``as_of`` unless given.
    created: datetime
    columns: tuple[str, ...] = ()
    where: str | None = None
    sample: Decimal | None = None
    #: The time column the user named; None for the default (used only when the table has it).
    time_column: str | None = None


def parse_table(value: str) -> tuple[str, str]:
    """``DATABASE.TABLE`` of a shared database; the database as its resource link."""
    match = re.fullmatch(r"([^.]+)\.([^.]+)", value)
    if not match or not all(IDENTIFIER.fullmatch(part) for part in match.groups()):
        raise OpsError(
            f"--table: {value!r} is not DATABASE.TABLE; expected lowercase letters, digits and underscores "
            "such as mlops_curated.churn_labels"
        )
    database, table = match.groups()
    links = shared_databases()
    if database not in links:
        raise OpsError(
            f"--table: {database!r} is not a database this account links to; expected one of {', '.join(links)}"
        )
    return links[database], table


def parse_columns(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        raise OpsError(
            f"--columns: {value!r} has an empty name; expected names separated by commas, such as customer_id,churned"
        )
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise OpsError(f"--columns: {value!r} names {', '.join(repeated)} twice; expected each column once")
    return tuple(names)


def parse_sample(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        fraction = Decimal(value.strip())
    except InvalidOperation:
        fraction = Decimal("NaN")
    if not fraction.is_finite() or not 0 < fraction <= 1:
        raise OpsError(f"--sample: {value!r} is not a fraction in (0, 1]; expected for example 0.1 for 10% of the rows")
    return fraction


def parse_where(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip() or "\0" in value:
        raise OpsError(f"--where: {value!r} is not an expression; expected SQL such as \"country = 'NL'\"")
    return value.strip()


def parse_request(
    table: str,
    as_of: str | None,
    columns: str | None,
    where: str | None,
    sample: str | None,
    time_column: str | None,
    now: datetime,
) -> Request:
    """The arguments, checked for form (bad input raises OpsError, one line)."""
    database, name = parse_table(table)
    created = now.astimezone(UTC).replace(microsecond=0)
    moment = parse_as_of(as_of) if as_of is not None else created
    if moment > created:
        raise OpsError(
            f"--as-of: {as_of!r} is in the future; expected a time at or before now ({created:%Y-%m-%dT%H:%M:%SZ})"
        )
    if time_column is not None and not time_column.strip():
        raise OpsError(f"--time-column: {time_column!r} is empty; expected a column name such as event_time")
    return Request(
        database=database,
        table=name,
        as_of=moment,
        created=created,
        columns=parse_columns(columns),
        where=parse_where(where),
        sample=parse_sample(sample),
        time_column=time_column.strip() if time_column is not None else None,
    )


def snapshot_name(table: str, created: datetime) -> str:
    """``<table>_<UTC time>``: a valid Glue and Athena name, in the order the snapshots were made."""
    name = f"{table}_{created.astimezone(UTC):{STAMP}}"
    if len(name) > NAME_LIMIT:
        raise OpsError(
            f"--table: {table!r} is too long for a snapshot's name ({name!r}); "
            f"expected at most {NAME_LIMIT - len(name) + len(table)} characters"
        )
    return name


def time_filter(column: str, glue_type: str, as_of: datetime) -> str | None:
    """The predicate ``column <= as_of`` for a column of the Glue type; None for a type that holds no
    time. Text holds ISO-8601 and numbers hold epoch seconds, as the platform's feature groups do."""
    kind = glue_type.strip().lower().split("(", 1)[0].strip()
    moment = f"TIMESTAMP '{as_of.astimezone(UTC):%Y-%m-%d %H:%M:%S}'"
    name = quote(column)
    if kind == "timestamp":
        return f"{name} <= {moment}"
    if kind == "date":
        return f"{name} <= DATE '{as_of.astimezone(UTC):%Y-%m-%d}'"
    if kind in TEXT_TYPES:
        return f"CAST(from_iso8601_timestamp({name}) AT TIME ZONE 'UTC' AS timestamp) <= {moment}"
    if kind in EPOCH_TYPES:
        return f"CAST(from_unixtime({name}) AS timestamp) <= {moment}"
    return None


def percentage(fraction: Decimal) -> str:
    """A fraction as TABLESAMPLE's percentage: 0.1 is 10, 0.005 is 0.5."""
    return format((fraction * 100).normalize(), "f")


@dataclass(frozen=True)
class Source:
    """A shared table as Lake Formation shows it to the caller, through the resource link."""

    #: The shared database's name in the sharing account, such as ``mlops_curated``.
    database: str
    link: str
    table: str
    #: The sharing account's catalog, when the link says.
    catalog_id: str | None
    #: The columns the caller may read, with their Glue types, partition keys last.
    columns: Mapping[str, str]
    iceberg: bool
    version: str | None

    @property
    def name(self) -> str:
        return f"{self.database}.{self.table}"


@dataclass(frozen=True)
class Plan:
    """A snapshot, checked against the account and ready to start."""

    source: Source
    name: str
    columns: tuple[str, ...]
    as_of: datetime
    created: datetime
    created_by: str
    #: How the point in time was applied, in words.
    method: str
    time_travel: bool
    time_filter: str | None
    where: str | None
    sample: Decimal | None
    workgroup: str
    #: The CTAS's ``external_location``; None when the workgroup decides the location.
    external_location: str | None
    #: Where the workgroup writes results; with ``external_location`` None, tables go under it.
    results_location: str

    @property
    def query(self) -> str:
        return build_query(self)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.query.encode("utf-8")).hexdigest()

    def location(self, execution: str | None) -> str:
        """Where the files go (Athena puts a workgroup-decided location under the query's id)."""
        if self.external_location is not None:
            return self.external_location
        return f"{self.results_location}tables/{execution or '<query id>'}/"


def build_query(plan: Plan) -> str:
    """The CTAS: the chosen columns of the source, through the link, into a Parquet table of the
    snapshot database."""
    properties = ["    format = 'PARQUET'"]
    if plan.external_location is not None:
        properties.append(f"    external_location = {literal(plan.external_location)}")
    source = f"FROM {quote(plan.source.link)}.{quote(plan.source.table)}"
    if plan.time_travel:
        source += f" FOR TIMESTAMP AS OF TIMESTAMP '{plan.as_of.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC'"
    if plan.sample is not None:
        source += f" TABLESAMPLE BERNOULLI ({percentage(plan.sample)})"
    lines = [
        f"CREATE TABLE {quote(naming.SNAPSHOT_DATABASE)}.{quote(plan.name)}",
        "WITH (",
        ",\n".join(properties),
        ") AS",
        "SELECT " + ", ".join(quote(column) for column in plan.columns),
        source,
    ]
    conditions = [plan.time_filter] if plan.time_filter else []
    if plan.where is not None:
        # The user's expression on lines of its own: a trailing comment in it ends with its line.
        conditions.append(f"(\n{plan.where}\n)")
    if conditions:
        lines.append("WHERE " + "\nAND ".join(conditions))
    return "\n".join(lines) + "\n"


def refused_columns(reason: str) -> list[str]:
    """The columns an Athena failure names as unreadable: Lake Formation hides a withheld column, so
    Athena reports it as one that cannot be resolved."""
    return list(dict.fromkeys(re.findall(r"[Cc]olumn '([^']+)' cannot be resolved", reason)))


def failure(plan: Plan, execution: str, state: str, reason: str, retention_days: int) -> str:
    """One line: why the query ended, which columns Lake Formation refused, and what is left behind."""
    refused = refused_columns(reason)
    columns = f"Lake Formation withholds (or {plan.source.name} lacks) {', '.join(refused)}; " if refused else ""
    return (
        f"query {execution} {state}: {columns}{reason}; no snapshot was made, and any files written "
        f"before it ended stay under {plan.location(execution)} until the bucket expires them "
        f"({retention_days} days)"
    )


def properties(plan: Plan, execution: str, revision: str | None, branch: str | None) -> dict[str, str]:
    """The snapshot's provenance, as table parameters."""
    query = plan.query
    values = {
        "source": plan.source.name,
        "source-catalog": plan.source.catalog_id,
        "source-version": plan.source.version,
        "as-of": f"{plan.as_of:%Y-%m-%dT%H:%M:%SZ}",
        "as-of-method": plan.method,
        "created-at": f"{plan.created:%Y-%m-%dT%H:%M:%SZ}",
        "created-by": plan.created_by,
        "query-sha256": plan.sha256,
        "query-execution-id": execution,
        "query": query if len(query) <= PARAMETER_LIMIT else None,
        "sample": str(plan.sample) if plan.sample is not None else None,
        "git-revision": revision,
        "git-branch": branch,
    }
    return {f"{PROPERTY_PREFIX}{key}": value for key, value in values.items() if value}


@dataclass(frozen=True)
class Listed:
    """A table of the snapshot database, with what ``--list`` shows of it."""

    name: str
    source: str
    as_of: str
    created: datetime | None
    location: str
    size: int | None
    problem: str | None = None


def _size(size: int | None) -> str:
    if size is None:
        return "?"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def _age(delta: timedelta) -> str:
    seconds = max(0, int(delta.total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def listing(snapshots: Sequence[Listed], retention_days: int, now: datetime) -> str:
    """The snapshots as a table: age, size, and whether each is past the retention, whose files the
    bucket's lifecycle expires."""
    if not snapshots:
        return f"no snapshots in {naming.SNAPSHOT_DATABASE}"
    retention = timedelta(days=retention_days)
    rows = [("SNAPSHOT", "SOURCE", "AS OF", "AGE", "SIZE", "STATUS")]
    past = 0
    for snapshot in snapshots:
        if snapshot.created is None:
            age, status = "?", "age unknown"
        else:
            elapsed = now - snapshot.created
            age = _age(elapsed)
            if elapsed > retention:
                past += 1
                status = f"PAST RETENTION ({retention_days}d)"
            else:
                status = f"expires in {_age(retention - elapsed)}"
        if snapshot.problem:
            status += f"; {snapshot.problem}"
        rows.append((snapshot.name, snapshot.source, snapshot.as_of, age, _size(snapshot.size), status))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)) + "  " + row[5]
        for row in rows
    ]
    total = sum(s.size or 0 for s in snapshots)
    summary = f"{len(snapshots)} snapshots, {_size(total)} in all"
    if past:
        summary += (
            f"; {past} past the {retention_days}-day retention "
            "(the bucket's lifecycle expires their files; their tables stay until dropped)"
        )
    lines.append(summary)
    return "\n".join(line.rstrip() for line in lines)


def _s3_location(uri: str) -> tuple[str, str] | None:
    match = re.fullmatch(r"s3a?://([^/]+)/?(.*)", uri)
    if not match:
        return None
    bucket, prefix = match.groups()
    return bucket, prefix if not prefix or prefix.endswith("/") else prefix + "/"


def _time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


class Snapshots:
    """The snapshot database of one data science account, through a session in that account."""

    def __init__(self, session: boto3.Session, settings: Settings) -> None:
        if settings.role != "datasci":
            raise OpsError(f"--account: the {settings.role} stack has no snapshots; expected a datasci stack")
        self.settings = settings
        self.glue: Any = session.client("glue")
        self.athena: Any = session.client("athena")
        self.s3: Any = session.client("s3")
        self.sts: Any = session.client("sts")
        self.bucket = naming.bucket_name(settings.role, naming.SNAPSHOTS_BUCKET, settings.account_id, settings.region)
        self.workgroup = naming.snapshot_workgroup(settings.role)

    # What is checked before anything starts.

    def caller(self) -> str:
        """The caller's ARN; it must be of the ``--account``'s account."""
        try:
            identity = self.sts.get_caller_identity()
        except (ClientError, BotoCoreError) as error:
            raise OpsError(
                f"credentials: cannot be used ({_reason(error)}); expected Studio's or --role-arn's"
            ) from None
        if identity["Account"] != self.settings.account_id:
            raise OpsError(
                f"--account: the stack's account is {self.settings.account_id}, but the credentials are of "
                f"{identity['Account']} ({identity['Arn']}); expected credentials in that account, or --role-arn"
            )
        return str(identity["Arn"])

    def source(self, link: str, table: str) -> Source:
        """The shared table as Lake Formation shows it to the caller, through the link."""
        try:
            database = self.glue.get_database(Name=link)["Database"]
        except ClientError as error:
            raise OpsError(
                f"--table: the resource link {link} cannot be read in account {self.settings.account_id} "
                f"({_reason(error)}); expected the datasci stack deployed, with DESCRIBE on the link"
            ) from None
        target = database.get("TargetDatabase") or {}
        shared = str(target.get("DatabaseName") or next(k for k, v in shared_databases().items() if v == link))
        shown = f"{shared}.{table}"
        try:
            found = self.glue.get_table(DatabaseName=link, Name=table)["Table"]
        except ClientError as error:
            if _code(error) in NOT_FOUND:
                tables = self._tables(link)
                raise OpsError(
                    f"--table: {shown!r} is not a table of {shared} this account can see; "
                    f"expected one of {', '.join(tables[:20]) or 'none'}{' ...' if len(tables) > 20 else ''}"
                ) from None
            if _code(error) in DENIED:
                raise OpsError(
                    f"--table: {shown!r} cannot be read by this account ({_reason(error)}); expected a table "
                    f"of {shared} Lake Formation grants it (it refuses so for a table that does not exist, too)"
                ) from None
            raise OpsError(f"--table: {shown!r} cannot be read ({_reason(error)})") from None
        descriptor = found.get("StorageDescriptor") or {}
        columns = {
            str(column["Name"]): str(column.get("Type", ""))
            for column in [*descriptor.get("Columns", []), *found.get("PartitionKeys", [])]
        }
        if not columns:
            raise OpsError(
                f"--table: {shown!r} has no column this account may read; expected a table with SELECT granted"
            )
        parameters = found.get("Parameters") or {}
        return Source(
            database=shared,
            link=link,
            table=table,
            catalog_id=str(target.get("CatalogId") or found.get("CatalogId") or "") or None,
            columns=columns,
            iceberg=str(parameters.get("table_type", "")).upper() == "ICEBERG",
            version=str(found["VersionId"]) if found.get("VersionId") else None,
        )

    def _tables(self, database: str) -> list[str]:
        try:
            pages = self.glue.get_paginator("get_tables").paginate(DatabaseName=database)
            return sorted(str(t["Name"]) for page in pages for t in page.get("TableList", []))
        except ClientError:
            return []

    def _time(self, request: Request, source: Source) -> tuple[str, bool, str | None]:
        """How the point in time applies to the source: in words, by time travel, by a filter."""
        moment = f"{request.as_of:%Y-%m-%dT%H:%M:%SZ}"
        column = request.time_column or DEFAULT_TIME_COLUMN
        if request.time_column is not None and column not in source.columns:
            raise OpsError(
                f"--time-column: {column!r} is not a column this account can read in {source.name}; "
                f"expected one of {', '.join(source.columns)}"
            )
        predicate = None
        if column in source.columns and (request.time_column is not None or not source.iceberg):
            predicate = time_filter(column, source.columns[column], request.as_of)
            if predicate is None and request.time_column is not None:
                raise OpsError(
                    f"--time-column: {column!r} is {source.columns[column]}; expected a timestamp, date, "
                    "ISO-8601 text or epoch-seconds column"
                )
        ways = []
        if source.iceberg:
            ways.append(f"time travel to {moment} (Iceberg)")
        if predicate is not None:
            ways.append(f"rows with {column} <= {moment}")
        if not ways:
            why = f"{column} is {source.columns[column]}, not a time" if column in source.columns else f"no {column}"
            ways.append(
                f"recorded only: {source.name} has no time travel and {why}, so the copy is the table as it is now"
            )
        return "; ".join(ways), source.iceberg, predicate

    def _columns(self, request: Request, source: Source) -> tuple[str, ...]:
        if not request.columns:
            return tuple(source.columns)
        unreadable = [name for name in request.columns if name not in source.columns]
        if unreadable:
            raise OpsError(
                f"--columns: Lake Formation shows this account no column{'s' if len(unreadable) > 1 else ''} "
                f"{', '.join(repr(n) for n in unreadable)} in {source.name} (withheld, or not in the table); "
                f"expected some of {', '.join(source.columns)}"
            )
        return request.columns

    def _snapshot_database(self, name: str) -> None:
        database = naming.SNAPSHOT_DATABASE
        try:
            self.glue.get_database(Name=database)
        except ClientError as error:
            raise OpsError(
                f"{database}: cannot be read ({_reason(error)}); expected the datasci stack deployed, "
                "with CREATE_TABLE and DESCRIBE on it for this role"
            ) from None
        try:
            self.glue.get_table(DatabaseName=database, Name=name)
        except ClientError as error:
            if _code(error) in NOT_FOUND:
                return
            raise OpsError(
                f"{database}.{name}: cannot be checked ({_reason(error)}); expected DESCRIBE on its tables"
            ) from None
        raise OpsError(f"{database}.{name}: already exists; expected a new snapshot's name (run again in a second)")

    def _location(self, name: str) -> tuple[str | None, str]:
        """The CTAS's external location (None when the workgroup decides it) and the results location."""
        try:
            group = self.athena.get_work_group(WorkGroup=self.workgroup).get("WorkGroup")
        except ClientError as error:
            raise OpsError(
                f"Athena workgroup {self.workgroup}: cannot be read ({_reason(error)}); expected the datasci stack "
                "deployed, with athena:GetWorkGroup on it"
            ) from None
        if not group:
            raise OpsError(f"Athena workgroup {self.workgroup}: not found; expected the datasci stack deployed")
        if group.get("State", "ENABLED") != "ENABLED":
            raise OpsError(f"Athena workgroup {self.workgroup}: {group['State']}; expected ENABLED")
        configuration = group.get("Configuration") or {}
        results = str((configuration.get("ResultConfiguration") or {}).get("OutputLocation") or "")
        results = results if not results or results.endswith("/") else results + "/"
        if configuration.get("EnforceWorkGroupConfiguration"):
            if not results.startswith(f"s3://{self.bucket}/"):
                raise OpsError(
                    f"Athena workgroup {self.workgroup}: writes to {results or 'no location'}; expected "
                    f"s3://{self.bucket}/{naming.SNAPSHOT_RESULTS}, where the snapshots expire"
                )
            return None, results
        prefix = f"{naming.SNAPSHOT_TABLES}{name}/"
        try:
            listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix, MaxKeys=1)
        except ClientError as error:
            raise OpsError(
                f"s3://{self.bucket}: cannot be listed ({_reason(error)}); expected the datasci stack deployed"
            ) from None
        if listed.get("KeyCount", 0):
            raise OpsError(f"s3://{self.bucket}/{prefix}: holds files; expected an empty location for the CTAS")
        return f"s3://{self.bucket}/{prefix}", results

    def plan(self, request: Request) -> Plan:
        """Every check, in order, before anything is made: the credentials' account, the table and its
        columns through the link, the point in time, the snapshot database and name, the workgroup and
        the location."""
        created_by = self.caller()
        source = self.source(request.database, request.table)
        columns = self._columns(request, source)
        method, time_travel, predicate = self._time(request, source)
        name = snapshot_name(request.table, request.created)
        self._snapshot_database(name)
        external, results = self._location(name)
        return Plan(
            source=source,
            name=name,
            columns=columns,
            as_of=request.as_of,
            created=request.created,
            created_by=created_by,
            method=method,
            time_travel=time_travel,
            time_filter=predicate,
            where=request.where,
            sample=request.sample,
            workgroup=self.workgroup,
            external_location=external,
            results_location=results,
        )

    # Making it.

    def start(self, plan: Plan) -> str:
        try:
            return str(
                self.athena.start_query_execution(QueryString=plan.query, WorkGroup=plan.workgroup)["QueryExecutionId"]
            )
        except ClientError as error:
            raise SnapshotError(
                f"query: not started in {plan.workgroup} ({_reason(error)}); nothing was made"
            ) from None

    def wait(
        self,
        plan: Plan,
        execution: str,
        poll_seconds: float,
        timeout_seconds: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> Mapping[str, Any]:
        """The query's execution once it succeeded; a failed, cancelled or timed-out query raises."""
        started = time.monotonic()
        while True:
            try:
                status = self.athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]
            except ClientError as error:
                raise SnapshotError(
                    f"query {execution}: cannot be followed ({_reason(error)}); it may still run: see the history "
                    f"of {plan.workgroup}, and {naming.SNAPSHOT_DATABASE}.{plan.name} has no provenance recorded"
                ) from None
            state = str(status["Status"]["State"])
            if state == "SUCCEEDED":
                return dict(status)
            if state in ("FAILED", "CANCELLED"):
                reason = str(status["Status"].get("StateChangeReason") or "no reason given")
                raise SnapshotError(failure(plan, execution, state, reason, self.settings.snapshot_retention_days))
            if time.monotonic() - started > timeout_seconds:
                self.athena.stop_query_execution(QueryExecutionId=execution)
                raise SnapshotError(
                    failure(
                        plan,
                        execution,
                        "STOPPED",
                        f"still {state} after {timeout_seconds:.0f} s",
                        self.settings.snapshot_retention_days,
                    )
                )
            sleep(poll_seconds)

    def record(self, plan: Plan, execution: str, revision: str | None, branch: str | None) -> dict[str, Any]:
        """Write the provenance onto the table the CTAS created, keeping what Athena set; the table."""
        database = naming.SNAPSHOT_DATABASE
        try:
            table = self.glue.get_table(DatabaseName=database, Name=plan.name)["Table"]
        except ClientError as error:
            raise SnapshotError(
                f"query {execution} succeeded, but {database}.{plan.name} cannot be read from the catalog "
                f"({_reason(error)}); expected the table the CTAS creates"
            ) from None
        table_input = {key: table[key] for key in TABLE_INPUT_KEYS if key in table}
        table_input["Parameters"] = {**(table.get("Parameters") or {}), **properties(plan, execution, revision, branch)}
        table_input.setdefault(
            "Description", f"Snapshot of {plan.source.name} as of {plan.as_of:%Y-%m-%dT%H:%M:%SZ} (ops snapshot)"
        )
        try:
            self.glue.update_table(DatabaseName=database, TableInput=table_input)
        except ClientError as error:
            raise SnapshotError(
                f"made {database}.{plan.name} (query {execution}), but its properties cannot be written "
                f"({_reason(error)}); expected ALTER on the table: drop it, or it stays without its provenance"
            ) from None
        return dict(self.glue.get_table(DatabaseName=database, Name=plan.name)["Table"])

    def make(
        self,
        plan: Plan,
        revision: str | None,
        branch: str | None,
        progress: Callable[[str], None],
        poll_seconds: float,
        timeout_seconds: float,
    ) -> dict[str, Any]:
        """Start the CTAS, wait for it, record the provenance; the snapshot's table."""
        execution = self.start(plan)
        progress(f"started query {execution} in {plan.workgroup}: {plan.source.name} into {plan.name}")
        self.wait(plan, execution, poll_seconds, timeout_seconds)
        return self.record(plan, execution, revision, branch)

    # Listing.

    def list(self) -> list[Listed]:
        """Every table of the snapshot database, with its age and the size of its files."""
        self.caller()
        database = naming.SNAPSHOT_DATABASE
        try:
            pages = self.glue.get_paginator("get_tables").paginate(DatabaseName=database)
            tables = [table for page in pages for table in page.get("TableList", [])]
        except ClientError as error:
            raise OpsError(
                f"{database}: cannot be listed ({_reason(error)}); expected the datasci stack deployed, "
                "with DESCRIBE on its tables for this role"
            ) from None
        return [self._listed(table) for table in sorted(tables, key=lambda t: str(t["Name"]))]

    def _listed(self, table: Mapping[str, Any]) -> Listed:
        parameters = table.get("Parameters") or {}
        created = _time(parameters.get(f"{PROPERTY_PREFIX}created-at"))
        if created is None and isinstance(table.get("CreateTime"), datetime):
            created = table["CreateTime"].astimezone(UTC)
        location = str((table.get("StorageDescriptor") or {}).get("Location") or "")
        size, problem = self._files_size(location)
        return Listed(
            name=str(table["Name"]),
            source=str(parameters.get(f"{PROPERTY_PREFIX}source") or "-"),
            as_of=str(parameters.get(f"{PROPERTY_PREFIX}as-of") or "-"),
            created=created,
            location=location,
            size=size,
            problem=problem,
        )

    def _files_size(self, location: str) -> tuple[int | None, str | None]:
        parsed = _s3_location(location)
        if parsed is None:
            return None, f"no S3 location ({location or 'none'})"
        bucket, prefix = parsed
        try:
            pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            return sum(int(o["Size"]) for page in pages for o in page.get("Contents", [])), None
        except ClientError as error:
            return None, f"size unreadable ({_code(error) or _reason(error)})"


def summary(plan: Plan, table: Mapping[str, Any], execution_location: str | None = None) -> Iterable[str]:
    """What the command prints once the snapshot is made."""
    location = (table.get("StorageDescriptor") or {}).get("Location") or execution_location or ""
    yield (
        f"made {naming.SNAPSHOT_DATABASE}.{plan.name} from {plan.source.name}: {len(plan.columns)} of the "
        f"{len(plan.source.columns)} columns Lake Formation shows this account, at {location}"
    )
    yield f"as of {plan.as_of:%Y-%m-%dT%H:%M:%SZ}: {plan.method}"
    yield f"query sha256 {plan.sha256}"
