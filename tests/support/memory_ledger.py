"""An in-memory ledger with the same write conditions as the DynamoDB one, for tests without AWS.

It can also misbehave on purpose: throttle the next commits, or apply a commit and then
report a failure (a response lost on the way back).
"""

from __future__ import annotations

import threading
from dataclasses import replace

from playhub_wallet.state import (
    ZERO,
    EntryKey,
    EntryKind,
    LedgerEntry,
    LedgerPort,
    Reads,
    RoundKey,
    Session,
    Snapshot,
    StaleSnapshot,
    StorageBusy,
    Wallet,
    WalletKey,
    WritePlan,
)


class InMemoryLedger(LedgerPort):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sessions: dict[str, Session] = {}
        self.wallets: dict[WalletKey, Wallet] = {}
        self.entries: dict[EntryKey, LedgerEntry] = {}
        self.rounds: dict[RoundKey, int] = {}
        self.busy_commits = 0  # the next N commits raise StorageBusy without writing
        self.lost_responses = 0  # the next N commits write, then raise StorageBusy
        self.loads = 0
        self.commits = 0

    def load(self, reads: Reads) -> Snapshot:
        with self._lock:
            self.loads += 1
            found = {key: self.entries[key] for key in reads.entries if key in self.entries}
            round_key = reads.round
            return Snapshot(
                session=self.sessions.get(reads.session_id) if reads.session_id else None,
                wallet=self.wallets.get(reads.wallet, Wallet(reads.wallet, ZERO, 0)),
                entries=found,
                round_has_bet=round_key is not None and round_key in self.rounds,
            )

    def commit(self, plan: WritePlan) -> None:
        with self._lock:
            self.commits += 1
            if self.busy_commits:
                self.busy_commits -= 1
                raise StorageBusy("injected throttle")
            if not self._conditions_hold(plan):
                raise StaleSnapshot("a condition failed")
            self._apply(plan)
            if self.lost_responses:
                self.lost_responses -= 1
                raise StorageBusy("injected lost response")

    def entry(self, key: EntryKey) -> LedgerEntry | None:
        with self._lock:
            self.loads += 1
            return self.entries.get(key)

    def put_session(self, session: Session, ttl: int) -> None:
        with self._lock:
            if session.session_id in self.sessions:
                raise StaleSnapshot("session exists")
            self.sessions[session.session_id] = session

    def set_blocked(self, key: WalletKey, blocked: bool) -> None:
        with self._lock:
            wallet = self.wallets.get(key, Wallet(key, ZERO, 0))
            self.wallets[key] = replace(wallet, blocked=blocked)

    # The same conditions as dynamodb.callback_ledger.CallbackLedger.commit --------------

    def _conditions_hold(self, plan: WritePlan) -> bool:
        if plan.entry.key in self.entries:
            return False
        move = plan.wallet_move
        wallet = self.wallets.get(move.key)
        if move.expected_version == 0:
            if wallet is not None and wallet.version != 0:
                return False
        elif wallet is None or wallet.version != move.expected_version:
            return False
        balance = wallet.balance if wallet else ZERO
        if move.delta < 0 and balance < -move.delta:
            return False
        if move.refuse_if_blocked and wallet is not None and wallet.blocked:
            return False
        ext = plan.session_extension
        if ext is not None:
            session = self.sessions.get(ext.session_id)
            if session is None or session.status != "active" or not session.expires_at > ext.now:
                return False
        if plan.bet_refund is not None:
            bet = self.entries.get(plan.bet_refund.bet)
            if bet is None or bet.kind is not EntryKind.APPLIED or bet.refunded_by is not None:
                return False
        for key in plan.still_absent:
            if isinstance(key, RoundKey):
                if key in self.rounds:
                    return False
            elif key in self.entries:
                return False
        marker = plan.refund_marker
        return marker is None or marker.key not in self.entries

    def _apply(self, plan: WritePlan) -> None:
        self.entries[plan.entry.key] = plan.entry
        move = plan.wallet_move
        wallet = self.wallets.get(move.key, Wallet(move.key, ZERO, 0))
        self.wallets[move.key] = replace(wallet, balance=wallet.balance + move.delta, version=move.expected_version + 1)
        if plan.bet_refund is not None:
            self.wallets[move.key] = replace(self.wallets[move.key], last_refund_seq=move.expected_version + 1)
        if plan.session_extension is not None:
            ext = plan.session_extension
            self.sessions[ext.session_id] = replace(self.sessions[ext.session_id], expires_at=ext.new_expires_at)
        if plan.round_bet is not None:
            key = plan.round_bet
            self.rounds[key] = self.rounds.get(key, 0) + 1
        if plan.bet_refund is not None:
            bet_key = plan.bet_refund.bet
            self.entries[bet_key] = replace(self.entries[bet_key], refunded_by=plan.bet_refund.refund_playhub_tx_id)
        if plan.refund_marker is not None:
            marker = plan.refund_marker
            self.entries[marker.key] = marker
