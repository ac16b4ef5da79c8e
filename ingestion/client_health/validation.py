"""Cheap checks of a delivered client file from its first bytes, before any Spark runs.

They catch the wrong file in the right place (an empty file, a CSV whose header, matched by name in
any order, lacks a required column, a ``.parquet`` that is not Parquet, a ``.json`` that is neither
JSON Lines nor an array).
The Glue job reads the whole file and quarantines what only a full read can find.
"""

from __future__ import annotations

import codecs

from ingestion.client_health.contract import CSV_COLUMNS, CSV_DELIMITER, CSV_REQUIRED
from ingestion.csv_header import HeaderError, HeaderLayout, first_line, match_header, split_header
from ingestion.partner_csv.validation import detect_encoding

HEAD_BYTES = 64 * 1024
PARQUET_MAGIC = b"PAR1"


class InvalidDelivery(ValueError):
    """The whole file is rejected; the message names the file and what is wrong."""


def _text_head(head: bytes) -> str:
    return head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")


def check_delivery(fmt: str, key: str, head: bytes, size: int) -> None:
    if size == 0 or not head.strip():
        raise InvalidDelivery(f"{key}: empty file")
    if fmt == "parquet":
        if not head.startswith(PARQUET_MAGIC):
            raise InvalidDelivery(f"{key}: not a Parquet file (no PAR1 magic bytes)")
    elif fmt == "csv":
        csv_header(key, head)
    elif fmt == "json":
        json_layout(key, head)
    else:
        raise InvalidDelivery(f"{key}: unknown format {fmt!r}")


def csv_header(key: str, head: bytes) -> HeaderLayout:
    """The CSV's columns by name, in any order (raises ``InvalidDelivery`` naming the missing ones)."""
    encoding, _bom = detect_encoding(head, complete=len(head) < HEAD_BYTES)
    try:
        return match_header(
            split_header(first_line(head, encoding), CSV_DELIMITER), CSV_COLUMNS, CSV_REQUIRED
        )
    except HeaderError as exc:
        raise InvalidDelivery(f"{key}: {exc}") from exc


def json_layout(key: str, head: bytes) -> str:
    """``array`` when the file is one top-level JSON array, ``lines`` for JSON Lines."""
    first = _text_head(head).lstrip()[:1]
    if first == "[":
        return "array"
    if first == "{":
        return "lines"
    raise InvalidDelivery(f"{key}: neither JSON Lines nor a JSON array (starts with {first!r})")
