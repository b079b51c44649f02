"""A reference model of the ledger case table (PLAYHUB.md section 4), and a hypothesis state
machine that plays long random sequences of callbacks against the wallet service and the model.

The model is written from the case table, not from rules.py: plain dicts of what Playhub sent
and what each wallet holds. Each step sends one callback (new, resent, or reusing a tx_id with
another payload) on one of two sessions, EUR (2 decimal places) and BTC (8), of one player.
Faults armed by a step hit the next requests: a commit throttled before writing, a commit
written but its answer lost, a deposit landing on the same wallet between the read and the
commit, a read that misses an item as if it had landed during the read, and storage down for a
whole callback (a 500 that wrote nothing, which Playhub answers with a refund). After every step
the answer (status, message, balance, our tx_id), both balances and both wallets' histories
(what moved, the outcome recorded, our tx_id) must be what the model says.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from playhub_wallet.errors import PlayhubError
from playhub_wallet.models import Action, BetRequest, RefundRequest, TransactionResponse, WinRequest
from playhub_wallet.money import CurrencyTable, format_amount
from playhub_wallet.rules import deposit
from playhub_wallet.state import EntryKey, LedgerEntry, LedgerPort, Reads, Session, Snapshot, StorageBusy, WalletKey
from playhub_wallet.wallet import Backoff, WalletService

GAME = "ph_limbo_97"
PLACES = {"EUR": 2, "BTC": 8}
UNIT = {"EUR": Decimal("0.01"), "BTC": Decimal("0.00001")}  # amounts are drawn in these steps
FUNDING = {"EUR": Decimal("100.00"), "BTC": Decimal("0.05000")}
CURRENCIES = sorted(PLACES)
History = Callable[[LedgerPort, WalletKey], list[LedgerEntry]]


@dataclass(frozen=True)
class Answer:
    status: int
    message: str | None = None  # errors
    balance: str | None = None  # 200s
    tx_id: str | None = None  # 200s: our ledger entry's id


@dataclass
class Sent:
    """A callback the model saw applied: what was sent, on which wallet it landed, our tx_id."""

    payload: dict[str, str]
    currency: str
    our_tx_id: str
    stake: Decimal = Decimal(0)  # bets
    refunded: bool = False  # bets


Recorded = tuple[str, str, Decimal, str, str]  # action, Playhub's tx_id, money moved, outcome, our tx_id


@dataclass
class Model:
    balances: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(CURRENCIES, Decimal(0)))
    history: dict[str, list[Recorded]] = field(default_factory=lambda: {c: [] for c in CURRENCIES})
    bets: dict[str, Sent] = field(default_factory=dict)
    wins: dict[str, Sent] = field(default_factory=dict)
    refunds: dict[str, Sent] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)  # bet tx_id refunded before it came -> wallet
    failed_bets: list[str] = field(default_factory=list)  # answered 500: Playhub refunds them
    rounds: list[str] = field(default_factory=list)  # rounds with a bet
    our_tx_ids: set[str] = field(default_factory=set)

    def record(self, currency: str, action: str, tx_id: str, change: Decimal, outcome: str, our_tx_id: str) -> None:
        assert our_tx_id not in self.our_tx_ids, f"our tx_id {our_tx_id} was given to an earlier entry"
        self.our_tx_ids.add(our_tx_id)
        self.balances[currency] += change
        self.history[currency].append((action, tx_id, change, outcome, our_tx_id))

    def ok(self, currency: str, our_tx_id: str) -> Answer:
        return Answer(200, balance=format_amount(self.balances[currency], PLACES[currency]), tx_id=our_tx_id)


class Faults:
    """The ledger under test, with faults armed for its next commits."""

    def __init__(self, ledger: LedgerPort, deposit_one: Callable[[WalletKey], None]) -> None:
        self._ledger = ledger
        self._deposit_one = deposit_one
        self.busy = 0  # the next N commits fail before writing
        self.lost = 0  # the next N commits write, then their answer is lost
        self.interleave = False  # a deposit lands on the next commit's wallet between its read and commit
        self.down = False  # every commit fails before writing
        self.hide: int | str | None = None  # the next read misses this entry (its index) or the "round"

    def load(self, reads: Reads) -> Snapshot:
        """As the ledger reads, except that an armed hide misses its item the first time one is there."""
        snapshot = self._ledger.load(reads)
        if self.hide == "round" and snapshot.round_has_bet:
            self.hide = None
            return replace(snapshot, round_has_bet=False)
        if (
            isinstance(self.hide, int)
            and self.hide < len(reads.entries)
            and reads.entries[self.hide] in snapshot.entries
        ):
            hidden, self.hide = reads.entries[self.hide], None
            return replace(snapshot, entries={key: entry for key, entry in snapshot.entries.items() if key != hidden})
        return snapshot

    def entry(self, key: EntryKey) -> LedgerEntry | None:
        return self._ledger.entry(key)

    def put_session(self, session: Session, ttl: int) -> None:
        self._ledger.put_session(session, ttl)

    def commit(self, plan: Any) -> None:
        if self.interleave:
            self.interleave = False
            self._deposit_one(plan.wallet_move.key)  # the model records it then, before this commit
        if self.down or self.busy:
            self.busy = max(0, self.busy - 1)
            raise StorageBusy("injected: throttled")
        self._ledger.commit(plan)
        if self.lost:
            self.lost -= 1
            raise StorageBusy("injected: the answer was lost")


amounts = st.integers(min_value=1, max_value=6000)


class VirtualClock:
    """Wall time as it is; the service's backoff pauses and deadlines on a clock of their own, so a
    callback that retries until its budget runs out costs no real time."""

    def __init__(self) -> None:
        self.elapsed = 0.0

    def now(self) -> int:
        return int(time.time())

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        self.elapsed += seconds


class WalletMachine(RuleBasedStateMachine):
    make_ledger: Callable[[], LedgerPort]
    history_of: History

    def __init__(self) -> None:
        super().__init__()
        ledger = type(self).make_ledger()
        self.ledger = ledger
        self.player = f"model-{uuid.uuid4().hex[:12]}"
        backoff = Backoff(base_seconds=0.001, cap_seconds=0.005)
        self.clock = VirtualClock()
        side = WalletService(ledger, CurrencyTable(PLACES), clock=self.clock, backoff=backoff)
        self.faults = Faults(ledger, lambda key: self._transfer(side, key, UNIT[key.currency] * 100))
        self.wallet = WalletService(self.faults, CurrencyTable(PLACES), clock=self.clock, backoff=backoff)
        self.model = Model()
        self.sessions = {c: self.wallet.open_session(self.player, c, GAME).session_id for c in CURRENCIES}
        for currency in CURRENCIES:
            self._transfer(self.wallet, WalletKey(self.player, currency), FUNDING[currency])

    def _transfer(self, wallet: WalletService, key: WalletKey, amount: Decimal) -> None:
        reference = f"model-{uuid.uuid4()}"
        result = wallet.transfer(deposit(key, amount, reference), self.clock.monotonic() + 60)
        self.model.record(key.currency, Action.DEPOSIT.value, reference, amount, "deposited", result.entry.our_tx_id)  # type: ignore[union-attr]

    # Sending -------------------------------------------------------------------------------

    def send(self, payload: dict[str, str], budget_seconds: float = 60) -> Answer:
        deadline = self.clock.monotonic() + budget_seconds
        try:
            if payload["action"] == "bet":
                result = self.wallet.bet(BetRequest.model_validate(payload), deadline)
            elif payload["action"] == "win":
                result = self.wallet.win(WinRequest.model_validate(payload), deadline)
            else:
                result = self.wallet.refund(RefundRequest.model_validate(payload), deadline)
        except PlayhubError as error:
            return Answer(error.status, message=error.message)
        response = result.response
        assert isinstance(response, TransactionResponse)
        return Answer(200, balance=response.balance, tx_id=response.tx_id)

    def amount(self, currency: str, steps: int) -> str:
        return format(UNIT[currency] * steps, "f")

    def bet_payload(
        self, currency: str, steps: int, *, tx_id: str | None = None, round_id: str | None = None, free: bool = False
    ) -> dict[str, str]:
        """A bet on the currency's session; new ids unless given; a free bet carries a frc_id."""
        payload = {
            "action": "bet",
            "type": "free" if free else "bet",
            "session_id": self.sessions[currency],
            "amount": self.amount(currency, steps),
            "tx_id": tx_id or str(uuid.uuid4()),
            "round_id": round_id or str(uuid.uuid4()),
        }
        if free:
            payload["frc_id"] = str(uuid.uuid4())
        return payload

    def expect(self, answer: Answer, expected: Answer) -> None:
        assert answer == expected, f"answered {answer}, the case table says {expected}"

    # Rules: bets ---------------------------------------------------------------------------

    @rule(currency=st.sampled_from(CURRENCIES), steps=amounts, free=st.booleans(), old_round=st.booleans())
    def bet(self, currency: str, steps: int, free: bool, old_round: bool) -> None:
        round_id = self.model.rounds[-1] if old_round and self.model.rounds else None
        self._new_bet(self.bet_payload(currency, steps, round_id=round_id, free=free), currency)

    @precondition(lambda self: self.model.markers)
    @rule(data=st.data(), steps=amounts)
    def bet_after_its_refund(self, data: st.DataObject, steps: int) -> None:
        """The refund came first (a marker): the bet is void whenever it arrives."""
        tx_id = data.draw(st.sampled_from(list(self.model.markers)))
        currency = data.draw(st.sampled_from(CURRENCIES))
        answer = self.send(self.bet_payload(currency, steps, tx_id=tx_id))
        self.expect(answer, Answer(400, message="transaction already refunded"))

    @precondition(lambda self: any(tx_id not in self.model.bets for tx_id in self.model.wins))
    @rule(data=st.data(), steps=amounts)
    def bet_with_the_tx_id_of_a_win(self, data: st.DataObject, steps: int) -> None:
        """Older Playhub reused one tx_id for a round's bet and win: the key is (action, tx_id)."""
        tx_id = data.draw(st.sampled_from([tx_id for tx_id in self.model.wins if tx_id not in self.model.bets]))
        currency = data.draw(st.sampled_from(CURRENCIES))
        self._new_bet(self.bet_payload(currency, steps, tx_id=tx_id), currency)

    @rule(currency=st.sampled_from(CURRENCIES), steps=st.integers(min_value=1, max_value=100))
    def bet_while_storage_is_down(self, currency: str, steps: int) -> None:
        """Storage busy past the time budget: a 500 that wrote nothing (Playhub then refunds it)."""
        payload = self.bet_payload(currency, steps)
        self.faults.down = True
        try:
            answer = self.send(payload, budget_seconds=0.05)
        finally:
            self.faults.down = False
        if Decimal(payload["amount"]) > self.model.balances[currency]:
            self.expect(answer, Answer(400, message="insufficient funds"))
        else:
            self.expect(answer, Answer(500, message="internal server error"))
            self.model.failed_bets.append(payload["tx_id"])

    def _new_bet(self, payload: dict[str, str], currency: str) -> None:
        stake = Decimal(0) if payload["type"] == "free" else Decimal(payload["amount"])
        answer = self.send(payload)
        if stake > self.model.balances[currency]:
            self.expect(answer, Answer(400, message="insufficient funds"))
            return
        outcome = "free_bet" if payload["type"] == "free" else "debited"
        self.model.record(currency, "bet", payload["tx_id"], -stake, outcome, str(answer.tx_id))
        self.model.bets[payload["tx_id"]] = Sent(payload, currency, str(answer.tx_id), stake)
        self.model.rounds.append(payload["round_id"])
        self.expect(answer, self.model.ok(currency, str(answer.tx_id)))

    # Rules: wins ---------------------------------------------------------------------------

    @rule(
        currency=st.sampled_from(CURRENCIES),
        steps=st.integers(min_value=0, max_value=3000),
        kind=st.sampled_from(["win", "free", "payout"]),
        known_round=st.booleans(),
    )
    def win(self, currency: str, steps: int, kind: str, known_round: bool) -> None:
        """A win (zero too), a free-round win (no money) or a free-rounds payout (credited)."""
        round_id = self.model.rounds[-1] if known_round and self.model.rounds else str(uuid.uuid4())
        payload = {
            "action": "win",
            "type": "free" if kind == "free" else "win",
            "session_id": self.sessions[currency],
            "amount": self.amount(currency, steps),
            "tx_id": str(uuid.uuid4()),
            "round_id": round_id,
        }
        if kind != "win":
            payload["frc_id"] = str(uuid.uuid4())
        answer = self.send(payload)
        credit = Decimal(0) if kind == "free" else Decimal(payload["amount"])
        if kind != "win":
            outcome = "free_win" if kind == "free" else "free_rounds_payout"
        else:  # paid either way; a round with no bet we know of is counted as an anomaly
            outcome = "credited" if round_id in self.model.rounds else "win_without_bet"
        self.model.record(currency, "win", payload["tx_id"], credit, outcome, str(answer.tx_id))
        self.model.wins[payload["tx_id"]] = Sent(payload, currency, str(answer.tx_id))
        self.expect(answer, self.model.ok(currency, str(answer.tx_id)))

    # Rules: refunds ------------------------------------------------------------------------

    @rule(
        data=st.data(),
        currency=st.sampled_from(CURRENCIES),
        of=st.sampled_from(["bet", "win", "unknown", "refunded before it came", "answered 500"]),
    )
    def refund(self, data: st.DataObject, currency: str, of: str) -> None:
        """A refund of a bet (refunded or not, on either wallet), of a win, of a tx_id never seen,
        of one refunded before it came, or of a bet we answered 500."""
        known = {
            "bet": list(self.model.bets),
            "win": list(self.model.wins),
            "refunded before it came": list(self.model.markers),
            "answered 500": self.model.failed_bets,
        }.get(of)
        orig = data.draw(st.sampled_from(known)) if known else str(uuid.uuid4())
        payload = {
            "action": "refund",
            "session_id": self.sessions[currency],
            "tx_id": str(uuid.uuid4()),
            "orig_tx_id": orig,
        }
        answer = self.send(payload)
        bet, marker = self.model.bets.get(orig), self.model.markers.get(orig)
        if bet is not None:  # the stake goes back to the wallet it came from, once
            lands, change = bet.currency, Decimal(0) if bet.refunded else bet.stake
            outcome = "already_refunded" if bet.refunded else "refunded"
            bet.refunded = True
        elif marker is not None:  # refunded before it came, by another refund
            lands, change, outcome = marker, Decimal(0), "already_refunded"
        elif orig in self.model.wins:  # nothing moves; counted as an anomaly
            lands, change, outcome = currency, Decimal(0), "refund_of_win"
        else:  # never seen: nothing moves, and a bet with that id is void from now on
            lands, change, outcome = currency, Decimal(0), "unknown_original"
            self.model.markers[orig] = currency
        self.model.record(lands, "refund", payload["tx_id"], change, outcome, str(answer.tx_id))
        self.model.refunds[payload["tx_id"]] = Sent(payload, lands, str(answer.tx_id))
        self.expect(answer, self.model.ok(lands, str(answer.tx_id)))

    # Rules: the same tx_id again -----------------------------------------------------------

    @precondition(lambda self: self.model.bets or self.model.wins or self.model.refunds)
    @rule(data=st.data())
    def resend(self, data: st.DataObject) -> None:
        """An exact duplicate: the first answer's tx_id and today's balance, or void if refunded."""
        sent = data.draw(st.sampled_from(self._all_sent()))
        answer = self.send(sent.payload)
        tx_id = sent.payload["tx_id"]
        if sent.payload["action"] == "bet" and (sent.refunded or tx_id in self.model.markers):
            self.expect(answer, Answer(400, message="transaction already refunded"))
        else:
            self.expect(answer, self.model.ok(sent.currency, sent.our_tx_id))

    @precondition(lambda self: self.model.bets or self.model.wins or self.model.refunds)
    @rule(data=st.data())
    def reuse_with_another_payload(self, data: st.DataObject) -> None:
        sent = data.draw(st.sampled_from(self._all_sent()))
        payload = dict(sent.payload)
        if payload["action"] == "refund":
            payload["orig_tx_id"] = str(uuid.uuid4())
        else:
            payload["amount"] = self.amount(sent.currency, 6001)  # no drawn amount is this one
        answer = self.send(payload)
        if payload["action"] == "bet" and sent.refunded:
            self.expect(answer, Answer(400, message="transaction already refunded"))
        else:
            self.expect(answer, Answer(400, message="transaction id already used with a different payload"))

    # Faults --------------------------------------------------------------------------------

    @rule(
        busy=st.integers(0, 2),
        lost=st.integers(0, 1),
        interleave=st.booleans(),
        hide=st.sampled_from([None, 0, 1, 2, "round"]),
    )
    def storage_faults_on_the_next_requests(
        self, busy: int, lost: int, interleave: bool, hide: int | str | None
    ) -> None:
        """hide: the next read that finds it misses the callback's own entry (0), a refund's bet (1)
        or win (2), or a win's round, as a read racing the write of that item could; the answer
        must not show it."""
        self.faults.busy, self.faults.lost, self.faults.interleave, self.faults.hide = busy, lost, interleave, hide

    def _all_sent(self) -> list[Sent]:
        return [*self.model.bets.values(), *self.model.wins.values(), *self.model.refunds.values()]

    # After every step ----------------------------------------------------------------------

    @invariant()
    def balances_and_histories_match_the_model(self) -> None:
        for currency in CURRENCIES:
            key = WalletKey(self.player, currency)
            wallet = self.ledger.load(Reads(None, key, ())).wallet
            assert wallet.balance == self.model.balances[currency], currency
            entries = type(self).history_of(self.ledger, key)
            got = [(e.key.action.value, e.key.playhub_tx_id, e.balance_change, e.outcome, e.our_tx_id) for e in entries]
            assert got == self.model.history[currency], f"{currency} history differs from the model"
            assert [e.wallet_seq for e in entries] == list(range(1, len(entries) + 1))
            running = Decimal(0)
            for entry in entries:
                running += entry.balance_change
                assert entry.balance_after == running


def run_model(make_ledger: Callable[[], LedgerPort], history_of: History, config: settings) -> None:
    machine = type(
        "Machine", (WalletMachine,), {"make_ledger": staticmethod(make_ledger), "history_of": staticmethod(history_of)}
    )
    run_state_machine_as_test(machine, settings=config)
