"""The `lakehouse` command."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.backend import Backend, build_backend, with_launcher
from core.calendar import parse_day
from core.launchers import local_glue_launcher
from core.layout import backfill_report_key, run_report_key
from core.query import CatalogMissingError, QueryError, QueryRefused
from core.run_lock import LakeBusyError
from core.schedules import SCHEDULES
from core.settings import Backend as BackendName
from core.settings import Settings, default_day
from core.storage import LocalObjectStore, ObjectStore
from ingestion.aurora.demo_db import DemoKeys, create_demo_database
from ingestion.aurora.extract import SourceUnavailableError, UnknownTablesError, demo_database_path
from ingestion.client_health.sample_data import write_client_health_day
from ingestion.partner_csv.sample_data import employee_ids, write_partner_day
from ingestion.positional.sample_data import write_sample_day
from ingestion.spark import JavaMissingError
from jobs.aurora_extract import extract
from jobs.dbt import DocsError, write_docs_site
from jobs.positional_day import publish_contract_plans_to_opensearch
from jobs.sla_check import parse_deadline, run_sla_check, sla_exit_code
from orchestration import backfill
from orchestration.aws.deploy import register as register_aws_commands
from orchestration.aws.template import template_json
from orchestration.dispatcher import dispatch_object_created
from orchestration.pipeline import run_day
from orchestration.report import write_command_report
from orchestration.serve import serve as serve_forever
from orchestration.sftp_server import serve_forever as serve_sftp
from serving.mysql import publish_employees

app = typer.Typer(
    help="Lakehouse: partner CSVs, positional files, Aurora and client files to gold.", no_args_is_help=True
)
console = Console(width=None if sys.stdout.isatty() else 150)

EXIT_LAKE_BUSY = 3

LakeOption = Annotated[
    Path | None, typer.Option("--lake", help="Lake folder (default ./lake or LAKEHOUSE_LAKE).")
]
DateOption = Annotated[
    str | None, typer.Option("--date", help="Day YYYY-MM-DD (default: today in America/Sao_Paulo).")
]


BackendOption = Annotated[
    BackendName | None,
    typer.Option("--backend", help="local (a lake folder) or aws (a bucket; default LAKEHOUSE_BACKEND)."),
]
BucketOption = Annotated[
    str | None,
    typer.Option("--bucket", help="The lake bucket on the aws backend (default LAKEHOUSE_BUCKET)."),
]


def lakehouse_command() -> str:
    """How to run this command again from the user's shell: ``lakehouse`` when that name on PATH is this
    very script (an active venv), else the script's path (``.venv/bin/lakehouse``), else ``python -m``."""
    running = Path(sys.argv[0]).absolute()
    if running.name != "lakehouse" or not running.is_file():
        return f"{sys.executable} -m orchestration.cli"
    on_path = shutil.which("lakehouse")
    if on_path is not None and Path(on_path).absolute() == running:
        return "lakehouse"
    try:
        return str(running.relative_to(Path.cwd()))
    except ValueError:
        return str(running)


def _settings(lake: Path | None, backend: BackendName | None = None, bucket: str | None = None) -> Settings:
    """The command's Settings, built once here and passed down (nothing below reads the environment).

    ``--backend aws --bucket B`` use the standard AWS environment (``AWS_ENDPOINT_URL`` for the sandbox)."""
    settings = Settings().for_lake(lake)
    if backend is not None:
        settings = settings.model_copy(update={"backend": backend})
    if bucket is not None:
        settings = settings.model_copy(update={"bucket": bucket})
    if settings.backend is BackendName.AWS and not settings.bucket:
        raise typer.BadParameter("the aws backend needs a bucket: --bucket B or LAKEHOUSE_BUCKET", param_hint="--bucket")
    return settings


def _backend(lake: Path | None, backend: BackendName | None = None, bucket: str | None = None) -> Backend:
    return build_backend(_settings(lake, backend, bucket))


