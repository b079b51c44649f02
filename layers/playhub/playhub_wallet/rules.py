"""Wallet rules: what each callback does to money, as the case table in docs/playhub-contract.md.

Pure functions: they read a Snapshot and return a Decision. No I/O here; the ledger makes
the decision stick only if nothing it read has changed (see state.WritePlan).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal

from playhub_wallet.errors import (
    AlreadyRefunded,
    BadRequest,
    InsufficientFunds,
    PayloadMismatch,
    PlayerBlocked,
    SessionNotFound,
)
from playhub_wallet.models import Action, BetRequest, RefundRequest, StatedRefundRequest, WinRequest
from playhub_wallet.money import add_money, check_places, exact_text, fits_places, format_amount
from playhub_wallet.sessions import SessionRef
from playhub_wallet.signing import canonical_json
from playhub_wallet.state import (
    ZERO,
    BetRefund,
    EntryKey,
    EntryKind,
    LedgerEntry,
    Reads,
    RoundKey,
    Session,
    SessionExtension,
    Snapshot,
    WalletKey,
    WalletMove,
    WritePlan,
)

# Outcomes recorded on ledger entries; the ones in ANOMALIES are counted for review.
DEBITED = "debited"
FREE_BET = "free_bet"
CREDITED = "credited"
FREE_WIN = "free_win"
FREE_ROUNDS_PAYOUT = "free_rounds_payout"
WIN_WITHOUT_BET = "win_without_bet"
REFUNDED = "refunded"
REFUNDED_OTHER_AMOUNT = "refunded_other_amount"  # the refund stated another amount than the stake
REFUNDED_OTHER_ROUND = "refunded_other_round"  # the refund named another round than the bet's
ALREADY_REFUNDED = "already_refunded"
UNKNOWN_ORIGINAL = "unknown_original"
REFUND_OF_WIN = "refund_of_win"
REFUNDED_BEFORE_ARRIVAL = "refunded_before_arrival"
DEPOSITED = "deposited"
WITHDRAWN = "withdrawn"
ANOMALIES = frozenset({WIN_WITHOUT_BET, REFUND_OF_WIN, REFUNDED_OTHER_AMOUNT, REFUNDED_OTHER_ROUND})


@dataclass(frozen=True)
class Context:
    """Facts fixed for one request."""

    now: int  # epoch seconds
    places: int  # decimal places of the session's currency
    session_idle_seconds: int
    session_retention_seconds: int
    new_tx_id: Callable[[], str]
    session_slack_seconds: int = 0  # how far past idle_seconds a session may reach (see _extend)


@dataclass(frozen=True)
class Replay:
    """The same request was applied before: answer as then, with the current balance.

    confirm: the entry can still change (an applied bet, until a refund marks it), so the answer
    holds only if a fresh read finds it unchanged, since the entry and the wallet were read one
    after the other, not at one instant.
    """

    entry: LedgerEntry
    balance: Decimal
    confirm: bool = False


@dataclass(frozen=True)
class Apply:
    plan: WritePlan

    @property
    def entry(self) -> LedgerEntry:
        return self.plan.entry


@dataclass(frozen=True)
class ReadOtherWallet:
    """The money belongs to another wallet than the session's: read that one and decide again."""

    wallet: WalletKey


Decision = Replay | Apply | ReadOtherWallet


@dataclass(frozen=True)
class Transfer:
    """The operator moves money into (deposit) or out of (withdrawal) a wallet.

    Idempotent on the operator's reference, separately for each direction.
    """

    action: Action  # Action.DEPOSIT or Action.WITHDRAWAL
    wallet: WalletKey
    amount: Decimal
    reference: str


def deposit(wallet: WalletKey, amount: Decimal, reference: str) -> Transfer:
    return Transfer(Action.DEPOSIT, wallet, amount, reference)


def withdrawal(wallet: WalletKey, amount: Decimal, reference: str) -> Transfer:
    return Transfer(Action.WITHDRAWAL, wallet, amount, reference)


def check_amount(amount: Decimal, ref: SessionRef, places: int) -> None:
    try:
        check_places(amount, places, ref.currency)
    except ValueError as exc:
        raise BadRequest(f"amount: {exc}") from None


