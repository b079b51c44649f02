"""Bad input gets a 400 with {message, details}, changes nothing and leaks nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from conftest import Backend, Player
from support.harness import Playhub, round_payload
from support.requests import count_store_requests

from playhub_wallet.signing import SIGNATURE_HEADER, canonical_json, sign

BET_FIELDS = ("action", "type", "session_id", "amount", "tx_id", "round_id")


def assert_bad_request(status: int, body: dict[str, Any], *, details_contain: str) -> None:
    assert status == 400, body
    assert set(body) == {"message", "details"}
    assert body["message"] == "bad request"
    assert details_contain in body["details"]
    assert "Traceback" not in body["details"]
    assert "playhub_wallet" not in body["details"]


@pytest.mark.parametrize(
    ("amount", "problem"),
    [
        ("-1", "decimal string"),
        ("1e3", "decimal string"),
        ("NaN", "decimal string"),
        ("Infinity", "decimal string"),
        ("+1.00", "decimal string"),
        (" 1.00", "decimal string"),
        ("01.00", "decimal string"),
        (".5", "decimal string"),
        ("1.", "decimal string"),
        ("1,00", "decimal string"),
        ("", "decimal string"),
        (10, "must be a JSON string"),
        (Decimal("10.5"), "must be a JSON string"),
        (None, "amount: Field required"),
        ("0.001", "EUR amounts have at most 2 decimal places"),
    ],
)
def test_a_malformed_amount_is_400_and_changes_nothing(
    playhub: Playhub, player: Player, backend: Backend, amount: Any, problem: str
) -> None:
    answer = playhub.send(round_payload("bet", player.session_id, amount))

    assert_bad_request(answer.status, answer.body, details_contain=problem)
    assert backend.view.wallet(player.wallet_key).balance == 100


@pytest.mark.parametrize("field", BET_FIELDS)
def test_each_missing_field_is_400(playhub: Playhub, player: Player, field: str) -> None:
    payload = round_payload("bet", player.session_id)
    del payload[field]
    answer = playhub.send(payload, endpoint="bet")

    assert_bad_request(answer.status, answer.body, details_contain="action" if field == "action" else field)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("tx_id", "not-a-uuid"),
        ("round_id", "42"),
        ("tx_id", 12345),
        ("frc_id", "free-rounds-1"),
        ("type", "jackpot"),
        ("session_id", 7),
    ],
)
def test_a_malformed_field_is_400(playhub: Playhub, player: Player, field: str, value: Any) -> None:
    answer = playhub.send(round_payload("bet", player.session_id, "5.00", **{field: value}))

    assert_bad_request(answer.status, answer.body, details_contain=field)


@pytest.mark.parametrize("endpoint", ["balance", "win", "refund"])
def test_an_action_that_does_not_match_the_endpoint_is_400(playhub: Playhub, player: Player, endpoint: str) -> None:
    answer = playhub.send(round_payload("bet", player.session_id), endpoint=endpoint)

    assert_bad_request(answer.status, answer.body, details_contain=f'action must be "{endpoint}"')


@pytest.mark.parametrize("body", ["not json", "", "[1, 2]", '"bet"', '{"action": "bet"'])
def test_a_body_that_is_not_a_json_object_is_400_when_signed(playhub: Playhub, body: str, backend: Backend) -> None:
    with count_store_requests(backend) as requests:
        status, answer = playhub.send_raw("bet", body, {SIGNATURE_HEADER: sign(playhub.key, body.encode())})

    assert_bad_request(status, answer, details_contain="JSON")
    assert requests.total == 0


def test_a_win_amount_with_too_many_places_for_yen_is_400(playhub: Playhub, wallet: Any) -> None:
    from conftest import open_funded_session

    yen = open_funded_session(wallet, "1000", currency="JPY")
    answer = playhub.win(yen.session_id, "1.5")

    assert_bad_request(answer.status, answer.body, details_contain="JPY amounts have at most 0 decimal places")


def test_unknown_extra_fields_are_ignored(playhub: Playhub, player: Player) -> None:
    answer = playhub.send(round_payload("bet", player.session_id, "5.00", currency="EUR", game_id="ph_limbo_97"))

    assert answer.status == 200


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_json_constants_are_not_json(playhub: Playhub, constant: str) -> None:
    body = '{"action": "bet", "amount": ' + constant + "}"
    assert playhub.send_raw("bet", body, {SIGNATURE_HEADER: "00"})[0] == 401
    status, answer = playhub.send_raw("bet", body, {SIGNATURE_HEADER: sign(playhub.key, body.encode())})
    assert_bad_request(status, answer, details_contain="JSON")


def test_the_signature_is_checked_before_the_body_is_validated(playhub: Playhub, player: Player) -> None:
    body = canonical_json(round_payload("bet", player.session_id, "-1")).decode()
    status, answer = playhub.send_raw("bet", body, {SIGNATURE_HEADER: "bad"})

    assert status == 401
    assert answer["message"] == "invalid signature"
