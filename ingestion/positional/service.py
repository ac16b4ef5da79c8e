"""One landed positional file: convert it, record it at the day gate, start the day's job when all are in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.gate import DayGate, open_day
from core.launchers import JobLauncher
from core.storage import ObjectStore
from ingestion.glue_registration import register_written_bronze
from ingestion.manifest import FileManifest
from ingestion.positional.converter import SOURCE, convert_file, parse_landing_key
from ingestion.positional.layout import Layout, UnknownLayoutError, default_layouts, layout_for_filename
from ingestion.positional.reader import DEFAULT_BLOCK_BYTES
from ingestion.positional.tables import positional_bronze_tables


@dataclass
class PositionalServices:
    store: ObjectStore
    gate: DayGate
    launcher: JobLauncher
    job_name: str
    layouts: Mapping[str, Layout] = field(default_factory=default_layouts)
    block_bytes: int = DEFAULT_BLOCK_BYTES

    @property
    def expected(self) -> frozenset[str]:
        """A day is complete when every layout has a converted file."""
        return frozenset(self.layouts)


@dataclass(frozen=True)
class LandedOutcome:
    manifest: FileManifest
    layout: str | None
    run_id: str | None  # set for the one call that started the day's job


def handle_landed_file(services: PositionalServices, key: str) -> LandedOutcome:
    """Idempotent: a duplicate event rewrites the same outputs and never starts the job a second time."""
    landed = parse_landing_key(key)
    manifest = convert_file(services.store, key, services.layouts, services.block_bytes)
    # Registered before the gate can start the day's job, which reads these tables.
    register_written_bronze(services.store, positional_bronze_tables(services.layouts))
    try:
        layout = layout_for_filename(landed.name, services.layouts).name
    except UnknownLayoutError:
        return LandedOutcome(manifest, None, None)
    if manifest.status != "landed":
        services.gate.record_rejection(SOURCE, landed.day, layout, manifest.reason or manifest.status)
        return LandedOutcome(manifest, layout, None)
    detail = {"key": key, "etag": manifest.etag, "rows_landed": manifest.rows_landed}
    run_id = open_day(
        services.gate,
        services.launcher,
        services.job_name,
        SOURCE,
        landed.day,
        layout,
        services.expected,
        detail,
    )
    return LandedOutcome(manifest, layout, run_id)
