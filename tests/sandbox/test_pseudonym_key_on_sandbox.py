"""Issue 12: the pseudonymous id never appears in SQL text. The client-health path runs on the sandbox as on
AWS (`lakehouse run --backend aws`: the handler, the Glue job reading the key from Secrets Manager on local
Spark, dbt-athena building silver and gold); then the key, in every form it could be written, is looked
for in every Athena statement, every file dbt wrote (compiled SQL, manifest.json, run_results.json, logs),
every object of the lake bucket (reports, job records, manifests, data) and the command's output."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from ingestion.client_health.pseudonym import PseudonymKey, pseudonymous_id
from ingestion.client_health.sample_data import write_client_health_day
from orchestration.cli import app
from sandbox import Sandbox
from sandbox.lake import upload_folders
from tests.aws_path.conftest import keys_of
from tests.sandbox.athena_client import ok

pytestmark = [pytest.mark.slow, pytest.mark.spark]

DAY = "2025-05-06"
BUCKET = "sandbox-pseudonym-lake"
SECRET_ID = "lakehouse-test/pseudonym-key"


@dataclass(frozen=True)
class ClientHealthRun:
    key: str
    work: Path  # the command's --lake: dbt's target/ and logs/ on the aws backend
    exit_code: int
    output: str


def key_forms(key: str) -> list[str]:
    """The key as text, hex and base64 (standard and URL-safe), and the padded keys the Spark job uses."""
    raw = key.encode()
    inner, outer = PseudonymKey(SecretStr(key)).hmac_pads()
    return [
        key,
        raw.hex(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        inner.hex(),
        outer.hex(),
    ]


def _leaks(text: str, forms: list[str]) -> list[str]:
    lowered = text.lower()
    return [form for form in forms if form.lower() in lowered]


@pytest.fixture(scope="module")
def client_health_run(aws_sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClientHealthRun]:
    key = f"sandbox-pseudonym-{secrets.token_hex(16)}"
    inputs, work = tmp_path_factory.mktemp("client-inputs"), tmp_path_factory.mktemp("client-work")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in aws_sandbox.environment().items():
            patch.setenv(name, value)
        for name in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "LAKEHOUSE_PSEUDONYM_KEY", "LAKEHOUSE_AURORA_URL"):
            patch.delenv(name, raising=False)
        patch.setenv("LAKEHOUSE_PSEUDONYM_KEY_SECRET_ID", SECRET_ID)  # as the template passes it to the job
        boto3.client("secretsmanager").create_secret(Name=SECRET_ID, SecretString=key)
        write_client_health_day(inputs / "landing", dt.date.fromisoformat(DAY), rows=60, seed=11)
        assert upload_folders(inputs, ["landing"], BUCKET, boto3.client("s3")) == 3

        result = CliRunner().invoke(
            app, ["run", "--backend", "aws", "--bucket", BUCKET, "--date", DAY, "--lake", str(work)]
        )
        yield ClientHealthRun(key, work, result.exit_code, result.output)


def test_the_client_health_path_runs_on_the_sandbox_with_the_key_from_secrets_manager(
    client_health_run: ClientHealthRun, sandbox_environment: Sandbox
) -> None:
    assert client_health_run.exit_code == 0, client_health_run.output
    landed = ok("select count(*) from bronze.client_health_clientes_csv", BUCKET).rows
    assert int(str(landed[0][0])) > 0
    # Silver keeps the CPF beside the id the Glue job made: the id is HMAC-SHA256 of it with the secret.
    latest = ok("select cpf, id, key_version from silver.int_client_health__clientes_latest", BUCKET).rows
    assert latest
    version = PseudonymKey(SecretStr(client_health_run.key)).version
    assert all(row[1] == pseudonymous_id(client_health_run.key, str(row[0])) for row in latest)
    assert {row[2] for row in latest} == {version}
    gold_ids = {row[0] for row in ok("select id from gold.client_health", BUCKET).rows}
    assert gold_ids == {row[1] for row in latest}


def test_the_key_is_in_no_athena_statement(client_health_run: ClientHealthRun, aws_sandbox: Sandbox) -> None:
    forms = key_forms(client_health_run.key)
    statements = [execution.query for execution in aws_sandbox.executions()]
    assert any("int_client_health__clientes_latest" in statement for statement in statements)
    assert [statement for statement in statements if _leaks(statement, forms)] == []
    assert aws_sandbox.statement_log is not None
    assert _leaks(aws_sandbox.statement_log.read_text(encoding="utf-8"), forms) == []


def test_the_key_is_in_no_file_dbt_wrote(client_health_run: ClientHealthRun) -> None:
    forms = key_forms(client_health_run.key)
    written = [path for path in client_health_run.work.rglob("*") if path.is_file()]
    names = {path.name for path in written}
    assert {"manifest.json", "run_results.json", "dbt.log"} <= names
    assert any(path.suffix == ".sql" and "compiled" in path.parts for path in written)
    leaking = [str(path) for path in written if _leaks(path.read_bytes().decode("utf-8", "replace"), forms)]
    assert leaking == []


def test_the_key_is_in_no_report_job_record_or_object_of_the_lake(
    client_health_run: ClientHealthRun, sandbox_environment: Sandbox
) -> None:
    forms = key_forms(client_health_run.key)
    s3 = boto3.client("s3")
    keys = keys_of(s3, BUCKET)
    assert f"reports/run-{DAY}.json" in keys
    assert any(key.startswith("reports/manifests/client_health/") for key in keys)
    leaking = [
        key
        for key in keys
        if _leaks(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("utf-8", "replace"), forms)
    ]
    assert leaking == []
    assert _leaks(client_health_run.output, forms) == []
