"""The simulator's report: HTML that stands alone and says what the run saw, JSON with the same facts."""

from __future__ import annotations

import ast
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from devtools.report import (
    EDGES,
    MAX_POINTS,
    RULES,
    Report,
    RunInfo,
    bucket_range,
    from_json,
    histogram,
    json_text,
    latency_stats,
    percentile,
    timeline_svg,
    to_html,
    to_json,
)
from devtools.simulator import ANSWERED_IN_TIME

SIMULATOR = Path(__file__).resolve().parents[2] / "devtools" / "simulator.py"
HISTOGRAM = re.compile(r'<svg [^>]*aria-label="([^"]+) latency histogram">(.*?)</svg>', re.S)


def a_report(*, reported: str = "9876.54", failures: tuple[str, ...] = ()) -> Report:
    report = Report(
        opening_balance=Decimal("10000.00"),
        expected_balance=Decimal("9876.54"),
        reported_balance=Decimal(reported),
        run=RunInfo(
            target="http://127.0.0.1:3100",
            rounds=20,
            concurrency=2,
            seed=4,
            currency="EUR",
            started_at=datetime(2025, 3, 1, 12, 0, 0, 250000, tzinfo=UTC),
            duration_s=2.0,
        ),
    )
    report.callbacks.update({"balance": 4, "bet": 30, "win": 20, "refund": 6})
    report.samples["balance"] = [(0.1, 3.0), (0.5, 2.5), (1.0, 4.0)]
    report.samples["bet"] = [(index / 20, 5.0 + index) for index in range(25)]  # 5 are left untimed
    report.samples["win"] = [(index / 10, 8.0 + index / 2) for index in range(20)]
    report.samples["refund"] = [(1.5, 900.0), (1.6, 12.0), (1.7, 11.0)]
    report.scenarios.update({"round": 14, "lost_bet": 3, "balance": 3})
    report.checks["win accepted"] = [20, 0]
    report.checks["duplicate answered with the same tx_id"] = [9, 0]
    report.checks["bet over the balance refused"] = [3, 1 if failures else 0]
    report.failures.extend(failures)
    return report


def test_the_html_has_one_histogram_per_callback_kind_holding_all_its_timed_callbacks() -> None:
    report = a_report()

    page = to_html(report)

    histograms = HISTOGRAM.findall(page)
    assert [kind for kind, _ in histograms] == ["balance", "bet", "win", "refund"]
    for kind, svg in histograms:  # each bar's tooltip says its count; the bars add up to the kind's samples
        counts = [int(count) for count in re.findall(r" ms: (\d+)</title>", svg)]
        assert sum(counts) == len(report.samples[kind]), kind


def test_latency_over_the_run_has_a_dot_per_timed_callback_and_thins_out_a_long_run() -> None:
    report = a_report()

    dots = re.findall(r'<circle cx="([\d.]+)"', timeline_svg(report, *bucket_range([1.0, 1000.0])))

    assert len(dots) == sum(len(samples) for samples in report.samples.values())
    assert max(float(x) for x in dots) <= 1080  # the axis ends with the run, inside the chart
    report.samples["bet"] = [(index / 10_000, 5.0) for index in range(3 * MAX_POINTS)]
    thinned = timeline_svg(report, *bucket_range([1.0, 1000.0]))
    assert MAX_POINTS // 2 < thinned.count("<circle ") <= MAX_POINTS
    assert "(1 in 4 callbacks shown)" in thinned


def test_the_html_lists_each_rule_with_its_counts_and_what_it_means() -> None:
    page = to_html(a_report(failures=("bet over the balance refused: 200 {}",)))

    for rule, passed, failed in [
        ("win accepted", 20, 0),
        ("duplicate answered with the same tx_id", 9, 0),
        ("bet over the balance refused", 3, 1),
    ]:
        row = re.search(
            rf"<tr[^>]*><td>{re.escape(rule)}</td><td class='means'>(.*?)</td>"
            r"<td class='n'>(\d+)</td><td class='n'>(\d+)</td><td>(.*?)</td></tr>",
            page,
        )
        assert row, rule
        assert row.group(1) == RULES[rule].replace("'", "&#x27;")
        assert (int(row.group(2)), int(row.group(3))) == (passed, failed)
        assert ("FAILED" in row.group(4)) == bool(failed)


def test_the_verdict_says_pass_when_the_money_adds_up_and_every_rule_held() -> None:
    page = to_html(a_report())

    assert '<section class="verdict pass"><strong>PASS</strong>' in page
    assert "the wallet holds 9876.54 EUR, as the answers imply" in page
    assert "Money check: ok" in page


def test_the_verdict_says_fail_with_both_balances_and_their_difference_on_a_mismatch() -> None:
    page = to_html(a_report(reported="9899.04"))

    assert '<section class="verdict fail"><strong>FAIL</strong>' in page
    assert "money MISMATCH: the wallet holds 9899.04 EUR, the answers imply 9876.54 EUR" in page
    assert "Money check: MISMATCH" in page
    assert ">22.50 EUR<" in page  # the difference, wallet minus answers


def test_the_html_stands_alone_no_script_and_nothing_fetched() -> None:
    page = to_html(a_report(failures=("win accepted: see https://example.com/x.png",)))

    assert page.startswith("<!DOCTYPE html>")
    for fetches in (r"\bsrc\s*=", r"\bhref\s*=", r"<script", r"<link", r"<img", r"@import", r"url\(", r"<iframe"):
        assert not re.search(fetches, page, re.I), fetches
    assert "<style>" in page
    assert page.count("<svg ") >= 6  # the callbacks' bars, four histograms, latency over the run


