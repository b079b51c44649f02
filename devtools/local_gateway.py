"""Serve the stack on 127.0.0.1 without AWS or Docker: `make run` (or python -m devtools.local_gateway).

Routes, handlers and environment variables come from template.yaml, so there is no second
route table to drift. Each HTTP request becomes an API Gateway REST proxy event for the
unchanged handler. Storage is DynamoDB Local when Java is present, else moto's server;
DYNAMODB_ENDPOINT points at any other.
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3

from devtools import dynamodb_local
from devtools.callbacks import SAMPLE_CALLBACK_KEY, api_gateway_event, signed_body
from devtools.core_api_stub import LOCAL_API_KEY, CoreApiStub
from devtools.template import ROOT, ledger_table_definition, load_template
from playhub_wallet.secret_keys import parse_key_list

LOCAL_TABLE = "playhub-wallet-local"
LOCAL_CID = "00000000-0000-4000-8000-000000000001"
DATA_DIR = ROOT / ".cache" / "local-data"
STAGE = "local"
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as in the template: /players/{player_id}/wallets
    function: str
    handler: Handler
    environment: dict[str, str]
    iam: bool  # guarded by IAM on AWS; not enforced locally

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path) + "$")

    def match(self, method: str, path: str) -> dict[str, str] | None:
        found = self.pattern.match(path) if method == self.method else None
        return {name: unquote(value) for name, value in found.groupdict().items()} if found else None


def template_routes(local_values: dict[str, str]) -> list[Route]:
    """Every Api event of every function in the template, with its resolved environment."""
    template = load_template()
    global_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    routes = []
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = resource["Properties"]
        env_vars = {**global_env, **props.get("Environment", {}).get("Variables", {})}
        environment = {key: _resolve(key, value, local_values) for key, value in env_vars.items()}
        module_file, _, function_name = props.get("Handler", "app.lambda_handler").rpartition(".")
        with _environment(environment):  # powertools reads its settings at import, as on a cold start
            module = _load_module(name, ROOT / props["CodeUri"] / f"{module_file}.py")
        handler = getattr(module, function_name)
        for event in props.get("Events", {}).values():
            if event["Type"] == "Api":
                api = event["Properties"]
                iam = api.get("Auth", {}).get("Authorizer") == "AWS_IAM"
                routes.append(Route(api["Method"].upper(), api["Path"], name, handler, environment, iam))
    return routes


def _resolve(name: str, value: Any, local_values: dict[str, str]) -> str:
    """Plain values stay; anything computed by CloudFormation takes its local value (or "")."""
    if isinstance(value, str):
        return local_values.get(name, value) if value == "" else value
    return local_values.get(name, "")


def _load_module(function: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"local_{function}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class LocalContext:
    """What a handler reads from its Lambda context."""

    def __init__(self, function: str, timeout_seconds: float = 5.0) -> None:
        self.function_name = function
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{function}"
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def find_route(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The template's route for this request; literal paths win over ones with parameters."""
    for route in sorted(routes, key=lambda r: r.path.count("{")):
        parameters = route.match(method, path)
        if parameters is not None:
            return route, parameters
    return None


def make_request_handler(routes: list[Route], log: Callable[[str], None]) -> type[BaseHTTPRequestHandler]:
    # Connections are served in parallel; invocations run one at a time, like one warm Lambda
    # container (the handlers' environment and powertools' state are per process).
    invocation = threading.Lock()

    class Gateway(BaseHTTPRequestHandler):
        server_version = "playhub-local-gateway"
        protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway offers
        disable_nagle_algorithm = True  # headers and body in separate writes would stall on delayed ACKs

        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def _serve(self) -> None:
            started = time.monotonic()
            url = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            found = find_route(routes, self.command, url.path)
            tx_id = ""
            if found is None:
                known_path = any(route.pattern.match(url.path) for route in routes)
                status = 405 if known_path else 404
                self._reply(status, {"Content-Type": "application/json"}, b'{"message":"Not Found"}')
            else:
                route, parameters = found
                status, headers, body = self._invoke(route, url.path, parameters, dict(parse_qsl(url.query)), raw)
                tx_id = _tx_id(raw)
                self._reply(status, headers, body)
            duration_ms = (time.monotonic() - started) * 1000
            log(f"{self.command} {url.path} {status} {duration_ms:.1f}ms{' tx_id=' + tx_id if tx_id else ''}")

        def _invoke(
            self, route: Route, path: str, parameters: dict[str, str], query: dict[str, str], raw: bytes
        ) -> tuple[int, dict[str, str], bytes]:
            try:
                text, encoded = raw.decode("utf-8"), False
            except UnicodeDecodeError:  # API Gateway hands such a body over base64-encoded
                text, encoded = base64.b64encode(raw).decode(), True
            event = api_gateway_event(path, text, dict(self.headers.items()), stage=STAGE)
            event["resource"] = event["requestContext"]["resourcePath"] = route.path
            event["httpMethod"] = event["requestContext"]["httpMethod"] = self.command
            event["pathParameters"] = parameters or None
            event["queryStringParameters"] = query or None
            event["multiValueQueryStringParameters"] = {name: [value] for name, value in query.items()} or None
            event["isBase64Encoded"] = encoded
            event["requestContext"]["identity"]["sourceIp"] = self.client_address[0]
            with invocation, _environment(route.environment):
                response = route.handler(event, LocalContext(route.function))
            body = response.get("body") or ""
            payload = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
            return int(response["statusCode"]), dict(response.get("headers") or {}), payload

        def _reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Gateway


