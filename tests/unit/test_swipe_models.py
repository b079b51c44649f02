"""Swipe's callback models, their translation to the wallet's commands, and Swipe's error bodies.

SWIPE.md §5 (callbacks), §6 (errors), §9 and §12 (free rounds, refunds, house rules). The
translations are checked through the wallet rules themselves: the same rules must move the same
money for a Swipe request as for its Playhub equivalent, apart from the rules of SWIPE.md §12
that only a Swipe request can meet (a refund that states its amount, the provider's key space).
"""

from __future__ import annotations

import inspect
from decimal import Decimal
from itertools import count
from typing import Any, cast

import pytest

from playhub_wallet import errors, rules
from playhub_wallet.dynamodb.keys import entry_key
from playhub_wallet.errors import (
    AlreadyRefunded,
    BadRequest,
    InsufficientFunds,
    InvalidSignature,
    PayloadMismatch,
    PlayerBlocked,
    PlayhubError,
    ServiceUnavailable,
    SessionNotFound,
)
from playhub_wallet.models import (
    Action,
    BalanceRequest,
    BalanceResponse,
    BetRequest,
    RefundRequest,
    StatedRefundRequest,
    TransactionResponse,
    WinRequest,
)
from playhub_wallet.money import CurrencyTable
from playhub_wallet.sessions import SessionRef, new_session_id, parse_session_id
from playhub_wallet.state import LedgerPort, Provider, Session, Snapshot, Wallet, WalletKey
from playhub_wallet.swipe_errors import (
    SESSION_EXPIRED_DETAILS,
    SHAPES,
    ClientAction,
    ErrorCode,
    SwipeErrorResponse,
    swipe_error,
    unexpected_error,
)
from playhub_wallet.swipe_models import (
    SwipeBalanceQuery,
    SwipeBalanceResponse,
    SwipeBetRequest,
    SwipeRefundRequest,
    SwipeTransactionResponse,
    SwipeWinRequest,
    parse_balance_query,
    parse_swipe_request,
    to_balance_request,
    to_bet_request,
    to_refund_request,
    to_swipe_balance,
    to_swipe_transaction,
    to_win_request,
)
from playhub_wallet.wallet import WalletService

NOW = 1_800_000_000
WALLET = WalletKey("p1", "EUR")
SESSION_ID = new_session_id("p1", "EUR", "sg_catch_97", Provider.SWIPE)
SESSION = Session(SESSION_ID, "p1", "EUR", "sg_catch_97", "active", NOW - 10, NOW + 100)
EXPIRED = Session(SESSION_ID, "p1", "EUR", "sg_catch_97", "active", NOW - 100, NOW)
TX = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
ROUND = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"
REFUND_TX = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"
CAMPAIGN = "summer-2026:eu.1"  # our external_id: the frID Swipe sends back
_ids = count(1)
CTX = rules.Context(
    now=NOW,
    places=2,
    session_idle_seconds=14400,
    session_retention_seconds=86400,
    new_tx_id=lambda: f"our-{next(_ids)}",
)


def _ref() -> SessionRef:
    ref = parse_session_id(SESSION_ID)
    assert ref is not None
    return ref


REF = _ref()


def snapshot(balance: str = "50.00", session: Session | None = SESSION, **kwargs: Any) -> Snapshot:
    return Snapshot(session, Wallet(WALLET, Decimal(balance), 7, **kwargs), {})


def round_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "regular",
        "sessionID": SESSION_ID,
        "amount": "10.50",
        "txID": TX,
        "roundID": ROUND,
    }
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def refund_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"sessionID": SESSION_ID, "txID": REFUND_TX, "origTxID": TX, "amount": "10.50"}
    body.update(changes)
    return {name: value for name, value in body.items() if value is not None}


def swipe_bet(**changes: Any) -> SwipeBetRequest:
    return cast(SwipeBetRequest, parse_swipe_request(Action.BET, round_body(**changes)))


