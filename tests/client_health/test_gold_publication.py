"""Write-audit-publish: a publication killed at any point never leaves a half-written gold table visible.

The publisher runs in a child process that SIGKILLs itself at a chosen point; afterwards readers of
the catalog see either the complete previous version or the complete new one, and the next
publication succeeds. (The audit half, a failing dbt test, is in test_pipeline.py.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from serving.gold_publication import publish_gold

TABLE = "client_health"
PARTITIONS = {TABLE: ["convenio"]}
OLD_ROWS, NEW_ROWS = 1_000, 300_000

CHILD = textwrap.dedent(
    """
    import os, signal, sys, threading
    from pathlib import Path

    import duckdb
    from serving import gold_publication

    catalog, lake, point = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]

    def die(*_args, **_kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if point == "during_copy":
        class Connection:
            def __init__(self, inner):
                self.inner = inner
            def __enter__(self):
                return self
            def __exit__(self, *exc):
                self.inner.close()
            def execute(self, sql, *args):
                if sql.startswith("COPY"):
                    threading.Timer(0.05, die).start()
                return self.inner.execute(sql, *args)
        real_connect = duckdb.connect
        gold_publication.duckdb.connect = lambda path: Connection(real_connect(path))
    elif point == "before_rename":  # the new version is written aside, complete
        gold_publication._content_version = die
    elif point == "before_switch":  # the version folder is in place, the link not switched yet
        gold_publication._switch_link = die
    elif point == "after_switch":  # the link points to the new version, the view is not recreated yet
        gold_publication._prune_versions = die
    gold_publication.publish_gold(catalog, lake, {"client_health": ["convenio"]})
    """
)


def _build(catalog: Path, rows: int, version: str) -> None:
    with duckdb.connect(str(catalog)) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS gold_build")
        connection.execute(
            f"""CREATE OR REPLACE TABLE gold_build.{TABLE} AS
            SELECT '{version}-' || range AS id, '***' AS cpf, ['SUS', 'Unimed', 'Amil'][range % 3 + 1] AS convenio
            FROM range({rows})"""
        )


def _visible(catalog: Path) -> tuple[int, set[str]]:
    with duckdb.connect(str(catalog), read_only=True) as connection:
        count, versions = connection.execute(
            f"SELECT count(*), list(DISTINCT split_part(id, '-', 1)) FROM gold.{TABLE}"
        ).fetchone()
    return int(count), set(versions)


@pytest.mark.parametrize("point", ["during_copy", "before_rename", "before_switch", "after_switch"])
def test_a_killed_publication_leaves_a_whole_version_visible(tmp_path: Path, point: str) -> None:
    lake, catalog = tmp_path / "lake", tmp_path / "lake" / "catalog.duckdb"
    lake.mkdir()
    _build(catalog, OLD_ROWS, "old")
    publish_gold(catalog, lake, PARTITIONS)
    assert _visible(catalog) == (OLD_ROWS, {"old"})
    _build(catalog, NEW_ROWS, "new")

    repo = Path(__file__).resolve().parents[2]
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(catalog), str(lake), point],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr

    expected = (NEW_ROWS, {"new"}) if point == "after_switch" else (OLD_ROWS, {"old"})
    assert _visible(catalog) == expected
    published = publish_gold(catalog, lake, PARTITIONS)  # the next run publishes normally
    assert published[0].rows == NEW_ROWS
    assert _visible(catalog) == (NEW_ROWS, {"new"})
