"""Money as Decimal in major units, with each currency's number of decimal places.

See docs/playhub-contract.md, "Money".
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from decimal import Context, Decimal, Inexact, Rounded

_log = logging.getLogger(__name__)

# The house rule: a plain decimal string, no sign, no exponent, no leading zeros.
AMOUNT_PATTERN = re.compile(r"^(0|[1-9]\d{0,17})(\.\d+)?$")
CURRENCY_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{2,9}$")
MAX_DECIMAL_PLACES = 8


# DynamoDB keeps 38 significant digits; money arithmetic never rounds silently.
MONEY_CONTEXT = Context(prec=38, traps=[Inexact, Rounded])


def add_money(balance: Decimal, change: Decimal) -> Decimal:
    """balance + change, exactly, or an error (decimal.Inexact) rather than a rounded cent."""
    return MONEY_CONTEXT.add(balance, change)


class UnknownCurrency(LookupError):
    """A currency neither Playhub's catalogue nor an override gives decimal places for."""


class CurrencyTable:
    """Decimal places per currency code: Playhub's (GET /currencies, as cached in our table and read
    through `source`), with the deployment's explicit overrides on top. Nothing is guessed: a code
    neither lists raises UnknownCurrency.

    The source is read once, again when older than max_age_seconds, and again when a code is
    missing (at most every unknown_retry_seconds, so a stream of unknown codes cannot hammer it).
    """

    def __init__(
        self,
        overrides: Mapping[str, int] | None = None,
        source: Callable[[], Mapping[str, int]] | None = None,
        *,
        max_age_seconds: float = 300.0,
        unknown_retry_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._overrides = dict(overrides or {})
        self._source = source
        self._max_age = max_age_seconds
        self._unknown_retry = unknown_retry_seconds
        self._clock = clock
        self._places: dict[str, int] = {}
        self._read_at: float | None = None

    def places(self, currency: str) -> int:
        if currency in self._overrides:
            return self._overrides[currency]
        if self._source is not None:
            age = None if self._read_at is None else self._clock() - self._read_at
            if age is None or age >= self._max_age or (currency not in self._places and age >= self._unknown_retry):
                self._read()
        if currency in self._places:
            return self._places[currency]
        raise UnknownCurrency(currency)

    def knows(self, currency: str) -> bool:
        try:
            self.places(currency)
        except UnknownCurrency:
            return False
        return True

    def _read(self) -> None:
        assert self._source is not None
        try:
            self._places = dict(self._source())
        except Exception:
            if self._read_at is None:
                raise  # nothing to go by: the caller's fault handling decides (a 500 for a callback)
            # A stale table beats none: decimal places of a listed currency do not change in minutes.
            _log.warning("currency table not read again; the previous one is kept", exc_info=True)
        self._read_at = self._clock()


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


def exact_text(amount: Decimal) -> str:
    """The amount's value in plain digits, every one kept, without trailing fractional zeros."""
    text = format(amount, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def fits_places(amount: Decimal, places: int) -> bool:
    """True when the amount's value needs no more decimal places than the currency has ("10.500"
    fits 2; check_places, stricter, refuses it as written).

    Worked out from the digits, not with normalize(), which rounds to the context's 28 digits.
    """
    return len(exact_text(amount).partition(".")[2]) <= places


def format_amount(amount: Decimal, places: int) -> str:
    """Render a balance with exactly the currency's decimal places ("100.10")."""
    return format(amount.quantize(Decimal(1).scaleb(-places)), "f")
