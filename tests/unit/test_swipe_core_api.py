"""Swipe's Core API client (SWIPE.md §7) against recorded answers (responses) and local sockets.

Bodies are compared with bytes written out by hand, signatures checked with swipe_signing's
verifiers and an independent HMAC.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from pydantic import ValidationError

from playhub_wallet import swipe_signing
from playhub_wallet.core_api import CoreApiError, CoreApiTimeout, call_playhub
from playhub_wallet.errors import Conflict, UpstreamTimeout
from playhub_wallet.swipe_core_api import (
    PRODUCTION_URL,
    STAGING_URL,
    CreateFreeRoundsRequest,
    CreateNewGameRequest,
    SwipeCoreApiClient,
    SwipeCoreApiError,
    SwipeCoreApiTimeout,
    User,
)

CID = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
EXT_CID = "casino-main"
KEY = "swipe-api-key"
GAME_ANSWER = {"gameURL": "https://launcher.swipegames.io/?gsID=9f1c", "gsID": "9f1c5e0a-7b3d-4e9f-8a6c-1d2e3f4a5b6c"}
FREE_ROUNDS_ANSWER = {"id": "7d6c5b4a-3f2e-4d1c-9b8a-7f6e5d4c3b2a", "extID": "spring-1"}
START = datetime(2030, 1, 1, tzinfo=UTC)


def hmac_hex(message: bytes) -> str:
    return hmac.new(KEY.encode(), message, hashlib.sha256).hexdigest()


def sent(call_index: int = 0) -> Any:
    return responses.calls[call_index].request


def sent_query(call_index: int = 0) -> dict[str, str]:
    pairs = parse_qsl(urlsplit(str(sent(call_index).url)).query, keep_blank_values=True)
    assert len(pairs) == len(dict(pairs)), "a query name was sent twice"
    return dict(pairs)


def assert_signed_body(request: Any, expected: bytes) -> None:
    """The body is exactly `expected` and its X-REQUEST-SIGN verifies over those bytes."""
    assert request.body == expected
    signature = request.headers["X-REQUEST-SIGN"]
    assert signature == hmac_hex(expected)
    assert swipe_signing.verify_body(signature, request.body, [KEY])
    assert not swipe_signing.verify_body(signature, request.body, ["another-key"])
    assert request.headers["Content-Type"] == "application/json"


def demo_game(**changes: Any) -> CreateNewGameRequest:
    fields: dict[str, Any] = {"game_id": "sg_catch_97", "demo": True, "platform": "desktop", "currency": "USD"}
    return CreateNewGameRequest(**{**fields, "locale": "en_us", **changes})


def campaign(**changes: Any) -> CreateFreeRoundsRequest:
    fields: dict[str, Any] = {"ext_id": "spring-1", "currency": "EUR", "quantity": 10, "bet_line": 2}
    return CreateFreeRoundsRequest(**{**fields, "valid_from": START, **changes})


@pytest.fixture
def client() -> SwipeCoreApiClient:
    return SwipeCoreApiClient(STAGING_URL, CID, EXT_CID, lambda: KEY, connect_timeout=0.5, read_timeout=3.0)


# create-new-game ----------------------------------------------------------------------------


@responses.activate
def test_create_new_game_sends_the_exact_signed_canonical_body(client: SwipeCoreApiClient) -> None:
    responses.post(f"{STAGING_URL}/create-new-game", json=GAME_ANSWER)
    request = CreateNewGameRequest(
        game_id="sg_catch_97",
        demo=False,
        platform="mobile",
        currency="EUR",
        locale="pt_br",
        session_id="sw1.abc.def",
        return_url="https://casino.example/lobby",
        deposit_url="https://casino.example/cashier",
        user=User(id="player-1", first_name="André", nick_name="Zoë", country="PT"),
    )

    answer = client.create_new_game(request)

    assert (answer.game_url, answer.gs_id) == (GAME_ANSWER["gameURL"], GAME_ANSWER["gsID"])
    assert sent().method == "POST"
    assert sent().url == f"{STAGING_URL}/create-new-game"
    expected = (
        '{"cID":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","currency":"EUR","demo":false,'
        '"depositURL":"https://casino.example/cashier","extCID":"casino-main","gameID":"sg_catch_97",'
        '"locale":"pt_br","platform":"mobile","returnURL":"https://casino.example/lobby","sessionID":"sw1.abc.def",'
        '"user":{"country":"PT","firstName":"André","id":"player-1","nickName":"Zoë"}}'
    ).encode()
    assert_signed_body(sent(), expected)


@responses.activate
def test_a_demo_game_needs_no_session_or_user_and_sends_its_demo_balance_as_a_decimal_string(
    client: SwipeCoreApiClient,
) -> None:
    responses.post(f"{STAGING_URL}/create-new-game", json=GAME_ANSWER)

    client.create_new_game(demo_game(init_demo_balance=Decimal("10000.50")))

    expected = (
        b'{"cID":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","currency":"USD","demo":true,"extCID":"casino-main",'
        b'"gameID":"sg_catch_97","initDemoBalance":"10000.50","locale":"en_us","platform":"desktop"}'
    )
    assert_signed_body(sent(), expected)


def test_the_docs_canonical_launch_body_is_what_we_sign() -> None:
    """SWIPE.md §4: Swipe's docs give this canonical form of a demo launch."""
    client = SwipeCoreApiClient(STAGING_URL, CID, "your_ext_id", lambda: KEY)
    with responses.RequestsMock() as mock:
        mock.post(f"{STAGING_URL}/create-new-game", json=GAME_ANSWER)
        client.create_new_game(demo_game(locale="en-US", return_url="https://your-site.com/game-lobby"))
        body = mock.calls[0].request.body
    assert body == (
        b'{"cID":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","currency":"USD","demo":true,"extCID":"your_ext_id",'
        b'"gameID":"sg_catch_97","locale":"en-US","platform":"desktop","returnURL":"https://your-site.com/game-lobby"}'
    )


