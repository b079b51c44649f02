"""The operator's API through its handlers: launch, transfers, history, blocking, campaigns.

Runs on moto and DynamoDB Local; Playhub's Core API is recorded with responses.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
import requests
import responses
from conftest import Backend
from integration.test_case_table import emitted_metrics
from support import dynamo_items
from support.harness import Playhub
from support.iam import actions_sent, allowed, refused, writes_sent
from support.operator import CID, CORE, GAME_SESSION, Operator, playhub_requests, use_operator_runtime

from playhub_wallet.playhub_requests import playhub_id
from playhub_wallet.state import WalletKey

# Launch ----------------------------------------------------------------------------------


def test_launch_creates_a_session_and_a_wallet_and_playhub_gets_our_session_id(
    operator: Operator, backend: Backend
) -> None:
    status, launched = operator.launch("p-launch", nickname="Ace", return_url="https://casino.test/lobby")

    assert status == 200, launched
    assert (launched["game_url"], launched["game_session_id"]) == ("https://games.test/play?t=1", GAME_SESSION)
    sent = playhub_requests("/game-create-new")[-1]
    assert sent["sessionid"] == launched["session_id"]
    assert (sent["cid"], sent["providerid"], sent["locale"], sent["extcid"]) == (CID, "playhub", "en_us", "casino-7")
    assert sent["user"] == {"id": "p-launch", "nickname": "Ace"}
    session = dynamo_items.get_session(backend.table, launched["session_id"])
    assert session is not None
    assert (session.status, session.player_id, session.currency) == ("active", "p-launch", "EUR")
    assert backend.view.wallet(WalletKey("p-launch", "EUR")).balance == 0


def test_a_launched_session_plays_after_a_deposit(operator: Operator) -> None:
    _, launched = operator.launch("p-play")
    operator.deposit("p-play", "50.00", "dep-1")

    bet = Playhub().bet(launched["session_id"], "5.00")

    assert (bet.status, bet.body["balance"]) == (200, "45.00")


def test_the_empty_wallet_a_launch_creates_holds_only_its_name_yet_blocks_with_the_player_and_then_plays(
    operator: Operator, backend: Backend
) -> None:
    """Launch's IAM policy lets it write a wallet's identity and nothing else (template.yaml): no
    balance, no version. Blocking still reaches the wallet, and the first money moves from version 0."""
    _, launched = operator.launch("p-empty")
    key = {"pk": {"S": "PLAYER#p-empty"}, "sk": {"S": "WALLET#EUR"}}
    item = backend.client.get_item(TableName=backend.table_name, Key=key, ConsistentRead=True)["Item"]
    assert set(item) == {"pk", "sk", "entity", "player_id", "currency"}
    shown = operator.call("GET", "/players/p-empty/wallets")[1]["wallets"]
    assert shown == [{"currency": "EUR", "balance": "0.00", "blocked": False}]

    assert operator.call("PUT", "/players/p-empty/block", {"blocked": True})[1]["wallets"] == ["EUR"]
    refused = Playhub().bet(launched["session_id"], "0.00")
    assert (refused.status, refused.body["message"]) == (400, "unauthorized")
    operator.call("PUT", "/players/p-empty/block", {"blocked": False})

    win = Playhub().win(launched["session_id"], "2.00", round_id=playhub_id())  # its first money: version 0
    assert (win.status, win.body["balance"]) == (200, "2.00")
    assert operator.launch("p-empty")[0] == 200  # a second launch leaves the wallet as it is
    assert operator.call("GET", "/players/p-empty/wallets")[1]["wallets"][0]["balance"] == "2.00"


def test_a_demo_launch_creates_no_session(operator: Operator) -> None:
    status, launched = operator.launch("p-demo", demo=True)

    assert (status, launched["session_id"]) == (200, None)
    sent = playhub_requests("/game-create-new")[-1]
    assert sent["demo"] is True
    assert "sessionid" not in sent
    assert "user" not in sent


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        ({"status": 500, "json": {"message": "boom", "details": ""}}, 502),
        ({"status": 401, "json": {"message": "wrong signature", "details": ""}}, 502),
        ({"status": 404, "json": {"message": "game not found", "details": ""}}, 404),
        ({"status": 409, "json": {"message": "session exists", "details": ""}}, 409),
        ({"body": requests.exceptions.ReadTimeout("slow")}, 504),
    ],
)
def test_a_launch_playhub_refuses_marks_the_session_failed(
    operator: Operator, backend: Backend, failure: dict[str, Any], status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    responses.replace(responses.POST, f"{CORE}/game-create-new", **failure)

    answer_status, answer = operator.launch("p-fail")

    assert answer_status == status
    assert set(answer) == {"message", "details"}
    session_id = playhub_requests("/game-create-new")[-1]["sessionid"]
    session = dynamo_items.get_session(backend.table, session_id)
    assert session is not None
    assert session.status == "failed"
    assert Playhub().bet(session_id, "0").status == 404
    server_errors = emitted_metrics(capsys.readouterr().out).get("ServerErrors")
    assert server_errors == ([1.0] if status >= 500 else None)  # what OperatorServerErrorsAlarm watches


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"player_id": "p#1", "game_id": "g", "currency": "EUR", "locale": "en"},
        {"player_id": "p", "game_id": "g", "currency": "EUR", "locale": "english!"},
        {"player_id": "p", "game_id": "g", "currency": "EUR", "locale": "en", "x": 1},
        "not json",
    ],
)
def test_a_bad_launch_request_is_400_and_calls_nobody(operator: Operator, body: Any) -> None:
    status, answer = operator.call("POST", "/games/launch", body)

    assert (status, answer["message"]) == (400, "bad request")
    assert playhub_requests("/game-create-new") == []


# Transfers -------------------------------------------------------------------------------


def test_a_deposit_replayed_with_its_reference_lands_once(operator: Operator, backend: Backend) -> None:
    first = operator.deposit("p-dep", "25.50", "wire-1")
    again = operator.deposit("p-dep", "25.50", "wire-1")

    assert first[0] == again[0] == 200
    assert (first[1]["replayed"], again[1]["replayed"]) == (False, True)
    assert again[1]["tx_id"] == first[1]["tx_id"]
    assert backend.view.wallet(WalletKey("p-dep", "EUR")).balance == Decimal("25.50")


def test_a_reference_reused_for_another_amount_is_409(operator: Operator) -> None:
    operator.deposit("p-ref", "10.00", "wire-2")
    status, answer = operator.deposit("p-ref", "11.00", "wire-2")

    assert (status, answer["message"]) == (409, "conflict")


def test_a_withdrawal_from_an_unknown_player_or_wallet_is_404_not_insufficient_funds(
    operator: Operator, backend: Backend
) -> None:
    operator.deposit("p-known", "5.00", "known-1")
    out = {"amount": "1.00", "reference": "out-1"}

    unknown = operator.call("POST", "/players/p-nobody/wallets/EUR/withdrawals", out)
    other_currency = operator.call("POST", "/players/p-known/wallets/USD/withdrawals", out)

    assert unknown == (404, {"message": "player not found", "details": "p-nobody has no EUR wallet"})
    assert other_currency[1]["message"] == "player not found"
    assert backend.accounts.wallets("p-nobody") == []


def test_a_reference_is_unique_across_players_as_documented(operator: Operator) -> None:
    assert operator.deposit("p-one", "5.00", "wire-shared")[0] == 200
    assert operator.deposit("p-two", "5.00", "wire-shared")[0] == 409


def test_withdrawals_keep_the_balance_at_or_above_zero(operator: Operator, backend: Backend) -> None:
    operator.deposit("p-wd", "10.00", "in-1")
    path = "/players/p-wd/wallets/EUR/withdrawals"

    too_much = operator.call("POST", path, {"amount": "10.01", "reference": "out-1"})
    exact = operator.call("POST", path, {"amount": "10.00", "reference": "out-2"})
    replay = operator.call("POST", path, {"amount": "10.00", "reference": "out-2"})

    assert (too_much[0], too_much[1]["message"]) == (400, "insufficient funds")
    assert (exact[0], exact[1]["balance"], replay[1]["tx_id"]) == (200, "0.00", exact[1]["tx_id"])
    assert backend.view.wallet(WalletKey("p-wd", "EUR")).balance == 0


@pytest.mark.parametrize(
    "body",
    [
        {"amount": "0", "reference": "r"},
        {"amount": "-5", "reference": "r"},
        {"amount": "1.001", "reference": "r"},
        {"amount": 5, "reference": "r"},
        {"amount": "5.00"},
        {"amount": "5.00", "reference": "has space"},
    ],
)
def test_bad_transfers_are_400(operator: Operator, body: dict[str, Any]) -> None:
    status, answer = operator.call("POST", "/players/p-bad/wallets/EUR/deposits", body)
    assert (status, answer["message"]) == (400, "bad request")


def test_wallets_lists_every_currency_of_a_player(operator: Operator) -> None:
    operator.deposit("p-multi", "5.00", "a")
    operator.deposit("p-multi", "0.5", "b", currency="BTC")

    status, answer = operator.call("GET", "/players/p-multi/wallets")

    assert status == 200
    assert sorted((w["currency"], w["balance"]) for w in answer["wallets"]) == [("BTC", "0.50000000"), ("EUR", "5.00")]


# History ---------------------------------------------------------------------------------


def test_history_pages_newest_first_without_gaps(operator: Operator) -> None:
    for n in range(1, 24):
        operator.deposit("p-hist", f"{n}.00", f"dep-{n}")
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        query = {"limit": "10", **({"cursor": cursor} if cursor else {})}
        status, page = operator.call("GET", "/players/p-hist/wallets/EUR/transactions", query=query)
        assert status == 200
        seen += [entry["seq"] for entry in page["transactions"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break

    assert pages == 3
    assert seen == list(range(23, 0, -1))
    status, first = operator.call("GET", "/players/p-hist/wallets/EUR/transactions", query={"limit": "1"})
    assert first["transactions"][0]["balance_after"] == str(sum(range(1, 24))) + ".00"


def test_a_cursor_only_works_for_its_own_wallet(operator: Operator) -> None:
    for n in range(3):
        operator.deposit("p-cur", "1.00", f"c-{n}")
    _, page = operator.call("GET", "/players/p-cur/wallets/EUR/transactions", query={"limit": "1"})

    other = operator.call("GET", "/players/p-other/wallets/EUR/transactions", query={"cursor": page["next_cursor"]})
    garbage = operator.call("GET", "/players/p-cur/wallets/EUR/transactions", query={"cursor": "bm90LWEtY3Vyc29y"})
    bad_limit = operator.call("GET", "/players/p-cur/wallets/EUR/transactions", query={"limit": "1000"})

    assert [other[0], garbage[0], bad_limit[0]] == [400, 400, 400]


# Blocking --------------------------------------------------------------------------------


def test_a_blocked_player_cannot_bet_or_launch_but_wins_and_refunds_land(operator: Operator) -> None:
    _, launched = operator.launch("p-block")
    operator.deposit("p-block", "20.00", "fund")
    session_id = launched["session_id"]
    bet = Playhub().bet(session_id, "5.00")

    status, blocked = operator.call("PUT", "/players/p-block/block", {"blocked": True})

    assert (status, blocked["wallets"]) == (200, ["EUR"])
    refused = Playhub().bet(session_id, "1.00")
    assert (refused.status, refused.body["message"]) == (400, "unauthorized")
    assert Playhub().win(session_id, "7.00", round_id=bet.payload["round_id"]).body["balance"] == "22.00"
    assert Playhub().refund(session_id, bet.payload["tx_id"]).body["balance"] == "27.00"
    assert operator.launch("p-block")[0] == 403

    operator.call("PUT", "/players/p-block/block", {"blocked": False})
    assert Playhub().bet(session_id, "1.00").status == 200


# Catalogue and campaigns -----------------------------------------------------------------


def test_games_and_currencies_come_from_the_cached_catalogue_without_asking_playhub(operator: Operator) -> None:
    games = operator.call("GET", "/games")[1]
    currencies = operator.call("GET", "/currencies")[1]
    status = operator.call("GET", "/catalogue")[1]

    assert [game["id"] for game in games] == ["crash", "ph_dice_97", "ph_limbo_97", "ph_moneyrocket_97"]
    assert games[2]["locales"] == "en,de,es,fr,pt_br"
    assert {c["code"]: c["decimal_places_used"] for c in currencies}["KWD"] == 3
    assert (status["currencies"]["count"], status["games"]["count"]) == (10, 4)
    assert [
        call.request.url for call in responses.calls
    ] == []  # GET /games takes 10-20 s: never on an operator's or a launch's path


CAMPAIGN = {
    "external_id": "spring-1",
    "game_id": "ph_limbo_97",
    "currency": "EUR",
    "quantity": 10,
    "bet_line": 1,
    "valid_from": "2099-01-01T00:00:00Z",
    "user_ids": ["p-frc"],
}
FRC_ID = "7d6c5b4a-3f2e-4d1c-9b8a-7f6e5d4c3b2a"


def test_a_campaign_is_created_traced_extended_and_cancelled(operator: Operator) -> None:
    responses.post(f"{CORE}/free-rounds", json={"id": FRC_ID, "external_id": "spring-1"})
    responses.put(f"{CORE}/free-rounds", json={"id": FRC_ID, "external_id": "spring-1"})
    responses.post(f"{CORE}/free-rounds/cancel", json={"id": FRC_ID, "external_id": "spring-1"})

    created = operator.call("POST", "/campaigns", CAMPAIGN)
    repeated = operator.call("POST", "/campaigns", CAMPAIGN)
    traced = operator.call("GET", f"/campaigns/by-frc/{FRC_ID}")
    extended = operator.call("PUT", "/campaigns/spring-1", {"valid_until": "2099-02-01T00:00:00Z"})
    cancelled = operator.call("POST", "/campaigns/spring-1/cancel")

    assert (created[0], created[1]["playhub_id"], created[1]["status"]) == (201, FRC_ID, "active")
    assert (repeated[0], repeated[1]) == (200, created[1])
    assert playhub_requests("/free-rounds")[-1]["external_cid"] == "casino-7"
    assert len(playhub_requests("/free-rounds")) == 1  # the repeat did not create twice
    assert traced[1]["external_id"] == "spring-1"
    assert extended[1]["valid_until"] == "2099-02-01T00:00:00Z"
    assert playhub_requests("/free-rounds/cancel")[-1] == {"cid": CID, "id": FRC_ID}
    assert cancelled[1]["status"] == "cancelled"
    assert operator.call("GET", "/campaigns/spring-1")[1]["status"] == "cancelled"


def test_without_a_casino_id_a_launch_leaves_it_out_and_a_campaign_is_refused_before_playhub(
    operator: Operator, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PLAYHUB_EXTCID unset: never our own Playhub cid in its place. extcid is optional at game
    creation, so it is left out; a campaign's external_cid is required by Playhub's schema, so a
    campaign cannot be created until the stack names our casino (a 503 that says how)."""
    use_operator_runtime(monkeypatch, backend, extcid=None)

    launched = operator.launch("p-noext")
    refused = operator.call("POST", "/campaigns", CAMPAIGN)

    assert launched[0] == 200
    sent = playhub_requests("/game-create-new")[-1]
    assert "extcid" not in sent
    assert [name for name, value in sent.items() if value == CID] == ["cid"]
    assert (refused[0], refused[1]["message"]) == (503, "not configured")
    assert "PlayhubExternalClientId" in refused[1]["details"]
    assert playhub_requests("/free-rounds") == []
    assert backend.campaigns.campaign("spring-1") is None


