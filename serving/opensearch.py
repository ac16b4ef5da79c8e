"""Publication of rows to an OpenSearch index through the ``_bulk`` API.

How rows travel: batches of ``index`` actions (bounded by count and bytes) whose ``_id`` is the row's
natural key, so a rerun overwrites the same documents and never adds any. Every response is checked
item by item: a rejected request (429, 502, 503, 504, connection errors) and items rejected with a
retryable status (429, 503) are sent again with exponential backoff (honouring ``Retry-After``); any
other item error is permanent and reported with the document id, status and OpenSearch's reason.
The index is created with the mapping defined here (``dynamic: strict``) before the first batch.

The endpoint and credentials come from Settings; a password never appears in a message or a log
line (credentials in the URL are moved out of it before the URL is used or shown).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

import pyarrow as pa
import requests
from pydantic import SecretStr

from core.secrets import resolve_secret
from core.settings import Backend, Settings
from ingestion.positional.tables import contract_plans_key, contract_plans_schema

logger = logging.getLogger(__name__)

RETRYABLE_HTTP = frozenset({429, 502, 503, 504})
RETRYABLE_ITEM = frozenset({429, 503})
MAX_BATCH_BYTES = 5 << 20
_REPORTED_FAILURES = 5


class OpenSearchError(RuntimeError):
    pass


@dataclass(frozen=True)
class IndexSpec:
    name: str
    mappings: dict[str, Any]
    id_fields: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=lambda: {"index": {"number_of_shards": 1}})

    def document_id(self, row: Mapping[str, Any]) -> str:
        """The natural key as the id: the same row always lands on the same document."""
        missing = [name for name in self.id_fields if row.get(name) in (None, "")]
        if missing:
            raise OpenSearchError(f"index {self.name}: row without a value for id field(s) {missing}")
        return "|".join(str(row[name]) for name in self.id_fields)


def field_mapping(data_type: pa.DataType) -> dict[str, Any]:
    if pa.types.is_boolean(data_type):
        return {"type": "boolean"}
    if pa.types.is_integer(data_type):
        return {"type": "long"}
    if pa.types.is_decimal(data_type):
        # Money: exact to the stored scale, and cheaper than double on disk.
        return {"type": "scaled_float", "scaling_factor": 10**data_type.scale}
    if pa.types.is_floating(data_type):
        return {"type": "double"}
    if pa.types.is_date(data_type):
        return {"type": "date", "format": "strict_date"}
    if pa.types.is_timestamp(data_type):
        return {"type": "date", "format": "strict_date_optional_time"}
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return {"type": "keyword"}
    raise OpenSearchError(f"no OpenSearch mapping for Arrow type {data_type}")


def mapping_for_schema(schema: pa.Schema, text_fields: Sequence[str] = ()) -> dict[str, Any]:
    """A strict mapping from an Arrow schema; ``text_fields`` are also searchable as full text."""
    properties = {}
    for column in schema:
        mapping = field_mapping(column.type)
        if column.name in text_fields:
            mapping = {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
        properties[column.name] = mapping
    return {"dynamic": "strict", "properties": properties}


def contract_plans_index(name: str = "contract_plans") -> IndexSpec:
    """``gold.contract_plans`` as an index; its columns and key come from the positional layouts."""
    schema = contract_plans_schema()
    return IndexSpec(
        name, mapping_for_schema(schema, text_fields=("descricao", "nome_plano")), contract_plans_key()
    )


@dataclass(frozen=True)
class OpenSearchConfig:
    url: str  # without credentials
    username: str | None = None
    password: SecretStr | None = None
    timeout_seconds: float = 30.0
    verify_tls: bool = True

    @classmethod
    def from_url(
        cls, url: str, username: str | None = None, password: SecretStr | None = None
    ) -> OpenSearchConfig:
        """Credentials embedded as ``https://user:password@host`` are taken out of the URL."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise OpenSearchError(
                f"OpenSearch URL must be http(s)://host[:port], got scheme {parts.scheme!r}"
            )
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        clean = urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))
        if parts.username is not None:
            username = username or unquote(parts.username)
        if parts.password is not None and password is None:
            password = SecretStr(unquote(parts.password))
        return cls(clean, username, password)

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenSearchConfig:
        """From LAKEHOUSE_OPENSEARCH_URL (and username, password), or on AWS from the secret alone.

        The secret holds the password, or the whole connection: JSON ``{"url", "username", "password"}``
        or a URL with the credentials in it. Deployed jobs get only the secret id (the template's
        ``OpenSearchSecretName``), so the endpoint is the operator's to set, beside the password."""
        secret = resolve_secret(settings, settings.opensearch_password, settings.opensearch_secret_id)
        url, username, password = settings.opensearch_url, settings.opensearch_username, secret
        if secret is not None and settings.opensearch_secret_id and settings.backend is Backend.AWS:
            url, username, password = _connection_from_secret(secret, url, username)
        if not url:
            raise OpenSearchError("LAKEHOUSE_OPENSEARCH_URL is not set (nor a url in the OpenSearch secret)")
        return cls.from_url(url, username, password)


