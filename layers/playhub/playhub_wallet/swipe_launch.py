"""Game launch at Swipe Games (SWIPE.md §7.1): our session first (a `sw1.` one, which only Swipe's
callbacks find), then Swipe's game session for it.

Checked before anything is written: the game, locale, platform and currency against Swipe's
cached game list, and that we know the currency's decimal places (the table Playhub's launches
use: Swipe has no currency call). The rest is every provider's launch (launch.start_game): a
session whose launch Swipe refused or did not answer is marked failed, never left active.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from playhub_wallet.errors import InvalidRequest
from playhub_wallet.launch import GameStarted, start_game
from playhub_wallet.operator_models import LaunchRequest, LaunchResponse
from playhub_wallet.state import Provider
from playhub_wallet.swipe_core_api import CreateNewGameRequest, CreateNewGameResponse, User
from playhub_wallet.swipe_upstream import call_swipe

if TYPE_CHECKING:
    from playhub_wallet.launch import LaunchStore
    from playhub_wallet.money import CurrencyTable
    from playhub_wallet.swipe_catalogue import SwipeCatalogue
    from playhub_wallet.swipe_core_api import SwipeCoreApiClient
    from playhub_wallet.wallet import WalletService


class SwipeGameLauncher:
    def __init__(
        self,
        wallet: WalletService,
        store: LaunchStore,
        core: SwipeCoreApiClient,
        catalogue: SwipeCatalogue,
        currencies: CurrencyTable,
    ) -> None:
        self._wallet = wallet
        self._store = store
        self._core = core
        self._catalogue = catalogue
        self._currencies = currencies

    def launch(self, request: LaunchRequest) -> LaunchResponse:
        if request.platform is None:  # Swipe lays the game out for the device: we do not guess it
            raise InvalidRequest("platform: required for a swipe game (desktop or mobile)")
        self._catalogue.check_launch(request.game_id, request.currency, request.locale, request.platform)
        if not self._currencies.knows(request.currency):
            raise InvalidRequest(f"currency: the decimal places of {request.currency} are not known to this stack")

        def game(session_id: str | None) -> GameStarted:
            answer = self._create_game(request, session_id)
            return GameStarted(answer.game_url, answer.gs_id)

        return start_game(self._wallet, self._store, request, Provider.SWIPE, game)

    def _create_game(self, request: LaunchRequest, session_id: str | None) -> CreateNewGameResponse:
        assert request.platform is not None
        user = (
            None
            if request.demo
            else User(
                id=request.player_id,
                first_name=request.firstname,
                last_name=request.lastname,
                nick_name=request.nickname,
                country=request.country,
            )
        )
        game = CreateNewGameRequest(
            game_id=request.game_id,
            demo=request.demo,
            platform=request.platform,
            currency=request.currency,
            locale=request.locale,
            session_id=session_id,
            return_url=request.return_url,
            user=user,
        )
        return call_swipe(lambda: self._core.create_new_game(game))
