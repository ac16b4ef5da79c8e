"""The CPF validator (Python and the dbt macro on DuckDB) agrees with pycpfcnpj on 100,000 random inputs."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa
import pytest
from pycpfcnpj import cpf as reference

from ingestion.cpf import generate_cpf, is_valid_cpf
from tests.client_health.dbt_macros import macros, sql

INPUTS = 100_000


def _mutations(rng: random.Random) -> str:
    valid = generate_cpf(rng, punctuated=rng.random() < 0.5)
    kind = rng.randrange(7)
    if kind == 0:
        return valid
    if kind == 1:  # one digit changed
        digits = [position for position, char in enumerate(valid) if char.isdigit()]
        position = rng.choice(digits)
        return (
            valid[:position] + str((int(valid[position]) + rng.randrange(1, 10)) % 10) + valid[position + 1 :]
        )
    if kind == 2:  # repeated digits, which pass the mod-11 arithmetic
        digit = str(rng.randrange(10))
        return f"{digit * 3}.{digit * 3}.{digit * 3}-{digit * 2}" if rng.random() < 0.5 else digit * 11
    if kind == 3:  # wrong length
        return valid[: rng.randrange(len(valid))] if rng.random() < 0.5 else valid + str(rng.randrange(10))
    if kind == 4:  # punctuation anywhere, including the slash, and spaces
        text = valid.replace(".", "").replace("-", "")
        for _ in range(rng.randrange(1, 5)):
            position = rng.randrange(len(text) + 1)
            text = text[:position] + rng.choice(".-/ ") + text[position:]
        return text
    if kind == 5:  # any string over digits and punctuation
        return "".join(rng.choice("0123456789.-/ ") for _ in range(rng.randrange(0, 17)))
    return "".join(rng.choice("0123456789") for _ in range(11))  # random 11 digits


@pytest.fixture(scope="module")
def judged() -> tuple[list[str], list[bool]]:
    """The random inputs and pycpfcnpj's verdict on each, computed once for both validators."""
    rng = random.Random(20250310)
    values = [_mutations(rng) for _ in range(INPUTS)]
    return values, [reference.validate(value) for value in values]


def test_python_validator_agrees_with_pycpfcnpj(judged: tuple[list[str], list[bool]]) -> None:
    values, expected = judged
    assert 0.2 < sum(expected) / len(values) < 0.6  # both outcomes well represented
    disagreements = [
        value for value, valid in zip(values, expected, strict=True) if is_valid_cpf(value) != valid
    ]
    assert disagreements == []


def test_sql_macro_agrees_with_pycpfcnpj_on_duckdb(judged: tuple[list[str], list[bool]]) -> None:
    values, expected = judged
    dbt = macros("duckdb")
    inputs = pa.table({"v": values})  # noqa: F841 (scanned by DuckDB by name)
    query = f"SELECT v, {sql(dbt.is_valid_cpf('v'))} AS valid FROM inputs"
    got = dict(duckdb.connect().execute(query).fetchall())
    disagreements = [value for value, valid in zip(values, expected, strict=True) if got[value] != valid]
    assert disagreements == []


def test_rejection_reasons_name_the_problem() -> None:
    dbt = macros("duckdb")
    cases = {
        "529.982.247-25": None,
        "52998224725": None,
        "529.982.247-26": "cpf:wrong_check_digits",
        "111.111.111-11": "cpf:repeated_digits",
        "5299822472": "cpf:wrong_length",
        "529 982 247 25": "cpf:invalid_characters",
        "52998224a25": "cpf:invalid_characters",
        "  ": "cpf:missing",
    }
    rows = pa.table({"v": list(cases)})  # noqa: F841
    digits = dbt.cpf_clean("v")
    query = f"SELECT v, {sql(dbt.cpf_rejection_reason('v', digits, dbt.cpf_number(digits)))} FROM rows"
    assert dict(duckdb.connect().execute(query).fetchall()) == cases


def test_letters_are_never_a_cpf() -> None:
    # pycpfcnpj >= 1.9 maps letters to numbers for alphanumeric CNPJs and can accept such a "CPF";
    # a CPF has digits only, so ours rejects them (the random inputs above therefore carry no letters).
    assert not is_valid_cpf("5299822A725")
    assert not is_valid_cpf(None)
