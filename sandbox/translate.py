"""Athena (Trino) SQL -> DuckDB SQL for the sandbox's executor.

sqlglot parses Athena and writes DuckDB; where its translation changes what a query returns, an
explicit rewrite below restores Athena's semantics. Each rewrite has a test in
tests/sandbox/test_translate.py stating the Trino behaviour it reproduces. Anything else is sqlglot's
translation, and where DuckDB and Trino still differ the sandbox differs too (README: what the sandbox
does not reproduce).

The rewrites:
1. integer ``/`` truncates (Trino) instead of DuckDB's float division: the session setting
   ``integer_division`` (``/`` on two integers truncates toward zero, other types divide exactly).
2. ``from_unixtime(seconds, zone)``: the instant in ``zone`` (sqlglot drops the zone).
3. ``instant AT TIME ZONE zone``: a timestamp without zone is an instant in the session zone (UTC)
   shown in ``zone``; DuckDB reads it the other way round (the wall-clock of ``zone``).
4. ``normalize(text, NFD|NFC|NFKD|NFKC)``: Unicode normalisation (DuckDB has only NFC).
5. ``hmac_sha256(varbinary, varbinary)``: HMAC-SHA256 (not in DuckDB).
6. ``from_iso8601_timestamp(text)``: ISO 8601 only; a space instead of ``T`` fails (DuckDB's cast
   accepts it), which ``try()`` turns into null.
7. ``cast(double as varchar)``: Trino writes doubles in scientific notation (``1.23E2``).
8. an unnamed result column is ``_col<position>`` (DuckDB names it after the expression).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import unicodedata
from collections.abc import Callable

import duckdb
import sqlglot
from duckdb.func import FunctionNullHandling
from duckdb.sqltypes import BLOB, DOUBLE, VARCHAR
from sqlglot import exp

ISO8601_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}(:[0-9]{2}(:[0-9]{2}([.,][0-9]+)?)?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?$"

SQL_MACROS = (
    # 6: what DuckDB's cast would accept beyond ISO 8601 becomes a conversion error, as in Trino.
    "CREATE OR REPLACE MACRO athena_from_iso8601_timestamp(text) AS "
    f"CAST(CASE WHEN regexp_matches(text, '{ISO8601_TIMESTAMP}') THEN text "
    "ELSE 'not an ISO 8601 timestamp: ' || text END AS TIMESTAMPTZ)",
    # 7: only doubles and reals are written differently; every other type casts as DuckDB does.
    "CREATE OR REPLACE MACRO athena_cast_varchar(value) AS "
    "CASE WHEN typeof(value) IN ('DOUBLE', 'FLOAT') "
    "THEN athena_double_text(TRY_CAST(value AS DOUBLE)) ELSE CAST(value AS VARCHAR) END",
)


def trino_double_text(value: float | None) -> str | None:
    """Trino's ``cast(double as varchar)``: shortest round-trip digits, one before the point, ``E`` exponent."""
    if value is None:
        return None
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0E0" if math.copysign(1.0, value) < 0 else "0.0E0"
    # repr gives the shortest round-trip digits; re-expressed as d.ddd and a power of ten.
    significant, power = _shortest_digits(repr(abs(value)))
    text = significant[0] + "." + (significant[1:] or "0")
    return ("-" if value < 0 else "") + f"{text}E{power}"


def _shortest_digits(text: str) -> tuple[str, int]:
    if "e" in text:
        base, _, exp_text = text.partition("e")
        exponent = int(exp_text)
    else:
        base, exponent = text, 0
    whole, _, fraction = base.partition(".")
    digits = (whole + fraction).lstrip("0")
    leading_zeros = len(whole + fraction) - len((whole + fraction).lstrip("0"))
    power = len(whole) - 1 - leading_zeros + exponent
    return digits.rstrip("0") or "0", power


def _normalize(text: str | None, form: str | None) -> str | None:
    if text is None:
        return None
    return unicodedata.normalize(form or "NFC", text)  # type: ignore[arg-type]


def _hmac_sha256(message: bytes | None, key: bytes | None) -> bytes | None:
    if message is None or key is None:
        return None
    return hmac.new(key, message, hashlib.sha256).digest()


def prepare_connection(connection: duckdb.DuckDBPyConnection) -> None:
    """The session Athena gives every query: UTC, integer division, the functions DuckDB lacks."""
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET integer_division = true")  # 1
    special = FunctionNullHandling.SPECIAL
    connection.create_function(
        "athena_normalize", _normalize, [VARCHAR, VARCHAR], VARCHAR, null_handling=special
    )  # 4
    connection.create_function("hmac_sha256", _hmac_sha256, [BLOB, BLOB], BLOB, null_handling=special)  # 5
    connection.create_function(
        "athena_double_text", trino_double_text, [DOUBLE], VARCHAR, null_handling=special
    )  # 7
    for macro in SQL_MACROS:
        connection.execute(macro)


def _rewrite(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.UnixToTime) and node.args.get("zone") is not None:  # 2
        instant = exp.func("to_timestamp", node.this)
        return exp.func("timezone", node.args["zone"], instant)
    if isinstance(node, exp.AtTimeZone):  # 3
        instant = exp.cast(node.this, exp.DataType.build("TIMESTAMPTZ"))
        return exp.func("timezone", node.args["zone"], instant)
    if isinstance(node, exp.Normalize):  # 4
        form = node.args.get("form")
        return exp.func("athena_normalize", node.this, exp.Literal.string(form.name if form else "NFC"))
    if isinstance(node, exp.FromISO8601Timestamp):  # 6
        return exp.func("athena_from_iso8601_timestamp", node.this)
    if (
        isinstance(node, exp.Cast)
        and not isinstance(node, exp.TryCast)
        and node.to.this in {exp.DataType.Type.VARCHAR, exp.DataType.Type.TEXT}
    ):  # 7
        return exp.func("athena_cast_varchar", node.this)
    return node


def parse_athena(sql: str) -> exp.Expr:
    parsed = sqlglot.parse_one(sql, read="athena")
    if parsed is None:
        raise ValueError("empty statement")
    return parsed


def _name_result_columns(tree: exp.Expr) -> None:  # 8
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return
    for position, expression in enumerate(select.expressions):
        if not isinstance(expression, exp.Alias | exp.Column | exp.Star) and not expression.is_star:
            expression.replace(exp.alias_(expression.copy(), f"_col{position}"))


def to_duckdb(statement: exp.Expr, rename_table: Callable[[exp.Table], None] | None = None) -> str:
    """The DuckDB text of an Athena statement, after the rewrites (and ``rename_table`` on each table)."""
    tree = statement.copy()
    if rename_table is not None:
        for table in list(tree.find_all(exp.Table)):
            rename_table(table)
    _name_result_columns(tree)
    # Children first, so a rewritten node's arguments are rewritten too (cast(normalize(...) as varchar)).
    for node in reversed(list(tree.walk(bfs=False))):
        rewritten = _rewrite(node)
        if rewritten is not node:
            if node is tree:
                tree = rewritten
            else:
                node.replace(rewritten)
    return tree.sql(dialect="duckdb")