def test_a_campaign_id_reused_for_another_campaign_is_409(operator: Operator) -> None:
    responses.post(f"{CORE}/free-rounds", json={"id": FRC_ID, "external_id": "spring-1"})
    operator.call("POST", "/campaigns", CAMPAIGN)

    status, answer = operator.call("POST", "/campaigns", {**CAMPAIGN, "quantity": 50})

    assert (status, answer["message"]) == (409, "conflict")


def test_a_campaign_playhub_has_but_we_never_recorded_is_adopted(operator: Operator) -> None:
    responses.post(f"{CORE}/free-rounds", status=409, json={"message": "already exists", "details": ""})
    responses.get(
        f"{CORE}/free-rounds",
        json={
            "id": FRC_ID,
            "external_id": "spring-1",
            "cid": CID,
            "game_id": "ph_limbo_97",
            "currency": "EUR",
            "quantity": 10,
            "bet_line": 1,
            "valid_from": "2099-01-01T00:00:00Z",
        },
    )

    status, adopted = operator.call("POST", "/campaigns", CAMPAIGN)

    assert (status, adopted["playhub_id"]) == (201, FRC_ID)
    assert operator.call("GET", f"/campaigns/by-frc/{FRC_ID}")[0] == 200


def test_repeating_a_landed_create_after_valid_from_passed_answers_the_campaign(
    operator: Operator, backend: Backend
) -> None:
    responses.post(f"{CORE}/free-rounds", json={"id": FRC_ID, "external_id": "spring-1"})
    operator.call("POST", "/campaigns", {**CAMPAIGN, "valid_from": "2099-01-01T00:00:00Z"})
    recorded = backend.campaigns.campaign("spring-1")
    assert recorded is not None
    backend.campaigns.put_campaign(replace(recorded, valid_from="2020-01-01T00:00:00Z"))

    status, answer = operator.call("POST", "/campaigns", {**CAMPAIGN, "valid_from": "2020-01-01T00:00:00Z"})

    assert (status, answer["playhub_id"]) == (200, FRC_ID)


