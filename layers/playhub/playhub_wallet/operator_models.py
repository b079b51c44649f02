"""Pydantic models of the operator's API: what each route takes and what it answers.

They are the API's contract: the resolver validates requests against them and the OpenAPI
document (docs/operator-openapi.json) is generated from them. Money is a decimal string
everywhere, in the currency's decimal places; times are ISO 8601 UTC.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from playhub_wallet.core_api import FreeRounds, RoundHistory
from playhub_wallet.money import AMOUNT_PATTERN, CURRENCY_PATTERN, parse_amount_text
from playhub_wallet.sessions import GAME_ID_PATTERN, PLAYER_ID_PATTERN
from playhub_wallet.state import Provider

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
Locale = Annotated[
    str,
    AfterValidator(_locale),
    WithJsonSchema({"type": "string", "examples": ["en", "en_us"], "description": "en-US is read as en_us."}),
]
Amount = Annotated[
    Decimal,
    BeforeValidator(_amount),
    WithJsonSchema({"type": "string", "pattern": AMOUNT_PATTERN.pattern, "examples": ["10.50"]}),
]
REFERENCE_PATTERN = r"^[A-Za-z0-9_.:@+-]{1,128}$"  # a transfer's reference, a campaign's external_id
Reference = Annotated[str, StringConstraints(pattern=REFERENCE_PATTERN)]


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


ProviderField = Annotated[
    Provider,
    Field(description="Whose game: playhub (the default) or swipe (Swipe Games, where this stack serves it)."),
]


class LaunchRequest(_Request):
    provider: ProviderField = Provider.PLAYHUB
    player_id: PlayerId
    game_id: GameId
    currency: Currency
    locale: Locale
    platform: Literal["desktop", "mobile"] | None = Field(
        default=None, description="The player's device. Required by swipe, which lays the game out for it."
    )
    return_url: Annotated[str, StringConstraints(pattern=r"^https?://", max_length=2048)] | None = None
    demo: bool = False
    firstname: str | None = Field(default=None, max_length=100)
    lastname: str | None = Field(default=None, max_length=100)
    nickname: str | None = Field(default=None, max_length=100)
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] | None = None


class LaunchResponse(BaseModel):
    session_id: str | None = Field(description="Our session for Playhub's callbacks; null for a demo game.")
    game_url: str = Field(description="Where to send the player: Playhub's game.")
    game_session_id: str


class TransferRequest(_Request):
    amount: Amount = Field(description='A decimal string greater than zero, such as "10.50".')
    reference: Reference = Field(
        description="Your id for this transfer, and its idempotency key: sent again with the same amount, "
        "the transfer is not repeated and the answer says replayed. A reference is unique across all "
        "players and wallets, as a bank transfer's is: used for another transfer (another amount, "
        "wallet or player) it is a 409."
    )


class BlockRequest(_Request):
    blocked: bool


class CampaignRequest(_Request):
    provider: ProviderField = Provider.PLAYHUB
    external_id: Reference = Field(
        description="Your id of the campaign, used once. At swipe it is the campaign's extID and the frID of its"
        " callbacks."
    )
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


# What the routes answer -------------------------------------------------------------------

Money = Annotated[str, Field(description='A decimal string in the currency\'s decimal places, such as "10.50".')]
IsoTime = Annotated[str, Field(description="ISO 8601, UTC, such as 2026-11-26T06:30:00Z.")]


class ErrorBody(BaseModel):
    """Every refusal: a short message, and what exactly was wrong."""

    message: str
    details: str


class Wallet(BaseModel):
    currency: str
    balance: Money
    blocked: bool


class Wallets(BaseModel):
    player_id: str
    wallets: list[Wallet]


class TransferDone(BaseModel):
    balance: Money = Field(description="The wallet's balance after the transfer.")
    tx_id: str = Field(description="Our id of the ledger entry.")
    replayed: bool = Field(description="True: this reference was already applied; nothing moved now.")


class Entry(BaseModel):
    """One ledger entry: a provider's callback or a transfer of yours, and what it did."""

    tx_id: str
    seq: int = Field(description="The entry's number in its wallet, from 1.")
    action: str = Field(description="balance, bet, win, refund, deposit or withdrawal.")
    provider: str = Field(
        description="Whose callback it was: playhub or swipe (a transfer of yours is listed as playhub)."
    )
    playhub_tx_id: str = Field(
        description="The provider's transaction id (Playhub's tx_id, Swipe's txID), or the transfer's reference."
    )
    outcome: str
    amount: Money | None
    balance_change: Money | None
    balance_after: Money | None
    created_at: IsoTime
    session_id: str | None
    round_id: str | None
    game_id: str | None
    type: str | None
    frc_id: str | None
    orig_tx_id: str | None
    refunded_by: str | None


