"""What a simulator run saw, and how it is reported: the console summary, JSON, and one HTML file.

    python -m devtools.simulator --rounds 200 --report report.html --json report.json

The HTML report is a single self-contained file: inline CSS and inline SVG charts drawn here,
no script, no external URL, font or image, so it opens offline and survives being emailed.
Everything inserted into it is HTML-escaped (a failure may quote the server's answer).

The JSON holds the same facts. Money is a decimal string, never a float; latencies are
milliseconds (floats, to the microsecond). Schema, version 1:

    {
      "version": 1,
      "ok": true,                      # every rule held and the money check passed
      "run": {"target": "http://127.0.0.1:3000", "callback_urls": "four",   # or "one"
              "rounds": 200, "concurrency": 2, "seed": 1, "currency": "EUR",
              "started_at": "2025-01-31T12:00:00.000Z", "duration_s": 12.345,
              "rounds_per_s": 16.2, "callbacks_per_s": 61.3},
      "scenarios": {"round": 110, "free": 21, ...},         # rounds played, by scenario
      "callbacks": {"balance": 23, "bet": 301, ...},        # callbacks sent, by action
      "latency_ms": {"bet": {"count": 290, "min": 4.1, "p50": 9.8, "p95": 21.0, "p99": 40.2,
                             "max": 61.0, "timed_out": 0, "samples": [[0.512, 9.731], ...]}, ...},
                                     # samples: [seconds since the start, latency ms]; a callback
                                     # with no answer in Playhub's 5 s counts in timed_out, its wait
                                     # as its latency
      "rules": [{"rule": "balance answered", "means": "...", "passed": 23, "failed": 0}, ...],
      "money": {"currency": "EUR", "opening_balance": "10000.00", "reported_balance": "9876.54",
                "expected_balance": "9876.54", "difference": "0.00", "ok": true},
                                     # reported_balance and difference are null without a last answer
      "failures": ["rule: what happened", ...]              # the first 20
    }

"callbacks" counts every delivery (duplicates and retries too); a latency's "count" leaves out
the bets whose answer the simulator abandons on purpose after 1 ms (the lost-bet scenario);
"answered within Playhub's 5 s" is checked once per timed callback.
"""

from __future__ import annotations

import html
import json
import math
import statistics
import threading
import time
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

SCHEMA_VERSION = 1

# What each rule the simulator checks means, in the words of the report.
RULES = {
    "balance answered": "A balance callback is answered 200 with the player's balance.",
    "bet within the balance accepted": (
        "A bet the wallet can cover is accepted; the only refusal allowed is 400 insufficient funds."
    ),
    "bet over the balance refused": "A bet larger than the balance is refused, 400 insufficient funds.",
    "bet after its refund refused": (
        "A bet that arrives after the refund of its tx_id is refused (400): the refund settled it first."
    ),
    "duplicate answered with the same tx_id": (
        "A callback delivered twice gets 200 and the first answer's tx_id; the money moves once."
    ),
    "win accepted": "A win for a placed bet (a zero win too) is accepted; Playhub retries it until 200.",
    "free bet accepted without money": "A free-round bet (type free, with its frc_id) is accepted and costs nothing.",
    "free win accepted": "A free-round win is accepted; Playhub retries it until 200.",
    "payout accepted": "A free-rounds campaign's payout (a win with only its frc_id) is accepted and credited.",
    "refund accepted": (
        "A refund is accepted whether its bet landed, never landed or has not arrived yet; retried until 200."
    ),
    "answered within Playhub's 5 s": (
        "Each callback was answered within Playhub's 5 s timeout (counted per callback; a bet that "
        "times out is refunded and a win or refund retried, as Playhub does; its latency is the wait)."
    ),
    "wrong signature refused with 401": "A callback signed with the wrong key is refused with 401, unprocessed.",
    "one URL: no action refused with 400": "On the single callback URL, a body without an action is refused with 400.",
}

SCENARIOS = {
    "round": "a bet, then its win (40% of them zero); either sent twice 30% of the time",
    "free": "a free-round bet and win, then half the time the campaign's payout",
    "lost_bet": "a bet whose answer is abandoned after 1 ms, then its refund, sent twice",
    "refund_first": "the refund of a bet not yet sent, then that bet, which must be refused",
    "too_big": "a bet far over the balance",
    "balance": "a balance callback",
}

