"""The Aurora extraction job: the day's snapshot of the configured tables into bronze, then the catalog.

Run by the ``aurora-extract`` Glue job (``glue_jobs/aurora_extract.py``, 03:00 America/Sao_Paulo) and,
on one machine, by the daily run before the landing events (the source registry's ``extract``).
"""

from __future__ import annotations

from collections.abc import Sequence

from core.backend import Backend
from core.secrets import resolve_secret
from ingestion.aurora import landing
from ingestion.aurora.bronze import declare_bronze_table
from ingestion.aurora.extract import ExtractOptions, aurora_configured, extract_tables, source_url
from ingestion.aurora.urls import url_from_secret
from ingestion.manifest import FileManifest


def aurora_url(backend: Backend, explicit: str | None = None) -> str:
    """``explicit``, else the configured URL or secret (a URL or the RDS JSON document), else the demo database."""
    if explicit:
        return explicit
    settings = backend.settings
    secret = resolve_secret(settings, settings.aurora_url, settings.aurora_secret_id)
    return url_from_secret(secret.get_secret_value()) if secret is not None else source_url(settings)


def extract(
    backend: Backend, day: str, tables: Sequence[str] = (), url: str | None = None
) -> list[FileManifest]:
    """Extracts ``tables`` (default: the configured ones, else every table) and registers the landed ones."""
    settings = backend.settings
    manifests = extract_tables(
        aurora_url(backend, url),
        backend.store,
        day,
        list(tables) or settings.aurora_tables or None,
        options=ExtractOptions.from_settings(settings),
    )
    backend.catalog.register_bronze(
        declare_bronze_table(table, state.schema)
        for table in sorted({manifest.outputs[0].split("/")[2] for manifest in manifests if manifest.status == "landed"})
        if (state := landing.read_schema_state(backend.store, table)) is not None
    )
    return manifests


def extract_day(backend: Backend, day: str) -> list[FileManifest] | None:
    """The daily run's step: the day's extraction when an Aurora is configured (a URL, a secret, the demo)."""
    return extract(backend, day) if aurora_configured(backend.settings) else None