def swipe_win(**changes: Any) -> SwipeWinRequest:
    return cast(SwipeWinRequest, parse_swipe_request(Action.WIN, round_body(**changes)))


def swipe_refund(**changes: Any) -> SwipeRefundRequest:
    return cast(SwipeRefundRequest, parse_swipe_request(Action.REFUND, refund_body(**changes)))


def refused(action: Action, body: object) -> str:
    with pytest.raises(BadRequest) as caught:
        parse_swipe_request(action, body)
    return caught.value.details


# Requests ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", [Action.BET, Action.WIN])
def test_a_round_body_parses_camel_case_into_decimal_money_and_canonical_uuids(action: Action) -> None:
    request = parse_swipe_request(action, round_body(txID=TX.upper(), roundID=ROUND.upper()))

    assert isinstance(request, SwipeBetRequest if action is Action.BET else SwipeWinRequest)
    assert request.session_id == SESSION_ID
    assert request.type == "regular"
    assert request.amount == Decimal("10.50")
    assert isinstance(request.amount, Decimal)
    assert (request.tx_id, request.round_id) == (TX, ROUND)
    assert request.fr_id is None


@pytest.mark.parametrize("fr_id", [CAMPAIGN, "x", "not a uuid at all", TX])
def test_fr_id_is_any_non_empty_string_our_external_id(fr_id: str) -> None:
    assert swipe_bet(type="free", frID=fr_id).fr_id == fr_id
    assert swipe_win(type="regular", frID=fr_id).fr_id == fr_id


def test_unknown_fields_and_a_playhub_action_are_ignored() -> None:
    request = swipe_bet(action="win", extra={"nested": 1})

    assert isinstance(request, SwipeBetRequest)
    assert request.type == "regular"


@pytest.mark.parametrize("amount", ["0", "0.00", "10", "10.5", "10.50", "0.0000001", "123456789012345678.99"])
def test_amounts_of_the_pattern_are_accepted(amount: str) -> None:
    assert swipe_win(amount=amount).amount == Decimal(amount)
    assert swipe_refund(amount=amount).amount == Decimal(amount)


@pytest.mark.parametrize(
    "amount",
    ["-1.00", "+1", "1e2", "1E-2", "01", "00.5", "1.", ".5", " 1", "1 ", "1,00", "", "NaN", "Infinity",
     "1234567890123456789", 10, 10.5, None, True],
)  # fmt: skip
@pytest.mark.parametrize("action", [Action.BET, Action.WIN, Action.REFUND])
def test_an_amount_off_the_pattern_or_not_a_string_is_refused(amount: object, action: Action) -> None:
    body = refund_body() if action is Action.REFUND else round_body()
    body["amount"] = amount
    if amount is None:
        del body["amount"]

    expected = {
        str: 'must be a decimal string such as "10.50" (no sign, exponent or spaces)',  # money.py's own text
        type(None): "Field required",
    }.get(type(amount), "must be a JSON string")

    assert refused(action, body) == f"amount: {expected}"  # what is wrong, never the value itself


@pytest.mark.parametrize("type_", ["bet", "win", "Regular", "FREE", "", 1, None])
@pytest.mark.parametrize("action", [Action.BET, Action.WIN])
def test_type_is_regular_or_free_and_required(type_: object, action: Action) -> None:
    body = round_body()
    body["type"] = type_
    if type_ is None:
        del body["type"]

    assert refused(action, body).startswith("type: ")


@pytest.mark.parametrize("field", ["txID", "roundID"])
@pytest.mark.parametrize("value", ["not-a-uuid", "", "6f1b2c3d4e5f4a6b8c7d9e0f1a2b3c4", 12345, None, "missing"])
@pytest.mark.parametrize("action", [Action.BET, Action.WIN])
def test_tx_and_round_ids_are_required_uuid_strings(field: str, value: object, action: Action) -> None:
    body = round_body()
    body[field] = value
    if value == "missing":
        del body[field]

    assert refused(action, body).startswith(f"{field}: ")


