"""The extraction of one day: every configured table of the source, each to its bronze folder, with a manifest."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from core.settings import Settings
from core.storage import ObjectStore, file_md5
from ingestion.aurora import landing
from ingestion.aurora.drift import compare, null_filled_fields
from ingestion.aurora.source import Source, open_source
from ingestion.aurora.urls import SourceUrl, parse_source_url
from ingestion.manifest import FileManifest, write_manifest

log = logging.getLogger(__name__)

DEMO_DATABASE = Path("sources/aurora.sqlite")


class SourceUnavailableError(RuntimeError):
    pass


@dataclass(frozen=True)
class ExtractOptions:
    batch_rows: int = 100_000
    accept_dropped_columns: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractOptions:
        return cls(settings.aurora_batch_rows, frozenset(settings.aurora_accept_dropped_columns))


def demo_database_path(lake_root: Path) -> Path:
    """Where ``lakehouse demo`` puts the SQLite database standing in for Aurora (beside the lake's layers)."""
    return lake_root / DEMO_DATABASE


def aurora_configured(settings: Settings) -> bool:
    """Whether a run has an Aurora to extract: a URL, a secret (AWS), or the lake's demo database."""
    return bool(settings.aurora_url or settings.aurora_secret_id or demo_database_path(settings.lake).is_file())


def source_url(settings: Settings) -> str:
    """The configured Aurora URL, or else the demo database of the lake."""
    if settings.aurora_url is not None:
        return settings.aurora_url.get_secret_value()
    return f"sqlite:///{demo_database_path(settings.lake).resolve()}"


def _with_nulls(batches: Iterator[pa.RecordBatch], schema: pa.Schema, fills: Sequence[pa.Field]) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        if fills:
            batch = pa.RecordBatch.from_arrays(
                [*batch.columns, *(pa.nulls(batch.num_rows, item.type) for item in fills)], schema=schema
            )
        yield batch


def extract_table(
    source: Source, store: ObjectStore, day: str, table: str, options: ExtractOptions
) -> FileManifest:
    """One table to ``bronze/aurora/<table>/extraction_date=<day>/``; raises on any failure (nothing published)."""
    columns = source.columns(table)
    previous = landing.read_schema_state(store, table)
    fills: list[pa.Field] = []
    if previous is not None:
        fills = null_filled_fields(
            table, previous.schema, previous.day, compare(previous.schema, columns), options.accept_dropped_columns
        )
    schema = pa.schema([*(column.field for column in columns), *fills])
    # Primary-key order makes reruns on unchanged data give the same file, byte for byte.
    batches = source.read(table, columns, source.primary_key(table), options.batch_rows)
    key = landing.day_key(table, day)
    with landing.staged_file(store) as staged:
        rows_read = landing.write_parquet(staged, schema, _with_nulls(batches, schema, fills))
        rows_landed = landing.verify(staged, schema, rows_read)
        etag = file_md5(staged)
        landing.publish(store, staged, key)
    if previous is None or day >= previous.day:
        landing.write_schema_state(store, table, day, schema)
    return FileManifest(
        source=landing.SOURCE,
        day=day,
        file_id=landing.table_folder(table),
        key=f"{source.url.dialect}:{source.url.schema}.{table}",
        etag=etag,
        status="landed",
        rows_read=rows_read,
        rows_landed=rows_landed,
        outputs=[key],
    )


def extract_tables(
    url: str,
    store: ObjectStore,
    day: str,
    tables: Sequence[str] | None = None,
    *,
    options: ExtractOptions | None = None,
) -> list[FileManifest]:
    """Extracts ``tables`` (default: every table of the schema) of the database at ``url`` for ``day``.

    A table that fails (drift, a value that does not fit its type, a database error) gets a ``failed``
    manifest naming the reason and the others still land. Raises SourceUnavailableError when the
    database cannot be reached at all.
    """
    options = options or ExtractOptions()
    parsed: SourceUrl = parse_source_url(url)
    try:
        database = open_source(parsed)
    except Exception as exc:
        raise SourceUnavailableError(f"cannot read the Aurora source {parsed.redacted()}: {exc}") from exc
    manifests = []
    try:
        for table in tables or database.tables():
            try:
                manifest = extract_table(database, store, day, table, options)
                log.info("aurora %s: %d rows landed", table, manifest.rows_landed)
            except Exception as exc:
                log.error("aurora table %r failed: %s", table, exc)
                manifest = FileManifest(
                    source=landing.SOURCE,
                    day=day,
                    file_id=landing.table_folder(table),
                    key=f"{parsed.dialect}:{parsed.schema}.{table}",
                    etag="",
                    status="failed",
                    reason=str(exc),
                )
                database.recover()
            write_manifest(store, manifest)
            manifests.append(manifest)
    finally:
        database.close()
    return manifests
