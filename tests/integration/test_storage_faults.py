"""Throttling, transaction conflicts and lost responses: retried inside the time budget, then a
500 with nothing half-written; a commit whose answer was lost is never applied twice."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from conftest import Backend, Player
from integration.test_case_table import emitted_metrics
from support.harness import Playhub

from playhub_wallet.dynamodb.callback_ledger import CallbackLedger
from playhub_wallet.dynamodb.table import Table
from playhub_wallet.models import Action
from playhub_wallet.wallet import WalletService


class FaultyClient:
    """A DynamoDB client whose next transact_write_items calls fail as configured."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.failures: list[Exception | str] = []  # "lost": write, then fail like a timeout

    def transact_write_items(self, **kwargs: Any) -> Any:
        if self.failures:
            failure = self.failures.pop(0)
            if failure == "lost":
                self._client.transact_write_items(**kwargs)
                raise ReadTimeoutError(endpoint_url="http://dynamodb")
            assert isinstance(failure, Exception)
            raise failure
        return self._client.transact_write_items(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": code} for code in codes],
        },
        "TransactWriteItems",
    )


def throttled() -> ClientError:
    return ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}, "TransactWriteItems"
    )


def inject(backend: Backend, wallet: WalletService, failures: list[Any]) -> None:
    """Make the next commits fail: for DynamoDB through a faulty client, in memory by the ledger."""
    if backend.table is not None:
        faulty = FaultyClient(backend.client)
        faulty.failures = failures
        wallet._ledger = CallbackLedger(Table(faulty, backend.table_name))  # type: ignore[arg-type]
    else:
        backend.ledger.busy_commits = sum(1 for failure in failures if failure != "lost")
        backend.ledger.lost_responses = sum(1 for failure in failures if failure == "lost")


def test_conflicts_and_throttling_are_retried_and_the_bet_lands_once(
    playhub: Playhub, player: Player, backend: Backend, wallet: WalletService
) -> None:
    inject(
        backend,
        wallet,
        [
            cancelled("None", "TransactionConflict"),
            throttled(),
            cancelled("ThrottlingError"),
            cancelled("ProvisionedThroughputExceeded", "None"),
        ],
    )

    answer = playhub.bet(player.session_id, "10.00")

    assert (answer.status, answer.body["balance"]) == (200, "90.00")
    assert backend.view.wallet(player.wallet_key).balance == Decimal("90.00")


def test_storage_busy_past_the_time_budget_is_500_with_nothing_written(
    playhub: Playhub,
    player: Player,
    backend: Backend,
    wallet: WalletService,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from playhub_wallet import http

    monkeypatch.setattr(http, "_SAFETY_MARGIN_SECONDS", 4.8)  # leaves a 0.2 s budget
    inject(backend, wallet, [throttled() for _ in range(10_000)])

    answer = playhub.bet(player.session_id, "10.00")

    assert answer.status == 500
    assert answer.body == {"message": "internal server error", "details": answer.body["details"]}
    assert "storage busy" in answer.body["details"]
    assert backend.view.wallet(player.wallet_key).balance == Decimal("100.00")
    assert backend.view.entry(player.wallet_key, Action.BET, answer.payload["tx_id"]) is None
    assert emitted_metrics(capsys.readouterr().out).get("Bet5xx") == [1.0]  # what CallbackServerErrorsAlarm watches


def test_a_commit_whose_answer_was_lost_is_answered_as_applied_and_not_applied_twice(
    playhub: Playhub, player: Player, backend: Backend, wallet: WalletService
) -> None:
    inject(backend, wallet, ["lost"])

    answer = playhub.bet(player.session_id, "10.00")
    again = playhub.send(answer.payload)

    assert (answer.status, answer.body["balance"]) == (200, "90.00")
    assert again.body == answer.body
    assert backend.view.wallet(player.wallet_key).balance == Decimal("90.00")


def test_a_bet_answered_500_and_then_refunded_leaves_the_balance_whole(
    playhub: Playhub, player: Player, backend: Backend, wallet: WalletService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Playhub refunds a bet that got a 500; the refund must find the bet if it landed after all."""
    from playhub_wallet import http

    monkeypatch.setattr(http, "_SAFETY_MARGIN_SECONDS", 4.8)
    inject(backend, wallet, ["lost"] + [throttled() for _ in range(10_000)])
    bet = playhub.bet(player.session_id, "10.00")
    assert bet.status == 500  # the debit landed, but we could not confirm it in time
    inject(backend, wallet, [])
    monkeypatch.setattr(http, "_SAFETY_MARGIN_SECONDS", 0.3)

    refund = playhub.refund(player.session_id, bet.payload["tx_id"])

    assert (refund.status, refund.body["balance"]) == (200, "100.00")


def test_an_unexpected_error_is_a_500_without_internals(
    playhub: Playhub, player: Player, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playhub_wallet import http

    def explode(*_: Any, **__: Any) -> None:
        raise KeyError("internal-table-name secret-value")

    monkeypatch.setitem(http._OPERATIONS, Action.BET, explode)
    answer = playhub.bet(player.session_id, "1.00")

    assert answer.status == 500
    assert answer.body == {"message": "internal server error", "details": "unexpected error"}
    assert "secret" not in json.dumps(answer.body)
