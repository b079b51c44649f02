"""The Core API stub's game page: served unsigned to a browser, its moves sent to a stack as the
signed callbacks Playhub's servers send (PLAYHUB.md §2, §3), to a stand-in stack that records them."""

from __future__ import annotations

import json
import re
import socket
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from devtools.core_api_stub import CoreApiStub
from playhub_wallet.core_api import CoreApiClient, CreateGameRequest, User
from playhub_wallet.signing import SIGNATURE_HEADER, canonical_json, sign

API_KEY = "stub-api-key"
CALLBACK_KEY = "game-page-callback-key"
SESSION = "ph1.session-of-alice"


@dataclass
class Received:
    path: str
    signature: str
    raw: bytes

    @property
    def payload(self) -> dict[str, Any]:
        return dict(json.loads(self.raw))


@dataclass
class FakeStack:
    """Records the callbacks it gets; answers what `answer` says (by default 200, balance 10.00)."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    answer: Callable[[dict[str, Any]], tuple[int, Any]] = lambda payload: (200, {"balance": "10.00", "tx_id": "t"})

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def actions(self) -> list[tuple[str, str]]:
        return [(call.path, call.payload["action"]) for call in self.received]


@pytest.fixture
def stack() -> Iterator[FakeStack]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            fake.received.append(Received(self.path, self.headers.get(SIGNATURE_HEADER, ""), raw))
            status, answer = fake.answer(json.loads(raw))
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    fake = FakeStack(ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True).start()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def running_stub(callback_url: str | None) -> CoreApiStub:
    key = CALLBACK_KEY if callback_url else None
    return CoreApiStub(API_KEY, callback_url=callback_url, callback_key=key).start()


@pytest.fixture
def stub(stack: FakeStack) -> Iterator[CoreApiStub]:
    running = running_stub(stack.url)
    yield running
    running.stop()


def launch(stub: CoreApiStub, currency: str = "EUR", session_id: str | None = SESSION) -> str:
    """The game_url of a launch, as our launcher asks for it (signed with the API key)."""
    request = CreateGameRequest(
        gameid="ph_limbo_97",
        currency=currency,
        locale="en_us",
        sessionid=session_id,
        demo=None if session_id else True,
        user=User(id="alice") if session_id else None,
    )
    return CoreApiClient(stub.url, "cid", lambda: API_KEY).create_game(request).game_url


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def move(game_url: str, name: str, amount: str | None = None) -> tuple[int, dict[str, Any]]:
    """What the page's button does: POST <game_url>/<move>, unsigned."""
    body = json.dumps({} if amount is None else {"amount": amount}).encode()
    headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(f"{game_url}/{name}", data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def test_the_game_url_opens_a_self_contained_page_without_a_signature(stub: CoreApiStub) -> None:
    game_url = launch(stub)

    status, headers, page = get(game_url)

    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"].startswith("default-src 'none';")  # nothing loads from elsewhere
    assert "connect-src 'self'" in headers["Content-Security-Policy"]
    assert re.findall(r"""(?:src|href)=["']?([^"' >]+)""", page) == ["data:,"]
    assert 'id="balance"' in page
    assert "alice" in page
    assert SESSION in page
    assert get(f"{stub.url}/games")[0] == 401  # the Core API itself still wants the signature


def test_an_unknown_game_session_is_a_404_page_and_its_moves_404(stub: CoreApiStub) -> None:
    status, headers, page = get(f"{stub.url}/play/no-such-game")
    assert (status, headers["Content-Type"]) == (404, "text/html; charset=utf-8")
    assert "No such game" in page
    assert "no-such-game" in page

    assert move(f"{stub.url}/play/no-such-game", "bet", "1.00") == (
        404,
        {"message": "game session not found", "details": "no-such-game"},
    )
    assert move(launch(stub), "jackpot")[0] == 404


def test_each_move_sends_the_callbacks_playhub_would_signed_with_the_callback_key(
    stub: CoreApiStub, stack: FakeStack
) -> None:
    game_url = launch(stub)

    answers = [move(game_url, "balance"), move(game_url, "bet", "2.50"), move(game_url, "win", "0")]
    answers.append(move(game_url, "lost-bet", "1.00"))

    assert [status for status, _ in answers] == [200] * 4
    assert stack.actions() == [
        ("/balance", "balance"),
        ("/bet", "bet"),
        ("/win", "win"),
        ("/bet", "bet"),
        ("/refund", "refund"),
    ]
    for call in stack.received:  # PLAYHUB.md §2: HMAC-SHA256 over canonical JSON, sent as signed
        assert call.raw == canonical_json(call.payload)
        assert call.signature == sign(CALLBACK_KEY, call.raw)
        assert all(isinstance(value, str) for value in call.payload.values())
        assert call.payload["session_id"] == SESSION
    balance, bet, win, lost_bet, refund = (call.payload for call in stack.received)
    assert balance == {"action": "balance", "session_id": SESSION}
    assert set(bet) == {"action", "type", "session_id", "amount", "tx_id", "round_id"}
    assert (bet["type"], bet["amount"], win["type"], win["amount"]) == ("bet", "2.50", "win", "0")
    assert win["round_id"] == bet["round_id"]  # the win pays out the bet's round
    assert set(win) == set(bet)
    assert lost_bet["round_id"] != bet["round_id"]
    assert refund == {
        "action": "refund",
        "session_id": SESSION,
        "tx_id": refund["tx_id"],
        "orig_tx_id": lost_bet["tx_id"],
    }
    tx_ids = [payload["tx_id"] for payload in (bet, win, lost_bet, refund)]
    assert all(is_uuid(value) for value in [*tx_ids, bet["round_id"], lost_bet["round_id"]])
    assert len(set(tx_ids)) == 4

    shown = answers[3][1]  # what the page shows: the balance, and each callback with its answer
    assert shown["balance"] == "10.00"
    assert shown["error"] is None
    assert [sent["body"]["action"] for sent in shown["callbacks"]] == ["bet", "refund"]
    assert shown["callbacks"][0]["note"].startswith("answer thrown away")
    assert shown["callbacks"][1]["signature"] == stack.received[-1].signature


def test_the_callback_key_never_reaches_the_browser(stub: CoreApiStub) -> None:
    game_url = launch(stub)

    seen = [get(game_url)[2], *(json.dumps(move(game_url, name, "1.00")) for name in ("bet", "win", "lost-bet"))]

    assert not [text for text in seen if CALLBACK_KEY in text]


def test_a_stack_given_as_its_one_url_gets_every_callback_there(stack: FakeStack) -> None:
    stub = running_stub(f"{stack.url}/callback")
    try:
        game_url = launch(stub)
        for name, amount in [("balance", None), ("bet", "1.00"), ("win", "1.00"), ("lost-bet", "1.00")]:
            assert move(game_url, name, amount)[0] == 200
    finally:
        stub.stop()

    assert {path for path, _ in stack.actions()} == {"/callback"}
    assert [action for _, action in stack.actions()] == ["balance", "bet", "win", "bet", "refund"]


def test_a_refusal_comes_back_with_the_stacks_message_and_details(stub: CoreApiStub, stack: FakeStack) -> None:
    stack.answer = lambda payload: (400, {"message": "insufficient funds", "details": "balance is lower"})
    game_url = launch(stub)

    status, shown = move(game_url, "bet", "99.00")

    assert status == 200
    assert shown["error"] == {"status": 400, "message": "insufficient funds", "details": "balance is lower"}
    assert shown["balance"] is None
    assert shown["round_open"] is False  # a refused bet opens no round
    assert move(game_url, "win", "1.00")[0] == 409
    assert stack.actions() == [("/bet", "bet")]  # no refund: Playhub refunds only a 500 or no answer


def test_a_bet_answered_500_is_refunded_as_playhub_does(stub: CoreApiStub, stack: FakeStack) -> None:
    def broken_bets(payload: dict[str, Any]) -> tuple[int, Any]:
        if payload["action"] == "bet":
            return 500, {"message": "server error", "details": "try again"}
        return 200, {"balance": "10.00", "tx_id": "t"}

    stack.answer = broken_bets
    game_url = launch(stub)

    status, shown = move(game_url, "bet", "3.00")

    assert status == 200
    assert stack.actions() == [("/bet", "bet"), ("/refund", "refund")]
    assert stack.received[1].payload["orig_tx_id"] == stack.received[0].payload["tx_id"]
    assert shown["error"] == {"status": 500, "message": "server error", "details": "try again"}
    assert shown["balance"] == "10.00"  # the refund's answer
    assert shown["round_open"] is False


def test_rounds_go_in_order_bet_then_win(stub: CoreApiStub, stack: FakeStack) -> None:
    game_url = launch(stub)

    assert move(game_url, "win", "1.00")[1]["message"] == "no round in play"
    assert move(game_url, "bet", "1.00")[1]["round_open"] is True
    assert move(game_url, "bet", "1.00")[1]["message"] == "round in play"
    assert move(game_url, "lost-bet", "1.00")[1]["message"] == "round in play"
    assert move(game_url, "win", "1.00")[1]["round_open"] is False
    assert move(game_url, "bet", "")[0] == 400  # an amount is needed
    assert stack.actions() == [("/bet", "bet"), ("/win", "win")]


def test_without_a_stack_or_for_a_demo_game_the_page_says_why_it_cannot_play(stack: FakeStack) -> None:
    with pytest.raises(ValueError, match="go together"):
        CoreApiStub(API_KEY, callback_url=stack.url)
    alone = running_stub(None)
    try:
        game_url = launch(alone)
        assert "started without a stack to call" in get(game_url)[2]
        assert move(game_url, "balance")[0] == 503
    finally:
        alone.stop()

    with_stack = running_stub(stack.url)
    try:
        demo_url = launch(with_stack, session_id=None)
        assert "A demo game" in get(demo_url)[2]
        assert move(demo_url, "balance") == (
            409,
            {"message": "demo game", "details": "a demo game plays on Playhub's money and sends no callbacks"},
        )
    finally:
        with_stack.stop()
    assert stack.received == []


@pytest.mark.parametrize(
    ("currency", "stake"), [("EUR", "1.00"), ("JPY", "1"), ("KWD", "1.000"), ("BTC", "1.00000000")]
)
def test_the_amounts_offered_have_the_currencys_decimal_places(stub: CoreApiStub, currency: str, stake: str) -> None:
    page = get(launch(stub, currency))[2]

    assert f'id="stake" inputmode="decimal" autocomplete="off" value="{stake}"' in page


def test_a_stack_that_does_not_answer_is_an_error_on_the_page_and_its_bet_is_refunded() -> None:
    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        nowhere = f"http://127.0.0.1:{unused.getsockname()[1]}"
    stub = running_stub(nowhere)
    try:
        status, shown = move(launch(stub), "bet", "1.00")
    finally:
        stub.stop()

    assert status == 200
    assert [sent["body"]["action"] for sent in shown["callbacks"]] == ["bet", "refund"]  # Playhub refunds it
    assert [sent["status"] for sent in shown["callbacks"]] == [None, None]
    assert shown["error"]["message"] == "no answer"
    assert shown["error"]["details"].startswith(f"no answer from {nowhere}/bet")
    assert (shown["balance"], shown["round_open"]) == (None, False)


def test_a_win_that_got_no_200_is_sent_again_as_it_was(stub: CoreApiStub, stack: FakeStack) -> None:
    """As Playhub retries a win: the same tx_id and amount, so a first one that landed is not paid twice."""
    wins = []

    def first_win_fails(payload: dict[str, Any]) -> tuple[int, Any]:
        if payload["action"] == "win":
            wins.append(payload)
            if len(wins) == 1:
                return 500, {"message": "internal server error", "details": "storage busy"}
        return 200, {"balance": "10.00", "tx_id": "t"}

    stack.answer = first_win_fails
    game_url = launch(stub)
    move(game_url, "bet", "1.00")

    failed = move(game_url, "win", "2.00")[1]
    retried = move(game_url, "win", "5.00")[1]  # another amount typed: the pending win goes as it was

    assert (failed["round_open"], retried["round_open"]) == (True, False)
    assert wins[0] == wins[1]
    assert wins[1]["amount"] == "2.00"
    assert move(game_url, "bet", "1.00")[1]["round_open"] is True  # the next round's win is a new one
    move(game_url, "win", "0")
    assert wins[2]["tx_id"] != wins[0]["tx_id"]


def test_a_move_that_is_not_json_is_refused_so_no_other_site_can_bet(stub: CoreApiStub, stack: FakeStack) -> None:
    game_url = launch(stub)
    form = urllib.request.Request(f"{game_url}/bet", data=b'{"amount": "1.00"}', method="POST")  # noqa: S310
    form.add_header("Content-Type", "text/plain")  # what another site's form may send without a preflight
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(form, timeout=30)  # noqa: S310 - loopback
    assert refused.value.code == 415
    assert stack.received == []
