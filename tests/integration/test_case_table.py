"""PLAYHUB contract §4, one test per row, through the real handlers with signed API Gateway events.

Each test runs on the in-memory ledger, on moto, and on real DynamoDB Local, and both ways
Playhub can deliver: to the four dedicated URLs, and to the one URL (POST /callback).
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import Backend, Player, install_runtime, open_funded_session
from support.harness import FakeClock, Playhub

from playhub_wallet import rules
from playhub_wallet.models import Action
from playhub_wallet.playhub_requests import playhub_id
from playhub_wallet.state import EntryKind
from playhub_wallet.wallet import WalletService


@pytest.fixture(params=["four URLs", "one URL"])
def playhub(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, wallet: WalletService, backend: Backend
) -> Playhub:
    install_runtime(monkeypatch, wallet, table=backend.table_name)
    return Playhub(one_url=request.param == "one URL")


def balance_of(backend: Backend, player: Player) -> Decimal:
    return backend.view.wallet(player.wallet_key).balance


def test_bet_with_enough_funds_debits_and_answers_the_new_balance(
    playhub: Playhub, player: Player, backend: Backend
) -> None:
    answer = playhub.bet(player.session_id, "12.34")

    assert answer.status == 200
    assert answer.body["balance"] == "87.66"
    assert answer.body["tx_id"] != answer.payload["tx_id"]  # ours, not Playhub's
    assert balance_of(backend, player) == Decimal("87.66")
    entry = backend.view.entry(player.wallet_key, Action.BET, answer.payload["tx_id"])
    assert entry is not None
    assert (entry.our_tx_id, entry.balance_change, entry.balance_after) == (
        answer.body["tx_id"],
        Decimal("-12.34"),
        Decimal("87.66"),
    )


def test_bet_without_enough_funds_is_refused_and_changes_nothing(
    playhub: Playhub, player: Player, backend: Backend
) -> None:
    answer = playhub.bet(player.session_id, "100.01")

    assert answer.status == 400
    assert answer.body["message"] == "insufficient funds"
    assert balance_of(backend, player) == Decimal("100.00")
    assert backend.view.entry(player.wallet_key, Action.BET, answer.payload["tx_id"]) is None


@pytest.mark.parametrize("session_id", ["no-such-session", "ph1.WyJwIiwiRVVSIiwiZyJd.never-issued"])
def test_bet_on_an_unknown_session_is_session_not_found(playhub: Playhub, session_id: str) -> None:
    answer = playhub.bet(session_id, "1.00")

    assert answer.status == 404
    assert answer.body["message"] == "session not found"


def test_bet_on_an_expired_session_is_session_not_found_but_wins_and_refunds_still_land(
    playhub: Playhub, player: Player, backend: Backend, clock: FakeClock
) -> None:
    bet = playhub.bet(player.session_id, "10.00")
    assert bet.status == 200
    clock.advance(4 * 3600 + 15 * 60 + 1)  # 4 h after the last bet, and past the 15 min of slack

    late_bet = playhub.bet(player.session_id, "1.00")
    win = playhub.win(player.session_id, "5.00", round_id=bet.payload["round_id"])
    refund = playhub.refund(player.session_id, bet.payload["tx_id"])

    assert (late_bet.status, late_bet.body["message"]) == (404, "session not found")
    assert (win.status, refund.status) == (200, 200)
    assert balance_of(backend, player) == Decimal("105.00")


def test_every_bet_slides_the_session_expiry(playhub: Playhub, player: Player, clock: FakeClock) -> None:
    for _ in range(3):
        clock.advance(3 * 3600)
        assert playhub.bet(player.session_id, "1.00").status == 200


@pytest.mark.parametrize("gap", [1, 60, 14 * 60, 15 * 60 + 1, 3 * 3600])
def test_a_session_stays_open_4_hours_after_any_bet(
    playhub: Playhub, player: Player, clock: FakeClock, gap: int
) -> None:
    """However bets are spaced, whether or not they wrote the session, the last one holds it open 4 h."""
    for _ in range(3):
        clock.advance(gap)
        assert playhub.bet(player.session_id, "1.00").status == 200
    clock.advance(4 * 3600 - 1)

    assert playhub.bet(player.session_id, "1.00").status == 200


def test_free_bet_moves_no_money_but_is_recorded(playhub: Playhub, player: Player, backend: Backend) -> None:
    frc_id = playhub_id()
    answer = playhub.bet(player.session_id, "5.00", type="free", frc_id=frc_id)

    assert answer.status == 200
    assert answer.body["balance"] == "100.00"
    entry = backend.view.entry(player.wallet_key, Action.BET, answer.payload["tx_id"])
    assert entry is not None
    assert (entry.outcome, entry.balance_change, entry.frc_id) == (rules.FREE_BET, Decimal(0), frc_id)


def test_same_bet_again_changes_nothing_and_answers_the_first_tx_id_with_the_current_balance(
    playhub: Playhub, player: Player, backend: Backend
) -> None:
    first = playhub.bet(player.session_id, "10.00")
    playhub.win(player.session_id, "3.00", round_id=first.payload["round_id"])

    again = playhub.send(first.payload)

    assert again.status == 200
    assert again.body == {"tx_id": first.body["tx_id"], "balance": "93.00"}
    assert balance_of(backend, player) == Decimal("93.00")


@pytest.mark.parametrize("action", ["bet", "win", "refund"])
def test_same_action_and_tx_id_with_a_different_payload_is_refused(
    playhub: Playhub, player: Player, backend: Backend, action: str
) -> None:
    bet = playhub.bet(player.session_id, "10.00")
    first = {
        "bet": lambda: bet,
        "win": lambda: playhub.win(player.session_id, "4.00", round_id=bet.payload["round_id"]),
        "refund": lambda: playhub.refund(player.session_id, bet.payload["tx_id"]),
    }[action]()
    assert first.status == 200
    balance_before = balance_of(backend, player)
    changed = (
        {**first.payload, "amount": "9.99"} if action != "refund" else {**first.payload, "orig_tx_id": playhub_id()}
    )

    answer = playhub.send(changed)

    assert answer.status == 400
    assert answer.body["message"] == "transaction id already used with a different payload"
    assert balance_of(backend, player) == balance_before


def test_amounts_that_differ_only_in_trailing_zeros_are_the_same_payload(playhub: Playhub, player: Player) -> None:
    first = playhub.bet(player.session_id, "10.5")
    again = playhub.send({**first.payload, "amount": "10.50"})

    assert (again.status, again.body["tx_id"]) == (200, first.body["tx_id"])


def test_bet_whose_tx_id_was_already_refunded_is_refused(playhub: Playhub, player: Player, backend: Backend) -> None:
    bet_tx_id = playhub_id()
    refund = playhub.refund(player.session_id, bet_tx_id)
    assert (refund.status, refund.body["balance"]) == (200, "100.00")

    late_bet = playhub.bet(player.session_id, "10.00", tx_id=bet_tx_id)

    assert late_bet.status == 400
    assert late_bet.body["message"] == "transaction already refunded"
    assert balance_of(backend, player) == Decimal("100.00")


def test_a_bet_resent_after_its_refund_is_refused(playhub: Playhub, player: Player, backend: Backend) -> None:
    """A 200 would tell Playhub that a reversed bet stands."""
    bet = playhub.bet(player.session_id, "10.00")
    playhub.refund(player.session_id, bet.payload["tx_id"])

    again = playhub.send(bet.payload)

    assert (again.status, again.body["message"]) == (400, "transaction already refunded")
    assert balance_of(backend, player) == Decimal("100.00")


def test_a_refund_through_another_currency_session_answers_the_stakes_wallet(
    playhub: Playhub, wallet: WalletService
) -> None:
    bitcoin = open_funded_session(wallet, "0.00012345", currency="BTC", player_id="multi-currency")
    euro = open_funded_session(wallet, "100.00", currency="EUR", player_id="multi-currency")
    bet = playhub.bet(bitcoin.session_id, "0.00000007")

    refund = playhub.refund(euro.session_id, bet.payload["tx_id"])

    assert (refund.status, refund.body["balance"]) == (200, "0.00012345")


def test_win_credits(playhub: Playhub, player: Player, backend: Backend) -> None:
    bet = playhub.bet(player.session_id, "10.00")
    win = playhub.win(player.session_id, "25.50", round_id=bet.payload["round_id"])

    assert (win.status, win.body["balance"]) == (200, "115.50")
    entry = backend.view.entry(player.wallet_key, Action.WIN, win.payload["tx_id"])
    assert entry is not None
    assert entry.outcome == rules.CREDITED


def test_zero_win_is_recorded_without_moving_money(playhub: Playhub, player: Player, backend: Backend) -> None:
    bet = playhub.bet(player.session_id, "10.00")
    win = playhub.win(player.session_id, "0", round_id=bet.payload["round_id"])

    assert (win.status, win.body["balance"]) == (200, "90.00")
    assert backend.view.entry(player.wallet_key, Action.WIN, win.payload["tx_id"]) is not None


def test_free_win_moves_no_money_but_is_recorded(playhub: Playhub, player: Player, backend: Backend) -> None:
    frc_id = playhub_id()
    bet = playhub.bet(player.session_id, "1.00", type="free", frc_id=frc_id)
    win = playhub.win(player.session_id, "7.00", type="free", frc_id=frc_id, round_id=bet.payload["round_id"])

    assert (win.status, win.body["balance"]) == (200, "100.00")
    entry = backend.view.entry(player.wallet_key, Action.WIN, win.payload["tx_id"])
    assert entry is not None
    assert (entry.outcome, entry.balance_change) == (rules.FREE_WIN, Decimal(0))


def test_free_rounds_payout_is_real_money_recorded_with_its_frc_id(
    playhub: Playhub, player: Player, backend: Backend
) -> None:
    frc_id = playhub_id()
    payout = playhub.win(player.session_id, "42.00", frc_id=frc_id)

    assert (payout.status, payout.body["balance"]) == (200, "142.00")
    entry = backend.view.entry(player.wallet_key, Action.WIN, payout.payload["tx_id"])
    assert entry is not None
    assert (entry.outcome, entry.frc_id, entry.balance_change) == (rules.FREE_ROUNDS_PAYOUT, frc_id, Decimal(42))


def test_win_for_a_round_with_no_known_bet_is_paid_and_counted_as_an_anomaly(
    playhub: Playhub, player: Player, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    win = playhub.win(player.session_id, "8.00")

    assert (win.status, win.body["balance"]) == (200, "108.00")
    entry = backend.view.entry(player.wallet_key, Action.WIN, win.payload["tx_id"])
    assert entry is not None
    assert entry.outcome == rules.WIN_WITHOUT_BET
    assert emitted_metrics(capsys.readouterr().out).get("Anomalies") == [1.0]


def test_refund_of_a_known_bet_credits_it_back_once_and_marks_it_refunded(
    playhub: Playhub, player: Player, backend: Backend
) -> None:
    bet = playhub.bet(player.session_id, "30.00")
    refund = playhub.refund(player.session_id, bet.payload["tx_id"])

    assert (refund.status, refund.body["balance"]) == (200, "100.00")
    entry = backend.view.entry(player.wallet_key, Action.BET, bet.payload["tx_id"])
    assert entry is not None
    assert entry.refunded_by == refund.payload["tx_id"]


def test_refund_of_a_bet_already_refunded_by_another_refund_changes_nothing(
    playhub: Playhub, player: Player, backend: Backend
) -> None:
    bet = playhub.bet(player.session_id, "30.00")
    playhub.refund(player.session_id, bet.payload["tx_id"])

    second = playhub.refund(player.session_id, bet.payload["tx_id"])  # another refund tx_id

    assert (second.status, second.body["balance"]) == (200, "100.00")
    assert balance_of(backend, player) == Decimal("100.00")


def test_refund_of_an_unknown_transaction_answers_200_and_leaves_a_marker(
    playhub: Playhub, player: Player, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    orig = playhub_id()
    refund = playhub.refund(player.session_id, orig)

    assert (refund.status, refund.body["balance"]) == (200, "100.00")
    marker = backend.view.entry(player.wallet_key, Action.BET, orig)
    assert marker is not None
    assert marker.kind is EntryKind.REFUND_MARKER
    assert emitted_metrics(capsys.readouterr().out).get("RefundsOfUnknownTransactions") == [1.0]


def test_refund_whose_original_is_a_win_moves_no_money_and_is_an_anomaly(
    playhub: Playhub, player: Player, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    bet = playhub.bet(player.session_id, "10.00")
    win = playhub.win(player.session_id, "20.00", round_id=bet.payload["round_id"])
    capsys.readouterr()

    refund = playhub.refund(player.session_id, win.payload["tx_id"])

    assert (refund.status, refund.body["balance"]) == (200, "110.00")
    entry = backend.view.entry(player.wallet_key, Action.REFUND, refund.payload["tx_id"])
    assert entry is not None
    assert entry.outcome == rules.REFUND_OF_WIN
    assert emitted_metrics(capsys.readouterr().out).get("Anomalies") == [1.0]


def test_refund_of_a_free_bet_moves_no_money(playhub: Playhub, player: Player) -> None:
    bet = playhub.bet(player.session_id, "5.00", type="free", frc_id=playhub_id())
    refund = playhub.refund(player.session_id, bet.payload["tx_id"])

    assert (refund.status, refund.body["balance"]) == (200, "100.00")


@pytest.mark.parametrize("action", ["balance", "bet", "win", "refund"])
def test_duplicate_delivery_is_applied_once(playhub: Playhub, player: Player, backend: Backend, action: str) -> None:
    bet = playhub.bet(player.session_id, "10.00")
    first = {
        "balance": lambda: playhub.balance(player.session_id),
        "bet": lambda: bet,
        "win": lambda: playhub.win(player.session_id, "15.00", round_id=bet.payload["round_id"]),
        "refund": lambda: playhub.refund(player.session_id, bet.payload["tx_id"]),
    }[action]()
    balance_after_first = balance_of(backend, player)

    repeats = [playhub.send(first.payload) for _ in range(3)]

    assert all(answer.status == 200 and answer.body == first.body for answer in repeats)
    assert balance_of(backend, player) == balance_after_first


def test_bet_and_win_may_share_a_tx_id_as_older_playhub_versions_did(playhub: Playhub, player: Player) -> None:
    shared = playhub_id()
    bet = playhub.bet(player.session_id, "10.00", tx_id=shared)
    win = playhub.win(player.session_id, "4.00", tx_id=shared, round_id=bet.payload["round_id"])

    assert (bet.status, win.status) == (200, 200)
    assert win.body["balance"] == "94.00"
    assert win.body["tx_id"] != bet.body["tx_id"]


def test_balance_answers_with_the_currency_places(playhub: Playhub, wallet: WalletService) -> None:
    yen = open_funded_session(wallet, "1500", currency="JPY")
    bitcoin = open_funded_session(wallet, "0.00012345", currency="BTC")

    assert playhub.balance(yen.session_id).body == {"balance": "1500"}
    assert playhub.balance(bitcoin.session_id).body == {"balance": "0.00012345"}
    assert playhub.bet(bitcoin.session_id, "0.00000001").body["balance"] == "0.00012344"


def test_blocking_a_player_before_any_money_leaves_a_usable_wallet(
    playhub: Playhub, wallet: WalletService, backend: Backend
) -> None:
    player = open_funded_session(wallet, "0")
    backend.block(player.wallet_key)

    assert playhub.balance(player.session_id).body == {"balance": "0.00"}
    assert playhub.bet(player.session_id, "1.00").status == 400
    assert playhub.win(player.session_id, "2.00").body["balance"] == "2.00"
    backend.block(player.wallet_key, blocked=False)
    assert playhub.bet(player.session_id, "1.00").body["balance"] == "1.00"


def test_a_blocked_player_cannot_bet_but_still_receives_wins(
    playhub: Playhub, player: Player, backend: Backend
) -> None:
    backend.block(player.wallet_key)

    bet = playhub.bet(player.session_id, "1.00")
    win = playhub.win(player.session_id, "2.00")

    assert (bet.status, bet.body["message"]) == (400, "unauthorized")
    assert (win.status, win.body["balance"]) == (200, "102.00")


def emitted_metrics(stdout: str) -> dict[str, list[float]]:
    """Metric values from the CloudWatch EMF lines that powertools printed."""
    values: dict[str, list[float]] = {}
    for line in stdout.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if not isinstance(document, dict) or "_aws" not in document:
            continue
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                value = document[metric["Name"]]
                values.setdefault(metric["Name"], []).extend(value if isinstance(value, list) else [value])
    return values