@pytest.mark.parametrize("change", [{"valid_from": "2099-02-01T00:00:00Z"}, {"game_id": "crash"}, {"bet_line": 2}])
def test_the_same_external_id_for_another_campaign_is_409(operator: Operator, change: dict[str, Any]) -> None:
    responses.post(f"{CORE}/free-rounds", json={"id": FRC_ID, "external_id": "spring-1"})
    operator.call("POST", "/campaigns", CAMPAIGN)

    assert operator.call("POST", "/campaigns", {**CAMPAIGN, **change})[0] == 409


@pytest.mark.parametrize(
    "cursor", ["eyJwayI6IiIsInNrIjoiIiwiaGlzdG9yeV9wayI6IldBTExFVCNwLWN1ciNFVVIiLCJoaXN0b3J5X3NrIjoiIn0"]
)
def test_a_forged_cursor_for_the_right_wallet_is_400_not_500(operator: Operator, cursor: str) -> None:
    operator.deposit("p-cur", "1.00", "c-1")
    status, answer = operator.call("GET", "/players/p-cur/wallets/EUR/transactions", query={"cursor": cursor})
    assert (status, answer["message"]) == (400, "bad request")


def test_a_campaign_starting_in_the_past_is_400_and_unknown_ones_404(operator: Operator) -> None:
    assert operator.call("POST", "/campaigns", {**CAMPAIGN, "valid_from": "2020-01-01T00:00:00Z"})[0] == 400
    assert operator.call("GET", "/campaigns/nope")[0] == 404
    assert operator.call("GET", "/no/such/route")[0] == 404


