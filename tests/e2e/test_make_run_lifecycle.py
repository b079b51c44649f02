"""`make run` from start to stop: cold starts, SIGTERM and SIGHUP, a restart, a port in use."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

from e2e.make_run import MakeRun, alive, command_line

from devtools.callbacks import SAMPLE_CALLBACK_KEY
from devtools.dynamodb_local import free_port
from devtools.template import ROOT, load_template
from playhub_wallet.signing import canonical_json, sign

FUNCTION_LOG = re.compile(r"^(\w+)\[(\d+)\] (\{.*\})$")


def call(run: MakeRun, path: str, payload: dict[str, Any], signed: bool = False) -> tuple[int, Any]:
    body = canonical_json(payload)
    headers = {"X-REQUEST-SIGN": sign(SAMPLE_CALLBACK_KEY, body)} if signed else {}
    request = urllib.request.Request(run.base_url + path, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 - loopback, http only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def first_records(run: MakeRun) -> dict[str, dict[str, Any]]:
    """Each function's first log record that says whether it was a cold start."""
    first: dict[str, dict[str, Any]] = {}
    for line in list(run.output):
        found = FUNCTION_LOG.match(line.rstrip("\n"))
        if found and "cold_start" in (record := json.loads(found.group(3))):
            first.setdefault(found.group(1), {**record, "pid": int(found.group(2))})
    return first


def stopped_cleanly(run: MakeRun, processes: set[int]) -> None:
    run.wait()
    assert "stopping\n" in run.output, run.text()
    assert "stopped\n" in run.output, run.text()
    assert [pid for pid in processes if alive(pid)] == []
    assert "Traceback" not in run.text()


def test_functions_start_cold_in_their_own_workers_and_stop_with_make_run_and_a_restart_keeps_the_wallet(
    tmp_path: Path,
) -> None:
    port, data_dir = free_port(), tmp_path / "data"
    services = {
        name: resource["Properties"]["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]
        for name, resource in load_template()["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }

    run = MakeRun.start(port, f"--data-dir {data_dir}")
    try:
        session_id, balance = run.demo()
        assert balance == Decimal("100.00")
        answer = call(run, "/balance", {"action": "balance", "session_id": session_id}, signed=True)
        assert answer == (200, {"balance": "100.00"}), run.text()
        bet = {"action": "bet", "type": "bet", "session_id": session_id, "amount": "10.00"}
        bet |= {"tx_id": "6c1b9d2e-0f3a-4b5c-8d7e-9f0a1b2c3d4e", "round_id": "7d2c0e3f-1a4b-4c6d-9e8f-0a1b2c3d4e5f"}
        assert call(run, "/bet", bet, signed=True)[1]["balance"] == "90.00"
        assert call(run, "/games/launch", {})[0] == 400  # refused, and logged
        assert call(run, "/players/erin/wallets/EUR/deposits", {})[0] == 400

        # Each function: its own worker, its own service name, and its first call a cold start.
        functions = {"BalanceFunction", "BetFunction", "LaunchFunction", "OperatorFunction"}
        deadline = time.monotonic() + 30  # the workers' output reaches the log a moment after their answers
        while not functions <= set(first := first_records(run)) and time.monotonic() < deadline:
            time.sleep(0.1)
        for function in sorted(functions):
            record = first[function]
            assert (record["service"], record["cold_start"]) == (services[function], True), record
            assert f"cold start: {function} pid {record['pid']}, init " in run.text()
        assert len({record["pid"] for record in first.values()}) == len(first)
        assert re.search(r"^POST /balance 200 [\d.]+ms \(cold start\)$", run.text(), re.MULTILINE)

        processes = run.processes()
        commands = [command_line(pid) for pid in processes]
        assert sum("DynamoDBLocal.jar" in command for command in commands) == 1
        assert sum("lambda_bootstrap.py" in command for command in commands) == 5  # and the catalogue load's
        run.signal(signal.SIGTERM)  # `kill -TERM` to make, which passes it on to the gateway
        stopped_cleanly(run, processes)
    finally:
        if run.process.poll() is None:
            run.kill()

    again = MakeRun.start(port, f"--data-dir {data_dir}")
    try:
        assert again.demo() == (session_id, Decimal("90.00"))  # not topped up again
        answer = call(again, "/balance", {"action": "balance", "session_id": session_id}, signed=True)
        assert answer == (200, {"balance": "90.00"})
        processes = again.processes()
        again.signal(signal.SIGHUP, to_gateway=True)  # the terminal went away
        stopped_cleanly(again, processes)
    finally:
        if again.process.poll() is None:
            again.kill()


def test_a_port_in_use_is_one_line_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        gateway = subprocess.run(
            [sys.executable, "-m", "devtools.local_gateway", "--port", str(port)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        make = subprocess.run(
            ["make", "--no-print-directory", "run"],
            cwd=ROOT,
            env={**os.environ, "PORT": str(port)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    assert (gateway.returncode, gateway.stdout) == (1, "")
    assert gateway.stderr.splitlines() == [
        f"error: port {port} is already in use; stop what holds it, or choose another: PORT=..."
    ]
    assert make.returncode != 0
    assert gateway.stderr.splitlines()[0] in make.stderr.splitlines()
    assert "storage:" not in make.stdout + make.stderr  # nothing started
