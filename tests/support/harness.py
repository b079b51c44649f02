"""Drive the real Lambda handlers with signed API Gateway events, over any ledger backend."""

from __future__ import annotations

import importlib.util
import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from devtools.callbacks import SAMPLE_CALLBACK_KEY, SAMPLE_SWIPE_CALLBACK_KEY, callback_event
from playhub_wallet import swipe_requests
from playhub_wallet.models import Action
from playhub_wallet.playhub_requests import api_gateway_event, playhub_id
from playhub_wallet.state import EntryKey, LedgerEntry, LedgerPort, Provider, Reads, Wallet, WalletKey

ROOT = Path(__file__).resolve().parents[2]
_handlers: dict[str, ModuleType] = {}


def handler_module(name: str) -> ModuleType:
    """functions/<name>/app.py, imported under a unique module name (every handler is app.py)."""
    if name not in _handlers:
        spec = importlib.util.spec_from_file_location(f"function_{name}_app", ROOT / "functions" / name / "app.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _handlers[name] = module
    return _handlers[name]


@dataclass
class FakeLambdaContext:
    function_name: str = "test-function"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:test-function"
    aws_request_id: str = "test-request"
    timeout_seconds: float = 5.0
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return int((self.timeout_seconds - (time.monotonic() - self._started)) * 1000)


class FakeClock:
    """Wall time that tests move forward; monotonic time and sleeps are real."""

    def __init__(self, start: int = 1_790_000_000) -> None:
        self.current = start

    def now(self) -> int:
        return self.current

    def advance(self, seconds: int) -> None:
        self.current += seconds

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]
    payload: dict[str, Any]

    @property
    def balance(self) -> str:
        return str(self.body["balance"])


