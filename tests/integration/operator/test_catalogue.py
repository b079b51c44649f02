"""Currencies and games come from Playhub's catalogue (PLAYHUB.md §5), cached in our table.

A launch names a listed game, locale and currency, and a transfer a listed currency, or it is a
400 before anything is written; an unknown currency is looked up at Playhub again before it is
refused; the catalogue function loads the whole catalogue on a schedule; the callbacks take their
decimal places from the cache, so a coin with 8 places plays to the last satoshi.

Runs on moto and DynamoDB Local; Playhub's Core API is recorded with responses.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import responses
from conftest import Backend, install_runtime
from support import dynamo_items
from support.harness import FakeLambdaContext, Playhub, handler_module
from support.iam import actions_sent, allowed, refused, writes_sent
from support.operator import CORE, Operator, playhub_requests, use_operator_runtime

from devtools.callbacks import other_sample_events
from devtools.core_api_stub import CURRENCIES, GAMES
from playhub_wallet.catalogue import Currencies, Currency
from playhub_wallet.dynamodb.catalogue import CatalogueTable
from playhub_wallet.dynamodb.keys import CURRENCIES_KEY
from playhub_wallet.models import Action
from playhub_wallet.money import CurrencyTable
from playhub_wallet.runtime import build_wallet
from playhub_wallet.settings import Settings
from playhub_wallet.state import EntryKey, WalletKey
from playhub_wallet.wallet import WalletService


def nothing_written_for(backend: Backend, player_id: str) -> bool:
    return backend.accounts.wallets(player_id) == [] and dynamo_items.sessions_of(backend.table, player_id) == []


# Launch -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "details"),
    [
        ({"game_id": "no_such_game"}, "game_id: no_such_game is not in Playhub's game catalogue"),
        ({"locale": "xx"}, "locale: xx is not a locale of ph_limbo_97 (it lists en, de, es, fr, pt_br)"),
        ({"game_id": "crash", "locale": "de_de"}, "locale: de_de is not a locale of crash (it lists en)"),
        ({"currency": "XYZ"}, "currency: XYZ is not a currency Playhub supports"),
    ],
)
def test_a_launch_outside_the_catalogue_is_400_before_anything_is_written(
    operator: Operator, backend: Backend, fields: dict[str, str], details: str
) -> None:
    responses.get(f"{CORE}/currencies", json=CURRENCIES)

    status, answer = operator.launch("p-outside", **fields)

    assert (status, answer) == (400, {"message": "bad request", "details": details})
    assert nothing_written_for(backend, "p-outside")
    assert playhub_requests("/game-create-new") == []


@pytest.mark.parametrize("locale", ["en_us", "en-GB", "pt_BR", "pt-br", "de", "es_mx"])
def test_a_locale_the_game_lists_or_its_language_launches(operator: Operator, locale: str) -> None:
    status, launched = operator.launch("p-locale", locale=locale)

    assert status == 200, launched


def test_a_demo_launch_is_checked_too(operator: Operator) -> None:
    assert operator.launch("p-demo", demo=True, game_id="no_such_game")[0] == 400
    assert playhub_requests("/game-create-new") == []


def test_a_currency_new_to_us_is_looked_up_at_playhub_once_before_it_is_refused(
    operator: Operator, backend: Backend
) -> None:
    """The cache lists EUR only (say Playhub added the rest since): BTC is found by asking Playhub."""
    CatalogueTable(backend.table).put_currencies(Currencies((Currency("EUR", "Euro", "€", 2, False),), 1))
    responses.get(f"{CORE}/currencies", json=CURRENCIES)

    with writes_sent(backend.client) as launch_writes:
        bitcoin = operator.launch("p-new", currency="BTC")
    unknown = operator.launch("p-new", currency="XYZ")
    again = operator.launch("p-new", currency="ABC")

    assert bitcoin[0] == 200, bitcoin
    assert (unknown[0], again[0]) == (400, 400)
    asked = [call for call in responses.calls if "/currencies" in str(call.request.url)]
    assert len(asked) == 1  # BTC's lookup refreshed the cache; the unknown codes found it fresh
    cached = CatalogueTable(backend.table).currencies()
    assert cached is not None
    assert cached.find("BTC") is not None
    # Stored by the launch function, in a partition its IAM policy lets it write (moto enforces none).
    assert frozenset({"CATALOGUE"}) in [write.leading_keys for write in launch_writes]
    assert refused("LaunchFunction", launch_writes) == []
    # What the launch learned, the transfers know at once (one cache per container).
    funded = operator.deposit("p-new", "0.00000001", "btc-1", "BTC")
    assert (funded[0], funded[1]["balance"]) == (200, "0.00000001")


def test_before_the_first_load_a_launch_is_503_not_a_guess(
    monkeypatch: pytest.MonkeyPatch, backend: Backend, wallet: WalletService
) -> None:
    operator = Operator(use_operator_runtime(monkeypatch, backend))  # a new stack: nothing loaded yet
    install_runtime(monkeypatch, wallet, table=backend.table_name)

    status, answer = operator.launch("p-early")

    assert (status, answer["message"]) == (503, "game catalogue not loaded")
    assert nothing_written_for(backend, "p-early")


# Transfers --------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["deposits", "withdrawals"])
def test_a_transfer_in_a_currency_playhub_does_not_list_is_400(
    operator: Operator, backend: Backend, direction: str
) -> None:
    responses.get(f"{CORE}/currencies", json=CURRENCIES)

    status, answer = operator.call(
        "POST", f"/players/bob/wallets/XXX/{direction}", {"amount": "10", "reference": f"{direction}-1"}
    )

    assert (status, answer["details"]) == (400, "currency: XXX is not a currency Playhub supports")
    assert backend.accounts.wallets("bob") == []


@pytest.mark.parametrize(
    ("currency", "amount", "balance"),
    [("JPY", "1500", "1500"), ("KWD", "1.125", "1.125"), ("BTC", "0.00000001", "0.00000001")],
)
def test_a_transfer_keeps_the_places_playhub_gives_the_currency(
    operator: Operator, currency: str, amount: str, balance: str
) -> None:
    status, answer = operator.deposit("p-places", amount, f"places-{currency}", currency)

    assert (status, answer["balance"]) == (200, balance)
    too_fine = operator.deposit("p-places", amount + "1" if "." in amount else "1.5", f"fine-{currency}", currency)
    assert too_fine[0] == 400


# The callbacks' decimal places ------------------------------------------------------------


@pytest.fixture
def catalogue_places(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> WalletService:
    """The callbacks as runtime.py builds them: decimal places read from the cached catalogue."""
    catalogue = CatalogueTable(backend.table)
    coin = Currency("XCOIN", "A new coin", "X", 8, True)
    catalogue.put_currencies(Currencies((Currency("EUR", "Euro", "€", 2, False), coin), 1))
    settings = Settings(table_name=backend.table_name, callback_keys="local-callback-key")
    currencies = CurrencyTable(source=catalogue.currency_places, max_age_seconds=0)  # reads the table each time
    wallet = build_wallet(settings, backend.ledger, currencies)
    install_runtime(monkeypatch, wallet, table=backend.table_name, currencies=currencies)
    return wallet


def test_a_coin_with_eight_places_bets_and_wins_to_the_last_unit(
    catalogue_places: WalletService, backend: Backend
) -> None:
    from conftest import open_funded_session

    player = open_funded_session(catalogue_places, "0.00100000", currency="XCOIN")
    playhub = Playhub()

    bet = playhub.bet(player.session_id, "0.00000001")
    win = playhub.win(player.session_id, "0.00000003", round_id=bet.payload["round_id"])

    assert (bet.status, bet.body["balance"]) == (200, "0.00099999")
    assert (win.status, win.body["balance"]) == (200, "0.00100002")


def test_a_callback_in_a_currency_the_catalogue_lost_is_500_and_writes_nothing(
    catalogue_places: WalletService, backend: Backend
) -> None:
    from conftest import open_funded_session

    player = open_funded_session(catalogue_places, "10.00", currency="EUR")
    backend.table.put({**CURRENCIES_KEY, "currencies": [], "fetched_at": 2})  # EUR delisted, say

    bet = Playhub().bet(player.session_id, "1.00")

    assert (bet.status, bet.body) == (
        500,
        {"message": "internal server error", "details": "currency EUR is not in Playhub's catalogue"},
    )
    assert backend.view.wallet(player.wallet_key).balance == 10


def test_a_refund_into_a_wallet_whose_currency_is_lost_is_500_before_any_write_and_lands_once_later(
    catalogue_places: WalletService, backend: Backend
) -> None:
    """The refund names the player's EUR session but credits the XCOIN wallet its bet came from:
    that wallet's places must be known before the commit, or every retry would be a 500 again."""
    from conftest import open_funded_session

    coin = open_funded_session(catalogue_places, "0.00100000", currency="XCOIN", player_id="p-two")
    euro = open_funded_session(catalogue_places, "10.00", currency="EUR", player_id="p-two")
    bet = Playhub().bet(coin.session_id, "0.00000005")
    listed = CatalogueTable(backend.table).currencies()
    assert listed is not None
    CatalogueTable(backend.table).put_currencies(Currencies(listed.currencies[:1], 2))  # XCOIN delisted

    lost = Playhub().refund(euro.session_id, bet.payload["tx_id"])

    assert lost.status == 500
    assert backend.view.wallet(coin.wallet_key).balance == Decimal("0.00099995")
    assert backend.ledger.entry(EntryKey(Action.REFUND, lost.payload["tx_id"])) is None
    CatalogueTable(backend.table).put_currencies(listed)  # listed again (or an override set)
    landed = Playhub().send(lost.payload)
    assert (landed.status, landed.body["balance"]) == (200, "0.00100000")
    assert Playhub().send(lost.payload).body == landed.body