def _tx_id(raw: bytes) -> str:
    try:
        value = json.loads(raw).get("tx_id", "")
    except (ValueError, AttributeError):
        return ""
    return value if isinstance(value, str) else ""


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """The function's environment for the length of one invocation, as Lambda gives it."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def local_storage(fresh: bool, in_memory: bool, log: Callable[[str], None]) -> Iterator[str]:
    """DYNAMODB_ENDPOINT if set; else DynamoDB Local (Java); else moto's server."""
    if os.environ.get("DYNAMODB_ENDPOINT"):
        log(f"storage: {os.environ['DYNAMODB_ENDPOINT']} (DYNAMODB_ENDPOINT)")
        yield os.environ["DYNAMODB_ENDPOINT"]
        return
    port = dynamodb_local.free_port()
    if dynamodb_local.java_missing_reason() is None:
        if fresh:
            shutil.rmtree(DATA_DIR, ignore_errors=True)
        data_dir = None if in_memory else DATA_DIR
        if data_dir:
            data_dir.mkdir(parents=True, exist_ok=True)
        process = dynamodb_local.start(port, data_dir=data_dir)
        kept = f"data in {DATA_DIR.relative_to(ROOT)}" if data_dir else "in memory"
        log(f"storage: DynamoDB Local on http://127.0.0.1:{port}, {kept}")
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=10)
        return
    from moto.server import ThreadedMotoServer  # noqa: PLC0415 - only without Java

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    log(f"storage: moto server on http://127.0.0.1:{port} (no Java; data is not kept between runs)")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


def ensure_table(endpoint: str, table: str) -> None:
    client = boto3.client("dynamodb", endpoint_url=endpoint)
    if table not in client.list_tables()["TableNames"]:
        client.create_table(**ledger_table_definition(table))
        client.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 30})


def demo_session(player_id: str = "demo-player", currency: str = "EUR", funding: str = "100.00") -> str:
    """A session on a funded wallet to try the callbacks with."""
    # Imported once the functions' environment is in place, as a handler would be.
    from playhub_wallet.rules import deposit  # noqa: PLC0415
    from playhub_wallet.runtime import runtime  # noqa: PLC0415
    from playhub_wallet.state import WalletKey  # noqa: PLC0415

    wallet = runtime().wallet
    session = wallet.open_session(player_id, currency, "ph_limbo_97")
    wallet.transfer(
        deposit(WalletKey(player_id, currency), Decimal(funding), f"demo-{session.session_id}"), float("inf")
    )
    return session.session_id


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--fresh", action="store_true", help="start with an empty local table")
    parser.add_argument("--in-memory", action="store_true", help="keep nothing between runs")
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, flush=True)

    callback_keys = os.environ.get("CALLBACK_KEYS", SAMPLE_CALLBACK_KEY)
    # No AWS account needed: local storage accepts any credentials and region.
    for name, default in (
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("POWERTOOLS_TRACE_DISABLED", "true"),
    ):
        os.environ.setdefault(name, default)
    api_keys = os.environ.get("API_KEYS", LOCAL_API_KEY)
    with local_storage(args.fresh, args.in_memory, log) as endpoint, core_api(api_keys, log) as core_url:
        ensure_table(endpoint, LOCAL_TABLE)
        local_values = {
            "TABLE_NAME": LOCAL_TABLE,
            "CALLBACK_KEYS": callback_keys,
            "DYNAMODB_ENDPOINT": endpoint,
            "PLAYHUB_CORE_URL": core_url,
            "PLAYHUB_CID": os.environ.get("PLAYHUB_CID", LOCAL_CID),
            "API_KEYS": api_keys,
        }
        os.environ.update(local_values)
        routes = template_routes(local_values)
        server = ThreadingHTTPServer(("127.0.0.1", args.port), make_request_handler(routes, log))
        base = f"http://127.0.0.1:{server.server_port}"
        session_id = demo_session()
        body, signature = signed_body({"action": "balance", "session_id": session_id}, parse_key_list(callback_keys)[0])
        log(f"callback key (give Playhub the same): {callback_keys}")
        for route in routes:
            guard = "  (IAM on AWS; not enforced locally)" if route.iam else ""
            log(f"  {route.method:4} {base}{route.path}  ->  {route.function}{guard}")
        log(f"demo session with 100.00 EUR: {session_id}")
        log(f"try: curl -s {base}/balance -H 'X-REQUEST-SIGN: {signature}' -d '{body}'")
        log(f"ready on {base} (Ctrl-C stops)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            log("stopping")
        finally:
            server.server_close()


@contextmanager
def core_api(api_keys: str, log: Callable[[str], None]) -> Iterator[str]:
    """PLAYHUB_CORE_URL if set (e.g. Playhub's staging), else the local stub on port 3001 (or any free one)."""
    if os.environ.get("PLAYHUB_CORE_URL"):
        log(f"Core API: {os.environ['PLAYHUB_CORE_URL']} (PLAYHUB_CORE_URL)")
        yield os.environ["PLAYHUB_CORE_URL"]
        return
    try:
        stub = CoreApiStub(parse_key_list(api_keys)[0], port=3001)
    except OSError:
        stub = CoreApiStub(parse_key_list(api_keys)[0], port=0)
    stub.start()
    log(f"Core API: local stub on {stub.url} (API key {api_keys})")
    try:
        yield stub.url
    finally:
        stub.stop()


if __name__ == "__main__":
    main()