def test_everything_from_the_run_is_escaped() -> None:
    report = a_report(failures=('bet over the balance refused: 200 {"message": "<script>alert(1)</script>"}',))
    report.run.target = "http://x/<b>"
    report.checks["<img onerror=x>"] = [0, 1]

    page = to_html(report)

    assert "<script" not in page
    assert "<img" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img onerror=x&gt;" in page


def test_the_json_round_trips_and_keeps_money_as_decimal_strings() -> None:
    report = a_report(reported="9899.04", failures=("bet over the balance refused: 200 {}",))

    data = json.loads(json_text(report))

    assert data["version"] == 1
    assert data["ok"] is False
    money = data["money"]
    assert money == {
        "currency": "EUR",
        "opening_balance": "10000.00",
        "reported_balance": "9899.04",
        "expected_balance": "9876.54",
        "difference": "22.50",
        "ok": False,
    }
    assert data["callbacks"] == {"balance": 4, "bet": 30, "win": 20, "refund": 6}
    assert data["latency_ms"]["bet"]["count"] == 25
    assert data["latency_ms"]["refund"]["max"] == 900.0
    assert data["run"]["started_at"] == "2025-03-01T12:00:00.250Z"
    assert data["run"]["callbacks_per_s"] == 30.0  # 60 callbacks in 2 s
    assert data["run"]["rounds_per_s"] == 10.0  # 20 rounds played
    assert {rule["rule"]: [rule["passed"], rule["failed"]] for rule in data["rules"]} == dict(report.checks)
    again = from_json(data)
    assert again.reported_balance == Decimal("9899.04")
    assert again.expected_balance == Decimal("9876.54")
    assert not again.money_ok
    assert again.samples == report.samples
    assert to_json(again) == data


def test_a_report_without_the_last_balance_says_so_in_json_and_html() -> None:
    report = a_report()
    report.reported_balance = None

    data = to_json(report)

    assert data["money"]["reported_balance"] is None
    assert data["money"]["difference"] is None
    assert data["ok"] is False
    assert from_json(data).reported_balance is None
    assert "the wallet&#x27;s last balance did not come" in to_html(report)


def test_a_json_of_another_version_is_refused() -> None:
    data = to_json(a_report())
    data["version"] = 2

    with pytest.raises(ValueError, match="version 1"):
        from_json(data)


def test_percentiles_of_one_to_a_hundred() -> None:
    values = [float(value) for value in range(100, 0, -1)]  # any order

    stats = latency_stats(values)

    assert (stats.count, stats.min, stats.max) == (100, 1.0, 100.0)
    assert stats.p50 == pytest.approx(50.5)
    assert stats.p95 == pytest.approx(95.05)
    assert stats.p99 == pytest.approx(99.01)
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_latency_buckets_have_round_edges_and_hold_every_value() -> None:
    values = [1.0, 1.4, 1.5, 2.9, 3.0, 1000.0, 0.001, 10**7]

    lo, hi = bucket_range(values)
    counts = histogram(values, lo, hi)

    assert sum(counts) == len(values)  # the far outliers land in the end buckets
    assert EDGES[EDGES.index(1.0) : EDGES.index(10.0) + 1] == (1.0, 1.5, 2.0, 3.0, 5.0, 7.0, 10.0)
    lo, hi = bucket_range([1.0, 1.4, 1.5, 2.9, 3.0])
    assert histogram([1.0, 1.4, 1.5, 2.9, 3.0], lo, hi)[EDGES.index(1.0) - lo :][:4] == [2, 1, 1, 1]
    assert hi - lo >= 8  # a narrow spread still gets a readable axis


def test_every_rule_the_simulator_checks_is_explained_and_no_explanation_is_stale() -> None:
    checked: set[str] = set()
    for node in ast.walk(ast.parse(SIMULATOR.read_text())):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "check":
                rule = node.args[0]
            elif node.func.attr == "send_until_ok":
                rule = node.args[1]
            else:
                continue
            if isinstance(rule, ast.Name) and rule.id == "rule":
                continue  # send_until_ok's own check: its rules are named where it is called
            if isinstance(rule, ast.Name) and rule.id == "ANSWERED_IN_TIME":
                checked.add(ANSWERED_IN_TIME)
                continue
            assert isinstance(rule, ast.Constant), ast.unparse(node)
            assert isinstance(rule.value, str)
            checked.add(rule.value)

    assert len(checked) > 10
    assert checked == set(RULES)


def unused_url() -> str:
    import socket

    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{unused.getsockname()[1]}"


def test_a_report_that_cannot_be_written_is_one_line_before_the_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from devtools.simulator import main

    url = unused_url()  # nothing answers there: the run would fail if it started
    missing = tmp_path / "no-such-dir" / "report.html"

    assert main(["--url", url, "--report", str(missing)]) == 2
    assert capsys.readouterr().err == f"error: cannot write the report to {missing}: No such file or directory\n"

    assert main(["--url", url, "--json", str(tmp_path)]) == 2
    assert capsys.readouterr().err == f"error: cannot write the report to {tmp_path}: it is a directory\n"

    same = tmp_path / "report.out"
    assert main(["--url", url, "--report", str(same), "--json", str(same)]) == 2
    assert capsys.readouterr().err == "error: cannot write the report to --report and --json name the same file\n"


def test_trying_the_report_path_leaves_no_file_behind_when_the_run_then_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from devtools.simulator import main

    code = main(["--url", unused_url(), "--report", str(tmp_path / "report.html")])

    assert code == 2
    assert capsys.readouterr().err.startswith("error: nothing answers at ")
    assert list(tmp_path.iterdir()) == []
