"""The latest-state silver tables (macros/latest_state.sql) on the aws target (dbt-athena on the sandbox):
positional contracts delivered over three days, then day 2 delivered again without some of its contracts
(a corrected file) and rebuilt after day 3. Each build rewrites only the key-bucket partitions its rows
touch; a bucket left without any row loses its partition; the table equals the local build and a
``--full-refresh``, row for row."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.backend import Backend, build_backend
from core.registry import all_bronze_tables
from core.settings import Backend as BackendName
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.positional.converter import convert_file, landing_key
from ingestion.positional.layout import default_layouts
from ingestion.positional.sample_data import FILES, render_record, sample_file_name
from jobs.dbt import DbtSummary, run_dbt_on
from sandbox import Sandbox
from sandbox.lake import upload_folders
from tests.support.sandbox import query_as_text, sandbox_lake

pytestmark = pytest.mark.slow

BUCKET = "sandbox-latest-state"
MODEL = "stg_positional__contracts"
# The model and its own tests (the plan relationship needs the plan catalog, not built here).
SELECT = ["--select", MODEL, "--indirect-selection", "cautious"]
DAY_1, DAY_2, DAY_3 = "2025-07-01", "2025-07-02", "2025-07-03"
ORDER = "numero_contrato"


def _bucket(number: str) -> str:
    return hashlib.md5(number.encode()).hexdigest()[0]


# Day 2 re-delivers day 1's contracts 1-3 and adds 4 and 5; its correction keeps only 1 and 4, so 2 and 3
# fall back to day 1's delivery and 5 (delivered on day 2 only) is gone. ALONE's bucket holds no other
# contract: the correction empties it.
ALONE = next(f"{number:010d}" for number in range(100, 10_000) if _bucket(f"{number:010d}") not in {
    _bucket(f"{other:010d}") for other in (1, 2, 3, 4, 6)
})  # fmt: skip
DELIVERIES = {
    DAY_1: {"0000000001": 3, "0000000002": 2, "0000000003": 5},
    DAY_2: {"0000000001": 5, "0000000002": 1, "0000000003": 6, "0000000004": 4, ALONE: 2},
    DAY_3: {"0000000006": 3},
}
CORRECTED_DAY_2 = {"0000000001": 5, "0000000004": 4}


@dataclass
class History:
    columns: list[str] = field(default_factory=list)
    aws_builds: list[DbtSummary] = field(default_factory=list)
    aws: dict[str, list[list[str | None]]] = field(default_factory=dict)  # step -> rows on Athena
    local: dict[str, list[list[str | None]]] = field(default_factory=dict)  # step -> rows locally
    partitions: dict[str, set[str]] = field(default_factory=dict)  # step -> key buckets in Glue


def _deliver(lake: Path, day: str, contracts: dict[str, int]) -> None:
    store, layout = LocalObjectStore(lake), default_layouts()["contracts"]
    encoding, terminator, _ = FILES["contracts"]
    lines = [
        render_record(
            layout.fields,
            layout.record_length,
            {"numero_contrato": number, "plano": "PLENO", "descricao": "Individual", "id_plano": plan},
        )
        for number, plan in contracts.items()
    ]
    key = landing_key(day, sample_file_name(layout, dt.date.fromisoformat(day)))
    store.write_bytes(key, terminator.join([*lines, ""]).encode(encoding))
    assert convert_file(store, key).rows_landed == len(contracts)


def _build(backend: Backend, day: str | None, *extra: str) -> DbtSummary:
    summary = run_dbt_on(backend, ["build", *SELECT, *extra], day=day)
    assert summary.success, (backend.dbt_target, day, summary.failures)
    return summary


def _partitions(glue: Any) -> set[str]:
    pages = glue.get_paginator("get_partitions").paginate(DatabaseName="silver", TableName=MODEL)
    return {partition["Values"][0] for page in pages for partition in page["Partitions"]}


@pytest.fixture(scope="module")
def history(aws_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    with sandbox_lake(aws_sandbox, BUCKET) as bucket:
        lake = tmp_path_factory.mktemp("latest-state-local") / "lake"
        (lake / "silver").mkdir(parents=True)
        local = build_backend(Settings().for_lake(lake))
        aws = build_backend(
            Settings(backend=BackendName.AWS, bucket=BUCKET, lake=tmp_path_factory.mktemp("latest-state-aws"))
        )
        aws_query, local_query = ["--backend", "aws", "--bucket", BUCKET], ["--lake", str(lake)]
        result = History()
        steps = [(DAY_1, DELIVERIES[DAY_1]), (DAY_2, DELIVERIES[DAY_2]), (DAY_3, DELIVERIES[DAY_3])]
        steps.append((DAY_2, CORRECTED_DAY_2))
        for step, (day, contracts) in enumerate(steps, start=1):
            _deliver(lake, day, contracts)
            tables = all_bronze_tables(lake.resolve())
            local.catalog.register_bronze(tables)
            _build(local, day)
            upload_folders(lake, ["bronze"], BUCKET, bucket.s3)
            aws.catalog.register_bronze(tables)
            result.aws_builds.append(_build(aws, day))
            name = f"step {step}"
            result.columns, result.local[name] = query_as_text(local_query, f"select * from silver.{MODEL} order by {ORDER}")
            select = ", ".join(result.columns)
            result.aws[name] = query_as_text(aws_query, f"select {select} from silver.{MODEL} order by {ORDER}")[1]
            result.partitions[name] = _partitions(bucket.glue)
        _build(aws, None, "--full-refresh")
        result.aws["full refresh"] = query_as_text(aws_query, f"select {select} from silver.{MODEL} order by {ORDER}")[1]
        result.partitions["full refresh"] = _partitions(bucket.glue)
        yield result


def _latest(history: History, step: str) -> dict[str | None, tuple[str | None, str | None]]:
    """Contract -> (its plan, the day whose delivery won)."""
    at = {name: history.columns.index(name) for name in ("numero_contrato", "id_plano", "ingestion_date")}
    return {row[at["numero_contrato"]]: (row[at["id_plano"]], row[at["ingestion_date"]]) for row in history.aws[step]}


def test_each_step_on_athena_equals_the_local_build(history: History) -> None:
    assert history.aws and set(history.aws) - {"full refresh"} == set(history.local)
    for step, rows in history.local.items():
        assert history.aws[step] == rows, step


def test_the_corrected_day_falls_back_to_earlier_deliveries_and_drops_the_rest(history: History) -> None:
    assert _latest(history, "step 4") == {
        "0000000001": ("5", DAY_2),
        "0000000002": ("2", DAY_1),  # day 2's delivery withdrawn: day 1's is the latest again
        "0000000003": ("5", DAY_1),
        "0000000004": ("4", DAY_2),
        "0000000006": ("3", DAY_3),
    }
    assert _bucket(ALONE) in history.partitions["step 3"]
    assert _bucket(ALONE) not in history.partitions["step 4"]  # emptied: its partition removed


def test_partitions_are_the_key_buckets_and_a_full_refresh_gives_the_same_table(history: History) -> None:
    bucket = history.columns.index("key_bucket")
    assert history.columns[-1] == "key_bucket"  # the partition column last, as Athena requires
    for step, rows in history.aws.items():
        assert history.partitions[step] == {row[bucket] for row in rows}, step
    assert history.aws["full refresh"] == history.aws["step 4"]
