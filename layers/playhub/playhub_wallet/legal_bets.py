"""The legal bets table we gave Playhub (PLAYHUB.md §6 "Legal bets").

Per currency, and optionally per game (None: every game), an ordered list of bet values, each
`<max_bet>:<max_target_multiplier>` in major units. A free-rounds campaign's `bet_line` is the
1-based index of one of them. We keep the table we handed Playhub so that a campaign is checked
against it before Playhub is called, and so that a campaign says what it gives away.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from playhub_wallet.errors import InvalidRequest
from playhub_wallet.money import check_places

MAX_LINES = 99  # bet_line is 1 to 99 in Playhub's schema
_VALUE = re.compile(r"^\s*(0|[1-9]\d{0,17})(\.\d{1,8})?\s*:\s*(0|[1-9]\d{0,17})(\.\d{1,8})?\s*$")

# Playhub's default for the adapter: game-wide, EUR (Playhub converts it to other currencies nightly).
PLAYHUB_DEFAULT_EUR = (
    "1.10:5.00, 1.20:5.00, 1.30:5.00, 1.40:5.00, 1.50:5.00, 1.60:5.00, 1.70:5.00, 1.80:5.00, 1.90:5.00, "
    "2.00:5.00, 2.20:5.00, 2.40:5.00, 2.60:5.00, 2.80:5.00, 3.00:5.00, 5.00:5.00, 10.00:5.00"
)


@dataclass(frozen=True)
class BetValue:
    max_bet: Decimal
    max_target_multiplier: Decimal

    def __str__(self) -> str:
        return f"{self.max_bet}:{self.max_target_multiplier}"

    @classmethod
    def parse(cls, text: str) -> BetValue:
        found = _VALUE.fullmatch(text)
        if not found:
            raise ValueError(f'"{text}" is not <max_bet>:<max_target_multiplier>, such as "1.10:5.00"')
        max_bet, multiplier = (Decimal(part.strip()) for part in text.split(":"))
        if max_bet <= 0 or multiplier <= 0:
            raise ValueError(f'"{text}": both values must be greater than zero')
        return cls(max_bet, multiplier)


@dataclass(frozen=True)
class LegalBets:
    currency: str
    game_id: str | None  # None: the game-wide table of the currency
    lines: tuple[BetValue, ...]
    updated_at: int = 0

    @property
    def scope(self) -> str:
        return f"game {self.game_id}" if self.game_id else "every game"

    def line(self, bet_line: int) -> BetValue | None:
        return self.lines[bet_line - 1] if 1 <= bet_line <= len(self.lines) else None

    def listed(self) -> str:
        """The valid lines, as a 400 names them: "1 = 1.10:5.00, 2 = 1.20:5.00, ..."."""
        return ", ".join(f"{number} = {value}" for number, value in enumerate(self.lines, start=1))


def parse_lines(lines: str | Sequence[str], places: int, currency: str) -> tuple[BetValue, ...]:
    """Bet values from Playhub's notation: one comma-separated string, or a list of values."""
    texts = [text.strip() for text in (lines.split(",") if isinstance(lines, str) else lines)]
    if not texts or texts == [""]:
        raise ValueError("at least one bet value is required")
    if len(texts) > MAX_LINES:
        raise ValueError(f"at most {MAX_LINES} bet values (bet_line is 1 to {MAX_LINES})")
    values = tuple(BetValue.parse(text) for text in texts)
    for number, value in enumerate(values, start=1):
        try:
            check_places(value.max_bet, places, currency)
        except ValueError as exc:
            raise ValueError(f"line {number} ({value}): max_bet: {exc}") from None
    return values


class LegalBetsStore(Protocol):
    def legal_bets(self, currency: str, game_id: str | None) -> LegalBets | None: ...

    def all_legal_bets(self) -> list[LegalBets]: ...

    def put_legal_bets(self, table: LegalBets) -> None: ...


class LegalBetsTables:
    """Show, replace, and find the table a campaign's bet_line indexes."""

    def __init__(self, store: LegalBetsStore) -> None:
        self._store = store

    def all(self) -> list[LegalBets]:
        return sorted(self._store.all_legal_bets(), key=lambda table: (table.currency, table.game_id or ""))

    def get(self, currency: str, game_id: str | None) -> LegalBets | None:
        return self._store.legal_bets(currency, game_id)

    def replace(self, table: LegalBets) -> LegalBets:
        self._store.put_legal_bets(table)
        return table

    def for_game(self, currency: str, game_id: str) -> LegalBets | None:
        """The game's own table if it has one, else the currency's game-wide table."""
        return self._store.legal_bets(currency, game_id) or self._store.legal_bets(currency, None)

    def bet_value(self, currency: str, game_id: str, bet_line: int) -> BetValue:
        """The value a campaign's bet_line stands for, or a 400 that lists the valid lines."""
        table = self.for_game(currency, game_id)
        if table is None:
            raise InvalidRequest(
                f"bet_line: there is no legal bets table for {currency} (game {game_id} or every game); "
                f"set one first (PUT /legal-bets/{currency})"
            )
        value = table.line(bet_line)
        if value is None:
            raise InvalidRequest(
                f"bet_line: {bet_line} is not a line of the legal bets table for {currency} ({table.scope}); "
                f"valid lines: {table.listed()}"
            )
        return value


def face_value(quantity: int, value: BetValue) -> Decimal:
    """What a campaign gives away at most in stakes: quantity x max_bet."""
    return quantity * value.max_bet


def default_tables() -> list[LegalBets]:
    """What a new stack starts from locally (`make run`): Playhub's default, EUR, every game."""
    return [LegalBets("EUR", None, parse_lines(PLAYHUB_DEFAULT_EUR, places=2, currency="EUR"))]


def texts(values: Iterable[BetValue]) -> list[str]:
    return [str(value) for value in values]
