"""Two days of client files in which clients change plan, for the incremental client_health tests on
both targets (``tests/client_health/test_incremental.py`` locally, ``tests/sandbox/
test_client_health_days_on_sandbox.py`` on the sandbox's Athena).

Day 1: MOVER in Amil, LONER alone in a plan of its own ("Plano Único"), STAYER in SUS. Day 2: MOVER and
LONER move (later registrations), so Amil loses a client and "Plano Único" loses its only one; STAYER
sends an older record, which does not win."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import SecretStr
from pyspark.sql import SparkSession

from glue_jobs.client_health_to_bronze import run_job
from ingestion.client_health.contract import delivered_schema
from ingestion.client_health.pseudonym import PseudonymKey
from ingestion.client_health.sample_data import generate_tables, write_tables
from ingestion.cpf import format_cpf, generate_cpf

DAY_1, DAY_2 = "2025-06-01", "2025-06-02"
KEY = "incremental-test-key"
# The client_health lineage and the quarantine, with the tests whose parents are all in it.
SELECT = ["--select", "+client_health", "int_client_health__quarantined"]
_cpfs = random.Random(14)
MOVER, LONER, STAYER = (generate_cpf(_cpfs, punctuated=False) for _ in range(3))
LONE_CONVENIO = "Plano Unico"  # as gold spells it (accents removed)


def _client(cpf: str, registered: str, convenio: str, city: str) -> dict[str, Any]:
    return {
        "documento_cpf": format_cpf(cpf), "nome_completo": "Ana Souza", "data_nascimento": "1980-01-01",
        "data_cadastro": registered, "sexo": "Fem", "uf": "SP", "pais": "Brasil", "logradouro": "Rua A",
        "numero": 1, "bairro": "Centro", "cidade": city, "convenio": convenio,
    }  # fmt: skip


DAYS = {
    DAY_1: [
        _client(MOVER, "2025-05-01T10:00:00", "Amil", "Recife"),
        _client(LONER, "2025-05-01T10:00:00", "Plano Único", "Natal"),
        _client(STAYER, "2025-05-01T10:00:00", "SUS", "Santos"),
    ],
    DAY_2: [
        _client(MOVER, "2025-05-30T10:00:00", "Unimed", "Olinda"),
        _client(LONER, "2025-05-30T10:00:00", "SUS", "Natal"),
        _client(STAYER, "2024-01-01T10:00:00", "Hapvida", "Santos"),
    ],
}
SEEDS = {day: seed for seed, day in enumerate(DAYS, start=1)}


def land_day(spark: SparkSession, lake: Path, day: str) -> None:
    """The day's sample client files (60 generated clients and the three above) landed, then the
    client-files Glue job's body writes the day's bronze (ids computed with KEY) into the local lake."""
    tables = generate_tables(60, dt.date.fromisoformat(day), seed=SEEDS[day])
    extra = pa.Table.from_pylist(DAYS[day], schema=delivered_schema("parquet"))
    write_tables({**tables, "parquet": pa.concat_tables([tables["parquet"], extra])}, lake / "landing" / "client_health" / day)
    run_job(spark, {"lake_uri": str(lake), "day": day, "ingested_at": f"{day}T09:00:00.000Z"}, PseudonymKey(SecretStr(KEY)))