def _local_backend(
    command: str, on_aws: str, lake: Path | None, backend: BackendName | None, bucket: str | None
) -> Backend:
    """The backend of a command that exists only on the local backend: on aws it exits 2 saying what
    stands for it there (``on_aws``)."""
    settings = _settings(lake, backend, bucket)
    if settings.backend is BackendName.AWS:
        console.print(f"[red]`lakehouse {command}` runs on the local backend only; on aws {on_aws}[/red]")
        raise typer.Exit(2)
    return build_backend(settings)


def _day(date: str | None) -> str:
    try:
        return parse_day(date or default_day()).isoformat()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--date") from exc


def _print_summary(report: dict[str, Any]) -> None:
    table = Table(title=f"lakehouse run {report['day']}: {report['status']}")
    numeric = {"files", "rows read", "landed", "quarantined", "files quarantined"}
    for column in ("source", "status", "files", "rows read", "landed", "quarantined", "by reason", "files quarantined"):
        table.add_column(column, justify="right" if column in numeric else "left")
    for name, summary in report["sources"].items():
        reasons = ", ".join(f"{reason}={count}" for reason, count in summary["quarantined_by_reason"].items())
        table.add_row(
            name,
            summary["status"],
            str(summary["files"]),
            f"{summary['rows_read']:,}",
            f"{summary['rows_landed']:,}",
            f"{summary['rows_quarantined']:,}",
            reasons or "-",
            str(summary.get("files_quarantined", 0)),
        )
    console.print(table)
    for name, summary in report["sources"].items():
        for key in summary.get("quarantined_files", []):
            console.print(f"[yellow]  {name}: quarantined whole: {key}[/yellow]")
        gate = summary.get("day_gate")
        if gate and not gate["complete"]:
            named = [f"{item} missing" for item in gate["missing"]] + [f"{item} rejected" for item in gate["rejected"]]
            console.print(f"[red]  {name}: day incomplete: {', '.join(named)}[/red]")
    for name, summary in report["sources"].items():
        quality = summary.get("quality")
        if quality:
            reasons = ", ".join(f"{reason}={count}" for reason, count in quality["quarantined_by_reason"].items())
            console.print(
                f"{name} quality checks: {quality['rows_checked']:,} rows checked, "
                f"{quality['rows_quarantined']:,} quarantined ({reasons or '-'})"
            )
    tests = report["dbt"]["tests"]
    console.print(
        f"dbt: {len(report['dbt']['models'])} models, {tests['passed']}/{tests['total']} tests passed"
    )
    for failure in report["dbt"]["failures"]:
        console.print(f"[red]  {failure}[/red]")
    for name, summary in report["sources"].items():
        for error in summary["errors"]:
            console.print(f"[red]  {name}: {error}[/red]")
    if isinstance(report["gold"], list):
        for table_info in report["gold"]:
            console.print(f"published {table_info['table']}: {table_info['rows']:,} rows")
    else:
        console.print(f"[red]{report['gold']}[/red]")


@contextmanager
def _lake_writer(backend: Backend, command: str) -> Iterator[None]:
    """The lake's writer lock for a command; a lake held by another run exits 3 at once."""
    try:
        with backend.writer_lock(command):
            yield
    except LakeBusyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_LAKE_BUSY) from exc


def _run(backend: Backend, day: str) -> dict[str, Any]:
    # The run stands in for the event plumbing on both backends: the handlers get S3-shaped events here
    # and the Glue scripts they start run in this process, with the arguments Glue would pass.
    in_process = with_launcher(backend, local_glue_launcher(backend.settings, backend.layout))
    with console.status("starting") as status:
        report = run_day(in_process, day, step=lambda message: status.update(message))
    _print_summary(report)
    latest = backend.store.uri(run_report_key(day))
    console.print(f"report: {backend.store.uri(report['report'])} (latest: {latest})")
    if str(report.get("dashboard", "")).endswith(".html"):
        console.print(f"dashboard: {report['dashboard']}")
    return report


