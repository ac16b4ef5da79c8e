"""Glue job: the daily Aurora extraction (03:00 America/Sao_Paulo, see core/schedules.py; the body is jobs/aurora_extract.py).

Arguments: ``--lake_uri`` (``s3://bucket`` on AWS, a folder locally) and optionally ``--day``
(default: today in Sao Paulo), ``--tables`` (comma-separated; default: the configured tables, else every
table of the schema), ``--url`` (default: ``LAKEHOUSE_AURORA_URL``, on AWS the secret
``LAKEHOUSE_AURORA_SECRET_ID``, a URL or the RDS JSON document). The landed tables are registered in
the backend's catalog (Glue on S3, the DuckDB file locally). Exits non-zero when a table failed.

Why not Spark JDBC. The job moves whole snapshots of operational tables, which is I/O on one database
connection, not distributed compute. Spark JDBC reads a table in one task unless each table gets a
numeric split column and bounds; the PostgreSQL driver buffers the whole result unless a fetch size is
set; it maps unconstrained ``numeric`` to decimal(38,18), which overflows or silently drops digits; it
needs a JVM and at least two workers; and the local runs would need JDBC drivers and another code path.
The library streams ``COPY ... TO STDOUT`` into Arrow instead: faster than a DB-API fetch by the margin
``make bench`` shows, memory bounded by one batch, types mapped from the source catalog, and the very
same code runs locally (the lake a folder) and on AWS (the lake a bucket, the catalog updated with
awswrangler).

Why not a Python shell job. Python shell jobs are capped at Python 3.9, and the project is 3.11. So the
job is declared as a Glue 5.0 job (Python 3.11) with the minimum capacity, ``psycopg[binary]``,
``PyMySQL`` and the project wheel as ``--additional-python-modules``; it uses the driver only. If a
table ever outgrows one connection, that table alone can move to Spark JDBC with a split column.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from core.backend import backend_for_lake_uri
from core.settings import Settings, default_day
from glue_jobs.options import job_settings, resolve_options
from ingestion.aurora.extract import UnknownTablesError
from ingestion.manifest import FileManifest
from jobs.aurora_extract import extract

REQUIRED = ("lake_uri",)
OPTIONAL = ("day", "tables", "url")


def job_options(argv: Sequence[str] | None) -> dict[str, str]:
    """getResolvedOptions has no optional arguments: ask only for the optional ones actually passed."""
    arguments = list(sys.argv if argv is None else argv)
    present = tuple(name for name in OPTIONAL if f"--{name}" in arguments)
    return resolve_options(arguments, (*REQUIRED, *present))


def run_job(options: dict[str, str], settings: Settings | None = None) -> list[FileManifest]:
    backend = backend_for_lake_uri(settings or Settings(), options["lake_uri"])
    tables = [name.strip() for name in options.get("tables", "").split(",") if name.strip()]
    return extract(backend, options.get("day") or default_day(), tables, options.get("url"))


def main(argv: Sequence[str] | None = None) -> None:
    try:
        manifests = run_job(job_options(argv), job_settings(argv))
    except UnknownTablesError as exc:  # a mistyped table name: nothing was written, the job fails
        logging.error("%s", exc)
        sys.exit(1)
    failed = [manifest for manifest in manifests if manifest.status != "landed"]
    for manifest in failed:
        logging.error("aurora table %s failed: %s", manifest.file_id, manifest.reason)
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    main()