class HistoryPage(BaseModel):
    transactions: list[Entry] = Field(description="Newest first.")
    next_cursor: str | None = Field(description="Pass as ?cursor= for the next page; null on the last page.")


class LedgerSearch(BaseModel):
    currencies: list[str]
    entries_scanned: int
    complete: bool = Field(description="False: some wallet had more entries than were searched.")


class RoundDetails(BaseModel):
    player_id: str
    game_id: str
    round_id: str
    playhub: RoundHistory | None = Field(description="Playhub's record of the round; null if it has none.")
    playhub_note: str | None
    ledger: list[Entry] = Field(description="Our entries for the round, newest first.")
    ledger_search: LedgerSearch


class Blocked(BaseModel):
    player_id: str
    blocked: bool
    wallets: list[str] = Field(description="The currencies of the wallets changed.")


class GameView(BaseModel):
    id: str
    title: str
    locales: str = Field(description="Comma-delimited, as Playhub lists them.")
    thumbnail: str
    free_spins: bool


class CurrencyView(BaseModel):
    code: str
    name: str
    symbol: str
    decimal_places: int = Field(description="As Playhub lists them.")
    is_crypto: bool
    is_virtual: bool
    decimal_places_used: int = Field(description="What this stack uses (CURRENCY_DECIMAL_PLACES may override).")


class Loaded(BaseModel):
    count: int
    fetched_at: IsoTime


class CatalogueState(BaseModel):
    currencies: Loaded
    games: Loaded | None
    overrides: dict[str, int] = Field(description="CURRENCY_DECIMAL_PLACES: decimal places set by this deployment.")


class HealthCheck(BaseModel):
    name: str = Field(examples=["ledger table", "catalogue", "callback key", "API key"])
    ok: bool
    detail: str = Field(description="Why it holds or not; of a key, only how many are readable.")


class Health(BaseModel):
    status: Literal["ok", "failing"]
    checks: list[HealthCheck]


class BetLine(BaseModel):
    bet_line: int
    max_bet: str
    max_target_multiplier: str


class LegalBetsView(BaseModel):
    currency: str
    game_id: str | None = Field(description="null: the table of every game without one of its own.")
    table: str = Field(description="Playhub's notation, as handed to Playhub.")
    lines: list[BetLine]
    updated_at: IsoTime


class LegalBetsList(BaseModel):
    tables: list[LegalBetsView]


class BetValue(BaseModel):
    max_bet: Money | None
    max_target_multiplier: str


class CampaignView(BaseModel):
    """Our record of a free-rounds campaign, with what it gives away."""

    external_id: str
    provider: str = Field(description="playhub or swipe.")
    playhub_id: str | None = Field(
        description="The provider's id of the campaign: Playhub's is the frc_id of its callbacks (Swipe's name"
        " the campaign by external_id); null when Swipe's answer with its id never reached us."
    )
    game_id: str
    currency: str
    quantity: int
    bet_line: int
    valid_from: IsoTime
    valid_until: IsoTime | None
    user_ids: list[str] | None
    status: str = Field(
        description='"active" or "cancelled"; a swipe campaign is "pending" while Swipe has not confirmed it'
        " (send the same request again)."
    )
    created_at: IsoTime
    bet_value: BetValue | None = Field(
        description="What bet_line stood for at creation: in our legal bets table (playhub), in Swipe's game list"
        " (swipe, max_target_multiplier being Swipe's maxCoeff)."
    )
    face_value: Money | None = Field(description="quantity x max_bet.")
    exposure: str | None = Field(
        description="The most the campaign can pay out, quantity x max_bet x max_target_multiplier, as recorded"
        " at creation (swipe campaigns)."
    )


class Difference(BaseModel):
    field: str
    ours: Any
    playhub: Any


class LiveCampaign(CampaignView):
    playhub: FreeRounds = Field(description="Playhub's state of the campaign now.")
    differences: list[Difference]
