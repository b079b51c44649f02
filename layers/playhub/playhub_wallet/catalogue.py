"""What Playhub's catalogue says: its currencies (GET /currencies) and its games (GET /games), as
we keep them (PLAYHUB.md §5, "House rule for currencies and games").

Plain data and the store's interface only: the callbacks read the currencies from the store
through this module, and never load the Core API client (playhub_catalogue.py refreshes it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Currency:
    code: str
    name: str
    symbol: str
    decimal_places: int
    is_crypto: bool
    is_virtual: bool = False


@dataclass(frozen=True)
class Currencies:
    """Playhub's currencies as fetched at fetched_at (Unix time)."""

    currencies: tuple[Currency, ...]
    fetched_at: int

    def find(self, code: str) -> Currency | None:
        return next((currency for currency in self.currencies if currency.code == code), None)

    def places(self) -> dict[str, int]:
        return {currency.code: currency.decimal_places for currency in self.currencies}


@dataclass(frozen=True)
class Game:
    id: str
    title: str
    locales: tuple[str, ...]  # normalised as a launch sends them: lowercase, underscore (en, en_us)
    free_spins: bool
    thumbnail: str = ""

    def supports_locale(self, locale: str) -> bool:
        """The game lists the locale itself, or its bare language: "en_us" plays where "en" is
        listed, but not where only "en_gb" is."""
        return locale in self.locales or locale.split("_", 1)[0] in self.locales


def normalise_locales(listed: str | Iterable[str]) -> tuple[str, ...]:
    """Playhub lists a game's locales comma-delimited ("en,de,pt-BR"): as launches name them."""
    parts = listed.split(",") if isinstance(listed, str) else listed
    return tuple(dict.fromkeys(part.strip().replace("-", "_").lower() for part in parts if part.strip()))


@dataclass(frozen=True)
class GamesLoaded:
    """When the games were last loaded, and how many Playhub listed."""

    fetched_at: int
    count: int


class CatalogueStore(Protocol):
    def currencies(self) -> Currencies | None: ...

    def put_currencies(self, currencies: Currencies) -> None: ...

    def game(self, game_id: str) -> Game | None: ...

    def games(self) -> list[Game]: ...

    def games_loaded(self) -> GamesLoaded | None: ...

    def replace_games(self, games: list[Game], fetched_at: int) -> int:
        """Store these games and drop the ones no longer listed; how many were dropped."""
        ...
