"""Publishers read gold/silver from S3 through Glue on AWS, from the catalog file locally: same rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from core.settings import Settings
from core.table_readers import CatalogTableReader, GlueTableReader, arrow_type
from jobs.positional_day import read_gold_contract_plans
from serving.mysql import SILVER_EMPLOYEES, employee_batches, publish_employees
from tests.aws_path.conftest import put_parquet, replace_glue_table
from tests.mysql.test_publish import silver_row, table_rows, url, write_silver

__all__ = ["url"]

PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"},
}
EMPLOYEE_COLUMNS = [
    ("id_funcionario", "bigint"), ("nome", "string"), ("cpf", "string"), ("idade", "int"), ("ativo", "boolean"),
    ("salario", "decimal(12,2)"), ("data_referencia", "date"), ("partner", "string"), ("source_file", "string"),
    ("source_line", "bigint"), ("ingested_at", "timestamp"), ("ingestion_date", "date"),
]  # fmt: skip
ROWS = [
    silver_row(1, "123.456.789-09", "1000.00", 8),
    silver_row(1, "12345678909", "1500.00", 9, "g.csv"),
    silver_row(2, None, "2000.00", 8),
]


def _silver_on_s3(glue: Any, s3: Any, bucket: str) -> None:
    """The silver table as Athena leaves it: Parquet at the Glue location, timestamps without zone."""
    schema = pa.schema([(name, arrow_type(kind)) for name, kind in EMPLOYEE_COLUMNS])
    rows = [{**row, "ingested_at": row["ingested_at"].replace(tzinfo=None)} for row in ROWS]
    database, table = SILVER_EMPLOYEES.split(".")
    put_parquet(s3, bucket, f"{database}/{table}/part-1", pa.Table.from_pylist(rows[:2], schema))
    put_parquet(s3, bucket, f"{database}/{table}/part-2", pa.Table.from_pylist(rows[2:], schema))
    replace_glue_table(glue, database, {
        "Name": table,
        "StorageDescriptor": {
            **PARQUET,
            "Columns": [{"Name": name, "Type": kind} for name, kind in EMPLOYEE_COLUMNS],
            "Location": f"s3://{bucket}/{database}/{table}/",
        },
    })  # fmt: skip


def test_employee_rows_from_s3_equal_those_from_the_catalog(
    glue: Any, s3: Any, bucket: str, tmp_path: Path
) -> None:
    catalog = tmp_path / "catalog.duckdb"
    write_silver(catalog, ROWS)
    _silver_on_s3(glue, s3, bucket)
    local = pa.Table.from_batches(list(employee_batches(CatalogTableReader(catalog))))
    aws = pa.Table.from_batches(list(employee_batches(GlueTableReader(glue, s3))))
    assert aws.equals(local)
    assert local.num_rows == 2 and local.column("cpf_mascarado").to_pylist() == ["***.456.789-**", None]


def test_publish_employees_to_mysql_from_s3(url: str, glue: Any, s3: Any, bucket: str, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    write_silver(catalog, ROWS)
    publish_employees(Settings(mysql_url=url), catalog)
    from_catalog = table_rows(url)
    _silver_on_s3(glue, s3, bucket)
    result = publish_employees(Settings(mysql_url=url), GlueTableReader(glue, s3))
    assert result is not None and result.rows == 2
    assert table_rows(url) == from_catalog


def test_partitioned_gold_is_read_with_its_partition_values_typed(glue: Any, s3: Any, bucket: str) -> None:
    schema = pa.schema([("numero_contrato", pa.string()), ("valor", pa.decimal128(10, 2))])
    for ano, numbers in ((2024, ["B", "A"]), (2025, ["C"])):
        rows = [{"numero_contrato": n, "valor": None} for n in numbers]
        put_parquet(s3, bucket, f"gold/contract_plans/v1/ano={ano}/data", pa.Table.from_pylist(rows, schema))
    replace_glue_table(glue, "gold", {
        "Name": "contract_plans",
        "PartitionKeys": [{"Name": "ano", "Type": "int"}],
        "StorageDescriptor": {
            **PARQUET,
            "Columns": [{"Name": "numero_contrato", "Type": "string"}, {"Name": "valor", "Type": "decimal(10,2)"}],
            "Location": f"s3://{bucket}/gold/contract_plans/v1/",
        },
    })  # fmt: skip
    for ano in (2024, 2025):
        glue.create_partition(DatabaseName="gold", TableName="contract_plans", PartitionInput={
            "Values": [str(ano)],
            "StorageDescriptor": {**PARQUET, "Location": f"s3://{bucket}/gold/contract_plans/v1/ano={ano}/"},
        })  # fmt: skip
    table = GlueTableReader(glue, s3).read("gold", "contract_plans").read_all()
    assert table.schema.field("ano").type == pa.int32()
    assert sorted(zip(table.column("numero_contrato").to_pylist(), table.column("ano").to_pylist(), strict=True)) == [
        ("A", 2024), ("B", 2024), ("C", 2025),
    ]  # fmt: skip


def test_an_empty_table_reads_as_typed_and_empty(glue: Any, s3: Any, bucket: str) -> None:
    replace_glue_table(glue, "gold", {
        "Name": "empty_table",
        "StorageDescriptor": {**PARQUET, "Columns": [{"Name": "d", "Type": "date"}], "Location": f"s3://{bucket}/gold/none/"},
    })  # fmt: skip
    table = GlueTableReader(glue, s3).read("gold", "empty_table").read_all()
    assert table.num_rows == 0 and table.schema.field("d").type == pa.date32()


def test_local_catalog_reader_keeps_the_contract_plans_order(tmp_path: Path) -> None:
    import duckdb

    catalog = tmp_path / "catalog.duckdb"
    with duckdb.connect(str(catalog)) as connection:
        connection.execute("CREATE SCHEMA gold")
        connection.execute(
            "CREATE TABLE gold.contract_plans AS SELECT * FROM (VALUES ('0000000002'), ('0000000001')) t(numero_contrato)"
        )
    table = read_gold_contract_plans(CatalogTableReader(catalog))
    assert table.column("numero_contrato").to_pylist() == ["0000000001", "0000000002"]
