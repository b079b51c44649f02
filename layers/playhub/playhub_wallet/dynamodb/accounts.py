"""Wallets, their history, blocking, and sessions, for launch and the operator routes
(accounts.AccountStore and launch.LaunchStore)."""

from __future__ import annotations

from typing import Any

from playhub_wallet.accounts import AccountStore
from playhub_wallet.dynamodb.codecs import decode_cursor, encode_cursor, entry_from_item, wallet_from_item
from playhub_wallet.dynamodb.keys import (
    HISTORY_INDEX,
    history_pk,
    player_wallets,
    profile_key,
    session_key,
    wallet_key,
    wallet_of,
)
from playhub_wallet.dynamodb.table import Table, deserialize, serialize
from playhub_wallet.launch import LaunchStore
from playhub_wallet.state import HistoryPage, LedgerEntry, RoundSearch, Wallet, WalletKey


class AccountTable(AccountStore, LaunchStore):
    def __init__(self, table: Table) -> None:
        self._table = table

    def ensure_wallet(self, key: WalletKey) -> None:
        """The wallet, created empty if the player never had one (so that blocking the player
        reaches it); an existing wallet is left as it is. Only the wallet's identity is written:
        a missing balance and version read as 0 (codecs.wallet_from_item), and the launch
        function's IAM policy allows it no other attribute of a wallet."""
        self._table.update_item(
            wallet_key(key),
            "SET #entity = :wallet, #player_id = :player, #currency = :currency",
            None,
            {":wallet": "wallet", ":player": key.player_id, ":currency": key.currency},
        )

    def wallets(self, player_id: str) -> list[Wallet]:
        pk, prefix = player_wallets(player_id)
        items = self._table.query(
            "pk = :pk AND begins_with(sk, :wallet)", {":pk": pk, ":wallet": prefix}, ConsistentRead=True
        )
        return [wallet_from_item(wallet_of(item), item) for item in items]  # the key names the wallet

    def player_blocked(self, player_id: str) -> bool:
        profile = self._table.get(profile_key(player_id))
        return bool(profile and profile.get("blocked"))

    def set_player_blocked(self, player_id: str, blocked: bool) -> list[WalletKey]:
        """Block or unblock all of a player's wallets, and the player for wallets to come, atomically."""
        keys = [wallet.key for wallet in self.wallets(player_id)]
        profile = self._table.update(
            profile_key(player_id),
            "SET #blocked = :blocked, #entity = :profile",
            None,
            {":blocked": blocked, ":profile": "profile"},
        )
        wallets = [
            self._table.update(
                wallet_key(key), "SET #blocked = :blocked", "attribute_exists(pk)", {":blocked": blocked}
            )
            for key in keys
        ]
        self._table.call("transact_write_items", TransactItems=[profile, *wallets])
        return keys

    def history(self, key: WalletKey, limit: int, cursor: str | None = None) -> HistoryPage:
        """Entries that moved the wallet, newest first, from the history index (no scan)."""
        request: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": HISTORY_INDEX,
            "KeyConditionExpression": "history_pk = :wallet",
            "ExpressionAttributeValues": serialize({":wallet": history_pk(key)}),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if cursor:
            request["ExclusiveStartKey"] = decode_cursor(cursor, history_pk(key))
        answer = self._table.call("query", **request)  # one page: the cursor says where the next starts
        entries = tuple(entry_from_item(deserialize(item) or {}) for item in answer.get("Items", []))
        last_key = answer.get("LastEvaluatedKey")
        return HistoryPage(entries, encode_cursor(last_key) if last_key else None)

    def round_entries(self, key: WalletKey, round_id: str, max_scanned: int) -> RoundSearch:
        """The wallet's entries of one round, newest first, from the history index (no scan of the
        table): at most max_scanned of the wallet's newest entries are looked at."""
        found: list[LedgerEntry] = []
        scanned = 0
        request: dict[str, Any] = {
            "TableName": self._table.name,
            "IndexName": HISTORY_INDEX,
            "KeyConditionExpression": "history_pk = :wallet",
            "FilterExpression": "round_id = :round",
            "ExpressionAttributeValues": serialize({":wallet": history_pk(key), ":round": round_id}),
            "ScanIndexForward": False,
        }
        while scanned < max_scanned:
            answer = self._table.call("query", **request, Limit=min(1000, max_scanned - scanned))
            scanned += int(answer.get("ScannedCount", 0))
            found += [entry_from_item(deserialize(item) or {}) for item in answer.get("Items", [])]
            if "LastEvaluatedKey" not in answer:
                return RoundSearch(tuple(found), scanned, complete=True)
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]
        return RoundSearch(tuple(found), scanned, complete=False)

    def update_session(self, session_id: str, *, status: str | None = None, game_session_id: str | None = None) -> None:
        changes = {name: value for name, value in (("status", status), ("game_session_id", game_session_id)) if value}
        if not changes:
            raise ValueError("update_session needs a status or a game_session_id")
        assignments = ", ".join(f"#{name} = :{name}" for name in changes)
        self._table.update_item(
            session_key(session_id),
            f"SET {assignments}",
            "attribute_exists(pk)",
            {f":{name}": value for name, value in changes.items()},
        )
