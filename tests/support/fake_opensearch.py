"""A small OpenSearch stand-in on 127.0.0.1 that speaks the REST protocol the publisher uses.

It behaves like OpenSearch 2.x where the publisher depends on it: index existence/creation with
mappings, ``_bulk`` NDJSON (index/create/update/delete, the terminating newline, the content type),
per-item results with ``errors: true`` and error objects, strict mappings rejecting unknown fields
and values of the wrong type, versions growing on overwrite, basic authentication. Faults can be
injected: whole requests answered with 429/503 (with ``Retry-After``) and items rejected with
``es_rejected_execution_exception``, as a busy cluster does.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass
class StoredDocument:
    source: dict[str, Any]
    version: int
    seq_no: int


@dataclass
class FakeIndex:
    settings: dict[str, Any]
    mappings: dict[str, Any]
    documents: dict[str, StoredDocument] = field(default_factory=dict)


@dataclass
class BulkCall:
    path: str
    actions: int
    authorization: str | None


class MappingError(ValueError):
    def __init__(self, error_type: str, reason: str) -> None:
        super().__init__(reason)
        self.error_type = error_type
        self.reason = reason


def _check_value(name: str, mapping: dict[str, Any], value: Any) -> None:
    kind = mapping.get("type", "object")
    if value is None:
        return
    not_an_integer = isinstance(value, bool) or not isinstance(value, int)
    if kind == "long" and not_an_integer and not (isinstance(value, str) and value.lstrip("-").isdigit()):
        raise MappingError("mapper_parsing_exception", f"failed to parse field [{name}] of type [long]")
    if kind in ("double", "scaled_float") and (isinstance(value, bool) or not isinstance(value, int | float)):
        try:
            float(value)
        except (TypeError, ValueError):
            raise MappingError(
                "mapper_parsing_exception", f"failed to parse field [{name}] of type [{kind}]"
            ) from None
    if kind == "date":
        try:
            dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            raise MappingError(
                "mapper_parsing_exception", f"failed to parse field [{name}] of type [date]"
            ) from None
    if kind in ("keyword", "text") and isinstance(value, dict | list):
        raise MappingError("mapper_parsing_exception", f"failed to parse field [{name}] of type [{kind}]")


def _check_document(mappings: dict[str, Any], source: dict[str, Any]) -> None:
    properties = mappings.get("properties", {})
    for name, value in source.items():
        if name not in properties:
            if mappings.get("dynamic") == "strict":
                raise MappingError(
                    "strict_dynamic_mapping_exception",
                    f"mapping set to strict, dynamic introduction of [{name}] within [_doc] is not allowed",
                )
            continue
        _check_value(name, properties[name], value)


class FakeOpenSearch:
    def __init__(self, username: str | None = None, password: str | None = None) -> None:
        self.indices: dict[str, FakeIndex] = {}
        self.bulk_calls: list[BulkCall] = []
        self.requests: list[tuple[str, str]] = []
        self._credentials = (
            "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
            if username is not None
            else None
        )
        self._lock = threading.Lock()
        self._seq_no = 0
        self._request_faults: list[tuple[int, float | None]] = []
        self._item_faults: dict[str, int] = {}  # document id -> how many more times to reject it
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeOpenSearch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # Fault injection -------------------------------------------------------------------------------------

    def fail_next_bulk_requests(self, status: int, count: int = 1, retry_after: float | None = None) -> None:
        with self._lock:
            self._request_faults.extend([(status, retry_after)] * count)

    def reject_items(self, document_ids: list[str], times: int = 1) -> None:
        """The next ``times`` attempts to write each id fail with 429 es_rejected_execution_exception."""
        with self._lock:
            for document_id in document_ids:
                self._item_faults[document_id] = times

    def count(self, index: str) -> int:
        with self._lock:
            return len(self.indices[index].documents) if index in self.indices else 0

    # Protocol ----------------------------------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                return

            def _reply(
                self, status: int, payload: Any | None = None, headers: dict[str, str] | None = None
            ) -> None:
                body = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _handle(self) -> None:
                path = urlsplit(self.path).path
                body = self._body()
                fake.requests.append((self.command, path))
                if fake._credentials is not None and self.headers.get("Authorization") != fake._credentials:
                    self._reply(
                        401,
                        {
                            "error": {"type": "security_exception", "reason": "authentication required"},
                            "status": 401,
                        },
                        {"WWW-Authenticate": 'Basic realm="OpenSearch Security"'},
                    )
                    return
                status, payload, headers = fake._dispatch(self.command, path, body, dict(self.headers))
                self._reply(status, payload, headers)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _handle

        return Handler

    def _dispatch(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        parts = [unquote(part) for part in path.strip("/").split("/") if part]
        if not parts:
            return (
                200,
                {
                    "version": {"distribution": "opensearch", "number": "2.13.0"},
                    "tagline": "The OpenSearch Project",
                },
                {},
            )
        if parts[-1] == "_bulk" and method in ("POST", "PUT"):
            return self._bulk(parts[0] if len(parts) == 2 else None, body, headers)
        index = parts[0]
        with self._lock:
            if len(parts) == 1 and method == "HEAD":
                return (200 if index in self.indices else 404), None, {}
            if len(parts) == 1 and method == "PUT":
                if index in self.indices:
                    return (
                        400,
                        _error(400, "resource_already_exists_exception", f"index [{index}] already exists"),
                        {},
                    )
                request = json.loads(body or b"{}")
                self.indices[index] = FakeIndex(request.get("settings", {}), request.get("mappings", {}))
                return 200, {"acknowledged": True, "shards_acknowledged": True, "index": index}, {}
            if index not in self.indices:
                return 404, _error(404, "index_not_found_exception", f"no such index [{index}]"), {}
            stored = self.indices[index]
            if parts[1:] == ["_mapping"] and method == "GET":
                return 200, {index: {"mappings": stored.mappings}}, {}
            if parts[1:] == ["_count"]:
                return 200, {"count": len(stored.documents)}, {}
            if len(parts) == 3 and parts[1] == "_doc" and method == "GET":
                found = stored.documents.get(parts[2])
                if found is None:
                    return 404, {"_index": index, "_id": parts[2], "found": False}, {}
                return (
                    200,
                    {
                        "_index": index,
                        "_id": parts[2],
                        "_version": found.version,
                        "found": True,
                        "_source": found.source,
                    },
                    {},
                )
        return 405, _error(405, "method_not_allowed", f"{method} {path} is not supported by the fake"), {}

    def _bulk(
        self, default_index: str | None, body: bytes, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        content_type = headers.get("Content-Type", "").split(";")[0].strip()
        if content_type not in ("application/x-ndjson", "application/json"):
            return 406, {"error": f"Content-Type header [{content_type}] is not supported", "status": 406}, {}
        with self._lock:
            if self._request_faults:
                status, retry_after = self._request_faults.pop(0)
                extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
                return (
                    status,
                    _error(status, "es_rejected_execution_exception", "rejected execution of bulk request"),
                    extra,
                )
        if not body.endswith(b"\n"):
            return (
                400,
                _error(
                    400,
                    "illegal_argument_exception",
                    "The bulk request must be terminated by a newline [\\n]",
                ),
                {},
            )
        try:
            operations = list(_operations(body, default_index))
        except ValueError as exc:
            return 400, _error(400, "illegal_argument_exception", str(exc)), {}
        items = []
        with self._lock:
            for action, meta, source in operations:
                items.append({action: self._apply(action, meta, source)})
            self.bulk_calls.append(
                BulkCall(default_index or "", len(operations), headers.get("Authorization"))
            )
        return (
            200,
            {
                "took": 3,
                "errors": any("error" in next(iter(item.values())) for item in items),
                "items": items,
            },
            {},
        )

    def _apply(self, action: str, meta: dict[str, Any], source: dict[str, Any] | None) -> dict[str, Any]:
        index = str(meta["_index"])
        document_id = str(meta.get("_id") or uuid.uuid4().hex)
        head = {"_index": index, "_id": document_id}
        if self._item_faults.get(document_id, 0) > 0:
            self._item_faults[document_id] -= 1
            return {
                **head,
                "status": 429,
                "error": {
                    "type": "es_rejected_execution_exception",
                    "reason": "rejected execution of coordinating operation",
                },
            }
        stored = self.indices.setdefault(index, FakeIndex({}, {}))
        existing = stored.documents.get(document_id)
        if action == "delete":
            if existing is None:
                return {**head, "_version": 1, "result": "not_found", "status": 404}
            del stored.documents[document_id]
            return {**head, "_version": existing.version + 1, "result": "deleted", "status": 200}
        if action == "create" and existing is not None:
            return {
                **head,
                "status": 409,
                "error": {
                    "type": "version_conflict_engine_exception",
                    "reason": f"[{document_id}]: version conflict, document already exists",
                },
            }
        if action == "update":
            if existing is None:
                return {
                    **head,
                    "status": 404,
                    "error": {
                        "type": "document_missing_exception",
                        "reason": f"[{document_id}]: document missing",
                    },
                }
            source = {**existing.source, **(source or {}).get("doc", {})}
        assert source is not None
        try:
            _check_document(stored.mappings, source)
        except MappingError as exc:
            return {**head, "status": 400, "error": {"type": exc.error_type, "reason": exc.reason}}
        self._seq_no += 1
        version = existing.version + 1 if existing else 1
        stored.documents[document_id] = StoredDocument(source, version, self._seq_no)
        return {
            **head,
            "_version": version,
            "result": "updated" if existing else "created",
            "_shards": {"total": 1, "successful": 1, "failed": 0},
            "_seq_no": self._seq_no,
            "_primary_term": 1,
            "status": 200 if existing else 201,
        }


def _error(status: int, error_type: str, reason: str) -> dict[str, Any]:
    return {
        "error": {
            "root_cause": [{"type": error_type, "reason": reason}],
            "type": error_type,
            "reason": reason,
        },
        "status": status,
    }


def _operations(
    body: bytes, default_index: str | None
) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    lines = body.decode("utf-8").split("\n")[:-1]
    position = 0
    while position < len(lines):
        if not lines[position].strip():
            position += 1
            continue
        try:
            header = json.loads(lines[position])
        except json.JSONDecodeError:
            raise ValueError(
                f"Malformed action/metadata line [{position + 1}], expected START_OBJECT"
            ) from None
        if not isinstance(header, dict) or len(header) != 1:
            raise ValueError(f"Malformed action/metadata line [{position + 1}], expected a single action")
        ((action, meta),) = header.items()
        if action not in ("index", "create", "update", "delete"):
            raise ValueError(
                f"Malformed action/metadata line [{position + 1}], expected one of [create, delete, index, update] but found [{action}]"
            )
        meta = dict(meta or {})
        meta.setdefault("_index", default_index)
        if not meta["_index"]:
            raise ValueError("Validation Failed: 1: index is missing;")
        position += 1
        if action == "delete":
            yield action, meta, None
            continue
        if position >= len(lines):
            raise ValueError(f"action [{action}] requires a source line")
        try:
            source = json.loads(lines[position])
        except json.JSONDecodeError:
            raise ValueError(f"failed to parse source of line [{position + 1}]") from None
        position += 1
        yield action, meta, source


@contextmanager
def running_fake_opensearch(
    username: str | None = None, password: str | None = None
) -> Iterator[FakeOpenSearch]:
    fake = FakeOpenSearch(username, password).start()
    try:
        yield fake
    finally:
        fake.stop()
