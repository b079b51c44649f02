"""The game behind the Core API stub's game_url: a page a browser opens, and Playhub's servers behind it.

On Playhub, the player's browser plays the game and Playhub's *servers* send us the signed
callbacks. Here the Core API stub does both: GET /play/<game_session_id> serves a small page
(self-contained: inline CSS and JS), and its buttons ask the stub (POST /play/<id>/<move>) to
make the move; the stub builds the callbacks a game would send, signs them with the callback key
(which never reaches the browser) and POSTs them to the stack, then answers the page with the
balance, every callback it sent and what came back.

Moves: `balance`; `bet` (a new round, the stake); `win` (the round's payout, 0 for a lost round:
Playhub ends every round with a win); `lost-bet` (a bet whose answer is thrown away, as if it
timed out, then the refund Playhub sends for it). A bet answered 500 or not at all is refunded
at once too, as Playhub does.
"""

from __future__ import annotations

import html
import http.client
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from playhub_wallet.playhub_requests import refund_payload, round_payload, signed_body
from playhub_wallet.signing import SIGNATURE_HEADER

PLAYHUB_TIMEOUT_SECONDS = 5.0  # Playhub gives up on a callback after 5 s
SEND_TIMEOUT_SECONDS = 30.0  # the stub waits longer (API Gateway's own limit is 29 s), and says so
MOVES = ("balance", "bet", "win", "lost-bet")
_PLAY_PATH = re.compile(r"^/play/(?P<game>[^/]+)(?:/(?P<move>[^/]+))?$")
# The page loads nothing from anywhere and posts only to the stub.
_PAGE_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def _json_reply(status: int, answer: Any) -> Reply:
    return Reply(status, "application/json", json.dumps(answer).encode())


def _error(status: int, message: str, details: str) -> Reply:
    return _json_reply(status, {"message": message, "details": details})


@dataclass(frozen=True)
class Sent:
    """One callback as Playhub sent it, and what came back (status None: no answer)."""

    url: str
    body: dict[str, str]
    signature: str
    status: int | None
    answer: Any  # the stack's JSON, or its text if it was not JSON
    ms: float
    note: str = ""

    @property
    def balance(self) -> str | None:
        if self.status == 200 and isinstance(self.answer, dict) and isinstance(self.answer.get("balance"), str):
            return str(self.answer["balance"])
        return None

    def error(self) -> dict[str, Any]:
        """What went wrong, as {status, message, details} (the stack's error body when it sent one)."""
        if self.status is None:
            return {"status": None, "message": "no answer", "details": self.note}
        if isinstance(self.answer, dict) and "message" in self.answer:
            return {"status": self.status, "message": self.answer["message"], "details": self.answer.get("details", "")}
        return {"status": self.status, "message": f"HTTP {self.status}", "details": str(self.answer)[:500]}

    def shown(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "body": self.body,
            "signature": self.signature,
            "status": self.status,
            "answer": self.answer,
            "ms": round(self.ms, 1),
            "note": self.note,
        }


