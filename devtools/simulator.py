"""Playhub (or Swipe Games), simulated: plays signed rounds against a stack and checks that every
cent adds up.

    python -m devtools.simulator                        # short run against make run, with a transcript
    python -m devtools.simulator --rounds 2000 --concurrency 4
    python -m devtools.simulator --dialect swipe        # Swipe's callbacks (/swipe/...), Swipe's key
    python -m devtools.simulator --dialect mixed --concurrency 4   # both at once, on one wallet
    python -m devtools.simulator --rounds 200 --report report.html --json report.json   # devtools/report.py
    python -m devtools.simulator --url https://…/live --key "$KEY"   # a deployed stack (operator routes SigV4)

It launches one session per worker for a single player through the operator API, funds the
wallet, then plays rounds on that one wallet at once: bets, wins (zero wins too), free rounds
and their payout, duplicate deliveries of every callback, bets whose answer never comes
followed by refunds (what Playhub does on a 500 or a timeout), refunds that arrive before
their bet, and bets larger than the balance. The money check compares the balance the wallet
reports with the one the answers imply; any mismatch or broken rule exits non-zero.

The rounds are written in Playhub's terms; a session launched for Swipe (`sw1.`) sends each one
as Swipe does (SWIPE.md §5): a signed GET /swipe/balance, camelCase bodies signed with Swipe's key,
a refund that states the stake and its round, free rounds by our campaign id. With --dialect
mixed the workers alternate between the two providers on the same player's one wallet.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlencode

import requests

from devtools.callbacks import SAMPLE_CALLBACK_KEY, SAMPLE_SWIPE_CALLBACK_KEY
from devtools.report import Report, RunInfo, json_text, to_html
from playhub_wallet import swipe_requests, swipe_signing
from playhub_wallet.playhub_requests import refund_payload, round_payload
from playhub_wallet.signing import SIGNATURE_HEADER, canonical_json, sign

CENT = Decimal("0.01")
ANSWERED_IN_TIME = "answered within Playhub's 5 s"
GAME = "ph_limbo_97"
SWIPE_GAME = "sg_catch_97"  # in the local Swipe Core API stub's games
SWIPE_SESSION_PREFIX = "sw1."
DIALECTS = ("playhub", "swipe", "mixed")


class Transport(Protocol):
    def call(self, method: str, path: str, body: Any, headers: dict[str, str], timeout: float) -> tuple[int, Any]:
        """The status and JSON answer; raises TimeoutError when no answer came in time."""
        ...


class HttpTransport:
    def __init__(self, base_url: str, operator_sign: Callable[..., dict[str, str]] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self._local = threading.local()
        self._operator_sign = operator_sign

    def call(self, method: str, path: str, body: Any, headers: dict[str, str], timeout: float) -> tuple[int, Any]:
        session = getattr(self._local, "session", None) or requests.Session()
        self._local.session = session
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        if self._operator_sign is not None and SIGNATURE_HEADER not in headers:
            headers = self._operator_sign(method, self.base_url + path, data, headers)
        try:
            response = session.request(method, self.base_url + path, data=data, headers=headers, timeout=timeout)
        except requests.Timeout as exc:
            raise TimeoutError(str(exc)) from exc
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, {"message": response.text[:200]}


class Simulator:
    def __init__(
        self,
        transport: Transport,
        key: str,
        *,
        seed: int = 1,
        transcript: bool = False,
        out: Callable[[str], None] = print,
        timeout: float = 5.0,
        one_url: bool = False,
        dialect: str = "playhub",
        swipe_key: str = SAMPLE_SWIPE_CALLBACK_KEY,
    ) -> None:
        if dialect not in DIALECTS:
            raise ValueError(f"dialect must be one of {', '.join(DIALECTS)}")
        self.transport = transport
        self.one_url = one_url  # Playhub's single-URL option: every callback to POST /callback
        self.dialect = dialect
        self.key = key
        self.swipe_key = swipe_key  # Swipe's Integration API key
        self.seed = seed
        self.transcript = transcript
        self._round_lines = threading.local()  # a round's transcript, printed whole when it ends
        self._out_lock = threading.Lock()
        self.out = out
        self.timeout = timeout  # Playhub's
        self.report = Report()

    # Set-up through the operator API ----------------------------------------------------

    def provider_of(self, worker: int) -> str:
        """The provider whose game worker plays: the dialect's, or alternating when mixed."""
        if self.dialect == "mixed":
            return "playhub" if worker % 2 == 0 else "swipe"
        return self.dialect

    def open_sessions(self, player_id: str, currency: str, count: int, funding: Decimal) -> list[str]:
        sessions = []
        for worker in range(count):
            launch: dict[str, str] = {"player_id": player_id, "game_id": GAME, "currency": currency, "locale": "en_us"}
            if self.provider_of(worker) == "swipe":
                launch |= {"provider": "swipe", "game_id": SWIPE_GAME, "platform": "desktop"}
            status, launched = self.transport.call("POST", "/games/launch", launch, {}, 30)
            if status != 200:
                raise RuntimeError(f"launch failed: {status} {launched}")
            sessions.append(launched["session_id"])
        status, funded = self.transport.call(
            "POST",
            f"/players/{player_id}/wallets/{currency}/deposits",
            {"amount": str(funding), "reference": f"sim-{uuid.uuid4()}"},
            {},
            30,
        )
        if status != 200:
            raise RuntimeError(f"deposit failed: {status} {funded}")
        self.report.opening_balance = self.report.expected_balance = Decimal(funded["balance"])
        return sessions

    # Callbacks, signed as Playhub signs them ----------------------------------------------

    def send(self, payload: dict[str, str], *, timeout: float | None = None) -> tuple[int, Any]:
        """A callback in Playhub's terms, sent in the dialect of its session's provider."""
        action = payload["action"]
        if payload["session_id"].startswith(SWIPE_SESSION_PREFIX):
            method, path, body, headers = swipe_request(payload, self.swipe_key)
        else:
            body = canonical_json(payload)
            headers = {SIGNATURE_HEADER: sign(self.key, body), "Content-Type": "application/json"}
            method, path = "POST", self.path(action)
        started = time.perf_counter()
        try:
            status, answer = self.transport.call(method, path, body, headers, timeout or self.timeout)
        except TimeoutError:
            if timeout is None:  # Playhub's own timeout ran out: a latency of at least that, and a broken rule
                self._timed(action, started, answered=False, detail=f"{action} {payload.get('tx_id', '')}")
            raise
        finally:  # sent, answered or not
            with self.report.lock:
                self.report.callbacks[action] += 1
        if isinstance(answer, dict) and "txID" in answer:  # Swipe's answer, read as Playhub's
            answer = {**answer, "tx_id": answer["txID"]}
        if timeout is None:  # Playhub's own timeout: not a bet whose answer is abandoned on purpose
            self._timed(action, started, answered=True)
        if self.transcript:
            amount = f" {payload['amount']}" if "amount" in payload else ""
            self._say(f"  {action}{amount} -> {status} {answer.get('balance', answer.get('message', ''))}")
        return status, answer

    def _timed(self, action: str, started: float, *, answered: bool, detail: str = "") -> None:
        """Every callback sent with Playhub's timeout: its latency (when it timed out, the wait), and
        whether it was answered in time. Playhub refunds a bet it waited for in vain."""
        elapsed_ms = (time.perf_counter() - started) * 1000
        with self.report.lock:
            self.report.samples[action].append((started - self.report.clock, elapsed_ms))
            if not answered:
                self.report.timeouts[action] += 1
        self.report.check(ANSWERED_IN_TIME, answered, f"{detail}: no answer in {self.timeout:g} s")

    def path(self, action: str) -> str:
        return "/callback" if self.one_url else f"/{action}"

    def send_until_ok(self, payload: dict[str, str], rule: str, attempts: int = 20) -> tuple[int, Any]:
        """Wins and refunds are retried by Playhub until they get a 200."""
        status: int = 0
        answer: Any = {}
        for _ in range(attempts):
            try:
                status, answer = self.send(payload)
            except TimeoutError:
                continue
            if status == 200:
                self.report.check(rule, True)
                return status, answer
            time.sleep(0.05)
        self.report.check(rule, False, f"no 200 after {attempts} tries: {payload['action']} {payload['tx_id']}")
        return status, answer

    def duplicate(self, payload: dict[str, str], first: Any) -> None:
        status, again = self.send(payload)
        self.report.check(
            "duplicate answered with the same tx_id",
            status == 200 and again["tx_id"] == first["tx_id"],
            f"{payload['action']} {payload['tx_id']}: {status} {again}",
        )

    # Rounds -----------------------------------------------------------------------------

    def play(self, session_id: str, rng: random.Random) -> None:
        scenario = rng.choices(
            ["round", "free", "lost_bet", "refund_first", "too_big", "balance"], weights=[55, 10, 10, 10, 5, 10]
        )[0]
        self._round_lines.lines = [f"{scenario}:"]
        with self.report.lock:
            self.report.scenarios[scenario] += 1
        try:
            getattr(self, f"_{scenario}")(session_id, rng)
        except TimeoutError:
            self._say("  (no answer in time: the round ends here)")  # send() counted it against the 5 s rule
        finally:
            lines, self._round_lines.lines = self._round_lines.lines, None
            if self.transcript:  # a round's lines together: workers' rounds never interleave
                with self._out_lock:
                    self.out("\n".join(lines))

    def _say(self, line: str) -> None:
        lines = getattr(self._round_lines, "lines", None)
        if lines is None:  # outside a round (set-up, the last balance)
            with self._out_lock:
                self.out(line)
        else:
            lines.append(line)

    def _round(self, session_id: str, rng: random.Random) -> None:
        stake = Decimal(rng.randint(10, 2000)) * CENT
        bet = _payload("bet", session_id, stake)
        try:
            status, answer = self.send(bet)
        except TimeoutError:
            status, answer = 0, {}
        if status in (0, 500):  # Playhub refunds a bet answered 500 or not answered in time
            self._refund(session_id, bet)
            return
        if status != 200:
            self.report.check(
                "bet within the balance accepted", answer.get("message") == "insufficient funds", f"{status} {answer}"
            )
            return
        self.report.check("bet within the balance accepted", True)
        self.report.add_money(-stake)
        if rng.random() < 0.3:
            self.duplicate(bet, answer)
        payout = Decimal(0) if rng.random() < 0.4 else Decimal(rng.randint(0, 3000)) * CENT
        win = _payload("win", session_id, payout, round_id=bet["round_id"])
        status, won = self.send_until_ok(win, "win accepted")
        if status == 200:
            self.report.add_money(payout)
            if rng.random() < 0.3:
                self.duplicate(win, won)

    def _free(self, session_id: str, rng: random.Random) -> None:
        frc_id = str(uuid.uuid4())
        bet = _payload("bet", session_id, Decimal("1.00"), type="free", frc_id=frc_id)
        status, answer = self.send(bet)
        self.report.check("free bet accepted without money", status == 200, f"{status} {answer}")
        win = _payload("win", session_id, Decimal("2.50"), type="free", frc_id=frc_id, round_id=bet["round_id"])
        self.send_until_ok(win, "free win accepted")
        if rng.random() < 0.5:
            payout = Decimal(rng.randint(1, 500)) * CENT
            status, _ = self.send_until_ok(_payload("win", session_id, payout, frc_id=frc_id), "payout accepted")
            if status == 200:
                self.report.add_money(payout)

    def _lost_bet(self, session_id: str, rng: random.Random) -> None:
        """The bet's answer never arrives (it may or may not land): Playhub refunds it."""
        bet = _payload("bet", session_id, Decimal(rng.randint(10, 500)) * CENT)
        with contextlib.suppress(TimeoutError):
            self.send(bet, timeout=0.001)
        self._refund(session_id, bet)

    def _refund(self, session_id: str, bet: dict[str, str]) -> None:
        refund = refund_payload(session_id, bet["tx_id"])
        if session_id.startswith(SWIPE_SESSION_PREFIX):  # Swipe states the whole stake, and its round
            refund |= {"amount": bet["amount"], "round_id": bet["round_id"]}
        status, answer = self.send_until_ok(refund, "refund accepted")
        if status == 200:
            self.duplicate(refund, answer)

    def _refund_first(self, session_id: str, rng: random.Random) -> None:
        bet = _payload("bet", session_id, Decimal(rng.randint(10, 500)) * CENT)
        self._refund(session_id, bet)
        status, answer = self.send(bet)
        self.report.check("bet after its refund refused", status == 400, f"{status} {answer}")

    def _too_big(self, session_id: str, rng: random.Random) -> None:
        status, answer = self.send(_payload("bet", session_id, Decimal("999999999.00")))
        self.report.check(
            "bet over the balance refused",
            (status, answer.get("message")) == (400, "insufficient funds"),
            f"{status} {answer}",
        )

    def _balance(self, session_id: str, rng: random.Random) -> None:
        status, answer = self.send({"action": "balance", "session_id": session_id})
        self.report.check("balance answered", status == 200 and "balance" in answer, f"{status} {answer}")

    def check_signatures(self, session_id: str) -> None:
        if session_id.startswith(SWIPE_SESSION_PREFIX):
            method, path, _, _ = swipe_request({"action": "balance", "session_id": session_id}, self.swipe_key)
            status, _ = self.transport.call(method, path, b"", {SIGNATURE_HEADER: "0" * 64}, 5)
            self.report.check("wrong signature refused with 401", status == 401, f"swipe: {status}")
            return
        body = canonical_json({"action": "balance", "session_id": session_id})
        status, _ = self.transport.call(
            "POST", self.path("balance"), body, {SIGNATURE_HEADER: sign("not-the-key", body)}, 5
        )
        self.report.check("wrong signature refused with 401", status == 401, str(status))
        if self.one_url:
            body = canonical_json({"session_id": session_id})
            status, answer = self.transport.call("POST", "/callback", body, {SIGNATURE_HEADER: sign(self.key, body)}, 5)
            self.report.check("one URL: no action refused with 400", status == 400, f"{status} {answer}")

    def run(
        self,
        rounds: int,
        concurrency: int,
        *,
        player_id: str | None = None,
        currency: str = "EUR",
        funding: Decimal = Decimal("10000.00"),
        progress: Callable[[int], None] | None = None,
    ) -> Report:
        self.report.run = RunInfo(
            target=getattr(self.transport, "base_url", type(self.transport).__name__),
            one_url=self.one_url,
            dialect=self.dialect,
            rounds=rounds,
            concurrency=concurrency,
            seed=self.seed,
            currency=currency,
            started_at=datetime.now(UTC),
        )
        self.report.clock = time.perf_counter()
        player_id = player_id or f"sim-{uuid.uuid4().hex[:10]}"
        if self.dialect == "mixed" and concurrency < 2:
            raise RuntimeError("--dialect mixed needs --concurrency 2 or more: the workers alternate providers")
        sessions = self.open_sessions(player_id, currency, concurrency, funding)
        for session_id in sessions[:2] if self.dialect == "mixed" else sessions[:1]:
            status, answer = self.send({"action": "balance", "session_id": session_id})
            if status != 200:
                which = "--swipe-key Swipe's" if session_id.startswith(SWIPE_SESSION_PREFIX) else "--key its"
                raise SystemExit(f"the stack refused a balance callback ({status} {answer}): is {which} callback key?")
            self.check_signatures(session_id)
        done = 0
        done_lock = threading.Lock()

        def worker(index: int) -> None:
            nonlocal done
            rng = random.Random(self.seed * 1000 + index)  # noqa: S311 - a repeatable game, not a secret
            share = rounds // concurrency + (1 if index < rounds % concurrency else 0)
            for _ in range(share):
                self.play(sessions[index], rng)
                with done_lock:
                    done += 1
                    if progress:
                        progress(done)

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            for outcome in [pool.submit(worker, index) for index in range(concurrency)]:
                outcome.result()
        status, answer = self.send({"action": "balance", "session_id": sessions[0]})
        self.report.reported_balance = Decimal(answer["balance"]) if status == 200 else None
        self.report.run.duration_s = time.perf_counter() - self.report.clock
        return self.report


