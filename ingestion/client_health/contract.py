"""The client-files contract (DESIGN.md): three files a day under ``landing/client_health/<D>/``.

Bronze keeps each format as delivered (typed columns, the file's own column names, no business
rules) plus lineage; dbt staging renames, parses dates and cleans values per format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa

from core import layout as lake
from core.catalog import BronzeTable
from core.storage import ObjectStore

SOURCE = "client_health"
LANDING_ZONE = SOURCE
FORMATS: tuple[str, ...] = ("parquet", "csv", "json")
FILE_NAMES: dict[str, str] = {fmt: f"clientes.{fmt}" for fmt in FORMATS}
CSV_DELIMITER = "|"

# Delivered columns per format, in the order the seed system writes them.
PARQUET_COLUMNS: tuple[str, ...] = (
    "documento_cpf", "nome_completo", "data_nascimento", "data_cadastro", "sexo", "uf", "pais",
    "logradouro", "numero", "bairro", "cidade", "convenio",
)  # fmt: skip
CSV_COLUMNS: tuple[str, ...] = (
    "nome", "cpf", "data_nascimento", "data_cadastro", "sexo", "pais_cadastro", "logradouro", "numero",
    "bairro", "cidade", "estado", "convenio",
)  # fmt: skip
# A client row without its CPF or registration time cannot be deduplicated (latest per CPF wins).
CSV_REQUIRED: tuple[str, ...] = ("cpf", "data_cadastro")
JSON_COLUMNS: tuple[str, ...] = (
    "nome", "cpf", "data_nascimento", "data_cadastro", "sexo", "pais", "logradouro", "numero", "bairro",
    "cidade", "estado", "convenio",
)  # fmt: skip
COLUMNS: dict[str, tuple[str, ...]] = {"parquet": PARQUET_COLUMNS, "csv": CSV_COLUMNS, "json": JSON_COLUMNS}
CPF_COLUMN: dict[str, str] = {"parquet": "documento_cpf", "csv": "cpf", "json": "cpf"}

# Types as delivered: dates stay text (each format writes them differently and staging parses them),
# CSV ``numero`` is a decimal like ``123.0``, JSON ``data_cadastro`` is epoch milliseconds.
_NON_STRING: dict[str, dict[str, pa.DataType]] = {
    "parquet": {"numero": pa.int32()},
    "csv": {"numero": pa.float64()},
    "json": {"numero": pa.int32(), "data_cadastro": pa.int64()},
}
# Beside the CPF, written by the job that holds the key (ingestion/client_health/pseudonym.py): the
# client's id in gold.client_health (null when the CPF is not 11 digits once punctuation is removed)
# and the version of the key it was made with.
PSEUDONYM: tuple[pa.Field, ...] = (
    pa.field("id", pa.string()),
    pa.field("key_version", pa.string(), nullable=False),
)
# source_row: the line (CSV, JSON Lines), element (JSON array) or row (Parquet) number, from 1.
LINEAGE: tuple[pa.Field, ...] = (
    pa.field("source_file", pa.string(), nullable=False),
    pa.field("source_row", pa.int64(), nullable=False),
    pa.field("ingested_at", pa.timestamp("us", tz="UTC"), nullable=False),
)


def delivered_schema(fmt: str) -> pa.Schema:
    types = _NON_STRING[fmt]
    return pa.schema([pa.field(name, types.get(name, pa.string())) for name in COLUMNS[fmt]])


def bronze_schema(fmt: str) -> pa.Schema:
    return pa.schema([*delivered_schema(fmt), *PSEUDONYM, *LINEAGE])


def bronze_table_name(fmt: str) -> str:
    return f"{SOURCE}_clientes_{fmt}"


BRONZE_TABLES: dict[str, BronzeTable] = {
    fmt: BronzeTable(
        name=bronze_table_name(fmt),
        prefix=f"{lake.BRONZE}/{SOURCE}/{fmt}",
        schema=bronze_schema(fmt),
        partition_columns=("ingestion_date",),
    )
    for fmt in FORMATS
}

QUARANTINE_SCHEMA = pa.schema(
    [
        ("source_file", pa.string()),
        ("source_row", pa.int64()),
        ("raw_record", pa.string()),
        ("reason_code", pa.string()),
        ("reason", pa.string()),
    ]
)
QUARANTINE_TABLE = BronzeTable(
    name=f"{SOURCE}_quarantine",
    prefix=f"{lake.QUARANTINE}/{SOURCE}",
    file_glob="*/rows/*.parquet",
    schema=QUARANTINE_SCHEMA,
)


def bronze_key(fmt: str, day: str) -> str:
    return f"{BRONZE_TABLES[fmt].prefix}/ingestion_date={day}/clientes.parquet"


def file_id(fmt: str) -> str:
    """Manifest and quarantine id of the day's file of one format: its name, as every landed key's id."""
    return lake.escape_id_part(FILE_NAMES[fmt])


def landing_key(day: str, fmt: str) -> str:
    return f"{lake.landing_prefix(LANDING_ZONE, day)}/{FILE_NAMES[fmt]}"


_LANDING_KEY = re.compile(rf"(?:^|/){LANDING_ZONE}/(?P<day>\d{{4}}-\d{{2}}-\d{{2}})/(?P<name>[^/]+)$")


@dataclass(frozen=True)
class ClientFile:
    key: str
    day: str
    name: str
    format: str | None  # None: a file that is not one of the three expected names

    @property
    def file_id(self) -> str:
        return lake.LandedFile(key=self.key, day=self.day, name=self.name).file_id


def parse_landing_key(key: str) -> ClientFile:
    match = _LANDING_KEY.search(key)
    if match is None:
        raise ValueError(
            f"{key}: not a client file key (expected {LANDING_ZONE}/<YYYY-MM-DD>/clientes.<format>)"
        )
    name = match["name"]
    fmt = next((candidate for candidate, expected in FILE_NAMES.items() if expected == name), None)
    return ClientFile(key=key, day=match["day"], name=name, format=fmt)


def landing_keys_of_day(store: ObjectStore, day: str) -> list[str]:
    """Every object delivered for ``day`` (unexpected names included, so that they get quarantined)."""
    return [info.key for info in store.list(lake.landing_prefix(LANDING_ZONE, day))]


def bronze_tables() -> list[BronzeTable]:
    return [*BRONZE_TABLES.values(), QUARANTINE_TABLE]
