"""Swipe's game list as we cache it (swipe_catalogue.SwipeGamesStore): each game in an item of its
own under CATALOGUE#SWIPE#GAMES (the list can exceed 1 MB), its bet lines per currency as
"<maxBet>:<maxCoeff>" texts, and when the list was loaded (CATALOGUE / SWIPE#GAMES)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from playhub_wallet.catalogue import GamesLoaded
from playhub_wallet.dynamodb.keys import SWIPE_GAMES_LOADED_KEY, SWIPE_GAMES_PK, swipe_game_key
from playhub_wallet.dynamodb.table import Table
from playhub_wallet.legal_bets import BetValue
from playhub_wallet.swipe_catalogue import SwipeGame, SwipeGamesStore


class SwipeGamesTable(SwipeGamesStore):
    def __init__(self, table: Table) -> None:
        self._table = table

    def game(self, game_id: str) -> SwipeGame | None:
        item = self._table.get(swipe_game_key(game_id))
        return _game(item) if item else None

    def games(self) -> list[SwipeGame]:
        return [_game(item) for item in self._table.query("pk = :pk", {":pk": SWIPE_GAMES_PK})]

    def games_loaded(self) -> GamesLoaded | None:
        item = self._table.get(SWIPE_GAMES_LOADED_KEY)
        return GamesLoaded(int(item["fetched_at"]), int(item["count"])) if item else None

    def replace_games(self, games: list[SwipeGame], fetched_at: int) -> int:
        listed = {game.id for game in games}
        stored = {
            item["sk"] for item in self._table.query("pk = :pk", {":pk": SWIPE_GAMES_PK}, ProjectionExpression="sk")
        }
        gone = sorted(stored - listed)
        puts = [
            {
                **swipe_game_key(game.id),
                "entity": "swipe_game",
                "title": game.title,
                "locales": list(game.locales),
                "currencies": list(game.currencies),
                "platforms": list(game.platforms),
                "has_free_spins": game.has_free_spins,
                "bet_lines": {currency: [_text(line) for line in lines] for currency, lines in game.bet_lines.items()},
                "fetched_at": fetched_at,
            }
            for game in games
        ]
        self._table.batch_write(puts, [swipe_game_key(game_id) for game_id in gone])
        # Last: until now, launches and campaigns went by the games as they were.
        self._table.put(
            {**SWIPE_GAMES_LOADED_KEY, "entity": "catalogue", "fetched_at": fetched_at, "count": len(games)}
        )
        return len(gone)


def _game(item: Mapping[str, Any]) -> SwipeGame:
    return SwipeGame(
        id=item["sk"],
        title=item.get("title", ""),
        locales=tuple(item.get("locales", [])),
        currencies=tuple(item.get("currencies", [])),
        platforms=tuple(item.get("platforms", [])),
        has_free_spins=bool(item.get("has_free_spins")),
        bet_lines={
            currency: tuple(_line(text) for text in texts) for currency, texts in (item.get("bet_lines") or {}).items()
        },
    )


def _text(line: BetValue) -> str:
    """Plain decimals, exactly as Swipe listed them ("1.10:5.00"), never "1E+1"."""
    return f"{format(line.max_bet, 'f')}:{format(line.max_target_multiplier, 'f')}"


def _line(text: str) -> BetValue:
    max_bet, max_coeff = text.split(":", 1)
    return BetValue(Decimal(max_bet), Decimal(max_coeff))
