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
