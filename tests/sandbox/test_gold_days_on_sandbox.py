"""Every gold table built on the aws target (dbt-athena on the sandbox) equals the local build (DuckDB),
row for row, over two consecutive days whose deliveries overlap: day 2 re-delivers day-1 keys with new
values and adds new keys, and the latest delivery must win on both engines.

Each day lands bronze in a local lake the way the jobs do (the positional converter, the Aurora
extraction, the client-files Glue job's body; partner bronze written directly), then dbt builds every
gold table's lineage with its tests on both targets with the day given (``SELECT``), and both publish
gold. The aws side reads the same bronze, uploaded to the sandbox bucket and registered in Glue, as the
Glue jobs do.

- Positional: contract 1 moves from PLENO to PREMIUM, contract 2 to BASICO (so it leaves
  gold.contract_plans), contract 4 from BASICO to SUPERIOR (so it enters it), contract 5 is new; the plan
  catalog re-delivered with a new PREMIUM price reprices contract 3, which was not re-delivered.
- Aurora (a full snapshot per extraction): every open bill is paid, a contract moves to a new seller and
  a new contract is signed by that seller.
- Partner CSV: seller 100001 renamed with a higher salary for the same reference month, seller 100002
  appears.
- Client files: clients change plan (``tests/client_health/plan_changes.py``)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pyspark.sql import SparkSession

from core.backend import Backend, build_backend
from core.registry import all_bronze_tables
from core.settings import Backend as BackendName
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.aurora.demo_db import DemoKeys, create_demo_database
from ingestion.aurora.extract import extract_tables
from ingestion.positional.converter import convert_file, landing_key
from ingestion.positional.layout import default_layouts
from ingestion.positional.sample_data import FILES, render_record, sample_file_name
from jobs.dbt import DbtSummary, built_gold_models, run_dbt_on
from sandbox import Sandbox
from sandbox.lake import upload_folders
from tests.client_health.plan_changes import DAY_1, DAY_2, land_day
from tests.support.partner_bronze import EmployeeRow, write_partner_bronze
from tests.support.sandbox import query_as_text, sandbox_lake

pytestmark = [pytest.mark.slow, pytest.mark.spark]

BUCKET = "sandbox-gold-days"
DAYS = (DAY_1, DAY_2)  # the client-files days: every source delivers on both
UPLOADED = ["bronze", "quarantine", "reports/manifests"]
# Every gold table's lineage and the manifests, with the tests whose parents are all in it: the whole
# project but the five positional staging models no gold table reads (they would double the aws build's
# time; tests/sandbox/test_dbt_build_on_sandbox.py builds them on the sandbox).
SELECT = [
    "--select",
    "+contract_plans",
    "+seller_contracts",
    "+salary_averages",
    "+int_partner_csv__employees_latest",
    "+client_health",
    "+int_client_health__quarantined",
    "stg_ingestion__manifests",
    "--indirect-selection",
    "cautious",
]
# Gold table -> its order (the key), as tests/aws_path/test_aws_run.py compares the demo day.
GOLD_TABLES = {
    "contract_plans": "numero_contrato",
    "seller_contracts": "id_funcionario_vendedor, ano, mes",
    "salary_averages": "ano, mes, idade, ativo",
    "client_health": "id",
}

# Positional deliveries: contracts (number, plan id) and the plan catalog's prices.
PLAN_NAMES = {1: "BASICO", 2: "CLASSICO", 3: "PLENO", 4: "SUPERIOR", 5: "PREMIUM", 6: "EXECUTIVO"}
CONTRACTS = {
    DAY_1: {"0000000001": 3, "0000000002": 2, "0000000003": 5, "0000000004": 1},
    DAY_2: {"0000000001": 5, "0000000002": 1, "0000000004": 4, "0000000005": 6},
}
PRICES = {
    DAY_1: {1: "189.90", 2: "329.50", 3: "459.00", 4: "689.90", 5: "1249.00", 6: "1899.99"},
    DAY_2: {1: "189.90", 2: "329.50", 3: "459.00", 4: "689.90", 5: "1349.00", 6: "1899.99"},
}
# gold.contract_plans after each day: number -> (id_plano, valor_mensal), BASICO left out.
EXPECTED_PLANS = {
    DAY_1: {"0000000001": ("3", "459.00"), "0000000002": ("2", "329.50"), "0000000003": ("5", "1249.00")},
    DAY_2: {
        "0000000001": ("5", "1349.00"),
        "0000000003": ("5", "1349.00"),
        "0000000004": ("4", "689.90"),
        "0000000005": ("6", "1899.99"),
    },
}

# Partner deliveries (employee, idade, ativo, salario, data_referencia) and the sellers' names.
RENAMED, NEWCOMER = 100001, 100002
PARTNER_ROWS: dict[str, list[EmployeeRow]] = {
    DAY_1: [(100000, 30, True, "3000.00", "2025-05-01"), (RENAMED, 40, True, "4000.00", "2025-05-01")],
    DAY_2: [(RENAMED, 40, True, "4500.00", "2025-05-01"), (NEWCOMER, 50, False, "5000.00", "2025-06-01")],
}
SELLER_NAMES = {
    DAY_1: {100000: "Ana Lima", RENAMED: "Bruno Reis"},
    DAY_2: {RENAMED: "Bruno Reis Filho", NEWCOMER: "Carla Dias"},
}
AURORA_CONTRACTS = 60
NEW_CONTRACT = "0000099999"

Gold = tuple[list[str], list[list[str | None]]]  # columns, rows as text


@dataclass
class History:
    builds: dict[tuple[str, str], DbtSummary] = field(default_factory=dict)  # (target, day) -> build
    aws_gold: dict[tuple[str, str], Gold] = field(default_factory=dict)  # (table, day) -> published on Athena
    local_gold: dict[tuple[str, str], Gold] = field(default_factory=dict)  # (table, day) -> published locally


def _deliver_positional(lake: Path, day: str) -> None:
    """The day's contracts and plan catalog files, converted to bronze as the positional handler does."""
    store, date = LocalObjectStore(lake), dt.date.fromisoformat(day)
    layouts = default_layouts()
    records: dict[str, list[dict[str, Any]]] = {
        "contracts": [
            {"numero_contrato": number, "plano": PLAN_NAMES[plan], "descricao": "Individual", "id_plano": plan}
            for number, plan in CONTRACTS[day].items()
        ],
        "plan_catalog": [
            {"id_plano": plan, "nome_plano": PLAN_NAMES[plan], "valor_mensal": Decimal(price)}
            for plan, price in PRICES[day].items()
        ],
    }
    for name, rows in records.items():
        layout, (encoding, terminator, _) = layouts[name], FILES[name]
        lines = [render_record(layout.fields, layout.record_length, row) for row in rows]
        key = landing_key(day, sample_file_name(layout, date))
        store.write_bytes(key, terminator.join([*lines, ""]).encode(encoding))
        manifest = convert_file(store, key, layouts)
        assert (manifest.status, manifest.rows_landed) == ("landed", len(rows)), manifest


