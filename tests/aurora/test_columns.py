from __future__ import annotations

import pyarrow as pa

from ingestion.aurora.columns import (
    TIMESTAMP,
    TIMESTAMP_UTC,
    UNCONSTRAINED_DECIMAL,
    mysql_column,
    postgres_column,
    sqlite_column,
)


def test_postgres_numeric_keeps_precision_and_scale() -> None:
    assert postgres_column("v", "numeric", 12, 2, "numeric(12,2)").arrow_type == pa.decimal128(12, 2)
    unconstrained = postgres_column("v", "numeric", None, None, "numeric")
    assert (unconstrained.arrow_type, unconstrained.expression) == (UNCONSTRAINED_DECIMAL, "{}::numeric(38,10)")
    wide = postgres_column("v", "numeric", 50, 4, "numeric(50,4)")
    assert (wide.arrow_type, wide.expression) == (pa.string(), "{}::text")


def test_postgres_instants_and_wall_clock_times_differ() -> None:
    assert postgres_column("t", "timestamp with time zone", None, None, "timestamptz").arrow_type == TIMESTAMP_UTC
    assert postgres_column("t", "timestamp without time zone", None, None, "timestamp").arrow_type == TIMESTAMP


def test_postgres_types_without_a_column_type_land_as_text() -> None:
    for data_type in ("uuid", "jsonb", "interval", "ARRAY", "USER-DEFINED", "bytea", "time without time zone"):
        column = postgres_column("x", data_type, None, None, data_type)
        assert (column.arrow_type, column.expression) == (pa.string(), "{}::text")


def test_mysql_flags_integers_and_instants() -> None:
    assert mysql_column("a", "tinyint", "tinyint(1)", 3, 0).arrow_type == pa.bool_()
    assert mysql_column("a", "tinyint", "tinyint(4)", 3, 0).arrow_type == pa.int8()
    assert mysql_column("a", "int", "int(10) unsigned", 10, 0).arrow_type == pa.int64()
    unsigned_big = mysql_column("a", "bigint", "bigint(20) unsigned", 20, 0)
    assert (unsigned_big.arrow_type, unsigned_big.expression) == (pa.decimal128(20, 0), "CAST({} AS DECIMAL(20,0))")
    assert mysql_column("a", "decimal", "decimal(20,6)", 20, 6).arrow_type == pa.decimal128(20, 6)
    assert mysql_column("a", "decimal", "decimal(65,2)", 65, 2).arrow_type == pa.string()
    assert mysql_column("a", "timestamp", "timestamp", None, None).arrow_type == TIMESTAMP_UTC
    assert mysql_column("a", "datetime", "datetime(6)", None, None).arrow_type == TIMESTAMP
    assert mysql_column("a", "blob", "blob", None, None).expression == "HEX({})"
    assert mysql_column("a", "time", "time", None, None).expression == "CAST({} AS CHAR)"


def test_sqlite_declared_types() -> None:
    assert sqlite_column("a", "NUMERIC(12, 2)").arrow_type == pa.decimal128(12, 2)
    assert sqlite_column("a", "NUMERIC").arrow_type == UNCONSTRAINED_DECIMAL
    assert sqlite_column("a", "BOOLEAN").arrow_type == pa.bool_()
    assert sqlite_column("a", "BIGINT").arrow_type == pa.int64()
    assert sqlite_column("a", "TIMESTAMPTZ").arrow_type == TIMESTAMP_UTC
    assert sqlite_column("a", "DATETIME").arrow_type == TIMESTAMP
    assert sqlite_column("a", "DATE").arrow_type == pa.date32()
    assert sqlite_column("a", "DOUBLE PRECISION").arrow_type == pa.float64()
    assert sqlite_column("a", "CHAR(10)").arrow_type == pa.string()
    assert sqlite_column("a", "").arrow_type == pa.string()


def test_source_type_travels_in_the_field_metadata() -> None:
    field = postgres_column("valor", "numeric", 12, 2, "numeric(12,2)").field
    assert field.nullable and field.metadata == {b"source_type": b"numeric(12,2)"}
