"""What Playhub knows, beside what we know: one round's history (POST /game-round-history) with our
ledger's entries for it, and a campaign's live state at Playhub (GET /free-rounds) against our record.

Runs on moto and DynamoDB Local; Playhub's Core API is recorded with responses.
"""

from __future__ import annotations

from typing import Any

import pytest
import responses
from conftest import Backend, open_funded_session
from support.harness import Playhub, Swipe
from support.operator import CID, CORE, Operator, playhub_requests

from playhub_wallet.accounts import Accounts
from playhub_wallet.dynamodb.accounts import AccountTable
from playhub_wallet.playhub_requests import playhub_id
from playhub_wallet.rounds import Rounds
from playhub_wallet.state import Provider
from playhub_wallet.wallet import WalletService

FRC_ID = "7d6c5b4a-3f2e-4d1c-9b8a-7f6e5d4c3b2a"


def playhub_round(round_id: str, **changes: str) -> dict[str, str]:
    return {
        "round_id": round_id,
        "game_session_id": "0e8f7a6b-5c4d-4e3f-9a2b-1c0d9e8f7a6b",
        "client_hash": "c0ffee",
        "round_url": "https://games.test/rounds/1",
        "bet_amount": "10.00",
        "currency": "EUR",
        "target_multiplier": "2.50",
        "result": "3.10",
        "payout_amount": "25.00",
        "payout_multiplier": "2.50",
        "user_balance": "105.00",
        "user_bonus_balance": "0.00",
        "cash_out_at": "2.50",
        **changes,
    }


def session(operator: Operator, player_id: str, currency: str = "EUR", game_id: str = "ph_limbo_97") -> str:
    status, launched = operator.launch(player_id, currency=currency, game_id=game_id)
    assert status == 200, launched
    assert operator.deposit(player_id, "100.00", f"fund-{player_id}-{currency}", currency)[0] == 200
    return str(launched["session_id"])


# A round ----------------------------------------------------------------------------------


def test_a_round_shows_playhubs_record_beside_every_entry_of_ours(operator: Operator) -> None:
    game = session(operator, "p-round")
    round_id, other_round = playhub_id(), playhub_id()
    playhub = Playhub()
    bet = playhub.bet(game, "10.00", round_id=round_id)
    playhub.win(game, "25.00", round_id=round_id)
    playhub.bet(game, "3.00", round_id=other_round)
    playhub.refund(game, bet.payload["tx_id"])
    responses.post(f"{CORE}/game-round-history", json=playhub_round(round_id))

    status, shown = operator.call("GET", f"/players/p-round/rounds/{round_id}", query={"game_id": "ph_limbo_97"})

    assert status == 200, shown
    assert shown["playhub"] == playhub_round(round_id)  # every field, user_bonus_balance included
    assert [(e["action"], e["balance_change"]) for e in shown["ledger"]] == [
        ("refund", "10.00"),
        ("win", "25.00"),
        ("bet", "-10.00"),
    ]
    assert shown["ledger_search"] == {"currencies": ["EUR"], "entries_scanned": 5, "complete": True}
    sent = playhub_requests("/game-round-history")[-1]
    assert sent == {"game_id": "ph_limbo_97", "round_id": round_id, "user_id": "p-round"}  # no cid


def test_a_swipe_round_shows_our_entries_and_asks_playhub_nothing(operator: Operator, wallet: WalletService) -> None:
    player = open_funded_session(wallet, player_id="p-swipe-round", game_id="sg_catch_97", provider=Provider.SWIPE)
    swipe = Swipe()
    bet = swipe.bet(player.session_id, "10.00")
    round_id = bet.payload["roundID"]
    assert swipe.win(player.session_id, "4.00", round_id=round_id).status == 200

    status, shown = operator.call("GET", f"/players/p-swipe-round/rounds/{round_id}")

    assert status == 200, shown
    assert shown["playhub"] is None
    assert "Swipe" in shown["playhub_note"]
    assert [(e["provider"], e["action"], e["balance_change"]) for e in shown["ledger"]] == [
        ("swipe", "win", "4.00"),
        ("swipe", "bet", "-10.00"),
    ]
    assert playhub_requests("/game-round-history") == []


def test_the_game_comes_from_our_entries_when_not_given(operator: Operator) -> None:
    game = session(operator, "p-nogame", game_id="crash")
    round_id = playhub_id()
    Playhub().bet(game, "1.00", round_id=round_id.upper())  # our ledger keeps the canonical form
    responses.post(f"{CORE}/game-round-history", json=playhub_round(round_id))

    status, shown = operator.call("GET", f"/players/p-nogame/rounds/{round_id.upper()}")

    assert (status, shown["game_id"], shown["round_id"]) == (200, "crash", round_id)
    assert playhub_requests("/game-round-history")[-1]["game_id"] == "crash"


def test_a_round_we_have_no_entry_of_needs_its_game(operator: Operator) -> None:
    session(operator, "p-none")

    status, answer = operator.call("GET", f"/players/p-none/rounds/{playhub_id()}")

    assert (status, answer["message"]) == (400, "bad request")
    assert "game_id: required for this round (no entry of ours names its game)" in answer["details"]
    assert playhub_requests("/game-round-history") == []


def test_a_round_playhub_does_not_know_still_shows_ours(operator: Operator) -> None:
    game = session(operator, "p-unknown")
    round_id = playhub_id()
    Playhub().bet(game, "2.00", round_id=round_id)
    responses.post(f"{CORE}/game-round-history", status=404, json={"message": "round not found", "details": ""})

    status, shown = operator.call("GET", f"/players/p-unknown/rounds/{round_id}")

    assert (status, shown["playhub"]) == (200, None)
    assert "Playhub has no history for this round" in shown["playhub_note"]
    assert [e["action"] for e in shown["ledger"]] == ["bet"]