@pytest.mark.parametrize("value", ["", "x" * 257, 42, ["a"]])
@pytest.mark.parametrize("action", [Action.BET, Action.WIN])
def test_fr_id_is_a_bounded_non_empty_string_when_present(value: object, action: Action) -> None:
    assert refused(action, round_body(frID=value)).startswith("frID: ")


def test_fr_id_of_256_characters_is_accepted() -> None:
    assert swipe_win(frID="x" * 256).fr_id == "x" * 256


@pytest.mark.parametrize("value", ["", "s" * 257, 7, None])
@pytest.mark.parametrize("action", [Action.BET, Action.WIN, Action.REFUND])
def test_session_id_is_a_required_bounded_string(value: object, action: Action) -> None:
    body = refund_body() if action is Action.REFUND else round_body()
    body["sessionID"] = value
    if value is None:
        del body["sessionID"]

    assert refused(action, body).startswith("sessionID: ")


def test_snake_case_names_are_not_swipe_names() -> None:
    body = {"type": "regular", "session_id": SESSION_ID, "amount": "1", "tx_id": TX, "round_id": ROUND}

    assert refused(Action.BET, body) == "sessionID: Field required; txID: Field required; roundID: Field required"


def test_a_refund_needs_amount_and_orig_tx_id_and_takes_round_id_if_given() -> None:
    without_round = swipe_refund()
    with_round = swipe_refund(roundID=ROUND.upper())

    assert (without_round.tx_id, without_round.orig_tx_id, without_round.amount) == (REFUND_TX, TX, Decimal("10.50"))
    assert without_round.round_id is None
    assert with_round.round_id == ROUND
    assert refused(Action.REFUND, refund_body(amount=None)) == "amount: Field required"
    assert refused(Action.REFUND, refund_body(origTxID=None)) == "origTxID: Field required"
    assert refused(Action.REFUND, refund_body(txID=None)) == "txID: Field required"


@pytest.mark.parametrize("field", ["txID", "origTxID", "roundID"])
def test_refund_ids_are_uuids(field: str) -> None:
    assert refused(Action.REFUND, refund_body(**{field: "refund-1"})) == f"{field}: must be a UUID string"


def test_a_refund_has_no_type_and_ignores_one() -> None:
    assert not hasattr(swipe_refund(type="free"), "type")


@pytest.mark.parametrize(("body", "details"), [(None, "body is not valid JSON"), ([], "body must be a JSON object")])
@pytest.mark.parametrize("action", [Action.BET, Action.WIN, Action.REFUND])
def test_a_body_that_is_no_json_object_is_a_bad_request(body: object, details: str, action: Action) -> None:
    assert refused(action, body) == details


def test_balance_has_no_body_to_parse() -> None:
    with pytest.raises(ValueError, match="parse_balance_query"):
        parse_swipe_request(Action.BALANCE, {"sessionID": SESSION_ID})


def test_the_balance_query_takes_one_session_id_and_ignores_other_parameters() -> None:
    query = parse_balance_query({"sessionID": [SESSION_ID], "lang": ["en", "de"]})

    assert query == SwipeBalanceQuery.model_validate({"sessionID": SESSION_ID})
    assert query.session_id == SESSION_ID


@pytest.mark.parametrize(
    ("multi", "details"),
    [
        (None, "sessionID: Field required"),
        ({}, "sessionID: Field required"),
        ({"sessionID": []}, "sessionID: Field required"),
        ({"sessionid": [SESSION_ID]}, "sessionID: Field required"),  # names are case-sensitive
        ({"sessionID": [""]}, "sessionID: String should have at least 1 character"),
        ({"sessionID": ["s" * 257]}, "sessionID: String should have at most 256 characters"),
        ({"sessionID": [SESSION_ID, SESSION_ID]}, "sessionID: must be given once, not 2 times"),
        ({"sessionID": ["a", "b", "c"]}, "sessionID: must be given once, not 3 times"),
    ],
)
def test_a_malformed_balance_query_is_a_400_with_message_and_details(
    multi: dict[str, list[str]] | None, details: str
) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_balance_query(multi)

    assert caught.value.details == details
    answer = swipe_error(caught.value)
    assert answer.status == 400  # SWIPE.md §12: not a 404, which would have the player refresh
    assert answer.response.body() == {"message": "bad request", "details": details}


