"""Swipe's callback error body and the mapping of our outcomes onto it (SWIPE.md §6.1, §6.3, §12).

The wallet and the rules raise PlayhubError (errors.py) whichever dialect plays; this module says
what each one looks like to Swipe. Unlike Playhub, which reads client actions from substrings of
`message`, Swipe reads `code` (which "has priority over message") and `action` (`refresh` only):

| our outcome | status | Swipe body |
| --- | --- | --- |
| BadRequest (any callback, /balance included) | 400 | message, details |
| InvalidSignature | 401 | message, details |
| SessionNotFound, unknown session | 404 | code session_not_found, action refresh |
| SessionNotFound, expired or closed (bet, balance) | 404 | code session_expired, action refresh |
| InsufficientFunds | 400 | code insufficient_funds |
| PlayerBlocked | 400 | code account_blocked |
| PayloadMismatch, AlreadyRefunded | 400 | message, details |
| ServiceUnavailable, or any unexpected fault | 500 | message, details |

`message` is short English that Swipe may show to the player; `details` (always ours: which field,
which transaction) is for logs and never shown. A malformed GET /balance (no `sessionID`, an empty
one, several) answers 400, which Swipe does not document for /balance: the house rule of §12, since
a 404 would have the game ask the player to refresh for a request the game itself got wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from playhub_wallet.errors import (
    AlreadyRefunded,
    BadRequest,
    InsufficientFunds,
    InvalidSignature,
    PayloadMismatch,
    PlayerBlocked,
    PlayhubError,
    ServiceUnavailable,
    SessionNotFound,
)

# What rules._require_session says of a session that exists but takes no more bets. SessionNotFound
# carries both cases; only its details tell them apart (a test holds the rules to this text).
SESSION_EXPIRED_DETAILS = "session expired or closed"


class ErrorCode(StrEnum):
    """`ErrorResponseWithCodeAndAction.code`, the 11 of Swipe's enum (§6.1)."""

    GAME_NOT_FOUND = "game_not_found"
    CURRENCY_NOT_SUPPORTED = "currency_not_supported"
    LOCALE_NOT_SUPPORTED = "locale_not_supported"
    ACCOUNT_BLOCKED = "account_blocked"
    BET_LIMIT = "bet_limit"
    LOSS_LIMIT = "loss_limit"
    TIME_LIMIT = "time_limit"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    SESSION_EXPIRED = "session_expired"
    SESSION_NOT_FOUND = "session_not_found"
    CLIENT_CONNECTION_ERROR = "client_connection_error"


class ClientAction(StrEnum):
    """`ErrorResponseWithCodeAndAction.action`: the player gets a refresh button (§6.1)."""

    REFRESH = "refresh"


class SwipeErrorResponse(BaseModel):
    """`ErrorResponseWithCodeAndAction`: `message` required, the rest only when given."""

    model_config = ConfigDict(
        frozen=True, defer_build=True, validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    message: str = Field(min_length=1)
    details: str | None = None
    code: ErrorCode | None = None
    action: ClientAction | None = None
    action_data: str | None = Field(default=None, alias="actionData")

    def body(self) -> dict[str, Any]:
        """The JSON object sent: only the fields given, as Swipe's SDK builders do."""
        return self.model_dump(mode="json", exclude_none=True)


@dataclass(frozen=True)
class SwipeError:
    status: int
    response: SwipeErrorResponse


@dataclass(frozen=True)
class _Shape:
    status: int
    message: str
    code: ErrorCode | None = None
    action: ClientAction | None = None


_INTERNAL = _Shape(500, "internal server error")
_SESSION_EXPIRED = _Shape(404, "session expired", ErrorCode.SESSION_EXPIRED, ClientAction.REFRESH)

# Keyed by exact class: every PlayhubError of errors.py is listed (a test holds it so).
SHAPES: dict[type[PlayhubError], _Shape] = {
    BadRequest: _Shape(400, "bad request"),
    InvalidSignature: _Shape(401, "invalid signature"),
    SessionNotFound: _Shape(404, "session not found", ErrorCode.SESSION_NOT_FOUND, ClientAction.REFRESH),
    InsufficientFunds: _Shape(400, "insufficient funds", ErrorCode.INSUFFICIENT_FUNDS),
    PlayerBlocked: _Shape(400, "account blocked", ErrorCode.ACCOUNT_BLOCKED),
    PayloadMismatch: _Shape(400, "transaction id already used with a different payload"),
    AlreadyRefunded: _Shape(400, "transaction already refunded"),
    ServiceUnavailable: _INTERNAL,
}


def swipe_error(error: PlayhubError) -> SwipeError:
    """What Swipe is answered for one of our refusals or faults."""
    shape = SHAPES.get(type(error))
    if shape is None:
        # An outcome added to errors.py and not mapped here keeps its own status: a 4xx turned into
        # a 500 would have Swipe refund a bet we refused for good, or retry a win forever.
        shape = _Shape(error.status, error.message)
    elif isinstance(error, SessionNotFound) and error.details == SESSION_EXPIRED_DETAILS:
        shape = _SESSION_EXPIRED
    return _error(shape, error.details)


def unexpected_error(details: str = "unexpected error") -> SwipeError:
    """A fault that is no PlayhubError: 500 (on /bet Swipe then refunds, §8; a win is retried)."""
    return _error(_INTERNAL, details)


def _error(shape: _Shape, details: str) -> SwipeError:
    response = SwipeErrorResponse(message=shape.message, details=details, code=shape.code, action=shape.action)
    return SwipeError(shape.status, response)
