"""The local gateway against the template and against API Gateway: every route found, events
shaped as API Gateway's, and its answers when a function fails, times out or is not there.
The functions here are stand-ins; tests/e2e runs the real ones."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from devtools.artifact import FunctionSpec
from devtools.lambda_runtime import Invocation, resolve_environment
from devtools.local_gateway import (
    GatewayServer,
    Invoker,
    Route,
    find_route,
    gateway_answer,
    make_request_handler,
    proxy_response,
    template_routes,
)
from devtools.template import load_template

LOCAL = {
    "TABLE_NAME": "local-table",
    "CALLBACK_KEYS": "k",
    "DYNAMODB_ENDPOINT": "http://127.0.0.1:1",
    "PLAYHUB_CORE_URL": "http://127.0.0.1:2/api/v1",
    "PLAYHUB_CID": "cid",
    "API_KEYS": "a",
}
MISSING_TOKEN = {"message": "Missing Authentication Token"}


@pytest.fixture(scope="module")
def routes() -> list[Route]:
    return template_routes()


def template_events() -> Iterator[tuple[str, str, str, bool]]:
    for name, resource in load_template()["Resources"].items():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event["Type"] != "Api":
                continue
            api = event["Properties"]
            yield name, api["Method"].upper(), api["Path"], "Auth" in api


def test_every_template_route_is_served_by_its_function(routes: list[Route]) -> None:
    served = {(route.function, route.method, route.path, route.iam) for route in routes}
    assert served == set(template_events())
    assert (
        len(served) == 30
    )  # nine callback routes (Playhub four and the one URL, Swipe four), twenty operator routes, health


@pytest.mark.parametrize(
    ("method", "path", "function", "parameters"),
    [
        ("POST", "/bet", "BetFunction", {}),
        ("GET", "/swipe/balance", "SwipeBalanceFunction", {}),
        ("POST", "/swipe/refund", "SwipeRefundFunction", {}),
        ("GET", "/players/alice/wallets", "OperatorFunction", {"player_id": "alice"}),
        ("GET", "/players/a%40b/wallets/EUR/transactions", "OperatorFunction", {"player_id": "a@b", "currency": "EUR"}),
        ("GET", "/campaigns/by-frc/f-1", "OperatorFunction", {"frc_id": "f-1"}),
        ("GET", "/campaigns/spring", "OperatorFunction", {"external_id": "spring"}),
        ("POST", "/campaigns/spring/cancel", "OperatorFunction", {"external_id": "spring"}),
    ],
)
def test_paths_with_parameters_find_their_route(
    routes: list[Route], method: str, path: str, function: str, parameters: dict[str, str]
) -> None:
    found = find_route(routes, method, path)
    assert found is not None
    route, values = found
    assert (route.function, values) == (function, parameters)


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/bet"), ("POST", "/nowhere"), ("DELETE", "/campaigns/x"), ("POST", "/swipe/balance")]
)
def test_other_requests_find_no_route(routes: list[Route], method: str, path: str) -> None:
    assert find_route(routes, method, path) is None


def template_spec(function: str) -> FunctionSpec:
    """The function's settings as the artifact reads them from its (built) template."""
    template = load_template()
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    own = template["Resources"][function]["Properties"].get("Environment", {}).get("Variables", {})
    return FunctionSpec(function, Path("/var/task"), "app.lambda_handler", 5, 512, {**variables, **own})


def test_functions_get_the_template_environment_with_local_values() -> None:
    bet = resolve_environment(template_spec("BetFunction"), LOCAL)
    launch = resolve_environment(template_spec("LaunchFunction"), LOCAL)

    assert (bet["TABLE_NAME"], bet["CALLBACK_KEYS"]) == ("local-table", "k")  # a !Ref, and an empty value
    assert bet["POWERTOOLS_SERVICE_NAME"] == "playhub-bet"
    assert bet["CALLBACK_KEY_SECRET"] == ""  # computed on AWS, empty locally
    assert "PLAYHUB_CORE_URL" not in bet
    assert launch["PLAYHUB_CORE_URL"] == "http://127.0.0.1:2/api/v1"  # a !FindInMap, given locally
    assert launch["POWERTOOLS_SERVICE_NAME"] == "playhub-launch"
    assert all(isinstance(value, str) for value in {**bet, **launch}.values())


def test_yaml_scalars_become_strings_as_cloudformation_passes_them() -> None:
    spec = FunctionSpec("F", Path("/var/task"), "app.handler", 3, 128, {"N": 300, "ON": True, "S": "x", "E": ""})
    assert resolve_environment(spec, {"E": "local"}) == {"N": "300", "ON": "true", "S": "x", "E": "local"}


# What API Gateway makes of an invocation -------------------------------------------------------


