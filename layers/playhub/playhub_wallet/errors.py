"""One exception per outcome that Playhub must see as an error, each with its status and message.

Messages are short English that may reach the player. "session not found" and
"unauthorized" make Playhub's client stop and ask the player to reload.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import ValidationError


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
        """Each field and what is wrong with it, never the rejected value itself."""
        return cls(
            "; ".join(
                f"{'.'.join(map(str, error['loc'])) or 'body'}: {error['msg'].removeprefix('Value error, ')}"
                for error in exc.errors()
            )
        )


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


class Forbidden(PlayhubError):
    status = 403
    message = "forbidden"


class NotFound(PlayhubError):
    status = 404
    message = "not found"


class PlayerNotFound(NotFound):
    message = "player not found"


class Conflict(PlayhubError):
    status = 409
    message = "conflict"


class CatalogueNotLoaded(PlayhubError):
    """A launch before the first catalogue refresh: we cannot tell a listed game from another."""

    status = 503
    message = "game catalogue not loaded"


class NotConfigured(PlayhubError):
    """The stack lacks a setting this request needs (a deployment to fix, not the caller's input)."""

    status = 503
    message = "not configured"


class UpstreamError(PlayhubError):
    """Playhub's Core API answered with an error."""

    status = 502
    message = "Playhub refused the request"


class UpstreamTimeout(PlayhubError):
    status = 504
    message = "Playhub did not answer in time"
