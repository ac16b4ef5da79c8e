"""The Glue entry point: argparse locally, the lake a folder; on S3 (moto) it also registers the Glue Catalog."""

from __future__ import annotations

from pathlib import Path

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.settings import Settings
from glue_jobs.aurora_extract import job_options, main, run_job
from ingestion.aurora.demo_db import create_demo_database
from ingestion.aurora.landing import day_key

DAY = "2025-03-10"


def test_optional_arguments_are_only_asked_for_when_given() -> None:
    assert job_options(["job.py", "--lake_uri", "/tmp/lake"]) == {"lake_uri": "/tmp/lake"}
    assert job_options(["job.py", "--lake_uri", "s3://b", "--day", DAY, "--tables", "a,b"]) == {
        "lake_uri": "s3://b", "day": DAY, "tables": "a,b",
    }


def test_local_run_extracts_the_named_tables(tmp_path: Path) -> None:
    database = tmp_path / "aurora.sqlite"
    create_demo_database(database, DAY, rows=20, seed=1)
    manifests = run_job(
        {"lake_uri": str(tmp_path / "lake"), "day": DAY, "tables": "contratos, clientes", "url": f"sqlite:///{database}"},
        Settings(lake=tmp_path / "lake"),
    )
    assert [(m.file_id, m.status) for m in manifests] == [("contratos", "landed"), ("clientes", "landed")]
    assert not (tmp_path / "lake" / day_key("pagamentos", DAY)).exists()


def test_main_exits_non_zero_and_writes_nothing_when_a_table_is_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "aurora.sqlite"
    create_demo_database(database, DAY, rows=5, seed=1)
    monkeypatch.setenv("LAKEHOUSE_AURORA_URL", f"sqlite:///{database}")
    with pytest.raises(SystemExit) as exit_info:
        main(["job.py", "--lake_uri", str(tmp_path / "lake"), "--day", DAY, "--tables", "contratos,nao_existe"])
    assert exit_info.value.code == 1
    assert not (tmp_path / "lake" / day_key("contratos", DAY)).exists()


def test_on_s3_the_day_is_uploaded_and_registered_in_glue(aws_environment: str, tmp_path: Path) -> None:
    s3, glue = boto3.client("s3"), boto3.client("glue")
    s3.create_bucket(Bucket="lake-aurora")
    if "bronze" not in {database["Name"] for database in glue.get_databases()["DatabaseList"]}:
        glue.create_database(DatabaseInput={"Name": "bronze"})  # the moto server is shared by the session
    database = tmp_path / "aurora.sqlite"
    create_demo_database(database, DAY, rows=30, seed=2)
    options = {"lake_uri": "s3://lake-aurora", "day": DAY, "url": f"sqlite:///{database}"}
    manifests = run_job(options, Settings(lake=tmp_path / "unused"))
    assert {m.file_id for m in manifests if m.status == "landed"} == {"clientes", "contratos", "pagamentos"}

    body = s3.get_object(Bucket="lake-aurora", Key=day_key("contratos", DAY))["Body"].read()
    (tmp_path / "contratos.parquet").write_bytes(body)
    assert pq.read_table(tmp_path / "contratos.parquet").num_rows == 30
    table = glue.get_table(DatabaseName="bronze", Name="aurora_contratos")["Table"]
    columns = {column["Name"]: column["Type"] for column in table["StorageDescriptor"]["Columns"]}
    assert columns["valor_mensal"] == "decimal(12,2)" and columns["assinado_em"] == "timestamp"
    assert [key["Name"] for key in table["PartitionKeys"]] == ["extraction_date"]
    partitions = glue.get_partitions(DatabaseName="bronze", TableName="aurora_contratos")["Partitions"]
    assert [partition["Values"] for partition in partitions] == [[DAY]]
    assert partitions[0]["StorageDescriptor"]["Location"] == f"s3://lake-aurora/bronze/aurora/contratos/extraction_date={DAY}/"

    # Re-running the day is idempotent in the catalog too.
    run_job(options, Settings(lake=tmp_path / "unused"))
    assert len(glue.get_partitions(DatabaseName="bronze", TableName="aurora_contratos")["Partitions"]) == 1
    assert pa.types.is_decimal(pq.read_schema(tmp_path / "contratos.parquet").field("valor_mensal").type)
