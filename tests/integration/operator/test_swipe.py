"""Swipe Games through the operator's routes (SWIPE.md §7, §9): launches and free-rounds campaigns
with `provider: swipe`, checked against Swipe's cached game list and its bet lines.

Runs on moto and DynamoDB Local; Swipe's Core API is recorded with responses (the local stub's
game list, devtools/swipe_core_api_stub.py), Playhub's as in the other operator tests.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import requests
import responses
from conftest import Backend
from support import dynamo_items
from support.iam import actions_sent, allowed, refused, writes_sent
from support.operator import Operator, playhub_requests, use_operator_runtime

from devtools.swipe_core_api_stub import GAMES
from playhub_wallet.dynamodb.keys import session_key
from playhub_wallet.operator_runtime import OperatorRuntime
from playhub_wallet.settings import SwipeCoreApiSettings
from playhub_wallet.state import WalletKey
from playhub_wallet.swipe_signing import SIGNATURE_HEADER, query_signature, sign

SWIPE = "https://swipe.test/api/v1"
SWIPE_CID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"
SWIPE_EXTCID = "brand-7"
SWIPE_KEY = "swipe-api-key"
GS_ID = "1b2c3d4e-5f60-4718-92a3-b4c5d6e7f809"
SWIPE_ID = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
# The stub's list, and a game in a currency whose decimal places this stack does not know.
LISTED = [*GAMES, {**copy.deepcopy(GAMES[1]), "id": "sg_gold_95", "currencies": ["XAU"]}]


def swipe_requests(path: str, method: str = "POST") -> list[dict[str, Any]]:
    """Bodies of the requests Swipe's Core API received at path (signature checked)."""
    bodies = []
    for call in responses.calls:
        request = call.request
        if request.method == method and str(request.url).startswith(SWIPE + path):
            assert isinstance(request.body, bytes)
            assert request.headers[SIGNATURE_HEADER] == sign(SWIPE_KEY, request.body)
            bodies.append(json.loads(request.body))
    return bodies


@pytest.fixture
def swipe(operator: Operator, backend: Backend, monkeypatch: pytest.MonkeyPatch) -> OperatorRuntime:
    """The operator's routes on a stack that serves Swipe, its game list loaded as the catalogue
    function loads it."""
    settings = SwipeCoreApiSettings(
        swipe_core_url=SWIPE, swipe_cid=SWIPE_CID, swipe_extcid=SWIPE_EXTCID, swipe_api_keys=SWIPE_KEY
    )
    parts = use_operator_runtime(monkeypatch, backend, swipe=settings)
    assert parts.swipe is not None
    responses.get(f"{SWIPE}/games", json=LISTED)
    assert parts.swipe.catalogue.refresh() == (3, 0)
    responses.post(f"{SWIPE}/create-new-game", json={"gameURL": f"https://launcher.test/?gsID={GS_ID}", "gsID": GS_ID})
    responses.post(f"{SWIPE}/free-rounds", json={"id": SWIPE_ID, "extID": "sw-spring-1"})
    responses.delete(f"{SWIPE}/free-rounds", body=b"")
    return parts


def launch(operator: Operator, player_id: str, **fields: Any) -> tuple[int, Any]:
    body = {"provider": "swipe", "game_id": "sg_catch_97", "platform": "desktop", "locale": "en-US", **fields}
    return operator.launch(player_id, **body)


def nothing_written_for(backend: Backend, player_id: str) -> bool:
    return backend.accounts.wallets(player_id) == [] and dynamo_items.sessions_of(backend.table, player_id) == []


# The game list ------------------------------------------------------------------------------


