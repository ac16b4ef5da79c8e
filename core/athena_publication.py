"""Write-audit-publish on Athena: the Glue table ``gold.<table>`` is switched to a new versioned location.

dbt-athena builds every gold model into ``gold_build`` (write); the whole ``dbt build`` runs its tests
(audit); only when it succeeded does the run call ``publish_gold_athena`` (publish). For each table
the files of ``gold_build.<table>`` are copied to ``s3://B/gold/<table>/<version>/``, where the version
is a hash of their content, and then the Glue table ``gold.<table>`` (and its partitions) is pointed
at that location. So:

- readers of ``gold.<table>`` see the previous version until the switch; a failed test means no
  publication at all, and a failure while copying happens before the switch: the published table is
  left unchanged either way;
- dbt-athena may delete and rewrite ``gold_build``'s location at every build: the published files are
  never there, and no published location is ever shared with another table (checked before the
  switch against every table of the catalog);
- the same build gives the same version (a rerun copies nothing and switches to the same location);
- previous versions stay where they are, for rollback (``rollback_gold_athena``) and for queries that
  started before the switch; ``prune_gold_versions`` deletes only versions retired longer ago than a
  grace period, and never the current or the previous one.

Glue has no multi-object transaction: the table and its partitions are updated by a few calls in a row
(new partitions first, then the table, then the moved partitions, then the vanished ones), so a query
planned in that instant may mix two versions of different partitions; every partition it reads is
complete.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import itertools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from core.hive_partitions import folder_partition, partition_folder

BUILD_DATABASE = "gold_build"
PUBLISHED_DATABASE = "gold"
VERSION_PARAMETER = "lakehouse_version"
HISTORY_PARAMETER = "lakehouse_versions"
HISTORY_KEPT = 20
# Longer than Athena's longest query (30 minutes by default): a retired version may still be read.
DEFAULT_GRACE = dt.timedelta(days=1)
# Glue accepts at most 100 partitions per batch call (25 for BatchUpdatePartition).
_CREATE_BATCH, _UPDATE_BATCH, _DELETE_BATCH = 100, 25, 25
_TABLE_INPUT_FIELDS = ("Name", "Description", "Owner", "Retention", "StorageDescriptor", "PartitionKeys", "TableType")

Clock = Callable[[], dt.datetime]


class PublicationError(RuntimeError):
    pass


@dataclass(frozen=True)
class AthenaPublishedTable:
    name: str
    version: str
    location: str
    partitions: int
    objects: int
    rows: int
    previous_version: str | None

    def as_report(self) -> dict[str, Any]:
        return {
            "table": f"gold.{self.name}",
            "rows": self.rows,
            "version": self.version,
            "location": self.location,
            "previous_version": self.previous_version,
        }


@dataclass(frozen=True)
class _BuiltObject:
    key: str
    relative: str  # below the version folder: "ano=2024/mes=3/<file>" or "<file>"
    etag: str
    size: int


def _split(location: str) -> tuple[str, str]:
    if not location.startswith("s3://"):
        raise PublicationError(f"not an S3 location: {location}")
    bucket, _, prefix = location.removeprefix("s3://").partition("/")
    return bucket, prefix.rstrip("/") + "/" if prefix else ""


def _list(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def _is_data(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return bool(name) and not name.startswith(("_", "."))  # Athena skips hidden files; so do we


def _partitions(glue: Any, database: str, table: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in glue.get_paginator("get_partitions").paginate(DatabaseName=database, TableName=table):
        found.extend(page["Partitions"])
    return found


def _partition_folder(keys: Sequence[dict[str, Any]], values: Sequence[str]) -> str:
    return partition_folder([key["Name"] for key in keys], values)


def _partition_values(relative: str) -> tuple[str, ...]:
    """The partition values of an object below a version folder ("ano=2024/mes=3/<file>" -> ("2024", "3"))."""
    return tuple(folder_partition(part)[1] for part in relative.split("/")[:-1])


def _built_objects(s3: Any, glue: Any, table: dict[str, Any], database: str) -> list[_BuiltObject]:
    keys = table.get("PartitionKeys", [])
    sources: list[tuple[str, str]] = []  # (location, folder below the version)
    if keys:
        for partition in _partitions(glue, database, table["Name"]):
            sources.append(
                (partition["StorageDescriptor"]["Location"], _partition_folder(keys, partition["Values"]))
            )
    else:
        sources.append((table["StorageDescriptor"]["Location"], ""))
    built = []
    for location, folder in sources:
        bucket, prefix = _split(location)
        for item in _list(s3, bucket, prefix):
            if not _is_data(item["Key"]):
                continue
            name = item["Key"][len(prefix) :]
            if keys and "/" in name:
                raise PublicationError(f"{location}: nested object {name} in a partition")
            relative = f"{folder}/{name}" if folder else name
            built.append(_BuiltObject(f"{bucket}/{item['Key']}", relative, str(item["ETag"]).strip('"'), int(item["Size"])))
    return sorted(built, key=lambda item: item.relative)


def _rows(s3: Any, objects: Sequence[_BuiltObject]) -> int:
    """Rows of the built Parquet files, from their footers (gold files are small: each is read whole)."""
    import pyarrow.parquet as pq

    total = 0
    for item in objects:
        bucket, _, key = item.key.partition("/")
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        total += pq.ParquetFile(io.BytesIO(body)).metadata.num_rows
    return total


def content_version(table: dict[str, Any], objects: Sequence[_BuiltObject]) -> str:
    """Same columns and same files (by relative path, ETag and size) give the same version."""
    digest = hashlib.sha256()
    descriptor = table["StorageDescriptor"]
    digest.update(json.dumps([descriptor["Columns"], table.get("PartitionKeys", [])], sort_keys=True).encode())
    for item in objects:
        digest.update(f"{item.relative}\0{item.etag}\0{item.size}\n".encode())
    return digest.hexdigest()[:16]


def _tables(glue: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    for database_page in glue.get_paginator("get_databases").paginate():
        for database in database_page["DatabaseList"]:
            for page in glue.get_paginator("get_tables").paginate(DatabaseName=database["Name"]):
                for table in page["TableList"]:
                    yield database["Name"], table


def _overlaps(location: str, owned: str) -> bool:
    a, b = location.rstrip("/") + "/", owned.rstrip("/") + "/"
    return a.startswith(b) or b.startswith(a)


def check_location_is_ours(glue: Any, location: str, database: str, name: str) -> None:
    """Refuses a location that is, contains or lies inside another table's (or partition's) location."""
    for other_database, table in _tables(glue):
        if (other_database, table["Name"]) == (database, name):
            continue
        owned = table.get("StorageDescriptor", {}).get("Location")
        if owned and _overlaps(location, owned):
            raise PublicationError(f"{location} overlaps {owned}, the location of {other_database}.{table['Name']}")


def _copy_version(s3: Any, objects: Sequence[_BuiltObject], bucket: str, prefix: str) -> None:
    present = {item["Key"]: int(item["Size"]) for item in _list(s3, bucket, prefix)}
    for item in objects:
        target = prefix + item.relative
        if present.get(target) == item.size:
            continue  # content-addressed: an object already there is this very object
        source_bucket, _, source_key = item.key.partition("/")
        s3.copy_object(Bucket=bucket, Key=target, CopySource={"Bucket": source_bucket, "Key": source_key})


def _history(table: dict[str, Any] | None) -> list[dict[str, str]]:
    if table is None:
        return []
    history: list[dict[str, str]] = json.loads(table.get("Parameters", {}).get(HISTORY_PARAMETER, "[]"))
    return history


def _get_table(glue: Any, database: str, name: str) -> dict[str, Any] | None:
    try:
        table: dict[str, Any] = glue.get_table(DatabaseName=database, Name=name)["Table"]
    except glue.exceptions.EntityNotFoundException:
        return None
    return table


def _ensure_database(glue: Any, database: str) -> None:
    try:
        glue.get_database(Name=database)
    except glue.exceptions.EntityNotFoundException:
        glue.create_database(DatabaseInput={"Name": database})


def _batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _switch(
    glue: Any,
    database: str,
    template: dict[str, Any],
    location: str,
    version: str,
    partition_values: Sequence[Sequence[str]],
    clock: Clock,
) -> str | None:
    """Points ``database.<name>`` at ``location`` (a version folder); returns the version it replaced."""
    name = template["Name"]
    current = _get_table(glue, database, name)
    previous = current.get("Parameters", {}).get(VERSION_PARAMETER) if current else None
    now = clock().astimezone(dt.UTC).isoformat(timespec="seconds")
    history = [entry for entry in _history(current) if entry["version"] != version]
    history = [*history, {"version": version, "location": location, "published_at": now}][-HISTORY_KEPT:]
    descriptor = {**template["StorageDescriptor"], "Location": location}
    table_input = {
        **{field: template[field] for field in _TABLE_INPUT_FIELDS if field in template},
        "StorageDescriptor": descriptor,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": {
            "EXTERNAL": "TRUE",
            "classification": template.get("Parameters", {}).get("classification", "parquet"),
            VERSION_PARAMETER: version,
            HISTORY_PARAMETER: json.dumps(history, separators=(",", ":")),
        },
    }
    keys = template.get("PartitionKeys", [])

    def partition_input(values: Sequence[str]) -> dict[str, Any]:
        folder = _partition_folder(keys, values)
        return {"Values": list(values), "StorageDescriptor": {**descriptor, "Location": f"{location}{folder}/"}}

    existing = {tuple(item["Values"]): item for item in _partitions(glue, database, name)} if current else {}
    wanted = {tuple(values) for values in partition_values}
    new = [partition_input(values) for values in sorted(wanted - set(existing))]
    if current is None:
        glue.create_table(DatabaseName=database, TableInput=table_input)
    for batch in _batches(new, _CREATE_BATCH):
        errors = glue.batch_create_partition(DatabaseName=database, TableName=name, PartitionInputList=list(batch))
        if errors.get("Errors"):
            raise PublicationError(f"{database}.{name}: partitions not created: {errors['Errors'][:3]}")
    if current is not None:
        glue.update_table(DatabaseName=database, TableInput=table_input)
    moved = [
        {"PartitionValueList": list(values), "PartitionInput": partition_input(values)}
        for values in sorted(wanted & set(existing))
        if existing[values]["StorageDescriptor"]["Location"] != partition_input(values)["StorageDescriptor"]["Location"]
    ]
    for batch in _batches(moved, _UPDATE_BATCH):
        glue.batch_update_partition(DatabaseName=database, TableName=name, Entries=list(batch))
    vanished = [{"Values": list(values)} for values in sorted(set(existing) - wanted)]
    for batch in _batches(vanished, _DELETE_BATCH):
        glue.batch_delete_partition(DatabaseName=database, TableName=name, PartitionsToDelete=list(batch))
    return str(previous) if previous else None


def version_location(bucket: str, name: str, version: str, published_database: str = PUBLISHED_DATABASE) -> str:
    return f"s3://{bucket}/{published_database}/{name}/{version}/"


def publish_table_athena(
    glue: Any,
    s3: Any,
    bucket: str,
    name: str,
    *,
    build_database: str = BUILD_DATABASE,
    published_database: str = PUBLISHED_DATABASE,
    clock: Clock = lambda: dt.datetime.now(tz=dt.UTC),
) -> AthenaPublishedTable:
    build = _get_table(glue, build_database, name)
    if build is None:
        raise PublicationError(f"{build_database}.{name} does not exist: nothing was built to publish")
    objects = _built_objects(s3, glue, build, build_database)
    version = content_version(build, objects)
    location = version_location(bucket, name, version, published_database)
    check_location_is_ours(glue, f"s3://{bucket}/{published_database}/{name}/", published_database, name)
    _copy_version(s3, objects, bucket, _split(location)[1])
    partition_values = sorted(
        {_partition_values(item.relative) for item in objects}
    ) if build.get("PartitionKeys") else []
    _ensure_database(glue, published_database)
    previous = _switch(glue, published_database, build, location, version, partition_values, clock)
    rows = _rows(s3, objects)
    return AthenaPublishedTable(name, version, location, len(partition_values), len(objects), rows, previous)


def publish_gold_athena(
    glue: Any,
    s3: Any,
    bucket: str,
    tables: Sequence[str],
    *,
    build_database: str = BUILD_DATABASE,
    published_database: str = PUBLISHED_DATABASE,
    clock: Clock = lambda: dt.datetime.now(tz=dt.UTC),
) -> list[AthenaPublishedTable]:
    """Publishes each audited gold table; call it only after the whole ``dbt build`` succeeded."""
    return [
        publish_table_athena(
            glue, s3, bucket, name, build_database=build_database, published_database=published_database, clock=clock
        )
        for name in sorted(tables)
    ]


def rollback_gold_athena(
    glue: Any,
    s3: Any,
    bucket: str,
    name: str,
    *,
    published_database: str = PUBLISHED_DATABASE,
    clock: Clock = lambda: dt.datetime.now(tz=dt.UTC),
) -> AthenaPublishedTable:
    """Switches ``gold.<name>`` back to the version published before the current one."""
    current = _get_table(glue, published_database, name)
    history = _history(current)
    if current is None or len(history) < 2:
        raise PublicationError(f"{published_database}.{name} has no earlier version to roll back to")
    target = history[-2]
    location = target["location"]
    bucket_name, prefix = _split(location)
    objects = [item for item in _list(s3, bucket_name, prefix) if _is_data(item["Key"])]
    if not objects:
        raise PublicationError(f"{location}: the earlier version's files are gone")
    partition_values = sorted(
        {_partition_values(item["Key"][len(prefix) :]) for item in objects}
    ) if current.get("PartitionKeys") else []
    previous = _switch(glue, published_database, current, location, target["version"], partition_values, clock)
    rows = _rows(s3, [_BuiltObject(f"{bucket_name}/{item['Key']}", "", "", int(item["Size"])) for item in objects])
    return AthenaPublishedTable(
        name, target["version"], location, len(partition_values), len(objects), rows, previous
    )


def prune_gold_versions(
    glue: Any,
    s3: Any,
    bucket: str,
    name: str,
    *,
    published_database: str = PUBLISHED_DATABASE,
    grace: dt.timedelta = DEFAULT_GRACE,
    clock: Clock = lambda: dt.datetime.now(tz=dt.UTC),
) -> list[str]:
    """Deletes version folders retired more than ``grace`` ago, never the current or the previous one."""
    current = _get_table(glue, published_database, name)
    if current is None:
        return []
    history = _history(current)
    keep = {entry["version"] for entry in history[-2:]}
    retired_at = {
        entry["version"]: dt.datetime.fromisoformat(successor["published_at"])
        for entry, successor in itertools.pairwise(history)
    }
    now = clock()
    base = f"{published_database}/{name}/"
    deleted = []
    folders = {item["Key"][len(base) :].split("/", 1)[0] for item in _list(s3, bucket, base)}
    for version in sorted(folders - keep):
        retired = retired_at.get(version)
        if retired is None or now - retired < grace:
            continue  # unknown to the history, or possibly still read: kept
        for item in _list(s3, bucket, f"{base}{version}/"):
            s3.delete_object(Bucket=bucket, Key=item["Key"])
        deleted.append(version)
    return deleted