# Translation to the wallet's commands --------------------------------------------------


def test_balance_translates_to_the_wallets_balance_request() -> None:
    assert to_balance_request(parse_balance_query({"sessionID": [SESSION_ID]})) == BalanceRequest.model_validate(
        {"action": "balance", "session_id": SESSION_ID}
    )


@pytest.mark.parametrize(("swipe_type", "wallet_type"), [("regular", "bet"), ("free", "free")])
def test_a_bet_translates_to_the_wallets_bet(swipe_type: str, wallet_type: str) -> None:
    fr_id = CAMPAIGN if swipe_type == "free" else None

    bet = to_bet_request(swipe_bet(type=swipe_type, frID=fr_id))

    assert isinstance(bet, BetRequest)
    assert bet.model_dump() == {
        "action": Action.BET,
        "type": wallet_type,
        "session_id": SESSION_ID,
        "amount": Decimal("10.50"),
        "tx_id": TX,
        "round_id": ROUND,
        "frc_id": fr_id,
    }


@pytest.mark.parametrize(
    ("swipe_type", "fr_id", "wallet_type"),
    [("regular", None, "win"), ("free", CAMPAIGN, "free"), ("regular", CAMPAIGN, "win")],
)
def test_a_win_translates_to_the_wallets_win(swipe_type: str, fr_id: str | None, wallet_type: str) -> None:
    win = to_win_request(swipe_win(type=swipe_type, frID=fr_id))

    assert isinstance(win, WinRequest)
    assert (win.type, win.frc_id, win.amount, win.tx_id, win.round_id) == (
        wallet_type,
        fr_id,
        Decimal("10.50"),
        TX,
        ROUND,
    )


@pytest.mark.parametrize("amount", ["0.0000001", "123456789012345678.99", "0", "100.50"])
def test_the_amount_crosses_unchanged_even_where_str_would_write_an_exponent(amount: str) -> None:
    bet = to_bet_request(swipe_bet(amount=amount))

    assert bet.amount == Decimal(amount)
    assert str(bet.amount.as_tuple()) == str(Decimal(amount).as_tuple())


def test_a_refund_translates_to_a_refund_that_states_its_amount_and_round() -> None:
    refund = to_refund_request(swipe_refund(amount="3.00", roundID=ROUND))

    assert isinstance(refund, RefundRequest)  # the wallet's refund, with what Swipe states besides
    assert refund == StatedRefundRequest.model_validate(
        {
            "action": "refund",
            "session_id": SESSION_ID,
            "tx_id": REFUND_TX,
            "orig_tx_id": TX,
            "amount": "3.00",
            "round_id": ROUND,
        }
    )
    assert to_refund_request(swipe_refund()).round_id is None


def _applied(decision: rules.Decision) -> rules.Apply:
    assert isinstance(decision, rules.Apply)
    return decision


def test_a_regular_bet_debits_the_stake_through_the_same_rules() -> None:
    entry = _applied(rules.decide_bet(to_bet_request(swipe_bet(amount="20.00")), REF, snapshot(), CTX)).entry

    assert (entry.outcome, entry.balance_change, entry.balance_after) == (
        rules.DEBITED,
        Decimal("-20.00"),
        Decimal("30.00"),
    )
    assert entry.frc_id is None


def test_a_free_bet_moves_no_money_and_records_the_campaign() -> None:
    request = to_bet_request(swipe_bet(type="free", frID=CAMPAIGN, amount="80.00"))

    entry = _applied(rules.decide_bet(request, REF, snapshot(balance="0.00"), CTX)).entry

    assert (entry.outcome, entry.balance_change, entry.amount) == (rules.FREE_BET, Decimal(0), Decimal("80.00"))
    assert entry.frc_id == CAMPAIGN