def test_the_game_list_is_fetched_signed_with_its_bet_lines_and_gzip(swipe: OperatorRuntime) -> None:
    (call,) = [c for c in responses.calls if c.request.method == "GET"]
    query = {"cID": SWIPE_CID, "extCID": SWIPE_EXTCID}
    assert call.request.url == f"{SWIPE}/games?cID={SWIPE_CID}&extCID={SWIPE_EXTCID}"  # no excludeBetLines
    assert call.request.headers[SIGNATURE_HEADER] == query_signature(SWIPE_KEY, query)
    assert call.request.headers["Accept-Encoding"] == "gzip"
    assert swipe.swipe is not None
    catch = swipe.swipe.catalogue.game("sg_catch_97")
    assert [str(line) for line in catch.bet_lines["EUR"]] == ["0.50:10.00", "1.00:10.00", "2.00:20.00"]
    assert "GBP" not in catch.bet_lines


def test_a_game_swipe_no_longer_lists_is_dropped_and_an_empty_list_keeps_the_cached_one(
    swipe: OperatorRuntime,
) -> None:
    assert swipe.swipe is not None
    responses.replace(responses.GET, f"{SWIPE}/games", json=LISTED[:1])
    assert swipe.swipe.catalogue.refresh() == (1, 2)
    responses.replace(responses.GET, f"{SWIPE}/games", json=[])
    with pytest.raises(Exception, match="Swipe listed no games"):
        swipe.swipe.catalogue.refresh()
    assert [game.id for game in swipe.swipe.catalogue.games()] == ["sg_catch_97"]


# Launch -----------------------------------------------------------------------------------


def test_a_swipe_launch_opens_a_swipe_session_and_swipe_gets_our_session_and_extcid(
    operator: Operator, swipe: OperatorRuntime, backend: Backend
) -> None:
    status, launched = launch(operator, "p-sw", nickname="Ace", country="DE", return_url="https://casino.test/lobby")

    assert status == 200, launched
    assert (launched["game_url"], launched["game_session_id"]) == (f"https://launcher.test/?gsID={GS_ID}", GS_ID)
    assert launched["session_id"].startswith("sw1.")
    (sent,) = swipe_requests("/create-new-game")
    assert sent == {
        "cID": SWIPE_CID,
        "extCID": SWIPE_EXTCID,
        "gameID": "sg_catch_97",
        "demo": False,
        "platform": "desktop",
        "currency": "EUR",
        "locale": "en_us",
        "sessionID": launched["session_id"],
        "returnURL": "https://casino.test/lobby",
        "user": {"id": "p-sw", "nickName": "Ace", "country": "DE"},
    }
    session = dynamo_items.get_session(backend.table, launched["session_id"])
    assert session is not None
    assert (session.status, session.player_id, session.currency, session.game_id) == (
        "active",
        "p-sw",
        "EUR",
        "sg_catch_97",
    )
    item = backend.table.get(session_key(launched["session_id"]))
    assert item is not None
    assert item["game_session_id"] == GS_ID
    assert backend.view.wallet(WalletKey("p-sw", "EUR")).balance == 0
    assert playhub_requests("/game-create-new") == []  # Playhub never hears of it


def test_a_swipe_demo_launch_opens_no_session(operator: Operator, swipe: OperatorRuntime, backend: Backend) -> None:
    status, launched = launch(operator, "p-sw-demo", demo=True, platform="mobile")

    assert (status, launched["session_id"], launched["game_session_id"]) == (200, None, GS_ID)
    (sent,) = swipe_requests("/create-new-game")
    assert (sent["demo"], sent["platform"]) == (True, "mobile")
    assert "sessionID" not in sent
    assert "user" not in sent
    assert nothing_written_for(backend, "p-sw-demo")


