"""The local gateway as a user runs it: a subprocess serving the template's routes over HTTP."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from devtools.dynamodb_local import free_port
from devtools.template import ROOT
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
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback, http only
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def signed(self, path: str, payload: dict[str, str]) -> tuple[int, dict[str, str]]:
        body = canonical_json(payload)
        return self.post(path, body, {"X-REQUEST-SIGN": sign(self.key, body)})


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    port = free_port()
    environment = {**os.environ, "PORT": str(port), "CALLBACK_KEYS": "e2e-key", "PYTHONUNBUFFERED": "1"}
    environment.pop("DYNAMODB_ENDPOINT", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.local_gateway", "--in-memory"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            pytest.fail("the local gateway exited:\n" + "".join(output))
        output.append(line)
        if line.startswith("ready on "):
            break
    session = re.search(r"demo session with 100.00 EUR: (\S+)", "".join(output))
    assert session, "".join(output)
    yield Gateway(f"http://127.0.0.1:{port}", session.group(1), "e2e-key", output)
    process.terminate()
    assert process.wait(timeout=15) is not None


def test_it_lists_the_template_routes_and_the_storage_it_uses(gateway: Gateway) -> None:
    printed = "".join(gateway.output)
    for path, function in [
        ("/balance", "BalanceFunction"),
        ("/bet", "BetFunction"),
        ("/win", "WinFunction"),
        ("/refund", "RefundFunction"),
    ]:
        assert f"POST {gateway.base_url}{path}  ->  {function}" in printed
    assert "storage: " in printed


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


def test_errors_come_back_as_api_gateway_would_send_them(gateway: Gateway) -> None:
    assert gateway.post("/bet", b"\xff\xfe not utf-8")[0] == 401
    assert gateway.post("/bet", b"{}", {"X-REQUEST-SIGN": "0" * 64})[0] == 401
    assert gateway.post("/nowhere", b"{}")[0] == 404
