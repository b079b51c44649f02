"""make run on a machine without Java: moto's server stands in for DynamoDB Local."""

from __future__ import annotations

import boto3
import pytest

from devtools import dynamodb_local, local_gateway


def test_without_java_the_local_stack_uses_motos_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dynamodb_local, "java_missing_reason", lambda: "no java here")
    monkeypatch.delenv("DYNAMODB_ENDPOINT", raising=False)
    said: list[str] = []

    with local_gateway.local_storage(fresh=False, in_memory=True, log=said.append) as endpoint:
        local_gateway.ensure_table(endpoint, "fallback-table")
        tables = boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1").list_tables()

    assert "fallback-table" in tables["TableNames"]
    assert said[0].startswith("storage: moto server on http://127.0.0.1:")
