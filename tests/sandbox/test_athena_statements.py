"""The statements dbt-athena, awswrangler and PyAthena send, executed by the sandbox's Athena against its
S3 and Glue: data where Athena writes it, tables and partitions in Glue, results as Athena returns them."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from sandbox import Sandbox
from sandbox.athena import recorded_execution
from tests.sandbox.athena_client import ok, run


@pytest.fixture
def bucket(sandbox_environment: Sandbox) -> str:
    name = f"statements-{uuid.uuid4().hex[:8]}"
    boto3.client("s3").create_bucket(Bucket=name)
    return name


@pytest.fixture
def database(bucket: str) -> str:
    name = f"db_{uuid.uuid4().hex[:8]}"
    ok(f"create database if not exists {name}", bucket)
    return name


def _keys(bucket: str, prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for item in listed.get("Contents", []))


def test_ctas_writes_partitions_where_athena_does_and_registers_them(bucket: str, database: str) -> None:
    ok(
        f'create table "awsdatacatalog"."{database}"."sales" with (table_type=\'hive\', is_external=true, '
        f"external_location='s3://{bucket}/silver/sales', partitioned_by=ARRAY['ano'], format='parquet') as "
        "select * from (values (1, 10.50, 2024), (2, 20.25, 2025), (3, 1.00, 2025)) as t(id, valor, ano)",
        bucket,
    )
    keys = _keys(bucket, "silver/sales/")
    assert [key.split("/")[2] for key in keys] == ["ano=2024", "ano=2025"]
    assert all(key.endswith(".parquet") for key in keys)
    glue = boto3.client("glue")
    table = glue.get_table(DatabaseName=database, Name="sales")["Table"]
    assert [key["Name"] for key in table["PartitionKeys"]] == ["ano"]
    assert [column["Name"] for column in table["StorageDescriptor"]["Columns"]] == ["id", "valor"]
    partitions = glue.get_partitions(DatabaseName=database, TableName="sales")["Partitions"]
    assert sorted(partition["Values"][0] for partition in partitions) == ["2024", "2025"]
    result = ok(f"select id, valor, ano from {database}.sales order by id", bucket)
    assert result.rows == [("1", "10.50", "2024"), ("2", "20.25", "2025"), ("3", "1.00", "2025")]
    assert result.types == ["integer", "decimal", "integer"]


# Values holding characters Hive escapes in a folder name ("/", "=", "%") and one it does not (non-ASCII,
# space): Athena writes convenio=N%2FA/, a=b -> a%3Db, 50% -> 50%25, "São Paulo" as it is.
_AWKWARD_VALUES = {"N/A": "N%2FA", "a=b": "a%3Db", "São Paulo": "São Paulo", "50%": "50%25"}


def _partition_locations(database: str, table: str) -> dict[str, str]:
    partitions = boto3.client("glue").get_partitions(DatabaseName=database, TableName=table)["Partitions"]
    return {partition["Values"][0]: partition["StorageDescriptor"]["Location"] for partition in partitions}


def test_partition_folders_are_hive_escaped_and_values_stay_raw(bucket: str, database: str) -> None:
    first, *rest = list(_AWKWARD_VALUES)
    ok(
        f"create table {database}.saude with (external_location='s3://{bucket}/saude/v1', "
        f"partitioned_by=ARRAY['convenio']) as select 1 as id, '{first}' as convenio",
        bucket,
    )
    for number, value in enumerate(rest, start=2):
        ok(f"insert into {database}.saude select {number}, '{value}'", bucket)
    folders = {key.split("/")[2] for key in _keys(bucket, "saude/v1/")}
    assert folders == {f"convenio={folder}" for folder in _AWKWARD_VALUES.values()}
    assert _partition_locations(database, "saude") == {
        value: f"s3://{bucket}/saude/v1/convenio={folder}/" for value, folder in _AWKWARD_VALUES.items()
    }
    rows = ok(f"select id, convenio from {database}.saude order by id", bucket).rows
    assert rows == [(str(number), value) for number, value in enumerate(_AWKWARD_VALUES, start=1)]
    assert sorted(ok(f"show partitions {database}.saude", bucket).rows) == sorted(
        (f"convenio={folder}",) for folder in _AWKWARD_VALUES.values()
    )


def test_a_null_partition_value_is_hive_s_default_partition_and_reads_back_null(bucket: str, database: str) -> None:
    ok(
        f"create table {database}.nulos with (external_location='s3://{bucket}/nulos/v1', "
        "partitioned_by=ARRAY['ano']) as select * from (values (1, 2024), (2, null)) as t(id, ano)",
        bucket,
    )
    assert _partition_locations(database, "nulos") == {
        "2024": f"s3://{bucket}/nulos/v1/ano=2024/",
        "__HIVE_DEFAULT_PARTITION__": f"s3://{bucket}/nulos/v1/ano=__HIVE_DEFAULT_PARTITION__/",
    }
    assert ok(f"select id, ano from {database}.nulos order by id", bucket).rows == [("1", "2024"), ("2", None)]


def test_repair_and_add_partition_read_escaped_folders_back_as_raw_values(bucket: str, database: str) -> None:
    s3 = boto3.client("s3")
    for number, folder in enumerate(_AWKWARD_VALUES.values()):
        s3.put_object(Bucket=bucket, Key=f"planos/convenio={folder}/{number}.csv", Body=f"{number}\n".encode())
    s3.put_object(Bucket=bucket, Key="planos/convenio=SUS_$folder$", Body=b"")
    ok(
        f"create external table {database}.planos (id int) partitioned by (convenio string) "
        f"row format delimited fields terminated by ',' location 's3://{bucket}/planos/'",
        bucket,
    )
    ok(f"alter table {database}.planos add partition (convenio='N/A')", bucket)
    assert _partition_locations(database, "planos") == {"N/A": f"s3://{bucket}/planos/convenio=N%2FA/"}
    ok(f"msck repair table {database}.planos", bucket)
    assert _partition_locations(database, "planos") == {
        value: f"s3://{bucket}/planos/convenio={folder}/" for value, folder in _AWKWARD_VALUES.items()
    }
    rows = ok(f"select id, convenio from {database}.planos order by id", bucket).rows
    assert rows == [(str(number), value) for number, value in enumerate(_AWKWARD_VALUES)]


def test_a_query_result_has_athena_metadata_and_lands_as_csv(bucket: str) -> None:
    result = ok("select 1 as n, 'a,b' as s, null as x, true as b, date '2025-01-02' as d", bucket)
    assert result.statement_type == "DML"
    assert result.rows == [("1", "a,b", None, "true", "2025-01-02")]
    body = boto3.client("s3").get_object(Bucket=bucket, Key=f"athena-results/{result.query_id}.csv")["Body"]
    assert body.read().decode() == '"n","s","x","b","d"\n"1","a,b",,"true","2025-01-02"\n'


def test_results_come_in_pages_of_at_most_1000_rows(bucket: str) -> None:
    result = ok("select x from unnest(sequence(1, 2500)) as t(x)", bucket)
    assert len(result.rows) == 2500
    page = boto3.client("athena").get_query_results(QueryExecutionId=result.query_id)
    assert len(page["ResultSet"]["Rows"]) == 1000 and "NextToken" in page


def test_a_failed_statement_is_failed_with_athena_s_error_name(bucket: str, database: str) -> None:
    result = run(f"select * from {database}.missing", bucket)
    assert result.state == "FAILED"
    assert result.reason is not None and result.reason.startswith("TABLE_NOT_FOUND")
    assert recorded_execution(result.query_id).error == result.reason


def test_views_insert_drop_rename_and_locations(bucket: str, database: str) -> None:
    ok(
        f"create table {database}.base with (external_location='s3://{bucket}/base/v1', "
        "partitioned_by=ARRAY['dia']) as select 1 as id, '2025-01-01' as dia",
        bucket,
    )
    ok(f"insert into {database}.base select 2, '2025-01-02'", bucket)
    ok(
        f'create or replace view "awsdatacatalog"."{database}"."doubled" as select id * 2 as id2 from base',
        bucket,
        database,
    )
    assert ok(f"select id2 from {database}.doubled order by id2", bucket).rows == [("2",), ("4",)]
    ok(f"alter table `{database}`.`base` rename to `{database}`.`renamed`", bucket)
    assert run(f"select * from {database}.base", bucket).state == "FAILED"
    assert len(ok(f"select * from {database}.renamed", bucket).rows) == 2
    ok(
        f"alter table {database}.renamed partition (dia='2025-01-02') set location 's3://{bucket}/elsewhere/'",
        bucket,
    )
    assert ok(f"select id from {database}.renamed", bucket).rows == [("1",)]
    ok(f"drop view if exists {database}.doubled", bucket)
    ok(f"drop table {database}.renamed", bucket)
    assert _keys(bucket, "base/v1/"), "an external table's data outlives DROP TABLE, as on Athena"
    tables = ok(f"show tables in {database}", bucket)
    assert tables.rows == []


def test_external_tables_partitions_and_repair(bucket: str, database: str) -> None:
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="csv/dia=2025-01-01/a.csv", Body=b"nome,idade\nAna,30\n")
    s3.put_object(Bucket=bucket, Key="csv/dia=2025-01-02/b.csv", Body=b"nome,idade\nBia,41\n")
    ok(
        f"create external table {database}.pessoas (nome string, idade int) partitioned by (dia string) "
        "row format serde 'org.apache.hadoop.hive.serde2.OpenCSVSerde' "
        f"location 's3://{bucket}/csv/' tblproperties ('skip.header.line.count'='1')",
        bucket,
    )
    assert ok(f"select * from {database}.pessoas", bucket).rows == [], "no partition registered yet"
    ok(f"alter table {database}.pessoas add if not exists partition (dia='2025-01-01')", bucket)
    assert ok(f"select nome, idade, dia from {database}.pessoas", bucket).rows == [
        ("Ana", "30", "2025-01-01")
    ]
    ok(f"msck repair table {database}.pessoas", bucket)
    assert ok(f"show partitions {database}.pessoas", bucket).rows == [
        ("dia=2025-01-01",),
        ("dia=2025-01-02",),
    ]
    described = ok(f"describe {database}.pessoas", bucket).rows
    assert ("nome\tstring\t",) in described
    columns = ok(
        "select column_name, data_type from information_schema.columns "
        f"where table_schema = '{database}' and table_name = 'pessoas' order by ordinal_position",
        bucket,
    )
    assert columns.rows == [("nome", "string"), ("idade", "int"), ("dia", "string")]


def test_pretty_printed_json_fails_as_athena_s_json_serde_does(bucket: str, database: str) -> None:
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="lines/a.json", Body=b'{"a": 1}\n{"a": 2}\n')
    s3.put_object(Bucket=bucket, Key="pretty/a.json", Body=json.dumps({"a": 1}, indent=2).encode())
    for name in ("lines", "pretty"):
        ok(
            f"create external table {database}.{name} (a int) "
            f"row format serde 'org.openx.data.jsonserde.JsonSerDe' location 's3://{bucket}/{name}/'",
            bucket,
        )
    assert ok(f"select a from {database}.lines order by a", bucket).rows == [("1",), ("2",)]
    assert run(f"select a from {database}.pretty", bucket).state == "FAILED"


def test_every_statement_is_recorded_in_the_json_lines_log(aws_sandbox: Sandbox, bucket: str) -> None:
    result = ok("select 42 as answer", bucket)
    assert aws_sandbox.statement_log is not None
    records = [json.loads(line) for line in aws_sandbox.statement_log.read_text().splitlines()]
    record = next(item for item in records if item["query_id"] == result.query_id)
    assert record["query"] == "select 42 as answer" and record["state"] == "SUCCEEDED"
    assert record["duckdb_sql"] and record["row_count"] == 1
