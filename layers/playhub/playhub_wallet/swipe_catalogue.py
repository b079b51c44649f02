"""Swipe Games' game list for launches and campaigns (SWIPE.md §7.2, §9; docs/swipe-contract.md).

Cached in our table as Playhub's catalogue is: the catalogue function downloads GET /games (10-20 s,
over 1 MB) hourly with its bet lines and writes one item per game; a launch or a campaign reads
only the games it names, and never waits for Swipe's list. A game, locale, platform or currency
Swipe does not list, or a bet line it does not have, is a 400 before anything is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from playhub_wallet.catalogue import GamesLoaded, normalise_locales
from playhub_wallet.errors import CatalogueNotLoaded, InvalidRequest, SwipeUpstreamError
from playhub_wallet.legal_bets import BetValue
from playhub_wallet.swipe_upstream import call_swipe

if TYPE_CHECKING:
    from playhub_wallet.swipe_core_api import GameInfo, SwipeCoreApiClient


@dataclass(frozen=True)
class SwipeGame:
    """One game of Swipe's list, as a launch and a campaign check it."""

    id: str
    title: str
    locales: tuple[str, ...]  # normalised as launches name them: lowercase, underscore (en, pt_br)
    currencies: tuple[str, ...]
    platforms: tuple[str, ...]
    has_free_spins: bool
    # Per currency, its bet lines in order (line 1 first): max_bet is the exact stake of a free
    # round, max_target_multiplier Swipe's maxCoeff.
    bet_lines: Mapping[str, tuple[BetValue, ...]] = field(default_factory=dict)

    def supports_locale(self, locale: str) -> bool:
        """Listed itself, or its bare language: "en_us" plays where "en" is listed."""
        return locale in self.locales or locale.split("_", 1)[0] in self.locales

    @classmethod
    def from_info(cls, info: GameInfo) -> SwipeGame:
        return cls(
            id=info.id,
            title=info.title,
            locales=normalise_locales(info.locales),
            currencies=tuple(dict.fromkeys(info.currencies)),
            platforms=tuple(dict.fromkeys(info.platforms)),
            has_free_spins=info.has_free_spins,
            bet_lines={
                line.currency: tuple(BetValue(value.max_bet, value.max_coeff) for value in line.values)
                for line in info.bet_lines or ()
            },
        )


class SwipeGamesStore(Protocol):
    def game(self, game_id: str) -> SwipeGame | None: ...

    def games(self) -> list[SwipeGame]: ...

    def games_loaded(self) -> GamesLoaded | None: ...

    def replace_games(self, games: list[SwipeGame], fetched_at: int) -> int:
        """Store these games and drop the ones no longer listed; how many were dropped."""
        ...


class SwipeCatalogue:
    def __init__(
        self,
        store: SwipeGamesStore,
        games_core: SwipeCoreApiClient,
        *,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._games_core = games_core  # a client whose read timeout is over GET /games' 20 s
        self._wall_clock = wall_clock

    def game(self, game_id: str) -> SwipeGame:
        found = self._store.game(game_id)
        if found is not None:
            return found
        if self._store.games_loaded() is None:
            raise CatalogueNotLoaded(
                "Swipe's game list has not been loaded yet: the catalogue function loads it hourly"
                " (invoke it to load it now)"
            )
        raise InvalidRequest(f"game_id: {game_id} is not in Swipe's game list")

    def games(self) -> list[SwipeGame]:
        return sorted(self._store.games(), key=lambda game: game.id)

    def games_loaded(self) -> GamesLoaded | None:
        return self._store.games_loaded()

    def refresh(self) -> tuple[int, int]:
        """Download the list with its bet lines (slow) and replace the cached one; (listed, dropped)."""
        listed = call_swipe(lambda: self._games_core.games(exclude_bet_lines=False))
        if not listed:  # a glitch must not delist every game
            raise SwipeUpstreamError("Swipe listed no games")
        by_id = {info.id: SwipeGame.from_info(info) for info in listed}  # the last listing of an id wins
        games = list(by_id.values())
        return len(games), self._store.replace_games(games, int(self._wall_clock()))

    def check_launch(self, game_id: str, currency: str, locale: str, platform: str) -> SwipeGame:
        """The game, or a 400 naming what Swipe's list does not have: game, locale, platform, currency."""
        game = self.game(game_id)
        if not game.supports_locale(locale):
            raise InvalidRequest(
                f"locale: {locale} is not a locale of {game_id} at Swipe (it lists {', '.join(game.locales) or 'none'})"
            )
        if platform not in game.platforms:
            raise InvalidRequest(f"platform: {game_id} is not offered on {platform} at Swipe")
        if currency not in game.currencies:
            raise InvalidRequest(f"currency: {game_id} is not offered in {currency} at Swipe")
        return game

    def bet_line(self, game_id: str, currency: str, bet_line: int) -> BetValue:
        """What bet line `bet_line` of a free-rounds campaign stands for in this game (SWIPE.md §9),
        or a 400: a game without free spins, a currency it has no bet lines for, a line it lacks."""
        game = self.game(game_id)
        if not game.has_free_spins:
            raise InvalidRequest(f"game_id: {game_id} has no free spins at Swipe")
        lines = game.bet_lines.get(currency)
        if not lines:
            raise InvalidRequest(f"currency: {game_id} has no bet lines in {currency} at Swipe")
        if not 1 <= bet_line <= len(lines):
            raise InvalidRequest(f"bet_line: {game_id} has bet lines 1 to {len(lines)} in {currency} at Swipe")
        return lines[bet_line - 1]
