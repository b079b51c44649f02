"""Rotating the callback key in its Secrets Manager secret, without downtime (docs/runbook.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from conftest import Player, open_funded_session
from moto import mock_aws
from support.harness import Playhub

from devtools.core_api_stub import catalogue_places
from playhub_wallet import http, runtime
from playhub_wallet.money import CurrencyTable
from playhub_wallet.settings import Settings
from playhub_wallet.wallet import WalletService


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch, wallet: WalletService) -> Iterator[str]:
    parameters.clear_caches()  # type: ignore[no-untyped-call]
    with mock_aws():
        arn = boto3.client("secretsmanager").create_secret(Name="playhub/callback", SecretString="old-key")["ARN"]
        settings = Settings(table_name="t", callback_key_secret=arn, key_cache_seconds=0)
        parts = runtime.Runtime(settings, wallet, settings.callback_key_source(), CurrencyTable(catalogue_places()))
        monkeypatch.setattr(http, "runtime", lambda: parts)
        yield arn
    parameters.clear_caches()  # type: ignore[no-untyped-call]


def put_keys(arn: str, keys: list[str]) -> None:
    boto3.client("secretsmanager").put_secret_value(SecretId=arn, SecretString=json.dumps(keys))


def test_add_the_new_key_switch_playhub_then_remove_the_old_one(secret: str, wallet: WalletService) -> None:
    player: Player = open_funded_session(wallet)
    old, new = Playhub("old-key"), Playhub("new-key")
    assert (old.balance(player.session_id).status, new.balance(player.session_id).status) == (200, 401)

    put_keys(secret, ["new-key", "old-key"])  # 1. both valid while Playhub switches
    assert (old.bet(player.session_id, "1.00").status, new.bet(player.session_id, "1.00").status) == (200, 200)

    put_keys(secret, ["new-key"])  # 2. Playhub signs with the new key: retire the old one
    assert (old.balance(player.session_id).status, new.balance(player.session_id).status) == (401, 200)
    assert new.balance(player.session_id).body == {"balance": "98.00"}
