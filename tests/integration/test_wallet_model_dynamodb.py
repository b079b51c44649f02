"""The reference model of the case table against the DynamoDB ledger on real DynamoDB Local:
fewer, longer sequences than the unit suite's (tests/support/wallet_model.py)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest
from hypothesis import HealthCheck, settings
from support import dynamo_setup
from support.wallet_model import run_model

from playhub_wallet.dynamodb.accounts import AccountTable
from playhub_wallet.dynamodb.callback_ledger import CallbackLedger
from playhub_wallet.dynamodb.table import CLIENT_CONFIG, Table
from playhub_wallet.state import LedgerEntry, LedgerPort, WalletKey

pytestmark = pytest.mark.dynamodb_local


@pytest.fixture
def table(dynamodb_local_endpoint: str, dynamodb_local_setup_client: object) -> Iterator[str]:
    name = f"model-{uuid.uuid4().hex[:12]}"
    dynamo_setup.create_table(dynamodb_local_setup_client, name)  # type: ignore[arg-type]
    try:
        yield name
    finally:
        dynamo_setup.delete_table(dynamodb_local_setup_client, name)  # type: ignore[arg-type]


def test_the_wallet_plays_by_the_case_table_on_dynamodb_local(dynamodb_local_endpoint: str, table: str) -> None:
    client = boto3.client(
        "dynamodb", endpoint_url=dynamodb_local_endpoint, region_name="eu-west-1", config=CLIENT_CONFIG
    )
    accounts = AccountTable(Table(client, table))

    def history(_: LedgerPort, key: WalletKey) -> list[LedgerEntry]:
        page = accounts.history(key, limit=1000)
        assert page.next_cursor is None
        return list(reversed(page.entries))

    run_model(
        lambda: CallbackLedger(Table(client, table)),  # every sequence plays on a player of its own
        history,
        settings(
            max_examples=12,
            stateful_step_count=50,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