def test_a_regular_bet_larger_than_the_balance_is_insufficient_funds_for_swipe_too() -> None:
    with pytest.raises(InsufficientFunds) as caught:
        rules.decide_bet(to_bet_request(swipe_bet(amount="50.01")), REF, snapshot(), CTX)

    assert swipe_error(caught.value).response.code is ErrorCode.INSUFFICIENT_FUNDS


@pytest.mark.parametrize(
    ("swipe_type", "fr_id", "outcome", "credit"),
    [
        ("free", CAMPAIGN, rules.FREE_WIN, Decimal(0)),  # §9, §12: free wins move nothing
        ("free", None, rules.FREE_WIN, Decimal(0)),
        ("regular", CAMPAIGN, rules.FREE_ROUNDS_PAYOUT, Decimal("10.50")),  # the bonus withdrawal is credited
        ("regular", None, rules.WIN_WITHOUT_BET, Decimal("10.50")),  # no bet read in this round
    ],
)
def test_wins_move_money_as_swipe_says(swipe_type: str, fr_id: str | None, outcome: str, credit: Decimal) -> None:
    request = to_win_request(swipe_win(type=swipe_type, frID=fr_id))

    entry = _applied(rules.decide_win(request, REF, snapshot(session=EXPIRED), CTX)).entry  # wins outlive a session

    assert (entry.outcome, entry.balance_change, entry.frc_id) == (outcome, credit, fr_id)


def test_a_refund_of_a_known_bet_credits_the_recorded_stake_whatever_amount_swipe_names() -> None:
    bet = _applied(rules.decide_bet(to_bet_request(swipe_bet(amount="20.00")), REF, snapshot(), CTX)).entry
    refund = to_refund_request(swipe_refund(amount="25.00"))

    entry = _applied(
        rules.decide_refund(refund, REF, Snapshot(SESSION, Wallet(WALLET, Decimal(30), 8), {bet.key: bet}), CTX)
    ).entry

    assert (entry.balance_change, entry.balance_after) == (Decimal("20.00"), Decimal("50.00"))


@pytest.mark.parametrize(
    ("stated", "outcome"),
    [
        ({"amount": "20.00"}, rules.REFUNDED),
        ({"amount": "20"}, rules.REFUNDED),  # by value
        ({"amount": "20.00", "roundID": ROUND}, rules.REFUNDED),
        ({"amount": "25.00"}, rules.REFUNDED_OTHER_AMOUNT),
        ({"amount": "19.99", "roundID": REFUND_TX}, rules.REFUNDED_OTHER_AMOUNT),
        ({"amount": "20.00", "roundID": REFUND_TX}, rules.REFUNDED_OTHER_ROUND),
    ],
)
def test_a_refund_that_disagrees_with_the_bet_credits_the_stake_and_is_counted_as_an_anomaly(
    stated: dict[str, str], outcome: str
) -> None:
    bet = _applied(rules.decide_bet(to_bet_request(swipe_bet(amount="20.00")), REF, snapshot(), CTX)).entry
    refund = to_refund_request(swipe_refund(**stated))

    entry = _applied(
        rules.decide_refund(refund, REF, Snapshot(SESSION, Wallet(WALLET, Decimal(30), 8), {bet.key: bet}), CTX)
    ).entry

    assert (entry.outcome, entry.balance_change, entry.amount) == (outcome, Decimal("20.00"), Decimal(stated["amount"]))
    assert (entry.outcome in rules.ANOMALIES) is (outcome != rules.REFUNDED)


def test_a_refund_tx_id_sent_again_with_another_amount_or_round_is_a_payload_mismatch() -> None:
    first = to_refund_request(swipe_refund(amount="20.00"))

    assert rules.fingerprint(first, 2) == rules.fingerprint(to_refund_request(swipe_refund(amount="20.0")), 2)
    assert rules.fingerprint(first, 2) != rules.fingerprint(to_refund_request(swipe_refund(amount="25.00")), 2)
    assert rules.fingerprint(first, 2) != rules.fingerprint(to_refund_request(swipe_refund(roundID=ROUND)), 2)