def fingerprint(request: BetRequest | WinRequest | RefundRequest | Transfer, places: int) -> str:
    """Identity of a request's payload; amounts compare by value ("10.5" equals "10.50")."""
    if isinstance(request, Transfer):
        fields: dict[str, object] = {"player_id": request.wallet.player_id, "currency": request.wallet.currency}
        amount: Decimal | None = request.amount
    else:
        fields = request.model_dump(exclude_none=True, exclude={"amount"})
        amount = getattr(request, "amount", None)
    if amount is not None:
        # Every amount but a refund's stated one has at most the currency's places (check_amount).
        fields["amount"] = format_amount(amount, places) if fits_places(amount, places) else exact_text(amount)
    return hashlib.sha256(canonical_json(fields)).hexdigest()


# Reads ---------------------------------------------------------------------------------


def reads_for_balance(ref: SessionRef) -> Reads:
    return Reads(session_id=ref.session_id, wallet=ref.wallet_key, entries=())


def reads_for_bet(ref: SessionRef, request: BetRequest) -> Reads:
    return Reads(ref.session_id, ref.wallet_key, (_key(ref, Action.BET, request.tx_id),))


def reads_for_win(ref: SessionRef, request: WinRequest) -> Reads:
    round_key = _round_key(ref, request.round_id)
    return Reads(ref.session_id, ref.wallet_key, (_key(ref, Action.WIN, request.tx_id),), round_key)


def reads_for_refund(ref: SessionRef, request: RefundRequest) -> Reads:
    entries = (
        _key(ref, Action.REFUND, request.tx_id),
        _key(ref, Action.BET, request.orig_tx_id),
        _key(ref, Action.WIN, request.orig_tx_id),
    )
    return Reads(ref.session_id, ref.wallet_key, entries)


def reads_for_transfer(transfer: Transfer) -> Reads:
    return Reads(None, transfer.wallet, (EntryKey(transfer.action, transfer.reference),))


# Decisions -----------------------------------------------------------------------------


def balance_of(snapshot: Snapshot, ctx: Context) -> Decimal:
    _require_session(snapshot, ctx, for_bet=True)
    return snapshot.wallet.balance


def decide_bet(request: BetRequest, ref: SessionRef, snapshot: Snapshot, ctx: Context) -> Decision:
    key = _key(ref, Action.BET, request.tx_id)
    payload = fingerprint(request, ctx.places)
    existing = snapshot.entry(key)
    if existing is not None:
        if existing.kind is EntryKind.REFUND_MARKER:
            raise AlreadyRefunded(f"bet {request.tx_id} was refunded by {existing.refunded_by} before it arrived")
        if existing.refunded_by is not None:
            # A 200 would tell Playhub that a reversed bet stands.
            raise AlreadyRefunded(f"bet {request.tx_id} was refunded by {existing.refunded_by}")
        decision = _replay(existing, payload, snapshot)
        if isinstance(decision, Replay) and snapshot.wallet.last_refund_seq > (existing.wallet_seq or 0):
            # A refund landed on this wallet since the bet: it may be this bet's, read too late.
            return replace(decision, confirm=True)
        return decision
    session = _require_session(snapshot, ctx, for_bet=True)
    if snapshot.wallet.blocked:
        raise PlayerBlocked("player is blocked from betting")
    stake = request.amount if request.type == "bet" else ZERO
    if stake > snapshot.wallet.balance:
        raise InsufficientFunds(f"balance is lower than the bet of {format_amount(stake, ctx.places)}")
    entry = _new_entry(
        key,
        snapshot,
        ctx,
        payload,
        session_id=ref.session_id,
        change=-stake,
        amount=request.amount,
        outcome=DEBITED if request.type == "bet" else FREE_BET,
        round_id=request.round_id,
        game_id=ref.game_id,
        type=request.type,
        frc_id=request.frc_id,
    )
    return Apply(
        WritePlan(
            entry=entry,
            wallet_move=WalletMove(snapshot.wallet.key, snapshot.wallet.version, -stake, refuse_if_blocked=True),
            session_extension=_extend(session, ctx),
            round_bet=_round_key(ref, request.round_id),
        )
    )


