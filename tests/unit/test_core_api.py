"""The Core API client against recorded Playhub answers (responses), signatures checked independently."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses

from playhub_wallet.core_api import (
    STAGING_URL,
    CoreApiClient,
    CoreApiError,
    CoreApiTimeout,
    CreateFreeRoundsRequest,
    CreateGameRequest,
    UpdateFreeRoundsRequest,
    User,
)

CID = "2f1c5e0a-7b3d-4e9f-8a6c-1d2e3f4a5b6c"
KEY = "api-token-key"
GAME_ANSWER = {
    "game_url": "https://games.example/launch?t=abc",
    "game_session_id": "0e8f7a6b-5c4d-4e3f-9a2b-1c0d9e8f7a6b",
}


def sent_json(call_index: int) -> dict[str, object]:
    body = responses.calls[call_index].request.body
    assert isinstance(body, bytes)
    return json.loads(body)  # type: ignore[no-any-return]


def sent_query(call_index: int) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(str(responses.calls[call_index].request.url)).query))


def expected_signature(message: bytes) -> str:
    return hmac.new(KEY.encode(), message, hashlib.sha256).hexdigest()


def independent_canonical(payload: object) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.fixture
def client() -> CoreApiClient:
    return CoreApiClient(STAGING_URL, CID, lambda: KEY, connect_timeout=0.5, read_timeout=0.5)


@responses.activate
def test_create_game_sends_the_exact_signed_canonical_body(client: CoreApiClient) -> None:
    responses.post(f"{STAGING_URL}/game-create-new", json=GAME_ANSWER)
    request = CreateGameRequest(
        gameid="ph_limbo_97",
        currency="EUR",
        locale="en_us",
        sessionid="ph1.x.y",
        user=User(id="player-1", nickname="Zoë"),
        returnurl="https://casino.example/lobby",
    )

    answer = client.create_game(request)

    assert answer.game_session_id == GAME_ANSWER["game_session_id"]
    sent = responses.calls[0].request
    payload = {
        "cid": CID,
        "gameid": "ph_limbo_97",
        "currency": "EUR",
        "locale": "en_us",
        "sessionid": "ph1.x.y",
        "providerid": "playhub",
        "returnurl": "https://casino.example/lobby",
        "user": {"id": "player-1", "nickname": "Zoë"},
    }
    assert sent.body == independent_canonical(payload)
    assert sent.headers["X-REQUEST-SIGN"] == expected_signature(independent_canonical(payload))


@responses.activate
def test_a_get_is_signed_over_the_canonical_json_of_its_query(client: CoreApiClient) -> None:
    responses.get(
        f"{STAGING_URL}/games",
        json=[
            {
                "id": "ph_limbo_97",
                "title": "Limbo",
                "locales": "en,de",
                "thumbnail": "https://x/t.png",
                "free_spins": True,
            }
        ],
    )

    games = client.games(thumbnail_shape="portrait")

    assert [game.id for game in games] == ["ph_limbo_97"]
    sent = responses.calls[0].request
    query = sent_query(0)
    assert query == {"cid": CID, "thumbnail_shape": "portrait"}
    assert sent.headers["X-REQUEST-SIGN"] == expected_signature(
        b'{"cid":"%s","thumbnail_shape":"portrait"}' % CID.encode()
    )


ROUND = {
    "round_id": "r",
    "game_session_id": "g",
    "client_hash": "h",
    "bet_amount": "1.00",
    "currency": "EUR",
    "target_multiplier": "2",
    "result": "win",
    "payout_amount": "2.00",
    "payout_multiplier": "2",
    "user_balance": "101.00",
    "user_bonus_balance": "0",
    "cash_out_at": "2",
}


@responses.activate
def test_currencies_and_round_history_parse_into_models(client: CoreApiClient) -> None:
    responses.get(
        f"{STAGING_URL}/currencies",
        json=[
            {
                "code": "BTC",
                "name": "Bitcoin",
                "symbol": "₿",
                "decimal_places": 8,
                "is_crypto": True,
                "is_virtual": False,
            }
        ],
    )
    responses.post(f"{STAGING_URL}/game-round-history", json=ROUND)

    assert client.currencies()[0].decimal_places == 8
    assert client.round_history("ph_limbo_97", "r", "player-1").payout_amount == "2.00"


@responses.activate
def test_round_history_sends_only_the_fields_of_its_schema(client: CoreApiClient) -> None:
    """GetGameRoundHistoryRequest is game_id, round_id and user_id: no cid, unlike every other body."""
    responses.post(f"{STAGING_URL}/game-round-history", json=ROUND)

    client.round_history("ph_limbo_97", "5b7e2f10-2c4d-4e8a-9b1c-3d5e7f9a1b2c", "player-1")

    sent = responses.calls[0].request
    expected = b'{"game_id":"ph_limbo_97","round_id":"5b7e2f10-2c4d-4e8a-9b1c-3d5e7f9a1b2c","user_id":"player-1"}'
    assert sent.body == expected
    assert sent.headers["X-REQUEST-SIGN"] == expected_signature(expected)


@responses.activate
def test_free_rounds_lifecycle(client: CoreApiClient) -> None:
    ref = {"id": "7d6c5b4a-3f2e-4d1c-9b8a-7f6e5d4c3b2a", "external_id": "spring-1"}
    responses.post(f"{STAGING_URL}/free-rounds", json=ref)
    responses.get(
        f"{STAGING_URL}/free-rounds",
        json={
            **ref,
            "cid": CID,
            "game_id": "ph_limbo_97",
            "currency": "EUR",
            "quantity": 10,
            "bet_line": 1,
            "valid_from": "2030-01-01T00:00:00Z",
        },
    )
    responses.put(f"{STAGING_URL}/free-rounds", json=ref)
    responses.post(f"{STAGING_URL}/free-rounds/cancel", json=ref)
    start = datetime(2030, 1, 1, tzinfo=UTC)

    created = client.create_free_rounds(
        CreateFreeRoundsRequest(
            external_id="spring-1",
            external_cid="casino-1",
            game_id="ph_limbo_97",
            currency="EUR",
            quantity=10,
            bet_line=1,
            valid_from=start,
            user_ids=["player-1"],
        )
    )
    fetched = client.free_rounds(external_id="spring-1")
    client.update_free_rounds(
        UpdateFreeRoundsRequest(external_id="spring-1", valid_until=datetime(2030, 2, 1, tzinfo=UTC))
    )
    client.cancel_free_rounds(external_id="spring-1")

    assert created.id == ref["id"]
    assert fetched.valid_from == start
    create_body = sent_json(0)
    assert create_body["valid_from"] == "2030-01-01T00:00:00Z"
    assert create_body["provider_id"] == "playhub"
    assert sent_query(1) == {"cid": CID, "ext_id": "spring-1"}
    assert sent_json(2)["valid_until"] == "2030-02-01T00:00:00Z"
    assert sent_json(3) == {"cid": CID, "external_id": "spring-1"}


@responses.activate
@pytest.mark.parametrize(("status", "message"), [(401, "wrong signature"), (400, "bad locale"), (404, "not found")])
def test_playhub_errors_become_one_typed_exception(client: CoreApiClient, status: int, message: str) -> None:
    responses.post(f"{STAGING_URL}/game-create-new", status=status, json={"message": message, "details": "d-1"})

    with pytest.raises(CoreApiError) as failure:
        client.create_game(CreateGameRequest(gameid="g", currency="EUR", locale="en_us"))

    assert (failure.value.status, failure.value.message, failure.value.details) == (status, message, "d-1")


@responses.activate
def test_a_reused_campaign_external_id_is_409(client: CoreApiClient) -> None:
    responses.post(f"{STAGING_URL}/free-rounds", status=409, json={"message": "already exists", "details": "spring-1"})

    with pytest.raises(CoreApiError) as failure:
        client.create_free_rounds(
            CreateFreeRoundsRequest(
                external_id="spring-1",
                external_cid="c",
                game_id="g",
                currency="EUR",
                quantity=1,
                bet_line=1,
                valid_from=datetime(2030, 1, 1, tzinfo=UTC),
            )
        )
    assert failure.value.status == 409
    assert len(responses.calls) == 1


@responses.activate
def test_a_launch_answered_500_is_not_repeated(client: CoreApiClient) -> None:
    responses.post(f"{STAGING_URL}/game-create-new", status=500, json={"message": "boom", "details": ""})

    with pytest.raises(CoreApiError) as failure:
        client.create_game(CreateGameRequest(gameid="g", currency="EUR", locale="en_us"))

    assert failure.value.status == 500
    assert len(responses.calls) == 1


@responses.activate
def test_a_read_answered_500_is_retried(client: CoreApiClient) -> None:
    responses.get(f"{STAGING_URL}/currencies", status=503, json={"message": "busy", "details": ""})
    responses.get(f"{STAGING_URL}/currencies", json=[])

    assert client.currencies() == []
    assert len(responses.calls) == 2


@responses.activate
def test_a_timeout_is_its_own_error(client: CoreApiClient) -> None:
    responses.post(f"{STAGING_URL}/game-create-new", body=requests.exceptions.ReadTimeout("slow"))

    with pytest.raises(CoreApiTimeout):
        client.create_game(CreateGameRequest(gameid="g", currency="EUR", locale="en_us"))


@responses.activate
def test_a_malformed_answer_is_an_error_not_a_crash(client: CoreApiClient) -> None:
    responses.post(f"{STAGING_URL}/game-create-new", json={"unexpected": True})

    with pytest.raises(CoreApiError, match="unexpected answer"):
        client.create_game(CreateGameRequest(gameid="g", currency="EUR", locale="en_us"))


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and reads requests, but never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/api/v1"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


@pytest.mark.parametrize("call", ["launch", "read"])
def test_an_answer_that_never_comes_is_a_timeout_not_unreachable(silent_server: str, call: str) -> None:
    client = CoreApiClient(silent_server, CID, lambda: KEY, connect_timeout=0.5, read_timeout=0.2)
    calls = {
        "launch": lambda: client.create_game(CreateGameRequest(gameid="g", currency="EUR", locale="en_us")),
        "read": client.currencies,
    }
    with pytest.raises(CoreApiTimeout):
        calls[call]()


def test_a_refused_connection_is_unreachable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    client = CoreApiClient(f"http://127.0.0.1:{port}/api/v1", CID, lambda: KEY, connect_timeout=0.5)
    with pytest.raises(CoreApiError) as failure:
        client.currencies()
    assert (failure.value.status, failure.value.message) == (None, "Playhub is unreachable")
    assert not isinstance(failure.value, CoreApiTimeout)
