"""The ledger reads item by item (BatchGetItem), not a snapshot: what that must never change.

Each test makes a read see the store as a race would leave it (one item read before a
concurrent commit, the next after), and checks the answer is still one a snapshot read could
have given, on the in-memory ledger and on DynamoDB (moto).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from conftest import Backend, Player, build_wallet, install_runtime, make_backend, open_funded_session
from support.harness import FakeClock, Playhub

from playhub_wallet import rules
from playhub_wallet.models import Action, BetRequest, RefundRequest, WinRequest
from playhub_wallet.playhub_requests import playhub_id
from playhub_wallet.state import EntryKey, LedgerEntry, LedgerPort, Reads, Snapshot, StaleSnapshot, WalletKey
from playhub_wallet.wallet import WalletService


@pytest.fixture(params=["memory", "moto"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from make_backend(request.param, request)


class StaleOnce:
    """A ledger whose next load shows one entry as it was before (or, with None, not yet there)."""

    def __init__(self, ledger: LedgerPort) -> None:
        self._ledger = ledger
        self.stale: dict[EntryKey, LedgerEntry | None] = {}
        self.hide_round = False  # the round's record, as before its first bet

    def load(self, reads: Reads) -> Snapshot:
        snapshot = self._ledger.load(reads)
        if self.hide_round:
            self.hide_round = False
            snapshot = replace(snapshot, round_has_bet=False)
        if not self.stale:
            return snapshot
        entries = dict(snapshot.entries)
        for key, entry in self.stale.items():
            if entry is None:
                entries.pop(key, None)
            else:
                entries[key] = entry
        self.stale = {}
        return replace(snapshot, entries=entries)

    def entry(self, key: EntryKey) -> LedgerEntry | None:
        return self._ledger.entry(key)

    def __getattr__(self, name: str) -> object:
        return getattr(self._ledger, name)


def test_a_bet_replayed_while_its_refund_lands_is_already_refunded(
    monkeypatch: pytest.MonkeyPatch, backend: Backend, clock: FakeClock
) -> None:
    """The bet read before its refund, the wallet after: a 200 would say a reversed bet stands."""
    ledger = StaleOnce(backend.ledger)
    wallet = build_wallet(ledger, clock)  # type: ignore[arg-type]
    install_runtime(monkeypatch, wallet, table=backend.table_name)
    playhub = Playhub()
    player = open_funded_session(wallet)
    bet = playhub.bet(player.session_id, "10.00")
    key = EntryKey(Action.BET, bet.payload["tx_id"])
    before_refund = backend.ledger.entry(key)
    assert playhub.refund(player.session_id, bet.payload["tx_id"]).status == 200

    ledger.stale = {key: before_refund}
    replay = playhub.send(bet.payload)

    assert (replay.status, replay.body["message"]) == (400, "transaction already refunded")


def test_a_refund_that_misses_a_bet_landing_beside_a_win_of_the_same_id_refunds_the_bet(
    backend: Backend, player: Player, clock: FakeClock
) -> None:
    """Old Playhub reused one tx_id for a round's bet and win. A refund of that id that reads the
    win but not yet the bet must not settle as a refund of the win: the stake would be lost."""
    ledger = StaleOnce(backend.ledger)
    wallet = build_wallet(ledger, clock)  # type: ignore[arg-type]
    tx_id, round_id = playhub_id(), playhub_id()
    session = player.session_id
    forever = float("inf")
    fields = {"session_id": session, "tx_id": tx_id, "round_id": round_id}
    wallet.bet(BetRequest.model_validate({"action": "bet", "type": "bet", "amount": "10.00", **fields}), forever)
    wallet.win(WinRequest.model_validate({"action": "win", "type": "win", "amount": "0", **fields}), forever)

    ledger.stale = {EntryKey(Action.BET, tx_id): None}
    refund = {"action": "refund", "session_id": session, "tx_id": playhub_id(), "orig_tx_id": tx_id}
    result = wallet.refund(RefundRequest.model_validate(refund), forever)

    assert result.entry is not None
    assert result.entry.outcome == rules.REFUNDED
    assert backend.view.wallet(player.wallet_key).balance == Decimal("100.00")


@pytest.fixture
def moto_backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from make_backend("moto", request)


def test_a_wallet_read_before_an_entry_of_its_own_is_read_again(moto_backend: Backend) -> None:
    """The DynamoDB ledger refuses a read whose wallet does not include an entry it read."""
    backend = moto_backend
    wallet = build_wallet(backend.ledger, FakeClock())
    player = open_funded_session(wallet)
    tx_id = playhub_id()
    request = {"action": "bet", "type": "bet", "session_id": player.session_id, "amount": "1.00", "tx_id": tx_id}
    wallet.bet(BetRequest.model_validate({**request, "round_id": playhub_id()}), float("inf"))
    current = backend.view.wallet(player.wallet_key)
    backend.client.update_item(  # the wallet as it was just before the bet's commit
        TableName=backend.table_name,
        Key={"pk": {"S": f"PLAYER#{player.wallet_key.player_id}"}, "sk": {"S": "WALLET#EUR"}},
        UpdateExpression="SET version = :before",
        ExpressionAttributeValues={":before": {"N": str(current.version - 1)}},
    )

    with pytest.raises(StaleSnapshot):
        backend.ledger.load(
            Reads(player.session_id, WalletKey(player.wallet_key.player_id, "EUR"), (EntryKey(Action.BET, tx_id),))
        )


@pytest.fixture
def stale(backend: Backend) -> StaleOnce:
    return StaleOnce(backend.ledger)


@pytest.fixture
def raced(stale: StaleOnce, clock: FakeClock) -> WalletService:
    return build_wallet(stale, clock)  # type: ignore[arg-type]


def bet_request(session_id: str, amount: str, round_id: str | None = None) -> BetRequest:
    return BetRequest.model_validate(
        {
            "action": "bet",
            "type": "bet",
            "session_id": session_id,
            "amount": amount,
            "tx_id": playhub_id(),
            "round_id": round_id or playhub_id(),
        }
    )


def test_a_retry_that_reads_its_bet_missing_and_the_wallet_already_debited_is_a_replay(
    raced: WalletService, stale: StaleOnce
) -> None:
    """A refusal (insufficient funds) would tell Playhub the bet failed, and the stake is gone."""
    player = open_funded_session(raced)
    request = bet_request(player.session_id, "60.00")
    first = raced.bet(request, float("inf"))

    stale.stale = {EntryKey(Action.BET, request.tx_id): None}
    retry = raced.bet(request, float("inf"))

    assert retry.replayed
    assert retry.response == first.response


def test_a_retried_withdrawal_that_reads_itself_missing_is_a_replay(raced: WalletService, stale: StaleOnce) -> None:
    player = open_funded_session(raced)
    withdrawal = rules.withdrawal(player.wallet_key, Decimal("60.00"), f"out-{playhub_id()}")
    first = raced.transfer(withdrawal, float("inf"))

    stale.stale = {EntryKey(Action.WITHDRAWAL, withdrawal.reference): None}
    retry = raced.transfer(withdrawal, float("inf"))

    assert (retry.replayed, retry.response) == (True, first.response)


def test_a_win_that_reads_its_round_before_the_bet_landed_is_no_anomaly(raced: WalletService, stale: StaleOnce) -> None:
    player = open_funded_session(raced)
    round_id = playhub_id()
    raced.bet(bet_request(player.session_id, "1.00", round_id), float("inf"))
    win = {"action": "win", "type": "win", "session_id": player.session_id, "amount": "2.00"}

    stale.hide_round = True
    result = raced.win(WinRequest.model_validate({**win, "tx_id": playhub_id(), "round_id": round_id}), float("inf"))

    assert result.entry is not None
    assert result.entry.outcome == rules.CREDITED


def test_a_refund_that_reads_a_win_missing_that_had_landed_is_a_refund_of_that_win(
    raced: WalletService, stale: StaleOnce
) -> None:
    """Settled as a refund of an unknown bet, it would void a later bet with that id for nothing."""
    player = open_funded_session(raced)
    win_tx = playhub_id()
    win = {"action": "win", "type": "win", "session_id": player.session_id, "amount": "2.00"}
    raced.win(WinRequest.model_validate({**win, "tx_id": win_tx, "round_id": playhub_id()}), float("inf"))

    stale.stale = {EntryKey(Action.WIN, win_tx): None}
    refund = {"action": "refund", "session_id": player.session_id, "tx_id": playhub_id(), "orig_tx_id": win_tx}
    result = raced.refund(RefundRequest.model_validate(refund), float("inf"))

    assert result.entry is not None
    assert result.entry.outcome == rules.REFUND_OF_WIN
    assert stale.entry(EntryKey(Action.BET, win_tx)) is None  # no marker