def decide_win(request: WinRequest, ref: SessionRef, snapshot: Snapshot, ctx: Context) -> Decision:
    key = _key(ref, Action.WIN, request.tx_id)
    payload = fingerprint(request, ctx.places)
    if (previous := _previous(key, payload, snapshot)) is not None:
        return previous
    _require_session(snapshot, ctx, for_bet=False)
    if request.type == "free":
        credit, outcome = ZERO, FREE_WIN
    elif request.frc_id is not None:
        credit, outcome = request.amount, FREE_ROUNDS_PAYOUT
    else:
        # Playhub retries a win forever, so a win we cannot match to a bet is still paid.
        credit, outcome = request.amount, CREDITED if snapshot.round_has_bet else WIN_WITHOUT_BET
    # An anomaly is counted only if it still holds when the win lands.
    round_key = _round_key(ref, request.round_id)
    still_absent: tuple[RoundKey, ...] = (round_key,) if outcome == WIN_WITHOUT_BET else ()
    entry = _new_entry(
        key,
        snapshot,
        ctx,
        payload,
        session_id=ref.session_id,
        change=credit,
        amount=request.amount,
        outcome=outcome,
        round_id=request.round_id,
        game_id=ref.game_id,
        type=request.type,
        frc_id=request.frc_id,
    )
    move = WalletMove(snapshot.wallet.key, snapshot.wallet.version, credit)
    return Apply(WritePlan(entry, move, still_absent=still_absent))


def decide_refund(request: RefundRequest, ref: SessionRef, snapshot: Snapshot, ctx: Context) -> Decision:
    key = _key(ref, Action.REFUND, request.tx_id)
    payload = fingerprint(request, ctx.places)
    if (previous := _previous(key, payload, snapshot)) is not None:
        return previous
    _require_session(snapshot, ctx, for_bet=False)
    bet_key = _key(ref, Action.BET, request.orig_tx_id)
    win_key = _key(ref, Action.WIN, request.orig_tx_id)
    bet = snapshot.entry(bet_key)
    win = snapshot.entry(win_key)
    credit, bet_refund, marker = ZERO, None, None
    if bet is not None and bet.wallet != snapshot.wallet.key:
        return ReadOtherWallet(bet.wallet)  # the stake goes back where it came from
    if bet is not None and (bet.kind is EntryKind.REFUND_MARKER or bet.refunded_by is not None):
        outcome = ALREADY_REFUNDED
    elif bet is not None:
        # The stake we recorded goes back, whatever amount the refund states (refund_outcome).
        credit, outcome = -bet.balance_change, refund_outcome(request, bet)
        bet_refund = BetRefund(bet_key, request.tx_id)
    elif win is not None:
        outcome = REFUND_OF_WIN  # and no money moves: only while no bet has that tx_id
    else:
        outcome = UNKNOWN_ORIGINAL
        marker = LedgerEntry(
            key=bet_key,
            kind=EntryKind.REFUND_MARKER,
            our_tx_id=ctx.new_tx_id(),
            wallet=snapshot.wallet.key,
            session_id=ref.session_id,
            outcome=REFUNDED_BEFORE_ARRIVAL,
            fingerprint="",
            created_at=ctx.now,
            refunded_by=request.tx_id,
        )
    entry = _new_entry(
        key,
        snapshot,
        ctx,
        payload,
        session_id=ref.session_id,
        change=credit,
        amount=_requested_refund(request, credit, ctx.places),
        outcome=outcome,
        orig_tx_id=request.orig_tx_id,
        round_id=bet.round_id if bet is not None else None,
    )
    move = WalletMove(snapshot.wallet.key, snapshot.wallet.version, credit)
    still_absent = {REFUND_OF_WIN: (bet_key,), UNKNOWN_ORIGINAL: (win_key,)}.get(outcome, ())
    return Apply(WritePlan(entry, move, bet_refund=bet_refund, refund_marker=marker, still_absent=still_absent))


def decide_transfer(transfer: Transfer, snapshot: Snapshot, ctx: Context) -> Decision:
    key = EntryKey(transfer.action, transfer.reference)
    payload = fingerprint(transfer, ctx.places)
    if (previous := _previous(key, payload, snapshot)) is not None:
        return previous
    if transfer.action is Action.WITHDRAWAL:
        if transfer.amount > snapshot.wallet.balance:
            raise InsufficientFunds(
                f"balance is lower than the withdrawal of {format_amount(transfer.amount, ctx.places)}"
            )
        change, outcome = -transfer.amount, WITHDRAWN
    else:
        change, outcome = transfer.amount, DEPOSITED
    entry = _new_entry(
        key, snapshot, ctx, payload, session_id="", change=change, amount=transfer.amount, outcome=outcome
    )
    return Apply(WritePlan(entry, WalletMove(transfer.wallet, snapshot.wallet.version, change)))