@pytest.mark.parametrize("missing", ["demo", "platform", "game_id", "currency", "locale"])
def test_create_new_game_refuses_a_request_without_a_required_field(missing: str) -> None:
    fields: dict[str, Any] = {
        "game_id": "g",
        "demo": True,
        "platform": "desktop",
        "currency": "USD",
        "locale": "en_us",
    }
    del fields[missing]
    with pytest.raises(ValidationError):
        CreateNewGameRequest(**fields)


@pytest.mark.parametrize(
    "changes",
    [
        {"platform": "tv"},
        {"demo": False},  # a real game without our session and the user
        {"demo": False, "session_id": "s"},
        {"demo": False, "user": User(id="p")},
        {"demo": False, "session_id": "s", "user": User(id="p"), "init_demo_balance": Decimal(5)},
        {"init_demo_balance": Decimal(0)},
        {"init_demo_balance": 10.5},  # a float is never money
        {"init_demo_balance": "1e3"},
        {"init_demo_balance": Decimal("-5")},
        {"init_demo_balance": Decimal("NaN")},
    ],
)
def test_create_new_game_refuses_an_incoherent_request(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        demo_game(**changes)


@pytest.mark.parametrize(
    ("cid", "ext_cid", "games_read_timeout"), [("", EXT_CID, 60.0), (CID, "", 60.0), (CID, EXT_CID, 20.0)]
)
def test_the_client_needs_its_cid_an_ext_cid_and_a_games_timeout_over_20_s(
    cid: str, ext_cid: str, games_read_timeout: float
) -> None:
    with pytest.raises(ValueError, match=r"required|over 20"):
        SwipeCoreApiClient(PRODUCTION_URL, cid, ext_cid, lambda: KEY, games_read_timeout=games_read_timeout)


# games --------------------------------------------------------------------------------------


def game(**changes: Any) -> dict[str, Any]:
    return {
        "title": "Catch",
        "id": "sg_catch_97",
        "locales": ["en_us", "pt_br"],
        "currencies": ["USD", "EUR"],
        "platforms": ["desktop", "mobile"],
        "images": {
            "baseURL": "https://cdn.example/catch/",
            "square": "sq.png",
            "horizontal": "h.png",
            "widescreen": "w.png",
            "vertical": "v.png",
        },
        "hasFreeSpins": True,
        "rtp": 97,
        "betLines": [
            {
                "currency": "USD",
                "values": [
                    {"maxBet": "1.00", "maxCoeff": "5.00"},
                    {"maxBet": "2.00", "maxCoeff": "20"},
                ],
            },
            {"currency": "EUR", "values": [{"maxBet": "0.90", "maxCoeff": "5.00"}]},
        ],
        **changes,
    }


@responses.activate
def test_games_is_a_get_signed_over_its_query_with_gzip_and_the_long_timeout() -> None:
    client = SwipeCoreApiClient(STAGING_URL, CID, EXT_CID, lambda: KEY, connect_timeout=1.5, games_read_timeout=45)
    responses.get(f"{STAGING_URL}/games", json=[game()])

    games = client.games()

    assert [entry.id for entry in games] == ["sg_catch_97"]
    request = sent()
    assert request.method == "GET"
    assert request.body is None
    assert urlsplit(str(request.url)).path == "/api/v1/games"
    assert sent_query() == {"cID": CID, "extCID": EXT_CID}
    message = b'{"cID":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","extCID":"casino-main"}'
    assert request.headers["X-REQUEST-SIGN"] == hmac_hex(message)
    assert swipe_signing.verify_query(request.headers["X-REQUEST-SIGN"], sent_query(), [KEY])
    assert request.headers["Accept-Encoding"] == "gzip"
    assert request.req_kwargs["timeout"] == (1.5, 45)


@responses.activate
def test_exclude_bet_lines_is_sent_and_signed_as_the_string_true(client: SwipeCoreApiClient) -> None:
    responses.get(f"{STAGING_URL}/games", json=[game(hasFreeSpins=False, betLines=None)])

    games = client.games(exclude_bet_lines=True)

    assert games[0].bet_lines is None
    assert not games[0].has_free_spins
    assert sent_query() == {"cID": CID, "excludeBetLines": "true", "extCID": EXT_CID}
    message = b'{"cID":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","excludeBetLines":"true","extCID":"casino-main"}'
    assert sent().headers["X-REQUEST-SIGN"] == hmac_hex(message)


@responses.activate
def test_a_gzipped_catalogue_is_inflated_and_parsed(client: SwipeCoreApiClient) -> None:
    many = [game(id=f"sg_game_{n}") for n in range(2000)]
    raw = json.dumps(many).encode()
    compressed = gzip.compress(raw)
    assert len(compressed) < len(raw) // 10
    responses.get(
        f"{STAGING_URL}/games",
        body=compressed,
        headers={"Content-Encoding": "gzip"},
        content_type="application/json",
    )

    games = client.games()

    assert len(games) == 2000
    assert games[-1].id == "sg_game_1999"


@responses.activate
def test_games_parse_images_and_bet_lines_as_decimal_money(client: SwipeCoreApiClient) -> None:
    images = {**game()["images"], "horizontal_337x181": "h337.png"}
    responses.get(f"{STAGING_URL}/games", json=[game(images=images)])

    (catch,) = client.games()

    assert catch.images.base_url == "https://cdn.example/catch/"
    assert catch.images.horizontal_337x181 == "h337.png"
    assert catch.locales == ["en_us", "pt_br"]
    assert catch.rtp == 97
    usd = catch.bet_lines_in("USD")
    assert usd is not None
    assert [(line.max_bet, line.max_coeff) for line in usd] == [
        (Decimal("1.00"), Decimal("5.00")),
        (Decimal("2.00"), Decimal("20")),
    ]
    assert all(isinstance(line.max_bet, Decimal) for line in usd)
    # Bet lines are 1-based (SWIPE.md §9); the exposure is maxBet x maxCoeff x quantity.
    line = catch.bet_line("USD", 2)
    assert line is not None
    assert line.max_payout(10) == Decimal("400.00")
    assert catch.bet_line("USD", 0) is None
    assert catch.bet_line("USD", 3) is None
    assert catch.bet_line("GBP", 1) is None
    eur = catch.bet_line("EUR", 1)
    assert eur is not None
    assert eur.max_bet == Decimal("0.90")


@responses.activate
@pytest.mark.parametrize(
    "bad_line",
    [{"maxBet": 1.0, "maxCoeff": "5"}, {"maxBet": "1.00", "maxCoeff": 5}, {"maxBet": "-1", "maxCoeff": "5"}],
)
def test_a_bet_line_that_is_not_a_decimal_string_is_an_unexpected_answer(
    client: SwipeCoreApiClient, bad_line: dict[str, Any]
) -> None:
    responses.get(f"{STAGING_URL}/games", json=[game(betLines=[{"currency": "USD", "values": [bad_line]}])])

    with pytest.raises(SwipeCoreApiError, match="unexpected answer") as failure:
        client.games()
    assert failure.value.status == 200


@responses.activate
def test_no_games_is_a_404_with_swipes_message(client: SwipeCoreApiClient) -> None:
    responses.get(f"{STAGING_URL}/games", status=404, json={"message": "Games not found"})

    with pytest.raises(SwipeCoreApiError) as failure:
        client.games()

    assert (failure.value.status, failure.value.message, failure.value.code) == (404, "Games not found", None)
    assert failure.value.details == "GET /games"
    assert len(responses.calls) == 1  # a 4xx is never repeated


# free-rounds --------------------------------------------------------------------------------


@responses.activate
def test_create_free_rounds_sends_the_exact_signed_canonical_body(client: SwipeCoreApiClient) -> None:
    responses.post(f"{STAGING_URL}/free-rounds", json=FREE_ROUNDS_ANSWER)

    created = client.create_free_rounds(
        campaign(
            game_ids=["sg_catch_97"],
            user_ids=["player-1", "player-2"],
            valid_until=START + timedelta(days=30),
        )
    )

    assert (created.id, created.ext_id) == (FREE_ROUNDS_ANSWER["id"], "spring-1")
    assert sent().url == f"{STAGING_URL}/free-rounds"
    expected = (
        b'{"betLine":2,"cID":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","currency":"EUR","extCID":"casino-main",'
        b'"extID":"spring-1","gameIDs":["sg_catch_97"],"quantity":10,"userIDs":["player-1","player-2"],'
        b'"validFrom":"2030-01-01T00:00:00.000Z","validUntil":"2030-01-31T00:00:00.000Z"}'
    )
    assert_signed_body(sent(), expected)


@responses.activate
def test_a_campaign_for_every_game_and_player_leaves_the_lists_out(client: SwipeCoreApiClient) -> None:
    responses.post(f"{STAGING_URL}/free-rounds", json=FREE_ROUNDS_ANSWER)
    east = datetime(2030, 1, 1, 5, 0, 0, 250000, tzinfo=timezone(timedelta(hours=2)))

    client.create_free_rounds(campaign(valid_from=east))

    body = json.loads(sent().body)
    assert "gameIDs" not in body
    assert "userIDs" not in body
    assert "validUntil" not in body
    assert body["validFrom"] == "2030-01-01T03:00:00.250Z"


@pytest.mark.parametrize(
    "changes",
    [
        {"quantity": 0},
        {"quantity": 100},
        {"bet_line": 0},
        {"bet_line": 100},
        {"ext_id": ""},
        {"game_ids": []},
        {"user_ids": []},
        {"valid_from": datetime(2030, 1, 1)},  # naive: which zone?
        {"valid_until": START},
        {"valid_until": START + timedelta(days=30, seconds=1)},
    ],
)
def test_create_free_rounds_refuses_what_swipe_would(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        campaign(**changes)


@responses.activate
@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ({"ext_id": "spring-1"}, b'"extID":"spring-1"'),
        ({"id": FREE_ROUNDS_ANSWER["id"]}, b'"id":"7d6c5b4a-3f2e-4d1c-9b8a-7f6e5d4c3b2a"'),
    ],
)
def test_cancel_is_a_delete_with_a_signed_json_body_and_no_answer_body(
    client: SwipeCoreApiClient, reference: dict[str, str], expected: bytes
) -> None:
    responses.delete(f"{STAGING_URL}/free-rounds", body=b"")

    client.cancel_free_rounds(**reference)

    assert sent().method == "DELETE"
    assert sent().url == f"{STAGING_URL}/free-rounds"
    # "extID" and "id" both sort after "extCID".
    cid_and_ext_cid = b'"cID":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","extCID":"casino-main"'
    assert_signed_body(sent(), b"{" + cid_and_ext_cid + b"," + expected + b"}")