def invocation(outcome: str, payload: Any, cold: bool = False) -> Invocation:
    return Invocation(outcome, payload, cold, 1.0, 123)


def test_a_proxy_response_goes_to_the_client_as_the_function_wrote_it() -> None:
    answer = gateway_answer(
        invocation(
            "ok",
            {
                "statusCode": 201,
                "headers": {"X-One": "1", "Content-Length": "999"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": '{"ok": true}',
            },
        )
    )
    assert (answer.status, answer.body) == (201, b'{"ok": true}')
    assert answer.headers == [
        ("X-One", "1"),
        ("x-amzn-Remapped-Content-Length", "999"),  # the length is the gateway's own
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Content-Type", "application/json"),  # API Gateway's default
    ]


def test_a_base64_proxy_body_is_decoded() -> None:
    body = base64.b64encode(b"\x00\xff").decode()
    answer = proxy_response({"statusCode": 200, "body": body, "isBase64Encoded": True})
    assert answer is not None
    assert answer.body == b"\x00\xff"


@pytest.mark.parametrize(
    "payload",
    [
        "not an object",
        {"body": "{}"},  # no statusCode
        {"statusCode": "two hundred"},
        {"statusCode": 200, "body": {"a": 1}},  # the body must be a string
        {"statusCode": 200, "unexpected": 1},
        {"statusCode": 200, "headers": {"X": {"nested": 1}}},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
    ],
)
def test_a_malformed_proxy_response_is_502(payload: Any) -> None:
    answer = gateway_answer(invocation("ok", payload))
    assert (answer.status, json.loads(answer.body)) == (502, {"message": "Internal server error"})
    assert answer.note == "malformed Lambda proxy response"


@pytest.mark.parametrize(
    ("outcome", "payload"),
    [
        ("error", {"errorType": "ValueError", "errorMessage": "no luck"}),
        ("error", {"errorType": "Runtime.ImportModuleError", "errorMessage": "Unable to import module 'app'"}),
        ("crash", {"errorType": "Runtime.ExitError", "errorMessage": "exit status 3"}),
        ("timeout", {"errorType": "Sandbox.Timedout", "errorMessage": "Task timed out after 5.00 seconds"}),
    ],
)
def test_a_failed_invocation_is_api_gateways_502(outcome: str, payload: dict[str, str]) -> None:
    answer = gateway_answer(invocation(outcome, payload))
    assert (answer.status, json.loads(answer.body)) == (502, {"message": "Internal server error"})
    assert ("x-amzn-ErrorType", "InternalServerErrorException") in answer.headers


def test_no_answer_within_the_integration_timeout_is_504() -> None:
    answer = gateway_answer(None)
    assert (answer.status, json.loads(answer.body)) == (504, {"message": "Endpoint request timed out"})


# The gateway over HTTP, on stand-in functions -----------------------------------------------------


@dataclass
class StandIn:
    """A function that answers with what the test sets, and keeps the events it got."""

    answer: Invocation = field(
        default_factory=lambda: invocation("ok", {"statusCode": 200, "body": '{"balance": "1.00"}'}, cold=True)
    )
    delay: float = 0.0
    events: list[dict[str, Any]] = field(default_factory=list)

    def invoke(self, event: dict[str, Any]) -> Invocation:
        self.events.append(event)
        time.sleep(self.delay)
        return self.answer


@dataclass
class Served:
    port: int
    functions: dict[str, StandIn]
    log: list[str]

    def request(
        self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def logged(self, start: str) -> str:
        """The log line that starts so (the gateway writes it just after the answer)."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = [line for line in self.log if line.startswith(start)]
            if found:
                return found[-1]
            time.sleep(0.01)
        raise AssertionError(f"no log line {start!r} in {self.log}")

    def raw(self, data: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=30) as client:
            client.sendall(data)
            answer = b""
            while chunk := client.recv(65536):
                answer += chunk
            return answer


@pytest.fixture
def served(routes: list[Route], request: pytest.FixtureRequest) -> Iterator[Served]:
    """The gateway over stand-in functions; its integration timeout is generous (a busy machine
    stalls), unless a test asks for another one (indirect parametrization)."""
    integration_timeout = getattr(request, "param", 20.0)
    functions = {name: StandIn() for name in {route.function for route in routes}}
    lines: list[str] = []
    invokers: dict[str, Invoker] = dict(functions)
    server = GatewayServer(
        ("127.0.0.1", 0), make_request_handler(routes, invokers, lines.append, integration_timeout=integration_timeout)
    )
    server.log = lines.append
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield Served(server.server_port, functions, lines)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_request_becomes_api_gateways_proxy_event(served: Served) -> None:
    status, headers, body = served.request(
        "GET", "/players/a%40b/wallets/EUR/transactions?limit=2&tag=x&tag=y", headers={"X-Trace": "t"}
    )
    event = served.functions["OperatorFunction"].events[0]

    assert (status, body) == (200, b'{"balance": "1.00"}')
    assert headers["x-amzn-RequestId"] == event["requestContext"]["requestId"]
    assert (event["httpMethod"], event["resource"]) == ("GET", "/players/{player_id}/wallets/{currency}/transactions")
    assert event["path"] == "/players/a%40b/wallets/EUR/transactions"
    assert event["pathParameters"] == {"player_id": "a@b", "currency": "EUR"}
    assert event["queryStringParameters"] == {"limit": "2", "tag": "y"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["2"], "tag": ["x", "y"]}
    assert event["headers"]["X-Trace"] == "t"
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    assert event["requestContext"]["identity"]["sourceIp"] == "127.0.0.1"
    assert served.logged("GET /players/a%40b/wallets/EUR/transactions 200 ").endswith("(cold start)")


def test_a_body_that_is_not_utf8_arrives_base64_encoded(served: Served) -> None:
    served.request("POST", "/bet", b"\xff\xfe", {"Content-Type": "application/octet-stream"})
    event = served.functions["BetFunction"].events[0]
    assert (event["body"], event["isBase64Encoded"]) == (base64.b64encode(b"\xff\xfe").decode(), True)


def test_a_chunked_body_arrives_whole(served: Served) -> None:
    answer = served.raw(
        b"POST /bet HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b'5\r\n{"a":\r\n3\r\n 1}\r\n0\r\n\r\n'
    )
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert served.functions["BetFunction"].events[0]["body"] == '{"a": 1}'


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/bet"),
        ("POST", "/nowhere"),
        ("DELETE", "/campaigns/x"),
        ("PATCH", "/players/alice/block"),
        ("OPTIONS", "/balance"),
        ("TRACE", "/balance"),
        ("CONNECT", "/balance"),
        ("BREW", "/balance"),
        ("GET", "/"),
    ],
)
def test_an_unknown_route_or_method_is_missing_authentication_token(served: Served, method: str, path: str) -> None:
    status, headers, body = served.request(method, path, b"{}")
    assert (status, json.loads(body)) == (403, MISSING_TOKEN)
    assert headers["Content-Type"] == "application/json"
    assert headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert not any(function.events for function in served.functions.values())


def test_head_gets_the_403_without_a_body(served: Served) -> None:
    status, headers, body = served.request("HEAD", "/balance")
    assert (status, body, headers["Content-Length"]) == (403, b"", str(len(json.dumps(MISSING_TOKEN))))
    assert served.request("POST", "/balance", b"{}")[0] == 200  # and the connection is still fine


@pytest.mark.parametrize(
    "request_line",
    [b"GARBAGE", b"GET /balance HTTP/1.1 extra", b"POST /balance", b"GET /balance HTTP/9.9", b"\x16\x03\x01\x02\x00"],
)
def test_a_malformed_request_is_answered_in_json_never_html(served: Served, request_line: bytes) -> None:
    answer = served.raw(request_line + b"\r\nHost: x\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1."), answer
    assert b" 403 " in head.split(b"\r\n")[0]
    assert b"text/html" not in head
    assert json.loads(body) == MISSING_TOKEN


@pytest.mark.parametrize("served", [1.0], indirect=True)  # the gateway gives up after 1 s here (29 s on AWS)
def test_a_slow_function_gets_504_at_the_integration_timeout(served: Served) -> None:
    served.functions["BalanceFunction"].delay = 60
    started = time.monotonic()
    status, _, body = served.request("POST", "/balance", b"{}")
    assert (status, json.loads(body)) == (504, {"message": "Endpoint request timed out"})
    assert time.monotonic() - started < 30  # it did not wait for the function


def test_a_function_that_fails_is_502_and_the_log_says_why(served: Served) -> None:
    served.functions["BetFunction"].answer = invocation("timeout", {"errorType": "Sandbox.Timedout"})
    status, _, body = served.request("POST", "/bet", b'{"tx_id": "t-1"}')
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})
    assert served.logged("POST /bet 502 ").endswith("(function timed out: worker killed) tx_id=t-1")


def test_a_client_that_hangs_up_is_one_log_line(served: Served) -> None:
    served.functions["BalanceFunction"].delay = 0.3
    client = socket.create_connection(("127.0.0.1", served.port), timeout=30)
    client.sendall(b"POST /balance HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}")
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # with a reset, before the answer
    deadline = time.monotonic() + 10
    while not any("hung up" in line for line in served.log) and time.monotonic() < deadline:
        time.sleep(0.05)

    hung_up = [line for line in served.log if "hung up" in line]
    assert len(hung_up) == 1, served.log
    assert not any("Traceback" in line for line in served.log)