class PlayhubCallbacks:
    """Playhub's servers: callbacks built and signed as Playhub signs them, POSTed to the stack.

    `url` is where the casino told Playhub to send them: the stack's base URL (each callback to its
    documented path, /balance, /bet, /win, /refund: Playhub's default) or a URL ending in /callback
    (Playhub's option of one URL for all four).
    """

    def __init__(self, url: str, key: str, timeout: float = SEND_TIMEOUT_SECONDS) -> None:
        self.url = url.rstrip("/")
        self._key = key
        self.timeout = timeout

    @property
    def one_url(self) -> bool:
        return self.url.endswith("/callback")

    def url_for(self, action: str) -> str:
        return self.url if self.one_url else f"{self.url}/{action}"

    def send(self, payload: dict[str, str], note: str = "") -> Sent:
        body, signature = signed_body(payload, self._key)
        url = self.url_for(payload["action"])
        request = urllib.request.Request(  # noqa: S310 - the URL the stub was started with
            url,
            data=body.encode(),
            headers={SIGNATURE_HEADER: signature, "Content-Type": "application/json", "User-Agent": "Playhub"},
            method="POST",
        )
        started = time.perf_counter()
        status: int | None
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        except (OSError, http.client.HTTPException) as error:  # refused, reset, timed out: no answer
            reason = getattr(error, "reason", error)
            elapsed = (time.perf_counter() - started) * 1000
            return Sent(url, payload, signature, None, None, elapsed, _joined(note, f"no answer from {url}: {reason}"))
        elapsed = (time.perf_counter() - started) * 1000
        try:
            answer: Any = json.loads(raw)
        except ValueError:
            answer = raw.decode("utf-8", errors="replace")
        if elapsed > PLAYHUB_TIMEOUT_SECONDS * 1000:
            note = _joined(note, f"slower than Playhub's {PLAYHUB_TIMEOUT_SECONDS:.0f} s: Playhub would have given up")
        return Sent(url, payload, signature, status, answer, elapsed, note)


def _joined(*notes: str) -> str:
    return "; ".join(note for note in notes if note)


@dataclass
class Game:
    """One launched game: whose, in what currency, and the round in play."""

    game_session_id: str
    game_id: str
    currency: str
    player_id: str | None
    session_id: str | None  # ours; None for a demo game (Playhub's money: no callbacks)
    open_round: str | None = None  # the round of the last bet, until its win ends it
    pending_win: dict[str, str] | None = None  # a win not yet answered 200: Playhub resends it as it was
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one move at a time


@dataclass
class Outcome:
    """What a move came to, for the page."""

    callbacks: list[Sent] = field(default_factory=list)
    balance: str | None = None
    error: dict[str, Any] | None = None

    def add(self, sent: Sent, *, seen: bool = True) -> Sent:
        """Record a callback: its balance is the one to show, or its failure the error; an answer
        Playhub never saw (seen=False) is neither."""
        self.callbacks.append(sent)
        if not seen:
            return sent
        if sent.balance is not None:
            self.balance = sent.balance
        elif self.error is None:
            self.error = sent.error()
        return sent


