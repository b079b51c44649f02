"""Serve the stack on 127.0.0.1 without AWS or Docker: `make run` (or python -m devtools.local_gateway).

Routes come from template.yaml, so there is no second route table to drift. Each HTTP request
becomes an API Gateway REST proxy event, and the function behind its route runs it as Lambda
would: from the built artifact (devtools/artifact.py, rebuilt when the code changes), in its own
warm worker processes with its own environment, cold starts and Timeout
(devtools/lambda_runtime.py). The answers are API Gateway's: the function's proxy response, 502
when the function fails, 504 past the 29 s integration timeout, 403 "Missing Authentication Token"
for any other route or method. Storage is DynamoDB Local when Java is present, else moto's server;
DYNAMODB_ENDPOINT points at any other.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import errno
import functools
import json
import os
import re
import shutil
import signal
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import IO, Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3

from devtools import dynamodb_local, local_db, openapi
from devtools.artifact import ArtifactError
from devtools.artifact import ensure as ensure_artifact
from devtools.callbacks import SAMPLE_CALLBACK_KEY, SAMPLE_SWIPE_CALLBACK_KEY, other_sample_events
from devtools.core_api_stub import LOCAL_API_KEY, CoreApiStub
from devtools.lambda_runtime import FunctionPool, Invocation, resolve_environment
from devtools.swipe_core_api_stub import (
    LOCAL_SWIPE_API_KEY,
    LOCAL_SWIPE_CID,
    LOCAL_SWIPE_EXTCID,
    SwipeCoreApiStub,
)
from devtools.template import ROOT, load_template
from playhub_wallet.playhub_requests import api_gateway_event, signed_body
from playhub_wallet.secret_keys import parse_key_list

LOCAL_TABLE = "playhub-wallet-local"
LOCAL_CID = "00000000-0000-4000-8000-000000000001"
DATA_DIR = ROOT / ".cache" / "local-data"
STAGE = "local"
DEFAULT_WORKERS = 4
INTEGRATION_TIMEOUT_SECONDS = 29.0  # API Gateway's limit on a Lambda integration
# The demo wallet: one session id and one funding reference, so a restart finds them again
# (deposits are idempotent on their reference) instead of topping the wallet up.
LOCAL_EXTCID = "local-casino"
DEMO_PLAYER, DEMO_CURRENCY, DEMO_GAME = "demo-player", "EUR", "ph_limbo_97"
DEMO_FUNDING, DEMO_REFERENCE = "100.00", "demo-funding"
# Headers API Gateway does not pass through from a proxy response (it renames them).
_REMAPPED = {"connection", "content-length", "date", "server", "transfer-encoding"}
_PROXY_FIELDS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


class Invoker(Protocol):
    """What a route's function is to the gateway (a FunctionPool; a stand-in in tests)."""

    def invoke(self, event: dict[str, Any]) -> Invocation: ...


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the template: /players/{player_id}/wallets
    function: str
    iam: bool  # guarded by IAM on AWS; not enforced locally

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path) + "$")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path) if method == self.method else None
        return {name: unquote(value) for name, value in found.groupdict().items()} if found else None


def template_routes(template: dict[str, Any] | None = None) -> list[Route]:
    """Every Api event of every function in the template."""
    template = template or load_template()
    routes = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                api = event["Properties"]
                iam = api.get("Auth", {}).get("Authorizer") == "AWS_IAM"
                routes.append(Route(api["Method"].upper(), api["Path"], name, iam))
    return routes


def find_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The template's route for this request; literal paths win over ones with parameters."""
    for route in sorted(routes, key=lambda r: r.path.count("{")):
        parameters = route.match(method, path)
        if parameters is not None:
            return route, parameters
    return None


# API Gateway's answers --------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    note: str = ""  # for the log line: why the answer is not the function's


def gateway_error(status: int, message: str, error_type: str | None = None, note: str = "") -> Answer:
    headers = [("Content-Type", "application/json")]
    if error_type:
        headers.append(("x-amzn-ErrorType", error_type))
    return Answer(status, headers, json.dumps({"message": message}).encode(), note)


def missing_authentication_token() -> Answer:
    """API Gateway REST's answer to a path or method no route has."""
    return gateway_error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")


def internal_server_error(note: str) -> Answer:
    return gateway_error(502, "Internal server error", "InternalServerErrorException", note)


