"""The Playhub simulator drives the real handlers; its money check passes on the real ledger
and catches a ledger that credits a win twice."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
from conftest import DYNAMO_BACKENDS, Backend, install_runtime, make_backend
from support.harness import FakeLambdaContext, handler_module, operator_event, operator_function

from devtools import local_db
from devtools.report import Report, to_json
from devtools.simulator import Simulator
from devtools.swipe_core_api_stub import SwipeCoreApiStub
from playhub_wallet import operator_api, rules
from playhub_wallet.operator_runtime import build_operator_runtime
from playhub_wallet.playhub_requests import api_gateway_event
from playhub_wallet.settings import CoreApiSettings, Settings, SwipeCoreApiSettings
from playhub_wallet.state import WalletMove
from playhub_wallet.wallet import WalletService

CALLBACKS = {"/balance", "/bet", "/win", "/refund", "/callback"}
SWIPE_CALLBACKS = {"/swipe/balance", "/swipe/bet", "/swipe/win", "/swipe/refund"}


# moto copies its tables as it goes and is not thread-safe: the workers' requests take turns here,
# interleaved request by request (on AWS and under make run, they run at once).
_ONE_AT_A_TIME = threading.Lock()


class InProcessTransport:
    """Requests straight into the handlers; an answer awaited for under 10 ms is lost after the call."""

    def call(self, method: str, path: str, body: Any, headers: dict[str, str], timeout: float) -> tuple[int, Any]:
        with _ONE_AT_A_TIME:
            return self._call(method, path, body, headers, timeout)

    def _call(self, method: str, path: str, body: Any, headers: dict[str, str], timeout: float) -> tuple[int, Any]:
        route, _, query = path.partition("?")
        if path in CALLBACKS or route in SWIPE_CALLBACKS:
            text = body.decode() if isinstance(body, bytes) else json.dumps(body)
            event = api_gateway_event(route, text, headers, method=method, query=parse_qsl(query) or None)
            module = handler_module(route[1:].replace("/", "_"))
        else:
            module, event = handler_module(operator_function(path)), operator_event(method, path, body)
        response = module.lambda_handler(event, FakeLambdaContext())
        if timeout < 0.01:
            raise TimeoutError("the answer was lost")
        return int(response["statusCode"]), json.loads(response["body"])


@pytest.fixture(params=DYNAMO_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from make_backend(request.param, request)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, backend: Backend, wallet: WalletService) -> Iterator[None]:
    """Callbacks and operator routes on one ledger; a stub Core API answers launches."""
    from devtools.core_api_stub import CoreApiStub

    stub = CoreApiStub("sim-api-key").start()
    swipe_stub = SwipeCoreApiStub("sim-swipe-api-key").start()
    settings = Settings(table_name=backend.table_name, callback_keys="local-callback-key")
    core = CoreApiSettings(playhub_core_url=stub.url, playhub_cid="cid-1", api_keys="sim-api-key")
    swipe = SwipeCoreApiSettings(
        swipe_core_url=swipe_stub.url,
        swipe_cid=swipe_stub.cid,
        swipe_extcid=swipe_stub.ext_cid,
        swipe_api_keys="sim-swipe-api-key",
    )
    parts = build_operator_runtime(settings, core, backend.table, swipe)
    local_db.seed_catalogue(backend.table.client, backend.table.name)  # the stub's, as make run loads it
    assert parts.swipe is not None
    parts.swipe.catalogue.refresh()  # Swipe's game list, as the catalogue function loads it
    monkeypatch.setattr(operator_api, "operator_runtime", lambda: parts)
    install_runtime(monkeypatch, wallet, table=backend.table_name)
    yield
    swipe_stub.stop()
    stub.stop()


class CountingTransport(InProcessTransport):
    def __init__(self) -> None:
        self.paths: set[str] = set()

    def call(self, method: str, path: str, body: Any, headers: dict[str, str], timeout: float) -> tuple[int, Any]:
        self.paths.add(path)
        return super().call(method, path, body, headers, timeout)


class SlowBetsTransport(InProcessTransport):
    """Every 5th bet lands, but its answer never comes within Playhub's timeout."""

    def __init__(self) -> None:
        self.bets = 0

    def call(self, method: str, path: str, body: Any, headers: dict[str, str], timeout: float) -> tuple[int, Any]:
        answer = super().call(method, path, body, headers, timeout)
        if (json.loads(body) if isinstance(body, (bytes, str)) else body).get(
            "action"
        ) == "bet" and timeout >= 0.1:  # not the lost-bet's 1 ms on purpose
            self.bets += 1
            if self.bets % 5 == 0:
                raise TimeoutError("read timed out")
        return answer


