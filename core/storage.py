"""One object-store interface over a local folder (the embedded lake) and S3."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, cast


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    etag: str


class ObjectStore(Protocol):
    def uri(self, key: str) -> str: ...

    def read_bytes(self, key: str, length: int | None = None) -> bytes: ...

    def write_bytes(self, key: str, data: bytes) -> None: ...

    def exists(self, key: str) -> bool: ...

    def head(self, key: str) -> ObjectInfo: ...

    def modified_at(self, key: str) -> dt.datetime:
        """When the object was last written (UTC): what an S3 event reports as its event time."""
        ...

    def list(self, prefix: str) -> list[ObjectInfo]: ...

    def copy(self, source_key: str, target_key: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def move(self, source_key: str, target_key: str) -> None: ...

    def delete_prefix(self, prefix: str) -> None: ...

    def open_read(self, key: str) -> AbstractContextManager[BinaryIO]:
        """A stream over the object, for objects too big to hold in memory."""
        ...

    def scratch_folder(self, key: str) -> Path | None:
        """A folder for files written aside before :meth:`publish_file` makes them ``key``: on the same
        file system as the target when there is one (publishing is then a rename), else None (any temp dir)."""
        ...

    def publish_file(self, path: Path, key: str) -> None:
        """Makes the finished local file ``path`` the object ``key`` in one step (the file is consumed)."""
        ...


def store_for_uri(lake_uri: str, s3_client: Any | None = None) -> ObjectStore:
    """``/path/to/lake`` or ``s3://bucket`` (the Glue jobs receive the lake as such a URI).

    Inside the local Glue runner's staging area (``core.s3_staging``) an S3 lake stages through
    local files, because the local Spark cannot address ``s3://``.
    """
    if lake_uri.startswith("s3://"):
        import boto3  # the AWS path only

        from core.s3_staging import active_staging_area

        bucket, client = lake_uri.removeprefix("s3://").strip("/"), s3_client or boto3.client("s3")
        area = active_staging_area()
        return area.store(bucket, client) if area is not None else S3ObjectStore(bucket, client)
    return LocalObjectStore(Path(lake_uri))


class LocalObjectStore:
    """Keys are paths relative to ``root``; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path(self, key: str) -> Path:
        candidate = (self.root / key).resolve()
        if candidate != self.root and self.root not in candidate.parents:
            raise ValueError(f"key {key!r} escapes the lake root {self.root}")
        return candidate

    def uri(self, key: str) -> str:
        return str(self.path(key))

    def read_bytes(self, key: str, length: int | None = None) -> bytes:
        with self.path(key).open("rb") as handle:
            return handle.read() if length is None else handle.read(length)

    def write_bytes(self, key: str, data: bytes) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def head(self, key: str) -> ObjectInfo:
        path = self.path(key)
        return ObjectInfo(key=key, size=path.stat().st_size, etag=file_md5(path))

    def modified_at(self, key: str) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.path(key).stat().st_mtime, tz=dt.UTC)

    def list(self, prefix: str) -> list[ObjectInfo]:
        base = self.path(prefix)
        if not base.is_dir():
            return []
        found = [
            self.head(str(path.relative_to(self.root)))
            for path in base.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        ]
        return sorted(found, key=lambda info: info.key)

    def copy(self, source_key: str, target_key: str) -> None:
        target = self.path(target_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".tmp-{target.name}")
        shutil.copyfile(self.path(source_key), temp)
        os.replace(temp, target)

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def move(self, source_key: str, target_key: str) -> None:
        target = self.path(target_key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.path(source_key), target)

    def delete_prefix(self, prefix: str) -> None:
        shutil.rmtree(self.path(prefix), ignore_errors=True)

    def open_read(self, key: str) -> AbstractContextManager[BinaryIO]:
        return self.path(key).open("rb")

    def scratch_folder(self, key: str) -> Path | None:
        folder = self.path(key).parent
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def publish_file(self, path: Path, key: str) -> None:
        target = self.path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class S3ObjectStore:
    """The same interface on one bucket; keys follow the local layout."""

    def __init__(self, bucket: str, client: Any) -> None:
        self.bucket = bucket
        self.client = client

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def read_bytes(self, key: str, length: int | None = None) -> bytes:
        extra = {"Range": f"bytes=0-{length - 1}"} if length else {}
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=key, **extra)["Body"].read()
        return body

    def write_bytes(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data)

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except self.client.exceptions.ClientError as exc:
            if exc.response["Error"]["Code"] in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def head(self, key: str) -> ObjectInfo:
        meta = self.client.head_object(Bucket=self.bucket, Key=key)
        return ObjectInfo(key=key, size=int(meta["ContentLength"]), etag=str(meta["ETag"]).strip('"'))

    def modified_at(self, key: str) -> dt.datetime:
        modified: dt.datetime = self.client.head_object(Bucket=self.bucket, Key=key)["LastModified"]
        return modified.astimezone(dt.UTC)

    def list(self, prefix: str) -> list[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        found: list[ObjectInfo] = []
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix.rstrip("/") + "/"):
            for item in page.get("Contents", []):
                found.append(ObjectInfo(item["Key"], int(item["Size"]), str(item["ETag"]).strip('"')))
        return found

    def copy(self, source_key: str, target_key: str) -> None:
        self.client.copy_object(
            Bucket=self.bucket, Key=target_key, CopySource={"Bucket": self.bucket, "Key": source_key}
        )

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def move(self, source_key: str, target_key: str) -> None:
        self.copy(source_key, target_key)
        self.delete(source_key)

    def delete_prefix(self, prefix: str) -> None:
        for info in self.list(prefix):
            self.delete(info.key)

    def open_read(self, key: str) -> AbstractContextManager[BinaryIO]:
        return self._stream(key)

    @contextmanager
    def _stream(self, key: str) -> Iterator[BinaryIO]:
        body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
        try:
            yield cast(BinaryIO, body)
        finally:
            body.close()

    def scratch_folder(self, key: str) -> Path | None:
        return None

    def publish_file(self, path: Path, key: str) -> None:
        # An S3 object only becomes visible once its upload is complete.
        self.client.upload_file(str(path), self.bucket, key)
        path.unlink(missing_ok=True)