def test_the_launch_and_operator_policies_allow_every_table_action_they_send(
    operator: Operator, backend: Backend
) -> None:
    """moto enforces no IAM: each request's IAM actions are checked against the function's policy,
    and launch's writes against the partitions and attributes its policy allows it."""
    with actions_sent(backend.client) as launch_actions, writes_sent(backend.client) as launch_writes:
        assert operator.launch("p-iam")[0] == 200
        assert operator.launch("p-iam")[0] == 200  # the wallet is there now: left as it is
    with actions_sent(backend.client) as operator_actions:
        assert operator.deposit("p-iam", "10.00", "iam-in")[0] == 200
        assert (
            operator.call("POST", "/players/p-iam/wallets/EUR/withdrawals", {"amount": "1", "reference": "o"})[0] == 200
        )
        assert operator.call("GET", "/players/p-iam/wallets")[0] == 200
        assert operator.call("GET", "/players/p-iam/wallets/EUR/transactions")[0] == 200
        assert operator.call("PUT", "/players/p-iam/block", {"blocked": True})[0] == 200
        assert operator.call("PUT", "/legal-bets/EUR/games/ph_limbo_97", {"lines": "1.00:2.00"})[0] == 200
        assert operator.call("GET", "/legal-bets")[0] == 200
        assert operator.call("GET", "/legal-bets/EUR/games/ph_crash_96")[0] == 200
        responses.post(f"{CORE}/game-round-history", status=404, json={"message": "not found", "details": ""})
        round_path = "/players/p-iam/rounds/5b7e2f10-2c4d-4e8a-9b1c-3d5e7f9a1b2c"
        assert operator.call("GET", round_path, query={"game_id": "ph_limbo_97"})[0] == 200

    assert launch_actions <= allowed("LaunchFunction"), sorted(launch_actions - allowed("LaunchFunction"))
    assert {pk.split("#")[0] for write in launch_writes for pk in write.leading_keys} == {"SESSION", "PLAYER"}
    assert refused("LaunchFunction", launch_writes) == []
    assert operator_actions <= allowed("OperatorFunction"), sorted(operator_actions - allowed("OperatorFunction"))
