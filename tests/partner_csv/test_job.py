"""The partner CSV Glue job on local Spark: RFC 4180 records, exact line numbers, header by name, field size
limit, a reconciliation that can fail, and file ids that keep every delivery apart."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from core.storage import LocalObjectStore
from glue_jobs import partner_csv_to_bronze
from glue_jobs.partner_csv_to_bronze import bronze_key, run_job
from ingestion import spark_records
from ingestion.manifest import FileManifest, read_manifest
from ingestion.partner_csv.contract import MAX_FIELD_CHARS, SOURCE, parse_landing_key
from ingestion.partner_csv.validation import detect_format
from ingestion.quarantine import quarantined_rows_key
from ingestion.spark_landing import SparkJobFailed

pytestmark = pytest.mark.spark

DAY = "2025-03-10"
HEADER = "id_funcionario,nome,cpf,idade,ativo,salario,data_referencia"


def _deliver(lake: Path, key: str, data: bytes) -> dict[str, str]:
    path = lake / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    landed = parse_landing_key(key)
    detected = detect_format(key, data[:65536], len(data))
    return {
        "lake_uri": str(lake),
        "source_key": key,
        "partner": landed.owner or "",
        "day": landed.day,
        "file_id": landed.file_id,
        "etag": "etag-1",
        "dialect": detected.dialect.name,
        "encoding": detected.encoding,
        "ingested_at": f"{DAY}T10:00:00.000Z",
    }


def _bronze(lake: Path, manifest: FileManifest) -> list[dict[str, object]]:
    """Every bronze part the job published for the file, in line order."""
    parts = [lake / key for key in manifest.outputs if key.startswith("bronze/")]
    rows = [row for part in parts for row in pq.read_table(part).to_pylist()]
    return sorted(rows, key=lambda row: int(str(row["source_line"])))


def _rejected(lake: Path, file_id: str) -> list[dict[str, object]]:
    return pq.read_table(lake / quarantined_rows_key(SOURCE, DAY, file_id)).to_pylist()


def test_rfc4180_quoted_fields_land_whole_with_their_first_line(spark: SparkSession, tmp_path: Path) -> None:
    key = f"landing/sftp/acme/{DAY}/quoted.csv"
    lines = [
        HEADER,
        '1,"Ana ""Zica"" Souza",,30,true,10.00,2025-01-01',  # line 2: doubled quotes
        '2,"Souza, Bia",,31,true,11.00,2025-01-01',  # line 3: embedded delimiter
        "",  # line 4: blank, not a record
        '3,"Caio',  # line 5: a name over three lines
        "",
        'de Lima",,32,true,12.00,2025-01-01',
        "4,Duda,,33,true,13.00,2025-01-01",  # line 8
        '5,"Eva ""E"",',  # line 9: quote, delimiter and newline together
        'Silva",,34,true,14.00,2025-01-01',
        "6,Fabi,,xx,true,15.00,2025-01-01",  # line 11: bad idade
    ]
    options = _deliver(tmp_path, key, ("\r\n".join(lines) + "\r\n").encode())

    manifest = run_job(spark, options)

    assert (manifest.status, manifest.rows_read, manifest.rows_landed, manifest.rows_quarantined) == (
        "landed", 6, 5, 1,
    )  # fmt: skip
    rows = _bronze(tmp_path, manifest)
    assert [(row["source_line"], row["id_funcionario"], row["nome"]) for row in rows] == [
        (2, 1, 'Ana "Zica" Souza'),
        (3, 2, "Souza, Bia"),
        (5, 3, "Caio\n\nde Lima"),
        (8, 4, "Duda"),
        (9, 5, 'Eva "E",\nSilva'),
    ]
    assert [(row["source_line"], row["reason_code"]) for row in _rejected(tmp_path, options["file_id"])] == [
        (11, "idade:not_an_integer")
    ]


def test_an_unterminated_quote_is_one_quarantined_record(spark: SparkSession, tmp_path: Path) -> None:
    key = f"landing/sftp/acme/{DAY}/open.csv"
    data = f'{HEADER}\n1,Ana,,30,true,1.00,2025-01-01\n2,"Bia,,31,true,1.00,2025-01-01\n3,Caio\n'
    options = _deliver(tmp_path, key, data.encode())
    manifest = run_job(spark, options)
    assert (manifest.rows_read, manifest.rows_landed, manifest.rows_quarantined) == (2, 1, 1)
    assert [(row["source_line"], row["reason_code"]) for row in _rejected(tmp_path, options["file_id"])] == [
        (3, "line:unterminated_quote")
    ]


def test_line_numbers_stay_exact_across_many_splits(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spark_records, "SPLIT_BYTES", 512)  # dozens of tasks (and bronze parts) for a small file
    key = f"landing/sftp/acme/{DAY}/split.csv"
    lines, expected = [HEADER], []
    for number in range(1, 301):
        if number % 7 == 0:
            lines.append("")
        if number % 11 == 0:
            expected.append((len(lines) + 1, number))
            lines += [f'{number},"Nome', f'{number} quebrado",,30,true,1.00,2025-01-01']
        else:
            expected.append((len(lines) + 1, number))
            lines.append(f"{number},Nome {number},,30,true,1.00,2025-01-01")
    options = _deliver(tmp_path, key, ("\n".join(lines) + "\n").encode())

    manifest = run_job(spark, options)

    assert (manifest.rows_read, manifest.rows_landed) == (300, 300)
    assert [(row["source_line"], row["id_funcionario"]) for row in _bronze(tmp_path, manifest)] == expected
    assert len(manifest.outputs) > 1  # one part per split, published side by side


def test_header_by_name_in_any_order_with_missing_optional_and_unknown_columns(
    spark: SparkSession, tmp_path: Path
) -> None:
    key = f"landing/sftp/acme/{DAY}/reordered.csv"
    data = "salario;setor;data_referencia;ativo;idade;id_funcionario\n1.234,56;RH;01/03/2025;S;34;10\n"
    options = _deliver(tmp_path, key, data.encode())

    manifest = run_job(spark, options)

    assert manifest.notes == [
        "optional column nome missing: null-filled",
        "optional column cpf missing: null-filled",
        "unknown column setor ignored",
    ]
    [row] = _bronze(tmp_path, manifest)
    assert (row["id_funcionario"], row["idade"], row["ativo"], str(row["salario"]), row["nome"], row["cpf"]) == (
        10, 34, True, "1234.56", None, None,
    )  # fmt: skip
    stored = read_manifest(LocalObjectStore(tmp_path), SOURCE, DAY, options["file_id"])
    assert stored is not None and stored.notes == manifest.notes


def test_a_field_over_the_size_limit_quarantines_its_row(spark: SparkSession, tmp_path: Path) -> None:
    key = f"landing/sftp/acme/{DAY}/huge_name.csv"
    huge = "A" * (50 * 1024 * 1024)  # a 50 MB name
    data = f"{HEADER}\n1,{huge},,30,true,1.00,2025-01-01\n2,Bia,,31,true,2.00,2025-01-01\n"
    options = _deliver(tmp_path, key, data.encode())

    manifest = run_job(spark, options)

    assert (manifest.rows_read, manifest.rows_landed) == (2, 1)
    assert manifest.quarantined_by_reason == {f"nome:longer_than_{MAX_FIELD_CHARS}_chars": 1}
    assert [row["nome"] for row in _bronze(tmp_path, manifest)] == ["Bia"]
    [rejected] = _rejected(tmp_path, options["file_id"])
    assert rejected["source_line"] == 2 and "AAAA" not in str(rejected["reason"])


def test_a_row_the_parse_drops_fails_the_reconciliation_and_publishes_nothing(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = f"landing/sftp/acme/{DAY}/lossy.csv"
    data = f"{HEADER}\n1,Ana,,30,true,1.00,2025-01-01\n2,Bia,,31,true,2.00,2025-01-01\n3,Caio,,32,true,3.00,2025-01-01\n"
    options = _deliver(tmp_path, key, data.encode())
    parse = partner_csv_to_bronze.parse_rows

    def lossy_parse(*args: object, **kwargs: object) -> DataFrame:
        return parse(*args, **kwargs).where(F.col("source_line") != 3)  # type: ignore[arg-type]

    monkeypatch.setattr(partner_csv_to_bronze, "parse_rows", lossy_parse)

    with pytest.raises(SparkJobFailed, match="rows read 3 != landed 2 \\+ quarantined 0"):
        run_job(spark, options)

    stored = read_manifest(LocalObjectStore(tmp_path), SOURCE, DAY, options["file_id"])
    assert stored is not None
    assert (stored.status, stored.rows_read, stored.rows_landed) == ("failed", 3, 2)
    assert not (tmp_path / bronze_key(DAY, options["file_id"])).exists()
    assert not list((tmp_path / "_staging").glob("*"))


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (f"landing/sftp/x__y/{DAY}/z.csv", f"landing/sftp/x/{DAY}/y__z.csv"),
        (f"landing/sftp/acme/{DAY}/extra.CSV", f"landing/sftp/acme/{DAY}/extra.csv"),
    ],
)
def test_deliveries_whose_names_used_to_collide_land_apart(
    spark: SparkSession, tmp_path: Path, first: str, second: str
) -> None:
    manifests: list[FileManifest] = []
    for index, key in enumerate((first, second), start=1):
        data = f"{HEADER}\n{index},Nome,,30,true,1.00,2025-01-01\n"
        manifests.append(run_job(spark, _deliver(tmp_path, key, data.encode())))
    assert len({manifest.file_id for manifest in manifests}) == 2
    for index, manifest in enumerate(manifests, start=1):
        assert [row["id_funcionario"] for row in _bronze(tmp_path, manifest)] == [index]
        stored = read_manifest(LocalObjectStore(tmp_path), SOURCE, DAY, manifest.file_id)
        assert stored is not None and stored.key == manifest.key
