"""The local gateway against the template: every route found, events shaped as API Gateway's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from devtools.local_gateway import Route, find_route, template_routes
from devtools.template import load_template

LOCAL = {
    "TABLE_NAME": "local-table",
    "CALLBACK_KEYS": "k",
    "DYNAMODB_ENDPOINT": "http://127.0.0.1:1",
    "PLAYHUB_CORE_URL": "http://127.0.0.1:2/api/v1",
    "PLAYHUB_CID": "cid",
    "API_KEYS": "a",
}


@pytest.fixture(scope="module")
def routes() -> list[Route]:
    return template_routes(LOCAL)


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
    assert len(served) == 17


@pytest.mark.parametrize(
    ("method", "path", "function", "parameters"),
    [
        ("POST", "/bet", "BetFunction", {}),
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


@pytest.mark.parametrize(("method", "path"), [("GET", "/bet"), ("POST", "/nowhere"), ("DELETE", "/campaigns/x")])
def test_other_requests_find_no_route(routes: list[Route], method: str, path: str) -> None:
    assert find_route(routes, method, path) is None


def test_functions_get_the_template_environment_with_local_values(routes: list[Route]) -> None:
    bet = next(route for route in routes if route.function == "BetFunction")
    launch = next(route for route in routes if route.function == "LaunchFunction")
    environment: dict[str, Any] = bet.environment
    assert (environment["TABLE_NAME"], environment["CALLBACK_KEYS"]) == ("local-table", "k")
    assert environment["POWERTOOLS_SERVICE_NAME"] == "playhub-bet"
    assert environment["CALLBACK_KEY_SECRET"] == ""  # computed on AWS, empty locally
    assert launch.environment["PLAYHUB_CORE_URL"] == "http://127.0.0.1:2/api/v1"
