"""The pre-traffic check's requests and verdicts, and the hook reporting to CodeDeploy."""

from __future__ import annotations

import io
import json
import threading
import time
from typing import Any

import pytest
from support.harness import FakeLambdaContext, handler_module

from playhub_wallet import signing
from playhub_wallet.catalogue import Currencies, Currency
from playhub_wallet.models import REQUEST_MODELS, Action
from playhub_wallet.pre_traffic import (
    ALL_CHECKS,
    CHECKS,
    SWIPE_CHECKS,
    probe_currency,
    probes,
    run_checks,
    targets_from,
    verdict,
)
from playhub_wallet.sessions import parse_session_id
from playhub_wallet.state import Provider
from playhub_wallet.swipe_models import parse_balance_query, parse_swipe_request
from playhub_wallet.swipe_signing import balance_query, parse_json, verify_body, verify_query

KEY = "the-callback-key"
SWIPE_KEY = "swipes-integration-key"
TARGETS = {variable: f"arn:aws:lambda:eu-west-1:1:function:{variable}:7" for variable in CHECKS}
SWIPE_TARGETS = {variable: f"arn:aws:lambda:eu-west-1:1:function:{variable}:7" for variable in SWIPE_CHECKS}
ALL_TARGETS = {**TARGETS, **SWIPE_TARGETS}


def test_each_function_gets_one_request_playhub_could_have_signed_for_its_own_route() -> None:
    made = probes(TARGETS, KEY)
    assert sorted(probe.target for probe in made) == sorted(TARGETS.values())
    sessions = set()
    for probe in made:
        event = probe.event()
        body = json.loads(event["body"])
        assert event["path"] == probe.route
        assert event["httpMethod"] == "POST"
        assert signing.verify_callback(event["headers"][signing.SIGNATURE_HEADER], event["body"].encode(), body, [KEY])
        assert not signing.verify_callback(probe.signature, event["body"].encode(), body, ["another key"])
        REQUEST_MODELS[Action(body["action"])].model_validate(body)  # a request the callback accepts as well-formed
        expected_action = "balance" if probe.route == "/callback" else probe.route.removeprefix("/")
        assert body["action"] == expected_action
        sessions.add(body["session_id"])
    (session,) = sessions  # one session for all, well-formed, so each callback looks it up
    assert parse_session_id(session) is not None


def test_each_swipe_function_gets_one_request_swipe_could_have_signed_for_its_own_route() -> None:
    made = probes(SWIPE_TARGETS, KEY, swipe_key=SWIPE_KEY)
    assert sorted(probe.target for probe in made) == sorted(SWIPE_TARGETS.values())
    sessions = set()
    for probe in made:
        event = probe.event()
        signature = event["headers"][signing.SIGNATURE_HEADER]
        callback = probe.route.removeprefix("/swipe/")
        assert event["path"] == probe.route
        if callback == "balance":
            assert (event["httpMethod"], event["body"]) == ("GET", None)
            assert verify_query(signature, balance_query(event), [SWIPE_KEY])
            assert not verify_query(signature, balance_query(event), [KEY])
            session_id = parse_balance_query(event["multiValueQueryStringParameters"]).session_id
        else:
            assert event["httpMethod"] == "POST"
            assert verify_body(signature, event["body"].encode(), [SWIPE_KEY])
            assert not verify_body(signature, event["body"].encode(), [KEY])
            session_id = parse_swipe_request(Action(callback), parse_json(event["body"].encode())).session_id
        sessions.add(session_id)
    (session,) = sessions
    ref = parse_session_id(session)
    assert ref is not None
    assert ref.provider is Provider.SWIPE  # a Swipe function finds only Swipe sessions


def test_swipes_probes_need_swipes_key() -> None:
    with pytest.raises(ValueError, match="Swipe's callback key"):
        probes(ALL_TARGETS, KEY)


def test_every_run_asks_about_a_new_session() -> None:
    first, second = (json.loads(probes(TARGETS, KEY)[0].body)["session_id"] for _ in range(2))
    assert first != second


def answer(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "body": body if isinstance(body, str) else json.dumps(body)}


