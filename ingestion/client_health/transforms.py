"""Pure transforms of the client-files Glue job: each delivered format -> typed bronze rows + rejected rows.

Built-in Spark functions only (no Python UDFs). No business rules here: names, dates, sexes and
states stay as delivered; a row is rejected only when it cannot be read into the delivered types
(a malformed CSV line or JSON record, a number that is not a number). Every row keeps its position
in the file (``source_row``) for lineage and quarantine.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ingestion.client_health.contract import COLUMNS, CSV_DELIMITER, delivered_schema

_EXTRA = "_extra_field"
_CORRUPT = "_corrupt_record"
_INTEGER = r"^[+-]?[0-9]+$"
_NUMBER = r"^[+-]?[0-9]+(\.[0-9]+)?$"
_SPARK_TYPES: dict[str, T.DataType] = {
    "string": T.StringType(),
    "int32": T.IntegerType(),
    "int64": T.LongType(),
    "double": T.DoubleType(),
}


def spark_schema(fmt: str) -> T.StructType:
    """The delivered columns of ``fmt`` as an explicit Spark schema (never inferred)."""
    return T.StructType(
        [T.StructField(field.name, _SPARK_TYPES[str(field.type)], True) for field in delivered_schema(fmt)]
    )


def _reason(code: str, column: str, value: Column | None = None) -> Column:
    text = F.lit(f"{column}: {code.replace('_', ' ')}")
    if value is not None:
        text = F.concat(text, F.lit(" '"), value, F.lit("'"))
    return F.struct(F.lit(f"{column}:{code}").alias("code"), text.alias("message"))


def _blank_to_null(column: Column) -> Column:
    trimmed = F.trim(column)
    return F.when(trimmed == "", None).otherwise(trimmed)


def decode_text(files: DataFrame) -> DataFrame:
    """A ``binaryFile`` DataFrame -> ``text`` (UTF-8, byte-order mark removed)."""
    return files.select(F.regexp_replace(F.decode(F.col("content"), "UTF-8"), "^\ufeff", "").alias("text"))


def numbered_lines(text: DataFrame, skip_header: bool) -> DataFrame:
    """One row per non-blank line: ``source_row`` (1-based line number) and ``raw_record``."""
    lines = text.select(F.posexplode(F.split(F.col("text"), r"\r?\n")).alias("index", "raw_record"))
    keep = F.trim(F.col("raw_record")) != ""
    if skip_header:
        keep = keep & (F.col("index") > 0)
    return lines.where(keep).select((F.col("index") + 1).cast("long").alias("source_row"), "raw_record")


def parse_csv(lines: DataFrame) -> DataFrame:
    """Pipe-delimited lines -> the CSV's columns (text as delivered, ``numero`` as a number) + ``reason``."""
    names = COLUMNS["csv"]
    schema = ", ".join(f"`{name}` STRING" for name in (*names, _EXTRA))
    fields = lines.withColumn(
        "fields", F.from_csv(F.col("raw_record"), schema, {"sep": CSV_DELIMITER, "mode": "PERMISSIVE"})
    )
    raw = {name: _blank_to_null(F.col(f"fields.`{name}`")) for name in names}
    delimiters = F.length(F.col("raw_record")) - F.length(F.regexp_replace(F.col("raw_record"), r"\|", ""))
    numero = F.when(raw["numero"].rlike(_NUMBER), raw["numero"].cast("double"))
    problems = [
        F.when(F.col(f"fields.`{_EXTRA}`").isNotNull(), _reason("too_many_fields", "line")),
        F.when(delimiters < len(names) - 1, _reason("too_few_fields", "line")),
        F.when(raw["numero"].isNotNull() & numero.isNull(), _reason("not_a_number", "numero", raw["numero"])),
    ]
    typed = [numero.alias(name) if name == "numero" else raw[name].alias(name) for name in names]
    return fields.select("source_row", "raw_record", *typed, F.coalesce(*problems).alias("reason"))


