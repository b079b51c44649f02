"""Playhub's callbacks as Playhub sends them: the bodies, their X-REQUEST-SIGN, and the REST proxy
event API Gateway makes of them.

The pre-traffic check (pre_traffic.py) sends these to each new callback version on AWS; the local
tools (devtools.callbacks: the sample events, the simulator, the game page, make run) build theirs
with the same functions. No callback imports this module.
"""

from __future__ import annotations

import uuid
from typing import Any

from playhub_wallet.signing import canonical_json, sign

PLAYHUB_SOURCE_IP = "34.22.222.37"  # Playhub's staging address, as the local tools pretend to call from


def signed_body(payload: dict[str, Any], key: str) -> tuple[str, str]:
    """The body Playhub sends (canonical JSON) and its X-REQUEST-SIGN."""
    body = canonical_json(payload)
    return body.decode("utf-8"), sign(key, body)


def api_gateway_event(
    path: str,
    body: str,
    headers: dict[str, str],
    *,
    stage: str = "live",
    source_ip: str = PLAYHUB_SOURCE_IP,
    user_agent: str = "Playhub",
    method: str = "POST",
    query: list[tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """A REST API (v1) proxy event as API Gateway hands it to Lambda.

    `query` in the order sent: API Gateway keeps the last value of a repeated name in
    queryStringParameters and all of them, in order, in multiValueQueryStringParameters.
    """
    request_id = str(uuid.uuid4())
    content_type = {"Content-Type": "application/json"} if method != "GET" else {}  # a GET has no body
    all_headers = {**content_type, "User-Agent": user_agent, **headers}
    multi_query: dict[str, list[str]] = {}
    for name, value in query or []:
        multi_query.setdefault(name, []).append(value)
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {name: [value] for name, value in all_headers.items()},
        "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "identity": {"sourceIp": source_ip, "userAgent": user_agent},
            "protocol": "HTTP/1.1",
        },
        "body": body if method != "GET" else None,
        "isBase64Encoded": False,
    }


def playhub_id() -> str:
    return str(uuid.uuid4())


def round_payload(
    action: str,
    session_id: str,
    amount: str,
    *,
    type: str | None = None,
    round_id: str | None = None,
    frc_id: str | None = None,
) -> dict[str, str]:
    """A bet or win as Playhub sends it: a new tx_id, and a new round unless given (a win names its bet's)."""
    payload = {
        "action": action,
        "type": type or action,
        "session_id": session_id,
        "amount": amount,
        "tx_id": playhub_id(),
        "round_id": round_id or playhub_id(),
    }
    if frc_id:
        payload["frc_id"] = frc_id
    return payload


def refund_payload(session_id: str, orig_tx_id: str) -> dict[str, str]:
    """The refund Playhub sends for a bet it got no answer (or a 500) for."""
    return {"action": "refund", "session_id": session_id, "tx_id": playhub_id(), "orig_tx_id": orig_tx_id}