def _payload(
    action: str,
    session_id: str,
    amount: Decimal,
    *,
    type: str | None = None,
    frc_id: str | None = None,
    round_id: str | None = None,
) -> dict[str, str]:
    return round_payload(action, session_id, f"{amount:.2f}", type=type, round_id=round_id, frc_id=frc_id)


def swipe_request(payload: dict[str, str], key: str) -> tuple[str, str, bytes, dict[str, str]]:
    """A Playhub-shaped callback as Swipe Games sends it (SWIPE.md §5): method, path, body, headers."""
    action, session_id = payload["action"], payload["session_id"]
    if action == "balance":
        signature = swipe_signing.query_signature(key, {"sessionID": session_id})
        return "GET", f"/swipe/balance?{urlencode({'sessionID': session_id})}", b"", {SIGNATURE_HEADER: signature}
    # Swipe's bodies as swipe_requests writes them, with this callback's own ids.
    if action == "refund":
        body = swipe_requests.refund_payload(
            session_id, payload["orig_tx_id"], payload["amount"], round_id=payload["round_id"]
        )
    else:
        swipe_type = "free" if payload["type"] == "free" else "regular"
        fr_id = payload.get("frc_id")  # our campaign's id, as Swipe sends it back
        body = swipe_requests.round_payload(
            session_id, payload["amount"], type=swipe_type, round_id=payload["round_id"], fr_id=fr_id
        )
    body["txID"] = payload["tx_id"]
    raw, signature = swipe_signing.signed_body(key, body)
    return "POST", f"/swipe/{action}", raw, {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}


