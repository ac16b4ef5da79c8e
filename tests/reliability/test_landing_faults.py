"""Landing faults of issue 11: file ids from the full key, no client data in header errors, RFC 4180
quoting, CSV header matched by name.

Each test delivers files to a small lake and dispatches the same S3 events a run would, then reads
what landed (bronze, manifests, reason files), never the code's internals.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from core.backend import build_backend
from core.settings import Settings
from core.storage import LocalObjectStore
from ingestion.manifest import read_manifests
from orchestration.dispatcher import dispatch_object_created

pytestmark = [pytest.mark.spark]
DAY = "2025-06-02"
HEADER = "id_funcionario,nome,cpf,idade,ativo,salario,data_referencia\n"
RAW_CPF = "529.982.247-25"


def _deliver(lake: Path, files: dict[str, bytes]) -> LocalObjectStore:
    backend = build_backend(Settings(lake=lake))
    store = LocalObjectStore(lake)
    for key, content in files.items():
        path = lake / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    for key in files:
        dispatch_object_created(backend, key)
    return store


def _bronze(lake: Path) -> list[tuple[str, int, str | None]]:
    with duckdb.connect() as connection:
        rows = connection.execute(
            f"select source_file, id_funcionario, nome from read_parquet('{lake}/bronze/partner_csv/**/*.parquet') order by all"
        ).fetchall()
    return [(str(source), int(identifier), name) for source, identifier, name in rows]


@pytest.mark.slow  # four files, four Spark jobs
def test_files_whose_names_collide_today_each_keep_their_identity(tmp_path: Path, spark: object) -> None:
    keys = {
        f"landing/sftp/x__y/{DAY}/z.csv": 1,
        f"landing/sftp/x/{DAY}/y__z.csv": 2,
        f"landing/sftp/acme/{DAY}/extra.csv": 3,
        f"landing/sftp/acme/{DAY}/extra.CSV": 4,
    }
    store = _deliver(
        tmp_path, {key: f"{HEADER}{number},Ana,,30,true,10.00,2025-05-01\n".encode() for key, number in keys.items()}
    )
    assert sorted(_bronze(tmp_path)) == sorted((key, number, "Ana") for key, number in keys.items())
    manifests = read_manifests(store, "partner_csv", DAY)
    assert sorted(manifest.key for manifest in manifests) == sorted(keys)
    assert len({manifest.file_id for manifest in manifests}) == len(keys)


def test_a_headerless_file_leaves_no_client_data_in_manifest_or_reason(tmp_path: Path, spark: object) -> None:
    key = f"landing/sftp/acme/{DAY}/sem_cabecalho.csv"
    store = _deliver(tmp_path, {key: f"1,Maria Souza,{RAW_CPF},30,true,10.00,2025-05-01\n".encode()})
    [manifest] = read_manifests(store, "partner_csv", DAY)
    assert manifest.status == "quarantined" and "data" in (manifest.reason or "")
    written = [path.read_text(errors="replace") for path in (tmp_path / "reports").rglob("*.json")]
    written += [path.read_text(errors="replace") for path in (tmp_path / "quarantine").rglob("*.json")]
    for text in written:
        assert RAW_CPF not in text and "Maria Souza" not in text


def test_quoted_fields_follow_rfc_4180(tmp_path: Path, spark: object) -> None:
    key = f"landing/sftp/acme/{DAY}/aspas.csv"
    content = (
        HEADER
        + '1,"Ana ""Zica"" Souza",,30,true,10.00,2025-05-01\n'
        + '2,"Souza, Irmão",,30,true,10.00,2025-05-01\n'
        + '3,"Linha\nQuebrada",,30,true,10.00,2025-05-01\n'
        + "4,Bia,,30,true,10.00,2025-05-01\n"
    )
    store = _deliver(tmp_path, {key: content.encode()})
    [manifest] = read_manifests(store, "partner_csv", DAY)
    assert (manifest.rows_read, manifest.rows_landed, manifest.rows_quarantined) == (4, 4, 0)
    assert [name for _key, _id, name in _bronze(tmp_path)] == ['Ana "Zica" Souza', "Souza, Irmão", "Linha\nQuebrada", "Bia"]


def test_a_client_csv_with_its_columns_in_another_order_is_accepted(tmp_path: Path) -> None:
    import datetime as dt

    from ingestion.client_health.sample_data import write_client_health_day

    [_parquet, csv_path, _json] = sorted(
        write_client_health_day(tmp_path / "landing", dt.date.fromisoformat(DAY), 20, 3), key=lambda p: p.suffix != ".parquet"
    )
    csv_path = tmp_path / "landing" / "client_health" / DAY / "clientes.csv"
    lines = csv_path.read_text().splitlines()
    reordered = ["|".join(reversed(line.split("|"))) for line in lines]
    csv_path.write_text("\n".join(reordered) + "\n")
    from core.gate import LocalDayGate
    from ingestion.client_health.landing import handle_arrival

    class NoJob:
        def start_job_run(self, job_name: str, arguments: dict[str, str]) -> str:
            return "jr"

    store = LocalObjectStore(tmp_path)
    key = f"landing/client_health/{DAY}/clientes.csv"
    info = store.head(key)
    outcome = handle_arrival(
        store, LocalDayGate(tmp_path), NoJob(), lake_uri=str(tmp_path), job_name="j", key=key,
        size=info.size, etag=info.etag, event_time="2025-06-02T09:00:00.000Z",
    )  # fmt: skip
    assert outcome.action != "quarantined", json.dumps(outcome.detail)