class GamePages:
    """The games launched at the stub, their pages, and their moves."""

    def __init__(
        self, callbacks: PlayhubCallbacks | None, titles: Mapping[str, str], places: Mapping[str, int]
    ) -> None:
        self.callbacks = callbacks  # None: the stub was started without a stack to call
        self._titles = titles
        self._places = places
        self._games: dict[str, Game] = {}
        self._lock = threading.Lock()

    def add(self, game_session_id: str, launch: Mapping[str, Any]) -> None:
        """A launch (the body of POST /game-create-new) that the stub answered with this game session."""
        user = launch.get("user") or {}
        game = Game(game_session_id, launch["gameid"], launch["currency"], user.get("id"), launch.get("sessionid"))
        with self._lock:
            self._games[game_session_id] = game

    def game(self, game_session_id: str) -> Game | None:
        with self._lock:
            return self._games.get(game_session_id)

    def serve(self, method: str, path: str, raw: bytes, content_type: str = "") -> Reply | None:
        """The answer to a request under /play/, unsigned (a browser asks); None for any other path.
        A move must say it is JSON: a browser sends that only from the page itself (another site's
        form cannot, without a CORS preflight this stub never grants), so no other page can bet."""
        found = _PLAY_PATH.match(path)
        if found is None:
            return None
        game = self.game(found["game"])
        move = found["move"]
        if move is None:
            if method != "GET":
                return _error(405, "method not allowed", f"{method} {path}")
            if game is None:
                return _html(404, _not_found_page(found["game"]))
            return _html(200, self._page(game))
        if method != "POST" or move not in MOVES:
            return _error(404, "not found", f"{method} {path}")
        if game is None:
            return _error(404, "game session not found", found["game"])
        if content_type.split(";", 1)[0].strip().lower() != "application/json":
            return _error(415, "unsupported media type", "a move is JSON: Content-Type: application/json")
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return _error(400, "bad request", "body is not JSON")
        if not isinstance(body, dict):
            return _error(400, "bad request", "body is not a JSON object")
        return self.play(game, move, body)

    def play(self, game: Game, move: str, body: Mapping[str, Any]) -> Reply:
        if self.callbacks is None:
            return _error(503, "no stack to call", _NO_STACK)
        if game.session_id is None:
            return _error(409, "demo game", "a demo game plays on Playhub's money and sends no callbacks")
        amount = body["amount"].strip() if isinstance(body.get("amount"), str) else ""
        if move != "balance" and not amount:  # sent as typed: the stack judges it, as it would Playhub's
            return _error(400, "bad request", 'amount: a decimal string such as "1.00"')
        with game.lock:
            if move == "win" and game.open_round is None:
                return _error(409, "no round in play", "bet first: a win pays out the round of a bet")
            if move in ("bet", "lost-bet") and game.open_round is not None:
                return _error(409, "round in play", "win first (0 for a lost round): each round ends with a win")
            outcome = self._move(self.callbacks, game, move, amount)
            return _json_reply(
                200,
                {
                    "balance": outcome.balance,
                    "currency": game.currency,
                    "round_open": game.open_round is not None,
                    "error": outcome.error,
                    "callbacks": [sent.shown() for sent in outcome.callbacks],
                },
            )

    def _move(self, callbacks: PlayhubCallbacks, game: Game, move: str, amount: str) -> Outcome:
        assert game.session_id is not None
        outcome = Outcome()
        session_id = game.session_id
        if move == "balance":
            outcome.add(callbacks.send({"action": "balance", "session_id": session_id}))
        elif move == "bet":
            bet = round_payload("bet", session_id, amount)
            placed = outcome.add(callbacks.send(bet))
            if placed.status == 200:  # even after 5 s (noted on the page): a local cold start is no outage
                game.open_round = bet["round_id"]
            elif placed.status in (None, 500):
                note = "Playhub refunds a bet answered 500 or not answered in time"
                outcome.add(callbacks.send(refund_payload(session_id, bet["tx_id"]), note))
        elif move == "win":
            assert game.open_round is not None
            # A win that got no 200 is sent again unchanged (its tx_id too), as Playhub retries it:
            # if the first one landed, the ledger answers it again and pays nothing twice.
            win = game.pending_win or round_payload("win", session_id, amount, round_id=game.open_round)
            again = "Playhub's retry of a win that got no 200, sent as it was" if game.pending_win else ""
            game.pending_win = win
            won = outcome.add(callbacks.send(win, again))
            if won.status == 200:
                game.open_round = game.pending_win = None  # the round is over
        else:  # lost-bet
            bet = round_payload("bet", session_id, amount)
            lost = "answer thrown away: as if it never reached Playhub (a timeout)"
            outcome.add(callbacks.send(bet, lost), seen=False)
            note = "Playhub refunds a bet it got no answer for"
            outcome.add(callbacks.send(refund_payload(session_id, bet["tx_id"]), note))
        return outcome

    def _page(self, game: Game) -> str:
        places = self._places.get(game.currency, 2)
        notice = ""
        if self.callbacks is None:
            notice = f"<p class=notice id=notice>{html.escape(_NO_STACK)}</p>"
        elif game.session_id is None:
            notice = "<p class=notice id=notice>A demo game: it plays on Playhub's money and sends no callbacks.</p>"
        target = "nowhere (no stack to call)"
        if self.callbacks is not None:
            paths = "" if self.callbacks.one_url else "/{balance,bet,win,refund}"
            target = self.callbacks.url + paths
        return _fill(
            _PAGE,
            title=self._titles.get(game.game_id, game.game_id),
            game_id=game.game_id,
            player_id=game.player_id or "(demo)",
            currency=game.currency,
            session_id=game.session_id or "(none: demo)",
            game_session_id=game.game_session_id,
            callback_url=target,
            stake=f"{Decimal(1):.{places}f}",
            payout=f"{Decimal(2):.{places}f}",
            playable="true" if self.callbacks is not None and game.session_id is not None else "false",
            notice=notice,
        )


