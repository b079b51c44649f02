"""Pydantic models of Swipe Games' four callbacks and of our answers (Integration Adapter API v1.7.5).

See SWIPE.md §5 and docs/swipe-contract.md. Every field on the wire is a camelCase JSON string;
money is parsed into Decimal by money.py's house pattern, never float. Ids are UUIDs in their
canonical lowercase form, except `frID`: our campaign's external_id, any string (§9).

The translations at the bottom turn a Swipe request into the wallet's own command (models.py),
so that the same rules (rules.py) move the same ledger whichever dialect plays:
- `type: regular` is Playhub's `bet` on /bet and `win` on /win; `type: free` stays `free`
  (rules.py moves no money for it, SWIPE.md §9 and §12).
- `frID` rides in `frc_id`: a `regular` win with it is the bonus withdrawal, which rules.py
  credits (FREE_ROUNDS_PAYOUT). Playhub's `frc_id` is typed as a UUID and `frID` is not, so it
  is set after validation; the next step makes `frc_id` a plain campaign reference.
- The refund's `amount` and `roundID`, which Playhub's refund lacks, make it a
  StatedRefundRequest: the rules compare them with the bet they recorded (rules.refund_outcome).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Annotated, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from playhub_wallet.errors import BadRequest, validation_details
from playhub_wallet.models import (
    Action,
    Amount,
    BalanceRequest,
    BalanceResponse,
    BetRequest,
    PlayhubId,
    SessionId,
    StatedRefundRequest,
    TransactionResponse,
    WinRequest,
)

# Swipe's `amount` and `balance` pattern (§5.5); money.py's AMOUNT_PATTERN is the same, with the
# integer part capped at 18 digits, and parses requests (Amount).
BALANCE_PATTERN = r"^(0|[1-9]\d*)(\.\d+)?$"

# txID, roundID, origTxID: "uuid" on the wire (txID "UUID v4"); any version is accepted, as for
# Playhub, since a refused win or refund is retried by Swipe until it succeeds (§8).
SwipeId = PlayhubId
# frID: our campaign's external_id (§9), not a UUID. Bounded like a session id.
FreeRoundsId = Annotated[str, StringConstraints(min_length=1, max_length=256)]
RoundType = Literal["regular", "free"]

SESSION_ID_PARAMETER = "sessionID"

M = TypeVar("M", bound=BaseModel)


class _SwipeRequest(BaseModel):
    # Wire names only (the aliases); no `action`: a callback is known by its path (§1).
    # defer_build: a function builds the validators of the models it uses, not of all four.
    model_config = ConfigDict(strict=True, frozen=True, extra="ignore", defer_build=True)

    session_id: SessionId = Field(alias="sessionID")


class SwipeBalanceQuery(_SwipeRequest):
    """GET /balance?sessionID=... (§5.1)."""


class SwipeRoundRequest(_SwipeRequest):
    """What a bet and a win share (§5.2, §5.3)."""

    type: RoundType
    amount: Amount
    tx_id: SwipeId = Field(alias="txID")
    round_id: SwipeId = Field(alias="roundID")
    fr_id: FreeRoundsId | None = Field(default=None, alias="frID")


class SwipeBetRequest(SwipeRoundRequest):
    """POST /bet. `frID` comes only with `type: free`, per Swipe; neither is required of the other."""


class SwipeWinRequest(SwipeRoundRequest):
    """POST /win. `amount` may be "0"; `frID` with `type: regular` is the bonus withdrawal (§9)."""


class SwipeRefundRequest(_SwipeRequest):
    """POST /refund (§5.4): no `type`; `amount` is the whole bet's; `roundID` optional (since 1.5.0)."""

    tx_id: SwipeId = Field(alias="txID")
    orig_tx_id: SwipeId = Field(alias="origTxID")
    amount: Amount
    round_id: SwipeId | None = Field(default=None, alias="roundID")


SwipeMoneyRequest = SwipeBetRequest | SwipeWinRequest | SwipeRefundRequest

SWIPE_REQUEST_MODELS: dict[Action, type[_SwipeRequest]] = {
    Action.BALANCE: SwipeBalanceQuery,
    Action.BET: SwipeBetRequest,
    Action.WIN: SwipeWinRequest,
    Action.REFUND: SwipeRefundRequest,
}


