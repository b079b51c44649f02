"""The legal bets table (PLAYHUB.md §6): kept, shown and replaced through the operator routes, and
every campaign's bet_line checked against it before Playhub is called.

Runs on moto and DynamoDB Local; the operator starts from the table `make run` seeds (Playhub's
default: EUR, every game, 17 lines).
"""

from __future__ import annotations

from typing import Any

import pytest
import responses
from conftest import Backend
from support.operator import CORE, Operator, playhub_requests

from devtools.core_api_stub import CURRENCIES
from playhub_wallet.legal_bets import PLAYHUB_DEFAULT_EUR

FRC_ID = "7d6c5b4a-3f2e-4d1c-9b8a-7f6e5d4c3b2a"


@pytest.fixture
def operator(operator: Operator) -> Operator:
    """The conftest's, with Playhub accepting every campaign."""
    responses.post(f"{CORE}/free-rounds", json={"id": FRC_ID, "external_id": "any"})
    return operator


def campaign(**changes: Any) -> dict[str, Any]:
    return {
        "external_id": "winter-1",
        "game_id": "ph_limbo_97",
        "currency": "EUR",
        "quantity": 10,
        "bet_line": 1,
        "valid_from": "2099-01-01T00:00:00Z",
        **changes,
    }


def test_the_seeded_table_is_playhubs_default(operator: Operator) -> None:
    status, listed = operator.call("GET", "/legal-bets")

    assert status == 200
    (table,) = listed["tables"]
    assert (table["currency"], table["game_id"], table["table"]) == ("EUR", None, PLAYHUB_DEFAULT_EUR)
    assert len(table["lines"]) == 17
    assert table["lines"][0] == {"bet_line": 1, "max_bet": "1.10", "max_target_multiplier": "5.00"}
    assert table["lines"][-1] == {"bet_line": 17, "max_bet": "10.00", "max_target_multiplier": "5.00"}
    assert operator.call("GET", "/legal-bets/EUR")[1] == table


def test_a_table_is_replaced_whole_and_a_game_may_have_its_own(operator: Operator) -> None:
    replaced = operator.call("PUT", "/legal-bets/EUR", {"lines": "0.50:2.00, 1.00:3.00"})
    own = operator.call("PUT", "/legal-bets/EUR/games/ph_limbo_97", {"lines": ["2.00:10.00"]})

    assert (replaced[0], replaced[1]["table"]) == (200, "0.50:2.00, 1.00:3.00")
    assert (own[0], own[1]["game_id"], own[1]["table"]) == (200, "ph_limbo_97", "2.00:10.00")
    assert operator.call("GET", "/legal-bets/EUR/games/ph_limbo_97")[1]["table"] == "2.00:10.00"
    fallback = operator.call("GET", "/legal-bets/EUR/games/ph_crash_96")[1]
    assert (fallback["game_id"], fallback["table"]) == (None, "0.50:2.00, 1.00:3.00")  # the game-wide table
    assert [t["game_id"] for t in operator.call("GET", "/legal-bets")[1]["tables"]] == [None, "ph_limbo_97"]


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ("", "at least one bet value"),
        ([], "at least one bet value"),
        ("1.10", "is not <max_bet>:<max_target_multiplier>"),
        ("1.10:5.00, abc:5.00", '"abc:5.00" is not'),
        ("0:5.00", "greater than zero"),
        ("1.10:0", "greater than zero"),
        ("-1.00:5.00", "is not"),
        ("1.001:5.00", "line 1 (1.001:5.00): max_bet: EUR amounts have at most 2 decimal places"),
        (", ".join(["1.00:2.00"] * 100), "at most 99 bet values"),
        (7, "lines"),
    ],
)
def test_a_bad_table_is_400_and_the_old_one_stays(operator: Operator, lines: Any, problem: str) -> None:
    status, answer = operator.call("PUT", "/legal-bets/EUR", {"lines": lines})

    assert (status, answer["message"]) == (400, "bad request")
    assert problem in answer["details"]
    assert operator.call("GET", "/legal-bets/EUR")[1]["table"] == PLAYHUB_DEFAULT_EUR


@pytest.mark.parametrize("path", ["/legal-bets/eur", "/legal-bets/EUR/games/bad%20game", "/legal-bets/EUR/games/a*b"])
def test_a_bad_currency_or_game_in_the_path_is_400(operator: Operator, path: str) -> None:
    """ "*" above all: it is how the store names the every-game table."""
    assert operator.call("PUT", path, {"lines": "1.00:2.00"})[0] == 400


