"""Deterministic employee rows in the shape of ``serving.mysql.EMPLOYEES_TABLE``, with awkward text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa

NAMES = ["João D'Ávila", "Ana \\ Backslash", 'Zé "Aspas"', "Maria; DROP TABLE x; --", "Łukasz 😀", None]

SCHEMA = pa.schema(
    [
        ("partner", pa.string()),
        ("id_funcionario", pa.int64()),
        ("data_referencia", pa.date32()),
        ("nome", pa.string()),
        ("cpf_mascarado", pa.string()),
        ("idade", pa.int32()),
        ("ativo", pa.bool_()),
        ("salario", pa.decimal128(12, 2)),
        ("source_file", pa.string()),
        ("source_line", pa.int64()),
        ("ingested_at", pa.timestamp("us", tz="UTC")),
    ]
)


def employee_batch(start: int, count: int, *, salary_bump: int = 0) -> pa.RecordBatch:
    ids = range(start, start + count)
    moment = dt.datetime(2024, 5, 2, 12, 30, 15, 123456, tzinfo=dt.UTC)
    return pa.record_batch(
        [
            pa.array(["acme" if i % 3 else "beta" for i in ids]),
            pa.array(list(ids), pa.int64()),
            pa.array([dt.date(2024, 1 + i % 12, 1) for i in ids], pa.date32()),
            pa.array([NAMES[i % len(NAMES)] for i in ids]),
            pa.array([None if i % 5 == 0 else f"***.{i % 1000:03d}.{i % 997:03d}-**" for i in ids]),
            pa.array([18 + i % 60 for i in ids], pa.int32()),
            pa.array([i % 2 == 0 for i in ids]),
            pa.array(
                [Decimal(f"{1000 + i % 9000 + salary_bump}.{i % 100:02d}") for i in ids], pa.decimal128(12, 2)
            ),
            pa.array([f"landing/sftp/acme/2024-05-02/f{i % 4}.csv" for i in ids]),
            pa.array([i + 2 for i in ids], pa.int64()),
            pa.array([moment] * count, pa.timestamp("us", tz="UTC")),
        ],
        schema=SCHEMA,
    )


def batches(total: int, size: int, *, salary_bump: int = 0) -> list[pa.RecordBatch]:
    return [employee_batch(s, min(size, total - s), salary_bump=salary_bump) for s in range(0, total, size)]
