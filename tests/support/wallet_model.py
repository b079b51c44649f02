"""A reference model of the ledger case table (PLAYHUB.md section 4), and a hypothesis state
machine that plays long random sequences of callbacks against the wallet service and the model.

The model is written from the case table, not from rules.py: plain dicts of what Playhub sent
and what each wallet holds. Each step sends one callback (new, resent, or reusing a tx_id with
another payload) on one of two sessions, EUR (2 decimal places) and BTC (8), of one player;
faults armed by a step hit the next commits (throttled before writing, written but the answer
lost, or a deposit landing on the same wallet between the read and the commit). After every
step the answer (status, message, balance, our tx_id), both balances and both wallets'
histories must be what the model says.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
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
from playhub_wallet.wallet import Backoff, SystemClock, WalletService

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


@dataclass
class Model:
    balances: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(CURRENCIES, Decimal(0)))
    history: dict[str, list[tuple[str, str, Decimal]]] = field(default_factory=lambda: {c: [] for c in CURRENCIES})
    bets: dict[str, Sent] = field(default_factory=dict)
    wins: dict[str, Sent] = field(default_factory=dict)
    refunds: dict[str, Sent] = field(default_factory=dict)
    markers: dict[str, str] = field(default_factory=dict)  # bet tx_id refunded before it came -> wallet
    rounds: list[str] = field(default_factory=list)

    def record(self, currency: str, action: str, tx_id: str, change: Decimal) -> None:
        self.balances[currency] += change
        self.history[currency].append((action, tx_id, change))

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

    def load(self, reads: Reads) -> Snapshot:
        return self._ledger.load(reads)

    def entry(self, key: EntryKey) -> LedgerEntry | None:
        return self._ledger.entry(key)

    def put_session(self, session: Session, ttl: int) -> None:
        self._ledger.put_session(session, ttl)

    def commit(self, plan: Any) -> None:
        if self.interleave:
            self.interleave = False
            self._deposit_one(plan.wallet_move.key)  # the model records it then, before this commit
        if self.busy:
            self.busy -= 1
            raise StorageBusy("injected: throttled")
        self._ledger.commit(plan)
        if self.lost:
            self.lost -= 1
            raise StorageBusy("injected: the answer was lost")


amounts = st.integers(min_value=1, max_value=6000)


class WalletMachine(RuleBasedStateMachine):
    make_ledger: Callable[[], LedgerPort]
    history_of: History

    def __init__(self) -> None:
        super().__init__()
        ledger = type(self).make_ledger()
        self.ledger = ledger
        self.player = f"model-{uuid.uuid4().hex[:12]}"
        backoff = Backoff(base_seconds=0.001, cap_seconds=0.005)
        side = WalletService(ledger, CurrencyTable(), clock=SystemClock(), backoff=backoff)
        self.faults = Faults(ledger, lambda key: self._transfer(side, key, UNIT[key.currency] * 100))
        self.wallet = WalletService(self.faults, CurrencyTable(), clock=SystemClock(), backoff=backoff)
        self.model = Model()
        self.sessions = {c: self.wallet.open_session(self.player, c, GAME).session_id for c in CURRENCIES}
        for currency in CURRENCIES:
            self._transfer(self.wallet, WalletKey(self.player, currency), FUNDING[currency])

    def _transfer(self, wallet: WalletService, key: WalletKey, amount: Decimal) -> None:
        reference = f"model-{uuid.uuid4()}"
        wallet.transfer(deposit(key, amount, reference), time.monotonic() + 60)
        self.model.record(key.currency, Action.DEPOSIT.value, reference, amount)

    # Sending -------------------------------------------------------------------------------

    def send(self, payload: dict[str, str]) -> Answer:
        deadline = time.monotonic() + 60
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

    def expect(self, answer: Answer, expected: Answer) -> None:
        if expected.status == 200 and expected.tx_id is None:  # a new entry: its id is ours to learn
            expected = Answer(200, balance=expected.balance, tx_id=answer.tx_id)
        assert answer == expected, f"answered {answer}, the case table says {expected}"

    # Rules: bets ---------------------------------------------------------------------------

    @rule(currency=st.sampled_from(CURRENCIES), steps=amounts, free=st.booleans(), old_round=st.booleans())
    def bet(self, currency: str, steps: int, free: bool, old_round: bool) -> None:
        round_id = self.model.rounds[-1] if old_round and self.model.rounds else str(uuid.uuid4())
        payload = {
            "action": "bet",
            "type": "free" if free else "bet",
            "session_id": self.sessions[currency],
            "amount": self.amount(currency, steps),
            "tx_id": str(uuid.uuid4()),
            "round_id": round_id,
        }
        if free:
            payload["frc_id"] = str(uuid.uuid4())
        self._new_bet(payload, currency)

    @precondition(lambda self: self.model.markers)
    @rule(data=st.data(), steps=amounts)
    def bet_after_its_refund(self, data: st.DataObject, steps: int) -> None:
        """The refund came first (a marker): the bet is void whenever it arrives."""
        tx_id = data.draw(st.sampled_from(sorted(self.model.markers)))
        currency = data.draw(st.sampled_from(CURRENCIES))
        payload = {
            "action": "bet",
            "type": "bet",
            "session_id": self.sessions[currency],
            "amount": self.amount(currency, steps),
            "tx_id": tx_id,
            "round_id": str(uuid.uuid4()),
        }
        self.expect(self.send(payload), Answer(400, message="transaction already refunded"))

    def _new_bet(self, payload: dict[str, str], currency: str) -> None:
        stake = Decimal(0) if payload["type"] == "free" else Decimal(payload["amount"])
        answer = self.send(payload)
        if stake > self.model.balances[currency]:
            self.expect(answer, Answer(400, message="insufficient funds"))
            return
        self.model.record(currency, "bet", payload["tx_id"], -stake)
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
        self.model.record(currency, "win", payload["tx_id"], credit)
        self.model.wins[payload["tx_id"]] = Sent(payload, currency, str(answer.tx_id))
        self.expect(answer, self.model.ok(currency, str(answer.tx_id)))

    # Rules: refunds ------------------------------------------------------------------------

    @rule(data=st.data(), currency=st.sampled_from(CURRENCIES), of=st.sampled_from(["bet", "win", "unknown"]))
    def refund(self, data: st.DataObject, currency: str, of: str) -> None:
        """A refund of a bet (refunded or not, on either wallet), of a win, or of a tx_id never seen."""
        known = {"bet": self.model.bets, "win": self.model.wins}.get(of)
        orig = data.draw(st.sampled_from(sorted(known))) if known else str(uuid.uuid4())
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
            bet.refunded = True
        elif marker is not None:  # refunded before it came, by another refund
            lands, change = marker, Decimal(0)
        else:  # a win, or never seen: nothing moves, and a bet with that id is void from now on
            lands, change = currency, Decimal(0)
            if orig not in self.model.wins:
                self.model.markers[orig] = currency
        self.model.record(lands, "refund", payload["tx_id"], change)
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

    @rule(currency=st.sampled_from(CURRENCIES))
    def amount_with_too_many_places(self, currency: str) -> None:
        payload = {
            "action": "bet",
            "type": "bet",
            "session_id": self.sessions[currency],
            "amount": "0." + "0" * PLACES[currency] + "1",
            "tx_id": str(uuid.uuid4()),
            "round_id": str(uuid.uuid4()),
        }
        self.expect(self.send(payload), Answer(400, message="bad request"))

    # Faults --------------------------------------------------------------------------------

    @rule(busy=st.integers(0, 2), lost=st.integers(0, 1), interleave=st.booleans())
    def storage_faults_on_the_next_commits(self, busy: int, lost: int, interleave: bool) -> None:
        self.faults.busy, self.faults.lost, self.faults.interleave = busy, lost, interleave

    def _all_sent(self) -> list[Sent]:
        return [*self.model.bets.values(), *self.model.wins.values(), *self.model.refunds.values()]

    # After every step ----------------------------------------------------------------------

    @invariant()
    def balances_and_histories_match_the_model(self) -> None:
        for currency in CURRENCIES:
            key = WalletKey(self.player, currency)
            wallet = self.ledger.load(Reads(None, key, ())).wallet
            assert wallet.balance == self.model.balances[currency], currency
            assert wallet.balance >= 0
            entries = type(self).history_of(self.ledger, key)
            got = [(e.key.action.value, e.key.playhub_tx_id, e.balance_change) for e in entries]
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