@pytest.mark.parametrize(
    ("fields", "details"),
    [
        ({"game_id": "no_such_game"}, "game_id: no_such_game is not in Swipe's game list"),
        ({"game_id": "ph_limbo_97"}, "game_id: ph_limbo_97 is not in Swipe's game list"),  # Playhub's game
        ({"locale": "fr"}, "locale: fr is not a locale of sg_catch_97 at Swipe (it lists en, en_us, de, pt_br)"),
        ({"game_id": "sg_plinko_96", "locale": "en", "platform": "mobile"}, "platform: sg_plinko_96 is not offered"),
        ({"currency": "JPY"}, "currency: sg_catch_97 is not offered in JPY at Swipe"),
        ({"game_id": "sg_gold_95", "locale": "en", "currency": "XAU"}, "currency: the decimal places of XAU"),
        ({"platform": None}, "platform: required for a swipe game"),
    ],
)
def test_a_swipe_launch_outside_swipes_list_is_400_before_anything_is_written(
    operator: Operator, swipe: OperatorRuntime, backend: Backend, fields: dict[str, Any], details: str
) -> None:
    body = {name: value for name, value in fields.items() if value is not None}
    request = {"provider": "swipe", "game_id": "sg_catch_97", "platform": "desktop", "locale": "en-US", **body}
    if fields.get("platform", "") is None:
        del request["platform"]

    status, answer = operator.launch("p-sw-out", **request)

    assert (status, answer["message"]) == (400, "bad request")
    assert answer["details"].startswith(details), answer["details"]
    assert swipe_requests("/create-new-game") == []
    assert nothing_written_for(backend, "p-sw-out")


@pytest.mark.parametrize(
    ("failure", "status"),
    [
        ({"status": 500, "json": {"message": "boom"}}, 502),
        ({"status": 401, "json": {"message": "wrong signature"}}, 502),
        ({"status": 400, "json": {"message": "locale", "code": "locale_not_supported"}}, 502),
        ({"body": requests.exceptions.ConnectionError("refused")}, 502),
        ({"body": requests.exceptions.ReadTimeout("slow")}, 504),
    ],
)
def test_a_swipe_launch_swipe_refuses_or_never_answers_marks_the_session_failed(
    operator: Operator, swipe: OperatorRuntime, backend: Backend, failure: dict[str, Any], status: int
) -> None:
    responses.replace(responses.POST, f"{SWIPE}/create-new-game", **failure)

    answer_status, answer = launch(operator, "p-sw-fail")

    assert answer_status == status
    assert set(answer) == {"message", "details"}
    session_id = swipe_requests("/create-new-game")[-1]["sessionID"]
    session = dynamo_items.get_session(backend.table, session_id)
    assert session is not None
    assert session.status == "failed"
    if "json" in failure and failure["json"].get("code"):
        assert "locale_not_supported" in answer["details"]


def test_a_blocked_player_cannot_launch_a_swipe_game(operator: Operator, swipe: OperatorRuntime) -> None:
    operator.deposit("p-sw-blocked", "1.00", "sw-b-1")
    operator.call("PUT", "/players/p-sw-blocked/block", {"blocked": True})

    assert launch(operator, "p-sw-blocked")[0] == 403
    assert swipe_requests("/create-new-game") == []


def test_a_playhub_launch_on_a_swipe_stack_is_playhubs_as_before(operator: Operator, swipe: OperatorRuntime) -> None:
    status, launched = operator.launch("p-ph")

    assert status == 200
    assert launched["session_id"].startswith("ph1.")
    assert swipe_requests("/create-new-game") == []
    assert playhub_requests("/game-create-new")[-1]["sessionid"] == launched["session_id"]


# Campaigns --------------------------------------------------------------------------------

CAMPAIGN = {
    "provider": "swipe",
    "external_id": "sw-spring-1",
    "game_id": "sg_catch_97",
    "currency": "USD",
    "quantity": 10,
    "bet_line": 3,
    "valid_from": "2099-01-01T00:00:00Z",
    "valid_until": "2099-01-31T00:00:00Z",
    "user_ids": ["p-frc"],
}


