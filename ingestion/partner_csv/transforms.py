"""Pure DataFrame -> DataFrame transforms of the partner CSV Glue job. Built-in functions only (no UDFs).

Records come from ``ingestion.spark_records`` (``source_line``, ``raw_record``): the file's own line
numbers, quoted fields spanning lines already joined. Fields are split per RFC 4180 (double quotes,
``""`` inside them) and matched to the contract by the header's column names, in any order.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from ingestion.csv_header import HeaderLayout
from ingestion.partner_csv.contract import COLUMNS, MAX_AGE, REQUIRED, SALARY_PRECISION, SALARY_SCALE, Dialect
from ingestion.spark_landing import (
    EXTRA_FIELD,
    blank_to_null,
    quarantined_projection,
    reason,
    unterminated_quote,
    with_csv_fields,
)
from ingestion.spark_records import LINE, RECORD

_TOO_LONG = "_too_long_column"
_INTEGER = r"^[+-]?[0-9]+$"
_DECIMAL = r"^[+-]?[0-9]+(\.[0-9]+)?$"


def _decimal_text(column: Column, dialect: Dialect) -> Column:
    if not dialect.decimal_comma:
        return column
    return F.regexp_replace(F.regexp_replace(column, r"\.", ""), ",", ".")


def _tokens(tokens: tuple[str, ...]) -> list[Column]:
    return [F.lit(token) for token in tokens]


def parse_rows(
    records: DataFrame, dialect: Dialect, header: HeaderLayout, max_field_chars: int, *, multi_line: bool
) -> DataFrame:
    """Adds the typed contract columns and ``reason`` (null when the row is valid, else the first problem).

    Built in narrow projections (fields, raw text, typed values, first problem) rather than one: each
    expression stays small enough for Spark's whole-stage code generation, which a single nested
    projection exceeded (it fell back to the interpreter, about 5x slower).
    """
    fields = with_csv_fields(records, RECORD, header.width, dialect.delimiter)

    def delivered(name: str) -> Column:
        position = header.positions[name]
        return F.lit(None).cast("string") if position is None else blank_to_null(F.col(f"_c{position}"))

    text = fields.select(
        *records.columns,
        *(delivered(name).alias(f"_raw_{name}") for name in COLUMNS),
        EXTRA_FIELD,
    )
    raw = {name: F.col(f"_raw_{name}") for name in COLUMNS}
    # The first column over the size limit, as one small expression (one check per column would push
    # the problem projection past the size whole-stage code generation accepts).
    text = text.withColumn(
        _TOO_LONG,
        F.coalesce(*(F.when(F.length(raw[name]) > max_field_chars, F.lit(name)) for name in COLUMNS)),
    )
    salary_text = _decimal_text(raw["salario"], dialect)
    active_lower = F.lower(raw["ativo"])
    typed = text.select(
        "*",
        F.when(raw["id_funcionario"].rlike(_INTEGER), raw["id_funcionario"].cast("long")).alias(
            "id_funcionario"
        ),
        raw["nome"].alias("nome"),
        raw["cpf"].alias("cpf"),
        F.when(raw["idade"].rlike(_INTEGER), raw["idade"].cast("int")).alias("idade"),
        F.when(active_lower.isin(_tokens(dialect.true_tokens)), F.lit(True))
        .when(active_lower.isin(_tokens(dialect.false_tokens)), F.lit(False))
        .alias("ativo"),
        F.when(
            salary_text.rlike(_DECIMAL), salary_text.cast(f"decimal({SALARY_PRECISION},{SALARY_SCALE})")
        ).alias("salario"),
        F.to_date(raw["data_referencia"], dialect.date_format).alias("data_referencia"),
    )
    value = {name: F.col(name) for name in COLUMNS}
    too_long = f"longer_than_{max_field_chars}_chars"
    problems: list[Column] = [
        F.when(
            F.col(_TOO_LONG).isNotNull(),
            F.struct(
                F.concat(F.col(_TOO_LONG), F.lit(f":{too_long}")).alias("code"),
                F.concat(F.col(_TOO_LONG), F.lit(f": {too_long.replace('_', ' ')}")).alias("message"),
            ),
        )
    ]
    if multi_line:
        problems.append(F.when(unterminated_quote(F.col(RECORD)), reason("unterminated_quote", "line")))
    problems.append(F.when(F.col(EXTRA_FIELD).isNotNull(), reason("too_many_fields", "line")))
    for name in REQUIRED:
        problems.append(F.when(raw[name].isNull(), reason("missing_required_field", name)))
    problems += [
        F.when(
            value["id_funcionario"].isNull(),
            reason("not_an_integer", "id_funcionario", raw["id_funcionario"]),
        ),
        F.when(value["idade"].isNull(), reason("not_an_integer", "idade", raw["idade"])),
        F.when(
            (value["idade"] < 0) | (value["idade"] > MAX_AGE),
            reason(f"out_of_range_0_{MAX_AGE}", "idade", raw["idade"]),
        ),
        F.when(value["ativo"].isNull(), reason("not_a_boolean", "ativo", raw["ativo"])),
        F.when(value["salario"].isNull(), reason("not_a_decimal", "salario", raw["salario"])),
        F.when(value["salario"] < 0, reason("negative", "salario", raw["salario"])),
        F.when(
            value["data_referencia"].isNull(),
            reason(
                f"not_a_date_{dialect.date_format.replace('/', '')}",
                "data_referencia",
                raw["data_referencia"],
            ),
        ),
    ]
    checked = typed.select("*", F.coalesce(*problems).alias("reason"))
    return checked.drop(EXTRA_FIELD, _TOO_LONG, *(f"_raw_{name}" for name in COLUMNS))


def bronze_rows(parsed: DataFrame, partner: str, source_file: str, ingested_at: str) -> DataFrame:
    return parsed.where(F.col("reason").isNull()).select(
        *COLUMNS,
        F.lit(partner).alias("partner"),
        F.lit(source_file).alias("source_file"),
        LINE,
        F.to_timestamp(F.lit(ingested_at)).alias("ingested_at"),
    )


def quarantined_rows(parsed: DataFrame, source_file: str) -> DataFrame:
    return quarantined_projection(parsed, source_file, LINE, F.col(RECORD).alias("raw_line"))