# The scheduled load -----------------------------------------------------------------------


def invoke_catalogue_function(monkeypatch: pytest.MonkeyPatch, operator: Operator) -> dict[str, Any]:
    """As the hourly schedule does (EventBridge's event; the function reads nothing of it)."""
    function = handler_module("catalogue")
    monkeypatch.setattr(function, "operator_runtime", lambda: operator.parts)
    answer: dict[str, Any] = function.lambda_handler(other_sample_events()["catalogue"], FakeLambdaContext())
    return answer


def test_the_catalogue_function_loads_everything_and_drops_delisted_games(
    operator: Operator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from integration.test_case_table import emitted_metrics

    listed = [game for game in GAMES if game["id"] != "crash"]
    listed.append({**GAMES[0], "id": "ph_new_97", "title": "New", "locales": "en-US,FR"})
    responses.get(f"{CORE}/currencies", json=CURRENCIES[:3])
    responses.get(f"{CORE}/games", json=listed)

    report = invoke_catalogue_function(monkeypatch, operator)

    assert report["currencies"] == 3
    assert (report["games"], report["games_dropped"]) == (4, 1)
    games = {game["id"]: game for game in operator.call("GET", "/games")[1]}
    assert sorted(games) == ["ph_dice_97", "ph_limbo_97", "ph_moneyrocket_97", "ph_new_97"]
    assert games["ph_new_97"]["locales"] == "en_us,fr"
    assert (
        operator.launch("p-crash", game_id="crash")[1]["details"] == "game_id: crash is not in Playhub's game catalogue"
    )
    assert emitted_metrics(capsys.readouterr().out)["CatalogueGames"] == [4.0]


def test_what_the_ledger_cannot_hold_exactly_is_left_out_and_a_game_listed_twice_is_one_game(
    operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = [
        {**CURRENCIES[0], "code": "WEI", "decimal_places": 18},  # more places than a ledger amount has
        {**CURRENCIES[0], "code": "NEG", "decimal_places": -1},
        {**CURRENCIES[0], "code": "bad code", "decimal_places": 2},
    ]
    responses.get(f"{CORE}/currencies", json=CURRENCIES + odd)
    twice = {**GAMES[0], "id": "ph_new_97", "locales": "en-US,FR"}
    responses.get(f"{CORE}/games", json=[*GAMES, twice, {**twice, "title": "New, again"}])

    report = invoke_catalogue_function(monkeypatch, operator)

    assert (report["currencies"], report["games"]) == (10, 5)
    assert (
        operator.deposit("p-wei", "1", "wei-1", "WEI")[1]["details"]
        == "currency: WEI is not a currency Playhub supports"
    )
    assert [g["title"] for g in operator.call("GET", "/games")[1] if g["id"] == "ph_new_97"] == ["New, again"]
    # It lists en_us and fr: a region of fr plays, English only as listed.
    assert [operator.launch("p-loc", game_id="ph_new_97", locale=loc)[0] for loc in ("en_us", "fr_ca", "en_gb")] == [
        200,
        200,
        400,
    ]


@pytest.mark.parametrize("empty", ["/games", "/currencies"])
def test_an_empty_or_failed_answer_keeps_the_catalogue_we_have(
    operator: Operator, empty: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses.get(f"{CORE}/currencies", json=[] if empty == "/currencies" else CURRENCIES)
    responses.get(f"{CORE}/games", json=[] if empty == "/games" else GAMES)

    with pytest.raises(Exception, match="Playhub listed no"):
        invoke_catalogue_function(monkeypatch, operator)

    assert len(operator.call("GET", "/games")[1]) == 4
    assert operator.launch("p-kept")[0] == 200


def test_a_launch_never_waits_for_the_games_download(operator: Operator) -> None:
    assert operator.launch("p-fast")[0] == 200
    assert [call.request.url for call in responses.calls if "/games" in str(call.request.url)] == []


def test_an_override_reaches_the_callbacks_and_the_operator_as_deployed(
    operator: Operator, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CURRENCY_DECIMAL_PLACES over Playhub's places, in both composition roots as they read the
    environment (the other tests hand the callbacks a fixed table)."""
    from playhub_wallet import runtime
    from playhub_wallet.operator_runtime import build_operator_runtime
    from playhub_wallet.settings import CoreApiSettings

    environment = {"TABLE_NAME": backend.table_name, "CALLBACK_KEYS": "k", "CURRENCY_DECIMAL_PLACES": '{"BTC": 6}'}
    if backend.client.meta.endpoint_url.startswith("http://127.0.0.1"):
        environment["DYNAMODB_ENDPOINT"] = backend.client.meta.endpoint_url
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    runtime.runtime.cache_clear()
    try:
        callbacks = runtime.runtime().currencies
    finally:
        runtime.runtime.cache_clear()
    core = CoreApiSettings(playhub_core_url=CORE, playhub_cid="cid", api_keys="k")
    operators = build_operator_runtime(Settings.from_environment(), core, backend.table).currencies

    for currencies in (callbacks, operators):
        assert (currencies.places("BTC"), currencies.places("KWD"), currencies.places("JPY")) == (6, 3, 0)
        assert not currencies.knows("XYZ")


def test_wallet_balances_of_a_delisted_currency_still_show(
    operator: Operator, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator.deposit("p-old", "5.00", "old-1", "GBP")
    backend.table.put({**CURRENCIES_KEY, "currencies": [c for c in CURRENCIES if c["code"] != "GBP"], "fetched_at": 3})
    use_operator_runtime(monkeypatch, backend)  # a new container: it reads the table as it is now

    status, shown = operator.call("GET", "/players/p-old/wallets")

    assert (status, shown["wallets"]) == (200, [{"currency": "GBP", "balance": "5.00", "blocked": False}])
    assert WalletKey("p-old", "GBP") in [w.key for w in backend.accounts.wallets("p-old")]


def test_the_catalogue_launch_and_transfer_policies_allow_what_they_send(
    operator: Operator, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto enforces no IAM: the refresh's and the catalogue checks' actions against each policy."""
    responses.get(f"{CORE}/currencies", json=CURRENCIES)
    responses.get(f"{CORE}/games", json=[game for game in GAMES if game["id"] != "crash"])
    with actions_sent(backend.client) as refresh, writes_sent(backend.client) as refresh_writes:
        invoke_catalogue_function(monkeypatch, operator)  # puts, and deletes a delisted game
    CatalogueTable(backend.table).put_currencies(Currencies((Currency("EUR", "Euro", "€", 2, False),), 1))
    with actions_sent(backend.client) as launch, writes_sent(backend.client) as launch_writes:
        assert operator.launch("p-iam", currency="BTC", game_id="ph_dice_97")[0] == 200  # BTC: asks Playhub
        assert operator.launch("p-iam", game_id="crash")[0] == 400
    with actions_sent(backend.client) as transfer:
        assert operator.deposit("p-iam", "1.00", "iam-1", "XXX")[0] == 400

    assert refresh >= {"BatchWriteItem", "Query", "PutItem"}
    assert refresh <= allowed("CatalogueFunction"), sorted(refresh - allowed("CatalogueFunction"))
    assert launch <= allowed("LaunchFunction"), sorted(launch - allowed("LaunchFunction"))
    # Each write inside the partitions the function's policy holds it to (moto enforces no IAM).
    assert {write.action for write in refresh_writes} == {"PutItem", "BatchWriteItem"}
    assert refused("CatalogueFunction", refresh_writes) == []
    assert refused("LaunchFunction", launch_writes) == []
    assert transfer <= allowed("OperatorFunction"), sorted(transfer - allowed("OperatorFunction"))


# The first load, during the deploy -------------------------------------------------------

RESPONSE_URL = "https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/answer?sig=1"


def deploy_event(request_type: str) -> dict[str, Any]:
    """What CloudFormation sends the catalogue function for the CatalogueLoad custom resource."""
    return {
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:catalogue",
        "ResponseURL": RESPONSE_URL,
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/playhub/1",
        "RequestId": "4f1e2d3c-0000-4000-8000-000000000001",
        "LogicalResourceId": "CatalogueLoad",
        "ResourceType": "Custom::PlayhubCatalogue",
        "ResourceProperties": {},
    }


def deploy(monkeypatch: pytest.MonkeyPatch, operator: Operator, request_type: str) -> dict[str, Any]:
    function = handler_module("catalogue")
    monkeypatch.setattr(function, "operator_runtime", lambda: operator.parts)
    responses.put(RESPONSE_URL)
    function.lambda_handler(deploy_event(request_type), FakeLambdaContext())
    (answered,) = [call for call in responses.calls if call.request.url == RESPONSE_URL]
    assert answered.request.headers["Content-Type"] == ""  # the presigned S3 URL allows no other
    assert isinstance(answered.request.body, bytes)
    body: dict[str, Any] = json.loads(answered.request.body)
    return body


def test_the_deploy_loads_the_catalogue_and_tells_cloudformation(
    operator: Operator, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    responses.get(f"{CORE}/currencies", json=CURRENCIES)
    responses.get(f"{CORE}/games", json=GAMES[:2])

    answer = deploy(monkeypatch, operator, "Create")

    assert answer["Status"] == "SUCCESS"
    assert answer["Reason"] == "catalogue loaded: 10 currencies, 2 games"
    assert (answer["Data"], answer["LogicalResourceId"]) == ({"currencies": 10, "games": 2}, "CatalogueLoad")
    assert answer["RequestId"] == deploy_event("Create")["RequestId"]
    loaded = CatalogueTable(backend.table).games_loaded()
    assert loaded is not None
    assert loaded.count == 2


def test_a_failed_load_at_deploy_is_reported_not_a_failed_deploy(
    operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first deploy may run before Playhub's API key is in the secret the stack just created."""
    responses.get(f"{CORE}/currencies", status=401, json={"message": "wrong signature", "details": ""})

    answer = deploy(monkeypatch, operator, "Create")

    assert answer["Status"] == "SUCCESS"
    assert answer["Reason"].startswith("catalogue not loaded (UpstreamError)")
    assert answer["Data"] == {}
    assert len(operator.call("GET", "/games")[1]) == 4  # what was there stays


def test_deleting_the_stack_asks_playhub_nothing(operator: Operator, monkeypatch: pytest.MonkeyPatch) -> None:
    answer = deploy(monkeypatch, operator, "Delete")

    assert (answer["Status"], answer["Reason"]) == ("SUCCESS", "nothing to do on delete")
    assert [call.request.url for call in responses.calls if CORE in str(call.request.url)] == []


def test_a_delisted_currency_can_be_paid_out_once_the_deployment_sets_its_places(
    operator: Operator, backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    operator.deposit("p-gbp", "5.00", "gbp-1", "GBP")
    backend.table.put({**CURRENCIES_KEY, "currencies": [c for c in CURRENCIES if c["code"] != "GBP"], "fetched_at": 3})
    responses.get(f"{CORE}/currencies", json=[c for c in CURRENCIES if c["code"] != "GBP"])
    out = {"amount": "5.00", "reference": "gbp-out"}

    use_operator_runtime(monkeypatch, backend)
    refused = operator.call("POST", "/players/p-gbp/wallets/GBP/withdrawals", out)
    use_operator_runtime(monkeypatch, backend, places={"GBP": 2})  # redeployed with the override
    paid = operator.call("POST", "/players/p-gbp/wallets/GBP/withdrawals", out)

    assert (refused[0], refused[1]["details"]) == (400, "currency: GBP is not a currency Playhub supports")
    assert (paid[0], paid[1]["balance"]) == (200, "0.00")
    assert operator.launch("p-gbp", currency="GBP")[0] == 400  # Playhub would not launch it anyway
