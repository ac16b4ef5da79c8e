"""The `lakehouse` command."""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from core.backend import Backend, build_backend
from core.calendar import parse_day
from core.query import CatalogMissingError, QueryError, QueryRefused
from core.schedules import SCHEDULES
from core.settings import Settings, default_day
from core.storage import LocalObjectStore
from ingestion.aurora.demo_db import DemoKeys, create_demo_database
from ingestion.aurora.extract import SourceUnavailableError, UnknownTablesError, demo_database_path
from ingestion.client_health.sample_data import write_client_health_day
from ingestion.partner_csv.sample_data import employee_ids, write_partner_day
from ingestion.positional.sample_data import write_sample_day
from ingestion.spark import JavaMissingError
from jobs.aurora_extract import extract
from jobs.positional_day import publish_contract_plans_to_opensearch
from jobs.sla_check import parse_deadline, run_sla_check, sla_exit_code
from orchestration.dispatcher import dispatch_object_created
from orchestration.infrastructure import template_json
from orchestration.pipeline import run_day
from orchestration.report import write_command_report
from orchestration.run_lock import LakeBusyError, lake_writer_lock
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


def _settings(lake: Path | None) -> Settings:
    """The command's Settings, built once here and passed down (nothing below reads the environment)."""
    return Settings().for_lake(lake)


def _backend(lake: Path | None) -> Backend:
    return build_backend(_settings(lake))


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
        with lake_writer_lock(backend.layout.root, command):
            yield
    except LakeBusyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_LAKE_BUSY) from exc


def _run(backend: Backend, day: str) -> dict[str, Any]:
    with console.status("starting") as status:
        report = run_day(backend, day, step=lambda message: status.update(message))
    _print_summary(report)
    console.print(f"report: {backend.layout.path(report['report'])} (latest: {backend.layout.run_report_path(day)})")
    if str(report.get("dashboard", "")).endswith(".html"):
        console.print(f"dashboard: {report['dashboard']}")
    return report