@pytest.mark.parametrize("reference", [{}, {"id": "x", "ext_id": "y"}, {"id": "", "ext_id": ""}])
def test_cancel_names_exactly_one_campaign(client: SwipeCoreApiClient, reference: dict[str, str]) -> None:
    with responses.RequestsMock() as mock, pytest.raises(ValueError, match="exactly one"):
        client.cancel_free_rounds(**reference)
    assert not mock.calls


# Errors -------------------------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            400,
            {"message": "Game not found", "details": "gameID sg_x", "code": "game_not_found"},
            ("Game not found", "gameID sg_x", "game_not_found"),
        ),
        (401, {"message": "wrong signature"}, ("wrong signature", "POST /create-new-game", None)),
        (
            403,
            {"message": "blocked", "code": "account_blocked", "extra": 1},
            ("blocked", "POST /create-new-game", "account_blocked"),
        ),
        (
            422,
            {"message": "nope", "code": "a_code_added_later"},
            ("nope", "POST /create-new-game", "a_code_added_later"),
        ),
    ],
)
def test_swipe_errors_become_one_typed_exception_with_their_code(
    client: SwipeCoreApiClient, status: int, body: dict[str, Any], expected: tuple[str, str, str | None]
) -> None:
    responses.post(f"{STAGING_URL}/create-new-game", status=status, json=body)

    with pytest.raises(SwipeCoreApiError) as failure:
        client.create_new_game(demo_game())

    error = failure.value
    assert isinstance(error, CoreApiError)
    assert not isinstance(error, CoreApiTimeout)
    assert (error.status, error.message, error.details, error.code) == (status, *expected)