def test_only_the_refusal_of_the_unknown_session_passes() -> None:
    assert verdict(answer(404, {"message": "session not found", "details": "unknown session id"})) is None
    assert verdict(answer(401, {"message": "invalid signature", "details": "x"})) == (
        "answered 401 invalid signature, expected 404 session not found"
    )
    assert verdict(answer(500, {"message": "internal server error"})) is not None
    assert verdict(answer(200, {"balance": "0.00"})) is not None  # a session we never opened cannot have a balance
    assert verdict(answer(404, {"message": "not found", "details": "no such route"})) is not None
    assert verdict(answer(404, "<html>")) == "answered 404 without a JSON message, expected 404 session not found"
    assert verdict({}) is not None


def test_a_failure_names_the_version_and_the_reason() -> None:
    def invoke(target: str, event: dict[str, Any]) -> dict[str, Any]:
        if event["path"] == "/win":
            raise TimeoutError("read timed out")
        return answer(404, {"message": "session not found", "details": "unknown session id"})

    assert run_checks(TARGETS, KEY, invoke) == [f"{TARGETS['CHECK_WIN']} (/win): not invoked: read timed out"]


def test_a_version_that_does_not_answer_in_time_fails_and_the_check_still_ends_in_time() -> None:
    released = threading.Event()

    def invoke(target: str, event: dict[str, Any]) -> dict[str, Any]:
        if event["path"] == "/bet":
            released.wait(30)  # hangs far past the check's time
        return answer(404, {"message": "session not found", "details": "unknown session id"})

    started = time.monotonic()
    try:
        failures = run_checks(TARGETS, KEY, invoke, within_seconds=0.5)
    finally:
        released.set()
    assert failures == [f"{TARGETS['CHECK_BET']} (/bet): no answer within 0.5 s"]
    assert time.monotonic() - started < 10  # the others were asked at the same time, not after it


def listed(*codes: str) -> Currencies:
    return Currencies(tuple(Currency(code, code, code, 2, False) for code in codes), 0)


def test_the_check_uses_a_currency_of_the_catalogue_and_refuses_to_run_without_one() -> None:
    assert probe_currency(listed("USD", "EUR")) == "EUR"
    assert probe_currency(listed("USD", "GBP")) == "GBP"
    with pytest.raises(ValueError, match="the catalogue holds no currency"):
        probe_currency(None)
    with pytest.raises(ValueError, match="the catalogue holds no currency"):
        probe_currency(listed())
    session = parse_session_id(json.loads(probes(TARGETS, KEY, "GBP")[0].body)["session_id"])
    assert session is not None
    assert session.currency == "GBP"


def test_a_target_missing_from_the_environment_is_an_error_not_a_pass() -> None:
    with pytest.raises(ValueError, match=r"not set: CHECK_REFUND$"):
        targets_from({variable: "arn" for variable in ALL_CHECKS if variable != "CHECK_REFUND"})
    with pytest.raises(ValueError, match="not set: CHECK_SWIPE_BALANCE, CHECK_SWIPE_BET"):
        targets_from(TARGETS)
    assert targets_from({**ALL_TARGETS, "OTHER": "x"}) == ALL_TARGETS


