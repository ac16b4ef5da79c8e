"""Bulk publication to OpenSearch, against a local server speaking the ``_bulk`` protocol."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pytest
import requests
from pydantic import SecretStr

from core.settings import Backend, Settings
from jobs.positional_day import publish_contract_plans_to_opensearch
from serving.opensearch import (
    BulkPublishError,
    IndexSpec,
    OpenSearchConfig,
    OpenSearchError,
    OpenSearchPublisher,
    contract_plans_index,
    mapping_for_schema,
    opensearch_configured,
)
from tests.support.fake_opensearch import FakeOpenSearch, running_fake_opensearch

PASSWORD = "s3cr3t-Pa55"
SPEC = contract_plans_index()


def _rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "numero_contrato": f"{index:010d}",
            "plano": "PLENO",
            "descricao": "Adesão",
            "id_plano": 3,
            "nome_plano": "PLENO",
            "valor_mensal": Decimal("459.00"),
        }
        for index in range(count)
    ]


@pytest.fixture
def fake() -> Iterator[FakeOpenSearch]:
    with running_fake_opensearch("publisher", PASSWORD) as server:
        yield server


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _publisher(fake: FakeOpenSearch, sleeps: Sleeps | None = None, **options: Any) -> OpenSearchPublisher:
    config = OpenSearchConfig(fake.url, "publisher", SecretStr(PASSWORD))
    return OpenSearchPublisher(config, sleep=sleeps if sleeps is not None else Sleeps(), **options)


def test_rows_are_indexed_in_batches_under_their_natural_key(fake: FakeOpenSearch) -> None:
    result = _publisher(fake, batch_size=4).publish(SPEC, _rows(10))

    assert (result.documents, result.requests, dict(result.results)) == (10, 3, {"created": 10})
    assert [call.actions for call in fake.bulk_calls] == [4, 4, 2]
    assert fake.count("contract_plans") == 10
    document = requests.get(
        f"{fake.url}/contract_plans/_doc/0000000007", auth=("publisher", PASSWORD), timeout=5
    ).json()
    assert document["_source"]["valor_mensal"] == 459.0 and document["_source"]["descricao"] == "Adesão"


def test_the_index_is_created_with_the_mapping_defined_in_code(fake: FakeOpenSearch) -> None:
    _publisher(fake).publish(SPEC, _rows(1))
    mapping = fake.indices["contract_plans"].mappings
    assert mapping["dynamic"] == "strict"
    assert mapping["properties"]["numero_contrato"] == {"type": "keyword"}
    assert mapping["properties"]["id_plano"] == {"type": "long"}
    assert mapping["properties"]["valor_mensal"] == {"type": "scaled_float", "scaling_factor": 100}
    assert mapping["properties"]["descricao"]["type"] == "text"


def test_a_rerun_rewrites_the_same_documents_and_adds_none(fake: FakeOpenSearch) -> None:
    publisher = _publisher(fake, batch_size=3)
    publisher.publish(SPEC, _rows(7))
    again = publisher.publish_table(SPEC, pa.Table.from_pylist(_rows(7)))  # as gold arrives from the catalog

    assert dict(again.results) == {"updated": 7}
    assert fake.count("contract_plans") == 7
    assert {document.version for document in fake.indices["contract_plans"].documents.values()} == {2}


def test_items_rejected_by_a_busy_cluster_are_retried_with_exponential_backoff(fake: FakeOpenSearch) -> None:
    fake.reject_items(["0000000001", "0000000004"], times=3)
    sleeps = Sleeps()

    result = _publisher(fake, sleeps, batch_size=10, backoff_seconds=1.0).publish(SPEC, _rows(6))

    assert result.ok and result.retries == 3 and fake.count("contract_plans") == 6
    assert [call.actions for call in fake.bulk_calls] == [6, 2, 2, 2]  # only the rejected items go again
    assert [0.5 <= sleeps[0] <= 1.0, 1.0 <= sleeps[1] <= 2.0, 2.0 <= sleeps[2] <= 4.0] == [True] * 3


def test_a_rejected_request_is_retried_and_retry_after_is_honoured(fake: FakeOpenSearch) -> None:
    fake.fail_next_bulk_requests(429, count=1, retry_after=7)
    fake.fail_next_bulk_requests(503, count=1)
    sleeps = Sleeps()

    result = _publisher(fake, sleeps, backoff_seconds=0.1).publish(SPEC, _rows(3))

    assert result.ok and result.requests == 3 and fake.count("contract_plans") == 3
    assert sleeps[0] == 7 and sleeps[1] <= 0.2


def test_permanent_item_errors_are_reported_with_id_and_reason_and_the_rest_is_indexed(
    fake: FakeOpenSearch,
) -> None:
    rows = _rows(5)
    rows[2]["id_plano"] = "três"  # not a long: mapper_parsing_exception for this document only
    publisher = _publisher(fake)

    with pytest.raises(BulkPublishError) as raised:
        publisher.publish(SPEC, rows)

    assert "1 of 5 documents failed: 0000000002: 400 mapper_parsing_exception" in str(raised.value)
    assert raised.value.result.results["created"] == 4
    assert fake.count("contract_plans") == 4


def test_retries_give_up_and_say_so(fake: FakeOpenSearch) -> None:
    fake.fail_next_bulk_requests(503, count=10)
    with pytest.raises(BulkPublishError, match="retries_exhausted: HTTP 503; gave up after 3 attempts"):
        _publisher(fake, max_retries=2).publish(SPEC, _rows(2))


def test_a_bad_password_fails_without_showing_it(
    fake: FakeOpenSearch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    config = OpenSearchConfig.from_url(fake.url.replace("http://", "http://publisher:wrong-Pa55@"))
    assert "wrong-Pa55" not in config.url and "wrong-Pa55" not in repr(config)

    with pytest.raises(OpenSearchError) as raised:
        OpenSearchPublisher(config).publish(SPEC, _rows(1))

    assert "HTTP 401" in str(raised.value)
    assert "wrong-Pa55" not in str(raised.value) and "wrong-Pa55" not in caplog.text


def test_endpoint_and_credentials_come_from_settings(fake: FakeOpenSearch) -> None:
    settings = Settings(
        opensearch_url=fake.url,
        opensearch_username="publisher",
        opensearch_password=SecretStr(PASSWORD),
        opensearch_bulk_batch_size=2,
    )
    publisher = OpenSearchPublisher.from_settings(settings, sleep=Sleeps())
    assert publisher.publish(SPEC, _rows(3)).requests == 2
    assert all(call.authorization and call.authorization.startswith("Basic ") for call in fake.bulk_calls)


@pytest.mark.parametrize("form", ["json", "url"])
def test_on_aws_the_secret_alone_names_the_endpoint_and_the_credentials(
    fake: FakeOpenSearch, aws_environment: str, form: str
) -> None:
    """Deployed jobs get only the secret id: the operator's secret carries the whole connection."""
    secret_id = f"lakehouse-test/opensearch-{form}"
    with_credentials = fake.url.replace("http://", f"http://publisher:{PASSWORD}@")
    body = json.dumps({"url": fake.url, "username": "publisher", "password": PASSWORD}) if form == "json" else with_credentials
    boto3.client("secretsmanager").create_secret(Name=secret_id, SecretString=body)
    settings = Settings(backend=Backend.AWS, opensearch_secret_id=secret_id)

    assert opensearch_configured(settings)
    config = OpenSearchConfig.from_settings(settings)
    assert PASSWORD not in config.url and PASSWORD not in repr(config)
    assert OpenSearchPublisher(config, sleep=Sleeps()).publish(SPEC, _rows(2)).documents == 2
    assert fake.bulk_calls and all(call.authorization for call in fake.bulk_calls)


