"""PLAYHUB contract §4 in Swipe Games' dialect: one test per row of the ledger's case table, and the
house rules of SWIPE.md §12, through the real Swipe handlers (functions/swipe_*) with events signed
as Swipe signs them.

Each test runs on the in-memory ledger, on moto, and on real DynamoDB Local. The answers are
Swipe's: camelCase `{"balance", "txID"}`, and errors with `code` and `action` where Swipe has them.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from conftest import DYNAMO_BACKENDS, SWIPE_GAME, Backend, Player, open_funded_session
from integration.test_case_table import emitted_metrics
from integration.test_storage_faults import cancelled, inject, throttled
from support.harness import FakeClock, Playhub, Swipe
from support.requests import count_store_requests

from playhub_wallet import rules
from playhub_wallet.models import Action
from playhub_wallet.state import EntryKind, LedgerEntry, Provider
from playhub_wallet.swipe_requests import swipe_id
from playhub_wallet.wallet import WalletService

SWIPE = Provider.SWIPE
CAMPAIGN = "welcome-2026.eu:7"  # our campaign's external_id, which Swipe sends back as frID


def balance_of(backend: Backend, player: Player) -> Decimal:
    return backend.view.wallet(player.wallet_key).balance


def entry(backend: Backend, player: Player, action: Action, tx_id: str) -> LedgerEntry | None:
    return backend.view.entry(player.wallet_key, action, tx_id, SWIPE)


def test_balance_is_a_signed_get_answered_in_the_currencys_places(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    answer = swipe.balance(swipe_player.session_id)

    assert (answer.status, answer.body) == (200, {"balance": "100.00"})


def test_bet_with_enough_funds_debits_and_answers_the_new_balance_and_our_tx_id(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    answer = swipe.bet(swipe_player.session_id, "12.34")

    assert answer.status == 200
    assert set(answer.body) == {"balance", "txID"}
    assert answer.body["balance"] == "87.66"
    assert answer.body["txID"] != answer.payload["txID"]  # ours, not Swipe's
    assert balance_of(backend, swipe_player) == Decimal("87.66")
    bet = entry(backend, swipe_player, Action.BET, answer.payload["txID"])
    assert bet is not None
    assert (bet.our_tx_id, bet.balance_change, bet.type, bet.game_id) == (
        answer.body["txID"],
        Decimal("-12.34"),
        "bet",
        SWIPE_GAME,
    )
    # In Swipe's key space only: the same id as a Playhub tx_id names nothing.
    assert backend.view.entry(swipe_player.wallet_key, Action.BET, answer.payload["txID"]) is None


def test_bet_without_enough_funds_is_insufficient_funds_and_changes_nothing(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    answer = swipe.bet(swipe_player.session_id, "100.01")

    assert answer.status == 400
    assert answer.body["code"] == "insufficient_funds"
    assert "action" not in answer.body
    assert balance_of(backend, swipe_player) == Decimal("100.00")
    assert entry(backend, swipe_player, Action.BET, answer.payload["txID"]) is None


@pytest.mark.parametrize(
    "session_id",
    [
        "no-such-session",
        "sw1.WyJwIiwiRVVSIiwiZyJd.never-issued",
    ],
)
def test_bet_on_an_unknown_session_is_session_not_found_with_a_refresh(swipe: Swipe, session_id: str) -> None:
    answer = swipe.bet(session_id, "1.00")

    assert answer.status == 404
    assert (answer.body["code"], answer.body["action"], answer.body["message"]) == (
        "session_not_found",
        "refresh",
        "session not found",
    )


def test_a_session_is_served_only_by_its_own_providers_callbacks(
    swipe: Swipe, playhub: Playhub, swipe_player: Player, wallet: WalletService, backend: Backend
) -> None:
    playhub_player = open_funded_session(wallet, player_id=swipe_player.wallet_key.player_id, amount="0")

    assert swipe.bet(playhub_player.session_id, "1.00").body["code"] == "session_not_found"
    assert swipe.balance(playhub_player.session_id).status == 404
    assert playhub.bet(swipe_player.session_id, "1.00").status == 404
    assert playhub.balance(swipe_player.session_id).status == 404
    assert balance_of(backend, swipe_player) == Decimal("100.00")


def test_bet_on_an_expired_session_is_session_expired_but_wins_and_refunds_still_land(
    swipe: Swipe, swipe_player: Player, backend: Backend, clock: FakeClock
) -> None:
    bet = swipe.bet(swipe_player.session_id, "10.00")
    assert bet.status == 200
    clock.advance(4 * 3600 + 15 * 60 + 1)

    late_bet = swipe.bet(swipe_player.session_id, "1.00")
    balance = swipe.balance(swipe_player.session_id)
    win = swipe.win(swipe_player.session_id, "5.00", round_id=bet.payload["roundID"])
    refund = swipe.refund(swipe_player.session_id, bet.payload["txID"], "10.00")

    assert late_bet.status == balance.status == 404
    assert (late_bet.body["code"], late_bet.body["action"]) == ("session_expired", "refresh")
    assert balance.body["code"] == "session_expired"
    assert (win.status, refund.status) == (200, 200)
    assert balance_of(backend, swipe_player) == Decimal("105.00")


def test_free_bet_moves_no_money_and_records_the_campaign(swipe: Swipe, swipe_player: Player, backend: Backend) -> None:
    answer = swipe.bet(swipe_player.session_id, "500.00", type="free", fr_id=CAMPAIGN)

    assert (answer.status, answer.body["balance"]) == (200, "100.00")
    bet = entry(backend, swipe_player, Action.BET, answer.payload["txID"])
    assert bet is not None
    assert (bet.outcome, bet.balance_change, bet.frc_id, bet.type) == (rules.FREE_BET, Decimal(0), CAMPAIGN, "free")


def test_same_bet_again_changes_nothing_and_answers_the_first_tx_id_with_the_current_balance(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    first = swipe.bet(swipe_player.session_id, "10.00")
    swipe.win(swipe_player.session_id, "4.00", round_id=first.payload["roundID"])

    again = swipe.send("bet", first.payload)

    assert (again.status, again.body) == (200, {"balance": "94.00", "txID": first.body["txID"]})
    assert balance_of(backend, swipe_player) == Decimal("94.00")


@pytest.mark.parametrize("change", [{"amount": "11.00"}, {"roundID": "new"}, {"type": "free"}])
def test_same_tx_id_with_a_different_payload_is_refused_changes_nothing_and_is_an_anomaly(
    swipe: Swipe, swipe_player: Player, backend: Backend, change: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    first = swipe.bet(swipe_player.session_id, "10.00")
    changed = {**first.payload, **{k: swipe_id() if v == "new" else v for k, v in change.items()}}
    capsys.readouterr()

    again = swipe.send("bet", changed)

    assert again.status == 400
    assert "code" not in again.body
    assert balance_of(backend, swipe_player) == Decimal("90.00")
    # Swipe promises a txID unique for 3 months only; ours are kept for ever (SWIPE.md §12).
    assert emitted_metrics(capsys.readouterr().out).get("Anomalies") == [1.0]


def test_a_refund_tx_id_sent_again_with_another_amount_is_refused(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    bet = swipe.bet(swipe_player.session_id, "10.00")
    refund = swipe.refund(swipe_player.session_id, bet.payload["txID"], "10.00")

    again = swipe.send("refund", {**refund.payload, "amount": "9.00"})

    assert (refund.status, again.status) == (200, 400)
    assert balance_of(backend, swipe_player) == Decimal("100.00")


def test_bet_whose_tx_id_was_already_refunded_is_refused_and_void(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    tx_id = swipe_id()
    refund = swipe.refund(swipe_player.session_id, tx_id, "10.00")  # the refund overtook its bet

    late_bet = swipe.bet(swipe_player.session_id, "10.00", tx_id=tx_id)

    assert (refund.status, refund.body["balance"]) == (200, "100.00")
    assert late_bet.status == 400
    assert late_bet.body["message"] == "transaction already refunded"
    assert balance_of(backend, swipe_player) == Decimal("100.00")


def test_a_bet_resent_after_its_refund_is_refused(swipe: Swipe, swipe_player: Player, backend: Backend) -> None:
    bet = swipe.bet(swipe_player.session_id, "10.00")
    assert swipe.refund(swipe_player.session_id, bet.payload["txID"], "10.00").status == 200

    again = swipe.send("bet", bet.payload)

    assert again.status == 400
    assert balance_of(backend, swipe_player) == Decimal("100.00")


@pytest.mark.parametrize("amount", ["7.50", "0"])
def test_win_credits_its_amount(swipe: Swipe, swipe_player: Player, backend: Backend, amount: str) -> None:
    bet = swipe.bet(swipe_player.session_id, "10.00")

    win = swipe.win(swipe_player.session_id, amount, round_id=bet.payload["roundID"])

    expected = Decimal("90.00") + Decimal(amount)
    assert (win.status, Decimal(win.body["balance"])) == (200, expected)
    recorded = entry(backend, swipe_player, Action.WIN, win.payload["txID"])
    assert recorded is not None
    assert (recorded.outcome, recorded.balance_change) == (rules.CREDITED, Decimal(amount))


def test_free_win_moves_no_money_but_is_recorded(swipe: Swipe, swipe_player: Player, backend: Backend) -> None:
    bet = swipe.bet(swipe_player.session_id, "1.00", type="free", fr_id=CAMPAIGN)

    win = swipe.win(swipe_player.session_id, "25.00", round_id=bet.payload["roundID"], type="free", fr_id=CAMPAIGN)

    assert (win.status, win.body["balance"]) == (200, "100.00")
    recorded = entry(backend, swipe_player, Action.WIN, win.payload["txID"])
    assert recorded is not None
    assert (recorded.outcome, recorded.balance_change, recorded.frc_id) == (rules.FREE_WIN, Decimal(0), CAMPAIGN)


def test_the_bonus_withdrawal_is_real_money_recorded_with_its_campaign(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    win = swipe.win(swipe_player.session_id, "40.00", type="regular", fr_id=CAMPAIGN)

    assert (win.status, win.body["balance"]) == (200, "140.00")
    recorded = entry(backend, swipe_player, Action.WIN, win.payload["txID"])
    assert recorded is not None
    assert (recorded.outcome, recorded.frc_id, recorded.balance_change) == (
        rules.FREE_ROUNDS_PAYOUT,
        CAMPAIGN,
        Decimal("40.00"),
    )


def test_win_for_a_round_with_no_known_bet_is_paid_and_counted_as_an_anomaly(
    swipe: Swipe, swipe_player: Player, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    win = swipe.win(swipe_player.session_id, "5.00")

    assert (win.status, win.body["balance"]) == (200, "105.00")
    recorded = entry(backend, swipe_player, Action.WIN, win.payload["txID"])
    assert recorded is not None
    assert recorded.outcome == rules.WIN_WITHOUT_BET
    assert emitted_metrics(capsys.readouterr().out).get("Anomalies") == [1.0]


def test_refund_of_a_known_bet_credits_the_stake_once_and_marks_the_bet_refunded(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    bet = swipe.bet(swipe_player.session_id, "10.00")

    refund = swipe.refund(swipe_player.session_id, bet.payload["txID"], "10.00", round_id=bet.payload["roundID"])
    again = swipe.send("refund", refund.payload)

    assert (refund.status, refund.body["balance"]) == (200, "100.00")
    assert again.body == refund.body
    assert balance_of(backend, swipe_player) == Decimal("100.00")
    recorded = entry(backend, swipe_player, Action.BET, bet.payload["txID"])
    assert recorded is not None
    assert recorded.refunded_by == refund.payload["txID"]


@pytest.mark.parametrize(
    ("stated", "outcome"),
    [("12.00", rules.REFUNDED_OTHER_AMOUNT), ("10", rules.REFUNDED)],
)
def test_refund_stating_another_amount_credits_the_recorded_stake_answers_200_and_is_an_anomaly(
    swipe: Swipe,
    swipe_player: Player,
    backend: Backend,
    capsys: pytest.CaptureFixture[str],
    stated: str,
    outcome: str,
) -> None:
    bet = swipe.bet(swipe_player.session_id, "10.00")
    capsys.readouterr()

    refund = swipe.refund(swipe_player.session_id, bet.payload["txID"], stated)

    assert (refund.status, refund.body["balance"]) == (200, "100.00")
    recorded = entry(backend, swipe_player, Action.REFUND, refund.payload["txID"])
    assert recorded is not None
    assert (recorded.outcome, recorded.balance_change, recorded.amount) == (outcome, Decimal("10.00"), Decimal(stated))
    anomalies = emitted_metrics(capsys.readouterr().out).get("Anomalies")
    assert anomalies == ([1.0] if outcome in rules.ANOMALIES else None)


@pytest.mark.parametrize(
    ("stated", "outcome", "recorded_amount"),
    [
        ("10." + "0" * 40 + "1", rules.REFUNDED_OTHER_AMOUNT, "10.00"),  # past DynamoDB's 38 digits: the stake
        ("10.001", rules.REFUNDED_OTHER_AMOUNT, "10.00"),  # more places than EUR has
        ("10.500", rules.REFUNDED_OTHER_AMOUNT, "10.50"),  # as stated: its value fits EUR's places
        ("10.000", rules.REFUNDED, "10.00"),  # the stake's value, written with a zero more
    ],
)
def test_a_refund_stating_an_amount_the_currency_cannot_hold_still_answers_200_and_replays(
    swipe: Swipe, swipe_player: Player, backend: Backend, stated: str, outcome: str, recorded_amount: str
) -> None:
    bet = swipe.bet(swipe_player.session_id, "10.00")

    refund = swipe.refund(swipe_player.session_id, bet.payload["txID"], stated)
    again = swipe.send("refund", refund.payload)
    other = swipe.send("refund", {**refund.payload, "amount": "10.00" if outcome != rules.REFUNDED else "10.01"})

    assert (refund.status, refund.body["balance"]) == (200, "100.00")
    assert again.body == refund.body
    assert other.status == 400  # another stated amount under the same txID: a payload mismatch
    recorded = entry(backend, swipe_player, Action.REFUND, refund.payload["txID"])
    assert recorded is not None
    assert (recorded.outcome, recorded.balance_change, recorded.amount) == (
        outcome,
        Decimal("10.00"),
        Decimal(recorded_amount),
    )
    assert balance_of(backend, swipe_player) == Decimal("100.00")


def test_refund_naming_another_round_credits_the_stake_and_is_an_anomaly(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    bet = swipe.bet(swipe_player.session_id, "10.00")

    refund = swipe.refund(swipe_player.session_id, bet.payload["txID"], "10.00", round_id=swipe_id())

    assert (refund.status, refund.body["balance"]) == (200, "100.00")
    recorded = entry(backend, swipe_player, Action.REFUND, refund.payload["txID"])
    assert recorded is not None
    assert recorded.outcome == rules.REFUNDED_OTHER_ROUND


def test_refund_of_a_bet_already_refunded_by_another_refund_changes_nothing(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    bet = swipe.bet(swipe_player.session_id, "10.00")
    first = swipe.refund(swipe_player.session_id, bet.payload["txID"], "10.00")

    second = swipe.refund(swipe_player.session_id, bet.payload["txID"], "10.00")

    assert (first.status, second.status, second.body["balance"]) == (200, 200, "100.00")
    assert second.body["txID"] != first.body["txID"]
    recorded = entry(backend, swipe_player, Action.REFUND, second.payload["txID"])
    assert recorded is not None
    assert recorded.outcome == rules.ALREADY_REFUNDED


def test_refund_of_an_unknown_transaction_answers_200_and_leaves_a_marker(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    orig = swipe_id()

    refund = swipe.refund(swipe_player.session_id, orig, "10.00")

    assert (refund.status, refund.body["balance"]) == (200, "100.00")
    marker = entry(backend, swipe_player, Action.BET, orig)
    assert marker is not None
    assert (marker.kind, marker.refunded_by) == (EntryKind.REFUND_MARKER, refund.payload["txID"])


def test_refund_whose_original_is_a_win_moves_no_money_and_is_an_anomaly(
    swipe: Swipe, swipe_player: Player, backend: Backend, capsys: pytest.CaptureFixture[str]
) -> None:
    bet = swipe.bet(swipe_player.session_id, "10.00")
    win = swipe.win(swipe_player.session_id, "30.00", round_id=bet.payload["roundID"])

    capsys.readouterr()

    refund = swipe.refund(swipe_player.session_id, win.payload["txID"], "30.00")

    assert (refund.status, refund.body["balance"]) == (200, "120.00")
    recorded = entry(backend, swipe_player, Action.REFUND, refund.payload["txID"])
    assert recorded is not None
    assert recorded.outcome == rules.REFUND_OF_WIN
    assert emitted_metrics(capsys.readouterr().out).get("Anomalies") == [1.0]


def test_one_wallet_moves_the_same_whichever_dialect_plays_and_the_same_tx_id_in_both_is_two_bets(
    swipe: Swipe, playhub: Playhub, swipe_player: Player, wallet: WalletService, backend: Backend
) -> None:
    playhub_session = open_funded_session(wallet, player_id=swipe_player.wallet_key.player_id, amount="0")
    shared_id = swipe_id()

    on_swipe = swipe.bet(swipe_player.session_id, "10.00", tx_id=shared_id)
    on_playhub = playhub.bet(playhub_session.session_id, "5.00", tx_id=shared_id)
    swipe_balance = swipe.balance(swipe_player.session_id)

    assert (on_swipe.status, on_playhub.status) == (200, 200)
    assert (on_swipe.body["balance"], on_playhub.body["balance"], swipe_balance.body["balance"]) == (
        "90.00",
        "85.00",
        "85.00",
    )
    swipe_bet = entry(backend, swipe_player, Action.BET, shared_id)
    playhub_bet = backend.view.entry(swipe_player.wallet_key, Action.BET, shared_id)
    assert swipe_bet is not None
    assert playhub_bet is not None
    assert (swipe_bet.balance_change, playhub_bet.balance_change) == (Decimal("-10.00"), Decimal("-5.00"))
    # A Playhub refund of that id reverses Playhub's bet only.
    assert playhub.refund(playhub_session.session_id, shared_id).body["balance"] == "90.00"
    swipe_bet = entry(backend, swipe_player, Action.BET, shared_id)
    assert swipe_bet is not None
    assert swipe_bet.refunded_by is None


@pytest.mark.parametrize("backend", DYNAMO_BACKENDS, indirect=True)  # requests are counted on the wire
def test_a_body_with_a_wrong_signature_is_refused_before_anything_is_read(
    swipe: Swipe, swipe_player: Player, backend: Backend
) -> None:
    with count_store_requests(backend) as requests:
        answer = swipe.send("bet", swipe_bet_payload(swipe_player), key="not-swipes-key")
        balance = swipe.balance(swipe_player.session_id, key="not-swipes-key")

    assert (answer.status, balance.status) == (401, 401)
    assert dict(requests.by_operation) == {}  # refused before any read
    assert answer.body["message"] == "invalid signature"
    assert balance_of(backend, swipe_player) == Decimal("100.00")


def test_a_playhub_signed_body_is_not_a_swipe_callback(swipe: Swipe, swipe_player: Player) -> None:
    from devtools.callbacks import SAMPLE_CALLBACK_KEY

    assert swipe.send("bet", swipe_bet_payload(swipe_player), key=SAMPLE_CALLBACK_KEY).status == 401


@pytest.mark.parametrize(
    "query",
    [[], [("sessionID", "")], [("sessionid", "x")]],
    ids=["none", "empty", "wrong case"],
)
def test_a_malformed_balance_query_is_a_400_after_the_signature(
    swipe: Swipe, swipe_player: Player, query: list[tuple[str, str]]
) -> None:
    from playhub_wallet.swipe_requests import balance_event

    status, body = swipe.invoke("balance", balance_event(swipe.key, "", query=query))

    assert status == 400
    assert body["message"] == "bad request"
    assert "sessionID" in body["details"]


def test_a_repeated_session_id_is_signed_on_its_first_value_and_refused(swipe: Swipe, swipe_player: Player) -> None:
    from playhub_wallet.swipe_requests import balance_event

    query = [("sessionID", swipe_player.session_id), ("sessionID", "other")]
    status, body = swipe.invoke("balance", balance_event(swipe.key, "", query=query))
    unsigned_last = balance_event(swipe.key, "", query=[("sessionID", "other")])
    unsigned_last["multiValueQueryStringParameters"] = {"sessionID": [swipe_player.session_id, "other"]}

    assert status == 400  # the signature (over the first value) held: the query is what is wrong
    assert "once" in body["details"]
    assert swipe.invoke("balance", unsigned_last)[0] == 401


def test_a_body_that_repeats_a_name_is_a_400(swipe: Swipe, swipe_player: Player, backend: Backend) -> None:
    from playhub_wallet.swipe_requests import post_event
    from playhub_wallet.swipe_signing import SIGNATURE_HEADER, sign

    payload = swipe_bet_payload(swipe_player)
    raw = json.dumps(payload, separators=(",", ":"))[:-1] + ',"amount":"0.01"}'
    event = post_event(swipe.key, "bet", payload)
    event["body"] = raw
    event["headers"][SIGNATURE_HEADER] = sign(swipe.key, raw.encode())

    status, body = swipe.invoke("bet", event)

    assert (status, body["details"]) == (400, "body is not valid JSON")
    assert balance_of(backend, swipe_player) == Decimal("100.00")


def swipe_bet_payload(player: Player) -> dict[str, str]:
    from playhub_wallet.swipe_requests import round_payload

    return round_payload(player.session_id, "1.00")


def test_conflicts_and_throttling_are_retried_and_the_bet_lands_once(
    swipe: Swipe, swipe_player: Player, backend: Backend, wallet: WalletService
) -> None:
    inject(backend, wallet, [cancelled("None", "TransactionConflict"), throttled(), cancelled("ThrottlingError")])

    answer = swipe.bet(swipe_player.session_id, "10.00")

    assert (answer.status, answer.body["balance"]) == (200, "90.00")
    assert balance_of(backend, swipe_player) == Decimal("90.00")


def test_storage_busy_past_the_time_budget_is_a_500_swipe_refunds_with_nothing_written(
    swipe: Swipe,
    swipe_player: Player,
    backend: Backend,
    wallet: WalletService,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from playhub_wallet import http

    monkeypatch.setattr(http, "_SAFETY_MARGIN_SECONDS", 4.8)  # leaves a 0.2 s budget
    inject(backend, wallet, [throttled() for _ in range(10_000)])
    capsys.readouterr()

    answer = swipe.bet(swipe_player.session_id, "10.00")

    assert answer.status == 500  # the one answer after which Swipe refunds a bet (SWIPE.md §8)
    assert set(answer.body) == {"message", "details"}  # no code: nothing for the player to act on
    assert "storage busy" in answer.body["details"]
    assert balance_of(backend, swipe_player) == Decimal("100.00")
    assert entry(backend, swipe_player, Action.BET, answer.payload["txID"]) is None
    assert emitted_metrics(capsys.readouterr().out).get("Bet5xx") == [1.0]  # CallbackServerErrorsAlarm's
    inject(backend, wallet, [])
    monkeypatch.setattr(http, "_SAFETY_MARGIN_SECONDS", 0.3)

    refund = swipe.refund(swipe_player.session_id, answer.payload["txID"], "10.00")

    assert (refund.status, refund.body["balance"]) == (200, "100.00")
    marker = entry(backend, swipe_player, Action.BET, answer.payload["txID"])
    assert marker is not None
    assert marker.kind is EntryKind.REFUND_MARKER
