"""Every function the project's compiled Athena SQL calls exists in Athena engine version 3.

The list is data (tests/data/athena_engine_v3_functions.txt, its source named in its header): a DuckDB
or Spark function name slipping into an athena__/default__ macro fails here, before any AWS account."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

pytestmark = pytest.mark.slow

FUNCTION_LIST = Path(__file__).resolve().parents[1] / "data" / "athena_engine_v3_functions.txt"


def athena_functions() -> set[str]:
    lines = FUNCTION_LIST.read_text().splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def functions_called(sql: str) -> set[str]:
    """Names of the functions a statement calls, as Athena SQL spells them."""
    names = set()
    for statement in sqlglot.parse(sql, read="athena"):
        for node in statement.find_all(exp.Func) if statement else []:
            called = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(", node.sql(dialect="athena"))
            if called:
                names.add(called.group(1).lower())
    return names


def test_the_function_list_is_athena_s() -> None:
    functions = athena_functions()
    assert {
        "hmac_sha256",
        "from_iso8601_timestamp",
        "regexp_like",
        "normalize",
        "invoker_principal",
    } <= functions
    assert not {"strptime", "regexp_matches", "strip_accents", "hmac_sha256_hex"} & functions


def test_the_checker_sees_a_function_athena_lacks() -> None:
    assert functions_called("select strip_accents(nome), try(date_parse(x, '%Y')) from t") >= {
        "strip_accents",
        "try",
        "date_parse",
    }


def test_every_function_in_compiled_aws_sql_is_an_athena_engine_v3_function(compiled: Path) -> None:
    known = athena_functions()
    unknown = {
        f"{path.relative_to(compiled)}: {name}"
        for path in sorted(compiled.rglob("*.sql"))
        for name in functions_called(path.read_text())
        if name not in known
    }
    assert not unknown