def test_a_deployment_without_the_opensearch_secret_reports_not_configured_naming_it(
    aws_environment: str, tmp_path: Path
) -> None:
    settings = Settings(backend=Backend.AWS, opensearch_secret_id="lakehouse-test/no-such-secret")
    result = publish_contract_plans_to_opensearch(settings, tmp_path / "catalog.duckdb")
    assert result["status"] == "not_configured"
    assert "lakehouse-test/no-such-secret" in result["reason"] and "ResourceNotFoundException" in result["reason"]


def test_without_a_url_or_an_aws_secret_opensearch_is_not_configured(aws_environment: str) -> None:
    assert not opensearch_configured(Settings(opensearch_secret_id="lakehouse/opensearch"))  # local: the URL decides
    assert not opensearch_configured(Settings(backend=Backend.AWS))
    secret_id = "lakehouse-test/opensearch-broken"
    boto3.client("secretsmanager").create_secret(Name=secret_id, SecretString="{not json " + PASSWORD)
    with pytest.raises(OpenSearchError) as raised:
        OpenSearchConfig.from_settings(Settings(backend=Backend.AWS, opensearch_secret_id=secret_id))
    assert "not valid JSON" in str(raised.value) and PASSWORD not in str(raised.value)


def test_the_fake_speaks_the_bulk_protocol_faithfully(fake: FakeOpenSearch) -> None:
    auth = ("publisher", PASSWORD)
    bulk = f"{fake.url}/_bulk"
    unterminated = requests.post(
        bulk,
        data=b'{"index":{"_index":"x","_id":"1"}}\n{"a":1}',
        auth=auth,
        headers={"Content-Type": "application/x-ndjson"},
        timeout=5,
    )
    assert unterminated.status_code == 400 and "terminated by a newline" in unterminated.text
    assert (
        requests.post(
            bulk, data=b"{}\n", auth=auth, headers={"Content-Type": "text/plain"}, timeout=5
        ).status_code
        == 406
    )
    body = b'{"create":{"_index":"x","_id":"1"}}\n{"a":1}\n{"create":{"_index":"x","_id":"1"}}\n{"a":2}\n{"delete":{"_index":"x","_id":"9"}}\n'
    answer = requests.post(
        bulk, data=body, auth=auth, headers={"Content-Type": "application/x-ndjson"}, timeout=5
    ).json()
    assert answer["errors"] is True
    assert [next(iter(item.values()))["status"] for item in answer["items"]] == [201, 409, 404]
    assert answer["items"][1]["create"]["error"]["type"] == "version_conflict_engine_exception"
    assert requests.get(fake.url, timeout=5).status_code == 401


def test_mappings_follow_arrow_types() -> None:
    schema = pa.schema(
        [("d", pa.date32()), ("n", pa.int64()), ("s", pa.string()), ("x", pa.decimal128(12, 2))]
    )
    properties = mapping_for_schema(schema)["properties"]
    assert properties == {
        "d": {"type": "date", "format": "strict_date"},
        "n": {"type": "long"},
        "s": {"type": "keyword"},
        "x": {"type": "scaled_float", "scaling_factor": 100},
    }
    spec = IndexSpec("t", {}, ("a", "b"))
    assert spec.document_id({"a": 1, "b": dt.date(2024, 1, 2)}) == "1|2024-01-02"
    with pytest.raises(OpenSearchError, match="without a value for id field"):
        spec.document_id({"a": 1, "b": None})
