"""Where everything lives in the lake. Keys are the same locally (below the lake folder) and on S3."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class LandedFile:
    """A landing key split into its parts: ``landing/<zone>/<owner?>/<day>/<name>``."""

    key: str
    day: str
    name: str
    owner: str | None = None

    @property
    def stem(self) -> str:
        return self.name.rsplit(".", 1)[0]

    @property
    def file_id(self) -> str:
        return safe_name(f"{self.owner}__{self.stem}" if self.owner else self.stem)