def _requested_refund(request: RefundRequest, credit: Decimal, places: int) -> Decimal:
    """The entry's amount, as requested: what a refund states (Swipe's), else what it gave back.

    A stated amount with more places than the currency is recorded as the amount given back (the
    outcome already says it differed): written as stated it could pass DynamoDB's 38 digits, and a
    refund refused for it would be retried for ever.
    """
    if isinstance(request, StatedRefundRequest) and fits_places(request.amount, places):
        return Decimal(format_amount(request.amount, places))
    return credit


def refund_outcome(request: RefundRequest, bet: LedgerEntry) -> str:
    """What refunding a known, unrefunded bet is recorded as.

    A refund that states what it refunds (Swipe's `amount`, and maybe `roundID`) and disagrees
    with the bet we recorded still gives back the recorded stake and is answered 200, since
    refunds are retried until they succeed, but it is counted for review (SWIPE.md §12).
    Amounts compare by value ("10.5" equals "10.50").
    """
    if isinstance(request, StatedRefundRequest):
        if request.amount != bet.amount:
            return REFUNDED_OTHER_AMOUNT
        if request.round_id is not None and request.round_id != bet.round_id:
            return REFUNDED_OTHER_ROUND
    return REFUNDED


# Helpers -------------------------------------------------------------------------------


def _key(ref: SessionRef, action: Action, tx_id: str) -> EntryKey:
    """A callback's entry key, in the key space of the provider whose session it plays."""
    return EntryKey(action, tx_id, ref.provider)


def _round_key(ref: SessionRef, round_id: str) -> RoundKey:
    return RoundKey(ref.player_id, ref.game_id, round_id, ref.provider)


def _require_session(snapshot: Snapshot, ctx: Context, *, for_bet: bool) -> Session:
    session = snapshot.session
    if session is None:
        raise SessionNotFound("unknown session id")
    if for_bet and not session.accepts_bets(ctx.now):
        raise SessionNotFound("session expired or closed")
    return session


def _previous(key: EntryKey, payload: str, snapshot: Snapshot) -> Decision | None:
    """The answer to a request seen before, or None for a new one."""
    existing = snapshot.entry(key)
    return None if existing is None else _replay(existing, payload, snapshot)


def _replay(existing: LedgerEntry, payload: str, snapshot: Snapshot) -> Decision:
    if existing.fingerprint != payload:
        raise PayloadMismatch(f"{existing.key.action} {existing.key.playhub_tx_id} was first sent with other fields")
    if existing.wallet != snapshot.wallet.key:
        return ReadOtherWallet(existing.wallet)
    return Replay(existing, snapshot.wallet.balance)


def _extend(session: Session, ctx: Context) -> SessionExtension | None:
    """Keep the session open at least idle_seconds after this bet, writing it only when needed.

    A bet that finds the session expiring sooner than that moves the expiry to idle + slack
    seconds from now; the bets of the next slack seconds then find it far enough out and leave
    the session alone (one write per slack seconds of play instead of one per bet). A session may
    so outlive its last bet by up to the slack; never by less than idle_seconds.
    """
    if session.expires_at >= ctx.now + ctx.session_idle_seconds:
        return None
    expires_at = ctx.now + ctx.session_idle_seconds + ctx.session_slack_seconds
    return SessionExtension(session.session_id, ctx.now, expires_at, expires_at + ctx.session_retention_seconds)


def _new_entry(
    key: EntryKey,
    snapshot: Snapshot,
    ctx: Context,
    payload: str,
    *,
    session_id: str,
    change: Decimal,
    amount: Decimal,
    outcome: str,
    round_id: str | None = None,
    game_id: str | None = None,
    type: str | None = None,
    frc_id: str | None = None,
    orig_tx_id: str | None = None,
) -> LedgerEntry:
    wallet = snapshot.wallet
    return LedgerEntry(
        key=key,
        kind=EntryKind.APPLIED,
        our_tx_id=ctx.new_tx_id(),
        wallet=wallet.key,
        session_id=session_id,
        outcome=outcome,
        fingerprint=payload,
        created_at=ctx.now,
        amount=amount,
        balance_change=change,
        balance_after=add_money(wallet.balance, change),
        wallet_seq=wallet.version + 1,
        round_id=round_id,
        game_id=game_id,
        type=type,
        frc_id=frc_id,
        orig_tx_id=orig_tx_id,
    )