@responses.activate
@pytest.mark.parametrize("body", [b"<html>Bad Gateway</html>", b"[1, 2]", b'{"message": 5}'])
def test_an_error_body_that_is_not_swipes_keeps_the_status(client: SwipeCoreApiClient, body: bytes) -> None:
    responses.post(f"{STAGING_URL}/free-rounds", status=502, body=body)

    with pytest.raises(SwipeCoreApiError) as failure:
        client.create_free_rounds(campaign())

    assert (failure.value.status, failure.value.message, failure.value.code) == (502, "Bad Gateway", None)


@responses.activate
def test_a_reused_ext_id_is_a_409_that_reads_as_a_conflict(client: SwipeCoreApiClient) -> None:
    responses.post(f"{STAGING_URL}/free-rounds", status=409, json={"message": "already exists"})

    with pytest.raises(Conflict):
        call_playhub(lambda: client.create_free_rounds(campaign()))
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize("answer", [{"gameURL": "https://x"}, {"gsID": "g"}, ["not", "an", "object"]])
def test_a_malformed_answer_is_an_error_not_a_crash(client: SwipeCoreApiClient, answer: Any) -> None:
    responses.post(f"{STAGING_URL}/create-new-game", json=answer)

    with pytest.raises(SwipeCoreApiError, match="unexpected answer"):
        client.create_new_game(demo_game())