def _progress_bar(total: int, stream: Any = None) -> Callable[[int], None]:
    """A bar redrawn in place on a terminal; elsewhere (a CI log, a file) a line every 5 s."""
    stream = stream or sys.stderr
    started = time.monotonic()
    last_drawn = [0.0]
    terminal = stream.isatty()

    def show(done: int) -> None:
        now = time.monotonic()
        if now - last_drawn[0] < (0.2 if terminal else 5.0) and done != total:
            return
        last_drawn[0] = now
        rate = done / max(now - started, 1e-9)
        if not terminal:
            stream.write(f"{done}/{total} rounds, {rate:.0f}/s\n")
            stream.flush()
            return
        width = 30
        filled = width * done // total
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} rounds, {rate:.0f}/s")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:3000", help="the stack: callbacks and operator routes")
    parser.add_argument("--key", default=SAMPLE_CALLBACK_KEY, help="the Callback Token Key to sign with")
    parser.add_argument(
        "--dialect", choices=DIALECTS, default="playhub", help="whose callbacks: mixed alternates workers, one wallet"
    )
    parser.add_argument("--swipe-key", default=SAMPLE_SWIPE_CALLBACK_KEY, help="Swipe's Integration API key")
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--currency", default="EUR")
    parser.add_argument("--iam", action="store_true", help="sign operator requests with SigV4 (deployed stacks)")
    parser.add_argument("--single-url", action="store_true", help="send every callback to POST /callback")
    parser.add_argument("--report", metavar="PATH", help="write the report as one self-contained HTML file")
    parser.add_argument("--json", metavar="PATH", help="write the report as JSON ('-': to stdout)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    outputs = [path for path in (args.report, args.json) if path and path != "-"]
    problem = next((f"{path}: {why}" for path in outputs if (why := _unwritable(path))), None)
    if problem is None and len({Path(path).resolve() for path in outputs}) < len(outputs):
        problem = "--report and --json name the same file"
    if problem:  # found now, not after the whole run
        print(f"error: cannot write the report to {problem}", file=sys.stderr)
        return 2
    say: Callable[[str], None] = print
    if args.json == "-":  # stdout is the JSON's alone
        say = _to_stderr
    signer = None
    if args.iam:
        from playhub_ops.client import OperatorClient  # noqa: PLC0415 - only for deployed stacks

        client = OperatorClient(args.url, iam=True)
        signer = client.sign
    transcript = args.rounds <= 20
    simulator = Simulator(
        HttpTransport(args.url, signer),
        args.key,
        seed=args.seed,
        transcript=transcript,
        one_url=args.single_url,
        out=say,
        dialect=args.dialect,
        swipe_key=args.swipe_key,
    )
    try:
        report = simulator.run(
            args.rounds,
            args.concurrency,
            currency=args.currency,
            progress=None if transcript else _progress_bar(args.rounds),
        )
    except requests.ConnectionError:
        local = args.url.startswith(("http://127.0.0.1", "http://localhost"))
        hint = ": start it with `make run` in another terminal" if local else ""
        print(f"error: nothing answers at {args.url}{hint}", file=sys.stderr)
        return 2
    except RuntimeError as error:  # the stack refused the set-up (launch, deposit)
        print(f"error: {error}", file=sys.stderr)
        return 2
    say(report.summary())
    try:
        if args.report:
            Path(args.report).write_text(to_html(report), encoding="utf-8")
        if args.json == "-":
            sys.stdout.write(json_text(report))
        elif args.json:
            Path(args.json).write_text(json_text(report), encoding="utf-8")
    except OSError as error:
        print(f"error: cannot write the report: {error}", file=sys.stderr)
        return 2
    if outputs:
        say("report written to " + " and ".join(str(Path(path).resolve()) for path in outputs))
    return 0 if report.ok else 1


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)


def _unwritable(path: str) -> str | None:
    """Why a report cannot be written to path (None if it can), tried before the run: the file is
    opened for appending, and removed again if it was not there."""
    target = Path(path)
    if target.is_dir():
        return "it is a directory"
    existed = target.exists()
    try:
        with target.open("a", encoding="utf-8"):
            pass
    except OSError as error:
        return error.strerror or str(error)
    if not existed:
        target.unlink()
    return None


if __name__ == "__main__":
    sys.exit(main())
