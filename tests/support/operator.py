"""The casino backend calling our operator routes through their handlers, with Playhub's Core API
recorded by responses (CORE) and the ledger on a test backend."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
import responses
from support.harness import FakeLambdaContext, handler_module, operator_event, operator_function

from devtools import local_db
from playhub_wallet import operator_api
from playhub_wallet.legal_bets import default_tables
from playhub_wallet.operator_runtime import OperatorRuntime, build_operator_runtime
from playhub_wallet.settings import CoreApiSettings, Settings, SwipeCoreApiSettings
from playhub_wallet.wallet import WalletService

if TYPE_CHECKING:
    from conftest import Backend

CORE = "https://playhub.test/api/v1"
CID = "2f1c5e0a-7b3d-4e9f-8a6c-1d2e3f4a5b6c"
GAME_SESSION = "0e8f7a6b-5c4d-4e3f-9a2b-1c0d9e8f7a6b"


class Operator:
    """The casino backend calling our operator routes as API Gateway events."""

    def __init__(self, parts: OperatorRuntime) -> None:
        self.parts = parts

    def call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> tuple[int, Any]:
        event = operator_event(method, path, body, query)
        response = handler_module(operator_function(path)).lambda_handler(event, FakeLambdaContext())
        return int(response["statusCode"]), json.loads(response["body"])

    def launch(self, player_id: str, **fields: Any) -> tuple[int, Any]:
        body = {"player_id": player_id, "game_id": "ph_limbo_97", "currency": "EUR", "locale": "en-US", **fields}
        return self.call("POST", "/games/launch", body)

    def deposit(self, player_id: str, amount: str, reference: str, currency: str = "EUR") -> tuple[int, Any]:
        return self.call(
            "POST", f"/players/{player_id}/wallets/{currency}/deposits", {"amount": amount, "reference": reference}
        )


def use_operator_runtime(
    monkeypatch: pytest.MonkeyPatch,
    backend: Backend,
    *,
    extcid: str | None = "casino-7",
    places: dict[str, int] | None = None,
    swipe: SwipeCoreApiSettings | None = None,
) -> OperatorRuntime:
    """The operator's and launch's composition root on this backend, with Playhub at CORE (and
    places: CURRENCY_DECIMAL_PLACES; swipe: Swipe Games' settings, where the stack serves it)."""
    settings = Settings(
        table_name=backend.table_name, callback_keys="local-callback-key", currency_decimal_places=places or {}
    )
    core = CoreApiSettings(playhub_core_url=CORE, playhub_cid=CID, api_keys="api-key", playhub_extcid=extcid)
    parts = build_operator_runtime(settings, core, backend.table, swipe)
    monkeypatch.setattr(operator_api, "operator_runtime", lambda: parts)
    return parts


@contextmanager
def serve_operator(monkeypatch: pytest.MonkeyPatch, backend: Backend, wallet: WalletService) -> Iterator[Operator]:
    """Operator routes and callbacks on one ledger, seeded as `make run` seeds it (the Core API
    stub's catalogue, Playhub's default legal bets table), with Playhub answering launches."""
    from conftest import install_runtime

    parts = use_operator_runtime(monkeypatch, backend)
    local_db.seed_catalogue(backend.table.client, backend.table.name)  # the stub's: 10 currencies, 4 games
    for table in default_tables():
        parts.legal_bets.replace(table)
    install_runtime(monkeypatch, wallet, table=backend.table_name)
    responses.start()
    responses.post(
        f"{CORE}/game-create-new", json={"game_url": "https://games.test/play?t=1", "game_session_id": GAME_SESSION}
    )
    try:
        yield Operator(parts)
    finally:
        responses.stop()
        responses.reset()


def playhub_requests(path: str, method: str = "POST") -> list[dict[str, Any]]:
    """Bodies of the requests Playhub's Core API received at path."""
    bodies = []
    for call in responses.calls:
        request = call.request
        if request.method == method and str(request.url).split("?")[0].endswith(path):
            assert isinstance(request.body, bytes)
            bodies.append(json.loads(request.body))
    return bodies