def _change_aurora(database: Path) -> None:
    """The source the next day: every open bill paid, a contract moved to the new seller, who also signs a
    new contract."""
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.execute(
            "UPDATE pagamentos SET valor_pago = valor_cobrado, pago_em = '2025-06-02 10:00:00-03:00' "
            "WHERE valor_pago IS NULL"
        )
        connection.execute(
            f"UPDATE contratos SET id_funcionario_vendedor = {NEWCOMER} "
            "WHERE numero_contrato = (SELECT min(numero_contrato) FROM contratos)"
        )
        connection.execute(
            "INSERT INTO contratos SELECT ?, id_cliente, 2, ?, '329.50', NULL, 1, "
            "'2025-06-02 09:00:00-03:00', NULL FROM contratos ORDER BY numero_contrato LIMIT 1",
            (NEW_CONTRACT, NEWCOMER),
        )


def _deliver_aurora(lake: Path, day: str) -> None:
    database = lake.parent / "aurora.sqlite"
    if day == DAY_1:
        create_demo_database(database, day, AURORA_CONTRACTS, seed=11, keys=DemoKeys(employee_ids=[100000, RENAMED]))
    else:
        _change_aurora(database)
    manifests = extract_tables(f"sqlite:///{database}", LocalObjectStore(lake), day)
    assert [manifest.status for manifest in manifests] == ["landed"] * 3, [manifest.reason for manifest in manifests]


def _deliver_partner(lake: Path, day: str) -> None:
    write_partner_bronze(
        lake, day, "funcionarios", PARTNER_ROWS[day], f"{day}T10:00:00+00:00", "acme", SELLER_NAMES[day]
    )


def _build(backend: Backend, day: str) -> DbtSummary:
    """Every gold table's lineage on the backend's target for the day, then gold published."""
    summary = run_dbt_on(backend, ["build", *SELECT], day=day)
    assert summary.success, (backend.dbt_target, day, summary.failures)  # nothing to compare otherwise
    backend.catalog.publish_gold(built_gold_models(backend.settings))
    return summary


