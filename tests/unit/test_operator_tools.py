"""The CLI's SigV4 signing, and the local Core API stub's signature check."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import responses

from devtools.core_api_stub import CoreApiStub
from playhub_ops.client import OperatorClient
from playhub_wallet.core_api import CoreApiClient, CoreApiError

DEPLOYED = "https://abc123.execute-api.eu-central-1.amazonaws.com/live"


@responses.activate
def test_requests_to_a_deployed_stack_are_sigv4_signed_for_execute_api() -> None:
    responses.get(f"{DEPLOYED}/players/p%231/wallets", json={"player_id": "p#1", "wallets": []})

    OperatorClient(DEPLOYED).wallets("p#1")

    headers = responses.calls[0].request.headers
    assert str(headers["Authorization"]).startswith("AWS4-HMAC-SHA256 Credential=testing/")
    assert "/eu-central-1/execute-api/aws4_request" in str(headers["Authorization"])
    assert "X-Amz-Date" in headers


@responses.activate
def test_requests_to_the_local_stack_are_not_signed() -> None:
    responses.put("http://127.0.0.1:3000/players/p/block", json={"player_id": "p", "blocked": True, "wallets": []})

    OperatorClient("http://127.0.0.1:3000").block("p", blocked=True)

    assert "Authorization" not in responses.calls[0].request.headers
    body = responses.calls[0].request.body
    assert isinstance(body, bytes)
    assert json.loads(body) == {"blocked": True}


@pytest.fixture
def stub() -> Iterator[CoreApiStub]:
    running = CoreApiStub("stub-key").start()
    yield running
    running.stop()


def test_the_stub_answers_only_correctly_signed_requests(stub: CoreApiStub) -> None:
    games = CoreApiClient(stub.url, "cid", lambda: "stub-key").games()
    assert games[0].id == "ph_limbo_97"
    with pytest.raises(CoreApiError) as failure:
        CoreApiClient(stub.url, "cid", lambda: "another-key").currencies()
    assert failure.value.status == 401


# The command line: options anywhere, one line per failure ---------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    from playhub_ops.cli import main

    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@responses.activate
@pytest.mark.parametrize(
    "args",
    [
        ["--url", "http://127.0.0.1:3999", "--json", "balance", "alice"],
        ["balance", "alice", "--url", "http://127.0.0.1:3999", "--json"],
        ["balance", "--json", "alice", "--url", "http://127.0.0.1:3999"],
    ],
)
def test_the_global_options_work_anywhere_on_the_line(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    responses.get("http://127.0.0.1:3999/players/alice/wallets", json={"player_id": "alice", "wallets": []})

    code, out, _ = run_cli(capsys, *args)

    assert (code, json.loads(out)) == (0, {"player_id": "alice", "wallets": []})


def test_a_stopped_local_server_is_one_line_that_hints_at_make_run(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as unused:  # a port nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]

    code, _, err = run_cli(capsys, "balance", "alice", "--url", f"http://127.0.0.1:{port}")

    assert code == 2
    assert err == f"error: cannot reach http://127.0.0.1:{port}: nothing listens there (is `make run` running?)\n"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("127.0.0.1:3000", "error: the operator API's URL needs http:// or https://"),
        (
            "https://abc.execute-api.eu-west-1.amazonaws.com/live",
            "error: no AWS credentials to sign with: set AWS_PROFILE",
        ),
    ],
)
def test_a_url_without_scheme_or_missing_credentials_are_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str, expected: str
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")

    code, _, err = run_cli(capsys, "balance", "alice", "--url", url)

    assert code == 2
    assert err.startswith(expected)
    assert err.count("\n") == 1


@responses.activate
def test_an_error_answer_is_one_line_without_an_empty_details_tail(capsys: pytest.CaptureFixture[str]) -> None:
    responses.get("http://127.0.0.1:3000/campaigns/nope", status=404, json={"message": "not found", "details": ""})

    code, _, err = run_cli(capsys, "campaign", "show", "nope")

    assert (code, err) == (1, "error: 404 not found\n")


@responses.activate
def test_the_client_walks_every_page_of_a_history() -> None:
    url = "http://127.0.0.1:3000/players/p/wallets/EUR/transactions"
    page = {"transactions": [{"tx_id": "3"}, {"tx_id": "2"}], "next_cursor": "c2"}
    responses.get(url, json=page, match=[responses.matchers.query_param_matcher({"limit": "2"})])
    last = {"transactions": [{"tx_id": "1"}], "next_cursor": None}
    responses.get(url, json=last, match=[responses.matchers.query_param_matcher({"limit": "2", "cursor": "c2"})])

    entries = list(OperatorClient().transactions("p", "EUR", page_size=2))

    assert [entry["tx_id"] for entry in entries] == ["3", "2", "1"]


def unused_port() -> int:
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return int(unused.getsockname()[1])


def test_make_demo_without_a_server_is_one_line_that_says_to_start_it(capsys: pytest.CaptureFixture[str]) -> None:
    from devtools.simulator import main

    url = f"http://127.0.0.1:{unused_port()}"
    code = main(["--url", url, "--rounds", "2"])

    assert code == 2
    assert capsys.readouterr().err == f"error: nothing answers at {url}: start it with `make run` in another terminal\n"


def test_reconcile_without_a_region_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from devtools.reconcile import main

    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")

    code = main(["--table", "ledger"])

    assert code == 2
    assert capsys.readouterr().out == (
        "error: no AWS region: set AWS_REGION (or a profile's region), or --endpoint for a local table\n"
    )


def test_reconcile_of_a_table_that_is_not_there_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from moto import mock_aws

    from devtools.reconcile import main

    with mock_aws():
        code = main(["--table", "no-such-table"])

    assert code == 2
    out = capsys.readouterr().out
    assert out.startswith("error: cannot read table no-such-table: ResourceNotFoundException")
    assert out.count("\n") == 1


HEALTHY = {
    "status": "ok",
    "checks": [
        {"name": "ledger table", "ok": True, "detail": "readable"},
        {"name": "callback key", "ok": True, "detail": "2 keys readable"},
    ],
}


@responses.activate
def test_health_prints_each_check_and_exits_0_when_all_hold(capsys: pytest.CaptureFixture[str]) -> None:
    responses.get("http://127.0.0.1:3000/health", json=HEALTHY)

    code, out, err = run_cli(capsys, "health")

    assert (code, err) == (0, "")
    assert out.splitlines() == [  # the names in a column as wide as the longest
        "ok       ledger table readable",
        "ok       callback key 2 keys readable",
        "status: ok",
    ]


@responses.activate
def test_health_shows_the_failing_check_from_the_503_and_exits_1(capsys: pytest.CaptureFixture[str]) -> None:
    failing = {
        "status": "failing",
        "checks": [*HEALTHY["checks"], {"name": "API key", "ok": False, "detail": "not readable"}],
    }
    responses.get("http://127.0.0.1:3000/health", status=503, json=failing)

    code, out, _ = run_cli(capsys, "health")

    assert code == 1
    assert "FAILING  API key      not readable" in out.splitlines()
    assert out.splitlines()[-1] == "status: failing"
