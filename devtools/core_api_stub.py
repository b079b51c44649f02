"""A stand-in for Playhub's Core API on 127.0.0.1, for local runs and tests.

It checks our X-REQUEST-SIGN exactly as Playhub does and answers launch, games, currencies and
free-rounds calls with plausible data. A launch's game_url opens a small game (devtools/game_page.py:
unsigned, as a browser opens it) that sends the stack signed callbacks as Playhub's servers do,
when the stub knows where to send them and with which key (callback_url, callback_key).
`python -m devtools.core_api_stub` (port: PORT + 1, so 3001 beside `make run` on 3000).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from devtools.callbacks import SAMPLE_CALLBACK_KEY
from devtools.game_page import GamePages, PlayhubCallbacks, Reply
from playhub_wallet.signing import SIGNATURE_HEADER, canonical_json, sign

LOCAL_API_KEY = "local-api-key"
BASE_PATH = "/api/v1"
GAMES: list[dict[str, Any]] = [
    {
        "id": "ph_limbo_97",
        "title": "Limbo",
        "locales": "en,de,es,fr,pt-BR",
        "thumbnail": "https://example.invalid/limbo.png",
        "free_spins": True,
    },
    {
        "id": "ph_dice_97",
        "title": "Dice",
        "locales": "en,de",
        "thumbnail": "https://example.invalid/dice.png",
        "free_spins": True,
    },
    {
        "id": "ph_moneyrocket_97",
        "title": "Money Rocket",
        "locales": "en",
        "thumbnail": "https://example.invalid/rocket.png",
        "free_spins": False,
    },
    {
        "id": "crash",
        "title": "Crash",
        "locales": "en",
        "thumbnail": "https://example.invalid/crash.png",
        "free_spins": False,
    },
]


def _currency(code: str, name: str, symbol: str, places: int, crypto: bool = False) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "symbol": symbol,
        "decimal_places": places,
        "is_crypto": crypto,
        "is_virtual": False,
    }


# Playhub's kinds of currencies: 2 places (most fiat), 0 (yen, won), 3 (dinars) and 8 (coins).
CURRENCIES = [
    _currency("EUR", "Euro", "€", 2),
    _currency("USD", "US Dollar", "$", 2),
    _currency("GBP", "Pound Sterling", "£", 2),
    _currency("JPY", "Yen", "¥", 0),
    _currency("KRW", "Won", "₩", 0),
    _currency("KWD", "Kuwaiti Dinar", "KD", 3),
    _currency("BHD", "Bahraini Dinar", "BD", 3),
    _currency("BTC", "Bitcoin", "₿", 8, crypto=True),
    _currency("ETH", "Ether", "Ξ", 8, crypto=True),
    _currency("LTC", "Litecoin", "Ł", 8, crypto=True),
]


def catalogue_places() -> dict[str, int]:
    """The stub's currencies' decimal places: what local runs and tests know of Playhub's catalogue."""
    return {currency["code"]: currency["decimal_places"] for currency in CURRENCIES}


