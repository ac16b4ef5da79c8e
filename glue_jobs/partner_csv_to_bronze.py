"""Glue job: one partner CSV -> bronze Parquet rows + quarantined rows + the file's manifest."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from core.storage import store_for_uri
from glue_jobs.options import job_spark_session, resolve_options
from ingestion.glue_registration import register_written_bronze
from ingestion.manifest import FileManifest, write_manifest
from ingestion.partner_csv.contract import BRONZE_TABLE, DIALECTS, QUARANTINE_TABLE, SOURCE
from ingestion.partner_csv.transforms import bronze_rows, parse_rows, quarantined_rows, split_lines
from ingestion.quarantine import quarantined_rows_key
from ingestion.spark_output import write_single_parquet

OPTIONS = (
    "lake_uri",
    "source_key",
    "partner",
    "day",
    "file_id",
    "etag",
    "dialect",
    "encoding",
    "ingested_at",
)


def bronze_key(day: str, file_id: str) -> str:
    return f"{BRONZE_TABLE.prefix}/ingestion_date={day}/{file_id}.parquet"


def run_job(spark: SparkSession, options: dict[str, str]) -> FileManifest:
    # Invalid dates must become null (and be quarantined), not raise on the legacy-parser ambiguity.
    spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
    store = store_for_uri(options["lake_uri"])
    day, file_id, source_key = options["day"], options["file_id"], options["source_key"]
    dialect = DIALECTS[options["dialect"]]

    files = spark.read.format("binaryFile").load(store.uri(source_key))
    # One file arrives as one binary row: spread its lines over the cores before the per-line work.
    lines = split_lines(files, options["encoding"]).repartition(spark.sparkContext.defaultParallelism)
    parsed = parse_rows(lines, dialect).persist()
    try:
        counts = {
            row["code"]: int(row["count"])
            for row in parsed.groupBy(F.col("reason.code").alias("code")).count().collect()
        }
        rows_landed = counts.pop(None, 0)
        rows_quarantined = sum(counts.values())
        write_single_parquet(
            bronze_rows(parsed, options["partner"], source_key, options["ingested_at"]),
            store,
            bronze_key(day, file_id),
            order_by="source_line",
        )
        rejected_key = quarantined_rows_key(SOURCE, day, file_id)
        if rows_quarantined:
            write_single_parquet(
                quarantined_rows(parsed, source_key), store, rejected_key, order_by="source_line"
            )
        else:
            store.delete(rejected_key)
    finally:
        parsed.unpersist()

    manifest = FileManifest(
        source=SOURCE,
        day=day,
        file_id=file_id,
        key=source_key,
        etag=options["etag"],
        status="landed",
        rows_read=rows_landed + rows_quarantined,
        rows_landed=rows_landed,
        rows_quarantined=rows_quarantined,
        quarantined_by_reason=dict(sorted(counts.items())),
        outputs=[bronze_key(day, file_id), *([rejected_key] if rows_quarantined else [])],
    )
    write_manifest(store, manifest)
    register_written_bronze(store, [BRONZE_TABLE, QUARANTINE_TABLE])
    return manifest


def main(argv: Sequence[str] | None = None) -> None:
    run_job(job_spark_session(), resolve_options(argv, OPTIONS))


if __name__ == "__main__":
    main()
