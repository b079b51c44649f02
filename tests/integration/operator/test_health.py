"""GET /health through its handler: every check holds, or the failing one is named, and no key
is ever shown."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from conftest import Backend
from integration.operator.test_openapi import _conforms
from support.operator import Operator

from playhub_wallet import operator_api
from playhub_wallet.dynamodb.catalogue import CatalogueTable
from playhub_wallet.dynamodb.table import Table
from playhub_wallet.health import HealthParts
from playhub_wallet.secret_keys import KeySource

CALLBACK_KEYS = '["old-callback-key-4f1d", "new-callback-key-9a2c"]'
API_KEY = "api-key-77c1"
SWIPE_CALLBACK_KEY = "swipe-integration-key-3b9e"


def use_parts(monkeypatch: pytest.MonkeyPatch, parts: HealthParts) -> None:
    monkeypatch.setattr(operator_api, "health_parts", lambda: parts)


def local_parts(backend: Backend) -> HealthParts:
    return HealthParts(
        CatalogueTable(backend.table).currencies,
        KeySource("callback", CALLBACK_KEYS),
        KeySource("API", API_KEY),
        KeySource("Swipe callback", SWIPE_CALLBACK_KEY),
    )


def checks(body: dict[str, Any]) -> dict[str, tuple[bool, str]]:
    return {check["name"]: (check["ok"], check["detail"]) for check in body["checks"]}


def test_a_ready_stack_answers_200_with_every_check_and_no_key(
    monkeypatch: pytest.MonkeyPatch, operator: Operator, backend: Backend
) -> None:
    use_parts(monkeypatch, local_parts(backend))
    status, body = operator.call("GET", "/health")
    assert (status, body["status"]) == (200, "ok")
    _conforms(body, "/health", "get", status)
    assert checks(body) == {
        "ledger table": (True, "readable"),
        "catalogue": (True, "10 currencies loaded"),  # the Core API stub's, as make run loads it
        "callback key": (True, "2 keys readable"),  # in rotation: both count, neither shows
        "API key": (True, "1 key readable"),
        "Swipe callback key": (True, "1 key readable"),  # Swipe's API key: only where Swipe is served
    }
    text = str(body)
    assert "callback-key" not in text
    assert API_KEY not in text
    assert SWIPE_CALLBACK_KEY not in text


def test_swipes_keys_are_checked_and_a_missing_one_fails_the_stack(
    monkeypatch: pytest.MonkeyPatch, operator: Operator, backend: Backend
) -> None:
    parts = local_parts(backend)
    served = HealthParts(
        parts.currencies, parts.callback_keys, parts.api_keys, parts.swipe_callback_keys, KeySource("Swipe API", "k")
    )
    use_parts(monkeypatch, served)
    status, body = operator.call("GET", "/health")
    assert (status, checks(body)["Swipe API key"]) == (200, (True, "1 key readable"))

    use_parts(monkeypatch, HealthParts(parts.currencies, parts.callback_keys, parts.api_keys))
    status, body = operator.call("GET", "/health")
    assert (status, body["status"]) == (503, "failing")
    assert checks(body)["Swipe callback key"] == (False, "not configured")


def test_a_stack_whose_catalogue_never_loaded_is_failing(
    monkeypatch: pytest.MonkeyPatch, operator: Operator, backend: Backend
) -> None:
    backend.client.delete_item(TableName=backend.table_name, Key={"pk": {"S": "CATALOGUE"}, "sk": {"S": "CURRENCIES"}})
    use_parts(monkeypatch, local_parts(backend))
    status, body = operator.call("GET", "/health")
    assert (status, body["status"]) == (503, "failing")
    _conforms(body, "/health", "get", status)
    assert checks(body)["catalogue"] == (False, "not loaded: callbacks refuse every currency until it is")
    assert checks(body)["ledger table"] == (True, "readable")


def test_a_missing_table_is_named_and_the_rest_still_checked(
    monkeypatch: pytest.MonkeyPatch, operator: Operator, backend: Backend
) -> None:
    parts = local_parts(backend)
    gone = Table(backend.client, "no-such-table")
    use_parts(
        monkeypatch,
        HealthParts(CatalogueTable(gone).currencies, parts.callback_keys, parts.api_keys, parts.swipe_callback_keys),
    )
    status, body = operator.call("GET", "/health")
    assert status == 503
    assert checks(body)["ledger table"] == (False, "not readable (ResourceNotFoundException)")
    assert checks(body)["catalogue"][0] is False
    assert checks(body)["API key"] == (True, "1 key readable")


@pytest.mark.parametrize("backend", ["moto"], indirect=True)  # Secrets Manager: moto's
def test_an_unreadable_key_is_named_without_its_reason_or_value(
    monkeypatch: pytest.MonkeyPatch, operator: Operator, backend: Backend
) -> None:
    secrets = boto3.client("secretsmanager", region_name="eu-west-1")
    secrets.create_secret(Name="playhub/api-key", SecretString=API_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    parts = HealthParts(
        CatalogueTable(backend.table).currencies,
        KeySource("callback", secret="playhub/no-such-secret", cache_seconds=0),
        KeySource("API", secret="playhub/api-key", cache_seconds=0),
        KeySource("Swipe callback", SWIPE_CALLBACK_KEY),
    )
    use_parts(monkeypatch, parts)
    status, body = operator.call("GET", "/health")
    assert (status, body["status"]) == (503, "failing")
    assert checks(body)["callback key"] == (False, "not readable")
    assert checks(body)["API key"] == (True, "1 key readable")  # read from Secrets Manager, not shown
    assert API_KEY not in str(body)
