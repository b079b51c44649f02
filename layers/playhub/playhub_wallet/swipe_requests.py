"""Swipe Games' callbacks as Swipe sends them: the bodies (canonical JSON), the signed GET /balance
query, their X-REQUEST-SIGN, and the REST proxy events API Gateway makes of them (SWIPE.md §3, §5).

For the local tools (the simulator, make run's samples) and the tests, like playhub_requests.py for
Playhub; no callback imports this module.
"""

from __future__ import annotations

import uuid
from typing import Any

from playhub_wallet.playhub_requests import api_gateway_event
from playhub_wallet.swipe_signing import SIGNATURE_HEADER, query_signature, signed_body

SWIPE_SOURCE_IP = "18.185.156.20"  # Swipe's staging address (SWIPE.md §2)
SWIPE_USER_AGENT = "SwipeGames"
SWIPE_BASE_PATH = "/swipe"  # where the Swipe callbacks are served; Swipe is given <stage URL>/swipe


def swipe_id() -> str:
    """A txID or roundID: a UUID v4, as Swipe sends them."""
    return str(uuid.uuid4())


def balance_event(
    key: str, session_id: str, *, stage: str = "live", query: list[tuple[str, str]] | None = None
) -> dict[str, Any]:
    """GET /swipe/balance?sessionID=... signed as Swipe signs it: the first value of each name.

    `query` replaces the query (in order, names may repeat) for requests Swipe should not send.
    """
    sent = query if query is not None else [("sessionID", session_id)]
    first: dict[str, str] = {}
    for name, value in sent:
        first.setdefault(name, value)
    headers = {SIGNATURE_HEADER: query_signature(key, first)}
    return api_gateway_event(
        f"{SWIPE_BASE_PATH}/balance",
        "",
        headers,
        stage=stage,
        source_ip=SWIPE_SOURCE_IP,
        user_agent=SWIPE_USER_AGENT,
        method="GET",
        query=sent,
    )


def post_event(key: str, callback: str, payload: dict[str, Any], *, stage: str = "live") -> dict[str, Any]:
    """POST /swipe/<callback> with the canonical body Swipe sends and its signature over those bytes."""
    body, signature = signed_body(key, payload)
    return api_gateway_event(
        f"{SWIPE_BASE_PATH}/{callback}",
        body.decode("utf-8"),
        {SIGNATURE_HEADER: signature},
        stage=stage,
        source_ip=SWIPE_SOURCE_IP,
        user_agent=SWIPE_USER_AGENT,
    )


def round_payload(
    session_id: str, amount: str, *, type: str = "regular", round_id: str | None = None, fr_id: str | None = None
) -> dict[str, str]:
    """A bet or win as Swipe sends it: a new txID, and a new round unless given (a win names its bet's)."""
    payload = {
        "type": type,
        "sessionID": session_id,
        "amount": amount,
        "txID": swipe_id(),
        "roundID": round_id or swipe_id(),
    }
    if fr_id is not None:
        payload["frID"] = fr_id
    return payload


def refund_payload(session_id: str, orig_tx_id: str, amount: str, *, round_id: str | None = None) -> dict[str, str]:
    """The refund Swipe sends for a bet it got a 500 or no answer for: the whole stake, maybe its round."""
    payload = {"sessionID": session_id, "txID": swipe_id(), "origTxID": orig_tx_id, "amount": amount}
    if round_id is not None:
        payload["roundID"] = round_id
    return payload
