"""Where everything lives in the lake. Keys are the same locally (below the lake folder) and on S3."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

LANDING = "landing"
BRONZE = "bronze"
SILVER = "silver"
GOLD = "gold"
QUARANTINE = "quarantine"
REPORTS = "reports"

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(value: str) -> str:
    """A file-system- and S3-safe identifier derived from a name; a changed name gets a hash so none collide."""
    cleaned = _SAFE_NAME.sub("_", value).strip("._") or "unnamed"
    if cleaned == value:
        return cleaned
    return f"{cleaned}-{hashlib.sha256(value.encode()).hexdigest()[:8]}"


# Kept as written; every other character (and a leading dot) becomes ``~`` + two hex digits per UTF-8
# byte. ``~`` is always escaped, so ``~~`` never occurs inside a part and safely separates parts.
_ID_KEEP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")
ID_SEPARATOR = "~~"


def escape_id_part(value: str) -> str:
    escaped = []
    for position, character in enumerate(value):
        if character in _ID_KEEP and not (position == 0 and character == "."):
            escaped.append(character)
        else:
            escaped.extend(f"~{byte:02X}" for byte in character.encode())
    return "".join(escaped) or "~"


def landing_prefix(source_prefix: str, day: str | None = None) -> str:
    return f"{LANDING}/{source_prefix}" + (f"/{day}" if day else "")


def bronze_prefix(table: str) -> str:
    return f"{BRONZE}/{table}"


def quarantine_prefix(source: str, day: str) -> str:
    return f"{QUARANTINE}/{source}/{day}"


def manifest_key(source: str, day: str, file_id: str) -> str:
    return f"{REPORTS}/manifests/{source}/{day}/{file_id}.json"


def manifest_prefix(source: str, day: str) -> str:
    return f"{REPORTS}/manifests/{source}/{day}"


def run_report_key(day: str) -> str:
    return f"{REPORTS}/run-{day}.json"


def backfill_report_key(first_day: str, last_day: str) -> str:
    return f"{REPORTS}/backfill-{first_day}_{last_day}.json"


def run_record_key(day: str, run_id: str) -> str:
    """One report per run, kept: ``reports/runs/<day>/<run-id>.json`` (``run-<day>.json`` is the latest)."""
    return f"{REPORTS}/runs/{day}/{safe_name(run_id)}.json"


def command_record_key(day: str, command: str, run_id: str) -> str:
    """An ad-hoc command's own record (extract, publish): never read for a run's status."""
    return f"{REPORTS}/commands/{day}/{safe_name(command)}-{safe_name(run_id)}.json"


@dataclass(frozen=True)
class LandedFile:
    """A landing key split into its parts: ``landing/<zone>/<owner?>/<day>/<name>``."""

    key: str
    day: str
    name: str
    owner: str | None = None

    @property
    def file_id(self) -> str:
        """The object's id within its source and day (every key built from it also carries the day).

        An injective escape of the owner and the full name, extension and case kept: two different
        keys of one day can never share an id, whatever characters partners put in their names.
        """
        name = escape_id_part(self.name)
        return f"{escape_id_part(self.owner)}{ID_SEPARATOR}{name}" if self.owner is not None else name


CATALOG_FILE = "catalog.duckdb"
DBT_FOLDER = ".dbt"


@dataclass(frozen=True)
class LakeLayout:
    """Where one lake is: its URI (a folder or ``s3://bucket``) and the local folder when it has one.

    Every path or key below the lake root is asked of this object (or of the key functions above), so the
    catalog file, the reports and the dbt state are spelled in one place.
    """

    uri: str
    folder: Path | None = None

    @classmethod
    def local(cls, root: Path) -> LakeLayout:
        resolved = root.resolve()
        return cls(uri=str(resolved), folder=resolved)

    @classmethod
    def bucket(cls, name: str) -> LakeLayout:
        return cls(uri=f"s3://{name}")

    @property
    def root(self) -> Path:
        """The lake folder; only a local lake has one (the embedded catalog and dbt state live there)."""
        if self.folder is None:
            raise ValueError(
                f"the lake {self.uri} is not a local folder: this step builds and publishes through the"
                " embedded DuckDB catalog; pass the lake folder"
            )
        return self.folder

    @property
    def catalog_path(self) -> Path:
        """The DuckDB catalog file of the embedded backend."""
        return self.root / CATALOG_FILE

    @property
    def dbt_folder(self) -> Path:
        return self.root / DBT_FOLDER

    def path(self, key: str) -> Path:
        return self.root / key

    def run_report_path(self, day: str) -> Path:
        return self.path(run_report_key(day))

    def ensure_layers(self, *layers: str) -> None:
        """Creates the layer folders of a local lake; a bucket has no folders to create."""
        if self.folder is None:
            return
        for layer in layers:
            self.path(layer).mkdir(parents=True, exist_ok=True)
