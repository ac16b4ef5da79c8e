"""The client-files Glue job on local Spark: typed bronze per format, bad records and unreadable files quarantined."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pydantic import SecretStr
from pyspark.sql import SparkSession

from core.storage import LocalObjectStore
from glue_jobs.client_health_to_bronze import run_job
from ingestion.client_health.contract import CPF_COLUMN, SOURCE, bronze_key, bronze_schema, landing_key
from ingestion.client_health.pseudonym import PseudonymKey, pseudonymous_id
from ingestion.client_health.sample_data import generate_tables, write_tables
from ingestion.manifest import FileManifest, read_manifests

pytestmark = pytest.mark.spark

KEY = PseudonymKey(SecretStr("bronze-job-test-key"))


def _land(spark: SparkSession, lake: Path, day: str) -> dict[str, FileManifest]:
    options = {"lake_uri": str(lake), "day": day, "ingested_at": f"{day}T09:00:00.000Z"}
    manifests = run_job(spark, options, KEY)
    return {manifest.file_id: manifest for manifest in manifests}


def _quarantined_rows(lake: Path, day: str, fmt: str) -> list[tuple[int, str]]:
    path = lake / "quarantine" / SOURCE / day / "rows" / f"clientes.{fmt}.parquet"
    return [(row["source_row"], row["reason_code"]) for row in pq.read_table(path).to_pylist()]


def test_records_land_typed_and_bad_records_are_quarantined_with_their_line(
    spark: SparkSession, tmp_path: Path
) -> None:
    day = "2025-04-01"
    folder = tmp_path / "landing" / "client_health" / day
    tables = generate_tables(40, dt.date.fromisoformat(day), seed=5)
    write_tables(tables, folder)
    (folder / "clientes.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 100 + b"PAR1")
    csv_path, json_path = folder / "clientes.csv", folder / "clientes.json"
    csv_lines = csv_path.read_text(encoding="utf-8").splitlines()
    csv_count, json_count = len(csv_lines) - 1, len(json_path.read_text(encoding="utf-8").splitlines())
    csv_path.write_text(
        "\n".join(
            [*csv_lines, "Ana|123|x", "Bia|52998224725|||||Rua|12b||||SUS", "Caio|1|2|3|4|5|6|7|8|9|10|11|12"]
        )
        + "\n",
        encoding="utf-8",
    )
    with json_path.open("a", encoding="utf-8") as handle:
        handle.write('{"nome": "Duda", "cpf": \n[1, 2]\n{"nome": "Eva", "numero": "doze"}\n')

    manifests = _land(spark, tmp_path, day)

    parquet = manifests["clientes.parquet"]
    assert parquet.status == "quarantined" and "not a readable parquet file" in str(parquet.reason)
    assert (
        tmp_path / "quarantine" / SOURCE / day / "files" / "clientes.parquet" / "clientes.parquet"
    ).exists()
    assert not (tmp_path / bronze_key("parquet", day)).exists()

    csv_manifest, json_manifest = manifests["clientes.csv"], manifests["clientes.json"]
    assert (csv_manifest.rows_read, csv_manifest.rows_landed) == (csv_count + 3, csv_count)
    assert csv_manifest.quarantined_by_reason == {
        "line:too_few_fields": 1, "line:too_many_fields": 1, "numero:not_a_number": 1,
    }  # fmt: skip
    assert _quarantined_rows(tmp_path, day, "csv") == [
        (csv_count + 2, "line:too_few_fields"), (csv_count + 3, "numero:not_a_number"),
        (csv_count + 4, "line:too_many_fields"),
    ]  # fmt: skip
    assert (json_manifest.rows_read, json_manifest.rows_landed) == (json_count + 3, json_count)
    assert _quarantined_rows(tmp_path, day, "json") == [
        (json_count + 1, "record:malformed_json"), (json_count + 2, "record:not_a_json_object"),
        (json_count + 3, "numero:not_an_integer"),
    ]  # fmt: skip

    for fmt in ("csv", "json"):
        bronze = pq.read_table(tmp_path / bronze_key(fmt, day))
        assert [(field.name, field.type) for field in bronze.schema] == [
            (field.name, field.type) for field in bronze_schema(fmt)
        ]
        assert bronze.num_rows == manifests[f"clientes.{fmt}"].rows_landed
        assert set(bronze.column("source_file").to_pylist()) == {landing_key(day, fmt)}
        # Beside the CPF: its id (from the 11 digits, punctuation removed) and the key's version.
        for row in bronze.to_pylist():
            digits = "".join(char for char in row[CPF_COLUMN[fmt]] or "" if char not in ".-/")
            expected = pseudonymous_id("bronze-job-test-key", digits) if len(digits) == 11 and digits.isdigit() else None
            assert (row["id"], row["key_version"]) == (expected, KEY.version)
        assert any(row["id"] for row in bronze.to_pylist())
    csv_bronze = pq.read_table(tmp_path / bronze_key("csv", day)).to_pylist()
    assert csv_bronze[0]["source_row"] == 2  # the header is line 1
    assert csv_bronze[0]["nome"] == tables["csv"].column("nome")[0].as_py()
    assert isinstance(csv_bronze[0]["numero"], float | None)


def test_unreadable_files_are_quarantined_and_the_others_land(spark: SparkSession, tmp_path: Path) -> None:
    day = "2025-04-02"
    folder = tmp_path / "landing" / "client_health" / day
    tables = generate_tables(20, dt.date.fromisoformat(day), seed=6)
    write_tables(tables, folder, json_layout="array")
    # A Parquet file typed differently by another exporter: dates as DATE, house numbers as text.
    parquet = tables["parquet"]
    births = pa.array([dt.date(1980, 1, 2)] * parquet.num_rows, type=pa.date32())
    numbers = pa.array(["12", "x", *["7"] * (parquet.num_rows - 2)], type=pa.string())
    parquet = parquet.set_column(parquet.schema.get_field_index("data_nascimento"), "data_nascimento", births)
    parquet = parquet.set_column(parquet.schema.get_field_index("numero"), "numero", numbers)
    pq.write_table(parquet, folder / "clientes.parquet")
    (folder / "clientes.json").write_text(json.dumps([{"nome": "Ana"}])[:-1] + ", {", encoding="utf-8")
    csv_path = folder / "clientes.csv"
    csv_path.write_text(
        csv_path.read_text(encoding="utf-8").replace("nome|cpf|", "nome|documento|", 1), encoding="utf-8"
    )

    manifests = _land(spark, tmp_path, day)

    assert manifests["clientes.json"].status == "quarantined"
    assert "not valid JSON" in str(manifests["clientes.json"].reason)
    assert manifests["clientes.csv"].status == "quarantined"
    assert "line 1: header lacks required column cpf" in str(
        manifests["clientes.csv"].reason
    )
    landed = manifests["clientes.parquet"]
    assert (landed.status, landed.rows_landed, landed.quarantined_by_reason) == (
        "landed", parquet.num_rows - 1, {"numero:not_an_integer": 1},
    )  # fmt: skip
    bronze = duckdb.sql(
        f"SELECT data_nascimento, numero FROM '{tmp_path / bronze_key('parquet', day)}' LIMIT 1"
    )
    assert bronze.fetchall() == [("1980-01-02", 12)]
    store = LocalObjectStore(tmp_path)
    assert {manifest.file_id for manifest in read_manifests(store, SOURCE, day)} == {
        "clientes.parquet", "clientes.csv", "clientes.json",
    }  # fmt: skip
