"""Playhub's catalogue as we cache it (catalogue.CatalogueStore): the currencies in one item (a
few hundred at most), each game in an item of its own (the whole list can exceed 1 MB, more than
an item holds), and when the games were loaded."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from playhub_wallet.catalogue import CatalogueStore, Currencies, Currency, Game, GamesLoaded
from playhub_wallet.dynamodb.keys import CURRENCIES_KEY, GAMES_LOADED_KEY, GAMES_PK, game_key
from playhub_wallet.dynamodb.table import Table


class CatalogueTable(CatalogueStore):
    def __init__(self, table: Table) -> None:
        self._table = table

    def currencies(self) -> Currencies | None:
        item = self._table.get(CURRENCIES_KEY)
        if not item:
            return None
        listed = tuple(_currency(entry) for entry in item.get("currencies", []))
        return Currencies(listed, int(item["fetched_at"]))

    def currency_places(self) -> dict[str, int]:
        """Decimal places by code: what the callbacks need of the catalogue (empty if never loaded)."""
        found = self.currencies()
        return found.places() if found else {}

    def put_currencies(self, currencies: Currencies) -> None:
        self._table.put(
            {
                **CURRENCIES_KEY,
                "entity": "catalogue",
                "currencies": [currency.__dict__ for currency in currencies.currencies],
                "fetched_at": currencies.fetched_at,
            }
        )

    def game(self, game_id: str) -> Game | None:
        item = self._table.get(game_key(game_id))
        return _game(item) if item else None

    def games(self) -> list[Game]:
        return [_game(item) for item in self._table.query("pk = :pk", {":pk": GAMES_PK})]

    def games_loaded(self) -> GamesLoaded | None:
        item = self._table.get(GAMES_LOADED_KEY)
        return GamesLoaded(int(item["fetched_at"]), int(item["count"])) if item else None

    def replace_games(self, games: list[Game], fetched_at: int) -> int:
        listed = {game.id for game in games}
        stored = {item["sk"] for item in self._table.query("pk = :pk", {":pk": GAMES_PK}, ProjectionExpression="sk")}
        gone = sorted(stored - listed)
        puts = [
            {
                **game_key(game.id),
                "entity": "game",
                "title": game.title,
                "locales": list(game.locales),
                "free_spins": game.free_spins,
                "thumbnail": game.thumbnail,
                "fetched_at": fetched_at,
            }
            for game in games
        ]
        self._table.batch_write(puts, [game_key(game_id) for game_id in gone])
        # Last: until now, launches went by the games as they were.
        self._table.put({**GAMES_LOADED_KEY, "entity": "catalogue", "fetched_at": fetched_at, "count": len(games)})
        return len(gone)


def _currency(entry: Mapping[str, Any]) -> Currency:
    return Currency(
        code=entry["code"],
        name=entry.get("name", ""),
        symbol=entry.get("symbol", ""),
        decimal_places=int(entry["decimal_places"]),
        is_crypto=bool(entry.get("is_crypto")),
        is_virtual=bool(entry.get("is_virtual")),
    )


def _game(item: Mapping[str, Any]) -> Game:
    return Game(
        id=item["sk"],
        title=item.get("title", ""),
        locales=tuple(item.get("locales", [])),
        free_spins=bool(item.get("free_spins")),
        thumbnail=item.get("thumbnail", ""),
    )