def test_a_callback_not_answered_in_time_breaks_the_5_s_rule_and_shows_in_the_report(stack: None) -> None:
    """Playhub gives up on a bet after 5 s and refunds it: the money still adds up, but the stack
    broke the rule, and the report counts it as timed out with its wait as its latency."""
    report = Simulator(SlowBetsTransport(), "local-callback-key", seed=3, timeout=0.2).run(rounds=30, concurrency=1)

    timed_out = report.timeouts["bet"]
    assert timed_out > 0
    assert report.money_ok, report.summary()  # each was refunded, as Playhub does
    assert report.checks["answered within Playhub's 5 s"][1] == timed_out
    assert not report.ok
    timed = sum(len(values) for values in report.latencies.values())  # the waits of those not answered too
    assert sum(report.checks["answered within Playhub's 5 s"]) == timed
    assert to_json(report)["latency_ms"]["bet"]["timed_out"] == timed_out


@pytest.mark.parametrize("one_url", [False, True], ids=["four URLs", "one URL"])
def test_a_correct_ledger_passes_every_rule_and_the_money_check(stack: None, one_url: bool) -> None:
    transport = CountingTransport()
    report = Simulator(transport, "local-callback-key", seed=3, one_url=one_url).run(rounds=40, concurrency=1)

    assert report.money_ok, report.summary()
    assert report.ok, report.summary()
    assert report.callbacks["bet"] >= 30
    assert report.checks["duplicate answered with the same tx_id"][0] > 0
    timed = sum(len(values) for values in report.latencies.values())
    assert report.checks["answered within Playhub's 5 s"] == [timed, 0]  # every timed callback, passes too
    assert report.checks["win accepted"][0] > 0
    assert report.checks["refund accepted"][0] > 0
    callbacks_sent_to = transport.paths & CALLBACKS
    assert callbacks_sent_to == ({"/callback"} if one_url else {"/balance", "/bet", "/win", "/refund"})
    if one_url:
        assert report.checks["one URL: no action refused with 400"] == [1, 0]


@pytest.mark.parametrize("dialect", ["swipe", "mixed"])
def test_swipes_dialect_alone_and_both_dialects_on_one_wallet_pass_every_rule_and_the_money_check(
    stack: None, dialect: str
) -> None:
    transport = CountingTransport()
    report = Simulator(transport, "local-callback-key", seed=3, dialect=dialect).run(rounds=40, concurrency=2)

    assert report.money_ok, report.summary()
    assert report.ok, report.summary()
    assert report.run.dialect == dialect
    routes = {path.partition("?")[0] for path in transport.paths}
    assert routes & SWIPE_CALLBACKS == SWIPE_CALLBACKS
    assert routes & CALLBACKS == (set() if dialect == "swipe" else {"/balance", "/bet", "/win", "/refund"})
    assert report.checks["duplicate answered with the same tx_id"][0] > 0
    assert report.checks["refund accepted"][0] > 0
    assert report.checks["bet after its refund refused"][0] > 0
    assert report.checks["wrong signature refused with 401"] == [1 if dialect == "swipe" else 2, 0]


@pytest.mark.parametrize("dialect", ["playhub", "mixed"])
def test_the_money_check_catches_a_ledger_that_credits_wins_twice(
    stack: None, monkeypatch: pytest.MonkeyPatch, dialect: str
) -> None:
    honest = rules.decide_win

    def double_credit(*args: Any) -> rules.Decision:
        decision = honest(*args)
        if isinstance(decision, rules.Apply) and decision.plan.wallet_move.delta > 0:
            move = decision.plan.wallet_move
            doubled = WalletMove(move.key, move.expected_version, move.delta * 2, move.refuse_if_blocked)
            return rules.Apply(type(decision.plan)(**{**decision.plan.__dict__, "wallet_move": doubled}))
        return decision

    monkeypatch.setattr(rules, "decide_win", double_credit)

    report = Simulator(InProcessTransport(), "local-callback-key", seed=3, dialect=dialect).run(
        rounds=40, concurrency=1 if dialect == "playhub" else 2
    )

    assert not report.money_ok
    assert not report.ok
    assert report.reported_balance is not None
    assert report.reported_balance > report.expected_balance
    assert "MISMATCH" in report.summary()


def test_a_short_runs_transcript_keeps_each_round_together_with_two_workers(stack: None) -> None:
    lines: list[str] = []
    Simulator(InProcessTransport(), "local-callback-key", seed=5, transcript=True, out=lines.append).run(
        rounds=12, concurrency=2
    )

    rounds = [block.splitlines() for block in lines if block.endswith(":") or ":\n" in block]
    assert len(rounds) == 12
    assert sum(len(block) - 1 for block in rounds) >= 12  # each round's callbacks came with it
    for block in rounds:  # a scenario name, then only its own callbacks
        assert block[0].endswith(":")
        assert all(line.startswith("  ") for line in block[1:])


