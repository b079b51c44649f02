"""What a callback container builds once: settings, the DynamoDB client, the wallet service.

Built lazily on first use, so importing a handler is cheap and tests can swap the parts. This is
the callbacks' composition root: it imports nothing of the Core API, campaigns, launch or
reconciliation (operator_runtime.py is theirs), so none of that is a callback's cold start.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from playhub_wallet.dynamodb.callback_ledger import CallbackLedger
from playhub_wallet.dynamodb.catalogue import CatalogueTable
from playhub_wallet.dynamodb.table import Table, create_client
from playhub_wallet.money import CurrencyTable
from playhub_wallet.secret_keys import KeySource
from playhub_wallet.settings import Settings
from playhub_wallet.state import LedgerPort
from playhub_wallet.wallet import SessionPolicy, WalletService


@dataclass(frozen=True)
class Runtime:
    """What a callback function needs."""

    settings: Settings
    wallet: WalletService
    callback_keys: KeySource
    currencies: CurrencyTable


def build_wallet(settings: Settings, ledger: LedgerPort, currencies: CurrencyTable) -> WalletService:
    sessions = SessionPolicy(settings.session_idle_seconds, settings.session_retention_days * 86400)
    return WalletService(ledger, currencies, sessions=sessions)


def table_from_environment(settings: Settings) -> Table:
    return Table(create_client(settings.dynamodb_endpoint), settings.table_name)


@cache
def runtime() -> Runtime:
    settings = Settings.from_environment()
    table = table_from_environment(settings)
    # Playhub's decimal places, as the catalogue refresh cached them in the table; overrides on top.
    # A code missing from it is read again at most once a second: a launch may just have added it.
    currencies = CurrencyTable(
        settings.currency_decimal_places, source=CatalogueTable(table).currency_places, unknown_retry_seconds=1.0
    )
    ledger = CallbackLedger(table)
    return Runtime(settings, build_wallet(settings, ledger, currencies), settings.callback_key_source(), currencies)


@cache
def swipe_runtime() -> Runtime:
    """The same wallet and ledger, with Swipe's Integration API key(s) to check its callbacks."""
    parts = runtime()
    return replace(parts, callback_keys=parts.settings.swipe_callback_key_source())
