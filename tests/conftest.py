"""Shared fixtures: ledger backends (in-memory, moto, DynamoDB Local) and the handler harness."""

from __future__ import annotations

import os

# Before any handler imports powertools: no X-Ray, a metrics namespace, fake AWS credentials.
os.environ.update(
    {
        "POWERTOOLS_METRICS_NAMESPACE": "PlayhubWalletTest",
        "POWERTOOLS_SERVICE_NAME": "playhub-test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_DEV": "false",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }
)

import json
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws
from support import chromium, dynamo_items, dynamo_setup
from support.harness import FakeClock, LedgerView, Playhub, Swipe
from support.memory_ledger import InMemoryLedger

from devtools import artifact, dynamodb_local
from devtools.callbacks import SAMPLE_CALLBACK_KEY, SAMPLE_SWIPE_CALLBACK_KEY
from devtools.core_api_stub import catalogue_places
from playhub_wallet import http, runtime, swipe_http
from playhub_wallet.dynamodb.accounts import AccountTable
from playhub_wallet.dynamodb.callback_ledger import CallbackLedger
from playhub_wallet.dynamodb.campaigns import CampaignTable
from playhub_wallet.dynamodb.reconciliation import ReconciliationTable
from playhub_wallet.dynamodb.table import CLIENT_CONFIG, Table
from playhub_wallet.money import CurrencyTable
from playhub_wallet.settings import Settings
from playhub_wallet.state import LedgerPort, Provider, Session, WalletKey
from playhub_wallet.wallet import Backoff, WalletService

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# The decimal places of the Core API stub's catalogue (0, 2, 3 and 8), as the callbacks get them.
TEST_CURRENCIES = CurrencyTable(catalogue_places())
SWIPE_GAME = "sg_catch_97"
BACKENDS = ["memory", "moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)]
DYNAMO_BACKENDS = ["moto", pytest.param("dynamodb_local", marks=pytest.mark.dynamodb_local)]


@dataclass
class Backend:
    name: str
    ledger: Any  # the callbacks' LedgerPort: InMemoryLedger or CallbackLedger
    set_blocked: Callable[[WalletKey, bool], None]
    table: Any = None  # the DynamoDB backends' Table, for the other stores
    table_name: str = "memory"

    @property
    def client(self) -> Any:
        return self.table.client if self.table is not None else None

    @property
    def view(self) -> LedgerView:
        return LedgerView(self.ledger)

    @property
    def accounts(self) -> AccountTable:
        return AccountTable(self.table)

    @property
    def campaigns(self) -> CampaignTable:
        return CampaignTable(self.table)

    @property
    def reconciliation(self) -> ReconciliationTable:
        return ReconciliationTable(self.table)

    def block(self, key: WalletKey, blocked: bool = True) -> None:
        self.set_blocked(key, blocked)


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    """One DynamoDB Local per test process (per xdist worker), stopped when the session ends."""
    reason = dynamodb_local.java_missing_reason()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the DynamoDB Local tests: {reason}")
    if reason:
        pytest.skip(reason)
    with dynamo_setup.running_dynamodb_local() as endpoint:
        yield endpoint


@pytest.fixture
def browser() -> Iterator[chromium.Chromium]:
    """Headless Chromium; gone, with its profile, when the test ends (skipped where not installed)."""
    with chromium.Chromium.launched(chromium.executable()) as launched:
        yield launched


@pytest.fixture(scope="session")
def built_artifact() -> artifact.Artifact:
    """The artifact of this checkout for this machine, built once (cached by the sources' fingerprint)."""
    lines: list[str] = []
    try:
        built = artifact.ensure(log=lines.append)
    except artifact.ArtifactError as error:
        pytest.fail(f"the artifact does not build: {error}")
    if built.fallback:
        warnings.warn(
            f"Python {artifact.LAMBDA_PYTHON} not found: the built functions ran on Python {built.python_version}",
            stacklevel=1,
        )
    return built


@pytest.fixture(scope="session")
def dynamodb_local_setup_client(dynamodb_local_endpoint: str) -> DynamoDBClient:
    """The patient client fixtures create and delete DynamoDB Local tables with."""
    return dynamo_setup.setup_client(dynamodb_local_endpoint)


def dynamo_backend(name: str, table: Table) -> Backend:
    return Backend(name, CallbackLedger(table), partial(dynamo_items.set_blocked, table), table, table.name)


def make_backend(name: str, request: pytest.FixtureRequest) -> Iterator[Backend]:
    """A backend on a fresh table. Tables are created and deleted with a patient client; the
    ledger under test gets the production client (CLIENT_CONFIG)."""
    if name == "memory":
        memory = InMemoryLedger()
        yield Backend("memory", memory, memory.set_blocked)
        return
    table = f"ledger-{uuid.uuid4().hex[:12]}"
    if name == "moto":
        with mock_aws():
            dynamo_setup.create_table(dynamo_setup.setup_client(), table)
            client = boto3.client("dynamodb", region_name="eu-west-1", config=CLIENT_CONFIG)
            yield dynamo_backend("moto", Table(client, table))
        return
    endpoint = request.getfixturevalue("dynamodb_local_endpoint")
    setup: DynamoDBClient = request.getfixturevalue("dynamodb_local_setup_client")
    dynamo_setup.create_table(setup, table)
    try:
        client = boto3.client("dynamodb", endpoint_url=endpoint, region_name="eu-west-1", config=CLIENT_CONFIG)
        yield dynamo_backend("dynamodb_local", Table(client, table))
    finally:
        dynamo_setup.delete_table(setup, table)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from make_backend(request.param, request)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def build_wallet(ledger: LedgerPort, clock: FakeClock) -> WalletService:
    return WalletService(ledger, TEST_CURRENCIES, clock=clock, backoff=Backoff(base_seconds=0.002, cap_seconds=0.02))


@pytest.fixture
def wallet(backend: Backend, clock: FakeClock) -> WalletService:
    return build_wallet(backend.ledger, clock)


def install_runtime(
    monkeypatch: pytest.MonkeyPatch,
    wallet: WalletService,
    keys: list[str] | None = None,
    table: str = "t",
    currencies: CurrencyTable = TEST_CURRENCIES,
    swipe_keys: list[str] | None = None,
) -> runtime.Runtime:
    """Make the handlers use this wallet service (and its currency table) and these callback keys.

    Swipe's callbacks get the same wallet with Swipe's sample key (or swipe_keys).
    """
    settings = Settings(
        table_name=table,
        callback_keys=json.dumps(keys or [SAMPLE_CALLBACK_KEY]),
        swipe_callback_keys=json.dumps(swipe_keys or [SAMPLE_SWIPE_CALLBACK_KEY]),
    )
    parts = runtime.Runtime(settings, wallet, settings.callback_key_source(), currencies)
    monkeypatch.setattr(http, "runtime", lambda: parts)
    swipe_parts = runtime.Runtime(settings, wallet, settings.swipe_callback_key_source(), currencies)
    monkeypatch.setattr(swipe_http, "swipe_runtime", lambda: swipe_parts)
    return parts


@pytest.fixture
def playhub(monkeypatch: pytest.MonkeyPatch, wallet: WalletService, backend: Backend) -> Playhub:
    install_runtime(monkeypatch, wallet, table=backend.table_name)
    return Playhub()


@pytest.fixture
def swipe(monkeypatch: pytest.MonkeyPatch, wallet: WalletService, backend: Backend) -> Swipe:
    install_runtime(monkeypatch, wallet, table=backend.table_name)
    return Swipe()


@dataclass
class Player:
    """A launched session on a funded wallet."""

    session: Session
    wallet_key: WalletKey

    @property
    def session_id(self) -> str:
        return self.session.session_id


def open_funded_session(
    wallet: WalletService,
    amount: str = "100.00",
    currency: str = "EUR",
    player_id: str | None = None,
    game_id: str = "ph_limbo_97",
    provider: Provider = Provider.PLAYHUB,
) -> Player:
    from decimal import Decimal

    from playhub_wallet.rules import deposit

    player_id = player_id or f"player-{uuid.uuid4().hex[:8]}"
    session = wallet.open_session(player_id, currency, game_id, provider)
    key = WalletKey(player_id, currency)
    if Decimal(amount):
        wallet.transfer(deposit(key, Decimal(amount), f"funding-{uuid.uuid4()}"), deadline=float("inf"))
    return Player(session, key)


@pytest.fixture
def player(wallet: WalletService) -> Player:
    return open_funded_session(wallet)


@pytest.fixture
def swipe_player(wallet: WalletService) -> Player:
    """A Swipe session (sw1.) on a wallet funded with 100.00 EUR."""
    return open_funded_session(wallet, game_id=SWIPE_GAME, provider=Provider.SWIPE)
