"""Client files through staging to gold: our dbt models on the local target (DuckDB) against the seed
system's Spark job (Python UDFs for accents and states) on local Spark, on the same rows, one run each.

Ours starts from bronze (the three formats as the Glue job lands them, written here directly). The
headline is ``dbt run --select +client_health`` (staging, intermediate, gold_build) in its own
process, parse included; the quality quarantine model and the audit (``dbt test`` on all of them)
are timed after it and reported cumulatively. The seed job reads the three delivered files and
writes gold Parquet partitioned by convenio; its Spark session is started before the clock starts.
Default 5,000,000 rows (``--quick``: 200,000).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
import unicodedata
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window

from core.catalog import register_bronze_tables
from core.registry import all_bronze_tables
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.client_health.contract import FORMATS, SOURCE, bronze_key, bronze_schema, file_id, landing_key
from ingestion.client_health.sample_data import STATES, generate_tables, write_tables
from ingestion.manifest import FileManifest, write_manifest
from ingestion.spark import local_spark_session
from jobs.dbt import run_dbt

DAY = "2025-03-10"


def write_bronze(lake: Path, tables: dict[str, pa.Table]) -> None:
    """What the Glue job lands: the delivered columns typed, plus lineage, and a manifest per file."""
    store = LocalObjectStore(lake)
    ingested_at = pa.scalar(dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC), type=pa.timestamp("us", tz="UTC"))
    for fmt in FORMATS:
        table = tables[fmt]
        if fmt == "csv":
            table = table.set_column(
                table.schema.get_field_index("numero"),
                "numero",
                pc.cast(table.column("numero"), pa.float64()),
            )
        rows = table.num_rows
        key = landing_key(DAY, fmt)
        bronze = table.append_column("source_file", pa.repeat(pa.scalar(key), rows))
        bronze = bronze.append_column("source_row", pa.array(range(1, rows + 1), type=pa.int64()))
        bronze = bronze.append_column("ingested_at", pa.repeat(ingested_at, rows))
        target = lake / bronze_key(fmt, DAY)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(bronze.cast(bronze_schema(fmt)), target, compression="zstd")
        write_manifest(store, FileManifest(SOURCE, DAY, file_id(fmt), key, "bench", "landed", rows, rows, 0))
    (lake / "silver").mkdir(exist_ok=True)
    register_bronze_tables(lake / "catalog.duckdb", lake, all_bronze_tables(lake))


def _strip(text: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFD", text) if not unicodedata.combining(char))


def _fold(text: str | None) -> str | None:
    return None if text is None else _strip(text)


_STATE_BY_NAME = {key: uf for uf, name, _city in STATES for key in (uf, _strip(name).upper())}


def _state(text: str | None) -> str | None:
    folded = _fold(text)
    return None if folded is None else _STATE_BY_NAME.get(folded.strip().upper())


def _cpf_is_valid(digits: Any) -> Any:
    digit = [F.substring(digits, position, 1).cast("int") for position in range(1, 12)]
    first = sum((digit[i] * (10 - i) for i in range(9)), F.lit(0)) * 10 % 11 % 10
    second = sum((digit[i] * (11 - i) for i in range(10)), F.lit(0)) * 10 % 11 % 10
    repeated = F.regexp_replace(digits, F.substring(digits, 1, 1), "") == ""
    return (F.length(digits) == 11) & ~repeated & (first == digit[9]) & (second == digit[10])


def seed_style_job(spark: SparkSession, landing: Path, out: Path) -> int:
    """The seed system's job as it is usually written: read, normalise with Python UDFs, dedupe, mask, write."""
    remove_accents = F.udf(_fold, T.StringType())
    to_uf = F.udf(_state, T.StringType())
    common = ["logradouro", "bairro", "cidade", "convenio", "sexo"]
    parquet = spark.read.parquet(str(landing / "clientes.parquet")).select(
        F.col("documento_cpf").alias("cpf"),
        "nome_completo",
        F.to_date("data_nascimento", "yyyy-MM-dd").alias("data_nascimento"),
        F.to_timestamp("data_cadastro", "yyyy-MM-dd'T'HH:mm:ss").alias("data_cadastro"),
        F.col("uf").alias("estado"),
        F.col("numero").cast("int").alias("numero"),
        *common,
    )
    csv = (
        spark.read.option("header", True)
        .option("sep", "|")
        .csv(str(landing / "clientes.csv"))
        .select(
            "cpf",
            F.col("nome").alias("nome_completo"),
            F.to_date("data_nascimento", "dd/MM/yyyy").alias("data_nascimento"),
            F.to_timestamp("data_cadastro", "yyyy-MM-dd HH:mm:ss").alias("data_cadastro"),
            "estado",
            F.col("numero").cast("double").cast("int").alias("numero"),
            *common,
        )
    )
    json_rows = spark.read.json(str(landing / "clientes.json")).select(
        "cpf",
        F.col("nome").alias("nome_completo"),
        F.to_date("data_nascimento", "MMMM d, yyyy").alias("data_nascimento"),
        (F.col("data_cadastro") / 1000).cast("timestamp").alias("data_cadastro"),
        "estado",
        F.col("numero").cast("int").alias("numero"),
        *common,
    )
    clients: DataFrame = parquet.unionByName(csv).unionByName(json_rows)
    cleaned = (
        clients.withColumn("cpf", F.regexp_replace("cpf", r"[.\-/]", ""))
        .withColumn(
            "nome_completo",
            F.trim(
                F.regexp_replace(
                    F.regexp_replace("nome_completo", r"(?i)\b(srta|sra|sr|dra|dr)\.", ""), r"\s+", " "
                )
            ),
        )
        .withColumn("nome_completo", remove_accents("nome_completo"))
        .withColumn("convenio", remove_accents("convenio"))
        .withColumn("estado", to_uf("estado"))
        .withColumn("sexo", F.when(F.col("sexo") == "Fem", "F").when(F.col("sexo") == "Masc", "M"))
    )
    valid = cleaned.where(
        _cpf_is_valid(F.col("cpf")) & F.col("nome_completo").isNotNull() & F.col("estado").isNotNull()
    )
    latest = (
        valid.withColumn(
            "rank", F.row_number().over(Window.partitionBy("cpf").orderBy(F.col("data_cadastro").desc()))
        )
        .where(F.col("rank") == 1)
        .drop("rank")
    )

    def mask(column: str) -> Any:
        return F.regexp_replace(F.coalesce(F.col(column), F.lit("N/A")), r"[\p{L}\p{N}]", "*")

    gold = latest.select(
        F.sha2(F.col("cpf"), 256).alias("id"),
        mask("cpf").alias("cpf"),
        F.coalesce("nome_completo", F.lit("N/A")).alias("nome_completo"),
        F.coalesce("data_nascimento", F.lit(dt.date(1970, 1, 1))).alias("data_nascimento"),
        F.coalesce("sexo", F.lit("N/A")).alias("sexo"),
        mask("logradouro").alias("logradouro"),
        F.coalesce("numero", F.lit(0)).alias("numero"),
        mask("bairro").alias("bairro"),
        mask("cidade").alias("cidade"),
        "estado",
        "data_cadastro",
        F.coalesce("convenio", F.lit("N/A")).alias("convenio"),
    )
    gold.write.mode("overwrite").partitionBy("convenio").parquet(str(out))
    return int(duckdb.sql(f"SELECT count(*) FROM read_parquet('{out}/**/*.parquet')").fetchone()[0])  # type: ignore[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--quick", action="store_true", help="200,000 rows")
    arguments = parser.parse_args()
    rows = 200_000 if arguments.quick else arguments.rows
    os.environ.setdefault("LAKEHOUSE_PSEUDONYM_KEY", "bench-pseudonym-key")

    with tempfile.TemporaryDirectory(prefix="bench-client-health-") as scratch:
        lake = Path(scratch) / "lake"
        began = time.monotonic()
        tables = generate_tables(rows, dt.date.fromisoformat(DAY), seed=7)
        write_tables(tables, lake / "landing" / "client_health" / DAY)
        write_bronze(lake, tables)
        print(f"{rows:,} client rows generated and landed in {time.monotonic() - began:.1f} s", flush=True)

        if not run_dbt(["seed", "--select", "brazilian_states"], Settings(lake=lake)).success:
            raise SystemExit("dbt seed failed")
        ours: dict[str, float] = {}
        for step, command in (
            ("gold", ["run", "--select", "+client_health"]),
            ("quarantine", ["run", "--select", "int_client_health__quarantined"]),
            ("audit", ["test", "--select", "+client_health", "int_client_health__quarantined"]),
        ):
            began = time.monotonic()
            outcome = run_dbt(command, Settings(lake=lake))
            ours[step] = time.monotonic() - began
            if not outcome.success:
                raise SystemExit(f"dbt {' '.join(command)} failed: {outcome.failures}")
        with duckdb.connect(str(lake / "catalog.duckdb"), read_only=True) as connection:
            ours_rows = int(connection.execute("SELECT count(*) FROM gold_build.client_health").fetchone()[0])  # type: ignore[index]

        settings = Settings()
        began = time.monotonic()
        spark = local_spark_session(settings.spark_master, settings.spark_driver_memory)
        spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        startup = time.monotonic() - began
        began = time.monotonic()
        seed_rows = seed_style_job(
            spark, lake / "landing" / "client_health" / DAY, Path(scratch) / "seed_gold"
        )
        seed = time.monotonic() - began

    everything = sum(ours.values())
    result = {
        "rows": rows,
        "ours_staging_to_gold_seconds": round(ours["gold"], 2),
        "ours_quality_quarantine_seconds": round(ours["quarantine"], 2),
        "ours_dbt_test_seconds": round(ours["audit"], 2),
        "ours_gold_rows": ours_rows,
        "seed_spark_job_seconds": round(seed, 2),
        "seed_spark_startup_seconds": round(startup, 2),
        "seed_gold_rows": seed_rows,
        "ratio_staging_to_gold": round(seed / ours["gold"], 2),
        "ratio_with_quarantine_and_tests": round(seed / everything, 2),
    }
    lines = [
        ("ours: dbt run, staging to gold (DuckDB)", ours["gold"], ours_rows),
        ("ours: + the quality quarantine model", ours["gold"] + ours["quarantine"], None),
        ("ours: + dbt test (the audit before publication)", everything, None),
        ("seed: Spark job with Python UDFs (local Spark)", seed, seed_rows),
    ]
    print(
        f"\n{'client health, ' + format(rows, ',') + ' rows':<52} {'seconds':>9} {'rows/s':>12} {'gold rows':>11}"
    )
    for label, seconds, gold_rows in lines:
        shown = "" if gold_rows is None else f"{gold_rows:,}"
        print(f"{label:<52} {seconds:>9.1f} {rows / seconds:>12,.0f} {shown:>11}")
    print(
        f"ratio (seed / ours): {result['ratio_staging_to_gold']:.1f}x staging to gold,"
        f" {result['ratio_with_quarantine_and_tests']:.1f}x with the quarantine and the tests"
        f" (seed Spark session start, not counted: {startup:.1f} s)"
    )
    out = Path("bench-out")
    out.mkdir(exist_ok=True)
    (out / "client_health.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
