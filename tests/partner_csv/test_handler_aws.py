"""The Lambda handler's AWS path: S3 event in, Glue StartJobRun out (against a moto server)."""

from __future__ import annotations

import json

import boto3
import pytest

from ingestion.manifest import FileManifest
from lambdas.partner_csv_landed.handler import handler
from orchestration.events import object_created_event

BUCKET = "partner-lake"
JOB = "partner-csv-to-bronze"


@pytest.fixture
def aws(aws_environment: str, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LAKEHOUSE_BACKEND", "aws")
    monkeypatch.setenv("LAKEHOUSE_BUCKET", BUCKET)
    monkeypatch.setenv("LAKEHOUSE_GLUE_JOB_PARTNER_CSV", JOB)
    s3 = boto3.client("s3")
    glue = boto3.client("glue")
    s3.create_bucket(Bucket=BUCKET)
    existing = [job["Name"] for job in glue.get_jobs()["Jobs"]]
    if JOB not in existing:
        glue.create_job(
            Name=JOB,
            Role="arn:aws:iam::123456789012:role/glue",
            Command={"Name": "glueetl", "ScriptLocation": "s3://x/y.py"},
        )
    yield s3, glue
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])


def _deliver(s3, key: str, body: bytes) -> dict:  # type: ignore[no-untyped-def]
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    head = s3.head_object(Bucket=BUCKET, Key=key)
    return object_created_event(
        BUCKET, key, head["ContentLength"], head["ETag"].strip('"'), "2025-03-10T11:00:00.000Z"
    )


def test_valid_upload_starts_the_glue_job_with_its_arguments(aws) -> None:  # type: ignore[no-untyped-def]
    s3, glue = aws
    key = "landing/sftp/folha sul/2025-03-10/funcionários.csv"
    body = "id_funcionario;nome;cpf;idade;ativo;salario;data_referencia\r\n1;José;;30;S;1,00;01/03/2025\r\n".encode(
        "cp1252"
    )
    event = _deliver(s3, key, body)
    assert "folha+sul" in event["Records"][0]["s3"]["object"]["key"]  # URL-encoded as S3 sends it

    outcome = handler(event, None)

    assert outcome[0]["action"] == "job_started"
    runs = glue.get_job_runs(JobName=JOB)["JobRuns"]
    run = next(run for run in runs if run["Id"] == outcome[0]["detail"])
    arguments = run["Arguments"]
    assert arguments["--source_key"] == key
    assert arguments["--lake_uri"] == f"s3://{BUCKET}"
    assert arguments["--partner"] == "folha sul"
    assert arguments["--day"] == "2025-03-10"
    assert arguments["--dialect"] == "semicolon"
    assert arguments["--encoding"] == "windows-1252"
    assert arguments["--ingested_at"] == "2025-03-10T11:00:00.000Z"
    assert arguments["--etag"] == s3.head_object(Bucket=BUCKET, Key=key)["ETag"].strip('"')


def test_invalid_upload_is_quarantined_in_s3_with_its_reason_and_no_job(aws) -> None:  # type: ignore[no-untyped-def]
    s3, glue = aws
    key = "landing/sftp/acme/2025-03-10/wrong.csv"
    before = len(glue.get_job_runs(JobName=JOB)["JobRuns"])
    event = _deliver(s3, key, b"id,name\n1,a\n2,b\n")

    outcome = handler(event, None)

    assert outcome[0]["action"] == "quarantined"
    assert "line 1 is data, not a header" in outcome[0]["detail"]
    assert "name" not in outcome[0]["detail"].replace("column names", "")
    assert len(glue.get_job_runs(JobName=JOB)["JobRuns"]) == before
    keys = {item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert "quarantine/partner_csv/2025-03-10/files/acme~~wrong.csv/wrong.csv" in keys
    reason = json.loads(
        s3.get_object(
            Bucket=BUCKET, Key="quarantine/partner_csv/2025-03-10/files/acme~~wrong.csv/reason.json"
        )["Body"].read()
    )
    assert reason["file"] == key and "line 1 is data, not a header" in reason["reason"]
    manifest = FileManifest.from_json(
        s3.get_object(Bucket=BUCKET, Key="reports/manifests/partner_csv/2025-03-10/acme~~wrong.csv.json")[
            "Body"
        ].read()
    )
    assert (manifest.rows_read, manifest.rows_quarantined, manifest.status) == (2, 2, "quarantined")


def test_repeated_event_for_a_processed_file_starts_nothing(aws) -> None:  # type: ignore[no-untyped-def]
    s3, _glue = aws
    key = "landing/sftp/acme/2025-03-10/bad.txt.csv"
    event = _deliver(s3, key, b"")
    first = handler(event, None)
    again = handler(event, None)
    assert first[0]["action"] == "quarantined"
    assert again[0]["action"] == "duplicate"