# Retries and timeouts -----------------------------------------------------------------------


@responses.activate
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_create_answered_5xx_is_never_repeated(client: SwipeCoreApiClient, status: int) -> None:
    responses.post(f"{STAGING_URL}/create-new-game", status=status, json={"message": "boom"})
    responses.post(f"{STAGING_URL}/free-rounds", status=status, json={"message": "boom"})

    with pytest.raises(SwipeCoreApiError) as launch:
        client.create_new_game(demo_game())
    with pytest.raises(SwipeCoreApiError) as create:
        client.create_free_rounds(campaign())

    assert launch.value.status == create.value.status == status
    assert [call.request.url for call in responses.calls] == [
        f"{STAGING_URL}/create-new-game",
        f"{STAGING_URL}/free-rounds",
    ]


@responses.activate
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_games_answered_5xx_is_repeated_once(client: SwipeCoreApiClient, status: int) -> None:
    responses.get(f"{STAGING_URL}/games", status=status, json={"message": "busy"})
    responses.get(f"{STAGING_URL}/games", json=[game()])

    assert [entry.id for entry in client.games()] == ["sg_catch_97"]
    assert len(responses.calls) == 2
    # Both tries carry the same signed query.
    assert sent(0).headers["X-REQUEST-SIGN"] == sent(1).headers["X-REQUEST-SIGN"]


