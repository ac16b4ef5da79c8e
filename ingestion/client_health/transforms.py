"""Pure transforms of the client-files Glue job: each delivered format -> typed bronze rows + rejected rows.

Built-in Spark functions only (no Python UDFs). No business rules here: names, dates, sexes and
states stay as delivered; a row is rejected only when it cannot be read into the delivered types
(a malformed CSV line or JSON record, a number that is not a number, a field over the size limit).
Every row keeps its position in the file (``source_row``: its first line, JSON array element or
Parquet row) for lineage and quarantine.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from ingestion.client_health.contract import COLUMNS, CPF_COLUMN, CSV_DELIMITER, PSEUDONYM, delivered_schema
from ingestion.client_health.pseudonym import PseudonymKey
from ingestion.csv_header import HeaderLayout
from ingestion.spark_landing import (
    EXTRA_FIELD,
    blank_to_null,
    csv_fields,
    quarantined_projection,
    reason,
    unterminated_quote,
)
from ingestion.spark_records import LINE, RECORD

_CORRUPT = "_corrupt_record"
_QUOTED_FIELD = '"(?:[^"]|"")*"'
ROW = "source_row"
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


def parse_csv(
    records: DataFrame, header: HeaderLayout, max_field_chars: int, *, multi_line: bool
) -> DataFrame:
    """Pipe-delimited records -> the CSV's columns (text as delivered, ``numero`` as a number) + ``reason``.

    Columns are taken by the header's names (a missing optional one is null); quoted fields follow
    RFC 4180.
    """
    names = COLUMNS["csv"]
    fields = records.withColumn("fields", csv_fields(F.col(RECORD), header.width, CSV_DELIMITER))

    def delivered(name: str) -> Column:
        position = header.positions[name]
        return (
            F.lit(None).cast("string") if position is None else blank_to_null(F.col(f"fields._c{position}"))
        )

    raw = {name: delivered(name) for name in names}
    unquoted = F.regexp_replace(F.col(RECORD), _QUOTED_FIELD, "")
    delimiters = F.length(unquoted) - F.length(F.translate(unquoted, CSV_DELIMITER, ""))
    numero = F.when(raw["numero"].rlike(_NUMBER), raw["numero"].cast("double"))
    problems = [
        F.when(F.length(raw[name]) > max_field_chars, reason(f"longer_than_{max_field_chars}_chars", name))
        for name in names
    ]
    if multi_line:
        problems.append(F.when(unterminated_quote(F.col(RECORD)), reason("unterminated_quote", "line")))
    problems += [
        F.when(F.col(f"fields.`{EXTRA_FIELD}`").isNotNull(), reason("too_many_fields", "line")),
        F.when(delimiters < header.width - 1, reason("too_few_fields", "line")),
        F.when(raw["numero"].isNotNull() & numero.isNull(), reason("not_a_number", "numero", raw["numero"])),
    ]
    typed = [numero.alias(name) if name == "numero" else raw[name].alias(name) for name in names]
    return fields.select(F.col(LINE).alias(ROW), RECORD, *typed, F.coalesce(*problems).alias("reason"))


def _typed_integer(raw: Column, name: str, data_type: str) -> tuple[Column, Column]:
    value = F.when(raw.rlike(_INTEGER), raw.cast(data_type))
    return value, F.when(raw.isNotNull() & value.isNull(), reason("not_an_integer", name, raw))


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
    raw = {name: blank_to_null(F.col(f"record.{name}")) for name in names}
    problems: list[Column] = [
        F.when(~F.trim(F.col("raw_record")).startswith("{"), reason("not_a_json_object", "record")),
        F.when(
            F.col("record").isNull() | F.col(f"record.{_CORRUPT}").isNotNull(),
            reason("malformed_json", "record"),
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
            typed.append(blank_to_null(source.cast("string")).alias(field.name))
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


def normalized_cpf(cpf: Column) -> Column:
    """The CPF without its punctuation, as dbt's ``cpf_clean`` macro (macros/cpf.sql) computes it."""
    return F.translate(cpf, ".-/", "")


def _hmac_sha256_hex(message: Column, inner_pad: Column, outer_pad: Column) -> Column:
    """RFC 2104 from Spark built-ins: sha256(K ^ opad || sha256(K ^ ipad || message)), lower-case hex."""
    inner = F.unhex(F.sha2(F.concat(inner_pad, F.encode(message, "UTF-8")), 256))
    return F.sha2(F.concat(outer_pad, inner), 256)


def _uuid_v8(hex_digest: Column) -> Column:
    """The first 32 hex digits as 8-4-4-4-12, the version nibble set to 8 and the variant bits to 10."""

    def part(start: int, length: int) -> Column:
        return F.substring(hex_digest, start, length)

    variant = F.translate(part(17, 1), "0123456789abcdef", "89ab89ab89ab89ab")
    return F.concat(
        part(1, 8), F.lit("-"), part(9, 4), F.lit("-8"), part(14, 3), F.lit("-"),
        variant, part(18, 3), F.lit("-"), part(21, 12),
    )  # fmt: skip


def with_pseudonymous_id(rows: DataFrame, cpf: Column, key: PseudonymKey) -> DataFrame:
    """``rows`` + ``id`` (UUID v8 of HMAC-SHA256(key, the CPF's 11 digits), null when the CPF is not 11
    digits) + ``key_version``; equal to ``pseudonym.pseudonymous_id`` for every CPF.

    The padded keys reach the executors as a broadcast one-row table, not as literals: a literal is
    printed in every plan Spark logs or shows (explain, the SQL tab, error messages), a local
    relation's rows are not.
    """
    inner, outer = key.hmac_pads()
    pads = rows.sparkSession.createDataFrame(
        [(bytearray(inner), bytearray(outer))], "_inner_pad binary, _outer_pad binary"
    )
    digits = normalized_cpf(cpf)
    digest = _hmac_sha256_hex(digits, F.col("_inner_pad"), F.col("_outer_pad"))
    identifier, version = (field.name for field in PSEUDONYM)
    return rows.crossJoin(F.broadcast(pads)).select(
        *(F.col(f"`{name}`") for name in rows.columns),
        F.when(digits.rlike(r"^[0-9]{11}$"), _uuid_v8(digest)).alias(identifier),
        F.lit(key.version).alias(version),
    )


def bronze_rows(
    parsed: DataFrame, fmt: str, source_file: str, ingested_at: str, key: PseudonymKey
) -> DataFrame:
    delivered = parsed.where(F.col("reason").isNull()).select(*COLUMNS[fmt], "source_row")
    keyed = with_pseudonymous_id(delivered, F.col(CPF_COLUMN[fmt]), key)
    return keyed.select(
        *COLUMNS[fmt],
        *(field.name for field in PSEUDONYM),
        F.lit(source_file).alias("source_file"),
        "source_row",
        F.to_timestamp(F.lit(ingested_at)).alias("ingested_at"),
    )


def quarantined_rows(parsed: DataFrame, source_file: str) -> DataFrame:
    return quarantined_projection(parsed, source_file, ROW, F.col(RECORD))
