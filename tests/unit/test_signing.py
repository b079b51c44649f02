"""Canonical JSON and HMAC signatures, checked against independently computed vectors."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
from decimal import Decimal

import pytest

from playhub_wallet.signing import canonical_json, parse_json_body, sign, verify_callback

NESTED = {"b": "2", "a": {"z": [3, {"y": "é", "x": None}], "c": True}, "amount": Decimal("10.50")}
# Written by hand: keys sorted at every depth, no whitespace, UTF-8 kept as is.
NESTED_CANONICAL = '{"a":{"c":true,"z":[3,{"x":null,"y":"é"}]},"amount":10.50,"b":"2"}'.encode()


def test_canonical_json_sorts_keys_at_every_depth_without_whitespace() -> None:
    assert canonical_json(NESTED) == NESTED_CANONICAL


def test_canonical_json_escapes_quotes_and_control_characters() -> None:
    assert canonical_json({"q": 'say "hi"\n'}) == b'{"q":"say \\"hi\\"\\n"}'


def test_canonical_json_refuses_floats() -> None:
    with pytest.raises(TypeError):
        canonical_json({"amount": 1.5})


def test_sign_matches_openssl() -> None:
    message = canonical_json({"action": "balance", "session_id": "s-1"})
    openssl = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", "callback-key"], input=message, capture_output=True, check=True
    )
    assert sign("callback-key", message) == openssl.stdout.decode().split("= ")[-1].strip()


def test_sign_is_lowercase_hex_hmac_sha256() -> None:
    expected = hmac.new(b"k", NESTED_CANONICAL, hashlib.sha256).hexdigest()
    assert sign("k", canonical_json(NESTED)) == expected
    assert expected == expected.lower()
    assert len(expected) == 64


def test_parse_json_body_keeps_numbers_as_decimal() -> None:
    assert parse_json_body(b'{"amount": 0.1}') == {"amount": Decimal("0.1")}


@pytest.mark.parametrize(
    ("signature", "keys", "valid"),
    [
        (sign("k2", b'{"a": "1"}'), ["k1", "k2"], True),  # raw bytes, second key
        (sign("k1", b'{"a":"1"}'), ["k1"], True),  # canonical form
        (sign("k1", b'{"a":"1"}').upper(), ["k1"], True),
        (sign("k3", b'{"a":"1"}'), ["k1", "k2"], False),
        (None, ["k1"], False),
        ("", ["k1"], False),
        ("not hex ü", ["k1"], False),
        (sign("k1", b'{"a":"1"}'), [], False),
    ],
)
def test_verify_callback(signature: str | None, keys: list[str], valid: bool) -> None:
    raw = b'{"a": "1"}'
    assert verify_callback(signature, raw, parse_json_body(raw), keys) is valid