def test_a_swipe_campaign_is_checked_against_its_bet_line_created_by_extid_and_keeps_its_exposure(
    operator: Operator, swipe: OperatorRuntime, backend: Backend
) -> None:
    created = operator.call("POST", "/campaigns", CAMPAIGN)
    repeated = operator.call("POST", "/campaigns", CAMPAIGN)

    assert created[0] == 201, created
    (sent,) = swipe_requests("/free-rounds")  # the repeat did not call Swipe again
    assert sent == {
        "cID": SWIPE_CID,
        "extCID": SWIPE_EXTCID,
        "extID": "sw-spring-1",
        "currency": "USD",
        "quantity": 10,
        "betLine": 3,
        "validFrom": "2099-01-01T00:00:00.000Z",
        "validUntil": "2099-01-31T00:00:00.000Z",
        "gameIDs": ["sg_catch_97"],
        "userIDs": ["p-frc"],
    }
    view = created[1]
    assert (view["provider"], view["playhub_id"], view["status"]) == ("swipe", SWIPE_ID, "active")
    assert view["bet_value"] == {"max_bet": "2.00", "max_target_multiplier": "5.00"}  # line 3 of USD
    assert (view["face_value"], view["exposure"]) == ("20.00", "100.00")  # 10 x 2.00; x 5.00
    assert (repeated[0], repeated[1]) == (200, view)
    recorded = backend.campaigns.campaign("sw-spring-1")  # what a callback's frID finds
    assert recorded is not None
    assert (recorded.provider, recorded.exposure, recorded.bet_value) == ("swipe", "100.0000", "2.00:5.00")
    assert operator.call("GET", "/campaigns/sw-spring-1")[1] == view


@pytest.mark.parametrize(
    ("change", "details"),
    [
        ({"bet_line": 7}, "bet_line: sg_catch_97 has bet lines 1 to 6 in USD at Swipe"),
        ({"currency": "EUR", "bet_line": 4}, "bet_line: sg_catch_97 has bet lines 1 to 3 in EUR at Swipe"),
        ({"currency": "GBP"}, "currency: sg_catch_97 has no bet lines in GBP at Swipe"),
        ({"currency": "JPY"}, "currency: sg_catch_97 has no bet lines in JPY at Swipe"),
        ({"game_id": "sg_plinko_96"}, "game_id: sg_plinko_96 has no free spins at Swipe"),
        ({"game_id": "ph_limbo_97"}, "game_id: ph_limbo_97 is not in Swipe's game list"),
        ({"valid_until": "2099-02-01T00:00:01Z"}, "valid_until: a Swipe campaign lasts at most 30 days"),
        ({"valid_until": "2098-12-31T00:00:00Z"}, "valid_until: must be after valid_from"),
        ({"valid_from": "2020-01-01T00:00:00Z", "valid_until": None}, "valid_from: must be in the future"),
    ],
)
def test_a_swipe_campaign_outside_swipes_bet_lines_is_400_and_nothing_is_recorded(
    operator: Operator, swipe: OperatorRuntime, backend: Backend, change: dict[str, Any], details: str
) -> None:
    status, answer = operator.call("POST", "/campaigns", {**CAMPAIGN, **change})

    assert (status, answer["message"], answer["details"]) == (400, "bad request", details)
    assert swipe_requests("/free-rounds") == []
    assert backend.campaigns.campaign("sw-spring-1") is None


def test_a_campaign_whose_create_answer_was_lost_is_confirmed_by_our_pending_record_on_swipes_409(
    operator: Operator, swipe: OperatorRuntime, backend: Backend
) -> None:
    responses.replace(responses.POST, f"{SWIPE}/free-rounds", body=requests.exceptions.ReadTimeout("slow"))
    lost = operator.call("POST", "/campaigns", CAMPAIGN)
    recorded = backend.campaigns.campaign("sw-spring-1")
    responses.replace(responses.POST, f"{SWIPE}/free-rounds", status=409, json={"message": "already exists"})
    again = operator.call("POST", "/campaigns", CAMPAIGN)

    assert lost[0] == 504
    assert recorded is not None
    assert recorded.status == "pending"
    assert (again[0], again[1]["status"], again[1]["playhub_id"]) == (201, "active", None)
    assert len(swipe_requests("/free-rounds")) == 2


