"""The wallet service: each callback as read, decide, commit, retried while time allows.

This is where the rules meet the ledger port. Nothing here knows DynamoDB or HTTP.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Protocol, TypeVar

from playhub_wallet import rules
from playhub_wallet.errors import BadRequest, PlayhubError, ServiceUnavailable, SessionNotFound
from playhub_wallet.models import (
    BalanceRequest,
    BalanceResponse,
    BetRequest,
    RefundRequest,
    RoundCallbackRequest,
    TransactionResponse,
    WinRequest,
)
from playhub_wallet.money import CurrencyTable, UnknownCurrency, check_places, format_amount
from playhub_wallet.sessions import SessionRef, open_session, parse_session_id
from playhub_wallet.state import (
    LedgerEntry,
    LedgerPort,
    Provider,
    Reads,
    Session,
    Snapshot,
    StaleSnapshot,
    StorageBusy,
)

T = TypeVar("T")
R = TypeVar("R", BetRequest, WinRequest, RefundRequest)


class Clock(Protocol):
    """Wall time for the ledger, a monotonic clock for deadlines."""

    def now(self) -> int: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> int:
        return int(time.time())

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class Backoff:
    """Full-jitter exponential backoff between attempts."""

    base_seconds: float = 0.01
    cap_seconds: float = 0.2

    def pause(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap_seconds, self.base_seconds * 2 ** min(attempt, 30)))  # noqa: S311


@dataclass(frozen=True)
class CallbackResult:
    response: BalanceResponse | TransactionResponse
    entry: LedgerEntry | None = None  # the entry written, or the one replayed
    replayed: bool = False


@dataclass(frozen=True)
class SessionPolicy:
    idle_seconds: int = 4 * 3600  # Playhub's sessions last 4 h after the last activity
    retention_seconds: int = 90 * 86400  # late wins and refunds still find the session

    @property
    def slack_seconds(self) -> int:
        """How far past idle_seconds a session may stay open: the bets of this long write no session.

        Longer than Playhub's own session never matters (Playhub stops betting first); shorter would.
        """
        return min(15 * 60, self.idle_seconds // 4)


class WalletService:
    def __init__(
        self,
        ledger: LedgerPort,
        currencies: CurrencyTable,
        *,
        sessions: SessionPolicy | None = None,
        clock: Clock | None = None,
        backoff: Backoff | None = None,
        new_tx_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self._ledger = ledger
        self._currencies = currencies
        self._sessions = sessions or SessionPolicy()
        self._clock: Clock = clock or SystemClock()
        self._backoff = backoff or Backoff()
        self._new_tx_id = new_tx_id

    # The providers' callbacks ------------------------------------------------------------
    # `provider` is the dialect the callback came in: it finds only that provider's sessions, and
    # so its transaction ids stay in that provider's key space (rules.reads_for_*).

    def balance(
        self, request: BalanceRequest, deadline: float, provider: Provider = Provider.PLAYHUB
    ) -> CallbackResult:
        ref = self._session_ref(request.session_id, provider)
        ctx = self._context(ref.currency)
        snapshot = self._with_retries(deadline, lambda: self._ledger.load(rules.reads_for_balance(ref)))
        return CallbackResult(BalanceResponse(balance=format_amount(rules.balance_of(snapshot, ctx), ctx.places)))

    def bet(self, request: BetRequest, deadline: float, provider: Provider = Provider.PLAYHUB) -> CallbackResult:
        return self._money_callback(request, provider, rules.reads_for_bet, rules.decide_bet, deadline)

    def win(self, request: WinRequest, deadline: float, provider: Provider = Provider.PLAYHUB) -> CallbackResult:
        return self._money_callback(request, provider, rules.reads_for_win, rules.decide_win, deadline)

    def refund(self, request: RefundRequest, deadline: float, provider: Provider = Provider.PLAYHUB) -> CallbackResult:
        return self._money_callback(request, provider, rules.reads_for_refund, rules.decide_refund, deadline)

    # The operator's side -----------------------------------------------------------------

    def open_session(
        self, player_id: str, currency: str, game_id: str, provider: Provider = Provider.PLAYHUB
    ) -> Session:
        return open_session(
            self._ledger,
            player_id=player_id,
            currency=currency,
            game_id=game_id,
            provider=provider,
            now=self._clock.now(),
            idle_seconds=self._sessions.idle_seconds + self._sessions.slack_seconds,
            retention_seconds=self._sessions.retention_seconds,
        )

    def transfer(self, transfer: rules.Transfer, deadline: float) -> CallbackResult:
        """A deposit or withdrawal by the operator, through the same ledger and the same >= 0 rule."""
        ctx = self._context(transfer.wallet.currency)
        if transfer.amount <= 0:
            raise BadRequest("amount: must be greater than zero")
        try:
            check_places(transfer.amount, ctx.places, transfer.wallet.currency)
        except ValueError as exc:
            raise BadRequest(f"amount: {exc}") from None
        reads = rules.reads_for_transfer(transfer)
        return self._settle(reads, lambda snapshot: rules.decide_transfer(transfer, snapshot, ctx), ctx, deadline)

    # The loop ----------------------------------------------------------------------------

    def _money_callback(
        self,
        request: R,
        provider: Provider,
        reads_for: Callable[[SessionRef, R], Reads],
        decide: Callable[[R, SessionRef, Snapshot, rules.Context], rules.Decision],
        deadline: float,
    ) -> CallbackResult:
        ref = self._session_ref(request.session_id, provider)
        ctx = self._context(ref.currency)
        if isinstance(request, RoundCallbackRequest):
            rules.check_amount(request.amount, ref, ctx.places)
        reads = reads_for(ref, request)
        return self._settle(reads, lambda snapshot: decide(request, ref, snapshot, ctx), ctx, deadline)

    def _settle(
        self, reads: Reads, decide: Callable[[Snapshot], rules.Decision], ctx: rules.Context, deadline: float
    ) -> CallbackResult:
        def attempt() -> tuple[rules.Replay | rules.Apply, int]:
            nonlocal reads
            while True:
                snapshot = self._ledger.load(reads)
                try:
                    decision = decide(snapshot)
                except PlayhubError:
                    self._confirm_absent(reads, snapshot)
                    raise
                if isinstance(decision, rules.Replay) and decision.confirm:
                    self._confirm(decision.entry)
                if not isinstance(decision, rules.ReadOtherWallet):
                    break
                reads = replace(reads, wallet=decision.wallet)
            # The places of the entry's own wallet (a refund may credit the stake back to another
            # currency's wallet), known before the commit: a 500 after the money moved would be
            # answered to every retry of it.
            places = self._places(decision.entry.wallet.currency)
            if isinstance(decision, rules.Apply):
                self._ledger.commit(decision.plan)
            return decision, places

        decision, places = self._with_retries(deadline, attempt)
        if isinstance(decision, rules.Replay):
            balance, replayed = decision.balance, True
        else:
            balance, replayed = _balance_after(decision.entry), False
        response = TransactionResponse(balance=format_amount(balance, places), tx_id=decision.entry.our_tx_id)
        return CallbackResult(response, decision.entry, replayed)

    def _confirm_absent(self, reads: Reads, snapshot: Snapshot) -> None:
        """A refusal made while the callback's own entry read absent stands only if it is still absent.

        Otherwise the first delivery landed between the reads of the entry and of the wallet (a
        retry racing its original), and the answer is the replay, not "insufficient funds".
        Entries are never deleted: absent now means absent when the wallet was read.
        """
        own = reads.entries[0] if reads.entries else None
        if own is not None and snapshot.entry(own) is None and self._ledger.entry(own) is not None:
            raise StaleSnapshot(f"{own.provider} {own.action} {own.playhub_tx_id} landed while it was read")

    def _confirm(self, entry: LedgerEntry) -> None:
        """A replay stands only if its entry reads the same again; else everything is read again."""
        if self._ledger.entry(entry.key) != entry:
            raise StaleSnapshot(f"{entry.key.provider} {entry.key.action} {entry.key.playhub_tx_id} changed while read")

    def _with_retries(self, deadline: float, attempt: Callable[[], T]) -> T:
        """Run attempt until it holds; a conflict or throttle past the deadline is a 500."""
        tries = 0
        while True:
            try:
                return attempt()
            except (StaleSnapshot, StorageBusy) as exc:
                tries += 1
                pause = self._backoff.pause(tries)
                if self._clock.monotonic() + pause >= deadline:
                    raise ServiceUnavailable(f"storage busy after {tries} attempts") from exc
                self._clock.sleep(pause)

    def _session_ref(self, session_id: str, provider: Provider) -> SessionRef:
        """The session's parts; another provider's session is unknown to this one's callbacks."""
        ref = parse_session_id(session_id)
        if ref is None or ref.provider is not provider:
            raise SessionNotFound("unknown session id")
        return ref

    def _places(self, currency: str) -> int:
        """The currency's decimal places; one nobody lists is our fault to fix, never a guess.

        Launches and deposits refuse a currency Playhub does not list, so a callback meets one only
        if the catalogue lost it: a 500 (Playhub refunds a bet, and retries a win or refund until the
        catalogue or an override knows it again), and nothing is written.
        """
        try:
            return self._currencies.places(currency)
        except UnknownCurrency:
            raise ServiceUnavailable(f"currency {currency} is not in Playhub's catalogue") from None

    def _context(self, currency: str) -> rules.Context:
        return rules.Context(
            now=self._clock.now(),
            places=self._places(currency),
            session_idle_seconds=self._sessions.idle_seconds,
            session_retention_seconds=self._sessions.retention_seconds,
            new_tx_id=self._new_tx_id,
            session_slack_seconds=self._sessions.slack_seconds,
        )


def _balance_after(entry: LedgerEntry) -> Decimal:
    if entry.balance_after is None:
        raise AssertionError("an applied entry always records the balance it produced")
    return entry.balance_after
