"""events/*.json and env.json are what a user with Docker feeds to `sam local invoke`: they must
be signed with env.json's key and answered by their handlers."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import Backend
from support.harness import FakeClock, Playhub

from devtools.callbacks import EVENTS_DIR, SAMPLE_SESSION_ID, sample_events
from devtools.template import ROOT, load_template
from playhub_wallet.rules import deposit
from playhub_wallet.sessions import parse_session_id
from playhub_wallet.state import Session
from playhub_wallet.wallet import WalletService


def load_event(action: str) -> dict[str, object]:
    return json.loads((EVENTS_DIR / f"{action}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


@pytest.mark.parametrize("action", ["balance", "bet", "win", "refund"])
def test_the_committed_events_are_current(action: str) -> None:
    generated = sample_events()[action]
    assert load_event(action)["body"] == generated["body"]
    assert load_event(action)["headers"] == generated["headers"]


def test_env_json_gives_every_function_the_sample_key_and_only_template_variables() -> None:
    env = json.loads(Path(ROOT, "env.json").read_text(encoding="utf-8"))
    template = load_template()
    template_variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert env["Parameters"]["CALLBACK_KEYS"] == Playhub().key
    assert set(env["Parameters"]) <= set(template_variables)  # sam local only overrides declared variables
    for function, values in env.items():
        if function != "Parameters":
            declared = template["Resources"][function]["Properties"]["Environment"]["Variables"]
            assert set(values) <= set(declared) | set(template_variables)


def test_each_sample_event_is_answered_by_its_handler(
    playhub: Playhub, wallet: WalletService, backend: Backend, clock: FakeClock
) -> None:
    ref = parse_session_id(SAMPLE_SESSION_ID)
    assert ref is not None
    session = Session(
        SAMPLE_SESSION_ID, ref.player_id, ref.currency, ref.game_id, "active", clock.now(), clock.now() + 3600
    )
    backend.ledger.put_session(session, ttl=clock.now() + 86400)
    wallet.transfer(deposit(ref.wallet_key, Decimal("20.00"), "sample-funding"), float("inf"))

    answers = {action: playhub.invoke(action, load_event(action)) for action in ("balance", "bet", "win", "refund")}

    assert answers["balance"] == (200, {"balance": "20.00"})
    assert answers["bet"][0] == 200
    assert answers["bet"][1]["balance"] == "19.00"
    assert answers["win"][0] == 200
    assert answers["win"][1]["balance"] == "21.50"
    assert answers["refund"][0] == 200
    assert answers["refund"][1]["balance"] == "22.50"
