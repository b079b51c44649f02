"""The CLI's SigV4 signing, and the local Core API stub's signature check."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from devtools.core_api_stub import CoreApiStub
from playhub_ops.client import OperatorClient
from playhub_wallet.core_api import CoreApiClient, CoreApiError

DEPLOYED = "https://abc123.execute-api.eu-central-1.amazonaws.com/live"


@responses.activate
def test_requests_to_a_deployed_stack_are_sigv4_signed_for_execute_api() -> None:
    responses.get(f"{DEPLOYED}/players/p%231/wallets", json={"player_id": "p#1", "wallets": []})

    OperatorClient(DEPLOYED).wallets("p#1")

    headers = responses.calls[0].request.headers
    assert str(headers["Authorization"]).startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/eu-central-1/execute-api/aws4_request" in str(headers["Authorization"])
    assert "X-Amz-Date" in headers


@responses.activate
def test_requests_to_the_local_stack_are_not_signed() -> None:
    responses.put("http://127.0.0.1:3000/players/p/block", json={"player_id": "p", "blocked": True, "wallets": []})

    OperatorClient("http://127.0.0.1:3000").block("p", blocked=True)

    assert "Authorization" not in responses.calls[0].request.headers
    body = responses.calls[0].request.body
    assert isinstance(body, bytes)
    assert json.loads(body) == {"blocked": True}


@pytest.fixture
def stub() -> Iterator[CoreApiStub]:
    running = CoreApiStub("stub-key").start()
    yield running
    running.stop()


def test_the_stub_answers_only_correctly_signed_requests(stub: CoreApiStub) -> None:
    games = CoreApiClient(stub.url, "cid", lambda: "stub-key").games()
    assert games[0].id == "ph_limbo_97"
    with pytest.raises(CoreApiError) as failure:
        CoreApiClient(stub.url, "cid", lambda: "another-key").currencies()
    assert failure.value.status == 401
