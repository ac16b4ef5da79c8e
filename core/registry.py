"""The source registry: every source declared once, as data.

Per source: where its files land (prefix and the key pattern its handler takes), the Lambda handler and
the Glue job (name setting and script module) it runs, and its bronze tables. The local dispatcher, the
local Glue launcher, the daily run (and its report) and the AWS template all read this table, so adding a
source is one entry here plus the source's own package.

Code is named by dotted path (``package.module:attribute``), the way Lambda names a handler and Glue a
ScriptLocation: the registry sits in the lowest layer and imports nothing above it until asked to
resolve a name.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import layout as lake
from core.catalog import BronzeTable
from core.settings import Settings
from core.storage import ObjectStore

DAY = r"(?P<day>\d{4}-\d{2}-\d{2})"
MANIFESTS_TABLE = "ingestion.ingestion_tables:MANIFESTS_TABLE"


def resolve(reference: str) -> Any:
    """``package.module:attribute`` -> the attribute (``package.module`` alone -> the module)."""
    module_name, _, attribute = reference.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


@dataclass(frozen=True)
class Source:
    name: str
    # Below ``landing/``; None for a source that is pulled (extracted) rather than delivered.
    landing_zone: str | None
    # A landing key the handler takes, with a ``day`` group (``DAY``), relative to the lake root.
    landing_pattern: str | None
    # The Lambda handler (``module.function``) and its function name; None when no file event starts it.
    handler: str | None
    function_name: str | None
    # The Settings field that holds the Glue job's name, and the job's script module.
    glue_job_setting: str
    glue_script: str
    # References to BronzeTable constants or to functions returning a list of them.
    bronze_tables: tuple[str, ...] = ()
    # For sources whose columns come from the data: a function (lake root) -> list of BronzeTable.
    discovered_bronze_tables: str | None = None
    # Pulled sources: a function (Backend, day) run by the daily run before the landing events.
    extract: str | None = None

    @property
    def landing_prefix(self) -> str | None:
        """The S3 notification prefix of the handler, e.g. ``landing/sftp/``."""
        return None if self.landing_zone is None else lake.landing_prefix(self.landing_zone) + "/"

    @property
    def glue_script_path(self) -> str:
        """The script's path in the repository (Glue's ScriptLocation below the artifacts prefix)."""
        return self.glue_script.replace(".", "/") + ".py"

    def load_handler(self) -> Callable[..., Any]:
        """The handler function named as Lambda names it (``package.module.function``)."""
        if self.handler is None:
            raise ValueError(f"source {self.name} has no handler")
        module_name, function = self.handler.rsplit(".", 1)
        handler: Callable[..., Any] = resolve(f"{module_name}:{function}")
        return handler

    def glue_job_name(self, settings: Settings) -> str:
        return str(getattr(settings, self.glue_job_setting))

    def landing_regex(self) -> re.Pattern[str] | None:
        return None if self.landing_pattern is None else re.compile(self.landing_pattern)

    def landing_keys(self, store: ObjectStore, day: str) -> list[str]:
        """The day's delivered keys this source's handler takes, in key order."""
        pattern = self.landing_regex()
        if pattern is None or self.landing_zone is None:
            return []
        keys = (info.key for info in store.list(lake.landing_prefix(self.landing_zone)))
        return [key for key in keys if (match := pattern.match(key)) and match["day"] == day]

    def declared_tables(self) -> list[BronzeTable]:
        """The bronze tables known without looking at the data (not the discovered ones)."""
        return [table for reference in self.bronze_tables for table in _tables_of(resolve(reference))]

    def tables(self, lake_root: Path) -> list[BronzeTable]:
        found = self.declared_tables()
        if self.discovered_bronze_tables is not None:
            found.extend(resolve(self.discovered_bronze_tables)(lake_root))
        return found


def _tables_of(value: BronzeTable | Iterable[BronzeTable] | Callable[[], Iterable[BronzeTable]]) -> list[BronzeTable]:
    if isinstance(value, BronzeTable):
        return [value]
    if callable(value):
        return list(value())
    return list(value)


SOURCES: tuple[Source, ...] = (
    Source(
        name="partner_csv",
        landing_zone="sftp",
        landing_pattern=rf"^landing/sftp/[^/]+/{DAY}/[^/]+$",
        handler="lambdas.partner_csv_landed.handler.handler",
        function_name="partner-csv-landed",
        glue_job_setting="glue_job_partner_csv",
        glue_script="glue_jobs.partner_csv_to_bronze",
        bronze_tables=(
            "ingestion.partner_csv.contract:BRONZE_TABLE",
            "ingestion.partner_csv.contract:QUARANTINE_TABLE",
        ),
    ),
    Source(
        name="client_health",
        landing_zone="client_health",
        landing_pattern=rf"^landing/client_health/{DAY}/[^/]+$",
        handler="lambdas.client_files_landed.handler.handler",
        function_name="client-files-landed",
        glue_job_setting="glue_job_client_health",
        glue_script="glue_jobs.client_health_to_bronze",
        bronze_tables=("ingestion.client_health.contract:bronze_tables",),
    ),
    Source(
        name="positional",
        landing_zone="positional",
        landing_pattern=rf"^landing/positional/{DAY}/[^/]+$",
        handler="lambdas.positional_to_parquet.handler.handler",
        function_name="positional-to-parquet",
        glue_job_setting="glue_job_positional",
        glue_script="glue_jobs.positional_day",
        bronze_tables=("ingestion.positional.tables:positional_bronze_tables",),
    ),
    Source(
        name="aurora",
        landing_zone=None,
        landing_pattern=None,
        handler=None,
        function_name=None,
        glue_job_setting="glue_job_aurora",
        glue_script="glue_jobs.aurora_extract",
        discovered_bronze_tables="ingestion.aurora.bronze:aurora_bronze_tables",
        extract="jobs.aurora_extract:extract_day",
    ),
)


def source(name: str) -> Source:
    for item in SOURCES:
        if item.name == name:
            return item
    raise KeyError(f"no source named {name!r}; known: {', '.join(item.name for item in SOURCES)}")


def source_of_job(settings: Settings, job_name: str) -> Source:
    for item in SOURCES:
        if item.glue_job_name(settings) == job_name:
            return item
    known = ", ".join(sorted(item.glue_job_name(settings) for item in SOURCES))
    raise KeyError(f"no Glue job named {job_name!r} (known: {known})")


def all_bronze_tables(lake_root: Path) -> list[BronzeTable]:
    """Every bronze table of every source, plus the shared manifests table, as the catalog registers them."""
    return [*_tables_of(resolve(MANIFESTS_TABLE)), *(t for item in SOURCES for t in item.tables(lake_root))]