def test_a_409_to_a_campaign_we_never_sent_before_is_a_conflict_and_stays_one(
    operator: Operator, swipe: OperatorRuntime, backend: Backend
) -> None:
    """No record of ours existed before this request: the campaign Swipe holds under the extID is
    not one we sent, so it is not taken for this one, and its extID can never be used at Swipe."""
    responses.replace(responses.POST, f"{SWIPE}/free-rounds", status=409, json={"message": "already exists"})

    first = operator.call("POST", "/campaigns", CAMPAIGN)
    again = operator.call("POST", "/campaigns", CAMPAIGN)
    cancel = operator.call("POST", "/campaigns/sw-spring-1/cancel")

    for status, answer in (first, again, cancel):
        assert (status, answer["message"]) == (409, "conflict")
    assert "never sent" in first[1]["details"]
    assert len(swipe_requests("/free-rounds")) == 1  # the repeat was not sent
    assert swipe_requests("/free-rounds", method="DELETE") == []  # never cancel a campaign not ours
    recorded = backend.campaigns.campaign("sw-spring-1")
    assert recorded is not None
    assert recorded.status == "rejected"


@pytest.mark.parametrize(
    "change",
    [
        {"quantity": 11},
        {"bet_line": 2},
        {"valid_until": "2099-01-30T00:00:00Z"},
        {"user_ids": ["p-other"]},
        {"provider": "playhub", "game_id": "ph_limbo_97", "currency": "EUR", "bet_line": 1},
    ],
)
def test_the_same_external_id_for_another_campaign_is_409(
    operator: Operator, swipe: OperatorRuntime, change: dict[str, Any]
) -> None:
    operator.call("POST", "/campaigns", CAMPAIGN)

    status, answer = operator.call("POST", "/campaigns", {**CAMPAIGN, **change})

    assert (status, answer["message"]) == (409, "conflict")
    assert len(swipe_requests("/free-rounds")) == 1


def test_a_swipe_campaign_is_cancelled_by_extid_once(operator: Operator, swipe: OperatorRuntime) -> None:
    operator.call("POST", "/campaigns", CAMPAIGN)

    cancelled = operator.call("POST", "/campaigns/sw-spring-1/cancel")
    repeated = operator.call("POST", "/campaigns/sw-spring-1/cancel")

    assert (cancelled[0], cancelled[1]["status"]) == (200, "cancelled")
    assert repeated == cancelled
    assert swipe_requests("/free-rounds", method="DELETE") == [
        {"cID": SWIPE_CID, "extCID": SWIPE_EXTCID, "extID": "sw-spring-1"}
    ]
    assert operator.call("GET", "/campaigns/sw-spring-1")[1]["status"] == "cancelled"


def test_a_campaign_swipe_does_not_know_is_cancelled_here_too(operator: Operator, swipe: OperatorRuntime) -> None:
    """A pending campaign Swipe never created, or a cancel whose first answer was lost: Swipe's 404
    means none of its rounds can start."""
    responses.replace(responses.POST, f"{SWIPE}/free-rounds", body=requests.exceptions.ReadTimeout("slow"))
    operator.call("POST", "/campaigns", CAMPAIGN)
    responses.replace(responses.DELETE, f"{SWIPE}/free-rounds", status=404, json={"message": "not found"})

    status, answer = operator.call("POST", "/campaigns/sw-spring-1/cancel")

    assert (status, answer["status"]) == (200, "cancelled")


