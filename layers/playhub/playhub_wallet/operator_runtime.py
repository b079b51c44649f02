"""What the launch and operator containers build once (their composition root).

Kept apart from runtime.py so that the callbacks never import the Core API client, requests,
campaigns or launch.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache

from playhub_wallet.campaigns import Campaigns
from playhub_wallet.core_api import CoreApiClient
from playhub_wallet.launch import GameLauncher
from playhub_wallet.ledger import DynamoLedger
from playhub_wallet.money import CurrencyTable
from playhub_wallet.runtime import build_wallet, ledger_from_environment
from playhub_wallet.settings import CoreApiSettings, Settings
from playhub_wallet.wallet import WalletService


@dataclass(frozen=True)
class OperatorRuntime:
    """What the launch and operator functions need."""

    settings: Settings
    ledger: DynamoLedger
    wallet: WalletService
    currencies: CurrencyTable
    catalogue: CoreApiClient
    launcher: GameLauncher
    campaigns: Campaigns

    def deadline(self) -> float:
        return time.monotonic() + self.settings.time_budget_ms / 1000


def build_operator_runtime(settings: Settings, core_settings: CoreApiSettings, ledger: DynamoLedger) -> OperatorRuntime:
    currencies = CurrencyTable(settings.currency_decimal_places)
    wallet = build_wallet(settings, ledger, currencies)
    api_keys = core_settings.api_key_source()
    core = CoreApiClient(
        core_settings.playhub_core_url,
        core_settings.playhub_cid,
        lambda: api_keys.current()[0],
        read_timeout=core_settings.core_api_read_timeout_seconds,
    )
    external_cid = core_settings.playhub_extcid or core_settings.playhub_cid
    return OperatorRuntime(
        settings=settings,
        ledger=ledger,
        wallet=wallet,
        currencies=currencies,
        catalogue=core,
        launcher=GameLauncher(wallet, ledger, core, core_settings.playhub_extcid),
        campaigns=Campaigns(ledger, core, external_cid),
    )


@cache
def operator_runtime() -> OperatorRuntime:
    settings = Settings.from_environment()
    return build_operator_runtime(settings, CoreApiSettings.from_environment(), ledger_from_environment(settings))