def proxy_response(payload: Any) -> Answer | None:
    """A Lambda proxy integration's response as API Gateway sends it on; None if malformed."""
    if not isinstance(payload, dict) or not set(payload) <= _PROXY_FIELDS:
        return None
    status = payload.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if not isinstance(status, int) or isinstance(status, bool) or not 100 <= status <= 599:
        return None
    body, encoded = payload.get("body"), payload.get("isBase64Encoded")
    if not isinstance(body, str | None) or not isinstance(encoded, bool | None):
        return None
    single, multi = payload.get("headers") or {}, payload.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        return None
    headers: list[tuple[str, str]] = []
    for name, values in [*((name, [value]) for name, value in single.items()), *multi.items()]:
        if not isinstance(values, list) or not all(isinstance(v, str | int | float | bool) for v in values):
            return None
        for value in values:
            text = ("true" if value else "false") if isinstance(value, bool) else str(value)
            headers.append((f"x-amzn-Remapped-{name}" if name.lower() in _REMAPPED else name, text))
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.append(("Content-Type", "application/json"))  # API Gateway's default
    try:
        raw = base64.b64decode(body or "", validate=True) if encoded else (body or "").encode()
    except (binascii.Error, ValueError):
        return None
    return Answer(status, headers, raw)


def gateway_answer(invocation: Invocation | None) -> Answer:
    """What API Gateway answers for a Lambda proxy integration's invoke (None: it gave up waiting)."""
    if invocation is None:
        return gateway_error(504, "Endpoint request timed out", note="integration timeout")
    if invocation.outcome == "ok":
        answer = proxy_response(invocation.payload)
        return answer or internal_server_error("malformed Lambda proxy response")
    error_type = invocation.payload.get("errorType") if isinstance(invocation.payload, dict) else None
    notes = {
        "error": f"function error: {error_type}",
        "timeout": "function timed out: worker killed",
        "crash": f"worker crashed: {error_type}",
    }
    return internal_server_error(notes.get(invocation.outcome, invocation.outcome))


# The HTTP side --------------------------------------------------------------------------


class GatewayServer(ThreadingHTTPServer):
    """One thread per connection; a deep listen backlog, so a burst of clients all get in."""

    daemon_threads = True
    request_queue_size = 1024  # the kernel caps it at net.core.somaxconn
    log: Callable[[str], None] = print

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no reverse DNS lookup of the address
        host, port = self.socket.getsockname()[:2]
        self.server_name, self.server_port = str(host), int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            self.log(f"client {client_address[0]}:{client_address[1]} hung up ({type(error).__name__})")
            return
        self.log(f"error serving {client_address[0]}:{client_address[1]}: {traceback.format_exc().rstrip()}")