def test_a_swipe_tx_id_never_shares_a_key_with_the_same_playhub_tx_id() -> None:
    playhub_ref = parse_session_id(new_session_id("p1", "EUR", "sg_catch_97"))
    assert playhub_ref is not None
    playhub = BetRequest.model_validate(
        {
            "action": "bet",
            "type": "bet",
            "session_id": playhub_ref.session_id,
            "amount": "1",
            "tx_id": TX,
            "round_id": ROUND,
        }
    )
    swipe = to_bet_request(swipe_bet())

    swipe_keys, playhub_keys = (
        rules.reads_for_bet(REF, swipe).entries,
        rules.reads_for_bet(playhub_ref, playhub).entries,
    )
    assert [k.playhub_tx_id for k in swipe_keys] == [k.playhub_tx_id for k in playhub_keys] == [TX]
    assert set(swipe_keys).isdisjoint(playhub_keys)
    assert {entry_key(k)["pk"] for k in swipe_keys}.isdisjoint(entry_key(k)["pk"] for k in playhub_keys)


# Answers -------------------------------------------------------------------------------


def test_answers_are_balance_and_our_tx_id_in_camel_case() -> None:
    assert to_swipe_balance(BalanceResponse(balance="10.00")).model_dump() == {"balance": "10.00"}
    assert to_swipe_transaction(TransactionResponse(balance="0.00", tx_id="our-1")).model_dump() == {
        "balance": "0.00",
        "txID": "our-1",
    }


@pytest.mark.parametrize("balance", ["-1.00", "1e3", "01.00", "", " 1"])
def test_an_answer_never_carries_a_balance_off_swipes_pattern(balance: str) -> None:
    with pytest.raises(ValueError, match="pattern"):
        SwipeBalanceResponse(balance=balance)
    with pytest.raises(ValueError, match="pattern"):
        SwipeTransactionResponse(balance=balance, tx_id="our-1")


# Errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (BadRequest("amount: Field required"), 400, {"message": "bad request"}),
        (InvalidSignature("X-REQUEST-SIGN does not match"), 401, {"message": "invalid signature"}),
        (
            SessionNotFound("unknown session id"),
            404,
            {"message": "session not found", "code": "session_not_found", "action": "refresh"},
        ),
        (
            SessionNotFound(SESSION_EXPIRED_DETAILS),
            404,
            {"message": "session expired", "code": "session_expired", "action": "refresh"},
        ),
        (InsufficientFunds("balance is lower"), 400, {"message": "insufficient funds", "code": "insufficient_funds"}),
        (PlayerBlocked("player is blocked"), 400, {"message": "account blocked", "code": "account_blocked"}),
        (
            PayloadMismatch("bet x was first sent with other fields"),
            400,
            {"message": "transaction id already used with a different payload"},
        ),
        (AlreadyRefunded("bet x was refunded"), 400, {"message": "transaction already refunded"}),
        (ServiceUnavailable("storage busy after 3 attempts"), 500, {"message": "internal server error"}),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, PlayhubError) else None,
)
def test_each_outcome_has_its_swipe_status_and_body(error: PlayhubError, status: int, body: dict[str, str]) -> None:
    answer = swipe_error(error)

    assert answer.status == status
    assert answer.response.body() == {**body, "details": error.details}


def test_every_playhub_error_is_mapped_explicitly() -> None:
    def all_subclasses(cls: type[PlayhubError]) -> set[type[PlayhubError]]:
        return {sub for direct in cls.__subclasses__() for sub in {direct, *all_subclasses(direct)}}

    declared = {
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, PlayhubError) and cls is not PlayhubError
    }

    assert declared == set(SHAPES)
    assert {cls for cls in all_subclasses(PlayhubError) if cls.__module__ == errors.__name__} == set(SHAPES)