KIND_ORDER = ("balance", "bet", "win", "refund")
KIND_COLOURS = {"balance": "#0072B2", "bet": "#D55E00", "win": "#009E73", "refund": "#CC79A7"}  # Okabe-Ito


@dataclass
class RunInfo:
    """How the run was made: where, how many rounds and workers, when and for how long."""

    target: str = ""
    one_url: bool = False
    dialect: str = "playhub"  # playhub, swipe, or mixed (workers alternate, on one wallet)
    rounds: int = 0
    concurrency: int = 0
    seed: int = 0
    currency: str = ""
    started_at: datetime | None = None
    duration_s: float = 0.0


@dataclass
class Report:
    """What a run saw: counts, latencies, rule checks, and the money check."""

    callbacks: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # per callback sent with Playhub's timeout: (seconds since the start, latency ms; when it timed
    # out, the wait), and how many of them timed out
    samples: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    timeouts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    checks: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))  # passed, failed
    scenarios: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: list[str] = field(default_factory=list)
    opening_balance: Decimal = Decimal(0)
    expected_balance: Decimal = Decimal(0)
    reported_balance: Decimal | None = None
    run: RunInfo = field(default_factory=RunInfo)
    clock: float = field(default_factory=time.perf_counter, compare=False, repr=False)  # the start, perf_counter
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def check(self, rule: str, passed: bool, detail: str = "") -> bool:
        with self.lock:
            self.checks[rule][0 if passed else 1] += 1
            if not passed and len(self.failures) < 20:
                self.failures.append(f"{rule}: {detail}")
        return passed

    def add_money(self, amount: Decimal) -> None:
        with self.lock:
            self.expected_balance += amount

    @property
    def latencies(self) -> dict[str, list[float]]:
        """Latency ms per callback, in the order they were sent."""
        return {name: [ms for _, ms in samples] for name, samples in self.samples.items()}

    @property
    def money_ok(self) -> bool:
        return self.reported_balance == self.expected_balance

    @property
    def ok(self) -> bool:
        return self.money_ok and all(failed == 0 for _, failed in self.checks.values())

    def summary(self) -> str:
        lines = [
            f"callbacks sent: {sum(self.callbacks.values())} "
            + " ".join(f"{name}={count}" for name, count in sorted(self.callbacks.items()))
        ]
        lines.append("latency ms        p50     p95     p99")
        for name, values in sorted(self.latencies.items()):
            lines.append(
                f"  {name:<10} {percentile(values, 50):>7.1f} {percentile(values, 95):>7.1f} "
                f"{percentile(values, 99):>7.1f}"
            )
        lines.append("rules             passed  failed")
        for rule, (passed, failed) in sorted(self.checks.items()):
            lines.append(f"  {rule:<38} {passed:>6} {failed:>6}  {'ok' if not failed else 'FAILED'}")
        verdict = "ok" if self.money_ok else "MISMATCH"
        lines.append(
            f"money check: wallet reports {self.reported_balance}, the answers imply {self.expected_balance}: {verdict}"
        )
        lines += [f"  failure: {failure}" for failure in self.failures]
        return "\n".join(lines)


def percentile(values: list[float], percent: int) -> float:
    """The percent-th percentile, interpolated between the nearest ranks (numpy's default)."""
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


@dataclass(frozen=True)
class LatencyStats:
    count: int
    min: float
    p50: float
    p95: float
    p99: float
    max: float


def latency_stats(values: list[float]) -> LatencyStats:
    if not values:
        return LatencyStats(0, 0.0, 0.0, 0.0, 0.0, 0.0)
    return LatencyStats(
        len(values),
        min(values),
        percentile(values, 50),
        percentile(values, 95),
        percentile(values, 99),
        max(values),
    )


def kinds(report: Report) -> list[str]:
    """The callback kinds seen, Playhub's four in their usual order first."""
    seen = set(report.callbacks) | {name for name, samples in report.samples.items() if samples}
    return [kind for kind in KIND_ORDER if kind in seen] + sorted(seen - set(KIND_ORDER))


