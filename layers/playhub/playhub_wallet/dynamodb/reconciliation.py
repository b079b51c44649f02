"""What reconciliation reads and records (reconciliation.ReconciliationStore): changed wallets
from the changes index, entries from the history index, checkpoints and the recheck list."""

from __future__ import annotations

from decimal import Decimal

from playhub_wallet.dynamodb.codecs import entry_from_item, wallet_from_item
from playhub_wallet.dynamodb.keys import (
    CHANGES_INDEX,
    HISTORY_INDEX,
    RECHECK_PK,
    RECONCILIATION_STATE,
    checkpoint_key,
    history_pk,
    history_sk,
    hour_buckets,
    recheck_key,
    wallet_key,
    wallet_of,
)
from playhub_wallet.dynamodb.table import Table
from playhub_wallet.reconciliation import ReconciliationStore
from playhub_wallet.state import ZERO, LedgerEntry, Wallet, WalletKey


class ReconciliationTable(ReconciliationStore):
    def __init__(self, table: Table) -> None:
        self._table = table

    def changed_wallets(self, hour: str) -> list[WalletKey]:
        """Wallets whose last change fell in this UTC hour (YYYYMMDDHH), from the changes index."""
        return [
            wallet_of(item)
            for bucket in hour_buckets(hour)
            for item in self._table.query("changed_bucket = :bucket", {":bucket": bucket}, IndexName=CHANGES_INDEX)
        ]

    def wallet(self, key: WalletKey) -> Wallet | None:
        item = self._table.get(wallet_key(key))
        return wallet_from_item(key, item) if item else None

    def entries_after(self, key: WalletKey, seq: int, up_to: int) -> list[LedgerEntry]:
        """The wallet's entries with seq+1 .. up_to, oldest first, from the history index."""
        if up_to <= seq:
            return []
        items = self._table.query(
            "history_pk = :wallet AND history_sk BETWEEN :first AND :last",
            {":wallet": history_pk(key), ":first": history_sk(seq + 1), ":last": history_sk(up_to)},
            IndexName=HISTORY_INDEX,
        )
        return [entry_from_item(item) for item in items]

    def checkpoint(self, key: WalletKey) -> tuple[int, Decimal]:
        """Up to which seq, and at which balance, this wallet was last found consistent."""
        item = self._table.get(checkpoint_key(key))
        return (int(item["reconciled_seq"]), Decimal(item["reconciled_balance"])) if item else (0, ZERO)

    def save_checkpoint(self, key: WalletKey, seq: int, balance: Decimal) -> None:
        self._table.put(
            {**checkpoint_key(key), "entity": "reconciliation", "reconciled_seq": seq, "reconciled_balance": balance}
        )

    def last_reconciled_hour(self) -> str | None:
        item = self._table.get(RECONCILIATION_STATE)
        return str(item["last_hour"]) if item else None

    def save_reconciled_hour(self, hour: str) -> None:
        self._table.put({**RECONCILIATION_STATE, "entity": "reconciliation", "last_hour": hour})

    def rechecks(self) -> dict[WalletKey, int]:
        """Wallets a run flagged (mismatch or pending), with when they were first flagged."""
        items = self._table.query("pk = :recheck", {":recheck": RECHECK_PK}, ConsistentRead=True)
        return {WalletKey(item["player_id"], item["currency"]): int(item["flagged_at"]) for item in items}

    def flag_recheck(self, key: WalletKey, since: int) -> None:
        item = {**recheck_key(key), "entity": "reconciliation", "player_id": key.player_id, "currency": key.currency}
        self._table.put({**item, "flagged_at": since})

    def clear_recheck(self, key: WalletKey) -> None:
        self._table.delete(recheck_key(key))
