"""Every sample event in events/ (what `sam local invoke` users feed in), driven through the built
artifact as Lambda runs it (awslambdaric workers, devtools.lambda_runtime) with env.json's values,
against DynamoDB Local seeded by `make local-db`'s own code."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from support import dynamo_setup

from devtools import local_db
from devtools.artifact import Artifact
from devtools.callbacks import EVENTS_DIR, SAMPLE_EVENT_FUNCTIONS, SAMPLE_SESSION_ID, all_sample_events
from devtools.core_api_stub import LOCAL_API_KEY, CoreApiStub
from devtools.lambda_runtime import FunctionPool, resolve_environment
from devtools.swipe_core_api_stub import LOCAL_SWIPE_API_KEY, SwipeCoreApiStub
from devtools.template import ROOT


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text(encoding="utf-8"))
    return event


def env_json_values(function: str) -> dict[str, str]:
    """What `sam local invoke --env-vars env.json` gives this function."""
    env = json.loads((ROOT / "env.json").read_text(encoding="utf-8"))
    return {**env["Parameters"], **env.get(function, {})}


@pytest.fixture(scope="module", params=["tracing off", "tracing on"])
def invoke(request: pytest.FixtureRequest, built_artifact: Artifact, dynamodb_local_endpoint: str) -> Iterator[Any]:
    """Each event on a fresh table, once as deployed by default and once with Tracing=Active."""
    tracing = request.param == "tracing on"
    table = f"samples-{uuid.uuid4().hex[:8]}"
    client = local_db.local_client(dynamodb_local_endpoint)
    local_db.ensure_table(client, table)
    local_db.seed_sample_session(client, table)
    stub = CoreApiStub(LOCAL_API_KEY, port=0)
    stub.start()
    swipe_stub = SwipeCoreApiStub(LOCAL_SWIPE_API_KEY, port=0).start()  # env.json's Swipe: the catalogue loads it
    pools: dict[str, FunctionPool] = {}

    def run(name: str) -> tuple[int, Any]:
        function = SAMPLE_EVENT_FUNCTIONS[name]
        if function not in pools:
            values = env_json_values(function)
            # The containers reach the host as host.docker.internal; here the host is 127.0.0.1.
            values.update({"TABLE_NAME": table, "DYNAMODB_ENDPOINT": dynamodb_local_endpoint})
            values["POWERTOOLS_TRACE_DISABLED"] = "false" if tracing else "true"  # what the template sets
            if "PLAYHUB_CORE_URL" in values:
                values["PLAYHUB_CORE_URL"] = stub.url
            if "SWIPE_CORE_URL" in values:
                values["SWIPE_CORE_URL"] = swipe_stub.url
            environment = resolve_environment(built_artifact.functions[function], values)
            pools[function] = FunctionPool(
                built_artifact, function, environment, max_workers=1, tracing=tracing, log=lambda _: None
            )
        answer = pools[function].invoke(load_event(name))
        assert answer.outcome == "ok", answer.payload
        if "statusCode" not in answer.payload:
            return 200, answer.payload  # not an API route: the function's own answer
        return answer.payload["statusCode"], json.loads(answer.payload["body"])

    yield run
    for pool in pools.values():
        pool.close()
    stub.stop()
    swipe_stub.stop()
    dynamo_setup.delete_table(client, table)  # best effort: cleanup never fails a test


def test_the_committed_events_are_current() -> None:
    generated = all_sample_events()
    assert sorted(path.stem for path in EVENTS_DIR.glob("*.json")) == sorted(SAMPLE_EVENT_FUNCTIONS)
    for name, event in generated.items():
        assert load_event(name) == event, f"events/{name}.json is stale: make events"


@pytest.mark.dynamodb_local
def test_every_sample_event_is_answered_by_its_built_function(invoke: Any) -> None:
    assert invoke("balance") == (200, {"balance": "20.00"})
    status, bet = invoke("bet")
    assert (status, bet["balance"]) == (200, "19.00")
    status, win = invoke("win")
    assert (status, win["balance"]) == (200, "21.50")
    status, refund = invoke("refund")
    assert (status, refund["balance"]) == (200, "22.50")
    assert invoke("win") == (200, {**win, "balance": "22.50"})  # a replay: same tx_id, no money moved
    assert invoke("callback") == (200, {**win, "balance": "22.50"})  # the same win through the one URL
    assert invoke("bet")[0] == 400  # a bet resent after its refund is refused (house rule)

    # Swipe's callbacks, on the same wallet through a Swipe session (22.50 EUR at this point).
    assert invoke("swipe_balance") == (200, {"balance": "22.50"})
    status, swipe_bet = invoke("swipe_bet")
    assert (status, swipe_bet["balance"]) == (200, "21.50")
    status, swipe_win = invoke("swipe_win")
    assert (status, swipe_win["balance"]) == (200, "24.00")
    status, swipe_refund = invoke("swipe_refund")
    assert (status, swipe_refund["balance"]) == (200, "25.00")
    assert invoke("swipe_refund") == (200, swipe_refund)  # a replay
    assert invoke("swipe_bet")[0] == 400  # refunded: void, as for Playhub

    status, deposit = invoke("deposit")
    assert (status, deposit["balance"], deposit["replayed"]) == (200, "30.00", False)
    status, wallets = invoke("wallets")
    assert status == 200
    assert [(w["currency"], w["balance"]) for w in wallets["wallets"]] == [("EUR", "30.00")]
    status, history = invoke("transactions")
    assert status == 200
    assert len(history["transactions"]) == 8  # funding; Playhub's bet, win, refund; Swipe's; deposit
    assert [entry["provider"] for entry in history["transactions"]][1:4] == ["swipe"] * 3

    status, launch = invoke("launch")
    assert status == 200
    assert launch["session_id"] != SAMPLE_SESSION_ID
    assert launch["game_url"].startswith("http")

    status, loaded = invoke("catalogue")  # the Core API stub's catalogue, as make run loads it
    assert (status, loaded["currencies"], loaded["games"]) == (200, 10, 4)

    status, report = invoke("reconciliation")
    assert status == 200
    assert report["mismatches"] == 0