def make_request_handler(
    routes: list[Route],
    functions: Mapping[str, Invoker],
    log: Callable[[str], None],
    *,
    integration_timeout: float = INTEGRATION_TIMEOUT_SECONDS,
    pages: Mapping[str, Answer] | None = None,
) -> type[BaseHTTPRequestHandler]:
    """`pages`: GET paths this gateway answers itself, beside the template's routes (the API docs)."""
    own_pages: Mapping[str, Answer] = pages or {}

    class Gateway(BaseHTTPRequestHandler):
        server_version = "playhub-local-gateway"
        protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway offers
        disable_nagle_algorithm = True  # headers and body in separate writes would stall on delayed ACKs
        timeout = 60  # a client that stalls mid-request or idles on keep-alive frees its thread

        def handle(self) -> None:
            try:
                super().handle()
            except (ConnectionError, TimeoutError) as error:  # hung up or stalled: one line, no traceback
                host, port = self.client_address[:2]
                log(f"client {host}:{port} hung up ({type(error).__name__})")

        def handle_one_request(self) -> None:
            """Every method goes to the routes (there are no do_* methods: nothing answers 501)."""
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.requestline, self.request_version, self.command = "", "HTTP/1.1", ""
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self.parse_request():  # it has answered, through send_error
                return
            self._serve()
            self.wfile.flush()

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """A request we cannot even route: JSON as API Gateway's, never an HTML page."""
            if code in (HTTPStatus.REQUEST_URI_TOO_LONG, HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE):
                answer = gateway_error(code, HTTPStatus(code).phrase)
            else:  # a malformed request line or header, an unknown method
                answer = missing_authentication_token()
            with contextlib.suppress(ConnectionError):
                self._reply(answer, close=True)
            line = (self.requestline or "")[:80]
            log(f"{line!r} {answer.status} (malformed request: {message or HTTPStatus(code).phrase})")

        def _serve(self) -> None:
            started = time.monotonic()
            url = urlsplit(self.path)
            raw = self._read_body()
            if raw is None:
                answer = gateway_error(400, "Bad Request", note="unreadable body")
                self._reply(answer, close=True)
                log(f"{self.command} {url.path} {answer.status} ({answer.note})")
                return
            found = find_route(routes, self.command, url.path)
            tx_id, cold = "", False
            if self.command in ("GET", "HEAD") and url.path in own_pages:
                answer = own_pages[url.path]
            elif found is None:
                answer = missing_authentication_token()
            else:
                route, parameters = found
                event = self._event(route, url.path, parameters, url.query, raw)
                invocation = self._invoke(functions[route.function], event)
                answer = gateway_answer(invocation)
                answer.headers.append(("x-amzn-RequestId", event["requestContext"]["requestId"]))
                cold = invocation is not None and invocation.cold
                tx_id = _tx_id(raw)
            try:
                self._reply(answer)
            finally:
                duration_ms = (time.monotonic() - started) * 1000
                notes = "; ".join(note for note in ("cold start" if cold else "", answer.note) if note)
                log(
                    f"{self.command} {url.path} {answer.status} {duration_ms:.1f}ms"
                    + (f" ({notes})" if notes else "")
                    + (f" tx_id={tx_id}" if tx_id else "")
                )

        def _read_body(self) -> bytes | None:
            """The request's body, by Content-Length or chunked; None if it cannot be read."""
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                chunks: list[bytes] = []
                while True:
                    try:
                        size = int(self.rfile.readline(1024).split(b";")[0].strip(), 16)
                    except ValueError:
                        return None
                    if size == 0:
                        while self.rfile.readline(65537).strip():  # trailers, up to the empty line
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                return None
            return self.rfile.read(length) if length > 0 else (b"" if length == 0 else None)

        def _event(
            self, route: Route, path: str, parameters: dict[str, str], query_string: str, raw: bytes
        ) -> dict[str, Any]:
            """The REST API proxy event API Gateway would hand the function."""
            try:
                text, encoded = raw.decode("utf-8"), False
            except UnicodeDecodeError:  # API Gateway hands such a body over base64-encoded
                text, encoded = base64.b64encode(raw).decode(), True
            event = api_gateway_event(path, text, {}, stage=STAGE)
            headers: dict[str, str] = {}
            multi_headers: dict[str, list[str]] = {}
            for name, value in self.headers.items():
                headers[name] = value
                multi_headers.setdefault(name, []).append(value)
            query: dict[str, str] = {}
            multi_query: dict[str, list[str]] = {}
            for name, value in parse_qsl(query_string, keep_blank_values=True):
                query[name] = value
                multi_query.setdefault(name, []).append(value)
            event["headers"], event["multiValueHeaders"] = headers or None, multi_headers or None
            event["resource"] = event["requestContext"]["resourcePath"] = route.path
            event["httpMethod"] = event["requestContext"]["httpMethod"] = self.command
            event["pathParameters"] = parameters or None
            event["queryStringParameters"] = query or None
            event["multiValueQueryStringParameters"] = multi_query or None
            event["body"] = text if raw else None
            event["isBase64Encoded"] = encoded
            identity = event["requestContext"]["identity"]
            identity["sourceIp"], identity["userAgent"] = self.client_address[0], headers.get("User-Agent")
            return event

        def _invoke(self, function: Invoker, event: dict[str, Any]) -> Invocation | None:
            """The function's invocation; None once API Gateway would have stopped waiting."""
            done = threading.Event()
            result: list[Invocation] = []

            def invoke() -> None:
                try:
                    result.append(function.invoke(event))
                except Exception:  # a bug of ours: the client still gets API Gateway's 502
                    log(f"invoke failed: {traceback.format_exc().rstrip()}")
                    result.append(Invocation("crash", {"errorType": "LocalGatewayError"}, False, 0.0, None))
                finally:
                    done.set()

            threading.Thread(target=invoke, name="invoke", daemon=True).start()
            return result[0] if done.wait(integration_timeout) else None

        def _reply(self, answer: Answer, close: bool = False) -> None:
            if self.request_version == "HTTP/0.9":  # always a status line and headers
                self.request_version = "HTTP/1.0"
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            if close:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Gateway


