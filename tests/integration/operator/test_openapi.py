"""The operator API's contract: the committed OpenAPI document is the code's, it describes every
route the template serves, the routes answer what it says, and bad input is our 400, never 422."""

from __future__ import annotations

import json
from typing import Any

import pytest
import responses
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate
from support.harness import FakeLambdaContext, handler_module, operator_event
from support.operator import CORE, Operator

from devtools import openapi
from devtools.template import load_template
from playhub_wallet import operator_api
from playhub_wallet.errors import (
    BadRequest,
    InsufficientFunds,
    OperatorError,
    PlayhubError,
    ServiceUnavailable,
    SessionNotFound,
)

DOCUMENT: dict[str, Any] = json.loads(openapi.DOCUMENT.read_text())
CAMPAIGN = {
    "external_id": "doc-1",
    "game_id": "ph_limbo_97",
    "currency": "EUR",
    "quantity": 10,
    "bet_line": 1,
    "valid_from": "2099-01-01T00:00:00Z",
}


def test_the_committed_document_is_what_the_code_generates() -> None:
    assert openapi.DOCUMENT.read_text() == openapi.generated(), "run `make openapi` and commit the document"
    assert openapi.main(["--check"]) == 0


def test_the_check_fails_on_a_stale_document(monkeypatch: pytest.MonkeyPatch, tmp_path: Any, capsys: Any) -> None:
    stale = tmp_path / "operator-openapi.json"
    stale.write_text(openapi.DOCUMENT.read_text().replace("the operator API", "an older operator API"))
    monkeypatch.setattr(openapi, "DOCUMENT", stale)
    monkeypatch.setattr(openapi, "ROOT", tmp_path)
    assert openapi.main(["--check"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: operator-openapi.json differs from the code: run `make openapi` and commit it"
    )


def test_it_is_a_valid_openapi_3_1_document_behind_sigv4() -> None:
    validate(DOCUMENT)
    assert DOCUMENT["openapi"].startswith("3.1")
    assert DOCUMENT["security"] == [{"sigv4": []}]
    assert DOCUMENT["components"]["securitySchemes"]["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"


def test_it_describes_exactly_the_routes_the_template_gives_the_launch_operator_and_health_functions() -> None:
    template_routes = set()
    for name, resource in load_template()["Resources"].items():
        if name not in ("LaunchFunction", "OperatorFunction", "HealthFunction"):
            continue
        for event in resource["Properties"]["Events"].values():
            if event["Type"] == "Api":
                template_routes.add((event["Properties"]["Method"].upper(), event["Properties"]["Path"]))
    documented = {(method.upper(), path) for path, operations in DOCUMENT["paths"].items() for method in operations}
    assert documented == template_routes


def test_every_refusal_is_documented_as_our_error_body_and_none_as_422() -> None:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    # GET /health's 503 is its report, naming the check that failed.
                    expected = "Health" if (method, path, status) == ("get", "/health", "503") else "ErrorBody"
                    assert schema == {"$ref": f"#/components/schemas/{expected}"}, (method, path, status)


def test_transfer_references_are_documented_as_unique_across_players_and_wallets() -> None:
    reference = DOCUMENT["components"]["schemas"]["TransferRequest"]["properties"]["reference"]
    assert "unique across all players and wallets" in reference["description"]
    assert "409" in reference["description"]


def test_operator_errors_and_playhubs_callback_errors_are_separate_families() -> None:
    assert not issubclass(OperatorError, PlayhubError)
    assert not issubclass(PlayhubError, OperatorError)


def _conforms(answer: Any, path: str, method: str, status: int) -> None:
    """The answer is valid against the document's schema for that route and status."""
    response = DOCUMENT["paths"][path][method]["responses"][str(status)]
    schema = {**response["content"]["application/json"]["schema"], "components": DOCUMENT["components"]}
    errors = sorted(OAS31Validator(schema).iter_errors(answer), key=str)
    assert not errors, f"{method.upper()} {path} {status}: {errors[0].message}"


def test_the_routes_answer_what_the_document_says(operator: Operator) -> None:
    player = "/players/doc-player"
    launched = operator.launch("doc-player")
    _conforms(launched[1], "/games/launch", "post", launched[0])
    deposit = operator.deposit("doc-player", "25.00", "doc-dep-1")
    _conforms(deposit[1], "/players/{player_id}/wallets/{currency}/deposits", "post", 200)
    withdrawal = operator.call("POST", f"{player}/wallets/EUR/withdrawals", {"amount": "5.00", "reference": "doc-w-1"})
    _conforms(withdrawal[1], "/players/{player_id}/wallets/{currency}/withdrawals", "post", 200)
    too_much = operator.call("POST", f"{player}/wallets/EUR/withdrawals", {"amount": "500.00", "reference": "doc-w-2"})
    assert (too_much[0], too_much[1]["message"]) == (400, "insufficient funds")
    _conforms(too_much[1], "/players/{player_id}/wallets/{currency}/withdrawals", "post", 400)
    wallets = operator.call("GET", f"{player}/wallets")
    _conforms(wallets[1], "/players/{player_id}/wallets", "get", 200)
    history = operator.call("GET", f"{player}/wallets/EUR/transactions", query={"limit": "2"})
    assert [entry["playhub_tx_id"] for entry in history[1]["transactions"]] == ["doc-w-1", "doc-dep-1"]
    _conforms(history[1], "/players/{player_id}/wallets/{currency}/transactions", "get", 200)
    blocked = operator.call("PUT", f"{player}/block", {"blocked": True})
    _conforms(blocked[1], "/players/{player_id}/block", "put", 200)
    for path in ("/games", "/currencies", "/catalogue", "/legal-bets", "/legal-bets/{currency}"):
        status, answer = operator.call("GET", path.replace("{currency}", "EUR"))
        _conforms(answer, path, "get", status)
    responses.post(f"{CORE}/free-rounds", json={"id": "5b0e6c1a-0000-4000-8000-00000000d0c1", "external_id": "doc-1"})
    created = operator.call("POST", "/campaigns", CAMPAIGN)
    assert created[0] == 201
    _conforms(created[1], "/campaigns", "post", 201)
    _conforms(operator.call("GET", "/campaigns/doc-1")[1], "/campaigns/{external_id}", "get", 200)
    missing = operator.call("GET", "/campaigns/no-such-campaign")
    _conforms(missing[1], "/campaigns/{external_id}", "get", missing[0])


@pytest.mark.parametrize(
    ("method", "path", "body", "query", "details"),
    [
        (
            "POST",
            "/players/p1/wallets/EUR/deposits",
            {"amount": 5.5, "reference": "r-1"},
            None,
            'amount: must be a decimal string such as "10.50"',
        ),
        (
            "POST",
            "/players/p1/wallets/EUR/deposits",
            {"amount": "1.00", "reference": "r-1", "note": "x"},
            None,
            "note: Extra inputs are not permitted",
        ),
        ("POST", "/players/p1/wallets/EUR/deposits", {"amount": "1.00"}, None, "reference: Field required"),
        ("POST", "/players/p1/wallets/EUR/deposits", "{not json", None, "body: is not valid JSON"),
        ("POST", "/players/p1/wallets/EUR/deposits", [1, 2], None, "body: Input should be a valid dictionary"),
        (
            "POST",
            "/players/p1/wallets/eur/deposits",
            {"amount": "1.00", "reference": "r-1"},
            None,
            "currency: String should match pattern '^[A-Z][A-Z0-9]{2,9}$'",
        ),
        ("GET", "/players/p1/wallets/EUR/transactions", None, {"limit": "0"}, "limit: Input should be greater than"),
        ("GET", "/players/p1/wallets/EUR/transactions", None, {"limit": "ten"}, "limit: Input should be a valid int"),
        ("GET", "/players/p1/rounds/not-a-uuid", None, None, "round_id: must be a UUID"),
        ("GET", "/campaigns/doc-1", None, {"live": "maybe"}, "live: Input should be a valid boolean"),
        ("PUT", "/players/p1/block", {"blocked": "perhaps"}, None, "blocked: Input should be a valid boolean"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    operator: Operator, method: str, path: str, body: Any, query: dict[str, str] | None, details: str
) -> None:
    status, answer = operator.call(method, path, body, query)
    assert (status, answer["message"]) == (400, "bad request")
    assert answer["details"].startswith(details), answer["details"]
    assert set(answer) == {"message", "details"}
    for rejected in ("5.5", "perhaps", "maybe", "ten", "not-a-uuid"):  # never the rejected value itself
        assert rejected not in answer["details"]
    assert operator.call("GET", "/players/p1/wallets")[1]["wallets"] == []


def test_several_bad_fields_are_all_named(operator: Operator) -> None:
    status, answer = operator.call("POST", "/players/bad!id/wallets/eur/deposits", {"amount": "-1"})
    assert status == 400
    named = [part.split(":", 1)[0] for part in answer["details"].split("; ")]
    assert named == ["player_id", "currency", "amount", "reference"]


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", None])
def test_a_json_body_is_read_as_json_whatever_its_content_type_says(
    operator: Operator, content_type: str | None
) -> None:
    """`curl -d` labels a JSON body as a form: it is still the JSON it is."""
    event = operator_event("POST", "/players/p-curl/wallets/EUR/deposits", {"amount": "2.00", "reference": "curl-1"})
    event["headers"] = {"content-type": content_type} if content_type else None
    event["multiValueHeaders"] = {"content-type": [content_type]} if content_type else None
    response = handler_module("operator").lambda_handler(event, FakeLambdaContext())
    assert (response["statusCode"], json.loads(response["body"])["balance"]) == (200, "2.00")
    form = operator_event("POST", "/players/p-curl/wallets/EUR/deposits", "amount=2.00&reference=curl-2")
    form["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
    refused = handler_module("operator").lambda_handler(form, FakeLambdaContext())
    assert (refused["statusCode"], json.loads(refused["body"])["details"]) == (400, "body: is not valid JSON")


@pytest.mark.parametrize(
    ("refusal", "status", "message"),
    [
        (ServiceUnavailable("storage busy after 5 attempts"), 503, "service unavailable"),
        (BadRequest("amount: at most 2 decimal places for EUR"), 400, "bad request"),
        (InsufficientFunds("balance is lower than the withdrawal of 9.00"), 400, "insufficient funds"),
        (SessionNotFound("unknown session id"), 500, "internal server error"),  # cannot happen: no internals
    ],
)
def test_the_wallets_refusals_of_a_transfer_are_answered_in_the_operator_apis_terms(
    operator: Operator, monkeypatch: pytest.MonkeyPatch, refusal: PlayhubError, status: int, message: str
) -> None:
    """The shared wallet speaks Playhub's errors; the operator API answers with its own: storage
    busy is a 503 (the same reference sent again is safe), never Playhub's 500 for a bet."""

    def refuse(*_: Any, **__: Any) -> Any:
        raise refusal

    monkeypatch.setattr(operator.parts.wallet, "transfer", refuse)
    answer = operator.deposit("p-refused", "9.00", "refused-1")
    details = refusal.details if status < 500 or status == 503 else "unexpected error"
    assert answer == (status, {"message": message, "details": details})


def test_an_answer_that_fails_its_own_model_is_a_500_not_a_bad_request(
    operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fault of ours after the work is done must not say "bad input, nothing changed"."""
    monkeypatch.setattr(operator_api, "_legal_bets", lambda table: {"currency": table.currency})
    assert operator.call("GET", "/legal-bets/EUR") == (
        500,
        {"message": "internal server error", "details": "unexpected error"},
    )


@pytest.mark.parametrize(
    "body",
    [
        '{"amount": ' + "9" * 5000 + ', "reference": "big-1"}',  # past Python's int digit limit
        "[" * 100_000 + "]" * 100_000,  # deeper than the parser goes
    ],
)
def test_a_body_python_cannot_read_is_a_400_not_a_server_fault(operator: Operator, body: str) -> None:
    status, answer = operator.call("POST", "/players/p-big/wallets/EUR/deposits", body)
    assert (status, answer) == (400, {"message": "bad request", "details": "body: is not valid JSON"})


def test_an_unreadable_api_key_is_a_503_on_every_route_that_asks_playhub(
    operator: Operator, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreadable() -> str:
        raise ServiceUnavailable("API keys are not readable")

    monkeypatch.setattr(operator.parts.core, "_api_key", unreadable)
    assert operator.launch("p-nokey") == (
        503,
        {"message": "service unavailable", "details": "API keys are not readable"},
    )
    assert operator.call("POST", "/campaigns", CAMPAIGN)[0] == 503
