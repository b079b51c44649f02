"""POST /callback, the one URL for all four callbacks (PLAYHUB.md §3 "One URL for all callbacks").

The signature is checked first, exactly as on the four paths; then the body's `action` picks the
callback; a missing or unknown `action` is a 400. The case table itself runs through this URL
too (test_case_table.py); here are what only the one URL has: the dispatch, its refusals, and
where its metrics go.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import Backend, Player
from integration.test_bad_requests import assert_bad_request
from integration.test_case_table import emitted_metrics
from support.harness import Playhub, round_payload
from support.requests import count_store_requests

from playhub_wallet.playhub_requests import playhub_id
from playhub_wallet.signing import SIGNATURE_HEADER, canonical_json, sign


@pytest.fixture
def one_url(playhub: Playhub) -> Playhub:
    return Playhub(playhub.key, one_url=True)


@pytest.mark.parametrize("headers", [{}, {SIGNATURE_HEADER: sign("not-the-key", b"{}")}], ids=["missing", "wrong"])
@pytest.mark.parametrize("action", ["bet", None, "jackpot"], ids=["bet", "no-action", "unknown-action"])
def test_the_signature_is_checked_before_the_action_is_read(
    one_url: Playhub, player: Player, backend: Backend, headers: dict[str, str], action: str | None
) -> None:
    payload = round_payload("bet", player.session_id, action=action)
    with count_store_requests(backend) as requests:
        status, body = one_url.send_raw("callback", canonical_json(payload).decode(), headers)

    assert (status, body["message"]) == (401, "invalid signature")
    assert requests.total == 0


@pytest.mark.parametrize(
    ("action", "details"),
    [
        (None, 'action: is required, one of "balance", "bet", "win", "refund"'),
        ("jackpot", 'action: must be one of "balance", "bet", "win", "refund"'),
        ("deposit", "action: must be one of"),  # our own transfers are not callbacks
        ("BET", "action: must be one of"),
        (7, "action: must be one of"),
        ("", "action: must be one of"),
    ],
)
def test_a_signed_body_without_a_callback_action_is_400_and_reads_nothing(
    one_url: Playhub, player: Player, backend: Backend, action: Any, details: str
) -> None:
    payload = round_payload("bet", player.session_id, action=action)
    with count_store_requests(backend) as requests:
        answer = one_url.send(payload)

    assert_bad_request(answer.status, answer.body, details_contain=details)
    assert requests.total == 0
    assert backend.view.wallet(player.wallet_key).balance == 100


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"bet"'])
def test_a_signed_body_that_is_not_a_json_object_is_400(one_url: Playhub, body: str) -> None:
    status, answer = one_url.send_raw("callback", body, {SIGNATURE_HEADER: sign(one_url.key, body.encode())})

    assert_bad_request(status, answer, details_contain="JSON")


def test_each_action_answers_exactly_as_its_own_url_does(playhub: Playhub, one_url: Playhub, player: Player) -> None:
    """The same payloads, sent once to each URL: the second is a replay with the first's answer."""
    session = player.session_id
    bet = round_payload("bet", session, "10.00")
    steps = [
        {"action": "balance", "session_id": session},
        bet,
        round_payload("win", session, "4.00", round_id=bet["round_id"]),
        {"action": "refund", "session_id": session, "tx_id": playhub_id(), "orig_tx_id": bet["tx_id"]},
    ]
    for payload in steps:
        direct = playhub.send(payload)
        via_one_url = one_url.send(payload)
        assert direct.status == 200, direct.body
        assert via_one_url.body == direct.body, payload["action"]
    assert playhub.balance(session).balance == "104.00"  # 100 - 10 + 4 + 10: each applied once


def test_a_dedicated_url_still_refuses_another_action(one_url: Playhub, playhub: Playhub, player: Player) -> None:
    answer = playhub.send(round_payload("win", player.session_id), endpoint="bet")

    assert_bad_request(answer.status, answer.body, details_contain='action must be "bet"')


def service_of(stdout: str, metric: str) -> set[str]:
    services = set()
    for line in stdout.splitlines():
        if line.startswith("{") and f'"{metric}"' in line:
            document = json.loads(line)
            if "_aws" in document and metric in document:
                services.add(document["service"])
    return services


def test_metrics_go_where_the_dedicated_functions_go(
    one_url: Playhub, player: Player, capsys: pytest.CaptureFixture[str]
) -> None:
    """So the alarms and the dashboard, keyed by service, see a callback whichever URL it came to."""
    bet = one_url.bet(player.session_id, "1.00")
    one_url.win(player.session_id, "1.00")  # no bet in its round: an anomaly
    one_url.bet(player.session_id, "1000.00")  # refused: insufficient funds
    Playhub("intruder-key", one_url=True).balance(player.session_id)
    one_url.send(round_payload("bet", player.session_id, action="jackpot"))
    out = capsys.readouterr().out

    assert bet.status == 200
    assert service_of(out, "BetCallbacks") == {"playhub-bet"}
    assert service_of(out, "WinCallbacks") == {"playhub-win"}
    assert service_of(out, "Anomalies") == {"playhub-win"}
    assert service_of(out, "Bet4xx") == {"playhub-bet"}
    # Before the body has named a callback: counted as the one URL's own.
    assert service_of(out, "SignatureFailures") == {"playhub-test"}
    assert service_of(out, "Callback4xx") == {"playhub-test"}
    assert emitted_metrics(out)["Callback4xx"] == [1.0, 1.0]
