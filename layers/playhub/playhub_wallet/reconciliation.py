"""Reconciliation: every wallet changed since the last run must equal the sum of its ledger.

For each changed wallet, the entries after its last checkpoint must carry the sequence numbers
checkpoint+1 .. version with no gap, each entry's balance_after must be the previous balance
plus its change, and the last one must equal the wallet's balance. A mismatch is reported with
the first diverging entry and never "fixed"; see docs/runbook.md.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from playhub_wallet.money import add_money
from playhub_wallet.state import LedgerEntry, Wallet, WalletKey

HOUR = 3600
FIRST_RUN_LOOKBACK_HOURS = 24
MAX_HOURS_PER_RUN = 48  # after a long pause, catch up over several runs rather than time out


class ReconciliationStore(Protocol):
    def changed_wallets(self, hour: str) -> list[WalletKey]: ...

    def wallet(self, key: WalletKey) -> Wallet | None: ...

    def entries_after(self, key: WalletKey, seq: int, up_to: int) -> list[LedgerEntry]: ...

    def checkpoint(self, key: WalletKey) -> tuple[int, Decimal]: ...

    def save_checkpoint(self, key: WalletKey, seq: int, balance: Decimal) -> None: ...

    def last_reconciled_hour(self) -> str | None: ...

    def save_reconciled_hour(self, hour: str) -> None: ...


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


def hour_of(epoch_seconds: int) -> str:
    return time.strftime("%Y%m%d%H", time.gmtime(epoch_seconds))


def hours_between(first: str, last: str) -> list[str]:
    """Every UTC hour from first to last, both included."""
    start = calendar.timegm(time.strptime(first, "%Y%m%d%H"))
    end = calendar.timegm(time.strptime(last, "%Y%m%d%H"))
    return [hour_of(moment) for moment in range(start, end + 1, HOUR)]


class Reconciler:
    def __init__(self, store: ReconciliationStore) -> None:
        self._store = store

    def run(self, now: int, since_hour: str | None = None) -> ReconciliationReport:
        """Check every wallet changed from the last run's hour (or since_hour) to now's hour."""
        current = hour_of(now)
        first = since_hour or self._store.last_reconciled_hour() or hour_of(now - FIRST_RUN_LOOKBACK_HOURS * HOUR)
        report = ReconciliationReport(hours=hours_between(first, current)[:MAX_HOURS_PER_RUN])
        wallets = dict.fromkeys(key for hour in report.hours for key in self._store.changed_wallets(hour))
        self.check(wallets, report)
        # The last hour read is read again next time: wallets may still change in it.
        self._store.save_reconciled_hour(report.hours[-1])
        return report

    def check(self, wallets: Iterable[WalletKey], report: ReconciliationReport) -> None:
        for key in wallets:
            report.wallets_checked += 1
            self._check_wallet(key, report)

    def _check_wallet(self, key: WalletKey, report: ReconciliationReport) -> None:
        wallet = self._store.wallet(key)
        if wallet is None:
            report.mismatches.append(Mismatch(key, "wallet missing but marked changed", None, None, None, None))
            return
        seq, balance = self._store.checkpoint(key)
        if wallet.version < seq:
            report.mismatches.append(
                Mismatch(key, f"version {wallet.version} is behind the checkpoint {seq}", None, None, None, None)
            )
            return
        entries = self._store.entries_after(key, seq, wallet.version)
        report.entries_checked += len(entries)
        for entry in entries:
            seq += 1
            if entry.wallet_seq != seq:
                if entry.wallet_seq is not None and entry.wallet_seq > seq:
                    report.pending.append(key)  # an earlier entry is not in the index yet
                    return
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
                return
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
                return
        if seq < wallet.version:
            report.pending.append(key)  # the index has not shown the newest entries yet
            return
        if balance != wallet.balance:
            last = entries[-1].our_tx_id if entries else None
            report.mismatches.append(
                Mismatch(
                    key, "wallet balance differs from the sum of its ledger", seq or None, last, balance, wallet.balance
                )
            )
            return
        if entries:
            self._store.save_checkpoint(key, seq, balance)
