"""API Gateway in, API Gateway out: signature, parsing, and the one error mapping.

Order matters (docs/playhub-contract.md, "Signing"): the signature is checked before the
body is validated and before anything is read from the store.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import ValidationError

from playhub_wallet import signing
from playhub_wallet.errors import BadRequest, InvalidSignature, PlayhubError
from playhub_wallet.models import REQUEST_MODELS, Action, CallbackRequest, ErrorResponse
from playhub_wallet.money import CurrencyTable
from playhub_wallet.observability import attribute_to, logger, record_callback, record_refusal
from playhub_wallet.runtime import runtime
from playhub_wallet.wallet import CallbackResult, WalletService

# Time kept back from the Lambda's own limit to answer with a clean 500.
_SAFETY_MARGIN_SECONDS = 0.3

_OPERATIONS: dict[Action, Callable[[WalletService, Any, float], CallbackResult]] = {
    Action.BALANCE: WalletService.balance,
    Action.BET: WalletService.bet,
    Action.WIN: WalletService.win,
    Action.REFUND: WalletService.refund,
}
_CALLBACKS = {action.value: action for action in _OPERATIONS}
_CALLBACK_NAMES = ", ".join(f'"{name}"' for name in _CALLBACKS)


# What a refusal is counted as on the one URL before the body has said which callback it is.
ONE_URL = "callback"


def handle_callback(event: dict[str, Any], context: LambdaContext, action: Action | None) -> dict[str, Any]:
    """The whole life of one Playhub callback, for the function that serves `action`.

    `action` None is the one URL for all callbacks (POST /callback): once the signature holds,
    the body's own `action` picks the callback, and from there the path is the same.
    """
    started = time.monotonic()
    served = action.value if action is not None else ONE_URL
    try:
        parts = runtime()
        body = raw_body(event)
        parsed_body = _json_or_none(body)
        signature = header(event, signing.SIGNATURE_HEADER)
        if not signing.verify_callback(signature, body, parsed_body, parts.callback_keys.current()):
            raise InvalidSignature("X-REQUEST-SIGN is missing or does not match the body")
        if action is None:
            action = action_of(parsed_body)
            served = action.value
            attribute_to(action.value)
        request = parse_request(action, parsed_body)
        tx_id = getattr(request, "tx_id", None)
        if tx_id:
            logger.set_correlation_id(tx_id)
        deadline = started + budget_seconds(context, parts.settings.time_budget_ms)
        result = _OPERATIONS[action](parts.wallet, request, deadline)
        count_applied(action, result, parts.currencies)
        return json_response(200, result.response.model_dump())
    except PlayhubError as error:
        record_refusal(served, error.status, error.details)
        return error_response(error)
    except Exception:
        logger.exception("callback failed", extra={"action": served})
        record_refusal(served, 500, "unexpected error")
        return json_response(
            500, ErrorResponse(message="internal server error", details="unexpected error").model_dump()
        )


def count_applied(action: Action, result: CallbackResult, currencies: CurrencyTable) -> None:
    """Count a callback that was applied; the money moved, so a failure to count it never answers 500."""
    try:
        record_callback(action, result, currencies)
    except Exception:
        logger.exception("callback applied, but its telemetry failed", extra={"action": action.value})


def action_of(parsed_body: Any) -> Action:
    """Which callback a body sent to the one URL is: its `action`, one of the four."""
    _require_object(parsed_body)
    named = parsed_body.get("action")
    if named is None:
        raise BadRequest(f"action: is required, one of {_CALLBACK_NAMES}")
    if not isinstance(named, str) or named not in _CALLBACKS:
        raise BadRequest(f"action: must be one of {_CALLBACK_NAMES}")
    return _CALLBACKS[named]


def parse_request(action: Action, parsed_body: Any) -> CallbackRequest:
    _require_object(parsed_body)
    if parsed_body.get("action") != action.value:
        raise BadRequest(f'action must be "{action.value}" on this endpoint')
    try:
        return REQUEST_MODELS[action].model_validate(parsed_body)
    except ValidationError as exc:
        raise BadRequest.from_validation(exc) from None


def _require_object(parsed_body: Any) -> None:
    if parsed_body is None:
        raise BadRequest("body is not valid JSON")
    if not isinstance(parsed_body, dict):
        raise BadRequest("body must be a JSON object")


def error_response(error: PlayhubError) -> dict[str, Any]:
    return json_response(error.status, ErrorResponse(message=error.message, details=error.details).model_dump())


def json_response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}


def raw_body(event: dict[str, Any]) -> bytes:
    """The bytes the provider sent; a body API Gateway could not have produced reads as empty."""
    body = event.get("body")
    if not isinstance(body, str):
        return b""
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8")
    try:
        return base64.b64decode(body, validate=True)
    except binascii.Error:
        return b""


def header(event: dict[str, Any], name: str) -> str | None:
    """A request header by name, in any case (HTTP header names are case-insensitive).

    Read from the REST proxy event directly: powertools' event classes would load its whole
    data_classes package (every AWS event type) into each callback's cold start.
    """
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted and isinstance(value, str):
            return value
    return None


def _json_or_none(body: bytes) -> Any | None:
    try:
        return signing.parse_json_body(body)
    except ValueError:  # includes UnicodeDecodeError
        return None


def budget_seconds(context: LambdaContext, budget_ms: int) -> float:
    remaining_ms = context.get_remaining_time_in_millis() if context is not None else budget_ms
    return max(0.0, min(budget_ms, remaining_ms) / 1000 - _SAFETY_MARGIN_SECONDS)
