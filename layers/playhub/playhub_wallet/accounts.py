"""The operator's view of players' accounts: their wallets, each wallet's history, and blocking.

The operator routes reach the store only through this service.
"""

from __future__ import annotations

from typing import Protocol

from playhub_wallet.state import HistoryPage, RoundSearch, Wallet, WalletKey


class AccountStore(Protocol):
    def wallets(self, player_id: str) -> list[Wallet]: ...

    def history(self, key: WalletKey, limit: int, cursor: str | None = None) -> HistoryPage: ...

    def set_player_blocked(self, player_id: str, blocked: bool) -> list[WalletKey]: ...

    def round_entries(self, key: WalletKey, round_id: str, max_scanned: int) -> RoundSearch: ...


class Accounts:
    def __init__(self, store: AccountStore) -> None:
        self._store = store

    def wallets(self, player_id: str) -> list[Wallet]:
        """Every wallet of the player, one per currency."""
        return self._store.wallets(player_id)

    def history(self, key: WalletKey, limit: int, cursor: str | None = None) -> HistoryPage:
        """The wallet's entries, newest first; a cursor from another wallet is a ValueError."""
        return self._store.history(key, limit, cursor)

    def round_entries(self, key: WalletKey, round_id: str, max_scanned: int) -> RoundSearch:
        """The wallet's entries of one round, among its max_scanned newest entries."""
        return self._store.round_entries(key, round_id, max_scanned)

    def block(self, player_id: str, blocked: bool) -> list[WalletKey]:
        """Block or unblock the player's bets in every currency, and in currencies to come."""
        return self._store.set_player_blocked(player_id, blocked)
