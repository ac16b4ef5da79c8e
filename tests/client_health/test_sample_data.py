"""The sample day looks like the seed system's files: formats, accents, titles, CPFs, duplicates, bad rows."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pyarrow.parquet as pq
from pycpfcnpj import cpf as reference

from ingestion.client_health.contract import COLUMNS, delivered_schema
from ingestion.client_health.sample_data import STATES, TITLES, write_client_health_day

DAY = dt.date(2025, 3, 10)
SEED_CSV = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "brazilian_states.csv"


def _day(folder: Path, json_layout: str = "lines") -> dict[str, list[dict[str, object]]]:
    paths = write_client_health_day(folder, DAY, rows=3000, seed=11, json_layout=json_layout)
    parquet, csv_path, json_path = paths
    assert pq.read_schema(parquet) == delivered_schema("parquet")
    with csv_path.open(encoding="utf-8", newline="") as handle:
        csv_rows = list(csv.DictReader(handle, delimiter="|"))
    text = json_path.read_text(encoding="utf-8")
    json_rows = (
        json.loads(text) if json_layout == "array" else [json.loads(line) for line in text.splitlines()]
    )
    return {"parquet": pq.read_table(parquet).to_pylist(), "csv": csv_rows, "json": json_rows}


def test_same_seed_same_bytes_and_each_format_keeps_its_own_conventions(tmp_path: Path) -> None:
    first = write_client_health_day(tmp_path / "a", DAY, rows=500, seed=11)
    second = write_client_health_day(tmp_path / "b", DAY, rows=500, seed=11)
    assert [path.read_bytes() for path in first] == [path.read_bytes() for path in second]
    assert [path.name for path in first] == ["clientes.parquet", "clientes.csv", "clientes.json"]

    rows = _day(tmp_path / "c")
    assert list(rows["csv"][0]) == list(COLUMNS["csv"])
    assert set(rows["json"][0]) == set(COLUMNS["json"])
    assert sum(len(found) for found in rows.values()) == 3000
    assert all(row["data_cadastro"] is None or "T" in str(row["data_cadastro"]) for row in rows["parquet"])
    assert all(str(row["numero"]).endswith(".0") for row in rows["csv"] if row["numero"])
    assert all(isinstance(row["data_cadastro"], int) for row in rows["json"])
    assert any(str(row["data_nascimento"]).split(" ")[0] in {"May", "June"} for row in rows["json"])
    assert {row["sexo"] for row in rows["parquet"]} == {"Fem", "Masc", None}


def test_realistic_and_imperfect_content(tmp_path: Path) -> None:
    rows = _day(tmp_path, json_layout="array")
    names = [str(row["nome_completo"]) for row in rows["parquet"] if row["nome_completo"]]
    names += [str(row["nome"]) for row in rows["csv"] + rows["json"] if row["nome"]]
    assert any(any(char in name for char in "ãçéíóúâêô") for name in names)
    assert any(name.split(" ")[0] in TITLES for name in names)
    assert any("  " in name for name in names)

    cpfs = [str(row["documento_cpf"]) for row in rows["parquet"]] + [
        str(row["cpf"]) for row in rows["csv"] + rows["json"]
    ]
    assert any(len(value) == 14 and value[3] == "." for value in cpfs)  # punctuated
    assert any(len(value) == 11 and value.isdigit() for value in cpfs)  # bare digits
    invalid = [value for value in cpfs if not reference.validate(value)]
    assert 0.005 < len(invalid) / len(cpfs) < 0.03
    digits = [value.replace(".", "").replace("-", "") for value in cpfs]
    assert len(set(digits)) < len(digits) * 0.8  # clients re-delivered, across and within files

    states = {str(row["estado"]) for row in rows["json"]}
    assert {"São Paulo", "Sao Paulo", "SÃO PAULO"} <= states
    assert any(row["logradouro"] is None for row in rows["csv"] + rows["json"])
    assert any(row["numero"] == "" for row in rows["csv"])


def test_the_generator_knows_exactly_the_seeded_states() -> None:
    seeded = [line.split(",") for line in SEED_CSV.read_text(encoding="utf-8").splitlines()[1:]]
    assert [(uf, name) for uf, name, _city in STATES] == [(uf, name) for uf, name in seeded]
    assert len(seeded) == 27
