"""Glue job: one partner CSV -> bronze Parquet rows + quarantined rows + the file's manifest."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import SparkSession

from core.storage import ObjectStore, store_for_uri
from glue_jobs.options import job_spark_session, resolve_options
from ingestion.csv_header import HeaderError
from ingestion.glue_registration import register_written_bronze
from ingestion.manifest import FileManifest
from ingestion.partner_csv.contract import BRONZE_TABLE, DIALECTS, MAX_FIELD_CHARS, QUARANTINE_TABLE, SOURCE
from ingestion.partner_csv.transforms import bronze_rows, parse_rows, quarantined_rows
from ingestion.partner_csv.validation import HEAD_BYTES, header_layout
from ingestion.spark_landing import CheckedFile, LandingTarget, UnreadableFile, land_file
from ingestion.spark_records import LINE, RECORD, read_text_records

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


def bronze_stem(day: str, file_id: str) -> str:
    return f"{BRONZE_TABLE.prefix}/ingestion_date={day}/{file_id}"


def bronze_key(day: str, file_id: str) -> str:
    """The bronze file of a delivery that fits one part (larger ones are ``<stem>~~part-NNNNN.parquet``)."""
    return f"{bronze_stem(day, file_id)}.parquet"


def land_partner_file(spark: SparkSession, store: ObjectStore, options: dict[str, str]) -> FileManifest:
    key, encoding, dialect = options["source_key"], options["encoding"], DIALECTS[options["dialect"]]
    target = LandingTarget(
        source=SOURCE,
        day=options["day"],
        file_id=options["file_id"],
        key=key,
        etag=options["etag"],
        bronze_stem=bronze_stem(options["day"], options["file_id"]),
        line_column=LINE,
    )

    def read() -> CheckedFile:
        # Invalid dates must become null (and be quarantined), not raise on the legacy-parser ambiguity.
        spark.conf.set("spark.sql.legacy.timeParserPolicy", "CORRECTED")
        text = read_text_records(spark, store.uri(key), encoding, quoted=True, skip_header=True)
        try:
            header = header_layout(store.read_bytes(key, HEAD_BYTES), encoding, dialect)
        except HeaderError as exc:
            raise UnreadableFile(f"{key}: {exc}", rows=text.rows_read) from exc
        parsed = parse_rows(
            text.records, dialect, header, MAX_FIELD_CHARS, multi_line=text.multi_line_records
        )
        return CheckedFile(
            rows_read=text.rows_read,
            checked=parsed,
            raw_column=RECORD,
            landed=lambda rows: bronze_rows(rows, options["partner"], key, options["ingested_at"]),
            rejected=lambda rows: quarantined_rows(rows, key),
            in_order=not text.multi_line_records,
            notes=header.notes(),
        )

    return land_file(spark, store, target, read)


def run_job(spark: SparkSession, options: dict[str, str]) -> FileManifest:
    store = store_for_uri(options["lake_uri"])
    manifest = land_partner_file(spark, store, options)
    register_written_bronze(store, [BRONZE_TABLE, QUARANTINE_TABLE])
    return manifest


def main(argv: Sequence[str] | None = None) -> None:
    run_job(job_spark_session(), resolve_options(argv, OPTIONS))


if __name__ == "__main__":
    main()
