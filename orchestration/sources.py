"""The sources a daily run processes: how each finds its inputs for a day and which bronze tables it owns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingestion.aurora.bronze import aurora_bronze_tables
from ingestion.aurora.extract import aurora_configured, extract_tables
from ingestion.catalog import BronzeTable
from ingestion.client_health import contract as client_health
from ingestion.ingestion_tables import MANIFESTS_TABLE
from ingestion.partner_csv import contract as partner_csv
from ingestion.positional.tables import positional_bronze_tables
from ingestion.settings import Settings
from ingestion.storage import LocalObjectStore


@dataclass(frozen=True)
class Source:
    name: str
    # Landing keys of the day that arrive as files (each becomes an ObjectCreated event).
    landing_keys: Callable[[LocalObjectStore, str], list[str]]
    bronze_tables: Callable[[Path], list[BronzeTable]]
    # Sources pulled rather than pushed (Aurora) extract for the day before the landing events.
    extract: Callable[[Settings, str], object] | None = None


def no_landing_files(_store: LocalObjectStore, _day: str) -> list[str]:
    return []


def extract_aurora(settings: Settings, day: str) -> object:
    return extract_tables(settings, settings.lake.resolve(), day) if aurora_configured(settings) else None


def partner_csv_landing_keys(store: LocalObjectStore, day: str) -> list[str]:
    keys = [info.key for info in store.list("landing/sftp")]
    return [key for key in keys if key.split("/")[3:4] == [day] and len(key.split("/")) == 5]


SOURCES: tuple[Source, ...] = (
    Source(
        name=partner_csv.SOURCE,
        landing_keys=partner_csv_landing_keys,
        bronze_tables=lambda _lake: [partner_csv.BRONZE_TABLE, partner_csv.QUARANTINE_TABLE],
    ),
    Source(
        name=client_health.SOURCE,
        landing_keys=client_health.landing_keys_of_day,
        bronze_tables=lambda _lake: client_health.bronze_tables(),
    ),
    Source(
        name="positional",
        landing_keys=lambda store, day: [info.key for info in store.list(f"landing/positional/{day}")],
        bronze_tables=lambda _lake: positional_bronze_tables(),
    ),
    Source(name="aurora", landing_keys=no_landing_files, bronze_tables=aurora_bronze_tables, extract=extract_aurora),
)


def all_bronze_tables(lake_root: Path) -> list[BronzeTable]:
    return [MANIFESTS_TABLE, *(table for source in SOURCES for table in source.bronze_tables(lake_root))]