def opensearch_configured(settings: Settings) -> bool:
    """A URL, or on AWS a secret id (the secret then names the endpoint)."""
    return bool(settings.opensearch_url) or (settings.backend is Backend.AWS and bool(settings.opensearch_secret_id))


def _connection_from_secret(
    secret: SecretStr, url: str | None, username: str | None
) -> tuple[str | None, str | None, SecretStr | None]:
    text = secret.get_secret_value().strip()
    if text.startswith(("http://", "https://")):
        return text, username, None  # from_url takes the credentials out of the URL
    if not text.startswith("{"):
        return url, username, secret  # the password alone
    try:
        fields = json.loads(text)
        if not isinstance(fields, dict):
            raise ValueError("not an object")
    except ValueError:
        # The message never carries the secret's text.
        raise OpenSearchError("the OpenSearch secret is not valid JSON") from None
    password = fields.get("password")
    return (
        fields.get("url") or url,
        fields.get("username") or username,
        None if password is None else SecretStr(str(password)),
    )


@dataclass(frozen=True)
class ItemFailure:
    document_id: str
    status: int
    error_type: str
    reason: str


@dataclass
class PublishResult:
    index: str
    documents: int = 0
    results: Counter[str] = field(default_factory=Counter)  # created / updated / ...
    failures: list[ItemFailure] = field(default_factory=list)
    requests: int = 0
    retries: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


class BulkPublishError(OpenSearchError):
    def __init__(self, result: PublishResult) -> None:
        shown = "; ".join(
            f"{item.document_id}: {item.status} {item.error_type}: {item.reason}"
            for item in result.failures[:_REPORTED_FAILURES]
        )
        more = len(result.failures) - _REPORTED_FAILURES
        super().__init__(
            f"index {result.index}: {len(result.failures)} of {result.documents} documents failed: {shown}"
            + (f" (and {more} more)" if more > 0 else "")
        )
        self.result = result


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} to OpenSearch")


@dataclass(frozen=True)
class _Document:
    id: str
    lines: bytes  # action line + source line, newline-terminated