@pytest.fixture(scope="module")
def history(aws_sandbox: Sandbox, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    with sandbox_lake(aws_sandbox, BUCKET) as bucket:
        lake = tmp_path_factory.mktemp("gold-days-local") / "lake"
        (lake / "silver").mkdir(parents=True)  # where dbt-duckdb writes external (Parquet) silver
        local = build_backend(Settings().for_lake(lake))
        aws = build_backend(
            Settings(backend=BackendName.AWS, bucket=BUCKET, lake=tmp_path_factory.mktemp("gold-days-aws"))
        )
        aws_query, local_query = ["--backend", "aws", "--bucket", BUCKET], ["--lake", str(lake)]
        result = History()
        for day in DAYS:
            _deliver_positional(lake, day)
            _deliver_aurora(lake, day)
            _deliver_partner(lake, day)
            land_day(spark, lake, day)
            tables = all_bronze_tables(lake.resolve())  # those with no file yet are empty, as in a run
            local.catalog.register_bronze(tables)
            result.builds["local", day] = _build(local, day)
            # The day's bronze, quarantine and manifests land in the bucket and are registered, as the jobs do.
            upload_folders(lake, UPLOADED, BUCKET, bucket.s3)
            aws.catalog.register_bronze(tables)
            result.builds["aws", day] = _build(aws, day)
            for table, order in GOLD_TABLES.items():
                columns, rows = query_as_text(local_query, f"select * from gold.{table} order by {order}")
                result.local_gold[table, day] = columns, rows
                select = ", ".join(columns)
                result.aws_gold[table, day] = query_as_text(aws_query, f"select {select} from gold.{table} order by {order}")
        yield result


def _column(gold: Gold, name: str) -> list[str | None]:
    columns, rows = gold
    return [row[columns.index(name)] for row in rows]


def _by(gold: Gold, key: str, *values: str) -> dict[str | None, tuple[str | None, ...]]:
    columns, rows = gold
    return {row[columns.index(key)]: tuple(row[columns.index(value)] for value in values) for row in rows}


def test_every_build_passes_on_both_targets(history: History) -> None:
    assert set(history.builds) == {(target, day) for target in ("local", "aws") for day in DAYS}
    for build, summary in history.builds.items():
        assert summary.success, (build, summary.failures)
        assert summary.models and set(summary.models.values()) == {"success"}, (build, summary.models)
        assert set(summary.tests.values()) <= {"pass", "warn"}, (build, summary.tests)
    for day in DAYS:
        assert set(history.builds["aws", day].models) == set(history.builds["local", day].models), day
        assert set(history.builds["aws", day].tests) == set(history.builds["local", day].tests), day


def test_published_gold_on_aws_equals_the_local_build_each_day(history: History) -> None:
    for (table, day), (columns, rows) in history.local_gold.items():
        assert rows, (table, day)
        aws_columns, aws_rows = history.aws_gold[table, day]
        assert aws_columns == columns, (table, day)
        # The same rows; in the same order where the key is total (seller_contracts' is too).
        assert aws_rows == rows, (table, day)


def test_the_latest_positional_delivery_wins(history: History) -> None:
    for day in DAYS:
        gold = history.aws_gold["contract_plans", day]
        assert _by(gold, "numero_contrato", "id_plano", "valor_mensal") == EXPECTED_PLANS[day], day


def test_the_latest_aurora_snapshot_and_seller_names_win(history: History) -> None:
    first, second = history.aws_gold["seller_contracts", DAY_1], history.aws_gold["seller_contracts", DAY_2]
    names = {
        day: {seller: name for seller, (name,) in _by(gold, "id_funcionario_vendedor", "nome_vendedor").items()}
        for day, gold in ((DAY_1, first), (DAY_2, second))
    }
    assert names[DAY_1][str(RENAMED)] == "Bruno Reis" and names[DAY_2][str(RENAMED)] == "Bruno Reis Filho"
    assert str(NEWCOMER) not in names[DAY_1] and names[DAY_2][str(NEWCOMER)] == "Carla Dias"

    def total(gold: Gold, column: str, seller: int | None = None) -> Decimal:
        sellers = _column(gold, "id_funcionario_vendedor")
        values = _column(gold, column)
        return sum(
            (Decimal(value or "0") for at, value in enumerate(values) if seller is None or sellers[at] == str(seller)),
            Decimal(0),
        )

    assert total(first, "contratos_assinados") == AURORA_CONTRACTS
    assert total(second, "contratos_assinados") == AURORA_CONTRACTS + 1
    assert total(second, "contratos_assinados", NEWCOMER) == 2
    assert total(second, "valor_pago_total") > total(first, "valor_pago_total")


def test_the_latest_partner_delivery_and_client_files_win(history: History) -> None:
    def averages(day: str) -> dict[tuple[str | None, ...], str | None]:
        columns, rows = history.aws_gold["salary_averages", day]
        key = [columns.index(name) for name in ("ano", "mes", "idade")]
        return {tuple(row[at] for at in key): row[columns.index("salario_medio")] for row in rows}

    assert averages(DAY_1) == {("2025", "5", "30"): "3000.00", ("2025", "5", "40"): "4000.00"}
    assert averages(DAY_2) == {
        ("2025", "5", "30"): "3000.00",
        ("2025", "5", "40"): "4500.00",
        ("2025", "6", "50"): "5000.00",
    }
    assert history.aws_gold["client_health", DAY_2] != history.aws_gold["client_health", DAY_1]
