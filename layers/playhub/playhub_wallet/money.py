"""Money as Decimal in major units, with each currency's number of decimal places.

See docs/playhub-contract.md, "Money".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Context, Decimal, Inexact, Rounded

# The house rule: a plain decimal string, no sign, no exponent, no leading zeros.
AMOUNT_PATTERN = re.compile(r"^(0|[1-9]\d{0,17})(\.\d+)?$")
CURRENCY_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{2,9}$")
FIAT_DECIMAL_PLACES = 2
MAX_DECIMAL_PLACES = 8

# Currencies whose places differ from the fiat default: ISO 4217 exponents and common crypto.
# Deployments extend or override this through the CURRENCY_DECIMAL_PLACES setting.
KNOWN_DECIMAL_PLACES: Mapping[str, int] = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
    "BTC": 8,
    "BCH": 8,
    "DOGE": 8,
    "ETH": 8,
    "LTC": 8,
    "USDC": 8,
    "USDT": 8,
    "TRX": 8,
}


# DynamoDB keeps 38 significant digits; money arithmetic never rounds silently.
MONEY_CONTEXT = Context(prec=38, traps=[Inexact, Rounded])


def add_money(balance: Decimal, change: Decimal) -> Decimal:
    """balance + change, exactly, or an error (decimal.Inexact) rather than a rounded cent."""
    return MONEY_CONTEXT.add(balance, change)


class CurrencyTable:
    """Decimal places per currency code."""

    def __init__(self, overrides: Mapping[str, int] | None = None) -> None:
        self._places = {**KNOWN_DECIMAL_PLACES, **(overrides or {})}

    def places(self, currency: str) -> int:
        return self._places.get(currency, FIAT_DECIMAL_PLACES)


def parse_amount_text(text: str) -> Decimal:
    """Parse Playhub's amount string; raises ValueError for anything but a plain decimal."""
    if not AMOUNT_PATTERN.fullmatch(text):
        raise ValueError('must be a decimal string such as "10.50" (no sign, exponent or spaces)')
    return Decimal(text)


def check_places(amount: Decimal, places: int, currency: str) -> None:
    """Reject an amount with more fractional digits than its currency has."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValueError(f"{currency} amounts have at most {places} decimal places")


def format_amount(amount: Decimal, places: int) -> str:
    """Render a balance with exactly the currency's decimal places ("100.10")."""
    return format(amount.quantize(Decimal(1).scaleb(-places)), "f")
