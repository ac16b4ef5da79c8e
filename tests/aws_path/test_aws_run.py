"""The AWS path, executed offline, on ONE aws lake (one sandbox bucket) built for the module:

- the README flow: the demo's landing files uploaded to the bucket, `lakehouse run --backend aws` exits 0
  and gold queried through Athena equals gold of the local run of the same inputs;
- then `lakehouse demo --backend aws` on that bucket with its landing zone emptied: it writes the same
  landing files to S3 itself, reruns the day (nothing changes), and its report counts, gold and dashboard
  equal the local demo's.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ingestion.aurora.extract import demo_database_path
from orchestration.cli import app
from sandbox import Sandbox
from sandbox.lake import upload_folders
from tests.aws_path.conftest import keys_of
from tests.dashboard.page_data import embedded_data
from tests.support.sandbox import query_as_text

pytestmark = [pytest.mark.slow, pytest.mark.spark]

DAY = "2025-03-10"
BUCKET = "demo-lake"
KEY = "an-offline-demo-key"  # the same pseudonym key on both backends: the same client ids
AWS = ["--backend", "aws", "--bucket", BUCKET]
# A small day whose client files hold records dbt's quality checks reject (seed 5: two bad CPFs).
SAMPLE = ["--rows", "60", "--seed", "5"]
runner = CliRunner()

# Gold table -> its order (the key); the columns are the local table's, in the local order.
GOLD_TABLES = {
    "salary_averages": "ano, mes, idade, ativo",
    "contract_plans": "numero_contrato",
    "client_health": "id",
    "seller_contracts": "1, 2",  # not a total order
}


@dataclass(frozen=True)
class Lakes:
    local: Path  # the local demo's lake
    work: Path  # the aws runs' local working folder (dbt state, demo Aurora)
    local_report: dict[str, Any]
    run_report: dict[str, Any]  # of `run --backend aws` after the upload




def _object(key: str) -> bytes:
    body: bytes = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body


@pytest.fixture(scope="module")
def aws_environment_for_module(aws_sandbox: Sandbox) -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LAKEHOUSE_PSEUDONYM_KEY", KEY)
        for name in ("LAKEHOUSE_BACKEND", "LAKEHOUSE_BUCKET", "LAKEHOUSE_AURORA_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        for name, value in aws_sandbox.environment().items():
            patch.setenv(name, value)
        yield patch


@pytest.fixture(scope="module")
def lakes(aws_environment_for_module: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Lakes:
    base = tmp_path_factory.mktemp("aws-run")
    local, work = base / "local", base / "aws-work"
    demo = runner.invoke(app, ["demo", "--lake", str(local), "--date", DAY, *SAMPLE])
    assert demo.exit_code == 0, demo.output
    local_report = json.loads((local / "reports" / f"run-{DAY}.json").read_text())

    assert upload_folders(local, ["landing"], BUCKET, boto3.client("s3")) > 0
    with pytest.MonkeyPatch.context() as patch:  # the README flow reads the local demo's Aurora
        patch.setenv("LAKEHOUSE_AURORA_URL", f"sqlite:///{demo_database_path(local)}")
        run = runner.invoke(app, ["run", *AWS, "--date", DAY, "--lake", str(work)])
    assert run.exit_code == 0, run.output
    return Lakes(local, work, local_report, json.loads(_object(f"reports/run-{DAY}.json")))


def _assert_gold_equals_local(lakes: Lakes) -> None:
    for table, order in GOLD_TABLES.items():
        columns, expected = query_as_text(["--lake", str(lakes.local)], f"select * from gold.{table} order by {order}")
        assert expected, table
        select = ", ".join(columns)
        aws_columns, found = query_as_text(AWS, f"select {select} from gold.{table} order by {order}")
        assert aws_columns == columns, table
        # The same rows; the order only where the key is total (the engines break ties differently).
        assert sorted(found, key=repr) == sorted(expected, key=repr), table
        if table != "seller_contracts":
            assert found == expected, table


def counts(report: dict[str, Any]) -> dict[str, Any]:
    """What a run report says about the data, without what differs between two runs (ids, times, lake)."""
    sources = {}
    for name, summary in report["sources"].items():
        quality = summary.get("quality") or {}
        sources[name] = {
            **{key: summary[key] for key in ("status", "files", "files_quarantined", "rows_read", "rows_landed",
                                              "rows_quarantined", "quarantined_by_reason", "quarantined_files", "errors")},
            "file_details": summary["file_details"],
            "quality": {key: quality.get(key) for key in ("rows_checked", "rows_quarantined", "quarantined_by_reason")},
        }  # fmt: skip
    return {
        "status": report["status"],
        "sources": sources,
        "dbt": {
            "success": report["dbt"]["success"],
            "models": sorted(report["dbt"]["models"]),
            "tests": report["dbt"]["tests"],
            "failures": report["dbt"]["failures"],
        },
        "gold": sorted((table["table"], table["rows"]) for table in report["gold"]),
        "publications": {name: result.get("status") for name, result in report["publications"].items()},
    }


def test_run_backend_aws_on_the_sandbox_publishes_the_local_gold(lakes: Lakes) -> None:
    _assert_gold_equals_local(lakes)

    # The run's report and the positional job's record are in the bucket, as on AWS.
    report = lakes.run_report
    assert report["status"] == "succeeded" and report["lake"] == f"s3://{BUCKET}"
    assert {entry["table"] for entry in report["gold"]} == {f"gold.{name}" for name in GOLD_TABLES}
    s3 = boto3.client("s3")
    assert f"reports/jobs/positional/{DAY}.json" in keys_of(s3, BUCKET, "reports/jobs")
    # gold.<table> is a Glue table at a versioned location of its own.
    glue = boto3.client("glue")
    table = glue.get_table(DatabaseName="gold", Name="salary_averages")["Table"]
    assert table["StorageDescriptor"]["Location"].startswith(f"s3://{BUCKET}/gold/salary_averages/")
    assert table["Parameters"]["lakehouse_version"] in table["StorageDescriptor"]["Location"]


def test_the_aws_run_report_counts_what_the_local_run_counts(lakes: Lakes) -> None:
    assert counts(lakes.run_report) == counts(lakes.local_report)
    sources = lakes.run_report["sources"]
    # The demo delivers bad partner rows and client records that fail dbt's quality checks: both counted.
    assert sources["partner_csv"]["rows_quarantined"] > 0
    quality = sources["client_health"]["quality"]
    assert quality["rows_quarantined"] > 0 and quality["quarantined_by_reason"]
    assert quality["rows_checked"] == sources["client_health"]["rows_landed"]
    # Every rejected client record is in the bucket's quarantine, as in the local lake's.
    exported = pq.read_table(io.BytesIO(_object(quality["quarantine_file"])))
    local_rows = pq.read_table(lakes.local / quality["quarantine_file"])
    assert exported.num_rows == quality["rows_quarantined"]
    assert exported.to_pylist() == local_rows.to_pylist()


def test_demo_backend_aws_writes_its_inputs_to_the_bucket_and_matches_the_local_demo(lakes: Lakes) -> None:
    s3 = boto3.client("s3")
    uploaded = {key: _object(key) for key in keys_of(s3, BUCKET, "landing/")}
    for key in uploaded:
        s3.delete_object(Bucket=BUCKET, Key=key)

    demo = runner.invoke(app, ["demo", *AWS, "--date", DAY, *SAMPLE, "--lake", str(lakes.work)])
    assert demo.exit_code == 0, demo.output
    assert f"query --backend aws --bucket {BUCKET}" in demo.output
    # The demo wrote the same landing files into the bucket (the local demo's, byte for byte) and the
    # demo Aurora beside the working folder; the rerun changed nothing.
    assert {key: _object(key) for key in keys_of(s3, BUCKET, "landing/")} == uploaded
    assert demo_database_path(lakes.work).is_file()
    report = json.loads(_object(f"reports/run-{DAY}.json"))
    assert report["run_id"] != lakes.run_report["run_id"]
    assert counts(report) == counts(lakes.local_report)

    columns, expected = query_as_text(["--lake", str(lakes.local)], "select * from gold.salary_averages order by ano, mes, idade, ativo")
    assert query_as_text(AWS, f"select {', '.join(columns)} from gold.salary_averages order by ano, mes, idade, ativo") == (
        columns,
        expected,
    )
    _assert_gold_equals_local(lakes)

    # The dashboard: built from gold through Athena, written to the bucket, the same data as the local one.
    assert report["dashboard"] == f"s3://{BUCKET}/reports/dashboard.html"
    aws_page = embedded_data(_object("reports/dashboard.html").decode())
    local_page = embedded_data((lakes.local / "reports" / "dashboard.html").read_text(encoding="utf-8"))
    assert aws_page["datasets"] == local_page["datasets"]
    assert all(not dataset["missing"] and dataset["rows"] for dataset in aws_page["datasets"].values())

