"""Swipe Games' callbacks in, Swipe's answers out (SWIPE.md §3, §5, §6; docs/swipe-contract.md).

The same order as Playhub's (http.py): the signature is checked before anything is parsed or read
from the store, then the request is translated into the wallet's own command (swipe_models.py),
and the wallet moves the money with the same rules and ledger as for Playhub, in Swipe's key space
(state.Provider): one player's wallet moves the same whichever dialect plays.

- GET /balance is signed over the canonical JSON of its query, first value of each name
  (swipe_signing.balance_query reads multiValueQueryStringParameters); it has no body.
- POST /bet, /win, /refund are signed over the raw bytes of the body, which Swipe sends canonical.
- Every answer is Swipe's: `{"balance", "txID"}` in camelCase, and errors with `message` always,
  `code` and `action: refresh` where they apply (swipe_errors.py).
"""

from __future__ import annotations

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from playhub_wallet import swipe_signing
from playhub_wallet.errors import InvalidSignature, PayloadMismatch, PlayhubError
from playhub_wallet.http import budget_seconds, count_applied, header, json_response, raw_body
from playhub_wallet.models import Action, BalanceResponse, BetRequest, RefundRequest, TransactionResponse, WinRequest
from playhub_wallet.observability import logger, record_refusal, record_reused_transaction_id
from playhub_wallet.runtime import Runtime, swipe_runtime
from playhub_wallet.state import Provider
from playhub_wallet.swipe_errors import SwipeError, swipe_error, unexpected_error
from playhub_wallet.swipe_models import (
    SwipeBetRequest,
    SwipeRefundRequest,
    SwipeWinRequest,
    parse_balance_query,
    parse_swipe_request,
    to_balance_request,
    to_bet_request,
    to_refund_request,
    to_swipe_balance,
    to_swipe_transaction,
    to_win_request,
)


def handle_swipe_callback(event: dict[str, Any], context: LambdaContext, action: Action) -> dict[str, Any]:
    """The whole life of one Swipe callback, for the function that serves `action` (its route)."""
    started = time.monotonic()
    try:
        parts = swipe_runtime()
        deadline = started + budget_seconds(context, parts.settings.time_budget_ms)
        if action is Action.BALANCE:
            return _balance(event, parts, deadline)
        return _money(event, parts, action, deadline)
    except PlayhubError as error:
        if isinstance(error, PayloadMismatch):
            record_reused_transaction_id(action.value)
        return _refused(action, swipe_error(error), error.details)
    except Exception:
        logger.exception("callback failed", extra={"action": action.value, "provider": Provider.SWIPE.value})
        return _refused(action, unexpected_error(), "unexpected error")


def _balance(event: dict[str, Any], parts: Runtime, deadline: float) -> dict[str, Any]:
    query = swipe_signing.balance_query(event)
    signature = header(event, swipe_signing.SIGNATURE_HEADER)
    if not swipe_signing.verify_query(signature, query, parts.callback_keys.current()):
        raise InvalidSignature("X-REQUEST-SIGN is missing or does not match the query")
    request = to_balance_request(parse_balance_query(event.get("multiValueQueryStringParameters")))
    result = parts.wallet.balance(request, deadline, Provider.SWIPE)
    count_applied(Action.BALANCE, result, parts.currencies)
    if not isinstance(result.response, BalanceResponse):
        raise AssertionError("a balance callback answers with a balance")
    return json_response(200, to_swipe_balance(result.response).model_dump())


def _money(event: dict[str, Any], parts: Runtime, action: Action, deadline: float) -> dict[str, Any]:
    body = raw_body(event)
    signature = header(event, swipe_signing.SIGNATURE_HEADER)
    if not swipe_signing.verify_body(signature, body, parts.callback_keys.current()):
        raise InvalidSignature("X-REQUEST-SIGN is missing or does not match the body")
    command = _command(action, _json_or_none(body))
    logger.set_correlation_id(command.tx_id)
    if isinstance(command, BetRequest):
        result = parts.wallet.bet(command, deadline, Provider.SWIPE)
    elif isinstance(command, WinRequest):
        result = parts.wallet.win(command, deadline, Provider.SWIPE)
    else:
        result = parts.wallet.refund(command, deadline, Provider.SWIPE)
    count_applied(action, result, parts.currencies)
    if not isinstance(result.response, TransactionResponse):
        raise AssertionError("a money callback answers with our transaction id")
    return json_response(200, to_swipe_transaction(result.response).model_dump())


def _command(action: Action, parsed_body: object) -> BetRequest | WinRequest | RefundRequest:
    """The wallet's command for a Swipe body, as the route (never the body) says which it is."""
    request = parse_swipe_request(action, parsed_body)
    if isinstance(request, SwipeBetRequest):
        return to_bet_request(request)
    if isinstance(request, SwipeWinRequest):
        return to_win_request(request)
    if isinstance(request, SwipeRefundRequest):
        return to_refund_request(request)
    raise AssertionError(f"no money callback is served as {action}")


def _json_or_none(body: bytes) -> Any | None:
    """The body as I-JSON (no repeated names: which of two amounts would be the one Swipe meant?)."""
    try:
        return swipe_signing.parse_json(body)
    except ValueError:  # includes UnicodeDecodeError
        return None


def _refused(action: Action, error: SwipeError, reason: str) -> dict[str, Any]:
    record_refusal(action.value, error.status, reason)
    return json_response(error.status, error.response.body())
