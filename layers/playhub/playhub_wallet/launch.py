"""Game launch: our session first, then Playhub's game session for it.

A session whose launch Playhub refused or did not answer is marked failed, never left active.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from playhub_wallet.core_api import CoreApiClient, CreateGameRequest, CreateGameResponse, User, call_playhub
from playhub_wallet.errors import Forbidden, NotConfigured
from playhub_wallet.operator_models import LaunchRequest, LaunchResponse
from playhub_wallet.playhub_catalogue import PlayhubCatalogue
from playhub_wallet.state import Provider, WalletKey
from playhub_wallet.wallet import WalletService

if TYPE_CHECKING:
    from playhub_wallet.swipe_launch import SwipeGameLauncher

FAILED = "failed"


class LaunchStore(Protocol):
    def player_blocked(self, player_id: str) -> bool: ...

    def ensure_wallet(self, key: WalletKey) -> None: ...

    def update_session(
        self, session_id: str, *, status: str | None = None, game_session_id: str | None = None
    ) -> None: ...


class GameLauncher:
    def __init__(
        self,
        wallet: WalletService,
        store: LaunchStore,
        core: CoreApiClient,
        catalogue: PlayhubCatalogue,
        extcid: str | None,
        *,
        swipe: SwipeGameLauncher | None = None,
    ) -> None:
        self._swipe = swipe  # None: this stack does not serve Swipe
        self._wallet = wallet
        self._store = store
        self._core = core
        self._catalogue = catalogue
        self._extcid = extcid

    def launch(self, request: LaunchRequest) -> LaunchResponse:
        if request.provider is Provider.SWIPE:
            if self._swipe is None:
                raise NotConfigured(
                    "this stack does not serve Swipe Games: set the stack parameters SwipeCoreUrl, SwipeClientId,"
                    " SwipeExternalClientId and the Swipe API key (SWIPE_CORE_URL, ...)"
                )
            return self._swipe.launch(request)
        # Before anything is written: a game, locale and currency Playhub's catalogue lists.
        self._catalogue.check_launch(request.game_id, request.currency, request.locale)
        if request.demo:
            answer = self._create_game(request, session_id=None)
            return LaunchResponse(session_id=None, game_url=answer.game_url, game_session_id=answer.game_session_id)
        if self._store.player_blocked(request.player_id):
            raise Forbidden(f"player {request.player_id} is blocked")
        self._store.ensure_wallet(WalletKey(request.player_id, request.currency))
        session = self._wallet.open_session(request.player_id, request.currency, request.game_id)
        try:
            answer = self._create_game(request, session_id=session.session_id)
        except Exception:
            # Whatever went wrong, a session Playhub may never have seen must not stay active.
            self._store.update_session(session.session_id, status=FAILED)
            raise
        self._store.update_session(session.session_id, game_session_id=answer.game_session_id)
        return LaunchResponse(
            session_id=session.session_id, game_url=answer.game_url, game_session_id=answer.game_session_id
        )

    def _create_game(self, request: LaunchRequest, session_id: str | None) -> CreateGameResponse:
        user = (
            None
            if request.demo
            else User(
                id=request.player_id,
                firstname=request.firstname,
                lastname=request.lastname,
                nickname=request.nickname,
                country=request.country,
            )
        )
        return call_playhub(
            lambda: self._core.create_game(
                CreateGameRequest(
                    gameid=request.game_id,
                    currency=request.currency,
                    locale=request.locale,
                    sessionid=session_id,
                    extcid=self._extcid,
                    returnurl=request.return_url,
                    demo=request.demo or None,
                    user=user,
                )
            )
        )