@app.command()
def dashboard(
    lake: LakeOption = None,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free one).")] = 8765,
) -> None:
    """Serve the latest dashboard (lake/reports/dashboard.html) on http://127.0.0.1:PORT until Ctrl-C."""
    from serving.dashboard.page import DASHBOARD_KEY
    from serving.dashboard.server import dashboard_server

    lake_root = _settings(lake).lake.resolve()
    if not (lake_root / DASHBOARD_KEY).exists():
        console.print(f"[red]no dashboard in {lake_root}: `lakehouse run` or `lakehouse demo` writes it[/red]")
        raise typer.Exit(1)
    server = dashboard_server(lake_root, port)
    console.print(f"dashboard: http://127.0.0.1:{server.server_port}/ (Ctrl-C stops)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
def run(lake: LakeOption = None, date: DateOption = None) -> None:
    """Process the landing zone for a day: ingestion, dbt build, publication. Exits 1 if anything failed."""
    backend, day = _backend(lake), _day(date)
    try:
        with _lake_writer(backend, "run"):
            report = _run(backend, day)
    except JavaMissingError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if report["status"] != "succeeded":
        raise typer.Exit(1)


@app.command()
def demo(
    lake: LakeOption = None,
    date: DateOption = None,
    rows: Annotated[int, typer.Option("--rows", min=10, help="Partner CSV rows to generate.")] = 2000,
    seed: Annotated[int, typer.Option("--seed")] = 7,
) -> None:
    """Write realistic sample inputs for the day into the landing zone, then do what `run` does."""
    backend, day = _backend(lake), _day(date)
    try:
        with _lake_writer(backend, "demo"):
            lake_root = backend.layout.root
            landing = lake_root / "landing"
            written = write_partner_day(landing, dt.date.fromisoformat(day), rows, seed)
            console.print(f"demo inputs for {day}: {len(written)} partner CSVs in {landing / 'sftp'}")
            clients = write_client_health_day(landing, dt.date.fromisoformat(day), max(rows // 4, 50), seed)
            console.print(f"demo inputs for {day}: {len(clients)} client files in {landing / 'client_health' / day}")
            positional = write_sample_day(LocalObjectStore(lake_root), day, max(rows // 4, 50), seed)
            console.print(f"demo inputs for {day}: {len(positional)} positional files in {landing / 'positional' / day}")
            database = demo_database_path(lake_root)
            tables = create_demo_database(
                database, day, max(rows // 10, 50), seed, DemoKeys(employee_ids=employee_ids(rows, dt.date.fromisoformat(day)))
            )
            console.print(f"demo Aurora (SQLite) at {database}: " + ", ".join(f"{name} {count:,}" for name, count in tables.items()))
            report = _run(backend, day)
    except JavaMissingError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(
        f'query it: lakehouse query --lake {backend.settings.lake} "select * from gold.salary_averages limit 10"'
    )
    if report["status"] != "succeeded":
        raise typer.Exit(1)


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL against the catalog (schemas bronze, silver, gold).")],
    lake: LakeOption = None,
    output: Annotated[str, typer.Option("--format", help="csv | json | table")] = "table",
) -> None:
    """Run read-only SQL against the published catalog; never blocks on, nor is blocked by, a run."""
    try:
        result = _backend(lake).query_engine.query(sql)
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
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 2222,
) -> None:
    """Serve partners over SFTP (key auth, one home per partner); each finished upload is dispatched
    as the S3 ObjectCreated event AWS Transfer Family would produce."""
    backend = _backend(lake)
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
    tables: Annotated[list[str] | None, typer.Option("--tables", help="Tables to extract (default: all)")] = None,
) -> None:
    """Extract the configured Aurora tables for a day into bronze/aurora/<table>/extraction_date=D/."""
    backend, day = _backend(lake), _day(date)
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
) -> None:
    """Did the day's positional job succeed by the deadline? Exit 1 and a structured alert when missed."""
    backend, day = _backend(lake), _day(date)
    try:
        limit = parse_deadline(deadline) if deadline else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--deadline") from exc
    result = run_sla_check(backend, day, limit)
    console.print_json(json.dumps(result.as_dict(), default=str))
    raise typer.Exit(sla_exit_code(result))


@app.command()
def serve(
    lake: LakeOption = None,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds")] = 2.0,
) -> None:
    """Long-running local mode: dispatch every new landing file as an S3 event and fire the declared
    schedules (Aurora extraction 03:00, positional SLA check 12:00, daily run 23:00, Sao Paulo time)."""
    backend = _backend(lake)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for item in SCHEDULES:
        console.print(f"schedule {item.name}: {item.cron} (America/Sao_Paulo) -> {item.job}")
    console.print(f"watching {backend.layout.path('landing')}; Ctrl-C to stop")
    serve_forever(backend, poll_seconds=poll_seconds)


def _record(backend: Backend, command: str, outcome: dict[str, Any]) -> None:
    """An ad-hoc command's own record under reports/commands/<today>/; a run's status never reads it."""
    write_command_report(backend.store, default_day(), command, outcome)


publish_app = typer.Typer(help="Publish gold-fed data to downstream systems.", no_args_is_help=True)
app.add_typer(publish_app, name="publish")


@publish_app.command("opensearch")
def publish_opensearch(lake: LakeOption = None) -> None:
    """Index gold.contract_plans into OpenSearch (LAKEHOUSE_OPENSEARCH_URL), with deterministic document ids."""
    backend = _backend(lake)
    try:
        result = publish_contract_plans_to_opensearch(backend.settings, backend.layout.catalog_path)
    except Exception as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        _record(backend, "publish-opensearch", {"status": "failed", "error": f"{type(exc).__name__}: {exc}"})
        raise typer.Exit(1) from exc
    if result["status"] == "not_configured":
        console.print("[red]no OpenSearch configured: set LAKEHOUSE_OPENSEARCH_URL[/red]")
        raise typer.Exit(2)
    _record(backend, "publish-opensearch", {**result, "status": "succeeded"})
    console.print(f"indexed {result['documents']:,} documents into {result['index']}")


@publish_app.command("mysql")
def publish_mysql(lake: LakeOption = None) -> None:
    """Upsert the cleaned partner employee rows into MySQL (LAKEHOUSE_MYSQL_URL or the secret id on AWS)."""
    backend = _backend(lake)
    try:
        result = publish_employees(backend.settings, backend.layout.catalog_path)
    except Exception as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        _record(backend, "publish-mysql", {"status": "failed", "error": f"{type(exc).__name__}: {exc}"})
        raise typer.Exit(1) from exc
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


@app.command("aws-template")
def aws_template() -> None:
    """Print the CloudFormation template of the AWS side (bucket, handlers, Glue jobs, catalog, schedules)."""
    typer.echo(template_json(_settings(None)))


if __name__ == "__main__":
    app()
