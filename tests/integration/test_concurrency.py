"""Concurrent callbacks on one wallet: never below zero, every cent accounted for.

Runs on the in-memory ledger and on real DynamoDB Local (moto is not built for threads).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import TypeVar

import pytest
from conftest import Backend, Player, make_backend

from playhub_wallet.errors import InsufficientFunds
from playhub_wallet.models import BetRequest, RefundRequest, WinRequest
from playhub_wallet.playhub_requests import playhub_id
from playhub_wallet.wallet import CallbackResult, WalletService

T = TypeVar("T")
# What these tests prove is that money is conserved whatever the interleaving, not how fast
# contention clears: eight threads on one wallet of a JVM sharing two busy cores can take longer
# than a callback's real budget. So each call gets a patient budget here, and the budget itself is
# tested where it is the subject (test_storage_faults.py: storage busy past the budget is a 500
# that wrote nothing).
DEADLINE_SECONDS = 60.0


@pytest.fixture(params=["memory", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from make_backend(request.param, request)


def deadline() -> float:
    import time

    return time.monotonic() + DEADLINE_SECONDS


def bet(player: Player, amount: str, tx_id: str, round_id: str) -> BetRequest:
    return BetRequest.model_validate(
        {
            "action": "bet",
            "type": "bet",
            "session_id": player.session_id,
            "amount": amount,
            "tx_id": tx_id,
            "round_id": round_id,
        }
    )


def run_all(tasks: list[Callable[[], T]], workers: int = 8) -> list[T | Exception]:
    def attempt(task: Callable[[], T]) -> T | Exception:
        try:
            return task()
        except Exception as exc:  # collected and asserted on by the test
            return exc

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(attempt, tasks))


def test_concurrent_bets_never_overdraw(wallet: WalletService, player: Player, backend: Backend) -> None:
    tasks = [lambda: wallet.bet(bet(player, "10.00", playhub_id(), playhub_id()), deadline()) for _ in range(16)]

    results = run_all(tasks)

    accepted = [r for r in results if isinstance(r, CallbackResult)]
    refused = [r for r in results if isinstance(r, InsufficientFunds)]
    assert (len(accepted), len(refused)) == (10, 6), results
    assert sorted(Decimal(r.response.balance) for r in accepted) == [Decimal(10 * n) for n in range(10)]
    assert backend.view.wallet(player.wallet_key).balance == 0


def test_concurrent_rounds_with_duplicates_and_refunds_conserve_money(
    wallet: WalletService, player: Player, backend: Backend
) -> None:
    rng = random.Random(7)
    rounds = []
    for _ in range(12):
        stake = Decimal(rng.randint(1, 900)) / 100
        payout = Decimal(rng.randint(0, 1500)) / 100
        rounds.append((playhub_id(), playhub_id(), playhub_id(), stake, payout, rng.random() < 0.3))

    def play(round_: tuple[str, str, str, Decimal, Decimal, bool]) -> Decimal:
        """One round, every callback delivered twice; returns the round's effect on the balance."""
        bet_tx, win_tx, round_id, stake, payout, refunded = round_
        request = bet(player, str(stake), bet_tx, round_id)
        try:
            wallet.bet(request, deadline())
        except InsufficientFunds:
            return Decimal(0)
        wallet.bet(request, deadline())  # duplicate delivery
        if refunded:
            refund = RefundRequest.model_validate(
                {"action": "refund", "session_id": player.session_id, "tx_id": playhub_id(), "orig_tx_id": bet_tx}
            )
            wallet.refund(refund, deadline())
            wallet.refund(refund, deadline())
            return Decimal(0)
        win = WinRequest.model_validate(
            {
                "action": "win",
                "type": "win",
                "session_id": player.session_id,
                "amount": str(payout),
                "tx_id": win_tx,
                "round_id": round_id,
            }
        )
        wallet.win(win, deadline())
        wallet.win(win, deadline())
        return payout - stake

    outcomes = run_all([lambda r=r: play(r) for r in rounds])  # type: ignore[misc]

    effects = [outcome for outcome in outcomes if isinstance(outcome, Decimal)]
    assert len(effects) == len(rounds), outcomes
    expected = Decimal("100.00") + sum(effects, Decimal(0))
    final = backend.view.wallet(player.wallet_key)
    assert final.balance == expected
    assert final.balance >= 0
