"""Swipe Games' configuration (SWIPE_*) and the local Swipe Core API stub that `make run` starts,
driven by our own Swipe client as the functions drive it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from devtools.swipe_core_api_stub import LOCAL_SWIPE_CID, LOCAL_SWIPE_EXTCID, SwipeCoreApiStub
from playhub_wallet.settings import Settings, swipe_from_environment
from playhub_wallet.swipe_core_api import (
    CreateFreeRoundsRequest,
    CreateNewGameRequest,
    SwipeCoreApiClient,
    SwipeCoreApiError,
    User,
)

SWIPE_ENV = {
    "SWIPE_CORE_URL": "https://staging.platform.0.swipegames.io/api/v1",
    "SWIPE_CID": LOCAL_SWIPE_CID,
    "SWIPE_EXTCID": "brand-7",
    "SWIPE_API_KEY_SECRET": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:swipe-AbCdEf",
}


# Configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [None, "", "  "])
def test_without_a_swipe_url_the_stack_serves_playhub_only(url: str | None) -> None:
    environ = {name: value for name, value in SWIPE_ENV.items() if name != "SWIPE_CORE_URL"}
    if url is not None:
        environ["SWIPE_CORE_URL"] = url

    assert swipe_from_environment(environ) is None


def test_swipe_settings_name_the_key_source_never_the_key() -> None:
    settings = swipe_from_environment(SWIPE_ENV)

    assert settings is not None
    assert (settings.swipe_cid, settings.swipe_extcid) == (LOCAL_SWIPE_CID, "brand-7")
    source = settings.api_key_source()
    assert (source.local_value, source.secret, source.parameter) == (None, SWIPE_ENV["SWIPE_API_KEY_SECRET"], None)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"SWIPE_EXTCID": ""}, "SWIPE_EXTCID: Field required"),  # never the cID in its place
        ({"SWIPE_CID": ""}, "SWIPE_CID: Field required"),
        ({"SWIPE_API_KEY_SECRET": ""}, "set exactly one of SWIPE_API_KEYS, SWIPE_API_KEY_SECRET"),
        ({"SWIPE_API_KEYS": "local-swipe-api-key"}, "set exactly one of SWIPE_API_KEYS, SWIPE_API_KEY_SECRET"),
        ({"SWIPE_GAMES_READ_TIMEOUT_SECONDS": "20"}, "SWIPE_GAMES_READ_TIMEOUT_SECONDS"),
    ],
)
def test_a_swipe_misconfiguration_fails_at_start_naming_the_variable(change: dict[str, str], problem: str) -> None:
    with pytest.raises(RuntimeError, match="invalid configuration") as raised:
        swipe_from_environment({**SWIPE_ENV, **change})
    assert problem in str(raised.value)


# The local stub -----------------------------------------------------------------------------


@pytest.fixture
def stub() -> Iterator[SwipeCoreApiStub]:
    stub = SwipeCoreApiStub("stub-key").start()
    yield stub
    stub.stop()


def client(stub: SwipeCoreApiStub, key: str = "stub-key", ext_cid: str = LOCAL_SWIPE_EXTCID) -> SwipeCoreApiClient:
    return SwipeCoreApiClient(stub.url, LOCAL_SWIPE_CID, ext_cid, lambda: key)


def test_the_stub_lists_games_with_bet_lines_gzipped_and_without_them_when_asked(stub: SwipeCoreApiStub) -> None:
    listed = {game.id: game for game in client(stub).games()}
    bare = {game.id: game for game in client(stub).games(exclude_bet_lines=True)}

    catch = listed["sg_catch_97"].bet_line("USD", 3)
    assert catch is not None
    assert catch.max_payout(10) == Decimal("100.0000")
    assert listed["sg_catch_97"].bet_lines_in("GBP") is None
    assert listed["sg_catch_97"].has_free_spins
    assert not bare["sg_catch_97"].has_free_spins
    assert bare["sg_catch_97"].bet_lines is None


def test_the_stub_launches_real_and_demo_games(stub: SwipeCoreApiStub) -> None:
    real = client(stub).create_new_game(
        CreateNewGameRequest(
            game_id="sg_catch_97",
            demo=False,
            platform="desktop",
            currency="EUR",
            locale="en_us",
            session_id="sw1.abc",
            user=User(id="alice"),
        )
    )
    demo = client(stub).create_new_game(
        CreateNewGameRequest(game_id="sg_catch_97", demo=True, platform="mobile", currency="EUR", locale="en")
    )

    assert real.gs_id != demo.gs_id
    assert [launch["sessionID"] for launch in stub.launches if not launch["demo"]] == ["sw1.abc"]


def test_the_stub_creates_an_extid_once_and_cancels_it_once(stub: SwipeCoreApiStub) -> None:
    request = CreateFreeRoundsRequest(
        ext_id="spring-1", currency="EUR", quantity=5, bet_line=2, valid_from=datetime(2099, 1, 1, tzinfo=UTC)
    )
    created = client(stub).create_free_rounds(request)
    with pytest.raises(SwipeCoreApiError) as repeated:
        client(stub).create_free_rounds(request)
    client(stub).cancel_free_rounds(ext_id="spring-1")
    with pytest.raises(SwipeCoreApiError) as cancelled_again:
        client(stub).cancel_free_rounds(ext_id="spring-1")

    assert created.ext_id == "spring-1"
    assert (repeated.value.status, cancelled_again.value.status) == (409, 404)
    assert stub.campaigns["spring-1"]["cancelled"] is True


@pytest.mark.parametrize(("key", "ext_cid"), [("wrong-key", LOCAL_SWIPE_EXTCID), ("stub-key", "another-brand")])
def test_the_stub_refuses_another_key_or_brand_with_401(stub: SwipeCoreApiStub, key: str, ext_cid: str) -> None:
    with pytest.raises(SwipeCoreApiError) as refused:
        client(stub, key, ext_cid).games()

    assert refused.value.status == 401


def test_swipes_callback_key_comes_from_one_source_and_a_swipe_callback_needs_one() -> None:
    base = {"TABLE_NAME": "t", "CALLBACK_KEYS": "k"}
    with pytest.raises(RuntimeError, match="at most one of SWIPE_CALLBACK_KEYS"):
        Settings.from_environment({**base, "SWIPE_CALLBACK_KEYS": "a", "SWIPE_CALLBACK_KEY_SECRET": "arn:secret"})
    with pytest.raises(RuntimeError, match="set one of SWIPE_CALLBACK_KEYS"):
        Settings.from_environment(base).swipe_callback_key_source()
    assert Settings.from_environment({**base, "SWIPE_CALLBACK_KEYS": "a"}).swipe_callback_key_source().current() == (
        "a",
    )
