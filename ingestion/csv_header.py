"""A CSV header matched to a contract by column name, in any order, for every CSV source.

A missing optional column is null-filled and noted, a missing required one rejects the file naming
it, an unknown extra column is noted and ignored. Messages name columns only when the first line is
a header: a first line that holds none of the contract's names is data (a headerless file), and its
values (CPFs, names) must never reach a log, report or reason, so it is only called data.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Sequence
from dataclasses import dataclass

_MAX_NAME_CHARS = 64
# The stated limit on one field of any CSV source (characters): a longer value quarantines its row.
MAX_FIELD_CHARS = 10 * 1024


class HeaderError(ValueError):
    """The first line cannot serve as the contract's header; the message is safe to log."""


@dataclass(frozen=True)
class HeaderLayout:
    """Where each contract column sits in the file (``None``: absent, null-filled)."""

    width: int  # fields in the header line
    positions: dict[str, int | None]
    missing_optional: tuple[str, ...]
    unknown: tuple[str, ...]

    def notes(self) -> list[str]:
        notes = [f"optional column {name} missing: null-filled" for name in self.missing_optional]
        notes += [f"unknown column {name} ignored" for name in self.unknown]
        return notes


def first_line(head: bytes, encoding: str) -> str:
    text = head.removeprefix(codecs.BOM_UTF8).decode(encoding, errors="replace")
    return text.splitlines()[0] if text else ""


def split_header(line: str, delimiter: str) -> list[str]:
    return [name.strip().lower() for name in next(csv.reader([line], delimiter=delimiter), [])]


def known_names(fields: Sequence[str], columns: Sequence[str]) -> int:
    return sum(1 for name in fields if name in columns)


def _shown(name: str) -> str:
    return name if len(name) <= _MAX_NAME_CHARS else name[:_MAX_NAME_CHARS] + "..."


def match_header(fields: Sequence[str], columns: Sequence[str], required: Sequence[str]) -> HeaderLayout:
    """``fields``: the first line split and normalised (stripped, lower case)."""
    if known_names(fields, columns) == 0:
        raise HeaderError(
            "line 1 is data, not a header: it holds none of the contract's column names"
            " (not shown, as it may hold client data)"
        )
    repeated = sorted({name for name in fields if name and fields.count(name) > 1})
    if repeated:
        raise HeaderError(f"line 1: header repeats column {', '.join(_shown(name) for name in repeated)}")
    missing_required = [name for name in required if name not in fields]
    if missing_required:
        raise HeaderError(f"line 1: header lacks required column {', '.join(missing_required)}")
    positions = {name: (fields.index(name) if name in fields else None) for name in columns}
    return HeaderLayout(
        width=len(fields),
        positions=positions,
        missing_optional=tuple(name for name in columns if positions[name] is None),
        unknown=tuple(_shown(name) for name in fields if name not in columns),
    )
