"""The DynamoDB request budget of each callback, counted on the wire (<= 2 per money callback on
the happy path, 1 for balance, 1 for an exact replay), and the cheap kinds of request: a
strongly consistent BatchGetItem reads (1 unit per item, where TransactGetItems costs 2)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from conftest import DYNAMO_BACKENDS, Backend, Player, make_backend
from support.harness import Answer, Playhub, Swipe
from support.requests import count_store_requests


@pytest.fixture(params=DYNAMO_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """Only the DynamoDB backends: the budget is counted in HTTP requests."""
    yield from make_backend(request.param, request)


@pytest.fixture
def placed_bet(playhub: Playhub, player: Player) -> Answer:
    return playhub.bet(player.session_id, "10.00")


def test_balance_costs_one_request(playhub: Playhub, player: Player, backend: Backend) -> None:
    with count_store_requests(backend) as requests:
        assert playhub.balance(player.session_id).status == 200
    print(f"\n[{backend.name}] balance: {dict(requests.by_operation)}")
    assert dict(requests.by_operation) == {"BatchGetItem": 1}


@pytest.mark.parametrize("callback", ["bet", "win", "refund"])
def test_a_money_callback_costs_one_read_and_one_write(
    playhub: Playhub, player: Player, backend: Backend, placed_bet: Answer, callback: str
) -> None:
    send: Callable[[], Answer] = {
        "bet": lambda: playhub.bet(player.session_id, "1.00"),
        "win": lambda: playhub.win(player.session_id, "3.00", round_id=placed_bet.payload["round_id"]),
        "refund": lambda: playhub.refund(player.session_id, placed_bet.payload["tx_id"]),
    }[callback]
    with count_store_requests(backend) as requests:
        assert send().status == 200
    print(f"\n[{backend.name}] {callback}: {dict(requests.by_operation)}")
    assert dict(requests.by_operation) == {"BatchGetItem": 1, "TransactWriteItems": 1}


@pytest.mark.parametrize("callback", ["bet", "win", "refund"])
def test_an_exact_replay_costs_one_request(
    playhub: Playhub, player: Player, backend: Backend, placed_bet: Answer, callback: str
) -> None:
    first: Answer = {
        "bet": lambda: placed_bet,
        "win": lambda: playhub.win(player.session_id, "3.00", round_id=placed_bet.payload["round_id"]),
        "refund": lambda: playhub.refund(player.session_id, placed_bet.payload["tx_id"]),
    }[callback]()
    with count_store_requests(backend) as requests:
        assert playhub.send(first.payload).body == first.body
    assert dict(requests.by_operation) == {"BatchGetItem": 1}


def test_a_refused_bet_costs_a_read_and_a_confirmation(playhub: Playhub, player: Player, backend: Backend) -> None:
    """The refusal stands only if the bet's own entry is still absent (a retry may race its first try)."""
    with count_store_requests(backend) as requests:
        assert playhub.bet(player.session_id, "1000.00").status == 400
    assert dict(requests.by_operation) == {"BatchGetItem": 1, "GetItem": 1}


@pytest.mark.parametrize("callback", ["balance", "bet", "win", "refund"])
def test_swipes_callbacks_keep_the_same_budget(
    swipe: Swipe, swipe_player: Player, backend: Backend, callback: str
) -> None:
    """One read for GET /balance, one read and one write for each money callback, in Swipe's dialect."""
    placed = swipe.bet(swipe_player.session_id, "10.00")
    send: Callable[[], Answer] = {
        "balance": lambda: swipe.balance(swipe_player.session_id),
        "bet": lambda: swipe.bet(swipe_player.session_id, "1.00"),
        "win": lambda: swipe.win(swipe_player.session_id, "3.00", round_id=placed.payload["roundID"]),
        "refund": lambda: swipe.refund(swipe_player.session_id, placed.payload["txID"], "10.00"),
    }[callback]
    with count_store_requests(backend) as requests:
        answer = send()
    with count_store_requests(backend) as replay_requests:
        replay = swipe.send(callback, answer.payload) if callback != "balance" else send()
    print(f"\n[{backend.name}] swipe {callback}: {dict(requests.by_operation)}")
    assert answer.status == replay.status == 200
    expected = {"BatchGetItem": 1} if callback == "balance" else {"BatchGetItem": 1, "TransactWriteItems": 1}
    assert dict(requests.by_operation) == expected
    assert dict(replay_requests.by_operation) == {"BatchGetItem": 1}
