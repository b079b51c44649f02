"""What each container builds once: settings, the DynamoDB client, the wallet service.

Built lazily on first use, so importing a handler is cheap and tests can swap the parts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from playhub_wallet.ledger import DynamoLedger, create_client
from playhub_wallet.money import CurrencyTable
from playhub_wallet.secret_keys import KeySource
from playhub_wallet.settings import Settings
from playhub_wallet.wallet import SessionPolicy, WalletService


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    wallet: WalletService
    callback_keys: KeySource
    currencies: CurrencyTable


@cache
def runtime() -> Runtime:
    settings = Settings.from_environment()
    currencies = CurrencyTable(settings.currency_decimal_places)
    ledger = DynamoLedger(create_client(settings.dynamodb_endpoint), settings.table_name)
    wallet = WalletService(
        ledger,
        currencies,
        sessions=SessionPolicy(settings.session_idle_seconds, settings.session_retention_days * 86400),
    )
    return Runtime(settings, wallet, settings.callback_key_source(), currencies)


def reset() -> None:
    """Forget what was built; the next call reads the environment again (tests, local reloads)."""
    runtime.cache_clear()
