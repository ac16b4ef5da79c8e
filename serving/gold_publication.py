"""Publishes audited gold tables: dbt builds them in ``gold_build``; once its tests pass, each table is
written as Hive-partitioned Parquet to a new version folder and ``gold/<table>`` is switched to it in
one atomic rename. Readers see the old version or the new one, never a half-written table.
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


def _install_version(staging: Path, final: Path, version: str) -> None:
    """Moves the written version into place; an existing folder of that version is reused only when its
    content still hashes to its name (a folder altered after publication is replaced, never trusted)."""
    if final.exists():
        if _content_version(final) == version:
            shutil.rmtree(staging)
            return
        altered = final.with_name(f".altered-{final.name}-{os.getpid()}")
        shutil.rmtree(altered, ignore_errors=True)
        os.replace(final, altered)
        os.replace(staging, final)
        shutil.rmtree(altered, ignore_errors=True)
        return
    os.replace(staging, final)


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


def publish_table(
    connection: duckdb.DuckDBPyConnection, lake_root: Path, name: str, partition_by: list[str]
) -> PublishedTable:
    gold = lake_root / "gold"
    versions = gold / ".versions" / name
    versions.mkdir(parents=True, exist_ok=True)
    columns = [row[0] for row in connection.execute(f"DESCRIBE {BUILD_SCHEMA}.{_quote(name)}").fetchall()]
    types = {
        row[0]: row[1] for row in connection.execute(f"DESCRIBE {BUILD_SCHEMA}.{_quote(name)}").fetchall()
    }
    rows = int(connection.execute(f"SELECT count(*) FROM {BUILD_SCHEMA}.{_quote(name)}").fetchone()[0])  # type: ignore[index]

    staging = versions / f".staging-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    ordered = ", ".join(_quote(column) for column in columns)
    options = "FORMAT parquet, COMPRESSION zstd"
    if partition_by:
        options += f", PARTITION_BY ({', '.join(_quote(c) for c in partition_by)}), OVERWRITE_OR_IGNORE"
        destination = str(staging)
    else:
        destination = str(staging / "data_0.parquet")
    if rows:
        connection.execute(
            f"COPY (SELECT * FROM {BUILD_SCHEMA}.{_quote(name)} ORDER BY {ordered}) TO '{destination}' ({options})"
        )
    version = _content_version(staging)
    final = versions / version
    _install_version(staging, final, version)
    link = gold / name
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


def publish_gold(catalog_path: Path, lake_root: Path, tables: dict[str, list[str]]) -> list[PublishedTable]:
    with duckdb.connect(str(catalog_path)) as connection:
        return [
            publish_table(connection, lake_root, name, partition)
            for name, partition in sorted(tables.items())
        ]