class Playhub:
    """Sends callbacks the way Playhub does, straight into the handlers."""

    def __init__(self, key: str = SAMPLE_CALLBACK_KEY, *, one_url: bool = False) -> None:
        self.key = key
        # Playhub's option to send every callback to one URL (POST /callback), not four.
        self.one_url = one_url

    def invoke(self, action: str, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = handler_module(action).lambda_handler(event, FakeLambdaContext())
        assert response["headers"]["Content-Type"] == "application/json"
        return int(response["statusCode"]), json.loads(response["body"])

    def send(self, payload: dict[str, Any], *, key: str | None = None, endpoint: str | None = None) -> Answer:
        endpoint = endpoint or ("callback" if self.one_url else payload["action"])
        status, body = self.invoke(endpoint, callback_event(payload, key or self.key, endpoint))
        return Answer(status, body, payload)

    def send_raw(self, endpoint: str, body: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        return self.invoke(endpoint, api_gateway_event(f"/{endpoint}", body, headers))

    def balance(self, session_id: str) -> Answer:
        return self.send({"action": "balance", "session_id": session_id})

    def bet(
        self,
        session_id: str,
        amount: str = "1.00",
        *,
        tx_id: str | None = None,
        round_id: str | None = None,
        type: str | None = None,
        frc_id: str | None = None,
    ) -> Answer:
        return self.send(
            round_payload("bet", session_id, amount, type=type, tx_id=tx_id, round_id=round_id, frc_id=frc_id)
        )

    def win(
        self,
        session_id: str,
        amount: str = "1.00",
        *,
        tx_id: str | None = None,
        round_id: str | None = None,
        type: str | None = None,
        frc_id: str | None = None,
    ) -> Answer:
        return self.send(
            round_payload("win", session_id, amount, type=type, tx_id=tx_id, round_id=round_id, frc_id=frc_id)
        )

    def refund(self, session_id: str, orig_tx_id: str, *, tx_id: str | None = None) -> Answer:
        payload = {
            "action": "refund",
            "session_id": session_id,
            "tx_id": tx_id or playhub_id(),
            "orig_tx_id": orig_tx_id,
        }
        return self.send(payload)


class Swipe:
    """Sends callbacks the way Swipe Games does (SWIPE.md §5), straight into the Swipe handlers."""

    def __init__(self, key: str = SAMPLE_SWIPE_CALLBACK_KEY) -> None:
        self.key = key

    def invoke(self, callback: str, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        response = handler_module(f"swipe_{callback}").lambda_handler(event, FakeLambdaContext())
        assert response["headers"]["Content-Type"] == "application/json"
        return int(response["statusCode"]), json.loads(response["body"])

    def send(self, callback: str, payload: dict[str, Any], *, key: str | None = None) -> Answer:
        status, body = self.invoke(callback, swipe_requests.post_event(key or self.key, callback, payload))
        return Answer(status, body, payload)

    def balance(self, session_id: str, *, key: str | None = None) -> Answer:
        status, body = self.invoke("balance", swipe_requests.balance_event(key or self.key, session_id))
        return Answer(status, body, {"sessionID": session_id})

    def bet(self, session_id: str, amount: str = "1.00", **fields: str | None) -> Answer:
        """fields: tx_id, round_id, type ("regular" or "free"), fr_id."""
        return self._round("bet", session_id, amount, **fields)

    def win(self, session_id: str, amount: str = "1.00", **fields: str | None) -> Answer:
        return self._round("win", session_id, amount, **fields)

    def _round(
        self,
        callback: str,
        session_id: str,
        amount: str,
        *,
        tx_id: str | None = None,
        round_id: str | None = None,
        type: str | None = None,
        fr_id: str | None = None,
    ) -> Answer:
        payload = swipe_requests.round_payload(
            session_id, amount, type=type or "regular", round_id=round_id, fr_id=fr_id
        )
        return self.send(callback, {**payload, "txID": tx_id or payload["txID"]})

    def refund(
        self,
        session_id: str,
        orig_tx_id: str,
        amount: str,
        *,
        tx_id: str | None = None,
        round_id: str | None = None,
    ) -> Answer:
        payload = swipe_requests.refund_payload(session_id, orig_tx_id, amount, round_id=round_id)
        return self.send("refund", {**payload, "txID": tx_id or payload["txID"]})


def operator_event(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> dict[str, Any]:
    """An API Gateway event for an operator route, as the casino backend's request arrives."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {name: [value] for name, value in (query or {}).items()} or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "httpMethod": method,
            "path": path,
            "stage": "live",
            "requestId": str(uuid.uuid4()),
            "identity": {},
        },
        "body": body if isinstance(body, str) or body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def operator_function(path: str) -> str:
    """The folder of the function that serves an operator route (template.yaml's Api events)."""
    return {"/games/launch": "launch", "/health": "health"}.get(path, "operator")


def round_payload(
    action: str,
    session_id: str,
    amount: Any = "5.00",
    /,
    *,
    type: str | None = None,
    tx_id: str | None = None,
    round_id: str | None = None,
    frc_id: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A bet or win body as Playhub sends it: new ids unless given; an override of None drops the field."""
    payload: dict[str, Any] = {
        "action": action,
        "type": type or action,
        "session_id": session_id,
        "amount": amount,
        "tx_id": tx_id or playhub_id(),
        "round_id": round_id or playhub_id(),
    }
    if frc_id:
        payload["frc_id"] = frc_id
    payload.update(overrides)
    return {name: value for name, value in payload.items() if value is not None}


class LedgerView:
    """Reads the ledger's state through the port, the same way for every backend."""

    def __init__(self, ledger: LedgerPort) -> None:
        self.ledger = ledger

    def wallet(self, key: WalletKey) -> Wallet:
        return self.ledger.load(Reads(None, key, ())).wallet

    def entry(
        self, key: WalletKey, action: Action, playhub_tx_id: str, provider: Provider = Provider.PLAYHUB
    ) -> LedgerEntry | None:
        entry_key = EntryKey(action, playhub_tx_id, provider)
        return self.ledger.load(Reads(None, key, (entry_key,))).entry(entry_key)
