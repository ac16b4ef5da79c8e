"""The partner CSV contract (DESIGN.md) and its two dialects."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from core.catalog import BronzeTable
from core.layout import LandedFile
from ingestion.csv_header import MAX_FIELD_CHARS as MAX_FIELD_CHARS  # the field size limit, stated once

SOURCE = "partner_csv"
COLUMNS: tuple[str, ...] = ("id_funcionario", "nome", "cpf", "idade", "ativo", "salario", "data_referencia")
OPTIONAL: frozenset[str] = frozenset({"nome", "cpf"})
REQUIRED: tuple[str, ...] = tuple(column for column in COLUMNS if column not in OPTIONAL)
MAX_AGE = 120
SALARY_PRECISION, SALARY_SCALE = 12, 2

BRONZE_SCHEMA = pa.schema(
    [
        pa.field("id_funcionario", pa.int64(), nullable=False),
        pa.field("nome", pa.string()),
        pa.field("cpf", pa.string()),
        pa.field("idade", pa.int32(), nullable=False),
        pa.field("ativo", pa.bool_(), nullable=False),
        pa.field("salario", pa.decimal128(SALARY_PRECISION, SALARY_SCALE), nullable=False),
        pa.field("data_referencia", pa.date32(), nullable=False),
        pa.field("partner", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_line", pa.int64(), nullable=False),
        pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
    ]
)
BRONZE_TABLE = BronzeTable(
    name="partner_csv_employees",
    prefix=f"bronze/{SOURCE}",
    schema=BRONZE_SCHEMA,
    partition_columns=("ingestion_date",),
)

QUARANTINE_TABLE = BronzeTable(
    name="partner_csv_quarantine",
    prefix=f"quarantine/{SOURCE}",
    file_glob="*/rows/*.parquet",
    schema=pa.schema(
        [
            ("source_file", pa.string()),
            ("source_line", pa.int64()),
            ("raw_line", pa.string()),
            ("reason_code", pa.string()),
            ("reason", pa.string()),
        ]
    ),
)

_LANDING_KEY = re.compile(r"(?:^|/)sftp/(?P<partner>[^/]+)/(?P<day>\d{4}-\d{2}-\d{2})/(?P<name>[^/]+)$")


@dataclass(frozen=True)
class Dialect:
    """How one partner spreadsheet writes values. Spark and Python both read these fields."""

    name: str
    delimiter: str
    decimal_comma: bool
    date_format: str  # Spark datetime pattern
    true_tokens: tuple[str, ...]
    false_tokens: tuple[str, ...]


COMMA = Dialect(
    name="comma",
    delimiter=",",
    decimal_comma=False,
    date_format="yyyy-MM-dd",
    true_tokens=("true", "t", "1"),
    false_tokens=("false", "f", "0"),
)
SEMICOLON = Dialect(
    name="semicolon",
    delimiter=";",
    decimal_comma=True,
    date_format="dd/MM/yyyy",
    true_tokens=("s", "sim", "1"),
    false_tokens=("n", "nao", "não", "0"),
)
DIALECTS = {dialect.name: dialect for dialect in (COMMA, SEMICOLON)}


def parse_landing_key(key: str) -> LandedFile:
    match = _LANDING_KEY.search(key)
    if match is None:
        raise ValueError(f"{key}: not a partner upload key (expected sftp/<partner>/<YYYY-MM-DD>/<name>.csv)")
    return LandedFile(key=key, day=match["day"], name=match["name"], owner=match["partner"])
