"""Callbacks as Playhub sends them: signed bodies wrapped in API Gateway REST proxy events."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playhub_wallet import swipe_requests
from playhub_wallet.playhub_requests import api_gateway_event, signed_body
from playhub_wallet.signing import SIGNATURE_HEADER

SAMPLE_CALLBACK_KEY = "local-callback-key"  # also in env.json: a sample, never a real key
SAMPLE_SWIPE_CALLBACK_KEY = "local-swipe-callback-key"  # Swipe's Integration API key, likewise
# The session the sample events play on: player "player-1", EUR, game ph_limbo_97.
SAMPLE_SESSION_ID = "ph1.WyJwbGF5ZXItMSIsIkVVUiIsInBoX2xpbWJvXzk3Il0.sample-session"
# The Swipe Games session of the sample events: the same wallet (player-1, EUR), game sg_catch_97.
SAMPLE_SWIPE_SESSION_ID = "sw1.WyJwbGF5ZXItMSIsIkVVUiIsInNnX2NhdGNoXzk3Il0.sample-session"
EVENTS_DIR = Path(__file__).resolve().parent.parent / "events"


def callback_event(
    payload: dict[str, Any], key: str = SAMPLE_CALLBACK_KEY, endpoint: str | None = None
) -> dict[str, Any]:
    body, signature = signed_body(payload, key)
    return api_gateway_event(f"/{endpoint or payload['action']}", body, {SIGNATURE_HEADER: signature})


def sample_events(session_id: str = SAMPLE_SESSION_ID) -> dict[str, dict[str, Any]]:
    """One signed API Gateway event per callback: a bet, its win, and a refund of the bet; and the
    win once more, to the one URL for all callbacks."""
    bet_tx, round_id = "9f0c3a52-7f1e-4c55-9a55-0d8f3b5a6a11", "5b7e2f10-2c4d-4e8a-9b1c-3d5e7f9a1b2c"
    payloads = {
        "balance": {"action": "balance", "session_id": session_id},
        "bet": {
            "action": "bet",
            "type": "bet",
            "session_id": session_id,
            "amount": "1.00",
            "tx_id": bet_tx,
            "round_id": round_id,
        },
        "win": {
            "action": "win",
            "type": "win",
            "session_id": session_id,
            "amount": "2.50",
            "tx_id": "0d4f6a8c-1e3b-4d5f-8a7c-9e1b3d5f7a9c",
            "round_id": round_id,
        },
        "refund": {
            "action": "refund",
            "session_id": session_id,
            "tx_id": "7c9e1b3d-5f7a-4c1e-8b3d-5f7a9c1e3b5d",
            "orig_tx_id": bet_tx,
        },
    }
    events = {action: callback_event(payload) for action, payload in payloads.items()}
    # The one URL for all four (POST /callback): the same win, so it answers as the win's replay.
    events["callback"] = callback_event(payloads["win"], endpoint="callback")
    for name, event in events.items():
        event["requestContext"]["requestId"] = f"sample-{name}"
    return events


def swipe_sample_events(session_id: str = SAMPLE_SWIPE_SESSION_ID) -> dict[str, dict[str, Any]]:
    """Swipe's four callbacks, signed with Swipe's sample key: the balance, a bet, its win, and a
    refund of the bet (for the whole stake, naming its round)."""
    bet_tx, round_id = "3e5a7c9e-1b3d-4f5a-8c7e-9a1b3c5d7e9f", "6a8c1e3b-5d7f-4a9c-8e1b-3d5f7a9c1e3b"
    bet = {"type": "regular", "sessionID": session_id, "amount": "1.00", "txID": bet_tx, "roundID": round_id}
    win = {**bet, "amount": "2.50", "txID": "8b1d3f5a-7c9e-4b1d-9f5a-7c9e1b3d5f7a"}
    refund = {
        "sessionID": session_id,
        "txID": "2c4e6a8c-1e3b-4c5d-8f7a-9c1e3b5d7f9a",
        "origTxID": bet_tx,
        "amount": "1.00",
        "roundID": round_id,
    }
    events = {
        "swipe_balance": swipe_requests.balance_event(SAMPLE_SWIPE_CALLBACK_KEY, session_id),
        "swipe_bet": swipe_requests.post_event(SAMPLE_SWIPE_CALLBACK_KEY, "bet", bet),
        "swipe_win": swipe_requests.post_event(SAMPLE_SWIPE_CALLBACK_KEY, "win", win),
        "swipe_refund": swipe_requests.post_event(SAMPLE_SWIPE_CALLBACK_KEY, "refund", refund),
    }
    for name, event in events.items():
        event["requestContext"]["requestId"] = f"sample-{name}"
    return events


def operator_event(
    method: str,
    resource: str,
    path_parameters: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An operator route's REST proxy event, as API Gateway sends it after IAM let the caller in."""
    path = resource.format(**(path_parameters or {}))
    event = api_gateway_event(path, json.dumps(body) if body is not None else "", {}, stage="live")
    event["resource"] = event["requestContext"]["resourcePath"] = resource
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    event["pathParameters"] = path_parameters
    event["queryStringParameters"] = query
    event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()} if query else None
    event["body"] = json.dumps(body) if body is not None else None
    event["requestContext"]["identity"] = {
        "sourceIp": "10.0.0.1",
        "userArn": "arn:aws:iam::123456789012:role/casino-backend",
        "caller": "AROAEXAMPLE:casino-backend",
    }
    return event


