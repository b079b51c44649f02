"""The local gateway as a user runs it: a subprocess serving the template's routes over HTTP."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from e2e.make_run import MakeRun
from support.chromium import Chromium, Page
from support.harness import round_payload

from devtools.callbacks import SAMPLE_CALLBACK_KEY, SAMPLE_SWIPE_CALLBACK_KEY
from devtools.dynamodb_local import free_port
from devtools.simulator import swipe_request
from devtools.template import ROOT, load_template
from playhub_ops.client import OperatorClient
from playhub_wallet.signing import canonical_json, sign


@dataclass
class Gateway:
    base_url: str
    session_id: str
    key: str
    output: list[str]

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str]]:
        request = urllib.request.Request(self.base_url + path, data=body, headers=headers or {}, method="POST")  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback, http only
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def signed(self, path: str, payload: dict[str, str]) -> tuple[int, dict[str, str]]:
        body = canonical_json(payload)
        return self.post(path, body, {"X-REQUEST-SIGN": sign(self.key, body)})

    def swipe(self, payload: dict[str, str]) -> tuple[int, dict[str, str]]:
        """A callback in Playhub's terms, sent as Swipe Games sends it (the simulator's translation)."""
        method, path, body, headers = swipe_request(payload, SAMPLE_SWIPE_CALLBACK_KEY)
        request = urllib.request.Request(self.base_url + path, data=body or None, headers=headers, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback, http only
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    """`make run`, exactly as the README says, stopped as Ctrl-C stops it."""
    port = free_port()
    run = MakeRun.start(port, "--in-memory")
    session_id, balance = run.demo()
    assert balance == Decimal("100.00")
    try:
        yield Gateway(run.base_url, session_id, SAMPLE_CALLBACK_KEY, run.output)
        os.killpg(run.process.pid, signal.SIGINT)  # Ctrl-C reaches make, the gateway and DynamoDB Local
        run.wait()
    finally:
        if run.process.poll() is None:
            run.kill()
    assert "stopping\n" in run.output
    assert "stopped\n" in run.output
    with pytest.raises(ConnectionRefusedError):  # the port is free again
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_it_lists_the_template_routes_and_the_storage_it_uses(gateway: Gateway) -> None:
    printed = "".join(gateway.output)
    for path, function in [
        ("/balance", "BalanceFunction"),
        ("/bet", "BetFunction"),
        ("/win", "WinFunction"),
        ("/refund", "RefundFunction"),
        ("/callback", "CallbackFunction"),
    ]:
        assert f"POST {gateway.base_url}{path}  ->  {function}" in printed
    assert "storage: " in printed


def test_it_serves_the_operator_apis_document_with_swagger_ui(gateway: Gateway) -> None:
    with urllib.request.urlopen(gateway.base_url + "/docs/openapi.json", timeout=60) as response:  # noqa: S310
        served = json.loads(response.read())
    committed = json.loads((ROOT / "docs" / "operator-openapi.json").read_text())
    assert served["servers"][0]["url"] == gateway.base_url  # Swagger UI tries requests here
    assert {**served, "servers": committed["servers"]} == committed
    with urllib.request.urlopen(gateway.base_url + "/docs", timeout=60) as response:  # noqa: S310
        assert response.headers["Content-Type"].startswith("text/html")
        page = response.read().decode()
    assert "SwaggerUIBundle(" in page
    assert '"title": "Playhub wallet: the operator API"' in page or "Playhub wallet: the operator API" in page
    assert not re.search(r"<(script|link)[^>]+(src|href)=", page)  # its script and styles are inlined: offline
    assert f"{gateway.base_url}/docs (Swagger UI" in "".join(gateway.output)


def test_a_round_over_http(gateway: Gateway) -> None:
    session = gateway.session_id
    tx, round_id = "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c", "4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d"
    bet = {"action": "bet", "type": "bet", "session_id": session, "amount": "10.00", "tx_id": tx, "round_id": round_id}
    win = {
        "action": "win",
        "type": "win",
        "session_id": session,
        "amount": "25.00",
        "tx_id": "5b4c3d2e-1f0a-4b9c-8d7e-6f5a4b3c2d1e",
        "round_id": round_id,
    }

    assert gateway.signed("/balance", {"action": "balance", "session_id": session}) == (200, {"balance": "100.00"})
    status, placed = gateway.signed("/bet", bet)
    assert (status, placed["balance"]) == (200, "90.00")
    assert gateway.signed("/bet", bet) == (200, placed)
    assert gateway.signed("/win", win)[1]["balance"] == "115.00"


def test_a_round_over_the_one_url(gateway: Gateway) -> None:
    """Playhub's single-URL option: every callback to POST /callback, told apart by its action."""
    session = gateway.session_id
    tx, round_id = "6c5d4e3f-2a1b-4c0d-9e8f-7a6b5c4d3e2f", "7d6e5f4a-3b2c-4d1e-8f9a-8b7c6d5e4f3a"
    bet = {"action": "bet", "type": "bet", "session_id": session, "amount": "3.00", "tx_id": tx, "round_id": round_id}
    refund = {
        "action": "refund",
        "session_id": session,
        "tx_id": "8e7f6a5b-4c3d-4e2f-9a0b-9c8d7e6f5a4b",
        "orig_tx_id": tx,
    }

    status, before = gateway.signed("/callback", {"action": "balance", "session_id": session})
    assert status == 200
    status, placed = gateway.signed("/callback", bet)
    assert (status, Decimal(placed["balance"])) == (200, Decimal(before["balance"]) - 3)
    assert gateway.signed("/bet", bet) == (200, placed)  # the dedicated URL sees the same ledger entry
    status, refunded = gateway.signed("/callback", refund)
    assert (status, refunded["balance"]) == (200, before["balance"])
    status, refused = gateway.signed("/callback", {"session_id": session})
    assert (status, refused["message"]) == (400, "bad request")
    assert gateway.post("/callback", b'{"action": "balance"}', {"X-REQUEST-SIGN": "0" * 64})[0] == 401


