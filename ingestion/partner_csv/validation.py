"""Checks a partner upload before any Spark runs: extension, size, encoding, dialect and header."""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass

from ingestion.partner_csv.contract import COLUMNS, DIALECTS, Dialect

HEAD_BYTES = 64 * 1024
UTF8 = "UTF-8"
CP1252 = "windows-1252"


class InvalidUpload(ValueError):
    """The whole file is rejected; the message names the file and what is wrong."""


@dataclass(frozen=True)
class DetectedFormat:
    dialect: Dialect
    encoding: str  # Java/Python charset name handed to the Glue job
    has_bom: bool


def detect_encoding(head: bytes, complete: bool) -> tuple[str, bool]:
    if head.startswith(codecs.BOM_UTF8):
        return UTF8, True
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError:
        return CP1252, False
    return UTF8, False


def _header_line(text: str) -> str:
    return text.splitlines()[0] if text else ""


def detect_format(key: str, head: bytes, size: int) -> DetectedFormat:
    """``head`` is the first bytes of the object (all of it when ``size`` <= its length)."""
    if not key.lower().endswith(".csv"):
        raise InvalidUpload(f"{key}: not a .csv file")
    if size == 0 or not head.strip():
        raise InvalidUpload(f"{key}: empty file")
    encoding, has_bom = detect_encoding(head, complete=size <= len(head))
    text = head[3:] if has_bom else head
    header = _header_line(text.decode(encoding, errors="replace"))
    if not header.strip():
        raise InvalidUpload(f"{key}: line 1: missing header row")
    best: tuple[Dialect, list[str]] | None = None
    for dialect in DIALECTS.values():
        names = [name.strip().lower() for name in next(csv.reader([header], delimiter=dialect.delimiter))]
        if names == list(COLUMNS):
            return DetectedFormat(dialect=dialect, encoding=encoding, has_bom=has_bom)
        if best is None or len(names) > len(best[1]):
            best = (dialect, names)
    assert best is not None
    found = best[1]
    missing = [column for column in COLUMNS if column not in found]
    unexpected = [column for column in found if column not in COLUMNS]
    detail = []
    if missing:
        detail.append(f"missing {', '.join(missing)}")
    if unexpected:
        detail.append(f"unexpected {', '.join(unexpected)}")
    if not detail:
        detail.append(f"columns out of order: {', '.join(found)}")
    raise InvalidUpload(f"{key}: line 1: header does not match the contract ({'; '.join(detail)})")