@app.command()
def dashboard(
    lake: LakeOption = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free one).")] = 8765,
    backend_name: BackendOption = None,
    bucket: BucketOption = None,
) -> None:
    """Serve the latest dashboard (reports/dashboard.html of the lake folder, or of the bucket on the aws
    backend) on http://127.0.0.1:PORT until Ctrl-C."""
    from serving.dashboard.page import DASHBOARD_KEY
    from serving.dashboard.server import dashboard_server

    store = _backend(lake, backend_name, bucket).store
    if not store.exists(DASHBOARD_KEY):
        console.print(f"[red]no dashboard at {store.uri(DASHBOARD_KEY)}: `lakehouse run` or `lakehouse demo` writes it[/red]")
        raise typer.Exit(1)
    server = dashboard_server(store, port)
    console.print(f"dashboard: http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
def docs(lake: LakeOption = None, backend_name: BackendOption = None, bucket: BucketOption = None) -> None:
    """Write the dbt docs site as one HTML file that opens from disk (lake/reports/dbt-docs.html)."""
    backend = _backend(lake, backend_name, bucket)
    try:
        key = write_docs_site(backend)
    except DocsError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    console.print(f"dbt docs: {backend.store.uri(key)}")


@app.command()
def run(
    lake: LakeOption = None,
    date: DateOption = None,
    backend_name: BackendOption = None,
    bucket: BucketOption = None,
    first_day: Annotated[str | None, typer.Option("--from", help="First day of a range (with --to).")] = None,
    last_day: Annotated[str | None, typer.Option("--to", help="Last day of a range, included.")] = None,
    force: Annotated[bool, typer.Option("--force", help="In a range, rerun days that already succeeded.")] = False,
    allow_long_range: Annotated[
        bool, typer.Option("--allow-long-range", help=f"Allow a range over {backfill.MAX_UNCONFIRMED_DAYS} days.")
    ] = False,
) -> None:
    """Process the landing zone for a day (or each day of --from..--to, in order): ingestion, dbt build,
    publication. Exits 1 if anything failed (a range stops at its first failed day)."""
    if first_day is not None or last_day is not None:
        days = _range_days(date, first_day, last_day, allow_long_range)
        _run_range(_backend(lake, backend_name, bucket), days, force)
        return
    if force or allow_long_range:
        raise typer.BadParameter("applies only to a range (--from D1 --to D2)", param_hint="--force/--allow-long-range")
    backend, day = _backend(lake, backend_name, bucket), _day(date)
    try:
        with _lake_writer(backend, "run"):
            report = _run(backend, day)
    except JavaMissingError as exc:  # configuration, not a failed run
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if report["status"] != "succeeded":
        raise typer.Exit(1)


def _range_days(date: str | None, first: str | None, last: str | None, allow_long: bool) -> list[str]:
    if date is not None:
        raise typer.BadParameter("--date and --from/--to are mutually exclusive", param_hint="--date")
    if first is None or last is None:
        raise typer.BadParameter("a range needs both --from and --to", param_hint="--from/--to")
    try:
        return backfill.days_in_range(first, last, allow_long)
    except backfill.RangeUsageError as exc:
        raise typer.BadParameter(str(exc), param_hint=exc.option) from exc


def _run_range(backend: Backend, days: list[str], force: bool) -> None:
    try:
        with _lake_writer(backend, "run"):
            summary = backfill.run_backfill(backend.store, days, lambda day: _run(backend, day), force)
    except JavaMissingError as exc:  # configuration, not a failed run
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(backfill.summary_table(summary))
    console.print(f"summary: {backend.store.uri(backfill_report_key(days[0], days[-1]))}")
    if summary.failed_day is not None:
        console.print(f"[red]{summary.failed_day} failed; run the same range again to resume there[/red]")
        raise typer.Exit(1)


def _write_demo_inputs(lake_root: Path, day: str, rows: int, seed: int) -> None:
    """The demo's landing files for ``day`` below ``lake_root/landing`` (the same files for the same seed)."""
    landing, date = lake_root / "landing", dt.date.fromisoformat(day)
    written = write_partner_day(landing, date, rows, seed)
    console.print(f"demo inputs for {day}: {len(written)} partner CSVs (landing/sftp/)")
    clients = write_client_health_day(landing, date, max(rows // 4, 50), seed)
    console.print(f"demo inputs for {day}: {len(clients)} client files (landing/client_health/{day}/)")
    positional = write_sample_day(LocalObjectStore(lake_root), day, max(rows // 4, 50), seed)
    console.print(f"demo inputs for {day}: {len(positional)} positional files (landing/positional/{day}/)")


def _copy_folder(folder: Path, store: ObjectStore) -> int:
    """Every file below ``folder`` into ``store`` at the same relative key; returns how many."""
    files = sorted(path for path in folder.rglob("*") if path.is_file())
    for path in files:
        store.write_bytes(path.relative_to(folder).as_posix(), path.read_bytes())
    return len(files)


@app.command()
def demo(
    lake: LakeOption = None,
    date: DateOption = None,
    rows: Annotated[int, typer.Option("--rows", min=10, help="Partner CSV rows to generate.")] = 2000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sample data: the same seed gives the same files.")] = 7,
    backend_name: BackendOption = None,
    bucket: BucketOption = None,
) -> None:
    """Write realistic sample inputs for the day into the landing zone (the lake folder, or
    s3://BUCKET/landing/ on the aws backend) and the demo Aurora, then do what `run` does."""
    backend, day = _backend(lake, backend_name, bucket), _day(date)
    settings = backend.settings
    try:
        with _lake_writer(backend, "demo"):
            if backend.layout.folder is not None:
                _write_demo_inputs(backend.layout.folder, day, rows, seed)
            else:
                with tempfile.TemporaryDirectory(prefix="lakehouse-demo-") as staging:
                    _write_demo_inputs(Path(staging), day, rows, seed)
                    copied = _copy_folder(Path(staging), backend.store)
                console.print(f"demo inputs uploaded: {copied} objects to {backend.store.uri('landing/')}")
            # Aurora is a database, not objects in the lake: the demo's stands in as a SQLite file in the lake
            # folder (on the aws backend, the local working folder --lake), read when no Aurora URL is set.
            database = demo_database_path(settings.lake.resolve())
            database.parent.mkdir(parents=True, exist_ok=True)
            tables = create_demo_database(
                database, day, max(rows // 10, 50), seed, DemoKeys(employee_ids=employee_ids(rows, dt.date.fromisoformat(day)))
            )
            console.print(f"demo Aurora (SQLite) at {database}: " + ", ".join(f"{name} {count:,}" for name, count in tables.items()))
            report = _run(backend, day)
    except JavaMissingError as exc:  # configuration, not a failed run
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    where = f"--backend aws --bucket {settings.bucket}" if backend.layout.folder is None else f"--lake {settings.lake}"
    console.print(
        f'query it: {lakehouse_command()} query {where} "select * from gold.salary_averages limit 10"', soft_wrap=True
    )
    if report["status"] != "succeeded":
        raise typer.Exit(1)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL against the catalog (schemas bronze, silver, gold).")],
    lake: LakeOption = None,
    output: Annotated[str, typer.Option("--format", help="csv | json | table")] = "table",
    backend_name: BackendOption = None,
    bucket: BucketOption = None,
) -> None:
    """Run read-only SQL against the published catalog (a snapshot of the local DuckDB file, never blocked by a
    run, or Athena on the aws backend)."""
    try:
        result = _backend(lake, backend_name, bucket).query_engine.query(sql)
    except CatalogMissingError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    except QueryRefused as exc:
        console.print(f"[red]refused: {exc}[/red]")
        raise typer.Exit(1) from exc
    except QueryError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    columns, rows = result.columns, result.rows
    if output == "json":
        typer.echo(
            json.dumps(
                [dict(zip(columns, row, strict=True)) for row in rows], default=str, ensure_ascii=False
            )
        )
    elif output == "csv":
        writer = csv.writer(sys.stdout)
        writer.writerow(columns)
        writer.writerows(rows)
    elif output == "table":
        table = Table(*columns)
        for row in rows:
            table.add_row(*("" if value is None else str(value) for value in row))
        console.print(table)
    else:
        raise typer.BadParameter("expected csv, json or table", param_hint="--format")


@app.command()
def sftp(
    lake: LakeOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 2222,
    backend_name: BackendOption = None,
    bucket: BucketOption = None,
) -> None:
    """Serve partners over SFTP (key auth, one home per partner); each finished upload is dispatched
    as the S3 ObjectCreated event AWS Transfer Family would produce. Local backend only."""
    backend = _local_backend(
        "sftp", "partners upload to Transfer Family (`lakehouse deploy --partners FILE`)", lake, backend_name, bucket
    )
    lake_root = backend.layout.root
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    console.print(f"SFTP on {host}:{port}; partner keys in {lake_root / 'sftp' / 'keys'}/<partner>.pub")
    serve_sftp(lake_root, host, port, lambda key: dispatch_object_created(backend, key))


extract_app = typer.Typer(help="Pull sources into bronze.", no_args_is_help=True)
app.add_typer(extract_app, name="extract")


@extract_app.command("aurora")
def extract_aurora(
    lake: LakeOption = None,
    date: DateOption = None,
    url: Annotated[str | None, typer.Option("--url", help="postgresql://, mysql:// or sqlite:///path")] = None,
    tables: Annotated[list[str] | None, typer.Option("--tables", help="A table to extract; repeat for more (default: LAKEHOUSE_AURORA_TABLES, else all)")] = None,
    backend_name: BackendOption = None,
    bucket: BucketOption = None,
) -> None:
    """Extract the configured Aurora tables for a day into bronze/aurora/<table>/extraction_date=D/."""
    backend, day = _backend(lake, backend_name, bucket), _day(date)
    try:
        manifests = extract(backend, day, tables or (), url)
    except (SourceUnavailableError, UnknownTablesError) as exc:
        console.print(f"[red]{exc}[/red]")
        write_command_report(backend.store, day, "extract-aurora", {"status": "failed", "error": str(exc)})
        raise typer.Exit(1) from exc
    table = Table("table", "status", "rows", "detail", title=f"aurora extraction {day}")
    for manifest in manifests:
        table.add_row(manifest.file_id, manifest.status, f"{manifest.rows_landed:,}", manifest.reason or "")
    console.print(table)
    failed = any(manifest.status != "landed" for manifest in manifests)
    outcome = [
        {"table": m.file_id, "status": m.status, "rows": m.rows_landed, **({"reason": m.reason} if m.reason else {})}
        for m in manifests
    ]
    write_command_report(
        backend.store, day, "extract-aurora", {"status": "failed" if failed else "succeeded", "tables": outcome}
    )
    if failed:
        raise typer.Exit(1)


@app.command("sla-check")
def sla_check(
    lake: LakeOption = None,
    date: DateOption = None,
    deadline: Annotated[str | None, typer.Option("--deadline", help="HH:MM in America/Sao_Paulo (default 12:00)")] = None,
    backend_name: BackendOption = None,
    bucket: BucketOption = None,
) -> None:
    """Did the day's positional job succeed by the deadline? Prints one JSON line (on a miss also a
    CloudWatch EMF alert) and exits 1 when missed."""
    backend, day = _backend(lake, backend_name, bucket), _day(date)
    try:
        limit = parse_deadline(deadline) if deadline else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--deadline") from exc
    result = run_sla_check(backend, day, limit, emit=None)
    # One JSON line on stdout: the result, which on a miss is also the CloudWatch EMF alert.
    typer.echo(json.dumps(result.document(), default=str, ensure_ascii=False, separators=(",", ":")))
    raise typer.Exit(sla_exit_code(result))


@app.command()
def serve(
    lake: LakeOption = None,
    poll_seconds: Annotated[
        float, typer.Option("--poll-seconds", min=0.1, help="Seconds between two looks at the landing zone.")
    ] = 2.0,
    backend_name: BackendOption = None,
    bucket: BucketOption = None,
) -> None:
    """Long-running local mode: dispatch every new landing file as an S3 event and fire the declared
    schedules (Aurora extraction 03:00, positional SLA check 12:00, daily run 23:00, Sao Paulo time).
    Local backend only."""
    backend = _local_backend(
        "serve",
        "S3 notifications, EventBridge Scheduler and Step Functions do this (`lakehouse deploy`)",
        lake,
        backend_name,
        bucket,
    )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for item in SCHEDULES:
        console.print(f"schedule {item.name}: {item.cron} (America/Sao_Paulo) -> {item.job}")
    console.print(f"watching {backend.layout.path('landing')}; Ctrl-C to stop")
    serve_forever(backend, poll_seconds=poll_seconds)


def _record(backend: Backend, command: str, outcome: dict[str, Any]) -> None:
    """An ad-hoc command's own record under reports/commands/<today>/; a run's status never reads it."""
    write_command_report(backend.store, default_day(), command, outcome)


@contextmanager
def _publication_failures(backend: Backend, command: str) -> Iterator[None]:
    """A publication failing inside is printed, recorded as the command's outcome, and exits 1."""
    try:
        yield
    except Exception as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        _record(backend, command, {"status": "failed", "error": f"{type(exc).__name__}: {exc}"})
        raise typer.Exit(1) from exc


publish_app = typer.Typer(help="Publish gold-fed data to downstream systems.", no_args_is_help=True)
app.add_typer(publish_app, name="publish")


@publish_app.command("opensearch")
def publish_opensearch(lake: LakeOption = None, backend_name: BackendOption = None, bucket: BucketOption = None) -> None:
    """Index gold.contract_plans into OpenSearch (LAKEHOUSE_OPENSEARCH_URL), with deterministic document ids."""
    backend = _backend(lake, backend_name, bucket)
    with _publication_failures(backend, "publish-opensearch"):
        result = publish_contract_plans_to_opensearch(backend.settings, backend.catalog.table_reader())
    if result["status"] == "not_configured":
        console.print("[red]no OpenSearch configured: set LAKEHOUSE_OPENSEARCH_URL[/red]")
        raise typer.Exit(2)
    _record(backend, "publish-opensearch", {**result, "status": "succeeded"})
    console.print(f"indexed {result['documents']:,} documents into {result['index']}")


@publish_app.command("mysql")
def publish_mysql(lake: LakeOption = None, backend_name: BackendOption = None, bucket: BucketOption = None) -> None:
    """Upsert the cleaned partner employee rows into MySQL (LAKEHOUSE_MYSQL_URL or the secret id on AWS)."""
    backend = _backend(lake, backend_name, bucket)
    with _publication_failures(backend, "publish-mysql"):
        result = publish_employees(backend.settings, backend.catalog.table_reader())
    if result is not None:
        _record(backend, "publish-mysql", {"status": "succeeded", **result.as_dict()})
    if result is None:
        console.print(
            "[red]no MySQL configured: set LAKEHOUSE_MYSQL_URL (or LAKEHOUSE_MYSQL_SECRET_ID on AWS)[/red]"
        )
        raise typer.Exit(2)
    console.print(
        f"published {result.rows:,} rows to {result.target} table {result.table} in {result.batches} batches"
    )


@app.command()
def upload(
    bucket: Annotated[str, typer.Option("--bucket", help="The lake bucket (created if missing).")],
    folders: Annotated[list[str] | None, typer.Argument(help="Lake folders to copy (default: landing).")] = None,
    lake: LakeOption = None,
) -> None:
    """Copy folders of a local lake (the demo's landing files) into a bucket, same keys (the sandbox's S3)."""
    import boto3

    from sandbox.lake import upload_folders

    settings = _settings(lake, bucket=bucket)
    written = upload_folders(settings.lake.resolve(), folders or ["landing"], bucket, boto3.client("s3", region_name=settings.region))
    console.print(f"uploaded {written:,} objects to s3://{bucket}/")


@app.command("aws-template")
def aws_template() -> None:
    """Print the CloudFormation template of the AWS side (bucket, handlers, Glue jobs, catalog, schedules)."""
    typer.echo(template_json(_settings(None)))


@app.command()
def sandbox(
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 4566,
    statement_log: Annotated[
        Path | None, typer.Option("--statement-log", help="JSON Lines file receiving every Athena statement.")
    ] = None,
) -> None:
    """Run the offline AWS stand-in (moto, Athena executed on DuckDB) until Ctrl-C; prints its environment."""
    from sandbox import serve_sandbox

    serve_sandbox(port, statement_log=statement_log, echo=typer.echo)


register_aws_commands(app, lambda: _settings(None))

if __name__ == "__main__":
    app()
