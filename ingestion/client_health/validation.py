"""Cheap checks of a delivered client file from its first bytes, before any Spark runs.

They catch the wrong file in the right place (an empty file, a CSV whose header is not the
contract's, a ``.parquet`` that is not Parquet, a ``.json`` that is neither JSON Lines nor an array).
The Glue job reads the whole file and quarantines what only a full read can find.
"""

from __future__ import annotations

import codecs

from ingestion.client_health.contract import CSV_COLUMNS, CSV_DELIMITER

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
        header = _text_head(head).splitlines()[0]
        found = [name.strip().lower() for name in header.split(CSV_DELIMITER)]
        if found != list(CSV_COLUMNS):
            missing = [name for name in CSV_COLUMNS if name not in found]
            unexpected = [name for name in found if name not in CSV_COLUMNS]
            detail = (
                "; ".join(
                    part
                    for part in (
                        f"missing {', '.join(missing)}" if missing else "",
                        f"unexpected {', '.join(unexpected)}" if unexpected else "",
                    )
                    if part
                )
                or f"columns out of order: {', '.join(found)}"
            )
            raise InvalidDelivery(f"{key}: line 1: header does not match the contract ({detail})")
    elif fmt == "json":
        json_layout(key, head)
    else:
        raise InvalidDelivery(f"{key}: unknown format {fmt!r}")


def json_layout(key: str, head: bytes) -> str:
    """``array`` when the file is one top-level JSON array, ``lines`` for JSON Lines."""
    first = _text_head(head).lstrip()[:1]
    if first == "[":
        return "array"
    if first == "{":
        return "lines"
    raise InvalidDelivery(f"{key}: neither JSON Lines nor a JSON array (starts with {first!r})")
