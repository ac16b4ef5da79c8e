"""The source registry drives the local stand-ins, and the backend factory builds the right edges."""

from __future__ import annotations

import sys
from pathlib import Path

import boto3
import pyarrow as pa
import pytest

from core import registry
from core.backend import backend_for_lake_uri, build_backend
from core.catalog import BronzeTable, DuckDbCatalog, GlueCatalog
from core.gate import LocalDayGate, S3DayGate
from core.launchers import GlueJobLauncher, StateMachineLauncher, run_glue_script
from core.query import CatalogMissingError
from core.settings import Backend, Settings
from core.storage import LocalObjectStore, S3ObjectStore
from orchestration.dispatcher import routes

REPO = Path(__file__).resolve().parents[2]


def test_every_registry_source_names_a_handler_and_a_glue_script_that_exist() -> None:
    for source in registry.SOURCES:
        if source.handler is not None:
            assert callable(source.load_handler())
        assert callable(registry.resolve(source.glue_script).main)
        assert (REPO / source.glue_script_path).is_file()
        assert source.glue_job_name(Settings()) != ""
    assert [name for _pattern, name, _handler in routes()] == [
        "partner-csv-landed",
        "client-files-landed",
        "positional-to-parquet",
    ]


def test_landing_keys_are_the_days_keys_the_handler_takes(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    for key in (
        "landing/sftp/acme/2025-03-10/a.csv",
        "landing/sftp/acme/2025-03-11/b.csv",
        "landing/sftp/acme/2025-03-10/nested/c.csv",
        "landing/positional/2025-03-10/CONTRATOS.TXT",
    ):
        store.write_bytes(key, b"x")
    partner = registry.source("partner_csv")
    assert partner.landing_keys(store, "2025-03-10") == ["landing/sftp/acme/2025-03-10/a.csv"]
    assert partner.landing_prefix == "landing/sftp/"
    assert registry.source("aurora").landing_keys(store, "2025-03-10") == []


def test_the_local_backend_is_the_lake_folder(tmp_path: Path) -> None:
    backend = build_backend(Settings(lake=tmp_path / "lake"))
    assert backend.layout.uri == str((tmp_path / "lake").resolve())
    assert backend.layout.catalog_path == (tmp_path / "lake").resolve() / "catalog.duckdb"
    assert isinstance(backend.store, LocalObjectStore)
    assert isinstance(backend.gate, LocalDayGate)
    assert isinstance(backend.catalog, DuckDbCatalog)
    assert backend.for_bucket("any-bucket") is backend
    with pytest.raises(CatalogMissingError, match="no catalog"):
        backend.query_engine.query("select 1")


def test_the_aws_backend_is_the_bucket_and_an_event_bucket_wins(aws_environment: str) -> None:
    backend = build_backend(Settings(backend=Backend.AWS, bucket="lake-a"))
    assert backend.layout.uri == "s3://lake-a"
    assert isinstance(backend.store, S3ObjectStore) and isinstance(backend.gate, S3DayGate)
    assert isinstance(backend.launcher, GlueJobLauncher) and isinstance(backend.catalog, GlueCatalog)
    assert backend.for_bucket("lake-b").layout.uri == "s3://lake-b"
    assert backend_for_lake_uri(Settings(), "s3://lake-c/").layout.uri == "s3://lake-c"
    with pytest.raises(ValueError, match="pass the lake folder"):
        _ = backend.layout.root


def test_the_aws_factory_starts_day_workflows_for_jobs_that_have_one(aws_environment: str) -> None:
    """With ``state_machines`` (set by the template), the factory's launcher starts the job's state
    machine once per day (the execution is named by the day) and any other job as a Glue run."""
    sfn = boto3.client("stepfunctions")
    role = "arn:aws:iam::123456789012:role/workflow"
    definition = '{"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}'
    arn = sfn.create_state_machine(name="positional-day", definition=definition, roleArn=role)["stateMachineArn"]
    settings = Settings(backend=Backend.AWS, bucket="lake-a", state_machines={"positional-day": arn})
    launcher = build_backend(settings).launcher
    assert isinstance(launcher, StateMachineLauncher) and isinstance(launcher.fallback, GlueJobLauncher)
    first = launcher.start_job_run("positional-day", {"--day": "2025-03-10"})
    assert launcher.start_job_run("positional-day", {"--day": "2025-03-10"}) == first
    assert [item["name"] for item in sfn.list_executions(stateMachineArn=arn)["executions"]] == ["positional-day-2025-03-10"]
    assert isinstance(build_backend(settings.model_copy(update={"state_machines": {}})).launcher, GlueJobLauncher)


def test_a_glue_script_that_exits_non_zero_is_a_failed_run_not_an_exception(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "sample_job.py").write_text(
        "import sys\n"
        "seen = []\n"
        "def main(argv):\n"
        "    seen.append(argv)\n"
        "    if '--boom' in argv:\n"
        "        raise RuntimeError('crashed')\n"
        "    sys.exit(1)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    run_glue_script("sample_job", {"lake_uri": "/lake", "day": "2025-03-10"})
    assert sys.modules["sample_job"].seen == [["sample_job", "--lake_uri", "/lake", "--day", "2025-03-10"]]
    with pytest.raises(RuntimeError, match="crashed"):
        run_glue_script("sample_job", {"boom": "1"})


def test_glue_catalog_registers_tables_and_their_partitions(aws_environment: str) -> None:
    s3, glue = boto3.client("s3"), boto3.client("glue")
    s3.create_bucket(Bucket="lake-catalog")
    store = S3ObjectStore("lake-catalog", s3)
    store.write_bytes("bronze/things/ingestion_date=2025-03-10/a.parquet", b"x")
    store.write_bytes("bronze/things/ingestion_date=2025-03-11/b.parquet", b"x")
    table = BronzeTable(
        name="things_test",
        prefix="bronze/things",
        schema=pa.schema([("id", pa.int64()), ("amount", pa.decimal128(12, 2))]),
        partition_columns=("ingestion_date",),
    )
    catalog = GlueCatalog(glue, store)
    catalog.register_bronze([table])
    catalog.register_bronze([table])  # a rerun changes nothing

    registered = glue.get_table(DatabaseName="bronze", Name="things_test")["Table"]
    columns = {c["Name"]: c["Type"] for c in registered["StorageDescriptor"]["Columns"]}
    assert columns == {"id": "bigint", "amount": "decimal(12,2)"}
    assert registered["StorageDescriptor"]["Location"] == "s3://lake-catalog/bronze/things/"
    partitions = glue.get_partitions(DatabaseName="bronze", TableName="things_test")["Partitions"]
    assert sorted(p["Values"][0] for p in partitions) == ["2025-03-10", "2025-03-11"]