class OpenSearchPublisher:
    def __init__(
        self,
        config: OpenSearchConfig,
        *,
        batch_size: int = 500,
        max_retries: int = 5,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if batch_size < 1 or max_retries < 0:
            raise ValueError("batch_size must be >= 1 and max_retries >= 0")
        self.config = config
        self.batch_size = batch_size
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.sleep = sleep
        self.session = session or requests.Session()
        if config.username is not None:
            secret = config.password.get_secret_value() if config.password else ""
            self.session.auth = (config.username, secret)
        self.session.verify = config.verify_tls

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> OpenSearchPublisher:
        options.setdefault("batch_size", settings.opensearch_bulk_batch_size)
        options.setdefault("max_retries", settings.opensearch_max_retries)
        return cls(OpenSearchConfig.from_settings(settings), **options)

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        try:
            return self.session.request(
                method, f"{self.config.url}{path}", timeout=self.config.timeout_seconds, **kwargs
            )
        except requests.RequestException as exc:
            # requests' messages carry the URL, which holds no credentials; the exception chain is dropped
            # anyway so nothing else from the session can surface.
            raise OpenSearchError(f"{method} {self.config.url}{path}: {type(exc).__name__}") from None

    def _fail(self, response: requests.Response, what: str) -> OpenSearchError:
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        detail = (
            f"{error.get('type')}: {error.get('reason')}"
            if isinstance(error, dict) and error
            else response.reason
        )
        return OpenSearchError(f"{what} on {self.config.url}: HTTP {response.status_code} {detail}")

    def ensure_index(self, spec: IndexSpec) -> bool:
        """Creates the index with its mapping when absent; True if it was created by this call."""
        response = self._request("HEAD", f"/{spec.name}")
        if response.status_code == 200:
            return False
        if response.status_code != 404:
            raise self._fail(response, f"checking index {spec.name}")
        response = self._request(
            "PUT", f"/{spec.name}", json={"settings": spec.settings, "mappings": spec.mappings}
        )
        if response.status_code == 400 and "resource_already_exists" in response.text:
            return False  # created concurrently by another publisher
        if response.status_code >= 300:
            raise self._fail(response, f"creating index {spec.name}")
        logger.info("created OpenSearch index %s", spec.name)
        return True

    def publish(self, spec: IndexSpec, rows: Iterable[Mapping[str, Any]]) -> PublishResult:
        """Indexes every row; raises :class:`BulkPublishError` if any document could not be indexed."""
        self.ensure_index(spec)
        result = PublishResult(spec.name)
        for batch in self._batches(spec, rows):
            result.documents += len(batch)
            self._send(batch, result)
        if result.failures:
            raise BulkPublishError(result)
        logger.info("published %d documents to %s (%s)", result.documents, spec.name, dict(result.results))
        return result

    def publish_table(self, spec: IndexSpec, table: pa.Table) -> PublishResult:
        return self.publish(spec, (row for batch in table.to_batches() for row in batch.to_pylist()))

    def _batches(self, spec: IndexSpec, rows: Iterable[Mapping[str, Any]]) -> Iterator[list[_Document]]:
        batch: list[_Document] = []
        size = 0
        for row in rows:
            document_id = spec.document_id(row)
            action = json.dumps({"index": {"_index": spec.name, "_id": document_id}})
            source = json.dumps(row, default=_json_default, ensure_ascii=False)
            document = _Document(document_id, f"{action}\n{source}\n".encode())
            if batch and (len(batch) >= self.batch_size or size + len(document.lines) > MAX_BATCH_BYTES):
                yield batch
                batch, size = [], 0
            batch.append(document)
            size += len(document.lines)
        if batch:
            yield batch

    def _send(self, batch: list[_Document], result: PublishResult) -> None:
        pending = batch
        attempt = 0
        while pending:
            answer = self._post_bulk(pending, result)
            retry = pending if answer.items is None else self._check_items(pending, answer.items, result)
            reason = answer.reason or f"{len(retry)} item(s) rejected with a retryable status"
            if not retry:
                return
            if attempt >= self.max_retries:
                result.failures.extend(
                    ItemFailure(
                        document.id, 0, "retries_exhausted", f"{reason}; gave up after {attempt + 1} attempts"
                    )
                    for document in retry
                )
                return
            delay = self._backoff(attempt, answer.retry_after)
            logger.warning(
                "bulk retry %d for %d document(s) in %.2fs: %s", attempt + 1, len(retry), delay, reason
            )
            self.sleep(delay)
            attempt += 1
            result.retries += 1
            pending = retry

    @staticmethod
    def _check_items(
        pending: list[_Document], items: list[dict[str, Any]], result: PublishResult
    ) -> list[_Document]:
        """Counts the successes, records the permanent failures, returns the documents to send again."""
        if len(items) != len(pending):
            raise OpenSearchError(f"_bulk answered {len(items)} items for {len(pending)} documents")
        retry = []
        for document, item in zip(pending, items, strict=True):
            (outcome,) = item.values()
            status = int(outcome.get("status", 0))
            if 200 <= status < 300:
                result.results[str(outcome.get("result", "ok"))] += 1
            elif status in RETRYABLE_ITEM:
                retry.append(document)
            else:
                result.failures.append(_failure(document.id, status, outcome.get("error")))
        return retry

    def _post_bulk(self, pending: list[_Document], result: PublishResult) -> _BulkAnswer:
        result.requests += 1
        body = b"".join(document.lines for document in pending)
        try:
            response = self.session.post(
                f"{self.config.url}/_bulk",
                data=body,
                headers={"Content-Type": "application/x-ndjson"},
                timeout=self.config.timeout_seconds,
            )
        except requests.RequestException as exc:
            return _BulkAnswer(None, f"{type(exc).__name__} talking to {self.config.url}")
        if response.status_code in RETRYABLE_HTTP:
            return _BulkAnswer(None, f"HTTP {response.status_code}", _retry_after(response))
        if response.status_code >= 300:
            raise self._fail(response, "_bulk request")
        return _BulkAnswer(list(response.json().get("items", [])))

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Exponential with jitter (so publishers do not retry in step), never shorter than Retry-After."""
        ceiling = min(self.max_backoff_seconds, self.backoff_seconds * 2**attempt)
        return max(random.uniform(ceiling / 2, ceiling), retry_after or 0.0)


@dataclass(frozen=True)
class _BulkAnswer:
    items: list[dict[str, Any]] | None  # None: the whole request is to be sent again
    reason: str = ""
    retry_after: float | None = None


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _failure(document_id: str, status: int, error: Any) -> ItemFailure:
    if isinstance(error, dict):
        return ItemFailure(document_id, status, str(error.get("type", "error")), str(error.get("reason", "")))
    return ItemFailure(document_id, status, "error", str(error))
