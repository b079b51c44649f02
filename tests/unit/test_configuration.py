"""Settings from the environment, and callback keys from env, Secrets Manager or SSM."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from playhub_wallet.errors import ServiceUnavailable
from playhub_wallet.secret_keys import parse_key_list
from playhub_wallet.settings import Settings


def test_settings_parse_the_environment() -> None:
    settings = Settings.from_environment(
        {
            "TABLE_NAME": "ledger",
            "CALLBACK_KEY_SECRET": "arn:secret",
            "TIME_BUDGET_MS": "2500",
            "CURRENCY_DECIMAL_PLACES": '{"XYZ": 4}',
            "DYNAMODB_ENDPOINT": "",
        }
    )
    assert (settings.table_name, settings.callback_key_secret, settings.time_budget_ms) == (
        "ledger",
        "arn:secret",
        2500,
    )
    assert settings.currency_decimal_places == {"XYZ": 4}
    assert settings.dynamodb_endpoint is None


@pytest.mark.parametrize(
    ("environ", "problem"),
    [
        ({"CALLBACK_KEYS": "k"}, "TABLE_NAME"),
        ({"TABLE_NAME": "t"}, "exactly one of CALLBACK_KEYS"),
        ({"TABLE_NAME": "t", "CALLBACK_KEYS": "k", "CALLBACK_KEY_SECRET": "s"}, "exactly one of"),
        ({"TABLE_NAME": "t", "CALLBACK_KEYS": "k", "TIME_BUDGET_MS": "soon"}, "TIME_BUDGET_MS"),
        ({"TABLE_NAME": "t", "CALLBACK_KEYS": "k", "CURRENCY_DECIMAL_PLACES": '{"X": 12}'}, "0 to 8"),
    ],
)
def test_a_misconfiguration_fails_at_start_naming_the_variable(environ: dict[str, str], problem: str) -> None:
    with pytest.raises(RuntimeError, match="invalid configuration") as failure:
        Settings.from_environment(environ)
    assert problem in str(failure.value)


@pytest.mark.parametrize(
    ("value", "keys"), [("one", ("one",)), (' ["new", "old"] ', ("new", "old")), ("  padded \n", ("padded",))]
)
def test_key_lists(value: str, keys: tuple[str, ...]) -> None:
    assert parse_key_list(value) == keys


@pytest.mark.parametrize("value", ["", "[]", '["ok", ""]', "[1]", "[not json"])
def test_unusable_key_lists_are_refused(value: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - json and our own errors alike
        parse_key_list(value)


@pytest.fixture
def aws() -> Iterator[None]:
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # type: ignore[no-untyped-call]
    with mock_aws():
        yield
    parameters.clear_caches()  # type: ignore[no-untyped-call]


def test_keys_from_secrets_manager(aws: None) -> None:
    arn = boto3.client("secretsmanager").create_secret(Name="playhub/callback", SecretString='["k2", "k1"]')["ARN"]
    keys = Settings(table_name="t", callback_key_secret=arn).callback_key_source()
    assert keys.current() == ("k2", "k1")


def test_keys_from_ssm_secure_string(aws: None) -> None:
    boto3.client("ssm").put_parameter(Name="/playhub/callback", Value="k1", Type="SecureString")
    keys = Settings(table_name="t", callback_key_parameter="/playhub/callback").callback_key_source()
    assert keys.current() == ("k1",)


def test_keys_are_cached_per_container(aws: None) -> None:
    client = boto3.client("secretsmanager")
    client.create_secret(Name="playhub/callback", SecretString=json.dumps(["k1"]))
    keys = Settings(table_name="t", callback_key_secret="playhub/callback", key_cache_seconds=300).callback_key_source()
    assert keys.current() == ("k1",)
    client.put_secret_value(SecretId="playhub/callback", SecretString=json.dumps(["k2"]))
    assert keys.current() == ("k1",)  # until the cache expires (KEY_CACHE_SECONDS)


def test_an_unreadable_secret_is_a_server_error_not_a_401(aws: None) -> None:
    keys = Settings(table_name="t", callback_key_secret="does-not-exist").callback_key_source()
    with pytest.raises(ServiceUnavailable):
        keys.current()
