"""Swipe's Core API failures as the operator API's errors (as core_api.call_playhub does for Playhub)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from playhub_wallet.core_api import CoreApiError, CoreApiTimeout
from playhub_wallet.errors import (
    Conflict,
    NotFound,
    ServiceUnavailable,
    SwipeUpstreamError,
    SwipeUpstreamTimeout,
    TryAgain,
)

T = TypeVar("T")


def call_swipe(call: Callable[[], T]) -> T:
    """Swipe's 409 and 404 as ours, its other refusals a 502, no answer a 504, our Swipe API key
    unreadable (Secrets Manager down or denied) a 503. Swipe's code (game_not_found, ...) is named."""
    try:
        return call()
    except ServiceUnavailable as exc:  # the key source speaks in the callbacks' terms: answer in ours
        raise TryAgain(exc.details) from exc
    except CoreApiTimeout as exc:
        raise SwipeUpstreamTimeout(exc.details) from exc
    except CoreApiError as exc:
        code = getattr(exc, "code", None)
        said = f"{exc.message} ({code})" if code else exc.message
        if exc.status == 409:
            raise Conflict(f"Swipe: {said}") from exc
        if exc.status == 404:
            raise NotFound(f"Swipe: {said}") from exc
        raise SwipeUpstreamError(f"Swipe answered {exc.status or 'nothing'}: {said}") from exc
