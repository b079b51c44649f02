"""Game launch: our session first, then the provider's game session for it (start_game, for
Playhub here and for Swipe Games in swipe_launch.py).

A session whose launch the provider refused or did not answer is marked failed, never left active.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class GameStarted:
    """What a provider answers to a launch: where the player goes, and its own game session's id."""

    game_url: str
    game_session_id: str


def start_game(
    wallet: WalletService,
    store: LaunchStore,
    request: LaunchRequest,
    provider: Provider,
    game: Callable[[str | None], GameStarted],
) -> LaunchResponse:
    """A launch once the provider's own checks passed, the same for every provider.

    A demo game has no session of ours. Otherwise, for a player not blocked: the wallet, our session
    of that provider, then the provider's game for it (`game`). Whatever went wrong with the game,
    a session the provider may never have seen is marked failed, never left active.
    """
    if request.demo:
        started = game(None)
        return LaunchResponse(session_id=None, game_url=started.game_url, game_session_id=started.game_session_id)
    if store.player_blocked(request.player_id):
        raise Forbidden(f"player {request.player_id} is blocked")
    store.ensure_wallet(WalletKey(request.player_id, request.currency))
    session = wallet.open_session(request.player_id, request.currency, request.game_id, provider)
    try:
        started = game(session.session_id)
    except Exception:
        store.update_session(session.session_id, status=FAILED)
        raise
    store.update_session(session.session_id, game_session_id=started.game_session_id)
    return LaunchResponse(
        session_id=session.session_id, game_url=started.game_url, game_session_id=started.game_session_id
    )


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

        def game(session_id: str | None) -> GameStarted:
            answer = self._create_game(request, session_id)
            return GameStarted(answer.game_url, answer.game_session_id)

        return start_game(self._wallet, self._store, request, Provider.PLAYHUB, game)

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
