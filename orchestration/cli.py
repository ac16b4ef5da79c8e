"""The `lakehouse` command."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ingestion.calendar import parse_day
from ingestion.settings import Settings, default_day
from ingestion.spark import JavaMissingError

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
    return Settings().for_lake(lake)


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
def _lake_writer(settings: Settings, command: str) -> Iterator[None]:
    """The lake's writer lock for a command; a lake held by another run exits 3 at once."""
    from orchestration.run_lock import LakeBusyError, lake_writer_lock

    try:
        with lake_writer_lock(settings.lake.resolve(), command):
            yield
    except LakeBusyError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(EXIT_LAKE_BUSY) from exc


def _run(settings: Settings, day: str) -> dict[str, Any]:
    from orchestration.pipeline import run_day

    with console.status("starting") as status:
        report = run_day(settings, day, step=lambda message: status.update(message))
    _print_summary(report)
    console.print(f"report: {settings.lake.resolve() / report['report']} (latest: reports/run-{day}.json)")
    if str(report.get("dashboard", "")).endswith(".html"):
        console.print(f"dashboard: {report['dashboard']}")
    return report


@app.command()
def run(lake: LakeOption = None, date: DateOption = None) -> None:
    """Process the landing zone for a day: ingestion, dbt build, publication. Exits 1 if anything failed."""
    settings, day = _settings(lake), _day(date)
    try:
        with _lake_writer(settings, "run"):
            report = _run(settings, day)
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
    from ingestion.aurora.demo_db import DemoKeys, create_demo_database
    from ingestion.aurora.extract import demo_database_path
    from ingestion.client_health.sample_data import write_client_health_day
    from ingestion.partner_csv.sample_data import employee_ids, write_partner_day
    from ingestion.positional.sample_data import write_sample_day
    from ingestion.storage import LocalObjectStore

    settings, day = _settings(lake), _day(date)
    try:
        with _lake_writer(settings, "demo"):
            lake_root = settings.lake.resolve()
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
            report = _run(settings, day)
    except JavaMissingError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(
        f'query it: lakehouse query --lake {settings.lake} "select * from gold.salary_averages limit 10"'
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
    import duckdb

    from orchestration.read_only_query import NoCatalogError, QueryRefused, run_query

    try:
        result = run_query(_settings(lake).lake, sql)
    except NoCatalogError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    except QueryRefused as exc:
        console.print(f"[red]refused: {exc}[/red]")
        raise typer.Exit(1) from exc
    except duckdb.Error as exc:
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
        import csv

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
    import logging
    import os

    from ingestion.storage import LocalObjectStore
    from orchestration.dispatcher import dispatch_object_created
    from orchestration.sftp_server import serve_forever

    lake_root = _settings(lake).lake.resolve()
    os.environ["LAKEHOUSE_LAKE"] = str(lake_root)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    store = LocalObjectStore(lake_root)
    console.print(f"SFTP on {host}:{port}; partner keys in {lake_root / 'sftp' / 'keys'}/<partner>.pub")
    serve_forever(lake_root, host, port, lambda key: dispatch_object_created(store, key))


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
    from ingestion.aurora.extract import SourceUnavailableError, UnknownTablesError, extract_tables
    from ingestion.storage import LocalObjectStore
    from orchestration.report import write_command_report

    settings, day = _settings(lake), _day(date)
    store = LocalObjectStore(settings.lake.resolve())
    try:
        manifests = extract_tables(
            url or settings, settings.lake.resolve(), day, tables or None, require_existing=bool(tables)
        )
    except (SourceUnavailableError, UnknownTablesError) as exc:
        console.print(f"[red]{exc}[/red]")
        write_command_report(store, day, "extract-aurora", {"status": "failed", "error": str(exc)})
        raise typer.Exit(1) from exc
    table = Table("table", "status", "rows", "detail", title=f"aurora extraction {day}")
    for manifest in manifests:
        table.add_row(manifest.file_id, manifest.status, f"{manifest.rows_landed:,}", manifest.reason or "")
    console.print(table)
    failed = any(manifest.status != "landed" for manifest in manifests)
    write_command_report(
        store,
        day,
        "extract-aurora",
        {
            "status": "failed" if failed else "succeeded",
            "tables": [
                {"table": m.file_id, "status": m.status, "rows": m.rows_landed, **({"reason": m.reason} if m.reason else {})}
                for m in manifests
            ],
        },
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
    from orchestration.sla import parse_deadline, run_sla_check, sla_exit_code

    settings, day = _settings(lake), _day(date)
    try:
        limit = parse_deadline(deadline) if deadline else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--deadline") from exc
    result = run_sla_check(settings, day, limit)
    console.print_json(json.dumps(result.as_dict(), default=str))
    raise typer.Exit(sla_exit_code(result))


@app.command()
def serve(
    lake: LakeOption = None,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds")] = 2.0,
) -> None:
    """Long-running local mode: dispatch every new landing file as an S3 event and fire the declared
    schedules (Aurora extraction 03:00, positional SLA check 12:00, daily run 23:00, Sao Paulo time)."""
    import logging
    import os

    from orchestration.schedules import SCHEDULES
    from orchestration.serve import serve as serve_forever

    settings = _settings(lake)
    os.environ["LAKEHOUSE_LAKE"] = str(settings.lake.resolve())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for item in SCHEDULES:
        console.print(f"schedule {item.name}: {item.cron} (America/Sao_Paulo) -> {item.job}")
    console.print(f"watching {settings.lake.resolve() / 'landing'}; Ctrl-C to stop")
    serve_forever(settings, poll_seconds=poll_seconds)


def _record(settings: Settings, command: str, outcome: dict[str, Any]) -> None:
    """An ad-hoc command's own record under reports/commands/<today>/; a run's status never reads it."""
    from ingestion.storage import LocalObjectStore
    from orchestration.report import write_command_report

    write_command_report(LocalObjectStore(settings.lake.resolve()), default_day(), command, outcome)


publish_app = typer.Typer(help="Publish gold-fed data to downstream systems.", no_args_is_help=True)
app.add_typer(publish_app, name="publish")


@publish_app.command("opensearch")
def publish_opensearch(lake: LakeOption = None) -> None:
    """Index gold.contract_plans into OpenSearch (LAKEHOUSE_OPENSEARCH_URL), with deterministic document ids."""
    from orchestration.pipeline import catalog_path
    from orchestration.positional_day import publish_contract_plans_to_opensearch

    settings = _settings(lake)
    try:
        result = publish_contract_plans_to_opensearch(settings, catalog_path(settings.lake.resolve()))
    except Exception as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        _record(settings, "publish-opensearch", {"status": "failed", "error": f"{type(exc).__name__}: {exc}"})
        raise typer.Exit(1) from exc
    if result["status"] == "not_configured":
        console.print("[red]no OpenSearch configured: set LAKEHOUSE_OPENSEARCH_URL[/red]")
        raise typer.Exit(2)
    _record(settings, "publish-opensearch", {**result, "status": "succeeded"})
    console.print(f"indexed {result['documents']:,} documents into {result['index']}")


@publish_app.command("mysql")
def publish_mysql(lake: LakeOption = None) -> None:
    """Upsert the cleaned partner employee rows into MySQL (LAKEHOUSE_MYSQL_URL or the secret id on AWS)."""
    from orchestration.pipeline import catalog_path
    from serving.mysql import publish_employees

    settings = _settings(lake)
    try:
        result = publish_employees(settings, catalog_path(settings.lake.resolve()))
    except Exception as exc:
        console.print(f"[red]{type(exc).__name__}: {exc}[/red]")
        _record(settings, "publish-mysql", {"status": "failed", "error": f"{type(exc).__name__}: {exc}"})
        raise typer.Exit(1) from exc
    if result is not None:
        _record(settings, "publish-mysql", {"status": "succeeded", **result.as_dict()})
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
    from orchestration.infrastructure import template_json

    typer.echo(template_json())


if __name__ == "__main__":
    app()