def test_a_cancel_swipe_refuses_leaves_the_campaign_active(operator: Operator, swipe: OperatorRuntime) -> None:
    operator.call("POST", "/campaigns", CAMPAIGN)
    responses.replace(responses.DELETE, f"{SWIPE}/free-rounds", status=500, json={"message": "boom"})

    status, answer = operator.call("POST", "/campaigns/sw-spring-1/cancel")

    assert (status, answer["message"]) == (502, "Swipe refused the request")
    assert operator.call("GET", "/campaigns/sw-spring-1")[1]["status"] == "active"


@pytest.mark.parametrize(
    ("method", "path", "body", "query"),
    [
        ("PUT", "/campaigns/sw-spring-1", {"valid_until": "2099-01-20T00:00:00Z"}, None),
        ("PUT", "/campaigns/sw-spring-1", {"user_ids": ["p-2"]}, None),
        ("GET", "/campaigns/sw-spring-1", None, {"live": "true"}),
    ],
)
def test_swipe_cannot_change_or_read_back_a_campaign_so_we_do_not_pretend_to(
    operator: Operator,
    swipe: OperatorRuntime,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    query: dict[str, str] | None,
) -> None:
    created = operator.call("POST", "/campaigns", CAMPAIGN)[1]

    status, answer = operator.call(method, path, body, query)

    assert (status, answer["message"]) == (409, "not supported by the provider")
    assert "swipe campaign" in answer["details"]
    assert operator.call("GET", "/campaigns/sw-spring-1")[1] == created
    assert [call.request.method for call in responses.calls if str(call.request.url).startswith(SWIPE)] == [
        "GET",
        "POST",
    ]


def test_the_launch_operator_and_catalogue_policies_allow_what_swipe_sends(
    operator: Operator, swipe: OperatorRuntime, backend: Backend
) -> None:
    assert swipe.swipe is not None
    with actions_sent(backend.client) as refresh, writes_sent(backend.client) as refresh_writes:
        responses.replace(responses.GET, f"{SWIPE}/games", json=LISTED[:2])
        swipe.swipe.catalogue.refresh()
    with actions_sent(backend.client) as launch_actions, writes_sent(backend.client) as launch_writes:
        assert launch(operator, "p-sw-iam")[0] == 200
    with actions_sent(backend.client) as operator_actions:
        assert operator.call("POST", "/campaigns", CAMPAIGN)[0] == 201
        assert operator.call("POST", "/campaigns/sw-spring-1/cancel")[0] == 200

    assert refresh <= allowed("CatalogueFunction"), sorted(refresh - allowed("CatalogueFunction"))
    assert refused("CatalogueFunction", refresh_writes) == []
    assert {pk for write in refresh_writes for pk in write.leading_keys} >= {"CATALOGUE", "CATALOGUE#SWIPE#GAMES"}
    assert launch_actions <= allowed("LaunchFunction"), sorted(launch_actions - allowed("LaunchFunction"))
    assert refused("LaunchFunction", launch_writes) == []
    assert operator_actions <= allowed("OperatorFunction"), sorted(operator_actions - allowed("OperatorFunction"))


# A stack that does not serve Swipe ------------------------------------------------------------


def test_without_swipe_a_swipe_launch_or_campaign_is_503_not_configured_and_nothing_is_written(
    operator: Operator, backend: Backend
) -> None:
    launched = launch(operator, "p-no-sw")
    campaign = operator.call("POST", "/campaigns", CAMPAIGN)

    for status, answer in (launched, campaign):
        assert (status, answer["message"]) == (503, "not configured")
        assert "SwipeCoreUrl" in answer["details"]
    assert nothing_written_for(backend, "p-no-sw")
    assert backend.campaigns.campaign("sw-spring-1") is None
    assert not any(str(call.request.url).startswith(SWIPE) for call in responses.calls)


def test_an_unknown_provider_is_400(operator: Operator) -> None:
    status, answer = operator.launch("p-x", provider="acme")

    assert (status, answer["message"]) == (400, "bad request")
    assert answer["details"].startswith("provider:")
