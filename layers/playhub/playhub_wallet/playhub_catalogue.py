"""Playhub's catalogue for launches, transfers and the operator (PLAYHUB.md §5).

The currencies and games are Playhub's, cached in our table: refreshed on a schedule (the
catalogue function, `refresh`), and the currencies also whenever a code we do not know shows up.
A launch names a game, a locale and a currency the catalogue lists; a transfer a listed currency;
anything else is a 400, before anything is written. A launch never waits for GET /games (10-20 s,
over 1 MB): it reads the one game it names from the cache.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from playhub_wallet.catalogue import CatalogueStore, Currencies, Currency, Game, GamesLoaded, normalise_locales
from playhub_wallet.core_api import call_playhub
from playhub_wallet.errors import CatalogueNotLoaded, InvalidRequest, UpstreamError
from playhub_wallet.money import CURRENCY_PATTERN, MAX_DECIMAL_PLACES
from playhub_wallet.observability import logger

if TYPE_CHECKING:
    from playhub_wallet.core_api import CoreApiClient


@dataclass(frozen=True)
class RefreshReport:
    currencies: int
    games: int
    games_dropped: int
    fetched_at: int


class PlayhubCatalogue:
    def __init__(
        self,
        store: CatalogueStore,
        core: CoreApiClient,
        games_core: CoreApiClient | None = None,
        *,
        unknown_refresh_seconds: float = 60.0,
        max_age_seconds: float = 300.0,
        wall_clock: Callable[[], float] = time.time,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._core = core
        self._games_core = games_core or core  # GET /games is slow: its client may wait longer
        self._unknown_refresh = unknown_refresh_seconds
        self._max_age = max_age_seconds
        self._wall_clock = wall_clock
        self._clock = clock
        self._cached: Currencies | None = None
        self._read_at: float | None = None
        self._asked_playhub_at: float | None = None

    # Currencies ----------------------------------------------------------------------------

    def currencies(self) -> Currencies:
        """What Playhub lists, from memory, else the table, else Playhub itself (a new stack)."""
        if self._cached is None or self._read_at is None or self._clock() - self._read_at >= self._max_age:
            self._cached, self._read_at = self._store.currencies(), self._clock()
        if self._cached is None or not self._cached.currencies:
            return self._ask_playhub()
        return self._cached

    def currency(self, code: str) -> Currency:
        """The currency as Playhub lists it; an unknown code is looked up again (table, then Playhub
        at most once a minute) before it is refused with a 400."""
        found = self.currencies().find(code)
        if found is None:
            self._cached, self._read_at = self._store.currencies(), self._clock()
            found = self._cached.find(code) if self._cached else None
        if found is None and self._may_ask_playhub():
            found = self._ask_playhub().find(code)
        if found is None:
            raise InvalidRequest(f"currency: {code} is not a currency Playhub supports")
        return found

    def currency_places(self) -> dict[str, int]:
        """Decimal places by code, from this cache (the source of the operator's CurrencyTable)."""
        return self.currencies().places()

    def refresh_currencies(self) -> Currencies:
        return self._ask_playhub()

    def _may_ask_playhub(self) -> bool:
        return self._asked_playhub_at is None or self._clock() - self._asked_playhub_at >= self._unknown_refresh

    def _ask_playhub(self) -> Currencies:
        self._asked_playhub_at = self._clock()
        listed = call_playhub(self._core.currencies)
        # What money.py can hold exactly; a code with other places is left out (so refused), not bent.
        usable = {
            c.code: Currency(c.code, c.name, c.symbol, c.decimal_places, c.is_crypto, c.is_virtual)
            for c in listed
            if 0 <= c.decimal_places <= MAX_DECIMAL_PLACES and CURRENCY_PATTERN.fullmatch(c.code)
        }
        if skipped := sorted({c.code for c in listed} - set(usable)):
            logger.warning("catalogue currencies left out", extra={"codes": skipped[:50]})
        if not usable:  # never replace what we have with nothing
            raise UpstreamError("Playhub listed no currencies")
        currencies = Currencies(tuple(usable.values()), int(self._wall_clock()))
        self._store.put_currencies(currencies)
        self._cached, self._read_at = currencies, self._clock()
        return currencies

    # Games ---------------------------------------------------------------------------------

    def game(self, game_id: str) -> Game:
        found = self._store.game(game_id)
        if found is not None:
            return found
        if self._store.games_loaded() is None:
            raise CatalogueNotLoaded(
                "Playhub's game catalogue has not been loaded yet: the catalogue function loads it hourly"
                " (invoke it to load it now)"
            )
        raise InvalidRequest(f"game_id: {game_id} is not in Playhub's game catalogue")

    def games(self) -> list[Game]:
        return sorted(self._store.games(), key=lambda game: game.id)

    def games_loaded(self) -> GamesLoaded | None:
        return self._store.games_loaded()

    def refresh_games(self) -> tuple[int, int]:
        """Download the whole list (slow) and replace the cached one; (games listed, games dropped)."""
        listed = call_playhub(self._games_core.games)
        if not listed:  # a glitch must not delist every game
            raise UpstreamError("Playhub listed no games")
        # One item per id (a batch write refuses the same key twice): the last listing of an id wins.
        by_id = {g.id: Game(g.id, g.title, normalise_locales(g.locales), g.free_spins, g.thumbnail) for g in listed}
        games = list(by_id.values())
        dropped = self._store.replace_games(games, int(self._wall_clock()))
        return len(games), dropped

    # Together ------------------------------------------------------------------------------

    def check_launch(self, game_id: str, currency: str, locale: str) -> None:
        """A 400 naming the one that Playhub's catalogue does not list: game, locale or currency."""
        game = self.game(game_id)
        if not game.supports_locale(locale):
            listed = ", ".join(game.locales) or "none"
            raise InvalidRequest(f"locale: {locale} is not a locale of {game_id} (it lists {listed})")
        self.currency(currency)

    def refresh(self) -> RefreshReport:
        """The scheduled refresh: currencies first (small), then the games (slow)."""
        currencies = self.refresh_currencies()
        games, dropped = self.refresh_games()
        return RefreshReport(len(currencies.currencies), games, dropped, currencies.fetched_at)