class FakeClients:
    """boto3.client for the hook: Lambda answers with `answers`, CodeDeploy records the status."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.reported: list[dict[str, str]] = []

    def __call__(self, service: str, **_: Any) -> Any:
        return self

    def invoke(self, FunctionName: str, Payload: str) -> dict[str, Any]:

        reply = self.answers[json.loads(Payload)["path"]]
        return {
            "Payload": io.BytesIO(json.dumps(reply).encode()),
            **({"FunctionError": "Unhandled"} if "errorType" in reply else {}),
        }

    def put_lifecycle_event_hook_execution_status(self, **status: str) -> None:
        self.reported.append(status)


HOOK_EVENT = {"DeploymentId": "d-ABC", "LifecycleEventHookExecutionId": "hook-1"}
REFUSED = {"statusCode": 404, "body": json.dumps({"message": "session not found", "details": "unknown session id"})}


class FakeCatalogue:
    def __init__(self, _table: Any) -> None:
        pass

    listed: Currencies | None = None

    def currencies(self) -> Currencies | None:
        return self.listed


def run_hook(
    monkeypatch: pytest.MonkeyPatch,
    clients: FakeClients,
    key: str | None = KEY,
    currencies: Currencies | None = None,
    swipe_key: str | None = SWIPE_KEY,
) -> dict[str, str]:
    module = handler_module("pre_traffic")
    monkeypatch.setattr(module.boto3, "client", clients)
    monkeypatch.setattr(FakeCatalogue, "listed", currencies if currencies is not None else listed("EUR"))
    monkeypatch.setattr(module, "CatalogueTable", FakeCatalogue)
    for variable, target in ALL_TARGETS.items():
        monkeypatch.setenv(variable, target)
    monkeypatch.setenv("TABLE_NAME", "t")
    if key:
        monkeypatch.setenv("CALLBACK_KEYS", key)
    else:
        monkeypatch.delenv("CALLBACK_KEYS", raising=False)
    if swipe_key:
        monkeypatch.setenv("SWIPE_CALLBACK_KEYS", swipe_key)
    else:
        monkeypatch.delenv("SWIPE_CALLBACK_KEYS", raising=False)
    result: dict[str, str] = module.lambda_handler(HOOK_EVENT, FakeLambdaContext())
    return result


def test_the_hook_tells_codedeploy_it_succeeded_when_every_version_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    clients = FakeClients({route: REFUSED for route, _ in ALL_CHECKS.values()})
    assert run_hook(monkeypatch, clients) == {"status": "Succeeded"}
    assert clients.reported == [
        {"deploymentId": "d-ABC", "lifecycleEventHookExecutionId": "hook-1", "status": "Succeeded"}
    ]


def test_the_hook_fails_the_release_when_a_version_crashes(monkeypatch: pytest.MonkeyPatch) -> None:
    answers: dict[str, Any] = {route: REFUSED for route, _ in ALL_CHECKS.values()}
    answers["/refund"] = {"errorType": "Runtime.ImportModuleError", "errorMessage": "No module named 'pydantic'"}
    clients = FakeClients(answers)
    assert run_hook(monkeypatch, clients) == {"status": "Failed"}
    assert [status["status"] for status in clients.reported] == ["Failed"]


def test_the_hook_fails_the_release_when_it_cannot_read_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    clients = FakeClients({route: REFUSED for route, _ in ALL_CHECKS.values()})
    assert run_hook(monkeypatch, clients, key=None) == {"status": "Failed"}  # no key source configured
    assert [status["status"] for status in clients.reported] == ["Failed"]


def test_the_hook_fails_the_release_when_it_cannot_read_swipes_key(monkeypatch: pytest.MonkeyPatch) -> None:
    clients = FakeClients({route: REFUSED for route, _ in ALL_CHECKS.values()})
    assert run_hook(monkeypatch, clients, swipe_key=None) == {"status": "Failed"}
    assert [status["status"] for status in clients.reported] == ["Failed"]


def test_the_hook_fails_the_release_when_the_catalogue_is_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    clients = FakeClients({route: REFUSED for route, _ in ALL_CHECKS.values()})
    assert run_hook(monkeypatch, clients, currencies=listed()) == {"status": "Failed"}
    assert [status["status"] for status in clients.reported] == ["Failed"]


def test_a_retried_hook_whose_status_codedeploy_has_ends_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.exceptions import ClientError

    class Completed(FakeClients):
        def put_lifecycle_event_hook_execution_status(self, **status: str) -> None:
            error = {"Error": {"Code": "LifecycleEventAlreadyCompletedException", "Message": "done"}}
            raise ClientError(error, "PutLifecycleEventHookExecutionStatus")  # type: ignore[arg-type]

    assert run_hook(monkeypatch, Completed({route: REFUSED for route, _ in ALL_CHECKS.values()})) == {
        "status": "Succeeded"
    }

    class Broken(FakeClients):
        def put_lifecycle_event_hook_execution_status(self, **status: str) -> None:
            error = {"Error": {"Code": "AccessDeniedException", "Message": "no"}}
            raise ClientError(error, "PutLifecycleEventHookExecutionStatus")  # type: ignore[arg-type]

    with pytest.raises(ClientError):  # any other failure to report is the function's error: Lambda retries it
        run_hook(monkeypatch, Broken({route: REFUSED for route, _ in ALL_CHECKS.values()}))
