"""The positional day end to end: seven files through the Lambda handler, the gate starting the day job
once, dbt building gold.contract_plans, publication to the lake and to OpenSearch, the job record and the
SLA. Gold is checked against the contracts computed here from the raw fixed-width lines. Two dbt builds
in all (the gated run and one rerun), shared by the module."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from core.backend import build_backend
from core.launchers import LocalJobLauncher
from core.settings import Settings
from core.storage import LocalObjectStore
from glue_jobs import positional_day as glue_positional_day
from ingestion.positional.sample_data import write_sample_day
from jobs.job_record import read_job_record
from jobs.positional_day import run_positional_day
from jobs.sla_check import MET, MISSED, check_sla
from lambdas.positional_to_parquet.handler import handler
from orchestration.events import object_created_event
from tests.support.fake_opensearch import FakeOpenSearch, running_fake_opensearch

pytestmark = pytest.mark.slow

DAY = "2024-01-15"
JOB = "positional-day"
INDEX = "contract_plans"
ROWS = 400
# The job's clock: it runs at 10:00 in Sao Paulo (13:00 UTC), one second per reading.
JOB_START = dt.datetime(2024, 1, 15, 13, 0, tzinfo=dt.UTC)
Row = dict[str, Any]


@dataclass(frozen=True)
class Snapshot:
    record: dict[str, Any]
    gold_target: str
    gold_digest: str
    documents: dict[str, dict[str, Any]]


@dataclass(frozen=True)
class PositionalDay:
    root: Path
    landing: list[str]
    runs: list[tuple[str, str, dict[str, str]]]
    outcomes: list[dict[str, Any]]
    first: Snapshot
    rerun: Snapshot


def _contracts_from_raw_lines(root: Path) -> tuple[list[Row], int, int]:
    """Gold as the business rule reads: the valid contract lines (positions 1-10, 11-15, 16-25, 26-29),
    the latest line per contract, without BASICO (cut to BASIC by the 5-character field), joined with the
    plan catalog (positions 1-4, 5-34, 35-44 with two implied decimals). Also: invalid and BASIC lines."""
    contracts_text = (root / f"landing/positional/{DAY}/CONTRATOS_20240115.TXT").read_bytes().decode("cp1252")
    plans_text = (root / f"landing/positional/{DAY}/PLANOS_20240115.TXT").read_text(encoding="utf-8")
    plans = {
        int(line[0:4]): (line[4:34].strip(), Decimal(int(line[34:44])).scaleb(-2))
        for line in plans_text.split("\n")
        if line
    }
    latest: dict[str, Row] = {}
    invalid = 0
    for line in contracts_text.split("\r\n")[:-1]:
        numero, plano, descricao, id_plano = line[0:10], line[10:15], line[15:25], line[25:29]
        if len(line) != 29 or not numero.strip() or not plano.strip() or not re.fullmatch(r"\d+", id_plano):
            invalid += 1
            continue
        latest[numero.strip()] = {
            "numero_contrato": numero.strip(),
            "plano": plano.strip(),
            "descricao": descricao.strip() or None,
            "id_plano": int(id_plano),
        }
    basic = sum(row["plano"].upper() in {"BASIC", "BASICO"} for row in latest.values())
    expected = [
        {**row, "nome_plano": plans[row["id_plano"]][0], "valor_mensal": plans[row["id_plano"]][1]}
        for number, row in sorted(latest.items())
        if row["plano"].upper() not in {"BASIC", "BASICO"} and row["id_plano"] in plans
    ]
    return expected, invalid, basic


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(item for item in folder.rglob("*") if item.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _snapshot(root: Path, record: dict[str, Any], fake: FakeOpenSearch) -> Snapshot:
    link = root / "gold" / INDEX
    documents = {key: copy.deepcopy(item.source) for key, item in fake.indices[INDEX].documents.items()}
    return Snapshot(record, str(link.readlink()), _tree_digest(link.resolve()), documents)


def _clock() -> Iterator[dt.datetime]:
    return (JOB_START + dt.timedelta(seconds=second) for second in itertools.count())


@pytest.fixture(scope="module")
def positional_day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PositionalDay]:
    root = tmp_path_factory.mktemp("positional-day") / "lake"
    store = LocalObjectStore(root)
    patch = pytest.MonkeyPatch()
    with running_fake_opensearch() as fake:
        for name, value in {
            "LAKEHOUSE_BACKEND": "local",
            "LAKEHOUSE_LAKE": str(root),
            "LAKEHOUSE_GLUE_JOB_POSITIONAL": JOB,
            "LAKEHOUSE_OPENSEARCH_URL": fake.url,
        }.items():
            patch.setenv(name, value)
        ticks = _clock()
        records: list[dict[str, Any]] = []

        def day_job(options: dict[str, str]) -> None:
            records.append(run_positional_day(build_backend(Settings()), options["day"], clock=lambda: next(ticks)))

        launcher = LocalJobLauncher({JOB: day_job})
        patch.setattr("core.backend.local_glue_launcher", lambda _settings, _layout: launcher)
        try:
            keys = write_sample_day(store, DAY, rows=ROWS, seed=20240115)
            outcomes = []
            for key in [*keys, keys[0]]:  # the last one a duplicate event after the day has started
                info = store.head(key)
                event = object_created_event(
                    "lakehouse-local", key, info.size, info.etag, f"{DAY}T12:00:00.000Z"
                )
                outcomes.extend(handler(event, None))
            first = _snapshot(root, records[-1], fake)
            rerun = _snapshot(root, run_positional_day(build_backend(Settings()), DAY, clock=lambda: next(ticks)), fake)
            yield PositionalDay(root, keys, list(launcher.runs), outcomes, first, rerun)
        finally:
            patch.undo()


def test_the_gate_started_the_day_job_once_and_it_succeeded(positional_day: PositionalDay) -> None:
    assert [(job, arguments) for _run_id, job, arguments in positional_day.runs] == [(JOB, {"--day": DAY})]
    started = [outcome["job_run_id"] for outcome in positional_day.outcomes if outcome["job_run_id"]]
    assert started == [positional_day.runs[0][0]]
    record = positional_day.first.record
    assert record["status"] == "succeeded", record["errors"]
    assert record["dbt"]["models"] == {
        "stg_positional__contracts": "success",
        "stg_positional__plan_catalog": "success",
        "contract_plans": "success",
    }
    assert record["dbt"]["tests"]["failed"] == []
    assert (record["started_at"], record["finished_at"]) == (
        "2024-01-15T13:00:00+00:00",
        "2024-01-15T13:00:01+00:00",
    )
    assert (
        read_job_record(LocalObjectStore(positional_day.root), "positional", DAY)
        == positional_day.rerun.record
    )


def test_gold_is_the_non_basico_contracts_joined_with_their_plan(positional_day: PositionalDay) -> None:
    expected, invalid, basic = _contracts_from_raw_lines(positional_day.root)
    contracts = next(item for item in positional_day.outcomes if item["layout"] == "contracts")
    assert invalid == contracts["rows_quarantined"] > 0  # the oracle rejects the lines the converter did
    assert basic > 0  # BASICO contracts were delivered, as BASIC

    gold_file = positional_day.root / "gold" / INDEX / "data_0.parquet"
    gold = sorted(pq.read_table(gold_file).to_pylist(), key=lambda row: row["numero_contrato"])

    assert gold == expected
    assert len(gold) == contracts["rows_landed"] - basic
    assert not {row["plano"] for row in gold} & {"BASIC", "BASICO"}
    assert positional_day.first.record["gold"] == [
        {
            "table": "gold.contract_plans",
            "rows": len(expected),
            "version": positional_day.first.gold_target.rsplit("/", 1)[-1],
        }
    ]


def test_opensearch_holds_one_document_per_gold_row(positional_day: PositionalDay) -> None:
    expected, _, _ = _contracts_from_raw_lines(positional_day.root)
    as_documents = {
        row["numero_contrato"]: {**row, "valor_mensal": float(row["valor_mensal"])} for row in expected
    }

    assert positional_day.first.documents == as_documents
    opensearch = positional_day.first.record["opensearch"]
    assert (opensearch["status"], opensearch["documents"]) == ("published", len(expected))


def test_a_rerun_changes_no_document_and_no_gold_byte(positional_day: PositionalDay) -> None:
    first, rerun = positional_day.first, positional_day.rerun
    assert rerun.record["status"] == "succeeded"
    assert rerun.documents == first.documents
    assert rerun.record["opensearch"]["results"] == {"updated": len(first.documents)}
    assert (rerun.gold_target, rerun.gold_digest) == (first.gold_target, first.gold_digest)
    assert rerun.record["first_succeeded_at"] == first.record["finished_at"]


def test_the_job_record_answers_the_sla(positional_day: PositionalDay) -> None:
    store = LocalObjectStore(positional_day.root)
    noon = dt.datetime(2024, 1, 15, 15, 0, tzinfo=dt.UTC)
    finished_local = dt.time(10, 0, 1)  # 13:00:01 UTC

    met = check_sla(store, DAY, dt.time(10, 30), noon, emit=lambda _line: None)
    assert (met.status, met.succeeded_at) == (MET, "2024-01-15T13:00:01+00:00")
    assert check_sla(store, DAY, finished_local, noon, emit=lambda _line: None).status == MET
    assert check_sla(store, DAY, dt.time(9, 59), noon, emit=lambda _line: None).status == MISSED


def test_a_job_that_cannot_run_still_leaves_a_failed_record(tmp_path: Path) -> None:
    root = tmp_path / "lake"
    (root / "catalog.duckdb").mkdir(parents=True)  # the catalog cannot be opened: nothing is built

    with pytest.raises(SystemExit) as exited:
        glue_positional_day.main(["positional_day.py", "--day", DAY, "--lake_uri", str(root)])

    assert exited.value.code == 1
    record = read_job_record(LocalObjectStore(root), "positional", DAY)
    assert record is not None
    assert (record["status"], record["dbt"], record["first_succeeded_at"]) == ("failed", None, None)
    assert record["gold"].startswith("not published")
    assert record["opensearch"]["status"] == "skipped"
    assert record["errors"] and "catalog.duckdb" in record["errors"][0]
    assert not (root / "gold" / INDEX).exists()
    late = dt.datetime(2024, 1, 15, 15, 1, tzinfo=dt.UTC)
    assert check_sla(LocalObjectStore(root), DAY, dt.time(12), late, emit=lambda _line: None).status == MISSED

