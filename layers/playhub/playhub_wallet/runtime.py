"""What each container builds once: settings, the DynamoDB client, the services.

Built lazily on first use, so importing a handler is cheap and tests can swap the parts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache

from playhub_wallet.campaigns import Campaigns
from playhub_wallet.core_api import CoreApiClient
from playhub_wallet.launch import GameLauncher
from playhub_wallet.ledger import DynamoLedger, create_client
from playhub_wallet.money import CurrencyTable
from playhub_wallet.reconciliation import Reconciler
from playhub_wallet.secret_keys import KeySource
from playhub_wallet.settings import CoreApiSettings, Settings
from playhub_wallet.wallet import SessionPolicy, WalletService


@dataclass(frozen=True)
class Runtime:
    """What a callback function needs."""

    settings: Settings
    wallet: WalletService
    callback_keys: KeySource
    currencies: CurrencyTable


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


def build_wallet(settings: Settings, ledger: DynamoLedger, currencies: CurrencyTable) -> WalletService:
    sessions = SessionPolicy(settings.session_idle_seconds, settings.session_retention_days * 86400)
    return WalletService(ledger, currencies, sessions=sessions)


@cache
def runtime() -> Runtime:
    settings = Settings.from_environment()
    currencies = CurrencyTable(settings.currency_decimal_places)
    ledger = DynamoLedger(create_client(settings.dynamodb_endpoint), settings.table_name)
    return Runtime(settings, build_wallet(settings, ledger, currencies), settings.callback_key_source(), currencies)


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
    ledger = DynamoLedger(create_client(settings.dynamodb_endpoint), settings.table_name)
    return build_operator_runtime(settings, CoreApiSettings.from_environment(), ledger)


def reset() -> None:
    """Forget what was built; the next call reads the environment again (tests, local reloads)."""
    runtime.cache_clear()
    operator_runtime.cache_clear()
    reconciler.cache_clear()


@cache
def reconciler() -> Reconciler:
    settings = Settings.from_environment()
    return Reconciler(DynamoLedger(create_client(settings.dynamodb_endpoint), settings.table_name))
