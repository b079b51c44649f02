"""Pydantic models of Playhub's four callbacks and of our answers (Playhub OpenAPI v1.2).

Every request field is a JSON string; money is parsed into Decimal, never float.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints

from playhub_wallet.money import parse_amount_text


class Action(StrEnum):
    BALANCE = "balance"
    BET = "bet"
    WIN = "win"
    REFUND = "refund"
    # Not Playhub callbacks: the operator's own transfers in and out of a wallet.
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"


def _require_string(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a JSON string")
    return value


def _canonical_uuid(value: object) -> str:
    try:
        return str(uuid.UUID(_require_string(value)))
    except ValueError:
        raise ValueError("must be a UUID string") from None


def _amount(value: object) -> Decimal:
    return parse_amount_text(_require_string(value))


# Playhub's ids are UUIDs; the canonical lowercase form is the idempotency key.
PlayhubId = Annotated[str, BeforeValidator(_canonical_uuid)]
Amount = Annotated[Decimal, BeforeValidator(_amount)]
SessionId = Annotated[str, StringConstraints(min_length=1, max_length=256)]


class CallbackRequest(BaseModel):
    # defer_build: a function builds the validators of the models it uses, not of all four.
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore", defer_build=True)

    action: Action
    session_id: SessionId


class BalanceRequest(CallbackRequest):
    action: Literal[Action.BALANCE]


class RoundCallbackRequest(CallbackRequest):
    """What a bet and a win share: money in one round, maybe of a free-rounds campaign."""

    amount: Amount
    tx_id: PlayhubId
    round_id: PlayhubId
    frc_id: PlayhubId | None = None


class BetRequest(RoundCallbackRequest):
    action: Literal[Action.BET]
    type: Literal["bet", "free"]


class WinRequest(RoundCallbackRequest):
    action: Literal[Action.WIN]
    type: Literal["win", "free"]


class RefundRequest(CallbackRequest):
    action: Literal[Action.REFUND]
    tx_id: PlayhubId
    orig_tx_id: PlayhubId


class StatedRefundRequest(RefundRequest):
    """A refund that states what it refunds: Swipe's /refund (SWIPE.md §5.4), never Playhub's.

    `amount` is the whole stake as the provider believes it; `round_id` the bet's round, when
    given. The rules give back the stake they recorded and count a disagreement as an anomaly
    (rules.refund_outcome); both fields are part of the refund's fingerprint.
    """

    amount: Amount
    round_id: PlayhubId | None = None


MoneyRequest = BetRequest | WinRequest | RefundRequest

REQUEST_MODELS: dict[Action, type[CallbackRequest]] = {
    Action.BALANCE: BalanceRequest,
    Action.BET: BetRequest,
    Action.WIN: WinRequest,
    Action.REFUND: RefundRequest,
}


class BalanceResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    balance: str


class TransactionResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    balance: str
    tx_id: str


class ErrorResponse(BaseModel):
    model_config = ConfigDict(defer_build=True)

    message: str
    details: str
