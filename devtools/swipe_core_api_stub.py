"""A stand-in for Swipe Games' Core API (SWIPE.md §7) on 127.0.0.1, for local runs and tests.

It checks our X-REQUEST-SIGN as Swipe does (swipe_signing: the canonical body of a POST or DELETE,
the canonical query of a GET) and serves the four operations: create-new-game, games (a small
list with bet lines, gzipped when asked), free-rounds create (409 on an extID used before) and
cancel (a DELETE with a JSON body). Its games do not play: `make run` uses it for launches and
campaigns; Swipe's callbacks are tested on their own.
`python -m devtools.swipe_core_api_stub` (port: PORT + 2, so 3002 beside `make run` on 3000).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from playhub_wallet.swipe_signing import SIGNATURE_HEADER, verify_body, verify_query

LOCAL_SWIPE_API_KEY = "local-swipe-api-key"
LOCAL_SWIPE_CID = "00000000-0000-4000-8000-000000000002"
LOCAL_SWIPE_EXTCID = "local-brand"
BASE_PATH = "/api/v1"
IMAGES = {
    "baseURL": "https://example.invalid/swipe/",
    "square": "square.png",
    "horizontal": "horizontal.png",
    "widescreen": "widescreen.png",
    "vertical": "vertical.png",
}
# The docs' example for the catch game type in USD (SWIPE.md §9), and a EUR table of three lines.
CATCH_USD = [("1.00", "5.00"), ("1.10", "5.00"), ("2.00", "5.00"), ("2.50", "5.00"), ("3.00", "5.00"), ("5.00", "5.00")]
EUR_LINES = [("0.50", "10.00"), ("1.00", "10.00"), ("2.00", "20.00")]


def _lines(currency: str, values: list[tuple[str, str]]) -> dict[str, Any]:
    return {"currency": currency, "values": [{"maxBet": bet, "maxCoeff": coeff} for bet, coeff in values]}


GAMES: list[dict[str, Any]] = [
    {
        "id": "sg_catch_97",
        "title": "Catch",
        "locales": ["en", "en_us", "de", "pt_br"],
        "currencies": ["EUR", "USD", "GBP"],
        "platforms": ["desktop", "mobile"],
        "images": IMAGES,
        "hasFreeSpins": True,
        "rtp": 97,
        "betLines": [_lines("USD", CATCH_USD), _lines("EUR", EUR_LINES)],  # none in GBP
    },
    {
        "id": "sg_plinko_96",
        "title": "Plinko",
        "locales": ["en", "es"],
        "currencies": ["EUR", "USD"],
        "platforms": ["desktop"],
        "images": IMAGES,
        "hasFreeSpins": False,
        "rtp": 96,
    },
]


def games(exclude_bet_lines: bool) -> list[dict[str, Any]]:
    """GET /games: with excludeBetLines, no betLines and hasFreeSpins always false (SWIPE.md §7.2)."""
    if not exclude_bet_lines:
        return GAMES
    return [
        {**{name: value for name, value in game.items() if name != "betLines"}, "hasFreeSpins": False} for game in GAMES
    ]


class SwipeCoreApiStub:
    def __init__(
        self,
        api_key: str = LOCAL_SWIPE_API_KEY,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        cid: str = LOCAL_SWIPE_CID,
        ext_cid: str = LOCAL_SWIPE_EXTCID,
    ) -> None:
        self.api_key = api_key
        self.cid = cid
        self.ext_cid = ext_cid
        self.campaigns: dict[str, dict[str, Any]] = {}  # by extID
        self.launches: list[dict[str, Any]] = []
        self._lock = threading.RLock()
        self.server = ThreadingHTTPServer((host, port), self._handler())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{BASE_PATH}"

    def start(self) -> SwipeCoreApiStub:
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> tuple[int, Any]:
        """Swipe's answer to a signed request: (status, JSON body or None for no body)."""
        ids = query if method == "GET" else body
        if ids.get("cID") != self.cid or ids.get("extCID") != self.ext_cid:
            return 401, {"message": "unknown client", "details": "cID and extCID must be ours"}
        with self._lock:
            if (method, path) == ("POST", "/create-new-game"):
                return self._create_new_game(body)
            if (method, path) == ("GET", "/games"):
                return 200, games(query.get("excludeBetLines") == "true")
            if (method, path) == ("POST", "/free-rounds"):
                return self._create_free_rounds(body)
            if (method, path) == ("DELETE", "/free-rounds"):
                return self._cancel_free_rounds(body)
        return 404, {"message": "not found", "details": f"{method} {path}"}

    def _create_new_game(self, body: dict[str, Any]) -> tuple[int, Any]:
        missing = [name for name in ("gameID", "platform", "currency", "locale") if not body.get(name)]
        if missing or not isinstance(body.get("demo"), bool):
            return 400, {"message": "bad request", "details": f"missing {', '.join(missing) or 'demo'}"}
        game = next((game for game in GAMES if game["id"] == body["gameID"]), None)
        if game is None:
            return 400, {"message": "game not found", "code": "game_not_found"}
        if body["currency"] not in game["currencies"]:
            return 400, {"message": "currency not supported", "code": "currency_not_supported"}
        if not body["demo"] and not (body.get("sessionID") and (body.get("user") or {}).get("id")):
            return 400, {"message": "bad request", "details": "a real game needs sessionID and user"}
        gs_id = str(uuid.uuid4())
        self.launches.append({**body, "gsID": gs_id})
        return 200, {"gameURL": f"https://launcher.swipegames.invalid/?gsID={gs_id}", "gsID": gs_id}

    def _create_free_rounds(self, body: dict[str, Any]) -> tuple[int, Any]:
        required = ("extID", "currency", "quantity", "betLine", "validFrom")
        missing = [name for name in required if body.get(name) in (None, "")]
        if missing:
            return 400, {"message": "bad request", "details": f"missing {', '.join(missing)}"}
        if body["extID"] in self.campaigns:
            return 409, {"message": "free rounds already exist", "details": body["extID"]}
        campaign = {**body, "id": str(uuid.uuid4())}
        self.campaigns[body["extID"]] = campaign
        return 200, {"id": campaign["id"], "extID": body["extID"]}

    def _cancel_free_rounds(self, body: dict[str, Any]) -> tuple[int, Any]:
        if bool(body.get("id")) == bool(body.get("extID")):
            return 400, {"message": "bad request", "details": "one of id or extID must be provided"}
        found = self.campaigns.get(body["extID"]) if body.get("extID") else None
        found = found or next((c for c in self.campaigns.values() if c["id"] == body.get("id")), None)
        if found is None or found.get("cancelled"):
            return 404, {"message": "free rounds not found"}
        found["cancelled"] = True
        return 200, None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_DELETE(self) -> None:
                self._serve()

            def _serve(self) -> None:
                url = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                query = dict(parse_qsl(url.query, keep_blank_values=True))
                path = url.path.removeprefix(BASE_PATH)
                signature = self.headers.get(SIGNATURE_HEADER)
                keys = [stub.api_key]
                signed = (
                    verify_query(signature, query, keys) if self.command == "GET" else verify_body(signature, raw, keys)
                )
                status, answer = 401, {"message": "invalid signature", "details": SIGNATURE_HEADER}
                if signed:
                    try:
                        body = json.loads(raw) if raw else {}
                    except ValueError:
                        status, answer = 400, {"message": "bad request", "details": "body is not JSON"}
                    else:
                        status, answer = stub.answer(self.command, path, query, body)
                self._reply(status, answer)

            def _reply(self, status: int, answer: Any) -> None:
                content = b"" if answer is None else json.dumps(answer).encode()
                self.send_response(status)
                if answer is not None:
                    self.send_header("Content-Type", "application/json")
                if content and "gzip" in (self.headers.get("Accept-Encoding") or ""):
                    content = gzip.compress(content)
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")) + 2)
    parser.add_argument("--api-key", default=LOCAL_SWIPE_API_KEY)
    args = parser.parse_args()
    stub = SwipeCoreApiStub(args.api_key, args.port)
    print(f"Swipe Core API stub on {stub.url} (API key {args.api_key}, cID {stub.cid}, extCID {stub.ext_cid})")
    try:
        stub.server.serve_forever()
    except KeyboardInterrupt:
        stub.stop()


if __name__ == "__main__":
    main()