class _SwipeResponse(BaseModel):
    model_config = ConfigDict(
        frozen=True, defer_build=True, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    balance: Annotated[str, StringConstraints(pattern=BALANCE_PATTERN)]


class SwipeBalanceResponse(_SwipeResponse):
    """200 of GET /balance: `{"balance": "10.00"}`."""


class SwipeTransactionResponse(_SwipeResponse):
    """200 of /bet, /win, /refund: `{"balance": "10.00", "txID": <our transaction id>}`."""

    tx_id: str = Field(alias="txID")


# Parsing -------------------------------------------------------------------------------


def parse_balance_query(multi_value_query: Mapping[str, Sequence[str]] | None) -> SwipeBalanceQuery:
    """The query of GET /balance from API Gateway's multiValueQueryStringParameters.

    Called once the signature holds. No `sessionID`, an empty one or several are a 400 (the house
    rule of SWIPE.md §12: Swipe documents no 400 on /balance, but a 404 would have the game ask the
    player to refresh for a request the game itself got wrong). Other parameters are signed and
    otherwise ignored.
    """
    values = (multi_value_query or {}).get(SESSION_ID_PARAMETER) or []
    if len(values) > 1:
        raise BadRequest(f"{SESSION_ID_PARAMETER}: must be given once, not {len(values)} times")
    query = {SESSION_ID_PARAMETER: values[0]} if values else {}
    return _validate(SwipeBalanceQuery, query)


def parse_swipe_request(action: Action, parsed_body: object) -> _SwipeRequest:
    """A POST body (already JSON-parsed, once the signature holds) as the model of its route."""
    if action is Action.BALANCE:
        raise ValueError("GET /balance has a query, not a body: use parse_balance_query")
    if parsed_body is None:
        raise BadRequest("body is not valid JSON")
    if not isinstance(parsed_body, dict):
        raise BadRequest("body must be a JSON object")
    return _validate(SWIPE_REQUEST_MODELS[action], parsed_body)


def _validate(model: type[M], data: Mapping[str, object]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise BadRequest(validation_details(exc.errors())) from None


# Translation to the wallet's commands --------------------------------------------------


def to_balance_request(query: SwipeBalanceQuery) -> BalanceRequest:
    return BalanceRequest.model_validate({"action": Action.BALANCE.value, "session_id": query.session_id})


def to_bet_request(request: SwipeBetRequest) -> BetRequest:
    """`regular` is a bet that debits the stake, `free` one that moves nothing (rules.decide_bet)."""
    bet = BetRequest.model_validate(
        _round_fields(request, Action.BET, "bet" if request.type == "regular" else "free"),
    )
    return bet.model_copy(update={"frc_id": request.fr_id})


def to_win_request(request: SwipeWinRequest) -> WinRequest:
    """`free` credits nothing; `regular` with `frID` is the bonus withdrawal, credited as a
    free-rounds payout; `regular` alone is a win (rules.decide_win)."""
    win = WinRequest.model_validate(
        _round_fields(request, Action.WIN, "win" if request.type == "regular" else "free"),
    )
    return win.model_copy(update={"frc_id": request.fr_id})


def to_refund_request(request: SwipeRefundRequest) -> StatedRefundRequest:
    """A refund that states what it refunds: `amount` (the whole stake, as Swipe believes it) and,
    since 1.5.0, maybe `roundID`. The rules give back the stake we recorded and count a refund that
    disagrees with it as an anomaly, answered 200 (SWIPE.md §12); both are in its fingerprint."""
    return StatedRefundRequest.model_validate(
        {
            "action": Action.REFUND.value,
            "session_id": request.session_id,
            "tx_id": request.tx_id,
            "orig_tx_id": request.orig_tx_id,
            "amount": _amount_text(request.amount),
            **({"round_id": request.round_id} if request.round_id is not None else {}),
        }
    )


def _round_fields(request: SwipeRoundRequest, action: Action, type_: str) -> dict[str, object]:
    # frc_id is left out here: Playhub's model takes a UUID, and frID is our external_id.
    return {
        "action": action.value,
        "type": type_,
        "session_id": request.session_id,
        "amount": _amount_text(request.amount),
        "tx_id": request.tx_id,
        "round_id": request.round_id,
    }


def _amount_text(amount: Decimal) -> str:
    """The decimal text the amount was parsed from ("0.0000001", never str()'s "1E-7")."""
    return format(amount, "f")


# Our answers ---------------------------------------------------------------------------


def to_swipe_balance(response: BalanceResponse) -> SwipeBalanceResponse:
    return SwipeBalanceResponse(balance=response.balance)


def to_swipe_transaction(response: TransactionResponse) -> SwipeTransactionResponse:
    return SwipeTransactionResponse(balance=response.balance, tx_id=response.tx_id)