def test_errors_come_back_as_api_gateway_would_send_them(gateway: Gateway) -> None:
    assert gateway.post("/bet", b"\xff\xfe not utf-8")[0] == 401
    assert gateway.post("/bet", b"{}", {"X-REQUEST-SIGN": "0" * 64})[0] == 401
    assert gateway.post("/nowhere", b"{}") == (403, {"message": "Missing Authentication Token"})


def test_64_clients_connecting_at_the_same_instant_all_get_answers(gateway: Gateway) -> None:
    body = canonical_json({"action": "balance", "session_id": gateway.session_id})
    request = (
        f"POST /balance HTTP/1.1\r\nHost: 127.0.0.1\r\nX-REQUEST-SIGN: {sign(gateway.key, body)}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body
    port = int(gateway.base_url.rsplit(":", 1)[1])
    clients = 64
    at_once = threading.Barrier(clients)
    answers: list[str] = []

    def client() -> None:
        at_once.wait()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=120) as connection:
                connection.sendall(request)
                answer = b""
                while chunk := connection.recv(65536):
                    answer += chunk
            answers.append(answer.split(b"\r\n", 1)[0].decode())
        except OSError as error:  # a reset, a refusal, a timeout
            answers.append(type(error).__name__)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert answers == ["HTTP/1.1 200 OK"] * clients


UNROUTED = [
    ("TRACE", "/balance"),
    ("DELETE", "/campaigns/x"),
    ("HEAD", "/balance"),
    ("OPTIONS", "/bet"),
    ("PATCH", "/bet"),
    ("GET", "/bet"),
    ("POST", "/nowhere"),
    ("BREW", "/balance"),
]


def test_unknown_routes_and_methods_get_api_gateways_403(gateway: Gateway) -> None:
    for method, path in UNROUTED:
        connection = http.client.HTTPConnection(gateway.base_url.removeprefix("http://"), timeout=60)
        try:
            connection.request(method, path, body=None if method == "HEAD" else b"{}")
            response = connection.getresponse()
            body = response.read()
        finally:
            connection.close()

        assert response.status == 403, (method, path)
        assert response.getheader("Content-Type") == "application/json"
        assert response.getheader("x-amzn-ErrorType") == "MissingAuthenticationTokenException"
        assert body == (b"" if method == "HEAD" else b'{"message": "Missing Authentication Token"}')