def test_an_outcome_not_mapped_keeps_its_own_status_and_message() -> None:
    class Teapot(PlayhubError):
        status = 418
        message = "short and stout"

    answer = swipe_error(Teapot("tip me over"))

    assert (answer.status, answer.response.body()) == (418, {"message": "short and stout", "details": "tip me over"})


def test_a_subclass_of_a_mapped_outcome_is_not_mistaken_for_it() -> None:
    class Other(SessionNotFound):
        status = 410
        message = "gone"

    assert swipe_error(Other(SESSION_EXPIRED_DETAILS)).status == 410


def test_an_unexpected_fault_is_a_500() -> None:
    answer = unexpected_error()

    assert (answer.status, answer.response.body()) == (
        500,
        {"message": "internal server error", "details": "unexpected error"},
    )


def test_the_rules_unknown_and_expired_sessions_map_to_swipes_two_codes() -> None:
    with pytest.raises(SessionNotFound) as unknown:
        rules.balance_of(snapshot(session=None), CTX)
    with pytest.raises(SessionNotFound) as expired:
        rules.balance_of(snapshot(session=EXPIRED), CTX)
    closed = Session(SESSION_ID, "p1", "EUR", "sg_catch_97", "closed", NOW - 10, NOW + 100)
    with pytest.raises(SessionNotFound) as closed_bet:
        rules.decide_bet(to_bet_request(swipe_bet()), REF, snapshot(session=closed), CTX)

    assert swipe_error(unknown.value).response.code is ErrorCode.SESSION_NOT_FOUND
    assert swipe_error(expired.value).response.code is ErrorCode.SESSION_EXPIRED
    assert swipe_error(closed_bet.value).response.code is ErrorCode.SESSION_EXPIRED
    assert {swipe_error(e.value).response.action for e in (unknown, expired, closed_bet)} == {ClientAction.REFRESH}


def test_a_session_id_that_is_not_ours_is_session_not_found() -> None:
    service = WalletService(cast(LedgerPort, None), CurrencyTable({"EUR": 2}))  # refused before any read

    with pytest.raises(SessionNotFound) as caught:
        service.balance(to_balance_request(parse_balance_query({"sessionID": ["7eaac66f751b"]})), deadline=0.0)

    assert swipe_error(caught.value).response.code is ErrorCode.SESSION_NOT_FOUND


def test_a_blocked_player_is_account_blocked() -> None:
    with pytest.raises(PlayerBlocked) as caught:
        rules.decide_bet(to_bet_request(swipe_bet()), REF, snapshot(blocked=True), CTX)

    assert swipe_error(caught.value).response.body()["code"] == "account_blocked"


def test_an_amount_with_more_places_than_the_currency_is_a_bad_request() -> None:
    with pytest.raises(BadRequest) as caught:
        rules.check_amount(to_bet_request(swipe_bet(amount="1.001")).amount, REF, 2)

    assert swipe_error(caught.value).status == 400


def test_the_error_body_carries_only_the_fields_given_under_swipes_names() -> None:
    full = SwipeErrorResponse(
        message="m", details="d", code=ErrorCode.BET_LIMIT, action=ClientAction.REFRESH, action_data="x"
    )

    assert SwipeErrorResponse(message="m").body() == {"message": "m"}
    assert full.body() == {"message": "m", "details": "d", "code": "bet_limit", "action": "refresh", "actionData": "x"}
    with pytest.raises(ValueError, match="at least 1 character"):
        SwipeErrorResponse(message="")


def test_swipes_code_and_action_enums_are_the_documented_ones() -> None:
    assert {code.value for code in ErrorCode} == {
        "game_not_found",
        "currency_not_supported",
        "locale_not_supported",
        "account_blocked",
        "bet_limit",
        "loss_limit",
        "time_limit",
        "insufficient_funds",
        "session_expired",
        "session_not_found",
        "client_connection_error",
    }
    assert [action.value for action in ClientAction] == ["refresh"]