def other_sample_events(session_player: str = "player-1") -> dict[str, dict[str, Any]]:
    """One event per other function: launch, the operator's reads and transfers, reconciliation."""
    wallet = {"player_id": session_player, "currency": "EUR"}
    events = {
        "launch": operator_event(
            "POST",
            "/games/launch",
            body={"player_id": session_player, "game_id": "ph_limbo_97", "currency": "EUR", "locale": "en_us"},
        ),
        "wallets": operator_event("GET", "/players/{player_id}/wallets", {"player_id": session_player}),
        "deposit": operator_event(
            "POST",
            "/players/{player_id}/wallets/{currency}/deposits",
            wallet,
            body={"amount": "5.00", "reference": "sample-deposit"},
        ),
        "transactions": operator_event(
            "GET", "/players/{player_id}/wallets/{currency}/transactions", wallet, query={"limit": "10"}
        ),
        "catalogue": {  # the hourly schedule's event (the function reads nothing of it)
            "version": "0",
            "id": "5f2f8b0e-0000-4000-8000-000000000002",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-01-01T01:00:00Z",
            "region": "eu-west-1",
            "resources": ["arn:aws:events:eu-west-1:123456789012:rule/playhub-catalogue"],
            "detail": {},
        },
        "reconciliation": {  # what the schedule (EventBridge) sends
            "version": "0",
            "id": "5f2f8b0e-0000-4000-8000-000000000001",
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": "123456789012",
            "time": "2026-01-01T00:15:00Z",
            "region": "eu-west-1",
            "resources": ["arn:aws:events:eu-west-1:123456789012:rule/playhub-reconciliation"],
            "detail": {},
        },
    }
    for name, event in events.items():
        if "requestContext" in event:
            event["requestContext"]["requestId"] = f"sample-{name}"
    return events


# Which function answers which sample event (sam local invoke <Function> -e events/<name>.json).
SAMPLE_EVENT_FUNCTIONS = {
    "balance": "BalanceFunction",
    "bet": "BetFunction",
    "win": "WinFunction",
    "refund": "RefundFunction",
    "callback": "CallbackFunction",
    "swipe_balance": "SwipeBalanceFunction",
    "swipe_bet": "SwipeBetFunction",
    "swipe_win": "SwipeWinFunction",
    "swipe_refund": "SwipeRefundFunction",
    "launch": "LaunchFunction",
    "wallets": "OperatorFunction",
    "deposit": "OperatorFunction",
    "transactions": "OperatorFunction",
    "reconciliation": "ReconciliationFunction",
    "catalogue": "CatalogueFunction",
}


def all_sample_events() -> dict[str, dict[str, Any]]:
    return {**sample_events(), **swipe_sample_events(), **other_sample_events()}


def write_sample_events(directory: Path = EVENTS_DIR) -> None:
    for name, event in all_sample_events().items():
        (directory / f"{name}.json").write_text(json.dumps(event, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_sample_events()
    print(f"wrote {len(SAMPLE_EVENT_FUNCTIONS)} events into {EVENTS_DIR}, on session {SAMPLE_SESSION_ID}")
