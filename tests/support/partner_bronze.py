"""Partner CSV bronze written directly (no Spark), with its manifest: dbt tests start from here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from core.layout import LandedFile
from core.storage import LocalObjectStore
from ingestion.manifest import FileManifest, write_manifest
from ingestion.partner_csv.contract import BRONZE_SCHEMA

# (id_funcionario, idade, ativo, salario, data_referencia)
EmployeeRow = tuple[int, int, bool, str, str]


def write_partner_bronze(
    lake: Path,
    day: str,
    file_id: str,
    rows: list[EmployeeRow],
    ingested_at: str,
    partner: str = "p",
    names: Mapping[int, str] | None = None,
) -> None:
    """One landed partner file of ``day``: its bronze Parquet and a manifest that reconciles; ``names``
    (employee -> name) names the employees, "Nome" otherwise."""
    key = f"landing/sftp/{partner}/{day}/{file_id}.csv"
    landed_id = LandedFile(key=key, day=day, name=f"{file_id}.csv", owner=partner).file_id
    table = pa.Table.from_pylist(
        [
            {
                "id_funcionario": employee,
                "nome": (names or {}).get(employee, "Nome"),
                "cpf": None,
                "idade": age,
                "ativo": active,
                "salario": Decimal(salary),
                "data_referencia": dt.date.fromisoformat(reference),
                "partner": partner,
                "source_file": key,
                "source_line": line,
                "ingested_at": dt.datetime.fromisoformat(ingested_at),
            }
            for line, (employee, age, active, salary, reference) in enumerate(rows, start=2)
        ],
        schema=BRONZE_SCHEMA,
    )
    target = lake / "bronze" / "partner_csv" / f"ingestion_date={day}" / f"{landed_id}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, target)
    write_manifest(
        LocalObjectStore(lake),
        FileManifest(
            "partner_csv", day, landed_id, key, "etag", "landed", len(rows), len(rows), 0
        ),
    )
