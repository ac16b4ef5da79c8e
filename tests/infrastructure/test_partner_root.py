"""On AWS, Transfer Family writes a file a partner puts at its root without a date folder; the landing
handler moves it into the folder of its arrival day in Sao Paulo (the local SFTP server's rule), and
the move's own event lands it like any dated upload."""

from __future__ import annotations

from pathlib import Path

from core.storage import LocalObjectStore
from ingestion.partner_csv.landing import dated_key, handle_upload
from tests.infrastructure.test_contracts import RecordingGlue

CSV = b"id_funcionario,nome,cpf,idade,ativo,salario,data_referencia\n1,Ana,,30,true,1000.00,2025-03-01\n"


def test_a_root_upload_moves_to_its_sao_paulo_day_and_then_lands(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.write_bytes("landing/sftp/acme/salarios.csv", CSV)
    glue = RecordingGlue()
    late_evening = "2025-03-11T01:30:00.000Z"  # 22:30 on the 10th in Sao Paulo
    info = store.head("landing/sftp/acme/salarios.csv")
    arguments = {"lake_uri": "s3://lake", "job_name": "partner-csv-to-bronze", "size": info.size, "etag": info.etag, "event_time": late_evening}
    moved = handle_upload(store, glue, key="landing/sftp/acme/salarios.csv", **arguments)  # type: ignore[arg-type]
    assert (moved.action, moved.detail) == ("redated", "landing/sftp/acme/2025-03-10/salarios.csv")
    assert not store.exists("landing/sftp/acme/salarios.csv")
    assert store.read_bytes("landing/sftp/acme/2025-03-10/salarios.csv") == CSV
    again = handle_upload(store, glue, key="landing/sftp/acme/salarios.csv", **arguments)  # type: ignore[arg-type]
    assert again.action == "duplicate" and glue.runs == []
    landed = handle_upload(store, glue, key="landing/sftp/acme/2025-03-10/salarios.csv", **arguments)  # type: ignore[arg-type]
    assert landed.action == "job_started"
    assert glue.runs[0][1]["--day"] == "2025-03-10"


def test_a_dated_key_is_left_where_it_is() -> None:
    assert dated_key("landing/sftp/acme/2025-03-10/salarios.csv", "2025-03-11T01:30:00Z") is None
