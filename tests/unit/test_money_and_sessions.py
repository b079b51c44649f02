"""Amount parsing, currency places, and self-describing session ids."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest

from playhub_wallet.money import (
    CurrencyTable,
    UnknownCurrency,
    add_money,
    check_places,
    format_amount,
    parse_amount_text,
)
from playhub_wallet.sessions import new_session_id, parse_session_id


@pytest.mark.parametrize("text", ["0", "0.00", "1", "10.5", "123456789012345678.12345678"])
def test_plain_decimals_parse_exactly(text: str) -> None:
    assert parse_amount_text(text) == Decimal(text)


@pytest.mark.parametrize(
    "text", ["-1", "1e3", "NaN", "inf", "00", "01", ".1", "1.", " 1", "1 ", "+1", "1_000", "١٢", "1234567890123456789"]
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="decimal string"):
        parse_amount_text(text)


class Source:
    """Playhub's catalogue as cached in the table: what a CurrencyTable reads, and how often."""

    def __init__(self, places: dict[str, int]) -> None:
        self.places = places
        self.reads = 0
        self.fail = False

    def __call__(self) -> dict[str, int]:
        self.reads += 1
        if self.fail:
            raise RuntimeError("storage down")
        return dict(self.places)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_currency_places_come_from_the_catalogue_with_overrides_on_top_and_nothing_guessed() -> None:
    table = CurrencyTable({"XYZ": 4, "EUR": 3}, source=Source({"EUR": 2, "JPY": 0, "KWD": 3, "BTC": 8}))

    assert [table.places(code) for code in ("JPY", "KWD", "BTC", "XYZ", "EUR")] == [0, 3, 8, 4, 3]
    with pytest.raises(UnknownCurrency):
        table.places("USD")  # not listed: never the fiat default of old
    assert not table.knows("USD")


def test_the_catalogue_is_read_once_again_when_old_and_for_an_unknown_code_at_most_every_half_minute() -> None:
    source, clock = Source({"EUR": 2}), Clock()
    table = CurrencyTable(source=source, max_age_seconds=300, unknown_retry_seconds=30, clock=clock)

    assert [table.places("EUR") for _ in range(3)] == [2, 2, 2]
    assert source.reads == 1
    source.places["BTC"] = 8  # listed since: an unknown code reads again, but not more than twice a minute
    clock.now = 10
    assert not table.knows("BTC")
    clock.now = 31
    assert table.places("BTC") == 8
    assert source.reads == 2
    clock.now = 400
    table.places("EUR")
    assert source.reads == 3  # too old: read again


def test_a_failed_read_keeps_the_table_it_had_and_without_one_fails() -> None:
    source, clock = Source({"EUR": 2}), Clock()
    table = CurrencyTable(source=source, max_age_seconds=60, clock=clock)
    table.places("EUR")
    source.fail, clock.now = True, 100

    assert table.places("EUR") == 2
    with pytest.raises(RuntimeError, match="storage down"):
        CurrencyTable(source=source).places("EUR")


def test_check_places() -> None:
    check_places(Decimal("1.10"), 2, "EUR")
    check_places(Decimal("1.1000"), 4, "XYZ")
    with pytest.raises(ValueError, match="EUR amounts have at most 2 decimal places"):
        check_places(Decimal("0.001"), 2, "EUR")


def test_money_arithmetic_is_exact_or_fails() -> None:
    from decimal import Inexact

    assert add_money(Decimal("0.1"), Decimal("0.2")) == Decimal("0.3")
    assert add_money(Decimal(10) ** 29, Decimal("0.00000001")) == Decimal("100000000000000000000000000000.00000001")
    with pytest.raises(Inexact):
        add_money(Decimal(10) ** 31, Decimal("0.00000001"))


def test_format_amount_pads_to_the_currency_places() -> None:
    assert [format_amount(Decimal("100.1"), 2), format_amount(Decimal(5), 0), format_amount(Decimal("1E-8"), 8)] == [
        "100.10",
        "5",
        "0.00000001",
    ]


def test_a_session_id_names_its_wallet_and_game() -> None:
    session_id = new_session_id("player-7", "EUR", "ph_limbo_97")
    ref = parse_session_id(session_id)

    assert ref is not None
    assert (ref.player_id, ref.currency, ref.game_id, ref.session_id) == ("player-7", "EUR", "ph_limbo_97", session_id)
    assert session_id != new_session_id("player-7", "EUR", "ph_limbo_97")


def _forge(parts: object, nonce: str = "x") -> str:
    return "ph1." + base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=") + "." + nonce


@pytest.mark.parametrize(
    "session_id",
    [
        "",
        "ph1",
        "ph1..x",
        "ph2.abc.x",
        "ph1.!!!.x",
        _forge(["p", "EUR"]),
        _forge(["p#1", "EUR", "g"]),
        _forge(["p", "eur", "g"]),
        _forge({"p": 1}),
        _forge(["p", "EUR", "g"], nonce=""),
    ],
)
def test_ids_we_cannot_have_issued_do_not_parse(session_id: str) -> None:
    assert parse_session_id(session_id) is None


def test_new_session_id_refuses_unsafe_parts() -> None:
    with pytest.raises(ValueError, match="player_id"):
        new_session_id("player#1", "EUR", "g")


@pytest.mark.parametrize("attempt", [0, 1, 30, 1_030, 10**6])
def test_a_backoff_pause_stays_within_its_cap_however_many_attempts(attempt: int) -> None:
    from playhub_wallet.wallet import Backoff

    assert 0 <= Backoff(base_seconds=0.01, cap_seconds=0.2).pause(attempt) <= 0.2
