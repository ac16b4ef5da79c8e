"""Each rewrite of the sandbox's Athena -> DuckDB translation, with the Athena (Trino) result it reproduces."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import pytest

from sandbox.translate import parse_athena, prepare_connection, to_duckdb, trino_double_text


@pytest.fixture(scope="module")
def session() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    prepare_connection(connection)
    return connection


def athena(session: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return session.execute(to_duckdb(parse_athena(sql))).fetchall()


def test_integer_division_truncates_toward_zero_as_in_trino(session: duckdb.DuckDBPyConnection) -> None:
    # Trino: 7 / 2 = 3, -7 / 2 = -3 (integers), 7.0 / 2 = 3.5 (decimal), 7e0 / 2 = 3.5 (double)
    assert athena(session, "select 7 / 2, -7 / 2, 7.0 / 2, 7e0 / 2") == [(3, -3, 3.5, 3.5)]


def test_from_unixtime_with_zone_is_the_wall_clock_of_that_zone(session: duckdb.DuckDBPyConnection) -> None:
    # Trino: from_unixtime(0, 'America/Sao_Paulo') = 1969-12-31 21:00:00 America/Sao_Paulo
    rows = athena(session, "select cast(from_unixtime(0, 'America/Sao_Paulo') as timestamp)")
    assert rows == [(dt.datetime(1969, 12, 31, 21, 0),)]


def test_at_time_zone_shows_a_utc_instant_in_the_zone(session: duckdb.DuckDBPyConnection) -> None:
    # Trino (session zone UTC): timestamp '2025-01-01 12:00:00' AT TIME ZONE 'America/Sao_Paulo'
    # = 2025-01-01 09:00:00 America/Sao_Paulo (DuckDB alone would give 15:00 UTC)
    rows = athena(
        session, "select cast(timestamp '2025-01-01 12:00:00' at time zone 'America/Sao_Paulo' as timestamp)"
    )
    assert rows == [(dt.datetime(2025, 1, 1, 9, 0),)]


def test_normalize_nfd_decomposes_so_marks_can_be_removed(session: duckdb.DuckDBPyConnection) -> None:
    # Trino: regexp_replace(normalize('São João', NFD), '\\p{Mn}', '') = 'Sao Joao'
    assert athena(session, "select regexp_replace(normalize('São João', NFD), '\\p{Mn}', '')") == [
        ("Sao Joao",)
    ]


def test_hmac_sha256_matches_rfc_4231(session: duckdb.DuckDBPyConnection) -> None:
    # RFC 4231 test case 2: key 'Jefe', data 'what do ya want for nothing?'
    rows = athena(
        session, "select lower(to_hex(hmac_sha256(to_utf8('what do ya want for nothing?'), to_utf8('Jefe'))))"
    )
    assert rows == [("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",)]


def test_from_iso8601_timestamp_rejects_a_space_separator(session: duckdb.DuckDBPyConnection) -> None:
    # Trino: from_iso8601_timestamp('2025-01-01 10:00:00-03:00') fails (so try(...) is null);
    # with 'T' it is 13:00 UTC.
    rows = athena(
        session,
        "select try(from_iso8601_timestamp('2025-01-01 10:00:00-03:00')), "
        "cast(from_iso8601_timestamp('2025-01-01T10:00:00-03:00') at time zone 'UTC' as timestamp)",
    )
    assert rows == [(None, dt.datetime(2025, 1, 1, 13, 0))]
    with pytest.raises(duckdb.ConversionException):
        athena(session, "select from_iso8601_timestamp('2025-01-01 10:00:00')")


def test_cast_double_as_varchar_is_scientific_as_in_trino(session: duckdb.DuckDBPyConnection) -> None:
    # Trino: cast(123.0E0 as varchar) = '1.23E2'; integers and decimals are written plainly.
    rows = athena(session, "select cast(123e0 as varchar), cast(123 as varchar), cast(1.50 as varchar)")
    assert rows == [("1.23E2", "123", "1.50")]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (123.0, "1.23E2"),
        (0.1, "1.0E-1"),
        (1000.1, "1.0001E3"),
        (-2.5, "-2.5E0"),
        (1e-7, "1.0E-7"),
        (0.0, "0.0E0"),
    ],
)
def test_trino_double_text(value: float, text: str) -> None:
    assert trino_double_text(value) == text


def test_unnamed_columns_are_named_by_position(session: duckdb.DuckDBPyConnection) -> None:
    # Trino: select 1 as a, count(*) -> columns a, _col1
    cursor = session.execute(to_duckdb(parse_athena("select 1 as a, count(*) from (values 1) as t(x)")))
    assert [column[0] for column in cursor.description or []] == ["a", "_col1"]


def test_rewrites_apply_inside_rewritten_expressions(session: duckdb.DuckDBPyConnection) -> None:
    # cast(... as varchar) around normalize(...): both rewritten
    assert athena(session, "select cast(normalize('é', NFD) as varchar) = 'e' || chr(769)") == [(True,)]