# JSON -----------------------------------------------------------------------------------------


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def _iso(moment: datetime | None, timespec: str = "milliseconds") -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def to_json(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (schema in the module's docstring)."""
    run = report.run
    duration = round(run.duration_s, 3)
    sent = sum(report.callbacks.values())
    latency: dict[str, Any] = {}
    for kind in kinds(report):
        samples = [[round(at, 3), round(ms, 3)] for at, ms in report.samples.get(kind, [])]
        stats = latency_stats([ms for _, ms in samples])
        latency[kind] = {
            name: round(value, 3) if isinstance(value, float) else value for name, value in stats.__dict__.items()
        } | {"timed_out": report.timeouts.get(kind, 0), "samples": samples}
    difference = None if report.reported_balance is None else report.reported_balance - report.expected_balance
    return {
        "version": SCHEMA_VERSION,
        "ok": report.ok,
        "run": {
            "target": run.target,
            "callback_urls": "one" if run.one_url else "four",
            "dialect": run.dialect,
            "rounds": run.rounds,
            "concurrency": run.concurrency,
            "seed": run.seed,
            "currency": run.currency,
            "started_at": _iso(run.started_at),
            "duration_s": duration,
            "rounds_per_s": round(sum(report.scenarios.values()) / duration, 2) if duration else None,
            "callbacks_per_s": round(sent / duration, 2) if duration else None,
        },
        "scenarios": dict(sorted(report.scenarios.items())),
        "callbacks": {kind: report.callbacks.get(kind, 0) for kind in kinds(report)},
        "latency_ms": latency,
        "rules": [
            {"rule": rule, "means": RULES.get(rule, ""), "passed": passed, "failed": failed}
            for rule, (passed, failed) in sorted(report.checks.items())
        ],
        "money": {
            "currency": run.currency,
            "opening_balance": _money(report.opening_balance),
            "reported_balance": _money(report.reported_balance),
            "expected_balance": _money(report.expected_balance),
            "difference": _money(difference),
            "ok": report.money_ok,
        },
        "failures": list(report.failures),
    }


def from_json(data: dict[str, Any]) -> Report:
    """A report read back from to_json's data (e.g. to draw its HTML again)."""
    if data.get("version") != SCHEMA_VERSION:
        raise ValueError(f"not a version {SCHEMA_VERSION} simulator report: version {data.get('version')!r}")
    run, money = data["run"], data["money"]
    report = Report(
        opening_balance=Decimal(money["opening_balance"]),
        expected_balance=Decimal(money["expected_balance"]),
        reported_balance=None if money["reported_balance"] is None else Decimal(money["reported_balance"]),
        run=RunInfo(
            target=run["target"],
            one_url=run["callback_urls"] == "one",
            dialect=run.get("dialect", "playhub"),
            rounds=run["rounds"],
            concurrency=run["concurrency"],
            seed=run["seed"],
            currency=run["currency"],
            started_at=None if run["started_at"] is None else datetime.fromisoformat(run["started_at"]),
            duration_s=run["duration_s"],
        ),
        failures=list(data["failures"]),
    )
    report.callbacks.update(data["callbacks"])
    report.scenarios.update(data["scenarios"])
    for kind, latency in data["latency_ms"].items():
        if latency["samples"]:
            report.samples[kind] = [(at, ms) for at, ms in latency["samples"]]
        if latency.get("timed_out"):
            report.timeouts[kind] = latency["timed_out"]
    for rule in data["rules"]:
        report.checks[rule["rule"]] = [rule["passed"], rule["failed"]]
    return report


def json_text(report: Report) -> str:
    return json.dumps(to_json(report), indent=2) + "\n"


# SVG charts -----------------------------------------------------------------------------------

# Latency buckets: 1, 1.5, 2, 3, 5, 7 per decade, from 0.01 ms to 700 s (a log scale with round edges).
EDGES = tuple(round(m * 10.0**exponent, 6) for exponent in range(-2, 6) for m in (1, 1.5, 2, 3, 5, 7))
MIN_BUCKETS = 8
FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _bucket(ms: float) -> int:
    return min(max(bisect_right(EDGES, ms) - 1, 0), len(EDGES) - 2)


def bucket_range(values: list[float]) -> tuple[int, int]:
    """EDGES indices lo, hi with every value in [EDGES[lo], EDGES[hi]), at least MIN_BUCKETS apart."""
    if not values:
        return _bucket(1.0), _bucket(1.0) + MIN_BUCKETS
    lo, hi = _bucket(min(values)), _bucket(max(values)) + 1
    while hi - lo < MIN_BUCKETS:
        if hi < len(EDGES) - 1:
            hi += 1
        if hi - lo < MIN_BUCKETS and lo > 0:
            lo -= 1
    return lo, hi


def histogram(values: list[float], lo: int, hi: int) -> list[int]:
    """How many values fall in each bucket EDGES[i] <= v < EDGES[i + 1], for i in lo..hi-1."""
    counts = [0] * (hi - lo)
    for value in values:
        counts[min(max(_bucket(value), lo), hi - 1) - lo] += 1
    return counts


def _log_position(value: float, low: float, high: float, start: float, length: float) -> float:
    value = min(max(value, low), high)
    return start + (math.log(value) - math.log(low)) / (math.log(high) - math.log(low)) * length


def _round_edge(value: float) -> bool:
    """Edges worth a label: 1, 2 and 5 of each decade."""
    mantissa = value / 10 ** math.floor(math.log10(value) + 1e-9)
    return any(abs(mantissa - m) < 1e-6 for m in (1, 2, 5))


def _ms_label(value: float) -> str:
    return f"{value:,.0f}" if value >= 1 else f"{value:g}"


def _nice_ticks(top: float, count: int = 4, *, integers: bool = True) -> list[float]:
    """0 and evenly spaced round steps (1, 2 or 5 times a power of ten) up to at least top."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if integers:
        step = max(1, round(step))
    ticks = [0.0]
    while ticks[-1] < top:
        ticks.append(round(ticks[-1] + step, 9))
    return ticks


def _tick_label(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:g}"


def histogram_svg(kind: str, values: list[float], lo: int, hi: int) -> str:
    """One callback kind's latencies: bars on a log ms axis shared by every kind, p50/p95/p99 marked."""
    width, height = 540, 250
    left, right, top, bottom = 52, 24, 44, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high = EDGES[lo], EDGES[hi]
    counts = histogram(values, lo, hi)
    ticks = _nice_ticks(max(counts, default=0))
    y_max = ticks[-1]
    colour = KIND_COLOURS.get(kind, "#777777")
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" style="{FONT}" '
        f'aria-label="{_e(kind)} latency histogram">',
    ]
    for tick in ticks:
        y = top + plot_h - tick / y_max * plot_h
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_tick_label(tick)}</text>')
    for index, count in enumerate(counts):
        x1 = _log_position(EDGES[lo + index], low, high, left, plot_w)
        x2 = _log_position(EDGES[lo + index + 1], low, high, left, plot_w)
        if not count:
            continue
        bar_h = max(count / y_max * plot_h, 2)  # an outlier stays visible
        label = f"{_ms_label(EDGES[lo + index])} to {_ms_label(EDGES[lo + index + 1])} ms: {count}"
        parts.append(
            f'<rect x="{x1 + 0.5:.1f}" y="{top + plot_h - bar_h:.1f}" width="{max(x2 - x1 - 1, 0.5):.1f}" '
            f'height="{bar_h:.1f}" fill="{colour}"><title>{_e(label)}</title></rect>'
        )
        if bar_h < 14:  # a short bar says its count
            parts.append(
                f'<text x="{(x1 + x2) / 2:.1f}" y="{top + plot_h - bar_h - 3:.1f}" text-anchor="middle" '
                f'class="tick">{count}</text>'
            )
    for index in range(lo, hi + 1):
        x = _log_position(EDGES[index], low, high, left, plot_w)
        labelled = _round_edge(EDGES[index])
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + (5 if labelled else 3)}" '
            'class="axis"/>'
        )
        if labelled:
            parts.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 17}" text-anchor="middle" class="tick">'
                f"{_ms_label(EDGES[index])}</text>"
            )
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" class="axis"/>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" class="axis"/>')
    if values:
        stats = latency_stats(values)
        for row, (name, value, dash) in enumerate(
            [("p50", stats.p50, ""), ("p95", stats.p95, "5 3"), ("p99", stats.p99, "2 2")]
        ):
            x = _log_position(value, low, high, left, plot_w)
            anchor = "start" if x < left + 40 else "end" if x > left + plot_w - 40 else "middle"
            label_y = 12 + row * 12
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{label_y + 3}" y2="{top + plot_h}" class="marker" '
                f'stroke-dasharray="{dash}"/>'
            )
            parts.append(
                f'<text x="{x:.1f}" y="{label_y}" text-anchor="{anchor}" class="marker-label">'
                f"{name} {value:,.1f}</text>"
            )
    else:
        parts.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" class="tick">'
            "no timed callbacks</text>"
        )
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle" class="axis-title">'
        "latency, ms (log scale)</text>"
    )
    parts.append(
        f'<text transform="translate(13 {top + plot_h / 2}) rotate(-90)" text-anchor="middle" class="axis-title">'
        "callbacks</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def callbacks_svg(report: Report) -> str:
    """Horizontal bars: callbacks sent per kind."""
    names = kinds(report)
    row, left, right, top = 30, 74, 70, 8
    width, height = 540, top + row * max(len(names), 1) + 30
    plot_w = width - left - right
    ticks = _nice_ticks(max((report.callbacks.get(name, 0) for name in names), default=0))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" style="{FONT}" '
        'aria-label="callbacks sent per kind">'
    ]
    bottom = top + row * max(len(names), 1)
    for tick in ticks:
        x = left + tick / ticks[-1] * plot_w
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{bottom}" class="grid"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + 15}" text-anchor="middle" class="tick">{_tick_label(tick)}</text>'
        )
    for index, name in enumerate(names):
        count = report.callbacks.get(name, 0)
        y = top + index * row
        bar_w = count / ticks[-1] * plot_w
        parts.append(
            f'<text x="{left - 8}" y="{y + row / 2 + 4:.1f}" text-anchor="end" class="label">{_e(name)}</text>'
        )
        parts.append(
            f'<rect x="{left}" y="{y + 5}" width="{bar_w:.1f}" height="{row - 10}" '
            f'fill="{KIND_COLOURS.get(name, "#777777")}"/>'
        )
        parts.append(f'<text x="{left + bar_w + 6:.1f}" y="{y + row / 2 + 4:.1f}" class="value">{count:,}</text>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" class="axis"/>')
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 2}" text-anchor="middle" class="axis-title">callbacks sent</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


