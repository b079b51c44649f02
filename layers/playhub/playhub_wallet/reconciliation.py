"""Reconciliation: every wallet changed since the last run must equal the sum of its ledger.

For each changed wallet, the entries after its last checkpoint must carry the sequence numbers
checkpoint+1 .. version with no gap, each entry's balance_after must be the previous balance
plus its change, and the last one must equal the wallet's balance. A mismatch is reported with
the first diverging entry and never "fixed"; see docs/runbook.md.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from playhub_wallet.money import add_money
from playhub_wallet.state import HOUR_FORMAT, LedgerEntry, Wallet, WalletKey, hour_of

HOUR = 3600
FIRST_RUN_LOOKBACK_HOURS = 24
MAX_HOURS_PER_RUN = 48  # after a long pause, catch up over several runs rather than time out
SETTLE_SECONDS = 900  # the next run rereads the hour of 15 min ago: late writes and index lag
PENDING_LIMIT_SECONDS = 3600  # entries missing from the index for longer are a mismatch, not lag


class ReconciliationStore(Protocol):
    def changed_wallets(self, hour: str) -> list[WalletKey]: ...

    def wallet(self, key: WalletKey) -> Wallet | None: ...

    def entries_after(self, key: WalletKey, seq: int, up_to: int) -> list[LedgerEntry]: ...

    def checkpoint(self, key: WalletKey) -> tuple[int, Decimal]: ...

    def save_checkpoint(self, key: WalletKey, seq: int, balance: Decimal) -> None: ...

    def last_reconciled_hour(self) -> str | None: ...

    def save_reconciled_hour(self, hour: str) -> None: ...

    def rechecks(self) -> dict[WalletKey, int]: ...

    def flag_recheck(self, key: WalletKey, since: int) -> None: ...

    def clear_recheck(self, key: WalletKey) -> None: ...


@dataclass(frozen=True)
class Mismatch:
    wallet: WalletKey
    reason: str
    seq: int | None  # the first diverging entry, if one diverges
    our_tx_id: str | None
    expected: Decimal | None
    found: Decimal | None


@dataclass
class ReconciliationReport:
    hours: list[str] = field(default_factory=list)
    wallets_checked: int = 0
    entries_checked: int = 0
    pending: list[WalletKey] = field(default_factory=list)  # the index has not shown every entry yet
    mismatches: list[Mismatch] = field(default_factory=list)


def hours_between(first: str, last: str) -> list[str]:
    """Every UTC hour from first to last, both included."""
    start = calendar.timegm(time.strptime(first, HOUR_FORMAT))
    end = calendar.timegm(time.strptime(last, HOUR_FORMAT))
    return [hour_of(moment) for moment in range(start, end + 1, HOUR)]


class Reconciler:
    """Wallets found wrong or not yet checkable stay on a recheck list, read by every run, until
    they reconcile: a mismatch is reported on every run until a human deals with it."""

    def __init__(self, store: ReconciliationStore) -> None:
        self._store = store

    def run(self, now: int, since_hour: str | None = None) -> ReconciliationReport:
        """Check every wallet changed from the last run's marker (or since_hour) to now's hour."""
        current = hour_of(now)
        if since_hour is not None and not (_is_hour(since_hour) and since_hour <= current):
            raise ValueError(f"since must be an hour YYYYMMDDHH, UTC, not after {current}: {since_hour!r}")
        first = since_hour or self._store.last_reconciled_hour() or hour_of(now - FIRST_RUN_LOOKBACK_HOURS * HOUR)
        report = ReconciliationReport(hours=hours_between(min(first, current), current)[:MAX_HOURS_PER_RUN])
        flagged = self._store.rechecks()
        changed = [key for hour in report.hours for key in self._store.changed_wallets(hour)]
        for key in dict.fromkeys([*flagged, *changed]):
            report.wallets_checked += 1
            self._settle(key, self._check_wallet(key, report), flagged.get(key), now, report)
        if since_hour is None:  # a run by hand for other hours leaves the schedule's marker alone
            self._store.save_reconciled_hour(min(report.hours[-1], hour_of(now - SETTLE_SECONDS)))
        return report

    def _settle(
        self, key: WalletKey, outcome: str, flagged_at: int | None, now: int, report: ReconciliationReport
    ) -> None:
        if outcome == "ok":
            if flagged_at is not None:
                self._store.clear_recheck(key)
            return
        if flagged_at is None:
            self._store.flag_recheck(key, now)
        elif outcome == "pending" and now - flagged_at > PENDING_LIMIT_SECONDS:
            report.pending.remove(key)
            report.mismatches.append(
                Mismatch(key, "ledger entries missing from the history index for over an hour", None, None, None, None)
            )

    def _check_wallet(self, key: WalletKey, report: ReconciliationReport) -> str:
        wallet = self._store.wallet(key)
        if wallet is None:
            report.mismatches.append(Mismatch(key, "wallet missing but marked changed", None, None, None, None))
            return "mismatch"
        seq, balance = self._store.checkpoint(key)
        if wallet.version < seq:
            report.mismatches.append(
                Mismatch(key, f"version {wallet.version} is behind the checkpoint {seq}", None, None, None, None)
            )
            return "mismatch"
        entries = self._store.entries_after(key, seq, wallet.version)
        report.entries_checked += len(entries)
        for entry in entries:
            seq += 1
            if entry.wallet_seq != seq:
                if entry.wallet_seq is not None and entry.wallet_seq > seq:
                    report.pending.append(key)  # an earlier entry is not in the index yet
                    return "pending"
                report.mismatches.append(
                    Mismatch(
                        key,
                        f"sequence broken: expected {seq}, found {entry.wallet_seq}",
                        entry.wallet_seq,
                        entry.our_tx_id,
                        None,
                        None,
                    )
                )
                return "mismatch"
            balance = add_money(balance, entry.balance_change)
            if entry.balance_after != balance:
                report.mismatches.append(
                    Mismatch(
                        key,
                        "entry's balance_after is not the running sum",
                        seq,
                        entry.our_tx_id,
                        balance,
                        entry.balance_after,
                    )
                )
                return "mismatch"
        if seq < wallet.version:
            report.pending.append(key)  # the index has not shown the newest entries yet
            return "pending"
        if balance != wallet.balance:
            last = entries[-1].our_tx_id if entries else None
            report.mismatches.append(
                Mismatch(
                    key, "wallet balance differs from the sum of its ledger", seq or None, last, balance, wallet.balance
                )
            )
            return "mismatch"
        if entries:
            self._store.save_checkpoint(key, seq, balance)
        return "ok"


def _is_hour(text: str) -> bool:
    try:
        time.strptime(text, HOUR_FORMAT)
    except ValueError:
        return False
    return len(text) == 10
