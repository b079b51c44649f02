"""What `sam local invoke` needs on this machine: `make local-db` (python -m devtools.local_db).

Starts DynamoDB Local on port 8000 (shared across credentials, as the Lambda containers bring
their own) and the Core API stub on port 3001 (for the launch and operator events), both where
env.json's host.docker.internal reaches them, creates the ledger table that env.json names, and
puts there the session the sample events in events/ play on, with a funded wallet. Seeding is
idempotent: running it again against the same database changes nothing. Then it waits (Ctrl-C
stops it) while you run, in another terminal, e.g.
`make invoke FUNCTION=BetFunction EVENT=events/bet.json`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import time
from decimal import Decimal
from typing import Any

import boto3
from botocore.config import Config

from devtools import dynamodb_local
from devtools.callbacks import SAMPLE_SESSION_ID, SAMPLE_SWIPE_SESSION_ID
from devtools.core_api_stub import LOCAL_API_KEY, CoreApiStub
from devtools.template import ROOT, ledger_table_definition

ENV_FILE = ROOT / "env.json"
SAMPLE_FUNDING = Decimal("20.00")
SAMPLE_FUNDING_REFERENCE = "sample-funding"  # deposits are idempotent on their reference
# Setup is no callback: wait for a busy machine rather than fail.
PATIENT = Config(connect_timeout=5, read_timeout=60, retries={"mode": "standard", "total_max_attempts": 10})


def table_name() -> str:
    name: str = json.loads(ENV_FILE.read_text(encoding="utf-8"))["Parameters"]["TABLE_NAME"]
    return name


def local_client(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        config=PATIENT,
        region_name="eu-west-1",
        aws_access_key_id="local",  # DynamoDB Local takes any credentials
        aws_secret_access_key="local",  # noqa: S106
    )


def ensure_table(client: Any, table: str) -> None:
    if table not in client.list_tables()["TableNames"]:
        with contextlib.suppress(client.exceptions.ResourceInUseException):  # created meanwhile, or retried
            client.create_table(**ledger_table_definition(table))
        client.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def seed_catalogue(client: Any, table: str, now: int | None = None) -> None:
    """The Core API stub's catalogue (currencies and games) as the catalogue function caches it:
    what the functions check launches, transfers and decimal places against."""
    from devtools.core_api_stub import CURRENCIES, GAMES  # noqa: PLC0415
    from playhub_wallet.catalogue import Currencies, Currency, Game, normalise_locales  # noqa: PLC0415
    from playhub_wallet.dynamodb.catalogue import CatalogueTable  # noqa: PLC0415
    from playhub_wallet.dynamodb.table import Table  # noqa: PLC0415

    now = now or int(time.time())
    store = CatalogueTable(Table(client, table))
    store.put_currencies(Currencies(tuple(Currency(**currency) for currency in CURRENCIES), now))
    games = [Game(g["id"], g["title"], normalise_locales(g["locales"]), g["free_spins"], g["thumbnail"]) for g in GAMES]
    store.replace_games(games, now)


def seed_sample_session(client: Any, table: str, now: int | None = None) -> str:
    """The sample events' sessions (player-1, EUR: Playhub's on ph_limbo_97, Swipe's on sg_catch_97)
    on a wallet funded once, and the local catalogue the functions check currencies and games against."""
    from devtools.core_api_stub import catalogue_places  # noqa: PLC0415
    from playhub_wallet.dynamodb.callback_ledger import CallbackLedger  # noqa: PLC0415 - the layer's code
    from playhub_wallet.dynamodb.table import Table  # noqa: PLC0415
    from playhub_wallet.money import CurrencyTable  # noqa: PLC0415
    from playhub_wallet.rules import deposit  # noqa: PLC0415
    from playhub_wallet.sessions import parse_session_id  # noqa: PLC0415
    from playhub_wallet.state import Session, StaleSnapshot  # noqa: PLC0415
    from playhub_wallet.wallet import WalletService  # noqa: PLC0415

    now = now or int(time.time())
    ref = parse_session_id(SAMPLE_SESSION_ID)
    if ref is None:
        raise RuntimeError("the sample session id does not parse")
    ledger = CallbackLedger(Table(client, table))
    year = 365 * 86400
    for session_id in (SAMPLE_SESSION_ID, SAMPLE_SWIPE_SESSION_ID):  # Playhub's and Swipe's, one wallet
        parts = parse_session_id(session_id)
        if parts is None:
            raise RuntimeError(f"the sample session id {session_id} does not parse")
        with contextlib.suppress(StaleSnapshot):  # put only if absent: seeded before
            ledger.put_session(
                Session(session_id, parts.player_id, parts.currency, parts.game_id, "active", now, now + year),
                ttl=now + 2 * year,
            )
    seed_catalogue(client, table, now)
    wallet = WalletService(ledger, CurrencyTable(catalogue_places()))
    wallet.transfer(deposit(ref.wallet_key, SAMPLE_FUNDING, SAMPLE_FUNDING_REFERENCE), float("inf"))
    return SAMPLE_SESSION_ID


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--core-port", type=int, default=3001, help="the Core API stub's (env.json names 3001)")
    parser.add_argument("--endpoint", help="seed this running DynamoDB instead of starting one")
    args = parser.parse_args(argv)
    for stop_signal in (signal.SIGTERM, signal.SIGHUP):  # stop the JVM too, not only on Ctrl-C
        signal.signal(stop_signal, _stop)
    process = None
    if args.endpoint:
        endpoint = args.endpoint
    else:
        if reason := dynamodb_local.java_missing_reason():
            raise SystemExit(f"error: {reason}")
        if not dynamodb_local.port_is_free(args.port):
            raise SystemExit(f"error: port {args.port} is in use (is DynamoDB Local already running?)")
        process = dynamodb_local.start(args.port, shared=True)
        endpoint = f"http://127.0.0.1:{args.port}"
    stub = None
    try:
        client = local_client(endpoint)
        table = table_name()
        ensure_table(client, table)
        session_id = seed_sample_session(client, table)
        print(f"DynamoDB Local on {endpoint}: table {table}, sample session {session_id} (20.00 EUR once)")
        if process is None:
            return
        if dynamodb_local.port_is_free(args.core_port):
            stub = CoreApiStub(LOCAL_API_KEY, port=args.core_port, host="0.0.0.0")  # noqa: S104 - for containers
            stub.start()
            print(f"Core API stub on http://127.0.0.1:{args.core_port} (API key {LOCAL_API_KEY})")
        else:
            print(f"port {args.core_port} is in use: no Core API stub (the launch event needs one)")
        print("now, in another terminal: make invoke FUNCTION=BetFunction EVENT=events/bet.json (Ctrl-C stops this)")
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if stub is not None:
            stub.stop()
        if process is not None:
            dynamodb_local.stop(process)


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