MAX_POINTS = 6000  # beyond this, the latency-over-time plot shows 1 in n samples of each kind


def timeline_svg(report: Report, lo: int, hi: int) -> str:
    """Every timed callback: its latency (log ms) against when it was sent (seconds since the start)."""
    width, height = 1080, 320
    left, right, top, bottom = 60, 24, 30, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    low, high = EDGES[lo], EDGES[hi]
    names = [name for name in kinds(report) if report.samples.get(name)]
    total = sum(len(report.samples[name]) for name in names)
    stride = max(1, math.ceil(total / MAX_POINTS))
    last = max((at for name in names for at, _ in report.samples[name]), default=0.0)
    end = max(report.run.duration_s, last, 1e-3)  # the axis ends with the run
    ticks = [tick for tick in _nice_ticks(end, 8, integers=False) if tick <= end]
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" style="{FONT}" '
        'aria-label="latency over the run">'
    ]
    for tick in ticks:
        x = left + tick / end * plot_w
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" class="grid"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{top + plot_h + 17}" text-anchor="middle" class="tick">{_tick_label(tick)}</text>'
        )
    for index in range(lo, hi + 1):
        if _round_edge(EDGES[index]):
            y = top + plot_h - _log_position(EDGES[index], low, high, 0, plot_h)
            parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
            parts.append(
                f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_ms_label(EDGES[index])}</text>'
            )
    parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{top + plot_h}" y2="{top + plot_h}" class="axis"/>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" class="axis"/>')
    for name in names:
        colour = KIND_COLOURS.get(name, "#777777")
        dots = [
            f'<circle cx="{left + at / end * plot_w:.1f}" '
            f'cy="{top + plot_h - _log_position(ms, low, high, 0, plot_h):.1f}" r="2"/>'
            for at, ms in report.samples[name][::stride]
        ]
        parts.append(f'<g fill="{colour}" fill-opacity="0.55">{"".join(dots)}</g>')
    x = left + plot_w
    for name in reversed(names):  # the legend, right-aligned above the plot
        label_w = 14 + 7.5 * len(name)
        x -= label_w + 12
        parts.append(
            f'<rect x="{x:.1f}" y="{top - 20}" width="10" height="10" fill="{KIND_COLOURS.get(name, "#777")}"/>'
        )
        parts.append(f'<text x="{x + 14:.1f}" y="{top - 11}" class="label">{_e(name)}</text>')
    note = f" (1 in {stride} callbacks shown)" if stride > 1 else ""
    parts.append(
        f'<text x="{left + plot_w / 2}" y="{height - 8}" text-anchor="middle" class="axis-title">'
        f"seconds since the start{_e(note)}</text>"
    )
    parts.append(
        f'<text transform="translate(14 {top + plot_h / 2}) rotate(-90)" text-anchor="middle" class="axis-title">'
        "latency, ms (log scale)</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


# HTML -----------------------------------------------------------------------------------------

CSS = """
:root { color-scheme: light; --ok: #1a7f37; --bad: #c62828; --muted: #5f6b7a; --line: #d8dee6; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f6f8; color: #1c2430;
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 20px 40px; }
h1 { font-size: 24px; margin: 0 0 2px; }
h2 { font-size: 18px; margin: 0 0 10px; }
h3 { font-size: 15px; margin: 0 0 4px; }
.sub { color: var(--muted); margin: 0 0 16px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 18px; margin: 14px 0; }
.verdict { border: 0; color: #fff; display: flex; align-items: baseline; gap: 18px; flex-wrap: wrap; }
.verdict.pass { background: var(--ok); } .verdict.fail { background: var(--bad); }
.verdict strong { font-size: 28px; letter-spacing: 1px; }
.verdict span { font-size: 16px; }
dl.facts { display: grid; grid-template-columns: repeat(5, 1fr); gap: 10px 18px; margin: 0; }
dl.facts div { min-width: 0; }
dl.facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .4px; }
dl.facts dd { margin: 0; font-weight: 600; font-size: 14px; overflow-wrap: anywhere; }
.money { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin-bottom: 8px; }
.money > div { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.money .figure { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.money .what { color: var(--muted); font-size: 13px; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .4px; }
td.n, th.n { text-align: right; white-space: nowrap; }
td.means { color: var(--muted); font-size: 13px; }
.tag { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 700; color: #fff; }
.tag.ok { background: var(--ok); } .tag.bad { background: var(--bad); }
tr.broken td { background: #fdecea; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
.two { display: grid; grid-template-columns: 1fr 1fr; gap: 18px; align-items: start; }
.gap { margin-top: 12px; } tr.total td { font-weight: 700; }
h3 .count { color: var(--muted); font-weight: 400; font-size: 13px; margin-left: 6px; }
.chart { width: 100%; height: auto; display: block; }
.chart .grid { stroke: #e6eaef; } .chart .axis { stroke: #5f6b7a; }
.chart .tick { font-size: 11px; fill: #5f6b7a; } .chart .label { font-size: 13px; fill: #1c2430; }
.chart .value { font-size: 12px; fill: #1c2430; font-weight: 600; }
.chart .axis-title { font-size: 12px; fill: #1c2430; }
.chart .marker { stroke: #1c2430; stroke-width: 1.2; } .chart .marker-label { font-size: 11px; fill: #1c2430; }
.note { color: var(--muted); font-size: 13px; margin: 8px 0 0; }
ol.failures { margin: 0; padding-left: 22px; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 13px; }
ol.failures li { overflow-wrap: anywhere; margin: 2px 0; }
footer { color: var(--muted); font-size: 12px; text-align: center; }
@media (max-width: 820px) { .two, .money { grid-template-columns: 1fr; }
  dl.facts { grid-template-columns: repeat(2, 1fr); } }
"""


def _ms(value: float) -> str:
    return f"{value:,.1f}"


def _verdict(report: Report) -> str:
    broken = [rule for rule, (_, failed) in sorted(report.checks.items()) if failed]
    checked = sum(passed + failed for passed, failed in report.checks.values())
    currency = report.run.currency
    if report.reported_balance is None:
        money = "money check failed: the wallet's last balance did not come"
    elif report.money_ok:
        money = f"money adds up: the wallet holds {report.reported_balance} {currency}, as the answers imply"
    else:
        money = (
            f"money MISMATCH: the wallet holds {report.reported_balance} {currency}, "
            f"the answers imply {report.expected_balance} {currency}"
        )
    if broken:
        rules = f"{len(broken)} of {len(report.checks)} rules broken: {', '.join(broken)}"
    else:
        rules = f"all {len(report.checks)} rules held ({checked:,} checks)"
    word, css = ("PASS", "pass") if report.ok else ("FAIL", "fail")
    return (
        f'<section class="verdict {css}"><strong>{word}</strong>'
        f"<span>{_e(money)}</span><span>{_e(rules)}</span></section>"
    )


def _swatch(kind: str) -> str:
    return f"<span class='swatch' style='background:{KIND_COLOURS.get(kind, '#777777')}'></span>"


def _run_section(report: Report, run: dict[str, Any]) -> list[str]:
    urls = "one (POST /callback)" if report.run.one_url else "four (/balance /bet /win /refund)"
    facts = [
        ("target", run["target"]),
        ("callback URLs", urls),
        ("dialect", report.run.dialect),
        ("started (UTC)", _iso(report.run.started_at, "seconds") or "not recorded"),
        ("duration", f"{run['duration_s']:,.2f} s"),
        ("seed", str(run["seed"])),
        ("rounds played", f"{sum(report.scenarios.values()):,} of {run['rounds']:,}"),
        ("concurrency", f"{run['concurrency']} workers"),
        ("currency", run["currency"]),
        ("rounds / s", "" if run["rounds_per_s"] is None else f"{run['rounds_per_s']:,.1f}"),
        ("callbacks / s", "" if run["callbacks_per_s"] is None else f"{run['callbacks_per_s']:,.1f}"),
    ]
    out = ['<section><dl class="facts">']
    out += [f"<div><dt>{_e(name)}</dt><dd>{_e(value)}</dd></div>" for name, value in facts]
    out.append("</dl></section>")
    return out


def _scenarios_section(report: Report) -> list[str]:
    if not report.scenarios:
        return []
    out = ["<section><h2>What was played</h2>"]
    out.append("<table><tr><th>scenario</th><th>what it plays</th><th class='n'>rounds</th></tr>")
    for scenario, count in sorted(report.scenarios.items(), key=lambda item: (-item[1], item[0])):
        out.append(
            f"<tr><td>{_e(scenario)}</td><td class='means'>{_e(SCENARIOS.get(scenario, ''))}</td>"
            f"<td class='n'>{count:,}</td></tr>"
        )
    out.append("</table></section>")
    return out


def _money_section(report: Report, money: dict[str, Any]) -> list[str]:
    currency = money["currency"]
    reported = "no answer" if money["reported_balance"] is None else f"{money['reported_balance']} {currency}"
    difference = "none to compare" if money["difference"] is None else f"{money['difference']} {currency}"
    colour = "--ok" if report.money_ok else "--bad"
    return [
        f"<section><h2>Money check: {'ok' if report.money_ok else 'MISMATCH'}</h2><div class='money'>",
        f"<div><div class='what'>the wallet reports</div><div class='figure'>{_e(reported)}</div></div>",
        "<div><div class='what'>the answers imply</div>"
        f"<div class='figure'>{_e(money['expected_balance'])} {_e(currency)}</div></div>",
        "<div><div class='what'>difference (wallet &minus; answers)</div>"
        f"<div class='figure' style='color:var({colour})'>{_e(difference)}</div></div></div>",
        f"<p class='note'>Funded with {_e(money['opening_balance'])} {_e(currency)}. Every accepted bet takes "
        "its stake and every accepted win or payout adds its amount: the answers imply that sum. The wallet's "
        "figure is its balance answer after the last round.</p></section>",
    ]


def _failures_section(report: Report) -> list[str]:
    if not report.failures:
        return []
    first = ", the first 20" if len(report.failures) >= 20 else ""
    return [
        f"<section><h2>Failures ({len(report.failures)}{first})</h2><ol class='failures'>",
        *(f"<li>{_e(failure)}</li>" for failure in report.failures),
        "</ol></section>",
    ]


def _rules_section(rules: list[dict[str, Any]]) -> list[str]:
    out = [
        "<section><h2>Playhub rules checked</h2><table>",
        "<tr><th>rule</th><th>what it means</th><th class='n'>passed</th><th class='n'>failed</th><th></th></tr>",
    ]
    for rule in sorted(rules, key=lambda rule: (rule["failed"] == 0, rule["rule"])):
        tag = "<span class='tag ok'>ok</span>" if not rule["failed"] else "<span class='tag bad'>FAILED</span>"
        row = "<tr class='broken'>" if rule["failed"] else "<tr>"
        out.append(
            f"{row}<td>{_e(rule['rule'])}</td><td class='means'>{_e(rule['means'])}</td>"
            f"<td class='n'>{rule['passed']:,}</td><td class='n'>{rule['failed']:,}</td><td>{tag}</td></tr>"
        )
    out.append("</table></section>")
    return out


def _callbacks_section(report: Report) -> list[str]:
    latencies = report.latencies
    out = [
        f"<section><h2>Callbacks</h2><div class='two'><div>{callbacks_svg(report)}</div><div><table>",
        "<tr><th>callback</th><th class='n'>sent</th><th class='n'>timed</th><th class='n'>timed out</th>"
        "<th class='n'>min</th>"
        "<th class='n'>p50</th><th class='n'>p95</th><th class='n'>p99</th><th class='n'>max</th></tr>",
    ]
    for name in kinds(report):
        stats = latency_stats(latencies.get(name, []))
        cells = [_ms(value) for value in (stats.min, stats.p50, stats.p95, stats.p99, stats.max)]
        if not stats.count:
            cells = ["&mdash;"] * 5
        out.append(
            f"<tr><td>{_swatch(name)}{_e(name)}</td><td class='n'>{report.callbacks.get(name, 0):,}</td>"
            f"<td class='n'>{stats.count:,}</td><td class='n'>{report.timeouts.get(name, 0):,}</td>"
            + "".join(f"<td class='n'>{cell}</td>" for cell in cells)
            + "</tr>"
        )
    timed = sum(len(values) for values in latencies.values())
    out += [
        f"<tr class='total'><td>all</td><td class='n'>{sum(report.callbacks.values()):,}</td>"
        f"<td class='n'>{timed:,}</td><td class='n'>{sum(report.timeouts.values()):,}</td>"
        "<td colspan='5'></td></tr>",
        "</table><p class='note'>Latency in ms, from request to answer as the simulator saw it. <em>Sent</em> "
        "counts every delivery, duplicates and retries too; <em>timed</em> leaves out the bets whose answer "
        "the simulator abandons after 1 ms on purpose; <em>timed out</em> got no answer within Playhub's 5 s "
        "(their latency is the wait).</p></div></div></section>",
    ]
    return out


def _latency_sections(report: Report) -> list[str]:
    latencies = report.latencies
    all_values = [ms for values in latencies.values() for ms in values]
    lo, hi = bucket_range(all_values)
    out = ["<section><h2>Latency per callback</h2><div class='two'>"]
    for name in kinds(report):
        values = latencies.get(name, [])
        out.append(
            f"<div><h3>{_swatch(name)}{_e(name)} <span class='count'>{len(values):,} timed</span></h3>"
            f"{histogram_svg(name, values, lo, hi)}</div>"
        )
    out.append(
        "</div><p class='note'>One log-scaled ms axis for every callback; the bars are buckets with round "
        "edges (1, 1.5, 2, 3, 5, 7 per decade). Hover a bar for its count.</p></section>"
    )
    if all_values:
        out += [
            "<section><h2>Latency over the run</h2>",
            timeline_svg(report, lo, hi),
            "<p class='note'>Each dot is one timed callback: when it was sent, and how long its answer took. "
            "A cold start shows as an early outlier.</p></section>",
        ]
    return out


def to_html(report: Report) -> str:
    """The whole report: one HTML page, its CSS and SVG charts inline."""
    data = to_json(report)
    run = data["run"]
    title = f"Playhub simulator: {'PASS' if report.ok else 'FAIL'}, {run['rounds']} rounds"
    started = _iso(report.run.started_at, "seconds") or "no start time"
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>",
        "<h1>Playhub simulator report</h1>",
        f"<p class='sub'>{_e(run['target'])} &middot; {_e(started)}</p>",
        _verdict(report),
        *_run_section(report, run),
        *_money_section(report, data["money"]),
        *_failures_section(report),
        *_rules_section(data["rules"]),
        *_callbacks_section(report),
        *_latency_sections(report),
        *_scenarios_section(report),
        f"<footer>devtools.report &middot; JSON schema version {SCHEMA_VERSION} (--json)</footer>",
        "</main></body></html>",
    ]
    return "\n".join(out) + "\n"
