"""Pydantic models of the operator's API: game launch, transfers, blocking, campaigns."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from playhub_wallet.money import CURRENCY_PATTERN, parse_amount_text
from playhub_wallet.sessions import GAME_ID_PATTERN, PLAYER_ID_PATTERN

_LOCALE = re.compile(r"^[a-z]{2,3}(_[a-z0-9]{2,4})?$")


def _locale(value: str) -> str:
    """Playhub wants locales lowercase with an underscore: "en-US" becomes "en_us"."""
    locale = value.strip().replace("-", "_").lower()
    if not _LOCALE.fullmatch(locale):
        raise ValueError("must be a locale such as en_us")
    return locale


def _amount(value: object) -> Decimal:
    if not isinstance(value, str):
        raise ValueError('must be a decimal string such as "10.50"')
    return parse_amount_text(value)


PlayerId = Annotated[str, StringConstraints(pattern=PLAYER_ID_PATTERN.pattern)]
GameId = Annotated[str, StringConstraints(pattern=GAME_ID_PATTERN.pattern)]
Currency = Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN.pattern)]
Locale = Annotated[str, AfterValidator(_locale)]
Amount = Annotated[Decimal, BeforeValidator(_amount)]
Reference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:@+-]{1,128}$")]


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LaunchRequest(_Request):
    player_id: PlayerId
    game_id: GameId
    currency: Currency
    locale: Locale
    platform: Literal["desktop", "mobile"] | None = None
    return_url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=2048)] | None = None
    demo: bool = False
    firstname: str | None = Field(default=None, max_length=100)
    lastname: str | None = Field(default=None, max_length=100)
    nickname: str | None = Field(default=None, max_length=100)
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None


class LaunchResponse(BaseModel):
    session_id: str | None  # None for a demo game: Playhub's money, no callbacks
    game_url: str
    game_session_id: str


class TransferRequest(_Request):
    amount: Amount
    reference: Reference  # the caller's idempotency key


class BlockRequest(_Request):
    blocked: bool


class CampaignRequest(_Request):
    external_id: Reference
    game_id: GameId
    currency: Currency
    quantity: int = Field(ge=1, le=99)
    bet_line: int = Field(ge=1, le=99)
    valid_from: AwareDatetime
    valid_until: AwareDatetime | None = None
    user_ids: list[PlayerId] | None = None


class LegalBetsRequest(_Request):
    """Playhub's notation: "1.10:5.00, 1.20:5.00, ..." or a list of "<max_bet>:<max_target_multiplier>"."""

    lines: str | list[str]


class CampaignChange(_Request):
    valid_until: AwareDatetime | None = None
    user_ids: list[PlayerId] | None = None