@responses.activate
def test_games_answered_5xx_twice_gives_up_after_one_repeat(client: SwipeCoreApiClient) -> None:
    responses.get(f"{STAGING_URL}/games", status=503, json={"message": "busy", "details": "d"})

    with pytest.raises(SwipeCoreApiError) as failure:
        client.games()

    assert (failure.value.status, failure.value.message) == (503, "busy")
    assert len(responses.calls) == 2


@responses.activate
def test_a_cancel_answered_5xx_is_repeated_once(client: SwipeCoreApiClient) -> None:
    responses.delete(f"{STAGING_URL}/free-rounds", status=500, json={"message": "boom"})
    responses.delete(f"{STAGING_URL}/free-rounds", status=200)

    client.cancel_free_rounds(ext_id="spring-1")

    assert len(responses.calls) == 2
    assert sent(0).body == sent(1).body


@responses.activate
@pytest.mark.parametrize("operation", ["launch", "games", "create", "cancel"])
def test_a_timeout_is_its_own_error_and_reads_as_an_upstream_timeout(
    client: SwipeCoreApiClient, operation: str
) -> None:
    for method in (responses.GET, responses.POST, responses.DELETE):
        for path in ("/create-new-game", "/games", "/free-rounds"):
            responses.add(method, f"{STAGING_URL}{path}", body=requests.exceptions.ReadTimeout("slow"))
    calls: dict[str, Callable[[], object]] = {
        "launch": lambda: client.create_new_game(demo_game()),
        "games": client.games,
        "create": lambda: client.create_free_rounds(campaign()),
        "cancel": lambda: client.cancel_free_rounds(ext_id="spring-1"),
    }

    with pytest.raises(SwipeCoreApiTimeout) as failure:
        calls[operation]()
    assert isinstance(failure.value, CoreApiTimeout)
    assert failure.value.status is None
    with pytest.raises(UpstreamTimeout):
        call_playhub(calls[operation])


@responses.activate
def test_the_default_read_timeout_is_passed_to_every_call_but_games() -> None:
    client = SwipeCoreApiClient(STAGING_URL, CID, EXT_CID, lambda: KEY)
    responses.post(f"{STAGING_URL}/create-new-game", json=GAME_ANSWER)
    responses.post(f"{STAGING_URL}/free-rounds", json=FREE_ROUNDS_ANSWER)
    responses.delete(f"{STAGING_URL}/free-rounds")
    responses.get(f"{STAGING_URL}/games", json=[])

    client.create_new_game(demo_game())
    client.create_free_rounds(campaign())
    client.cancel_free_rounds(id="x")
    client.games()

    assert [sent(index).req_kwargs["timeout"] for index in range(len(responses.calls))] == [
        (2.0, 10.0),
        (2.0, 10.0),
        (2.0, 10.0),
        (2.0, 60.0),
    ]


@dataclass
class ScriptedServer:
    """A local HTTP server that plays one step per connection: "drop" reads the request and
    closes without answering, "silent" reads it and never answers, bytes are sent as the answer."""

    url: str
    requests: list[bytes] = field(default_factory=list)


