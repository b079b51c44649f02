"""The wallet rules as pure functions: what they decide and which write conditions they ask for."""

from __future__ import annotations

from decimal import Decimal
from itertools import count

import pytest

from playhub_wallet import rules
from playhub_wallet.errors import InsufficientFunds, PayloadMismatch, SessionNotFound
from playhub_wallet.models import Action, BetRequest, RefundRequest
from playhub_wallet.sessions import SessionRef, new_session_id, parse_session_id
from playhub_wallet.state import EntryKey, EntryKind, LedgerEntry, Session, Snapshot, Wallet, WalletKey

NOW = 1_800_000_000
WALLET = WalletKey("p1", "EUR")
SESSION_ID = new_session_id("p1", "EUR", "ph_limbo_97")


def _ref() -> SessionRef:
    ref = parse_session_id(SESSION_ID)
    assert ref is not None
    return ref


REF = _ref()
SESSION = Session(SESSION_ID, "p1", "EUR", "ph_limbo_97", "active", NOW - 10, NOW + 100)
REFUND_TX = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
BET_TX, ROUND = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
_ids = count(1)
CTX = rules.Context(
    now=NOW,
    places=2,
    session_idle_seconds=14400,
    session_retention_seconds=86400,
    new_tx_id=lambda: f"our-{next(_ids)}",
)


def snapshot(
    balance: str = "50.00",
    version: int = 7,
    session: Session | None = SESSION,
    entries: dict[EntryKey, LedgerEntry] | None = None,
) -> Snapshot:
    return Snapshot(session, Wallet(WALLET, Decimal(balance), version), entries or {})


def bet(amount: str = "20.00", tx_id: str = BET_TX) -> BetRequest:
    return BetRequest.model_validate(
        {"action": "bet", "type": "bet", "session_id": SESSION_ID, "amount": amount, "tx_id": tx_id, "round_id": ROUND}
    )


def test_a_bet_asks_for_a_guarded_debit_a_sliding_session_and_a_round_record() -> None:
    decision = rules.decide_bet(bet(), REF, snapshot(), CTX)

    assert isinstance(decision, rules.Apply)
    plan = decision.plan
    assert (plan.wallet_move.expected_version, plan.wallet_move.delta) == (7, Decimal("-20.00"))
    assert plan.wallet_move.refuse_if_blocked
    assert plan.session_extension is not None
    assert plan.session_extension.new_expires_at == NOW + 14400
    assert plan.round_bet is not None
    assert plan.round_bet.round_id == ROUND
    assert (plan.entry.balance_after, plan.entry.wallet_seq) == (Decimal("30.00"), 8)


def test_a_bet_leaves_a_session_alone_while_it_stays_open_long_enough() -> None:
    """Only a session closing sooner than idle_seconds after this bet is written, and then with slack."""
    ctx = rules.Context(**{**CTX.__dict__, "session_slack_seconds": 900})
    far = Session(SESSION_ID, "p1", "EUR", "ph_limbo_97", "active", NOW - 10, NOW + 14400)
    near = Session(SESSION_ID, "p1", "EUR", "ph_limbo_97", "active", NOW - 10, NOW + 14399)

    left_alone = rules.decide_bet(bet(), REF, snapshot(session=far), ctx)
    written = rules.decide_bet(bet(), REF, snapshot(session=near), ctx)

    assert isinstance(left_alone, rules.Apply)
    assert isinstance(written, rules.Apply)
    assert left_alone.plan.session_extension is None
    assert written.plan.session_extension is not None
    assert written.plan.session_extension.new_expires_at == NOW + 14400 + 900


def _applied_bet(wallet_seq: int) -> LedgerEntry:
    decision = rules.decide_bet(bet(), REF, snapshot(version=wallet_seq - 1, balance="70.00"), CTX)
    assert isinstance(decision, rules.Apply)
    return decision.plan.entry