class CoreApiStub:
    """The Core API; with callback_url and callback_key (the stack's, as the casino gives them to
    Playhub), its game pages play against that stack."""

    def __init__(
        self,
        api_key: str = LOCAL_API_KEY,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        callback_url: str | None = None,
        callback_key: str | None = None,
    ) -> None:
        if (callback_url is None) != (callback_key is None):
            raise ValueError("callback_url and callback_key go together")
        self.api_key = api_key
        self.campaigns: dict[str, dict[str, Any]] = {}  # by Playhub id
        self.launches: list[dict[str, Any]] = []
        callbacks = PlayhubCallbacks(callback_url, callback_key) if callback_url and callback_key else None
        self.games = GamePages(callbacks, {game["id"]: game["title"] for game in GAMES}, catalogue_places())
        self._lock = threading.RLock()
        self.server = ThreadingHTTPServer((host, port), self._handler())  # all interfaces for Docker only

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{BASE_PATH}"

    def start(self) -> CoreApiStub:
        # Polled every 0.05 s for a stop: stop() returns at once, not up to 0.5 s later.
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        with self._lock:
            if (method, path) == ("POST", "/game-create-new"):
                missing = [name for name in ("cid", "gameid", "currency", "locale") if not body.get(name)]
                if missing:
                    return 400, {"message": "bad request", "details": f"missing {', '.join(missing)}"}
                return 200, self.launch(body)
            if (method, path) == ("POST", "/game-round-history"):
                return self._round_history(body)
            if (method, path) == ("GET", "/games"):
                return 200, GAMES
            if (method, path) == ("GET", "/currencies"):
                return 200, CURRENCIES
            if path.startswith("/free-rounds"):
                return self._free_rounds(method, path, query, body)
            return 404, {"message": "not found", "details": f"{method} {path}"}

    def launch(self, body: dict[str, Any]) -> dict[str, str]:
        """Record a launch (the body of POST /game-create-new) and open its game: game_url, game_session_id."""
        game_session_id = str(uuid.uuid4())
        with self._lock:
            self.launches.append({**body, "game_session_id": game_session_id})
            self.games.add(game_session_id, body)
        return {"game_url": f"{self.url}/play/{game_session_id}", "game_session_id": game_session_id}

    def _round_history(self, body: dict[str, Any]) -> tuple[int, Any]:
        """A plausible record of any round of a player who launched here; 404 for anyone else."""
        if "cid" in body:  # GetGameRoundHistoryRequest has no cid: Playhub would not expect one
            return 400, {"message": "bad request", "details": "unknown field cid"}
        missing = [name for name in ("game_id", "round_id", "user_id") if not body.get(name)]
        if missing:
            return 400, {"message": "bad request", "details": f"missing {', '.join(missing)}"}
        launched = [launch for launch in self.launches if (launch.get("user") or {}).get("id") == body["user_id"]]
        if not launched:
            return 404, {"message": "round history not found", "details": body["round_id"]}
        return 200, {
            "round_id": body["round_id"],
            "game_session_id": launched[-1]["game_session_id"],
            "client_hash": uuid.uuid5(uuid.NAMESPACE_OID, body["round_id"]).hex,
            "round_url": f"{self.url}/rounds/{body['round_id']}",
            "bet_amount": "1.00",
            "currency": launched[-1]["currency"],
            "target_multiplier": "2.00",
            "result": "1.37",
            "payout_amount": "0.00",
            "payout_multiplier": "0.00",
            "user_balance": "99.00",
            "user_bonus_balance": "0.00",
            "cash_out_at": "2.00",
        }

    def _free_rounds(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        if (method, path) == ("POST", "/free-rounds"):
            required = ("external_id", "external_cid", "game_id", "currency", "quantity", "bet_line", "valid_from")
            missing = [name for name in required if body.get(name) in (None, "")]
            if missing:
                return 400, {"message": "bad request", "details": f"missing {', '.join(missing)}"}
            if any(c["external_id"] == body.get("external_id") for c in self.campaigns.values()):
                return 409, {"message": "free rounds campaign already exists", "details": body.get("external_id")}
            if datetime.fromisoformat(body["valid_from"].replace("Z", "+00:00")) <= datetime.now(UTC):
                return 400, {"message": "valid_from must be in the future", "details": body["valid_from"]}
            campaign = {**body, "id": str(uuid.uuid4())}
            self.campaigns[campaign["id"]] = campaign
            return 200, {"id": campaign["id"], "external_id": campaign["external_id"]}
        found = self._find(query if method == "GET" else body)
        if found is None:
            return 404, {"message": "free rounds campaign not found", "details": ""}
        if method == "PUT":
            found.update({name: body[name] for name in ("valid_until", "user_ids") if name in body})
        elif path == "/free-rounds/cancel":
            found["deleted_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if method == "GET":
            return 200, found
        return 200, {"id": found["id"], "external_id": found["external_id"]}

    def _find(self, ids: dict[str, Any]) -> dict[str, Any] | None:
        if ids.get("id"):
            return self.campaigns.get(ids["id"])
        external_id = ids.get("external_id") or ids.get("ext_id")
        return next((c for c in self.campaigns.values() if c["external_id"] == external_id), None)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True
            timeout = 60  # a browser's idle keep-alive connection frees its thread

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_PUT(self) -> None:
                self._serve()

            def _serve(self) -> None:
                url = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                query = dict(parse_qsl(url.query))
                path = url.path.removeprefix(BASE_PATH)
                content_type = self.headers.get("Content-Type") or ""
                page = stub.games.serve(self.command, path, raw, content_type)  # a browser's game: unsigned
                self._reply(page or self._core_api(path, query, raw))

            def _core_api(self, path: str, query: dict[str, str], raw: bytes) -> Reply:
                signed = canonical_json(query) if self.command == "GET" else raw
                status, answer = 401, {"message": "wrong signature", "details": "X-REQUEST-SIGN"}
                if self.headers.get(SIGNATURE_HEADER) == sign(stub.api_key, signed):
                    try:
                        body = json.loads(raw) if raw else {}
                    except ValueError:
                        status, answer = 400, {"message": "bad request", "details": "body is not JSON"}
                    else:
                        status, answer = stub.answer(self.command, path, query, body)
                return Reply(status, "application/json", json.dumps(answer).encode())

            def _reply(self, reply: Reply) -> None:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                for name, value in reply.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")) + 1)
    parser.add_argument("--api-key", default=LOCAL_API_KEY)
    parser.add_argument(
        "--callback-url",
        help="where game pages send callbacks: the stack's base URL (its /balance, /bet, /win, /refund) or its"
        " /callback; without it, games cannot play",
    )
    parser.add_argument("--callback-key", default=SAMPLE_CALLBACK_KEY, help="the key game pages sign callbacks with")
    args = parser.parse_args()
    callback_key = args.callback_key if args.callback_url else None
    stub = CoreApiStub(args.api_key, args.port, callback_url=args.callback_url, callback_key=callback_key)
    print(f"Playhub Core API stub on {stub.url} (API key {args.api_key})", flush=True)
    if args.callback_url:
        print(f"game pages ({stub.url}/play/<game_session_id>) send callbacks to {args.callback_url}", flush=True)
    try:
        stub.server.serve_forever()
    except KeyboardInterrupt:
        stub.stop()


if __name__ == "__main__":
    main()