def _tx_id(raw: bytes) -> str:
    try:
        value = json.loads(raw).get("tx_id", "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


# Stopping: Ctrl-C, SIGTERM (also what `make` passes on when it gets one) and SIGHUP ------------


class Stopped(KeyboardInterrupt):
    """A signal asked make run to stop; raised in the main thread, so every `finally` runs."""


class _StopSignals:
    """Turns SIGINT, SIGTERM and SIGHUP into Stopped, once; later ones do not cut the shutdown short.

    While a child process is being started (deferred()), the stop waits until it is registered
    for cleanup, so no signal leaves one behind.
    """

    def __init__(self) -> None:
        self.stopping = False
        self.depth = 0
        self.deferred_signal: int | None = None

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.stopping:
            return
        if self.depth:
            self.deferred_signal = signum
            return
        self.stopping = True
        raise Stopped(signal.Signals(signum).name)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if not self.depth and self.deferred_signal is not None and not self.stopping:
            self.stopping = True
            raise Stopped(signal.Signals(self.deferred_signal).name)


_signals = _StopSignals()


def _drain(stream: IO[bytes] | None) -> None:
    """Keep reading a child's pipe, so it never blocks on a full one."""

    def discard() -> None:
        assert stream is not None
        for _ in stream:
            pass

    if stream is not None:
        threading.Thread(target=discard, daemon=True).start()


@contextlib.contextmanager
def local_storage(fresh: bool, in_memory: bool, log: Callable[[str], None], data_dir: Path = DATA_DIR) -> Iterator[str]:
    """DYNAMODB_ENDPOINT if set; else DynamoDB Local (Java), its data in data_dir; else moto's server."""
    if os.environ.get("DYNAMODB_ENDPOINT"):
        log(f"storage: {os.environ['DYNAMODB_ENDPOINT']} (DYNAMODB_ENDPOINT)")
        yield os.environ["DYNAMODB_ENDPOINT"]
        return
    port = dynamodb_local.free_port()
    if dynamodb_local.java_missing_reason() is None:
        if fresh:
            shutil.rmtree(data_dir, ignore_errors=True)
        if not in_memory:
            data_dir.mkdir(parents=True, exist_ok=True)
        with contextlib.ExitStack() as stack:
            with _signals.deferred():  # a stop during the start still stops the JVM
                process = dynamodb_local.start(port, data_dir=None if in_memory else data_dir)
                stack.callback(dynamodb_local.stop, process)
                _drain(process.stderr)
            kept = "in memory" if in_memory else f"data in {_shown(data_dir)}"
            log(f"storage: DynamoDB Local on http://127.0.0.1:{port}, {kept}")
            yield f"http://127.0.0.1:{port}"
        return
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only without Java

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    log(f"storage: moto server on http://127.0.0.1:{port} (no Java; data is not kept between runs)")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def ensure_table(endpoint: str, table: str) -> None:
    """The ledger table, with this process's credentials (DynamoDB Local keeps a database per key)."""
    local_db.ensure_table(boto3.client("dynamodb", endpoint_url=endpoint, config=local_db.PATIENT), table)


def demo_session_id() -> str:
    """The demo session's id, the same on every run (the format of playhub_wallet.sessions)."""
    from playhub_wallet.sessions import new_session_id  # noqa: PLC0415

    return new_session_id(DEMO_PLAYER, DEMO_CURRENCY, DEMO_GAME).rsplit(".", 1)[0] + ".demo-session"


def demo_session(environment: Mapping[str, str]) -> tuple[str, Decimal]:
    """A session on a funded wallet to try the callbacks with: (its id, the wallet's balance).

    Funded once: a restart finds the session and the deposit (idempotent on its reference), so the
    wallet keeps what was played. Written with the layer's code, in this process: a dev tool, not
    a handler.
    """
    from playhub_wallet.dynamodb.callback_ledger import CallbackLedger  # noqa: PLC0415
    from playhub_wallet.dynamodb.catalogue import CatalogueTable  # noqa: PLC0415
    from playhub_wallet.money import CurrencyTable  # noqa: PLC0415
    from playhub_wallet.rules import deposit  # noqa: PLC0415
    from playhub_wallet.runtime import build_wallet, table_from_environment  # noqa: PLC0415
    from playhub_wallet.settings import Settings  # noqa: PLC0415
    from playhub_wallet.state import Reads, Session, WalletKey  # noqa: PLC0415

    settings = Settings.from_environment(environment)
    table = table_from_environment(settings)
    ledger = CallbackLedger(table)
    currencies = CurrencyTable(settings.currency_decimal_places, source=CatalogueTable(table).currency_places)
    wallet = build_wallet(settings, ledger, currencies)
    session_id, now = demo_session_id(), int(time.time())
    key = WalletKey(DEMO_PLAYER, DEMO_CURRENCY)
    found = ledger.load(Reads(session_id, key, ())).session
    if found is None:
        expires_at = now + settings.session_idle_seconds
        session = Session(session_id, DEMO_PLAYER, DEMO_CURRENCY, DEMO_GAME, "active", now, expires_at)
        ledger.put_session(session, ttl=expires_at + settings.session_retention_days * 86400)
    elif not found.accepts_bets(now):  # idle too long: a new session on the same wallet
        session_id = wallet.open_session(DEMO_PLAYER, DEMO_CURRENCY, DEMO_GAME).session_id
    wallet.transfer(deposit(key, Decimal(DEMO_FUNDING), DEMO_REFERENCE), float("inf"))
    return session_id, ledger.load(Reads(None, key, ())).wallet.balance


def load_catalogue(function: FunctionPool) -> dict[str, Any]:
    """Run the catalogue function once, on the event its schedule sends (events/catalogue.json); its report."""
    answer = function.invoke(other_sample_events()["catalogue"])
    if answer.outcome != "ok":
        raise CatalogueUnavailable(f"the catalogue function failed ({answer.outcome}): {answer.payload}")
    report: dict[str, Any] = answer.payload
    return report


class CatalogueUnavailable(Exception):
    """Playhub's catalogue could not be loaded at start: nothing could be launched."""


def seed_legal_bets(environment: Mapping[str, str]) -> list[str]:
    """Playhub's default legal bets table, where the local table has none yet (a table replaced
    through the operator API stays replaced across restarts). What each scope now holds."""
    from playhub_wallet.dynamodb.legal_bets import LegalBetsTable  # noqa: PLC0415
    from playhub_wallet.legal_bets import default_tables  # noqa: PLC0415
    from playhub_wallet.runtime import table_from_environment  # noqa: PLC0415
    from playhub_wallet.settings import Settings  # noqa: PLC0415

    store = LegalBetsTable(table_from_environment(Settings.from_environment(environment)))
    for table in default_tables():
        if store.legal_bets(table.currency, table.game_id) is None:
            store.put_legal_bets(table)
    return [f"{t.currency} ({t.scope}), {len(t.lines)} lines" for t in store.all_legal_bets()]


def _bind(port: int) -> GatewayServer:
    """The listening socket, first of all: a port in use is one line, before anything starts."""
    try:
        return GatewayServer(("127.0.0.1", port), BaseHTTPRequestHandler)
    except OSError as error:
        reason = "already in use" if error.errno == errno.EADDRINUSE else f"not available ({error.strerror})"
        print(f"error: port {port} is {reason}; stop what holds it, or choose another: PORT=...", file=sys.stderr)
        raise SystemExit(1) from None


def _logger() -> Callable[[str], None]:
    lock = threading.Lock()

    def log(line: str) -> None:
        with lock:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    return log


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--fresh", action="store_true", help="start with an empty local table")
    parser.add_argument("--in-memory", action="store_true", help="keep nothing between runs")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DATA_DIR,
        help=f"where DynamoDB Local keeps the data (default {_shown(DATA_DIR)})",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"at most this many warm workers per function, as Lambda's concurrency (default {DEFAULT_WORKERS})",
    )
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    _signals.install()
    server = _bind(args.port)
    log = server.log = _logger()
    try:
        with contextlib.ExitStack() as stack:
            stack.callback(server.server_close)
            try:
                serve(server, args, stack, log)
            except KeyboardInterrupt:  # Ctrl-C, SIGTERM, SIGHUP
                log("stopping")
            server.server_close()  # no new connections while the rest stops
        log("stopped")
    except (ArtifactError, dynamodb_local.DynamoDBLocalUnavailable, CatalogueUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


def serve(
    server: GatewayServer, args: argparse.Namespace, stack: contextlib.ExitStack, log: Callable[[str], None]
) -> None:
    """Build (if needed), start storage, the Core API stub and the functions; serve until stopped."""
    artifact = ensure_artifact(log)  # the first time, and whenever the code changed: about 20 s
    callback_keys = os.environ.get("CALLBACK_KEYS", SAMPLE_CALLBACK_KEY)
    swipe_callback_keys = os.environ.get("SWIPE_CALLBACK_KEYS", SAMPLE_SWIPE_CALLBACK_KEY)
    api_keys = os.environ.get("API_KEYS", LOCAL_API_KEY)
    swipe_api_keys = os.environ.get("SWIPE_API_KEYS", LOCAL_SWIPE_API_KEY)
    # No AWS account needed: local storage accepts any credentials and region.
    for name, default in (
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
    ):
        os.environ.setdefault(name, default)
    # The stack's LogLevel; at DEBUG the functions' metrics (CloudWatch EMF lines) are shown too.
    log_level = os.environ.get("LOG_LEVEL", "INFO").upper()
    endpoint = stack.enter_context(local_storage(args.fresh, args.in_memory, log, args.data_dir.resolve()))
    # The stub's games call back as Playhub does by default: the four callback paths, the current key.
    callback_url, callback_key = f"http://127.0.0.1:{server.server_port}", parse_key_list(callback_keys)[0]
    core_url, stub = stack.enter_context(
        core_api(api_keys, log, callback_url, callback_key, port=server.server_port + 1)
    )
    swipe_url = stack.enter_context(swipe_core_api(swipe_api_keys, log, port=server.server_port + 2))
    ensure_table(endpoint, LOCAL_TABLE)
    local_values = {
        "TABLE_NAME": LOCAL_TABLE,
        "CALLBACK_KEYS": callback_keys,
        "SWIPE_CALLBACK_KEYS": swipe_callback_keys,
        "DYNAMODB_ENDPOINT": endpoint,
        "PLAYHUB_CORE_URL": core_url,
        "PLAYHUB_CID": os.environ.get("PLAYHUB_CID", LOCAL_CID),
        "PLAYHUB_EXTCID": os.environ.get("PLAYHUB_EXTCID", LOCAL_EXTCID),  # our casino id: campaigns need one
        "API_KEYS": api_keys,
        # Swipe Games beside Playhub: its Core API stub (or SWIPE_CORE_URL), with our brand's ids.
        "SWIPE_CORE_URL": swipe_url,
        "SWIPE_CID": os.environ.get("SWIPE_CID", LOCAL_SWIPE_CID),
        "SWIPE_EXTCID": os.environ.get("SWIPE_EXTCID", LOCAL_SWIPE_EXTCID),
        "SWIPE_API_KEYS": swipe_api_keys,
        "POWERTOOLS_TRACE_DISABLED": "true",  # the stack's defaults: Tracing=Disabled, LogLevel=INFO
        "POWERTOOLS_LOG_LEVEL": log_level,
    }
    # The functions get the credentials and region this process uses: DynamoDB Local keeps a
    # database per access key and region, and a real endpoint wants real credentials.
    region = boto3.session.Session().region_name or "eu-west-1"
    aws = {
        name: os.environ[name]
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
        if os.environ.get(name)
    }
    aws |= {"AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    routes = template_routes()
    pools: dict[str, FunctionPool] = {}
    # The routes' functions, and the catalogue function its schedule runs on AWS (run once, below).
    for function in sorted({route.function for route in routes} | {"CatalogueFunction"}):
        environment = {**aws, **resolve_environment(artifact.functions[function], local_values)}
        pools[function] = FunctionPool(
            artifact, function, environment, max_workers=args.workers, log=log, show_metrics=log_level == "DEBUG"
        )
        stack.callback(pools[function].close)
    base = f"http://127.0.0.1:{server.server_port}"
    server.RequestHandlerClass = make_request_handler(routes, pools, log, pages=docs_pages(base))

    # Playhub's catalogue, loaded by the built catalogue function as its schedule does on AWS:
    # launches, transfers and decimal places are checked against it.
    catalogue = load_catalogue(pools["CatalogueFunction"])
    session_id, balance = demo_session(local_values)
    legal_bets = seed_legal_bets(local_values)
    body, signature = signed_body({"action": "balance", "session_id": session_id}, parse_key_list(callback_keys)[0])
    log(f"callback key (give Playhub the same): {callback_keys}")
    log(f"Swipe callback key (Swipe's Integration API key): {swipe_callback_keys}; Swipe's base URL: {base}/swipe")
    for route in routes:
        guard = "  (IAM on AWS; not enforced locally)" if route.iam else ""
        log(f"  {route.method:4} {base}{route.path}  ->  {route.function}{guard}")
    log(
        f"functions: the built artifact on Python {artifact.python_version}, up to {args.workers} warm workers"
        " each, started on first use (cold start)"
    )
    log(
        f"catalogue: {catalogue['currencies']} currencies, {catalogue['games']} games"
        " (CatalogueFunction, hourly on AWS)"
    )
    log(f"legal bets tables (free rounds): {'; '.join(legal_bets)}")
    log(
        f'Swipe Games: try curl -s {base}/games/launch -d \'{{"provider":"swipe","player_id":"alice",'
        f'"game_id":"sg_catch_97","currency":"EUR","locale":"en","platform":"desktop"}}\''
    )
    log(f"demo session with {balance:.2f} {DEMO_CURRENCY}: {session_id}")
    log(f"operator API: {base}/docs (Swagger UI; the OpenAPI document is {base}/docs/openapi.json)")
    log(f"try: curl -s {base}/balance -H 'X-REQUEST-SIGN: {signature}' -d '{body}'")
    if stub is not None:  # the stub's game page: its buttons send signed callbacks here, as Playhub's servers
        demo = {"gameid": DEMO_GAME, "currency": DEMO_CURRENCY, "sessionid": session_id, "user": {"id": DEMO_PLAYER}}
        log(f"play the demo session in a browser: {stub.launch(demo)['game_url']}")
        log(
            f"  or any player's game: .venv/bin/python -m playhub_ops launch alice {DEMO_GAME} {DEMO_CURRENCY}"
            " (or POST /games/launch), then open its game_url"
        )
    log(f"ready on {base} (Ctrl-C stops)")
    server.serve_forever()


def docs_pages(base_url: str) -> dict[str, Answer]:
    """The operator API's committed OpenAPI document and Swagger UI on it, served locally only."""
    document = openapi.for_local(base_url)
    return {
        "/docs": Answer(200, [("Content-Type", "text/html; charset=utf-8")], openapi.swagger_page(document).encode()),
        "/docs/openapi.json": Answer(
            200, [("Content-Type", "application/json")], json.dumps(document, indent=2).encode()
        ),
    }


@contextlib.contextmanager
def core_api(
    api_keys: str, log: Callable[[str], None], callback_url: str, callback_key: str, port: int = 3001
) -> Iterator[tuple[str, CoreApiStub | None]]:
    """PLAYHUB_CORE_URL if set (e.g. Playhub's staging), else the local stub on `port` (or any free
    one), whose games send callbacks to callback_url signed with callback_key. The Core API's URL,
    and the stub (None if it is not local)."""
    if os.environ.get("PLAYHUB_CORE_URL"):
        log(f"Core API: {os.environ['PLAYHUB_CORE_URL']} (PLAYHUB_CORE_URL)")
        yield os.environ["PLAYHUB_CORE_URL"], None
        return
    new_stub = functools.partial(
        CoreApiStub, parse_key_list(api_keys)[0], callback_url=callback_url, callback_key=callback_key
    )
    try:
        stub = new_stub(port=port)
    except OSError:
        stub = new_stub(port=0)
    stub.start()
    log(f"Core API: local stub on {stub.url} (API key {api_keys}); its games call back {callback_url}")
    try:
        yield stub.url, stub
    finally:
        stub.stop()


@contextlib.contextmanager
def swipe_core_api(api_keys: str, log: Callable[[str], None], port: int = 3002) -> Iterator[str]:
    """SWIPE_CORE_URL if set (e.g. Swipe's staging), else the local Swipe stub on `port` (or any free
    one), which checks our requests' signatures with the first of api_keys. Its URL."""
    if os.environ.get("SWIPE_CORE_URL"):
        log(f"Swipe Core API: {os.environ['SWIPE_CORE_URL']} (SWIPE_CORE_URL)")
        yield os.environ["SWIPE_CORE_URL"]
        return
    key = parse_key_list(api_keys)[0]
    try:
        stub = SwipeCoreApiStub(key, port=port)
    except OSError:
        stub = SwipeCoreApiStub(key, port=0)
    stub.start()
    log(f"Swipe Core API: local stub on {stub.url} (API key {api_keys})")
    try:
        yield stub.url
    finally:
        stub.stop()


if __name__ == "__main__":
    main()
