"""Checks a partner upload before any Spark runs: extension, size, encoding, dialect and header (by name)."""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from ingestion.csv_header import (
    HeaderError,
    HeaderLayout,
    first_line,
    known_names,
    match_header,
    split_header,
)
from ingestion.partner_csv.contract import COLUMNS, DIALECTS, REQUIRED, Dialect

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
    header: HeaderLayout


def detect_encoding(head: bytes, complete: bool) -> tuple[str, bool]:
    if head.startswith(codecs.BOM_UTF8):
        return UTF8, True
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=complete)
    except UnicodeDecodeError:
        return CP1252, False
    return UTF8, False


def header_layout(head: bytes, encoding: str, dialect: Dialect) -> HeaderLayout:
    """The contract columns' positions in the file's first line (raises ``HeaderError``)."""
    return match_header(split_header(first_line(head, encoding), dialect.delimiter), COLUMNS, REQUIRED)


def detect_format(key: str, head: bytes, size: int) -> DetectedFormat:
    """``head`` is the first bytes of the object (all of it when ``size`` <= its length).

    The dialect is the one whose delimiter splits the first line into the most contract column names.
    """
    if not key.lower().endswith(".csv"):
        raise InvalidUpload(f"{key}: not a .csv file")
    if size == 0 or not head.strip():
        raise InvalidUpload(f"{key}: empty file")
    encoding, has_bom = detect_encoding(head, complete=size <= len(head))
    line = first_line(head, encoding)
    if not line.strip():
        raise InvalidUpload(f"{key}: line 1: missing header row")
    dialect = max(
        DIALECTS.values(), key=lambda candidate: known_names(split_header(line, candidate.delimiter), COLUMNS)
    )
    try:
        layout = header_layout(head, encoding, dialect)
    except HeaderError as exc:
        raise InvalidUpload(f"{key}: {exc}") from exc
    return DetectedFormat(dialect=dialect, encoding=encoding, has_bom=has_bom, header=layout)