def test_every_wallet_of_the_player_is_searched_and_only_the_rounds_game_is_kept(operator: Operator) -> None:
    round_id = playhub_id()
    euro, dollar = session(operator, "p-multi"), session(operator, "p-multi", currency="USD")
    crash = session(operator, "p-multi", game_id="crash")
    Playhub().bet(dollar, "4.00", round_id=round_id)
    Playhub().bet(crash, "1.00", round_id=round_id)  # the same round id in another game: another round
    Playhub().bet(euro, "1.00")
    responses.post(f"{CORE}/game-round-history", json=playhub_round(round_id, currency="USD"))

    status, shown = operator.call("GET", f"/players/p-multi/rounds/{round_id}", query={"game_id": "ph_limbo_97"})

    assert status == 200
    assert sorted(shown["ledger_search"]["currencies"]) == ["EUR", "USD"]
    assert [(e["action"], e["amount"]) for e in shown["ledger"]] == [("bet", "4.00")]
    only_euro = operator.call(
        "GET", f"/players/p-multi/rounds/{round_id}", query={"game_id": "crash", "currency": "EUR"}
    )
    assert [e["amount"] for e in only_euro[1]["ledger"]] == ["1.00"]


def test_a_search_past_its_bound_says_it_is_incomplete(operator: Operator, backend: Backend) -> None:
    game = session(operator, "p-long")
    round_id = playhub_id()
    Playhub().bet(game, "1.00", round_id=round_id)
    for _ in range(3):
        Playhub().bet(game, "1.00")
    responses.post(f"{CORE}/game-round-history", json=playhub_round(round_id))
    rounds = Rounds(Accounts(AccountTable(backend.table)), operator.parts.core, max_scanned=2)

    view = rounds.show("p-long", round_id, "ph_limbo_97", None)

    assert (view.entries, view.scanned, view.complete) == ((), 2, False)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/players/p-bad/rounds/not-a-uuid", None),
        ("/players/p-bad/rounds/5b7e2f10-2c4d-4e8a-9b1c-3d5e7f9a1b2c", {"game_id": "bad game"}),
        ("/players/p-bad/rounds/5b7e2f10-2c4d-4e8a-9b1c-3d5e7f9a1b2c", {"currency": "eur"}),
    ],
)
def test_a_bad_round_request_is_400(operator: Operator, path: str, query: dict[str, str] | None) -> None:
    assert operator.call("GET", path, query=query)[0] == 400


# A campaign, live -------------------------------------------------------------------------

CAMPAIGN = {
    "external_id": "live-1",
    "game_id": "ph_limbo_97",
    "currency": "EUR",
    "quantity": 10,
    "bet_line": 2,
    "valid_from": "2099-01-01T00:00:00Z",
    "user_ids": ["p-a", "p-b"],
}


def playhub_campaign(**changes: Any) -> dict[str, Any]:
    return {
        "id": FRC_ID,
        "external_id": "live-1",
        "cid": CID,
        "game_id": "ph_limbo_97",
        "currency": "EUR",
        "quantity": 10,
        "bet_line": 2,
        "valid_from": "2099-01-01T00:00:00Z",
        "user_ids": ["p-b", "p-a"],  # another order is the same set of players
        **changes,
    }


@pytest.fixture
def campaign(operator: Operator) -> dict[str, Any]:
    responses.post(f"{CORE}/free-rounds", json={"id": FRC_ID, "external_id": "live-1"})
    status, created = operator.call("POST", "/campaigns", CAMPAIGN)
    assert status == 201, created
    return dict(created)


def test_a_live_campaign_that_matches_ours_shows_no_differences(operator: Operator, campaign: dict[str, Any]) -> None:
    responses.get(f"{CORE}/free-rounds", json=playhub_campaign())

    status, shown = operator.call("GET", "/campaigns/live-1", query={"live": "true"})

    assert status == 200
    assert shown["differences"] == []
    assert shown["playhub"]["id"] == FRC_ID
    assert (shown["status"], shown["face_value"]) == ("active", "12.00")


def test_a_campaign_changed_at_playhub_shows_where_it_differs(operator: Operator, campaign: dict[str, Any]) -> None:
    responses.get(
        f"{CORE}/free-rounds",
        json=playhub_campaign(deleted_at="2099-01-02T00:00:00Z", user_ids=["p-a"], valid_until="2099-03-01T00:00:00Z"),
    )

    status, shown = operator.call("GET", "/campaigns/live-1", query={"live": "true"})

    assert status == 200
    assert shown["playhub"]["deleted_at"] == "2099-01-02T00:00:00Z"
    assert shown["differences"] == [
        {"field": "status", "ours": "active", "playhub": "cancelled"},
        {"field": "user_ids", "ours": ["p-a", "p-b"], "playhub": ["p-a"]},
        {"field": "valid_until", "ours": None, "playhub": "2099-03-01T00:00:00Z"},
    ]
    sent = responses.calls[-1].request
    assert sent.method == "GET"
    assert f"id={FRC_ID}" in str(sent.url)
    assert operator.call("GET", "/campaigns/live-1")[1].get("differences") is None  # not asked: not called


def test_live_must_be_true_or_false(operator: Operator, campaign: dict[str, Any]) -> None:
    assert operator.call("GET", "/campaigns/live-1", query={"live": "maybe"})[0] == 400