@pytest.mark.parametrize(("last_refund_seq", "confirm"), [(0, False), (5, False), (6, True)])
def test_a_replayed_bet_is_read_again_only_if_a_refund_landed_on_its_wallet_after_it(
    last_refund_seq: int, confirm: bool
) -> None:
    """The bet (version 5) and its wallet are read one after the other: a refund in between could be its."""
    entry = _applied_bet(wallet_seq=5)
    wallet = Wallet(WALLET, Decimal("50.00"), 9, last_refund_seq=last_refund_seq)
    decision = rules.decide_bet(bet(), REF, Snapshot(SESSION, wallet, {entry.key: entry}), CTX)

    assert isinstance(decision, rules.Replay)
    assert decision.confirm is confirm


def test_a_refund_of_a_win_holds_only_while_no_bet_has_that_tx_id() -> None:
    win = LedgerEntry(
        key=EntryKey(Action.WIN, BET_TX),
        kind=EntryKind.APPLIED,
        our_tx_id="our-win",
        wallet=WALLET,
        session_id=SESSION_ID,
        outcome=rules.CREDITED,
        fingerprint="f",
        created_at=NOW,
        wallet_seq=3,
    )
    refund = RefundRequest.model_validate(
        {"action": "refund", "session_id": SESSION_ID, "tx_id": REFUND_TX, "orig_tx_id": BET_TX}
    )
    decision = rules.decide_refund(refund, REF, snapshot(entries={win.key: win}), CTX)

    assert isinstance(decision, rules.Apply)
    assert decision.entry.outcome == rules.REFUND_OF_WIN
    assert decision.plan.still_absent == (EntryKey(Action.BET, BET_TX),)


def test_a_bet_larger_than_the_balance_is_refused() -> None:
    with pytest.raises(InsufficientFunds):
        rules.decide_bet(bet("50.01"), REF, snapshot(), CTX)


def test_a_bet_on_an_expired_session_is_refused_before_funds_are_looked_at() -> None:
    expired = Session(SESSION_ID, "p1", "EUR", "ph_limbo_97", "active", NOW - 100, NOW)
    with pytest.raises(SessionNotFound):
        rules.decide_bet(bet("999.00"), REF, snapshot(session=expired), CTX)


def test_a_replay_with_another_amount_is_a_payload_mismatch() -> None:
    first = rules.decide_bet(bet(), REF, snapshot(), CTX)
    assert isinstance(first, rules.Apply)
    with pytest.raises(PayloadMismatch):
        rules.decide_bet(bet("20.01"), REF, snapshot(entries={first.entry.key: first.entry}), CTX)


def test_a_refund_of_a_bet_on_another_wallet_reads_that_wallet_first() -> None:
    other = WalletKey("p1", "USD")
    placed = LedgerEntry(
        EntryKey(Action.BET, BET_TX),
        EntryKind.APPLIED,
        "our-x",
        other,
        "s",
        rules.DEBITED,
        "f",
        NOW,
        Decimal(5),
        Decimal(-5),
        Decimal(0),
        1,
    )
    refund = RefundRequest.model_validate(
        {"action": "refund", "session_id": SESSION_ID, "tx_id": REFUND_TX, "orig_tx_id": BET_TX}
    )

    decision = rules.decide_refund(refund, REF, snapshot(entries={placed.key: placed}), CTX)

    assert decision == rules.ReadOtherWallet(other)


def test_a_refund_of_an_unknown_bet_writes_a_marker_under_the_bet_key() -> None:
    refund = RefundRequest.model_validate(
        {"action": "refund", "session_id": SESSION_ID, "tx_id": REFUND_TX, "orig_tx_id": BET_TX}
    )

    decision = rules.decide_refund(refund, REF, snapshot(), CTX)

    assert isinstance(decision, rules.Apply)
    marker = decision.plan.refund_marker
    assert marker is not None
    assert marker.key == EntryKey(Action.BET, BET_TX)
    assert (marker.kind, marker.refunded_by) == (EntryKind.REFUND_MARKER, refund.tx_id)
    assert decision.plan.wallet_move.delta == 0
