"""Publishing an incrementally built gold table rewrites only the partitions whose rows changed: the
others are the current version's files (hard links), and the version is byte for byte the one a full
rewrite gives."""

from __future__ import annotations

from pathlib import Path

import duckdb

from serving.gold_publication import publish_gold

TABLE = "salary_averages"
PARTITIONS = {TABLE: ["ano", "mes"]}


def _build(catalog: Path, rows: str) -> None:
    with duckdb.connect(str(catalog)) as connection:
        connection.execute("CREATE SCHEMA IF NOT EXISTS gold_build")
        connection.execute(
            f"CREATE OR REPLACE TABLE gold_build.{TABLE} AS SELECT * FROM (VALUES {rows}) "
            "AS t(idade, funcionarios, ano, mes)"
        )


def _files(lake: Path) -> dict[str, int]:
    """Partition file -> inode, in the published version."""
    current = (lake / "gold" / TABLE).resolve()
    return {str(path.relative_to(current)): path.stat().st_ino for path in sorted(current.rglob("*.parquet"))}


def test_only_changed_partitions_are_written_and_the_version_matches_a_full_rewrite(tmp_path: Path) -> None:
    lake, catalog = tmp_path / "lake", tmp_path / "lake" / "catalog.duckdb"
    lake.mkdir()
    _build(catalog, "(30, 2, 2025, 3), (40, 1, 2025, 4), (50, 1, 2025, 5)")
    publish_gold(catalog, lake, PARTITIONS)
    before = _files(lake)

    # An incremental build changed April, added June and dropped May.
    _build(catalog, "(30, 2, 2025, 3), (40, 3, 2025, 4), (60, 1, 2025, 6)")
    (published,) = publish_gold(catalog, lake, PARTITIONS)
    after = _files(lake)

    march, april = "ano=2025/mes=3/data_0.parquet", "ano=2025/mes=4/data_0.parquet"
    assert set(after) == {march, april, "ano=2025/mes=6/data_0.parquet"}
    assert after[march] == before[march]  # the same file: not rewritten
    assert after[april] != before[april]
    with duckdb.connect(str(catalog), read_only=True) as connection:
        assert connection.execute(f"SELECT * FROM gold.{TABLE} ORDER BY ALL").fetchall() == [
            (30, 2, 2025, 3), (40, 3, 2025, 4), (60, 1, 2025, 6)
        ]  # fmt: skip

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    _build(fresh / "catalog.duckdb", "(30, 2, 2025, 3), (40, 3, 2025, 4), (60, 1, 2025, 6)")
    (rewritten,) = publish_gold(fresh / "catalog.duckdb", fresh, PARTITIONS)
    assert rewritten.version == published.version
