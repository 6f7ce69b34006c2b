"""``python -m ops``: jobs, training, audits, snapshots, the catalog, online features and Studio's teardown.

Run a feature job or training pipeline, audit an account, list the catalog, read online features,
snapshot curated data, and clear what Studio leaves behind before ``pulumi destroy``.

Exit codes: 0 done; 1 a job failed or the audit found drift; 2 bad arguments, configuration or state
(one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import boto3

from contracts import InputError, naming
from contracts import config as platform_config
from contracts.cli import OneLineParser
from contracts.config import Settings
from contracts.feature_catalog import CatalogError, FeatureGroupSpec, load_catalog
from contracts.naming import ACCOUNT_ROLES
from contracts.project import load_project, stack_config
from ops import FeatureJobError, OpsError
from ops import aws as aws_ops
from ops.teardown import add_parser as add_teardown

ROOT = Path(__file__).resolve().parent.parent
#: The roles of the accounts jobs run in: every team's, pre-production's, data management's.
TARGETS = ("datasci", "preprod", "datamgmt")


def _settings(project: Path, account: str, roles: Sequence[str] = TARGETS) -> Settings:
    """The configuration of the ``--account`` stack (one of ``roles``), read and validated as the
    program reads it."""
    try:
        loaded = load_project(project)
        if account not in loaded.stacks:
            raise OpsError(
                f"--account: {account!r} is not a stack of {loaded.name}; expected one of {', '.join(loaded.stacks)}"
            )
        raw = stack_config(loaded, account)
        settings = platform_config.parse(
            raw, project=platform_config.PROJECT, stack=account, project_dir=project, environ={}
        )
    except InputError as error:
        raise OpsError(f"{account}: {error}") from None
    if settings.role not in roles:
        raise OpsError(
            f"--account: {account!r} is the {settings.role} stack; expected a stack of a {' or '.join(roles)} account"
        )
    return settings


def _groups(settings: Settings) -> dict[str, FeatureGroupSpec]:
    """The catalog groups the account's Feature Store holds: a team's own, elsewhere all."""
    return {spec.name: spec for spec in settings.held_groups(load_catalog(settings.feature_catalog_dir))}


def _target(args: argparse.Namespace, settings: Settings, default_role: str | None) -> boto3.Session:
    base = aws_ops.session(args.region or settings.region)
    if args.no_assume_role:
        return base
    role = args.role_arn or default_role
    if role is None:
        raise OpsError("--role-arn: not given; expected the role to assume in the account, or --no-assume-role")
    return aws_ops.assume_role(base, role, f"mlops-ops-{args.command}")


def _sources(pairs: Sequence[str]) -> dict[str, str]:
    sources = {}
    for pair in pairs:
        name, separator, uri = pair.partition("=")
        if not separator or not name or not uri.startswith("s3://"):
            raise OpsError(
                f"--source: {pair!r} is not NAME=s3://bucket/key; expected for example customers=s3://bucket/customers/"
            )
        sources[name] = uri
    return sources


def run_feature_job(args: argparse.Namespace) -> int:
    from ops.feature_job import INGEST_SCRIPT, FeatureJob, JobRequest
    from ops.runs import git_revision_and_branch

    settings = _settings(args.project, args.account)
    flow = Path(args.flow)
    if not flow.is_file() or flow.suffix not in (".flow", ".py"):
        raise OpsError(
            f"--flow: {args.flow!r} is not a .flow or .py file; expected for example flows/customer-churn.flow"
        )
    specs = _groups(settings)
    if args.feature_group not in specs:
        owner = f"the {settings.team.name} team's " if settings.team else ""
        raise OpsError(
            f"--feature-group: {args.feature_group!r} is not in {owner}catalog; "
            f"expected one of {', '.join(specs) or 'none'}"
        )
    target = _target(args, settings, settings.target.runner)
    job_settings = aws_ops.job_settings(target, args.settings)
    revision, branch = git_revision_and_branch(args.git_revision, args.branch)
    job = FeatureJob(
        target,
        job_settings,
        JobRequest(
            flow=flow,
            account=args.account,
            spec=specs[args.feature_group],
            git_revision=revision,
            branch=branch,
            sources=_sources(args.source),
            instance_type=args.instance_type,
        ),
    )
    job.check_feature_group()
    pipeline = job.build_pipeline(job.upload_file(flow), job.upload_file(INGEST_SCRIPT))
    arn = job.start_run(pipeline, print)
    print(f"started {job.pipeline_name}: {arn}")
    if args.wait:
        job.wait(arn, args.poll_seconds, args.timeout_minutes * 60, print)
    return 0


def run_training(args: argparse.Namespace) -> int:
    from ops.runs import git_revision_and_branch
    from ops.training import TrainingRequest, TrainingRun, check_against_catalog, load_definition, parse_as_of

    settings = _settings(args.project, args.account)
    definition = load_definition(Path(args.pipeline))
    spec = check_against_catalog(definition, _groups(settings))
    as_of = parse_as_of(args.as_of)
    target = _target(args, settings, settings.target.runner)
    revision, branch = git_revision_and_branch(args.git_revision, args.branch)
    run = TrainingRun(
        target,
        aws_ops.job_settings(target, args.settings),
        TrainingRequest(definition, spec, args.account, as_of, revision, branch),
    )
    pipeline = run.build_pipeline(run.prepare())
    arn = run.start_run(pipeline, print)
    print(f"started {run.pipeline_name} on {spec.name} as of {as_of:%Y-%m-%dT%H:%M:%SZ}: {arn}")
    if args.wait:
        run.wait(arn, args.poll_seconds, args.timeout_minutes * 60, print)
        version = run.registered_version(arn) or f"a version (see the run's RegisterModel step) of {definition.name}"
        print(f"registered {version} in {run.training.model_package_group_arn}, pending approval")
    return 0


def audit(args: argparse.Namespace) -> int:
    from ops.audit import audit as run_audit
    from ops.audit import notify, table, to_json

    settings = _settings(args.project, args.account, ACCOUNT_ROLES)
    topic = _topic(args.notify) if args.notify else None
    # The build's own credentials: they publish, and (the audit role) read the tooling account.
    ambient = aws_ops.session(args.region or settings.region)
    try:
        if args.auditor and settings.role == "tooling":
            session = ambient
        else:
            session = _target(args, settings, settings.target.auditor if args.auditor else None)
        findings = run_audit(session, settings)
    except OpsError as error:
        if topic:
            notify(ambient, topic, settings, [], str(error))
        raise
    print(to_json(findings) if args.format == "json" else table(findings))
    drift = [f for f in findings if not f.ok]
    if drift and topic:
        notify(ambient, topic, settings, drift)
    return 1 if drift else 0


def _topic(value: str) -> str:
    if not re.fullmatch(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}", value):
        raise OpsError(
            f"--notify: {value!r} is not an SNS topic ARN; expected arn:aws:sns:REGION:ACCOUNT:TOPIC, "
            f"such as the approval topic {naming.APPROVAL_TOPIC}"
        )
    return value


def catalog(args: argparse.Namespace) -> int:
    from ops.catalog import table

    print(table(load_catalog(args.dir), detail=args.features))
    return 0


def online_features(args: argparse.Namespace) -> int:
    from ops.online import get_records

    settings = _settings(args.project, args.account)
    runtime = _target(args, settings, None).client("sagemaker-featurestore-runtime")
    records, latency = get_records(runtime, args.feature_group, args.record_id, args.repeat)
    for record in records:
        print(" ".join(f"{key}={value}" for key, value in record.items()))
    print(
        f"{len(records)} of {len(args.record_id)} records; {latency.calls} calls: "
        f"p50 {latency.p50_ms:.1f} ms, p95 {latency.p95_ms:.1f} ms, max {latency.max_ms:.1f} ms"
    )
    return 0


def snapshot(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from ops.runs import git_revision_and_branch
    from ops.snapshot import Snapshots, listing, parse_request, summary

    settings = _settings(args.project, args.account, ("datasci",))
    if args.list:
        given = [flag for flag, value in _SNAPSHOT_ONLY.items() if getattr(args, value) is not None]
        if given:
            raise OpsError(f"--list: lists snapshots, so {', '.join(given)} has no use; expected --list alone")
    else:
        request = parse_request(
            args.table, args.as_of, args.columns, args.where, args.sample, args.time_column, datetime.now(UTC)
        )
    # In Studio the ambient credentials are its execution role's, in the account.
    base = aws_ops.session(args.region or settings.region)
    snapshots = Snapshots(
        aws_ops.assume_role(base, args.role_arn, "mlops-ops-snapshot") if args.role_arn else base, settings
    )
    if args.list:
        print(listing(snapshots.list(), settings.snapshot_retention_days, datetime.now(UTC)))
        return 0
    plan = snapshots.plan(request)
    revision, branch = git_revision_and_branch(args.git_revision, args.branch)
    table = snapshots.make(plan, revision, branch, print, args.poll_seconds, args.timeout_minutes * 60)
    for line in summary(plan, table):
        print(line)
    return 0


#: The snapshot options that make no sense with --list, by flag.
_SNAPSHOT_ONLY = {
    "--as-of": "as_of",
    "--columns": "columns",
    "--where": "where",
    "--sample": "sample",
    "--time-column": "time_column",
}


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="python -m ops", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--project", type=Path, default=ROOT, help="the folder of Pulumi.yaml (default: this repository)"
    )
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    def account_options(command: argparse.ArgumentParser, accounts: str) -> argparse._MutuallyExclusiveGroup:
        command.add_argument(
            "--account", required=True, help=f"the stack of {accounts}, such as datasci, datasci-<team> or datamgmt"
        )
        command.add_argument("--region", help="default: the stack's aws:region")
        roles = command.add_mutually_exclusive_group()
        roles.add_argument("--role-arn", help="the role to assume in the account")
        roles.add_argument("--no-assume-role", action="store_true", help="use the ambient credentials")
        return roles

    def run_options(command: argparse.ArgumentParser, timeout_minutes: float) -> None:
        """What every pipeline run takes: its settings, the code's revision, and how to wait."""
        command.add_argument(
            "--settings", type=Path, help="the job settings as JSON (default: the account's SSM parameter)"
        )
        command.add_argument("--git-revision", help="default: GIT_COMMIT, CodeBuild's or GitHub's revision, or git")
        command.add_argument("--branch", help="default: CI's branch variables, or git")
        command.add_argument("--wait", action="store_true", help="wait for the run to end, with progress")
        command.add_argument("--poll-seconds", type=float, default=30.0)
        command.add_argument("--timeout-minutes", type=float, default=timeout_minutes)

    job = commands.add_parser("run-feature-job", help="run a flow into a feature group in a target account")
    job.add_argument("--flow", required=True, help="a Data Wrangler .flow file or its exported .py script")
    job.add_argument("--feature-group", required=True, help="a group of the feature catalog")
    account_options(job, "a target account")
    job.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="NAME=S3URI",
        help="an input of the flow or script (repeatable); a flow's own sources are the default",
    )
    job.add_argument("--instance-type", default="ml.m5.xlarge")
    run_options(job, timeout_minutes=120.0)
    job.set_defaults(handler=run_feature_job)

    train = commands.add_parser("run-training", help="run a training pipeline on a feature group in a target account")
    train.add_argument("--pipeline", required=True, help="a training definition such as pipelines/customer-churn.py")
    account_options(train, "a target account")
    train.add_argument("--as-of", help="the dataset's point in time, ISO-8601 with a zone (default: now)")
    run_options(train, timeout_minutes=180.0)
    train.set_defaults(handler=run_training)

    check = commands.add_parser("audit", help="check a live account against the guardrails")
    account_options(check, "any account").add_argument(
        "--auditor",
        action="store_true",
        help="as the account's read-only auditor role, assumed from the tooling audit role (tooling: its own)",
    )
    check.add_argument("--notify", metavar="TOPIC_ARN", help="publish what drifted (or why no audit ran) to this topic")
    check.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="a table, or JSON: one object per check (check, guardrail, control, resource, result, detail)",
    )
    check.set_defaults(handler=audit)

    listing = commands.add_parser("catalog", help="list the feature catalog")
    listing.add_argument("--dir", type=Path, default=ROOT / "features")
    listing.add_argument("--features", action="store_true", help="list each group's features too")
    listing.set_defaults(handler=catalog)

    online = commands.add_parser("online-features", help="read records from the online store, with latency")
    online.add_argument("--feature-group", required=True)
    online.add_argument("--record-id", action="append", required=True, help="a record identifier (repeatable)")
    online.add_argument("--repeat", type=int, default=1, help="calls to time")
    account_options(online, "a target account")
    online.set_defaults(handler=online_features)

    copy = commands.add_parser(
        "snapshot", help="copy a shared curated table into a data science account's snapshots, or list them"
    )
    copy.add_argument("--account", required=True, help="the stack of a data science account, such as datasci")
    what = copy.add_mutually_exclusive_group(required=True)
    what.add_argument("--table", help="DATABASE.TABLE of a shared database, such as mlops_curated.churn_labels")
    what.add_argument("--list", action="store_true", help="list the snapshots with age, size and retention")
    copy.add_argument("--as-of", help="the point in time, ISO-8601 with a zone (default: now); see ops/snapshot.py")
    copy.add_argument("--columns", help="the columns to copy, comma-separated (default: all the account can read)")
    copy.add_argument("--where", help="an SQL condition on the rows (Athena's dialect), run with your rights")
    copy.add_argument("--sample", help="the fraction of rows to keep, in (0, 1] (TABLESAMPLE BERNOULLI)")
    copy.add_argument("--time-column", help="the column --as-of filters on, when the table has no time travel")
    copy.add_argument("--region", help="default: the stack's aws:region")
    copy.add_argument("--role-arn", help="a role to assume in the account (default: the ambient credentials)")
    copy.add_argument("--git-revision", help="default: GIT_COMMIT, CodeBuild's or GitHub's revision, or git")
    copy.add_argument("--branch", help="default: CI's branch variables, or git")
    copy.add_argument("--poll-seconds", type=float, default=2.0)
    copy.add_argument("--timeout-minutes", type=float, default=60.0)
    copy.set_defaults(handler=snapshot)
    add_teardown(commands, _settings, _target)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except (OpsError, CatalogError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except FeatureJobError as error:
        print(f"failed: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
