"""A job whose JVM dies fails visibly, and the next job of the same process gets a fresh Spark session.

Run in a child process: killing the JVM of the test session's shared SparkSession would break every
Spark test after this one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.spark

CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from pyspark import SparkContext
    from glue_jobs.options import job_spark_session
    from glue_jobs.partner_csv_to_bronze import run_job
    from ingestion.manifest import read_manifest
    from ingestion.spark_landing import SparkJobFailed
    from core.storage import LocalObjectStore

    lake, day = sys.argv[1], "2025-03-10"
    options = {
        "lake_uri": lake, "source_key": f"landing/sftp/acme/{day}/a.csv", "partner": "acme", "day": day,
        "file_id": "acme~~a.csv", "etag": "e1", "dialect": "comma", "encoding": "UTF-8",
        "ingested_at": f"{day}T10:00:00.000Z",
    }
    first = job_spark_session()
    process = SparkContext._gateway.proc
    process.kill()  # what the kernel's OOM killer does to a JVM that outgrew the machine
    process.wait()
    outcome = {}
    try:
        run_job(first, options)
        outcome["first"] = "succeeded"
    except SparkJobFailed as exc:
        outcome["first"] = "failed"
    manifest = read_manifest(LocalObjectStore(Path(lake)), "partner_csv", day, "acme~~a.csv")
    outcome["first_manifest"] = manifest.status if manifest else None
    second = job_spark_session()
    outcome["fresh_session"] = second is not first
    outcome["second"] = run_job(second, options).status
    print(json.dumps(outcome))
    """
)


def test_a_dead_jvm_fails_its_job_and_the_next_job_gets_a_fresh_session(tmp_path: Path) -> None:
    key = tmp_path / "landing/sftp/acme/2025-03-10/a.csv"
    key.parent.mkdir(parents=True)
    key.write_text(
        "id_funcionario,nome,cpf,idade,ativo,salario,data_referencia\n1,Ana,,30,true,1.00,2025-01-01\n",
        encoding="utf-8",
    )
    environment = {
        **os.environ,
        "LAKEHOUSE_SPARK_MASTER": "local[1]",
        "LAKEHOUSE_SPARK_DRIVER_MEMORY": "512m",
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(Path.cwd()), environment.get("PYTHONPATH", "")])
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=900,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    assert outcome == {
        "first": "failed",
        "first_manifest": "failed",
        "fresh_session": True,
        "second": "landed",
    }