def _read_request(connection: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def http_answer(status: int, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


@pytest.fixture
def scripted_server() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[tuple[socket.socket, threading.Thread, threading.Event, list[socket.socket]]] = []

    def start(*steps: str | bytes) -> ScriptedServer:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.settimeout(0.1)
        result = ScriptedServer(f"http://127.0.0.1:{server.getsockname()[1]}/api/v1")
        stop = threading.Event()
        held: list[socket.socket] = []
        script = list(steps)

        def serve() -> None:
            while not stop.is_set():
                try:
                    connection = server.accept()[0]
                except OSError:
                    continue
                connection.settimeout(2)
                with contextlib.suppress(OSError):
                    result.requests.append(_read_request(connection))
                step = script.pop(0) if script else "drop"
                if step == "silent":
                    held.append(connection)
                    continue
                if isinstance(step, bytes):
                    with contextlib.suppress(OSError):
                        connection.sendall(step)
                connection.close()

        thread = threading.Thread(target=serve, daemon=True)
        thread.start()
        servers.append((server, thread, stop, held))
        return result

    yield start
    for server, thread, stop, held in servers:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        server.close()


def test_a_dropped_answer_to_games_is_repeated_once(scripted_server: Callable[..., ScriptedServer]) -> None:
    server = scripted_server("drop", http_answer(200, json.dumps([game()]).encode()))
    client = SwipeCoreApiClient(server.url, CID, EXT_CID, lambda: KEY, connect_timeout=1, read_timeout=2)

    assert [entry.id for entry in client.games()] == ["sg_catch_97"]
    assert len(server.requests) == 2
    assert all(request.startswith(b"GET /api/v1/games?") for request in server.requests)


def test_a_dropped_answer_to_games_twice_is_an_unknown_outcome(
    scripted_server: Callable[..., ScriptedServer],
) -> None:
    server = scripted_server("drop", "drop", "drop")
    client = SwipeCoreApiClient(server.url, CID, EXT_CID, lambda: KEY, connect_timeout=1, read_timeout=2)

    with pytest.raises(SwipeCoreApiTimeout, match="answer was lost"):
        client.games()
    assert len(server.requests) == 2


@pytest.mark.parametrize("operation", ["launch", "create"])
def test_a_dropped_answer_to_a_create_is_never_repeated(
    scripted_server: Callable[..., ScriptedServer], operation: str
) -> None:
    answer = GAME_ANSWER if operation == "launch" else FREE_ROUNDS_ANSWER
    server = scripted_server("drop", http_answer(200, json.dumps(answer).encode()))
    client = SwipeCoreApiClient(server.url, CID, EXT_CID, lambda: KEY, connect_timeout=1, read_timeout=2)
    calls: dict[str, Callable[[], object]] = {
        "launch": lambda: client.create_new_game(demo_game()),
        "create": lambda: client.create_free_rounds(campaign()),
    }

    # The request went out: the outcome is unknown, which is what a timeout says too.
    with pytest.raises(SwipeCoreApiTimeout, match="answer was lost"):
        calls[operation]()
    assert len(server.requests) == 1


def test_a_dropped_answer_to_a_cancel_is_repeated_once(scripted_server: Callable[..., ScriptedServer]) -> None:
    server = scripted_server("drop", http_answer(200, b""))
    client = SwipeCoreApiClient(server.url, CID, EXT_CID, lambda: KEY, connect_timeout=1, read_timeout=2)

    client.cancel_free_rounds(ext_id="spring-1")

    assert len(server.requests) == 2
    assert all(request.startswith(b"DELETE /api/v1/free-rounds ") for request in server.requests)
    assert server.requests[0].endswith(
        b'{"cID":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","extCID":"casino-main","extID":"spring-1"}'
    )


def test_an_answer_that_never_comes_is_a_timeout_and_a_create_is_not_repeated(
    scripted_server: Callable[..., ScriptedServer],
) -> None:
    server = scripted_server("silent", "silent")
    client = SwipeCoreApiClient(server.url, CID, EXT_CID, lambda: KEY, connect_timeout=1, read_timeout=0.3)

    with pytest.raises(SwipeCoreApiTimeout, match="in time"):
        client.create_new_game(demo_game())
    assert len(server.requests) == 1


def test_a_refused_connection_is_unreachable_and_not_an_unknown_outcome() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    client = SwipeCoreApiClient(f"http://127.0.0.1:{port}/api/v1", CID, EXT_CID, lambda: KEY, connect_timeout=0.5)

    with pytest.raises(SwipeCoreApiError) as failure:
        client.create_new_game(demo_game())

    assert (failure.value.status, failure.value.message) == (None, "Swipe is unreachable")
    assert not isinstance(failure.value, CoreApiTimeout)
