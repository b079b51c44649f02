"""One game round as Playhub sees it (POST /game-round-history) beside our own ledger entries for it.

For the casino's support: a player disputes a round; this shows Playhub's record of it (bet,
target, result, payout, the balances Playhub saw, the bonus balance of free rounds) and every
entry our ledger has for the same round, in each of the player's wallets.
"""

from __future__ import annotations

from dataclasses import dataclass

from playhub_wallet.accounts import Accounts
from playhub_wallet.core_api import CoreApiClient, RoundHistory, call_playhub
from playhub_wallet.errors import InvalidRequest, NotFound
from playhub_wallet.state import LedgerEntry, Provider, WalletKey

# How many of a wallet's newest entries are searched for the round (the history index holds a
# wallet's entries in order; a round is found among the recent ones).
MAX_SCANNED_PER_WALLET = 5000


@dataclass(frozen=True)
class RoundView:
    player_id: str
    game_id: str
    round_id: str
    playhub: RoundHistory | None  # None: Playhub has no history for it
    playhub_note: str | None
    entries: tuple[LedgerEntry, ...]  # ours, newest first
    currencies_searched: tuple[str, ...]
    scanned: int
    complete: bool  # False: some wallet had more entries than were searched


class Rounds:
    def __init__(self, accounts: Accounts, core: CoreApiClient, max_scanned: int = MAX_SCANNED_PER_WALLET) -> None:
        self._accounts = accounts
        self._core = core
        self._max_scanned = max_scanned

    def show(self, player_id: str, round_id: str, game_id: str | None, currency: str | None) -> RoundView:
        currencies = [currency] if currency else [w.key.currency for w in self._accounts.wallets(player_id)]
        entries: list[LedgerEntry] = []
        scanned, complete = 0, True
        for code in currencies:
            search = self._accounts.round_entries(WalletKey(player_id, code), round_id, self._max_scanned)
            entries += search.entries
            scanned += search.scanned
            complete = complete and search.complete
        if game_id is None:
            games = {entry.game_id for entry in entries if entry.game_id}
            if len(games) != 1:
                reason = "no entry of ours names its game" if not games else f"our entries name {sorted(games)}"
                raise InvalidRequest(f"game_id: required for this round ({reason})")
            (game_id,) = games
        # Round ids are unique only within a game: keep the entries of this game (refunds carry none).
        entries = [entry for entry in entries if entry.game_id in (None, game_id)]
        playhub: RoundHistory | None
        note: str | None
        if entries and all(entry.key.provider is Provider.SWIPE for entry in entries):
            # Swipe Games keeps no round history we could ask for (SWIPE.md §7.5): ours only.
            playhub, note = None, "a Swipe Games round: Swipe has no round history to ask; our entries only"
        else:
            playhub, note = self._playhub(game_id, round_id, player_id)
        return RoundView(
            player_id,
            game_id,
            round_id,
            playhub,
            note,
            tuple(sorted(entries, key=lambda e: e.created_at, reverse=True)),
            tuple(currencies),
            scanned,
            complete,
        )

    def _playhub(self, game_id: str, round_id: str, player_id: str) -> tuple[RoundHistory | None, str | None]:
        try:
            return call_playhub(lambda: self._core.round_history(game_id, round_id, player_id)), None
        except NotFound as exc:  # our entries are still worth showing
            return None, f"Playhub has no history for this round ({exc.details})"