def test_the_progress_is_a_line_every_few_seconds_when_not_on_a_terminal() -> None:
    import io

    from devtools.simulator import _progress_bar

    log = io.StringIO()
    show = _progress_bar(200, log)
    for done in range(1, 201):
        show(done)

    assert "\r" not in log.getvalue()
    assert log.getvalue().splitlines()[-1].startswith("200/200 rounds, ")
    assert len(log.getvalue().splitlines()) < 200  # not a line per round: one per 5 s, and the last


class TallyingTransport(InProcessTransport):
    """Counts the callbacks the stack took (a wrong signature's 401 is the simulator's probe, not a callback)."""

    base_url = "in-process"

    def __init__(self) -> None:
        self.taken: Counter[str] = Counter()

    def call(self, method: str, path: str, body: Any, headers: dict[str, str], timeout: float) -> tuple[int, Any]:
        try:
            status, answer = super().call(method, path, body, headers, timeout)
        except TimeoutError:
            status, answer = 0, None
            raise
        finally:
            if path in CALLBACKS and status != 401:
                self.taken[path[1:]] += 1
        return status, answer


def run_main(monkeypatch: pytest.MonkeyPatch, *options: str) -> tuple[int, TallyingTransport, list[Report]]:
    """The simulator's command line, on the in-process stack; the Report it made."""
    from devtools import simulator

    transport = TallyingTransport()
    reports: list[Report] = []
    run = simulator.Simulator.run

    def run_and_keep(self: simulator.Simulator, *args: Any, **kwargs: Any) -> Report:
        reports.append(run(self, *args, **kwargs))
        return reports[-1]

    monkeypatch.setattr(simulator, "HttpTransport", lambda url, signer: transport)
    monkeypatch.setattr(simulator.Simulator, "run", run_and_keep)
    options = ("--key", "local-callback-key", "--rounds", "10", "--concurrency", "1", "--seed", "2", *options)
    code = simulator.main(options)  # one worker: moto is not thread-safe
    return code, transport, reports


def test_a_run_writes_its_html_report_and_json_with_the_runs_figures(
    stack: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page, data_file = tmp_path / "report.html", tmp_path / "report.json"

    code, transport, [report] = run_main(monkeypatch, "--report", str(page), "--json", str(data_file))

    assert code == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"report written to {page} and {data_file}"
    data = json.loads(data_file.read_text())
    assert data["callbacks"] == dict(report.callbacks) == dict(transport.taken)
    assert sum(data["scenarios"].values()) == data["run"]["rounds"] == 10
    assert {rule["rule"]: [rule["passed"], rule["failed"]] for rule in data["rules"]} == dict(report.checks)
    assert len(data["rules"]) >= 5
    assert all(rule["means"] for rule in data["rules"])
    assert data["scenarios"]["lost_bet"] > 0  # bets sent whose answer is abandoned: sent, not timed
    untimed = {kind: data["callbacks"][kind] - latency["count"] for kind, latency in data["latency_ms"].items()}
    assert untimed == {"balance": 0, "bet": data["scenarios"]["lost_bet"], "win": 0, "refund": 0}
    for kind, latency in data["latency_ms"].items():
        assert latency["count"] == len(latency["samples"]) == len(report.samples[kind])
        assert latency["min"] <= latency["p50"] <= latency["p95"] <= latency["p99"] <= latency["max"]
        assert all(0 <= at <= data["run"]["duration_s"] for at, _ in latency["samples"])
    assert data["money"]["reported_balance"] == data["money"]["expected_balance"] == str(report.expected_balance)
    assert data["ok"] is True
    html = page.read_text()
    assert '<section class="verdict pass"><strong>PASS</strong>' in html
    assert html.count("latency histogram") == len(data["callbacks"])
    assert not re.search(r"\bsrc\s*=|\bhref\s*=|<script|<link|url\(", html, re.I)


def test_json_to_stdout_leaves_stdout_to_the_json(
    stack: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, [report] = run_main(monkeypatch, "--json", "-")

    assert code == 0
    captured = capsys.readouterr()
    # In process, the handlers' own log lines share stdout; the JSON follows them, whole.
    data = json.loads(captured.out[captured.out.index('{\n  "version": 1') :])
    assert data["callbacks"] == dict(report.callbacks)
    assert "money check: wallet reports" in captured.err  # the summary, and the transcript, went to stderr
    assert "money check" not in captured.out
    assert " -> 200 " not in captured.out
