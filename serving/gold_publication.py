"""Publishes audited gold tables: dbt builds them in ``gold_build``; once its tests pass, each table is
written as Hive-partitioned Parquet to a new version folder and ``gold/<table>`` is switched to it in
one atomic rename. Readers see the old version or the new one, never a half-written table.

The one implementation of publication: the ``lakehouse`` run calls :func:`publish_gold` after its dbt
build, and dbt itself calls :func:`publish_tables` (through the dbt-duckdb plugin
``serving.dbt_gold_plugin``) at the end of a successful ``dbt build`` or on ``dbt run-operation
publish_gold``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

BUILD_SCHEMA = "gold_build"
PUBLISHED_SCHEMA = "gold"
VERSIONS_KEPT = 2


@dataclass(frozen=True)
class PublishedTable:
    name: str
    rows: int
    version: str
    location: str


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _content_version(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _switch_link(link: Path, target: Path) -> None:
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)
    temporary = link.with_name(f".{link.name}.switch")
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(os.path.relpath(target, link.parent), target_is_directory=True)
    os.replace(temporary, link)


def _prune_versions(versions: Path, current: Path) -> None:
    older = sorted(
        (folder for folder in versions.iterdir() if folder != current and folder.is_dir()),
        key=lambda folder: folder.stat().st_mtime,
        reverse=True,
    )
    for folder in older[VERSIONS_KEPT - 1 :]:
        shutil.rmtree(folder, ignore_errors=True)


def _partition_fingerprints(relation: str, partition_by: list[str]) -> str:
    """Per partition of ``relation``, a digest of its rows (in a canonical order)."""
    parts = ", ".join(_quote(column) for column in partition_by)
    row_text = "CAST(t AS VARCHAR)"
    return (
        f"SELECT {parts}, md5(string_agg({row_text}, chr(10) ORDER BY {row_text})) AS fingerprint "
        f"FROM {relation} AS t GROUP BY {parts}"
    )


def _current_version(connection: duckdb.DuckDBPyConnection, link: Path, name: str) -> Path | None:
    """The published version folder of ``name`` when it has rows and a view to compare with."""
    if not link.is_symlink() or not link.resolve().is_dir():
        return None
    published = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [PUBLISHED_SCHEMA, name],
    ).fetchone()
    if not published or not published[0] or not any(link.resolve().rglob("*.parquet")):
        return None
    return link.resolve()


def _link_unchanged_partitions(
    connection: duckdb.DuckDBPyConnection,
    name: str,
    partition_by: list[str],
    types: dict[str, str],
    current: Path,
    staging: Path,
) -> str:
    """Hard-links into ``staging`` the current version's files of every partition whose rows are the
    same in the new build, and returns the SQL condition selecting the build rows still to write (the
    partitions that changed or are new). Partitions gone from the build are left out."""
    on = " AND ".join(f"b.{_quote(c)} IS NOT DISTINCT FROM p.{_quote(c)}" for c in partition_by)
    connection.execute(
        f"CREATE OR REPLACE TEMPORARY TABLE _unchanged_partitions AS "
        f"SELECT {', '.join(f'b.{_quote(c)}' for c in partition_by)} "
        f"FROM ({_partition_fingerprints(f'{BUILD_SCHEMA}.{_quote(name)}', partition_by)}) AS b "
        f"JOIN ({_partition_fingerprints(f'{PUBLISHED_SCHEMA}.{_quote(name)}', partition_by)}) AS p "
        f"ON {on} AND b.fingerprint = p.fingerprint"
    )
    hive_types = ", ".join(f"{_quote(column)}: '{types[column]}'" for column in partition_by)
    matches = " AND ".join(f"u.{_quote(c)} IS NOT DISTINCT FROM f.{_quote(c)}" for c in partition_by)
    kept = connection.execute(
        f"SELECT DISTINCT f.filename FROM read_parquet('{current}/**/*.parquet', hive_partitioning = true, "
        f"hive_types = {{{hive_types}}}, filename = true) AS f "
        f"WHERE EXISTS (SELECT 1 FROM _unchanged_partitions AS u WHERE {matches})"
    ).fetchall()
    for (filename,) in kept:
        relative = Path(filename).relative_to(current)
        (staging / relative).parent.mkdir(parents=True, exist_ok=True)
        os.link(filename, staging / relative)
    unchanged = " AND ".join(f"u.{_quote(c)} IS NOT DISTINCT FROM t.{_quote(c)}" for c in partition_by)
    return f"NOT EXISTS (SELECT 1 FROM _unchanged_partitions AS u WHERE {unchanged})"


def publish_table(
    connection: duckdb.DuckDBPyConnection, lake_root: Path, name: str, partition_by: list[str]
) -> PublishedTable:
    """Publishes ``gold_build.<name>`` as a new version of ``gold/<name>``. A partitioned table keeps
    the files of its unchanged partitions (hard links to the current version): only the partitions an
    incremental build touched are written again. Either way the version is the same bytes a full
    rewrite gives, so its content address does not depend on the history."""
    gold = lake_root / "gold"
    versions = gold / ".versions" / name
    versions.mkdir(parents=True, exist_ok=True)
    link = gold / name
    described = connection.execute(f"DESCRIBE {BUILD_SCHEMA}.{_quote(name)}").fetchall()
    columns = [row[0] for row in described]
    types = {row[0]: row[1] for row in described}
    rows = int(connection.execute(f"SELECT count(*) FROM {BUILD_SCHEMA}.{_quote(name)}").fetchone()[0])  # type: ignore[index]

    staging = versions / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    ordered = ", ".join(_quote(column) for column in columns)
    options = "FORMAT parquet, COMPRESSION zstd"
    to_write = "TRUE"
    if partition_by:
        options += f", PARTITION_BY ({', '.join(_quote(c) for c in partition_by)}), OVERWRITE_OR_IGNORE"
        destination = str(staging)
        current = _current_version(connection, link, name) if rows else None
        if current is not None:
            to_write = _link_unchanged_partitions(connection, name, partition_by, types, current, staging)
    else:
        destination = str(staging / "data_0.parquet")
    if rows:
        connection.execute(
            f"COPY (SELECT * FROM {BUILD_SCHEMA}.{_quote(name)} AS t WHERE {to_write} ORDER BY {ordered}) "
            f"TO '{destination}' ({options})"
        )
    version = _content_version(staging)
    final = versions / version
    if final.exists():
        shutil.rmtree(staging)
    else:
        os.replace(staging, final)
    _switch_link(link, final)
    _prune_versions(versions, final)

    select = ", ".join(f"CAST({_quote(column)} AS {types[column]}) AS {_quote(column)}" for column in columns)
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {PUBLISHED_SCHEMA}")
    if rows:
        hive_types = ", ".join(f"{_quote(column)}: '{types[column]}'" for column in partition_by)
        hive = f", hive_partitioning = true, hive_types = {{{hive_types}}}" if partition_by else ""
        source = f"read_parquet('{link}/**/*.parquet'{hive})"
        connection.execute(
            f"CREATE OR REPLACE VIEW {PUBLISHED_SCHEMA}.{_quote(name)} AS SELECT {select} FROM {source}"
        )
    else:
        empty = ", ".join(f"CAST(NULL AS {types[column]}) AS {_quote(column)}" for column in columns)
        connection.execute(
            f"CREATE OR REPLACE VIEW {PUBLISHED_SCHEMA}.{_quote(name)} AS SELECT {empty} WHERE FALSE"
        )
    return PublishedTable(name=name, rows=rows, version=version, location=str(link))


def publish_tables(
    connection: duckdb.DuckDBPyConnection, lake_root: Path, tables: dict[str, list[str]]
) -> list[PublishedTable]:
    """Publishes each ``gold_build`` table (name -> partition columns) through ``connection``."""
    return [publish_table(connection, lake_root, name, partition) for name, partition in sorted(tables.items())]


def publish_gold(catalog_path: Path, lake_root: Path, tables: dict[str, list[str]]) -> list[PublishedTable]:
    with duckdb.connect(str(catalog_path)) as connection:
        return publish_tables(connection, lake_root, tables)