def test_a_table_for_a_currency_playhub_does_not_list_is_400(operator: Operator) -> None:
    responses.get(f"{CORE}/currencies", json=CURRENCIES)

    status, answer = operator.call("PUT", "/legal-bets/XYZ", {"lines": "1.00:2.00"})

    assert (status, answer["details"]) == (400, "currency: XYZ is not a currency Playhub supports")


def test_a_tables_values_keep_to_the_places_playhub_gives_its_currency(operator: Operator) -> None:
    assert operator.call("PUT", "/legal-bets/JPY", {"lines": "100:5.00, 200:5.00"})[0] == 200
    refused = operator.call("PUT", "/legal-bets/JPY", {"lines": "100.5:5.00"})
    assert (refused[0], refused[1]["details"]) == (
        400,
        "lines: line 1 (100.5:5.00): max_bet: JPY amounts have at most 0 decimal places",
    )


def test_unknown_tables_are_404(operator: Operator) -> None:
    assert operator.call("GET", "/legal-bets/USD")[0] == 404
    assert operator.call("GET", "/legal-bets/USD/games/ph_limbo_97")[0] == 404


def test_a_campaign_shows_the_bet_value_of_its_line_and_its_face_value(operator: Operator) -> None:
    status, created = operator.call("POST", "/campaigns", campaign(bet_line=17, quantity=25))

    assert status == 201, created
    assert created["bet_value"] == {"max_bet": "10.00", "max_target_multiplier": "5.00"}
    assert created["face_value"] == "250.00"  # 25 rounds x 10.00
    assert playhub_requests("/free-rounds")[-1]["bet_line"] == 17
    assert operator.call("GET", "/campaigns/winter-1")[1]["face_value"] == "250.00"
    assert operator.call("GET", f"/campaigns/by-frc/{FRC_ID}")[1]["bet_value"]["max_bet"] == "10.00"


@pytest.mark.parametrize("bet_line", [18, 99])
def test_a_bet_line_outside_the_table_is_400_listing_the_valid_lines_and_playhub_hears_nothing(
    operator: Operator, backend: Backend, bet_line: int
) -> None:
    status, answer = operator.call("POST", "/campaigns", campaign(bet_line=bet_line))

    assert (status, answer["message"]) == (400, "bad request")
    assert f"bet_line: {bet_line} is not a line of the legal bets table for EUR (every game)" in answer["details"]
    assert "valid lines: 1 = 1.10:5.00, 2 = 1.20:5.00," in answer["details"]
    assert answer["details"].endswith("17 = 10.00:5.00")
    assert playhub_requests("/free-rounds") == []
    assert backend.campaigns.campaign("winter-1") is None


def test_a_games_own_table_decides_its_campaigns(operator: Operator) -> None:
    operator.call("PUT", "/legal-bets/EUR/games/ph_limbo_97", {"lines": "0.20:2.00, 0.40:2.00"})

    refused = operator.call("POST", "/campaigns", campaign(bet_line=3))
    created = operator.call("POST", "/campaigns", campaign(bet_line=2))
    other_game = operator.call("POST", "/campaigns", campaign(external_id="winter-2", game_id="ph_dice_97", bet_line=3))

    assert refused[0] == 400
    assert "(game ph_limbo_97); valid lines: 1 = 0.20:2.00, 2 = 0.40:2.00" in refused[1]["details"]
    assert (created[0], created[1]["face_value"]) == (201, "4.00")
    assert (other_game[0], other_game[1]["bet_value"]["max_bet"]) == (201, "1.30")  # the game-wide line 3


def test_a_currency_without_a_table_cannot_have_campaigns(operator: Operator) -> None:
    status, answer = operator.call("POST", "/campaigns", campaign(currency="USD"))

    assert status == 400
    assert "no legal bets table for USD" in answer["details"]
    assert playhub_requests("/free-rounds") == []


def test_a_campaign_keeps_the_bet_value_it_was_created_with(operator: Operator) -> None:
    operator.call("POST", "/campaigns", campaign(bet_line=2))
    operator.call("PUT", "/legal-bets/EUR", {"lines": "5.00:5.00, 6.00:5.00"})

    shown = operator.call("GET", "/campaigns/winter-1")[1]

    assert (shown["bet_value"]["max_bet"], shown["face_value"]) == ("1.20", "12.00")