_NO_STACK = (
    "This Core API stub was started without a stack to call, so the game cannot play: `make run` starts "
    "one that can, or start it with --callback-url (and --callback-key)."
)


def _html(status: int, page: str) -> Reply:
    headers = (("Content-Security-Policy", _PAGE_POLICY), ("Cache-Control", "no-store"))
    return Reply(status, "text/html; charset=utf-8", page.encode(), headers)


def _fill(template: str, **values: str) -> str:
    """The template with each {{name}} replaced: escaped, except `notice` (HTML of our own)."""
    for name, value in values.items():
        marker = "{{" + name + "}}"
        assert marker in template, marker
        template = template.replace(marker, value if name == "notice" else html.escape(value))
    assert "{{" not in template, "a placeholder was not filled"
    return template


def _not_found_page(game_session_id: str) -> str:
    return _fill(
        _NOT_FOUND_PAGE,
        game_session_id=game_session_id,
    )


_NOT_FOUND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>No such game</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:640px;margin:40px auto;padding:0 16px}</style></head>
<body><h1>No such game</h1>
<p>The Core API stub has no game session <code>{{game_session_id}}</code>. Launch a game through the
operator API (<code>POST /games/launch</code>, or <code>python -m playhub_ops launch</code>) and open the
<code>game_url</code> it answers. The stub keeps its games in memory: a restart of <code>make run</code>
forgets them.</p></body></html>
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{title}}: local game</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:0;background:#0f1720;color:#e6edf3}
main{max-width:880px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 6px}
h2{font-size:16px;margin:28px 0 6px}
.facts{color:#9fb0c0;font-size:13px;margin:0}
code{color:#cfe3f7;font-size:12px}
.wallet{display:flex;align-items:baseline;gap:10px;margin:18px 0}
#balance{font-size:44px;font-weight:700;font-variant-numeric:tabular-nums}
.controls{display:grid;grid-template-columns:repeat(auto-fit,minmax(250px,1fr));gap:12px}
.control{background:#16212c;border:1px solid #253445;border-radius:8px;padding:12px}
label{display:block;font-size:13px;color:#9fb0c0;margin-bottom:6px}
input{width:8em;font:inherit;padding:6px;border-radius:4px;border:1px solid #33475b;background:#0f1720;color:inherit}
button{font:inherit;padding:7px 14px;margin:4px 4px 0 0;border-radius:6px;border:0;background:#2f81f7;color:#fff;
cursor:pointer}
button:disabled{background:#33475b;color:#8b9bab;cursor:default}
.notice{background:#3d2e00;border:1px solid #9e6a03;padding:10px;border-radius:6px}
#error{background:#3c1618;border:1px solid #f85149;padding:10px;border-radius:6px;margin:0 0 12px}
#log{list-style:none;padding:0}
#log>li{border-top:1px solid #253445;padding:8px 0}
.callback{margin:6px 0 0}
.ok{color:#3fb950}.bad{color:#f85149}.note{color:#d29922}
pre{background:#0b1118;padding:8px;overflow:auto;font-size:12px;margin:4px 0;white-space:pre-wrap;word-break:break-all}
</style>
</head>
<body data-state="loading" data-playable="{{playable}}">
<main>
<h1>{{title}} <span class="facts">({{game_id}}), a stand-in game served by the local Core API stub</span></h1>
<p class="facts">player <code>{{player_id}}</code>, session <code>{{session_id}}</code>,
Playhub game session <code>{{game_session_id}}</code></p>
<p class="facts">Each button asks the stub to send the signed callbacks Playhub's servers would send to
<code>{{callback_url}}</code>; the callback key stays in the stub. The balance shown is the one the stack
answered.</p>
{{notice}}
<div class="wallet"><span id="balance">&hellip;</span><span id="currency">{{currency}}</span></div>
<div id="error" role="alert" hidden><strong id="error-message"></strong> <span id="error-details"></span></div>
<div class="controls">
<div class="control">
<label for="stake">Stake</label><input id="stake" inputmode="decimal" autocomplete="off" value="{{stake}}">
<br><button id="bet">Bet</button><button id="lost-bet" title="the bet's answer is lost: Playhub refunds it">Lost
answer, then refund</button>
</div>
<div class="control">
<label for="payout">Payout (0 for a lost round)</label><input id="payout" inputmode="decimal" autocomplete="off"
value="{{payout}}">
<br><button id="win">Win</button>
</div>
<div class="control">
<label>Ask the stack again</label><button id="refresh">Balance</button>
</div>
</div>
<h2>Callbacks sent, newest first</h2>
<ul id="log"></ul>
</main>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const playable = document.body.dataset.playable === "true";
let busy = false;
let roundOpen = false;

function render() {
  $("bet").disabled = $("lost-bet").disabled = !playable || busy || roundOpen;
  $("win").disabled = !playable || busy || !roundOpen;
  $("refresh").disabled = !playable || busy;
  document.body.dataset.state = busy ? "busy" : "idle";
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function showError(error) {
  $("error-message").textContent = (error.status ? error.status + " " : "") + error.message;
  $("error-details").textContent = error.details ? "(" + error.details + ")" : "";
  $("error").hidden = false;
}

function log(title, result) {
  const entry = element("li");
  entry.className = "move";
  const outcome = result.error ? "refused: " + result.error.message : "balance " + result.balance;
  entry.append(element("strong", title), element("span", " \\u2192 " + outcome, result.error ? "bad" : "ok"));
  for (const sent of result.callbacks) {
    const block = element("details", undefined, "callback");
    const status = sent.status === null ? "no answer" : String(sent.status);
    const summary = element("summary", "POST " + sent.url + " \\u2192 ");
    summary.append(element("span", status, sent.status === 200 ? "ok" : "bad"), " (" + sent.ms + " ms)");
    block.append(summary);
    if (sent.note) block.append(element("div", sent.note, "note"));
    block.append(element("pre", JSON.stringify(sent.body, null, 1)));
    block.append(element("div", "X-REQUEST-SIGN: " + sent.signature));
    block.append(element("pre", JSON.stringify(sent.answer, null, 1)));
    entry.append(block);
  }
  $("log").prepend(entry);
}

async function play(move, title, amount) {
  busy = true;
  render();
  $("error").hidden = true;
  let result;
  try {
    const response = await fetch(location.pathname + "/" + move, {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify(amount === undefined ? {} : {amount: amount}),
    });
    result = await response.json();
    if (!response.ok) {
      result = {error: {status: response.status, message: result.message, details: result.details}, callbacks: []};
    }
  } catch (error) {
    result = {error: {status: null, message: "the stub did not answer", details: String(error)}, callbacks: []};
  }
  if (result.balance) $("balance").textContent = result.balance;
  if (typeof result.round_open === "boolean") roundOpen = result.round_open;
  if (result.error) showError(result.error);
  log(title, result);
  busy = false;
  render();
}

$("bet").addEventListener("click", () => play("bet", "Bet " + $("stake").value, $("stake").value));
$("lost-bet").addEventListener("click",
  () => play("lost-bet", "Bet " + $("stake").value + ", answer lost, refund", $("stake").value));
$("win").addEventListener("click", () => play("win", "Win " + $("payout").value, $("payout").value));
$("refresh").addEventListener("click", () => play("balance", "Balance"));
render();
if (playable) play("balance", "Balance");
</script>
</body>
</html>
"""
