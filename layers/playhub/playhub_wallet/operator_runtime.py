"""What the launch and operator containers build once (their composition root).

Kept apart from runtime.py so that the callbacks never import the Core API client, requests,
campaigns or launch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from playhub_wallet.accounts import Accounts
from playhub_wallet.campaigns import Campaigns
from playhub_wallet.core_api import CoreApiClient
from playhub_wallet.dynamodb.accounts import AccountTable
from playhub_wallet.dynamodb.callback_ledger import CallbackLedger
from playhub_wallet.dynamodb.campaigns import CampaignTable
from playhub_wallet.dynamodb.catalogue import CatalogueTable
from playhub_wallet.dynamodb.legal_bets import LegalBetsTable
from playhub_wallet.dynamodb.table import Table
from playhub_wallet.launch import GameLauncher
from playhub_wallet.legal_bets import LegalBetsTables
from playhub_wallet.money import CurrencyTable
from playhub_wallet.playhub_catalogue import PlayhubCatalogue
from playhub_wallet.rounds import Rounds
from playhub_wallet.runtime import build_wallet, table_from_environment
from playhub_wallet.settings import CoreApiSettings, Settings, SwipeCoreApiSettings, swipe_from_environment
from playhub_wallet.wallet import WalletService

if TYPE_CHECKING:
    from playhub_wallet.swipe_campaigns import SwipeCampaigns
    from playhub_wallet.swipe_catalogue import SwipeCatalogue
    from playhub_wallet.swipe_launch import SwipeGameLauncher


@dataclass(frozen=True)
class SwipeParts:
    """Swipe Games' side, where the stack serves it."""

    catalogue: SwipeCatalogue
    launcher: SwipeGameLauncher
    campaigns: SwipeCampaigns


@dataclass(frozen=True)
class OperatorRuntime:
    """What the launch, operator and catalogue functions need."""

    settings: Settings
    accounts: Accounts
    wallet: WalletService
    currencies: CurrencyTable
    core: CoreApiClient
    catalogue: PlayhubCatalogue
    launcher: GameLauncher
    campaigns: Campaigns
    legal_bets: LegalBetsTables
    rounds: Rounds
    swipe: SwipeParts | None = None  # None: this stack serves Playhub only (no SWIPE_CORE_URL)

    def deadline(self) -> float:
        return time.monotonic() + self.settings.time_budget_ms / 1000


def build_operator_runtime(
    settings: Settings,
    core_settings: CoreApiSettings,
    table: Table,
    swipe_settings: SwipeCoreApiSettings | None = None,
) -> OperatorRuntime:
    api_keys = core_settings.api_key_source()

    def client(read_timeout: float) -> CoreApiClient:
        return CoreApiClient(
            core_settings.playhub_core_url,
            core_settings.playhub_cid,
            lambda: api_keys.current()[0],
            read_timeout=read_timeout,
        )

    core = client(core_settings.core_api_read_timeout_seconds)
    catalogue = PlayhubCatalogue(CatalogueTable(table), core, client(core_settings.games_read_timeout_seconds))
    # One cache of Playhub's currencies per container, the catalogue's: a code it just learned
    # from Playhub (a launch's) is known at once to the transfers and the formatting.
    currencies = CurrencyTable(
        settings.currency_decimal_places, source=catalogue.currency_places, max_age_seconds=0, unknown_retry_seconds=0
    )
    wallet = build_wallet(settings, CallbackLedger(table), currencies)
    accounts = AccountTable(table)
    account_service = Accounts(accounts)
    legal_bets = LegalBetsTables(LegalBetsTable(table))
    swipe = build_swipe(swipe_settings, wallet, accounts, currencies, table) if swipe_settings else None
    return OperatorRuntime(
        settings=settings,
        accounts=account_service,
        wallet=wallet,
        currencies=currencies,
        core=core,
        catalogue=catalogue,
        launcher=GameLauncher(
            wallet, accounts, core, catalogue, core_settings.playhub_extcid, swipe=swipe.launcher if swipe else None
        ),
        # Our own casino id, or nothing: never our Playhub cid in its place (PLAYHUB.md §1).
        campaigns=Campaigns(
            CampaignTable(table),
            core,
            legal_bets,
            core_settings.playhub_extcid,
            swipe=swipe.campaigns if swipe else None,
        ),
        legal_bets=legal_bets,
        rounds=Rounds(account_service, core),
        swipe=swipe,
    )


def build_swipe(
    swipe_settings: SwipeCoreApiSettings,
    wallet: WalletService,
    accounts: AccountTable,
    currencies: CurrencyTable,
    table: Table,
) -> SwipeParts:
    """Swipe's client, cached game list, launcher and campaigns; imported only where Swipe is served."""
    from playhub_wallet.dynamodb.swipe_catalogue import SwipeGamesTable  # noqa: PLC0415
    from playhub_wallet.swipe_campaigns import SwipeCampaigns  # noqa: PLC0415
    from playhub_wallet.swipe_catalogue import SwipeCatalogue  # noqa: PLC0415
    from playhub_wallet.swipe_core_api import SwipeCoreApiClient  # noqa: PLC0415
    from playhub_wallet.swipe_launch import SwipeGameLauncher  # noqa: PLC0415

    api_keys = swipe_settings.api_key_source()
    core = SwipeCoreApiClient(
        swipe_settings.swipe_core_url,
        swipe_settings.swipe_cid,
        swipe_settings.swipe_extcid,  # required: never the cID in its place (SWIPE.md §2)
        lambda: api_keys.current()[0],
        read_timeout=swipe_settings.core_api_read_timeout_seconds,
        games_read_timeout=swipe_settings.swipe_games_read_timeout_seconds,
    )
    catalogue = SwipeCatalogue(SwipeGamesTable(table), core)
    return SwipeParts(
        catalogue=catalogue,
        launcher=SwipeGameLauncher(wallet, accounts, core, catalogue, currencies),
        campaigns=SwipeCampaigns(CampaignTable(table), core, catalogue),
    )


@cache
def operator_runtime() -> OperatorRuntime:
    settings = Settings.from_environment()
    return build_operator_runtime(
        settings, CoreApiSettings.from_environment(), table_from_environment(settings), swipe_from_environment()
    )
