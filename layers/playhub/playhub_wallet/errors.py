"""The errors each side answers with: one exception per outcome, each with its status and message.

Two families that share nothing, as the two APIs share nothing:
- PlayhubError: what Playhub must see as an error on a callback. Its messages are short English
  that may reach the player; "session not found" and "unauthorized" make Playhub's client stop
  and ask the player to reload. The wallet and the ledger rules raise these for transfers too;
  the operator API turns them into its own (operator_api._transfer).
- OperatorError: what the casino's backend sees from the operator and launch routes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import ValidationError


def validation_details(errors: Iterable[Mapping[str, Any]], skip: Sequence[str] = ()) -> str:
    """Each field and what is wrong with it, never the rejected value itself. `skip`: location
    prefixes that name where a field came from ("body", "path", "query") rather than the field."""
    parts = []
    for error in errors:
        loc = [str(part) for part in error["loc"]]
        where = loc[1:] if loc and loc[0] in skip and len(loc) > 1 else loc
        if error["type"] == "json_invalid":
            where, message = ["body"], "is not valid JSON"
        elif error["type"].startswith("uuid_"):  # pydantic's text quotes the offending character
            message = "must be a UUID"
        else:
            message = str(error["msg"]).removeprefix("Value error, ")
        parts.append(f"{'.'.join(where) or 'body'}: {message}")
    return "; ".join(parts)


class PlayhubError(Exception):
    status: ClassVar[int] = 500
    message: ClassVar[str] = "internal server error"

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


class BadRequest(PlayhubError):
    status = 400
    message = "bad request"

    @classmethod
    def from_validation(cls, exc: ValidationError) -> BadRequest:
        return cls(validation_details(exc.errors()))


class InvalidSignature(PlayhubError):
    status = 401
    message = "invalid signature"


class SessionNotFound(PlayhubError):
    status = 404
    message = "session not found"


class InsufficientFunds(PlayhubError):
    status = 400
    message = "insufficient funds"


class PayloadMismatch(PlayhubError):
    status = 400
    message = "transaction id already used with a different payload"


class AlreadyRefunded(PlayhubError):
    status = 400
    message = "transaction already refunded"


class PlayerBlocked(PlayhubError):
    status = 400
    message = "unauthorized"


class ServiceUnavailable(PlayhubError):
    """A transient fault (throttling, conflicts past the time budget, a secret not readable).

    For a bet, a 500 makes Playhub send a refund, which the ledger handles whether or not
    the bet landed.
    """

    status = 500
    message = "internal server error"


# The operator's API (the casino backend, not Playhub) ------------------------------------


class OperatorError(Exception):
    status: ClassVar[int] = 500
    message: ClassVar[str] = "internal server error"

    def __init__(self, details: str) -> None:
        super().__init__(details)
        self.details = details


class InvalidRequest(OperatorError):
    status = 400
    message = "bad request"


class InsufficientBalance(OperatorError):
    """A withdrawal larger than the balance."""

    status = 400
    message = "insufficient funds"


class Forbidden(OperatorError):
    status = 403
    message = "forbidden"


class NotFound(OperatorError):
    status = 404
    message = "not found"


class PlayerNotFound(NotFound):
    message = "player not found"


class Conflict(OperatorError):
    status = 409
    message = "conflict"


class TryAgain(OperatorError):
    """A transient fault (storage busy past the time budget): the same request, sent again, is safe."""

    status = 503
    message = "service unavailable"


class CatalogueNotLoaded(OperatorError):
    """A launch before the first catalogue refresh: we cannot tell a listed game from another."""

    status = 503
    message = "game catalogue not loaded"


class NotConfigured(OperatorError):
    """The stack lacks a setting this request needs (a deployment to fix, not the caller's input)."""

    status = 503
    message = "not configured"


class UpstreamError(OperatorError):
    """Playhub's Core API answered with an error."""

    status = 502
    message = "Playhub refused the request"


class UpstreamTimeout(OperatorError):
    status = 504
    message = "Playhub did not answer in time"


class UnsupportedByProvider(OperatorError):
    """An operation the resource's provider has no call for (Swipe cannot read or change a
    campaign): the same request on a Playhub campaign works, so it is the resource's state, a 409."""

    status = 409
    message = "not supported by the provider"


class SwipeUpstreamError(UpstreamError):
    """Swipe's Core API answered with an error, or could not be reached."""

    message = "Swipe refused the request"


class SwipeUpstreamTimeout(UpstreamTimeout):
    message = "Swipe did not answer in time"