def test_a_malformed_request_line_gets_the_403_in_json(gateway: Gateway) -> None:
    port = int(gateway.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(b"NOT AN HTTP REQUEST LINE\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk

    assert answer.startswith(b"HTTP/1.1 403 Forbidden\r\n")
    assert answer.endswith(b'\r\n\r\n{"message": "Missing Authentication Token"}')


FUNCTION_LOG = re.compile(r"^(\w+)\[(\d+)\] (\{.*\})$")


def test_the_console_shows_requests_and_logs_but_not_metrics(gateway: Gateway) -> None:
    """At LOG_LEVEL INFO (make run's default) the functions' EMF lines stay out of the console."""
    assert gateway.signed("/balance", {"action": "balance", "session_id": gateway.session_id})[0] == 200
    assert gateway.signed("/callback", {"action": "balance", "session_id": gateway.session_id})[0] == 200
    deadline = time.monotonic() + 30
    while not any(re.search(r"^POST /callback 200 ", line) for line in list(gateway.output)):
        assert time.monotonic() < deadline, "no request line for /callback"
        time.sleep(0.1)
    time.sleep(1)  # the workers' own output reaches the log a moment after their answers

    assert [line for line in list(gateway.output) if '{"_aws"' in line] == []
    assert any(re.search(r"^POST /balance 200 ", line) for line in list(gateway.output))


def test_each_function_runs_in_its_own_processes_and_logs_as_itself(gateway: Gateway) -> None:
    gateway.signed("/balance", {"action": "balance", "session_id": gateway.session_id})
    gateway.post("/bet", b"{}", {"X-REQUEST-SIGN": "0" * 64})  # refused: logged as a warning
    gateway.post("/players/erin/wallets/EUR/deposits", b"{}")  # refused: logged as a warning

    services = {
        name: resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for name, resource in load_template()["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    seen: dict[str, set[str]] = {}
    pids: dict[str, set[str]] = {}
    deadline = time.monotonic() + 30  # the workers' output reaches the log a moment after their answers
    while not {"BalanceFunction", "BetFunction", "OperatorFunction"} <= set(seen) and time.monotonic() < deadline:
        time.sleep(0.1)
        seen.clear()
        pids.clear()
        for line in list(gateway.output):
            found = FUNCTION_LOG.match(line.rstrip("\n"))
            # Log records (the EMF metric documents carry a service dimension of their own).
            if found and "service" in (record := json.loads(found.group(3))) and "_aws" not in record:
                seen.setdefault(found.group(1), set()).add(record["service"])
                pids.setdefault(found.group(1), set()).add(found.group(2))
    assert {"BalanceFunction", "BetFunction", "OperatorFunction"} <= set(seen), gateway.output
    for function, names in seen.items():
        assert names == {services[function]}, function
    assert not pids["BalanceFunction"] & pids["BetFunction"]  # workers of their own
    assert not pids["BetFunction"] & pids["OperatorFunction"]


def run(command: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """A command as a user types it in the checkout; the test reads its exit code and output."""
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)


def cli(gateway: Gateway, *args: str) -> tuple[int, str]:
    """playhub-ops as a user runs it, against the local gateway."""
    done = run([sys.executable, "-m", "playhub_ops", "--url", gateway.base_url, *args], timeout=60)
    return done.returncode, done.stdout + done.stderr


def test_the_operator_cli_launches_funds_and_reads_history(gateway: Gateway) -> None:
    code, launched = cli(gateway, "--json", "launch", "carol", "ph_limbo_97", "EUR", "--locale", "en-GB")
    assert code == 0, launched
    session_id = json.loads(launched)["session_id"]

    assert cli(gateway, "deposit", "carol", "EUR", "30.00", "--reference", "wire-9")[1].startswith("balance 30.00")
    assert "already done" in cli(gateway, "deposit", "carol", "EUR", "30.00", "--reference", "wire-9")[1]
    status, _ = gateway.signed("/bet", round_payload("bet", session_id, "4.00"))
    assert status == 200

    code, balance = cli(gateway, "balance", "carol")
    assert (code, balance.split()) == (0, ["EUR", "26.00"])
    history = json.loads(cli(gateway, "--json", "history", "carol", "EUR")[1])
    assert [entry["action"] for entry in history["transactions"]] == ["bet", "deposit"]


def test_a_swipe_game_launched_from_the_cli_plays_on_the_same_wallet_as_playhubs(gateway: Gateway) -> None:
    code, playhub = cli(gateway, "--json", "launch", "erin", "ph_limbo_97", "EUR")
    assert code == 0, playhub
    code, launched = cli(
        gateway, "--json", "launch", "erin", "sg_catch_97", "EUR", "--provider", "swipe", "--platform", "desktop"
    )
    assert code == 0, launched
    session_id = json.loads(launched)["session_id"]
    assert session_id.startswith("sw1.")  # a Swipe session, from the Swipe Core API stub make run starts
    assert cli(gateway, "deposit", "erin", "EUR", "20.00")[0] == 0

    bet = round_payload("bet", session_id, "4.00")
    assert gateway.swipe(bet) == (200, {"balance": "16.00", "txID": gateway.swipe(bet)[1]["txID"]})  # and replayed
    assert gateway.signed("/bet", round_payload("bet", json.loads(playhub)["session_id"], "1.00"))[0] == 200
    assert gateway.swipe({"action": "balance", "session_id": session_id}) == (200, {"balance": "15.00"})

    history = json.loads(cli(gateway, "--json", "history", "erin", "EUR")[1])
    assert [(entry["provider"], entry["action"]) for entry in history["transactions"]] == [
        ("playhub", "bet"),
        ("swipe", "bet"),
        ("playhub", "deposit"),
    ]


def test_the_operator_cli_blocks_lists_and_runs_campaigns(gateway: Gateway) -> None:
    code, launched = cli(gateway, "--json", "launch", "dave", "ph_limbo_97", "EUR")
    session_id = json.loads(launched)["session_id"]
    assert cli(gateway, "block", "dave")[1].startswith("dave blocked")
    blocked_bet = gateway.signed("/bet", round_payload("bet", session_id, "0"))
    assert blocked_bet[1]["message"] == "unauthorized"
    assert cli(gateway, "launch", "dave", "ph_limbo_97", "EUR")[0] == 1  # refused: 403

    assert "ph_limbo_97" in cli(gateway, "games")[1]
    assert "BTC    8 places" in cli(gateway, "currencies")[1]
    code, created = cli(
        gateway,
        "--json",
        "campaign",
        "create",
        "summer-1",
        "ph_limbo_97",
        "EUR",
        "--quantity",
        "5",
        "--valid-from",
        "2099-06-01T00:00:00Z",
        "--player",
        "dave",
    )
    assert code == 0, created
    frc_id = json.loads(created)["playhub_id"]
    assert "summer-1" in cli(gateway, "campaign", "show", "--frc-id", frc_id)[1]
    assert "cancelled" in cli(gateway, "campaign", "cancel", "summer-1")[1]
    code, refused = cli(
        gateway,
        "campaign",
        "create",
        "summer-1",
        "ph_limbo_97",
        "EUR",
        "--quantity",
        "9",
        "--valid-from",
        "2099-06-01T00:00:00Z",
    )
    assert (code, "409" in refused) == (1, True)


def test_the_catalogue_is_loaded_at_start_and_launches_and_deposits_are_checked_against_it(gateway: Gateway) -> None:
    assert "catalogue: 10 currencies, 4 games (CatalogueFunction, hourly on AWS)" in "".join(gateway.output)
    code, shown = cli(gateway, "catalogue")
    assert (code, shown.splitlines()[0].split(", loaded")[0]) == (0, "10 currencies")
    assert "4 games, loaded" in shown

    refused = {
        "game": cli(gateway, "launch", "frank", "no_such_game", "EUR"),
        "currency": cli(gateway, "launch", "frank", "ph_limbo_97", "XYZ"),
        "locale": cli(gateway, "launch", "frank", "ph_limbo_97", "EUR", "--locale", "xx"),
        "deposit": cli(gateway, "deposit", "bob", "XXX", "10"),
    }
    assert {name: code for name, (code, _) in refused.items()} == dict.fromkeys(refused, 1)
    assert "game_id: no_such_game is not in Playhub's game catalogue" in refused["game"][1]
    assert "currency: XYZ is not a currency Playhub supports" in refused["currency"][1]
    assert "locale: xx is not a locale of ph_limbo_97" in refused["locale"][1]
    assert "currency: XXX is not a currency Playhub supports" in refused["deposit"][1]
    assert cli(gateway, "balance", "frank")[1].strip() == "no wallets"  # nothing was written
    code, coin = cli(gateway, "deposit", "frank", "BTC", "0.00000001")
    assert (code, coin.split()[1]) == (0, "0.00000001")


def test_health_over_http_reads_the_table_the_catalogue_and_every_key_of_the_built_function(gateway: Gateway) -> None:
    code, shown = cli(gateway, "health")
    assert code == 0, shown
    assert shown.splitlines() == [
        "ok       ledger table       readable",
        "ok       catalogue          10 currencies loaded",
        "ok       callback key       1 key readable",
        "ok       API key            1 key readable",
        "ok       Swipe callback key 1 key readable",
        "ok       Swipe API key      1 key readable",  # make run serves Swipe, with its Core API stub
        "status: ok",
    ]
    assert gateway.key not in shown
    assert SAMPLE_SWIPE_CALLBACK_KEY not in shown


def test_the_legal_bets_table_is_seeded_shown_replaced_and_checked_over_http(gateway: Gateway) -> None:
    assert "legal bets tables (free rounds): EUR (every game), 17 lines" in "".join(gateway.output)
    code, shown = cli(gateway, "legal-bets", "show", "EUR")
    assert (code, shown.splitlines()[0].split(", updated")[0]) == (0, "EUR (every game), 17 lines")
    assert shown.splitlines()[-1].split() == ["17", "10.00", "x5.00"]

    code, replaced = cli(gateway, "--json", "legal-bets", "set", "EUR", "0.10:2.00, 0.50:2.00", "--game", "ph_dice_97")
    assert (code, json.loads(replaced)["table"]) == (0, "0.10:2.00, 0.50:2.00")
    code, refused = cli(
        gateway, "campaign", "create", "dice-1", "ph_dice_97", "EUR", "--quantity", "4", "--bet-line", "3",
        "--valid-from", "2099-06-01T00:00:00Z",
    )  # fmt: skip
    assert code == 1
    assert "valid lines: 1 = 0.10:2.00, 2 = 0.50:2.00" in refused
    code, created = cli(
        gateway, "campaign", "create", "dice-1", "ph_dice_97", "EUR", "--quantity", "4", "--bet-line", "2",
        "--valid-from", "2099-06-01T00:00:00Z",
    )  # fmt: skip
    assert code == 0, created
    assert "bet_value    0.50:2.00" in created
    assert "face_value   2.00" in created
    assert cli(gateway, "legal-bets", "set", "EUR", "1.10:5.00, 1.2x")[0] == 1  # refused; the table stays
    assert "17 lines" in cli(gateway, "legal-bets", "show")[1]


def test_a_round_and_a_live_campaign_as_playhub_and_we_see_them_over_http(gateway: Gateway) -> None:
    code, launched = cli(gateway, "--json", "launch", "erin", "ph_limbo_97", "EUR")
    assert code == 0, launched
    session = json.loads(launched)["session_id"]
    assert cli(gateway, "deposit", "erin", "EUR", "20.00")[0] == 0
    round_id = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
    bet = {"action": "bet", "type": "bet", "session_id": session, "amount": "2.00", "round_id": round_id}
    assert gateway.signed("/bet", {**bet, "tx_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"})[0] == 200
    win = {**bet, "action": "win", "type": "win", "amount": "3.00", "tx_id": "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e"}
    assert gateway.signed("/callback", win)[0] == 200

    code, shown = cli(gateway, "round", "erin", round_id)

    assert code == 0, shown
    assert f"round {round_id}  game ph_limbo_97  player erin" in shown
    assert "user_bonus_balance" in shown
    ours = shown.split("our ledger (EUR):", 1)[1]
    assert [line.split()[1] for line in ours.strip().splitlines()] == ["win", "bet"]

    code, created = cli(
        gateway, "--json", "campaign", "create", "live-9", "ph_limbo_97", "EUR", "--quantity", "3",
        "--valid-from", "2099-06-01T00:00:00Z", "--player", "erin",
    )  # fmt: skip
    assert code == 0, created
    code, live = cli(gateway, "campaign", "show", "live-9", "--live")
    assert code == 0, live
    assert "differences  none" in live
    assert "face_value   3.30" in live  # 3 rounds x 1.10, line 1 of the default table


def test_pip_install_gives_a_playhub_ops_command_and_a_client_to_import(gateway: Gateway, tmp_path: Path) -> None:
    """`pip install .` in a fresh venv, as a casino backend would; then both against make run."""
    venv = tmp_path / "venv"
    assert run([sys.executable, "-m", "venv", str(venv)]).returncode == 0
    installed = run([str(venv / "bin" / "pip"), "install", "--quiet", str(ROOT)], timeout=600)
    assert installed.returncode == 0, installed.stdout + installed.stderr

    command = run([str(venv / "bin" / "playhub-ops"), "balance", "demo-player", "--url", gateway.base_url, "--json"])
    script = (
        "from playhub_ops import OperatorClient\n"
        f"client = OperatorClient({gateway.base_url!r})\n"
        "entries = list(client.transactions('demo-player', 'EUR', page_size=1))\n"
        "print(len(entries), entries[-1]['action'])\n"
    )
    imported = run([str(venv / "bin" / "python"), "-I", "-c", script])

    assert command.returncode == 0, command.stderr
    assert json.loads(command.stdout)["wallets"][0]["currency"] == "EUR"
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.split()[1] == "deposit"  # the oldest entry: the demo's funding


def test_the_readme_session_works_as_written(gateway: Gateway) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- readme-session -->\n```bash\n", 1)[1].split("```", 1)[0]
    port = gateway.base_url.rsplit(":", 1)[1]
    script = "set -euo pipefail\n" + block.replace("127.0.0.1:3000", f"127.0.0.1:{port}").replace(
        "make demo ARGS=", f"make --no-print-directory demo PORT={port} ARGS="
    )
    done = run(["bash", "-c", script])

    # The demo ends the block, so every command before it succeeded (set -e). Its 5 s rule is a
    # latency target (make bench measures it): on a CI machine busy with the rest of the suite, a
    # worker's cold start can pass 5 s, so that rule, and only that one, may fail here.
    failures = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("failure: ")]
    late_only = bool(failures) and all(line.startswith("failure: answered within Playhub's 5 s") for line in failures)
    assert done.returncode == 0 or late_only, done.stdout + done.stderr
    assert '"balance": "50.00"' in done.stdout
    assert "money check: wallet reports" in done.stdout
    assert ": ok" in done.stdout.split("money check:")[1]


@pytest.mark.parametrize("one_url", [False, True], ids=["four URLs", "one URL"])
def test_make_smoke_certifies_a_stage(gateway: Gateway, one_url: bool) -> None:
    done = run(
        [
            "make",
            "--no-print-directory",
            "smoke",
            f"STAGE_URL={gateway.base_url}",
            f"KEY={gateway.key}",
            "ARGS=--rounds 30" + (" --single-url" if one_url else ""),
        ]
    )

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "certified"
    where = f"{gateway.base_url}/callback" if one_url else f"{gateway.base_url} (/balance, /bet, /win, /refund)"
    assert f"certifying {where} with 30 rounds" in lines
    if one_url:
        assert "PASS  one URL: no action refused with 400 (1 checked, 0 failed)" in lines
    assert "PASS  wrong signature refused with 401 (1 checked, 0 failed)" in lines
    assert any(line.startswith("PASS  money check") for line in lines)
    assert not any(line.startswith("FAIL") for line in lines)


# The game behind game_url (issue 11 §3): the Core API stub's page, played in a browser ------------


def test_make_run_prints_a_game_page_for_the_demo_session(gateway: Gateway) -> None:
    printed = "".join(gateway.output)
    found = re.search(r"^play the demo session in a browser: (http://127\.0\.0\.1:\d+/api/v1/play/\S+)$", printed, re.M)
    assert found, printed
    assert "playhub_ops launch alice ph_limbo_97 EUR (or POST /games/launch), then open its game_url" in printed

    with urllib.request.urlopen(found.group(1), timeout=60) as response:  # noqa: S310 - loopback, http only
        page = response.read().decode()

    assert "demo-player" in page
    assert gateway.session_id in page
    assert 'data-playable="true"' in page


def game_move(page: Page, button: str, amount: tuple[str, str] | None = None) -> str:
    """Type the amount (input, text), click the button, wait for the stack's answer: the balance shown."""
    done = page.evaluate("document.querySelectorAll('#log > li').length")
    if amount is not None:
        page.fill(*amount)
    page.click(button)
    page.wait_for(
        f"document.querySelectorAll('#log > li').length > {done} && document.body.dataset.state === 'idle'",
        what=f"the answer to {button}",
        timeout=120,  # a cold start of the function's worker, on a busy machine
    )
    assert page.evaluate("document.getElementById('error').hidden"), page.diagnostics()
    return page.text("#balance")


def test_the_game_url_plays_in_a_browser_and_the_operator_api_sees_the_money_move(
    gateway: Gateway, browser: Chromium
) -> None:
    """A casino developer's first game: launched and funded through the operator API, then played
    in headless Chromium; each click is signed callbacks from the stub to make run."""
    client = OperatorClient(gateway.base_url)
    player = f"browser-{uuid.uuid4().hex[:8]}"
    launched = client.launch(player, "ph_limbo_97", "EUR")
    client.deposit(player, "EUR", "50.00", reference=f"{player}-funding")

    page = browser.page(launched["game_url"])
    page.wait_for("document.querySelectorAll('#log > li').length === 1 && document.body.dataset.state === 'idle'")
    shown = {"on load": page.text("#balance")}  # the balance callback
    shown["bet 10.00"] = game_move(page, "#bet", ("#stake", "10.00"))
    shown["win 25.00"] = game_move(page, "#win", ("#payout", "25.00"))
    shown["bet 5.00, lost, refunded"] = game_move(page, "#lost-bet", ("#stake", "5.00"))

    assert shown == {
        "on load": "50.00",
        "bet 10.00": "40.00",
        "win 25.00": "65.00",
        "bet 5.00, lost, refunded": "65.00",
    }
    assert client.wallets(player)["wallets"] == [{"currency": "EUR", "balance": "65.00", "blocked": False}]
    history = list(client.transactions(player, "EUR"))
    assert [(entry["action"], entry["balance_change"], entry["balance_after"]) for entry in history] == [
        ("refund", "5.00", "65.00"),
        ("bet", "-5.00", "60.00"),
        ("win", "25.00", "65.00"),
        ("bet", "-10.00", "40.00"),
        ("deposit", "50.00", "50.00"),
    ]
    refund, lost_bet, win, bet, _ = history
    assert win["round_id"] == bet["round_id"]
    assert refund["orig_tx_id"] == lost_bet["playhub_tx_id"]
    assert lost_bet["refunded_by"] == refund["playhub_tx_id"]
    assert {entry["session_id"] for entry in (refund, lost_bet, win, bet)} == {launched["session_id"]}
    assert lost_bet["playhub_tx_id"] in page.text("#log")  # the developer sees the same ids on the page