def array_elements(text: DataFrame) -> DataFrame:
    """A file holding one top-level JSON array -> ``elements``: each element's own JSON text, or null when
    the file is not a valid JSON array (then it is quarantined whole)."""
    return text.select(
        F.from_json(F.col("text"), T.ArrayType(T.StringType()), {"mode": "PERMISSIVE"}).alias("elements")
    )


def array_records(elements: DataFrame) -> DataFrame:
    """One row per array element: ``source_row`` (its 1-based position) and ``raw_record``."""
    return elements.select(F.posexplode(F.col("elements")).alias("index", "raw_record")).select(
        (F.col("index") + 1).cast("long").alias("source_row"), "raw_record"
    )


def _typed_integer(raw: Column, name: str, data_type: str) -> tuple[Column, Column]:
    value = F.when(raw.rlike(_INTEGER), raw.cast(data_type))
    return value, F.when(raw.isNotNull() & value.isNull(), _reason("not_an_integer", name, raw))


def parse_json(records: DataFrame) -> DataFrame:
    """JSON records -> the JSON's columns, typed as delivered, + ``reason``.

    Every field is read as text first (a number's text is kept as written) and then typed here, so a
    wrong value is named in the reason instead of silently becoming null.
    """
    names = COLUMNS["json"]
    schema = T.StructType(
        [
            *(T.StructField(name, T.StringType(), True) for name in names),
            T.StructField(_CORRUPT, T.StringType(), True),
        ]
    )
    parsed = records.withColumn(
        "record",
        F.from_json(
            F.col("raw_record"), schema, {"mode": "PERMISSIVE", "columnNameOfCorruptRecord": _CORRUPT}
        ),
    )
    raw = {name: _blank_to_null(F.col(f"record.{name}")) for name in names}
    problems: list[Column] = [
        F.when(~F.trim(F.col("raw_record")).startswith("{"), _reason("not_a_json_object", "record")),
        F.when(
            F.col("record").isNull() | F.col(f"record.{_CORRUPT}").isNotNull(),
            _reason("malformed_json", "record"),
        ),
    ]
    typed: list[Column] = []
    for field in spark_schema("json").fields:
        if isinstance(field.dataType, T.StringType):
            typed.append(raw[field.name].alias(field.name))
            continue
        value, problem = _typed_integer(raw[field.name], field.name, field.dataType.simpleString())
        typed.append(value.alias(field.name))
        problems.append(problem)
    return parsed.select("source_row", "raw_record", *typed, F.coalesce(*problems).alias("reason"))


def parse_parquet(frame: DataFrame) -> DataFrame:
    """A Parquet file read with its own schema -> the contract columns cast to the delivered types + ``reason``.

    ``frame`` must carry ``source_row`` (the file's row index + 1). A date or timestamp column becomes
    its ISO text, so staging parses every delivery alike.
    """
    problems: list[Column] = []
    typed: list[Column] = []
    for field in spark_schema("parquet").fields:
        source = F.col(field.name)
        if isinstance(field.dataType, T.StringType):
            typed.append(_blank_to_null(source.cast("string")).alias(field.name))
            continue
        value, problem = _typed_integer(
            F.trim(source.cast("string")), field.name, field.dataType.simpleString()
        )
        typed.append(value.alias(field.name))
        problems.append(problem)
    reason = F.coalesce(*problems) if problems else F.lit(None)
    return frame.select(
        "source_row", F.lit(None).cast("string").alias("raw_record"), *typed, reason.alias("reason")
    )


def bronze_rows(parsed: DataFrame, fmt: str, source_file: str, ingested_at: str) -> DataFrame:
    return parsed.where(F.col("reason").isNull()).select(
        *COLUMNS[fmt],
        F.lit(source_file).alias("source_file"),
        "source_row",
        F.to_timestamp(F.lit(ingested_at)).alias("ingested_at"),
    )


def quarantined_rows(parsed: DataFrame, source_file: str) -> DataFrame:
    return parsed.where(F.col("reason").isNotNull()).select(
        F.lit(source_file).alias("source_file"),
        "source_row",
        "raw_record",
        F.col("reason.code").alias("reason_code"),
        F.col("reason.message").alias("reason"),
    )
