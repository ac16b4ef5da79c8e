"""Source column types -> Arrow types, faithfully, from what each database declares in its catalog.

The mapping keeps numeric precision and scale (``numeric(12,2)`` -> ``decimal128(12, 2)``), tells
instants (``timestamptz``, MySQL ``TIMESTAMP``: Arrow ``timestamp[us, tz=UTC]``) from wall-clock times
(``timestamp``/``DATETIME``: ``timestamp[us]``), and keeps booleans, dates, integers by width, floats
and text. Every column is nullable: a NULL at the source is a null in bronze.

Types the catalog has no column type for (time of day, intervals, uuid, json, arrays, enums, binary)
land as their canonical text, converted by the source itself (PostgreSQL ``::text``, MySQL ``CAST(...
AS CHAR)`` / ``HEX(...)``), so nothing is lost and staging can parse what it needs. Unconstrained
``numeric`` becomes ``decimal(38,10)``, rounded to 10 decimals by the source; a value with more than
28 integer digits fails the table with the database's own overflow error rather than being truncated.
Numerics wider than 38 digits (MySQL allows 65) land as text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

TIMESTAMP = pa.timestamp("us")
TIMESTAMP_UTC = pa.timestamp("us", tz="UTC")
UNCONSTRAINED_DECIMAL = pa.decimal128(38, 10)
MAX_DECIMAL_PRECISION = 38


@dataclass(frozen=True)
class SourceColumn:
    name: str
    source_type: str  # as the source declares it, e.g. "numeric(12,2)"; kept in the Parquet field metadata
    arrow_type: pa.DataType
    # How the source must render the column for this type, "{}" standing for the quoted column; None = as is.
    expression: str | None = None

    @property
    def field(self) -> pa.Field:
        return pa.field(self.name, self.arrow_type, nullable=True, metadata={"source_type": self.source_type})


def _decimal_or_text(precision: int | None, scale: int | None, text_expression: str) -> tuple[pa.DataType, str | None]:
    if precision is None:
        return UNCONSTRAINED_DECIMAL, None
    if precision > MAX_DECIMAL_PRECISION:
        return pa.string(), text_expression
    return pa.decimal128(precision, scale or 0), None


_PG_SIMPLE: dict[str, pa.DataType] = {
    "smallint": pa.int16(),
    "integer": pa.int32(),
    "bigint": pa.int64(),
    "real": pa.float32(),
    "double precision": pa.float64(),
    "boolean": pa.bool_(),
    "text": pa.string(),
    "character varying": pa.string(),
    "character": pa.string(),
    "name": pa.string(),
    "date": pa.date32(),
    "timestamp without time zone": TIMESTAMP,
    "timestamp with time zone": TIMESTAMP_UTC,
}


def postgres_column(name: str, data_type: str, precision: int | None, scale: int | None, declared: str) -> SourceColumn:
    """``data_type``, ``numeric_precision`` and ``numeric_scale`` as information_schema.columns gives them."""
    if data_type == "numeric":
        arrow_type, expression = _decimal_or_text(precision, scale, "{}::text")
        return SourceColumn(name, declared, arrow_type, expression or ("{}::numeric(38,10)" if precision is None else None))
    if data_type in _PG_SIMPLE:
        return SourceColumn(name, declared, _PG_SIMPLE[data_type])
    return SourceColumn(name, declared, pa.string(), "{}::text")


def mysql_column(name: str, data_type: str, column_type: str, precision: int | None, scale: int | None) -> SourceColumn:
    """``DATA_TYPE``, ``COLUMN_TYPE``, ``NUMERIC_PRECISION`` and ``NUMERIC_SCALE`` from information_schema.COLUMNS."""
    kind = data_type.lower()
    declared = column_type.lower()
    unsigned = "unsigned" in declared
    if declared.startswith(("tinyint(1)", "bit(1)")) and not unsigned:
        # MySQL's BOOLEAN is TINYINT(1); BIT(1) is the other common flag.
        return SourceColumn(name, declared, pa.bool_(), "({} <> 0)" if kind == "bit" else None)
    integers = {
        "tinyint": (pa.int8(), pa.int16()),
        "smallint": (pa.int16(), pa.int32()),
        "mediumint": (pa.int32(), pa.int32()),
        "int": (pa.int32(), pa.int64()),
        "integer": (pa.int32(), pa.int64()),
        "year": (pa.int16(), pa.int16()),
    }
    if kind in integers:
        signed_type, unsigned_type = integers[kind]
        return SourceColumn(name, declared, unsigned_type if unsigned else signed_type)
    if kind == "bigint":
        if unsigned:
            return SourceColumn(name, declared, pa.decimal128(20, 0), "CAST({} AS DECIMAL(20,0))")
        return SourceColumn(name, declared, pa.int64())
    if kind == "bit":
        return SourceColumn(name, declared, pa.int64(), "CAST({} AS UNSIGNED)")
    if kind in {"decimal", "numeric"}:
        arrow_type, expression = _decimal_or_text(precision, scale, "CAST({} AS CHAR)")
        return SourceColumn(name, declared, arrow_type, expression)
    simple: dict[str, pa.DataType] = {
        "float": pa.float32(),
        "double": pa.float64(),
        "real": pa.float64(),
        "date": pa.date32(),
        "datetime": TIMESTAMP,
        # TIMESTAMP is an instant: read with the session time zone at UTC.
        "timestamp": TIMESTAMP_UTC,
    }
    if kind in simple:
        return SourceColumn(name, declared, simple[kind])
    if kind in {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}:
        return SourceColumn(name, declared, pa.string(), "HEX({})")
    if kind in {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"}:
        return SourceColumn(name, declared, pa.string())
    return SourceColumn(name, declared, pa.string(), "CAST({} AS CHAR)")


_SQLITE_DECIMAL = re.compile(r"^(?:numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$")


def sqlite_column(name: str, declared: str) -> SourceColumn:
    """SQLite stores any value in any column; the declared type says what the application meant."""
    kind = " ".join(declared.lower().split())
    if match := _SQLITE_DECIMAL.match(kind):
        precision, scale = int(match.group(1)), int(match.group(2) or 0)
        arrow_type, _ = _decimal_or_text(precision, scale, "")
        return SourceColumn(name, declared, arrow_type)
    if kind in {"numeric", "decimal"}:
        return SourceColumn(name, declared, UNCONSTRAINED_DECIMAL)
    if kind.startswith("bool"):
        return SourceColumn(name, declared, pa.bool_())
    if "int" in kind:
        return SourceColumn(name, declared, pa.int64())
    if kind in {"timestamptz", "timestamp with time zone"}:
        return SourceColumn(name, declared, TIMESTAMP_UTC)
    if kind.startswith(("timestamp", "datetime")):
        return SourceColumn(name, declared, TIMESTAMP)
    if kind == "date":
        return SourceColumn(name, declared, pa.date32())
    if any(word in kind for word in ("real", "floa", "doub")):
        return SourceColumn(name, declared, pa.float64())
    return SourceColumn(name, declared, pa.string())
