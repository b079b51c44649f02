"""Swipe's X-REQUEST-SIGN: the official vectors (SWIPE.md §4), RFC 8785 (JCS) and the four cases of §3.2.

Expected texts come from outside this code: Swipe's SDK tests, RFC 8785's own examples, and,
where node is installed, ECMAScript itself (JSON.stringify and String(number)) on generated input.
"""

from __future__ import annotations

import hmac
import json
import shutil
import struct
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from playhub_wallet.swipe_signing import (
    SIGNATURE_HEADER,
    NotCanonical,
    balance_query,
    canonical_json,
    canonicalize,
    ecmascript_number,
    parse_json,
    query_message,
    query_signature,
    sign,
    signed_body,
    verify_body,
    verify_query,
)

VECTOR_1 = "9876ed3affd6596f3ddb9102a396718452cf83069904f3d001a2e91e164adc01"
SESSION_7 = "7eaac66f751bcdb758877004b0a1c0063bdfb615ee0c20a464ae76edc67db324113f1ca8bd62b13dd1c7a43f85a20ea3"

# SWIPE.md §4: (key, JSON in as the SDK tests write it, canonical bytes, X-REQUEST-SIGN).
BODY_VECTORS = [
    ("secret-key", '{"user_id": 123, "amount": 100.50}', '{"amount":100.5,"user_id":123}', VECTOR_1),
    ("secret-key", '{"amount":100.5,"user_id":123}', '{"amount":100.5,"user_id":123}', VECTOR_1),
    ("secret-key", '{  "user_id"  :  123  ,  "amount"  :  100.50  }', '{"amount":100.5,"user_id":123}', VECTOR_1),
    (
        "different-secret-key",
        '{"user_id": 123, "amount": 100.50}',
        '{"amount":100.5,"user_id":123}',
        "d86208a306f6562c80c0a8894a1294a63e5e3bb4e2fd2b9b031b3c3c65cb1847",
    ),
    ("secret-key", "{}", "{}", "99922a0dbb1fe95624c93c7204445c2eff8a014b0c9b585ddf2da0c21083a34e"),
    ("", '{"test": "value"}', '{"test":"value"}', "6c0e6084444acce7905532fd7c3871c33cfbc5f52a36d27704ffa02b1bb4df78"),
]
QUERY_VECTORS = [
    ({"sessionID": SESSION_7}, "23b02858e21abd151a4e48ed33e451cae4ad1b7cb267ef75d01c694ea2960e6d"),
    (
        {"message": "hello world!", "data": "test@example.com"},
        "0825b42e92c46887f194252fda8b871c3c42aafa3833783d63b2005407000c02",
    ),
    ({"empty": "", "data": "value"}, "8cf8644bfb7004cd21ad8512923169bb652d836183c07497797ef1ca313d88cc"),
]


@pytest.mark.parametrize(("key", "json_in", "canonical", "expected"), BODY_VECTORS)
def test_official_body_vectors(key: str, json_in: str, canonical: str, expected: str) -> None:
    assert canonicalize(json_in.encode()) == canonical.encode()
    assert sign(key, canonicalize(json_in.encode())) == expected


@pytest.mark.parametrize(("query", "expected"), QUERY_VECTORS)
def test_official_query_vectors(query: dict[str, str], expected: str) -> None:
    assert query_signature("secret-key", query) == expected
    assert verify_query(expected, query, ["secret-key"]) is True


def test_an_empty_query_signs_like_an_empty_body() -> None:
    assert query_signature("secret-key", {}) == "99922a0dbb1fe95624c93c7204445c2eff8a014b0c9b585ddf2da0c21083a34e"


def test_playhubs_signer_differs_where_swipe_reserializes_a_number() -> None:
    # SWIPE.md §3.3: Playhub's canonical form keeps 100.50, which fails vectors 1, 3 and 4.
    from playhub_wallet import signing

    assert signing.sign("secret-key", signing.canonical_json(parse_json(b'{"amount": 100.50}'))) != sign(
        "secret-key", canonicalize(b'{"amount": 100.50}')
    )


# SWIPE.md §4, the SDKs' negative cases.
def test_vector_1_with_a_zero_signature_fails() -> None:
    assert verify_body("0" * 64, b'{"user_id": 123, "amount": 100.50}', ["secret-key"]) is False


def test_vector_1_under_the_wrong_key_fails() -> None:
    assert verify_body(VECTOR_1, b'{"user_id": 123, "amount": 100.50}', ["wrong-key"]) is False
    assert verify_body(VECTOR_1, b'{"user_id": 123, "amount": 100.50}', ["secret-key"]) is True


def test_a_query_with_a_zero_signature_fails() -> None:
    assert verify_query("0" * 64, {"sessionID": "test"}, ["secret-key"]) is False
    assert verify_query(sign("secret-key", b'{"sessionID":"test"}'), {"sessionID": "test"}, ["secret-key"]) is True


# SP tests/Crypto/JcsTest.php, input -> output (SWIPE.md §4).
@pytest.mark.parametrize(
    ("json_in", "canonical"),
    [
        ('{"b": 2, "a": 1}', '{"a":1,"b":2}'),
        ('{"b": {"d": 4, "c": 3}, "a": 1}', '{"a":1,"b":{"c":3,"d":4}}'),
        ('[{"b":2,"a":1},{"d":4,"c":3}]', '[{"a":1,"b":2},{"c":3,"d":4}]'),
        ("[3, 1, 2]", "[3,1,2]"),
        ('{"name": "André"}', '{"name":"André"}'),
        ('{"msg": "hello\\nworld"}', '{"msg":"hello\\nworld"}'),
        ('{"t": true, "f": false}', '{"f":false,"t":true}'),
        ('{"n": 100.50}', '{"n":100.5}'),
        ('{"n": -3.14}', '{"n":-3.14}'),
        ("{}", "{}"),
        ("[]", "[]"),
        ("null", "null"),
    ],
)
def test_jcs_vectors(json_in: str, canonical: str) -> None:
    assert canonicalize(json_in.encode()) == canonical.encode()


@pytest.mark.parametrize("text", ["{", '{"a":}', "[1,]", "NaN", '{"n": Infinity}', "", '{"a":1} x', "'a'"])
def test_invalid_json_raises(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        canonicalize(text.encode())


@pytest.mark.parametrize(
    "raw",
    [b'{"a": 1, "a": 2}', b"\xff{}", b'\xef\xbb\xbf{"a":1}', b"[" * 100_000 + b"]" * 100_000],
    ids=["repeated name", "not UTF-8", "byte order mark", "nested too deeply"],
)
def test_what_i_json_refuses_is_not_json(raw: bytes) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_json(raw)


# PA docs/authn.md "Example: Regular JSON vs Canonical JSON" (SWIPE.md §4): the canonical forms.
@pytest.mark.parametrize(
    "documented",
    [
        '{"cID":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","currency":"USD","demo":true,"extCID":"your_ext_id",'
        '"gameID":"sg_catch_97","locale":"en-US","platform":"desktop","returnURL":"https://your-site.com/game-lobby"}',
        '{"currency":"USD","gameID":"sg_catch_97","user":{"firstName":"John","id":"ext_user_456","nickName":"player123"}}',
    ],
)
def test_the_documented_canonical_forms(documented: str) -> None:
    value = json.loads(documented)
    shuffled = dict(reversed(list(value.items())))
    assert canonical_json(shuffled) == documented.encode()
    assert canonicalize(json.dumps(shuffled, indent=2).encode()) == documented.encode()


# RFC 8785 §3.2.3: keys sort by UTF-16 code units, so U+1F600 (a surrogate pair, D83D DE00)
# comes before U+FB33, which code-point order would put first.
def test_keys_sort_by_utf16_code_units() -> None:
    keys = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
    canonical = canonical_json(dict.fromkeys(keys, "")).decode()
    order = [json.loads(f'"{member.split(":")[0][1:-1]}"') for member in canonical[1:-1].split(",")]
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("\u0000\u0001\u001f", "\\u0000\\u0001\\u001f"),
        ("\b\t\n\f\r", "\\b\\t\\n\\f\\r"),
        ('q"b\\', 'q\\"b\\\\'),
        ("\u007f\u2028\u2029</script>&", "\u007f\u2028\u2029</script>&"),  # JCS escapes none of these
        ("€ é \U0001f600", "€ é \U0001f600"),  # UTF-8 as is, never \u
    ],
)
def test_strings_are_escaped_as_ecmascript_does(text: str, written: str) -> None:
    assert canonical_json([text]) == f'["{written}"]'.encode()


@pytest.mark.parametrize("value", ["\ud800", {"\udfff": 1}, json.loads('"a\\ud83d"')])
def test_an_unpaired_surrogate_cannot_be_signed(value: Any) -> None:
    with pytest.raises(NotCanonical):
        canonical_json(value)


# RFC 8785 Appendix B: IEEE 754 doubles and their ECMAScript text. Given that text as a Decimal,
# we must write it back unchanged.
RFC_8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "text"), RFC_8785_NUMBERS)
def test_rfc_8785_numbers(bits: str, text: str) -> None:
    (double,) = struct.unpack(">d", bytes.fromhex(bits))
    assert Decimal(text) == Decimal(repr(double))  # the table is the double's shortest text
    assert ecmascript_number(Decimal(text)) == text


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("100.50"), "100.5"),
        (Decimal("1E+2"), "100"),
        (Decimal("1.0E+21"), "1e+21"),
        (Decimal("12345678901234568E+4"), "123456789012345680000"),
        (Decimal("0.0000010"), "0.000001"),
        (Decimal("1E-7"), "1e-7"),
        (Decimal("-1.25E-10"), "-1.25e-10"),
        (Decimal("12.5E-1"), "1.25"),
        (Decimal("-0"), "0"),
        (Decimal("-0.000E+5"), "0"),
        (-(2**53), "-9007199254740992"),
        (10**20, "100000000000000000000"),
        (10**21, "1e+21"),
        (0, "0"),
    ],
)
def test_decimals_and_integers_are_written_as_ecmascript_writes_them(value: int | Decimal, text: str) -> None:
    assert ecmascript_number(value) == text


@pytest.mark.parametrize(
    "value",
    [
        2**53 + 1,  # ECMAScript reads it as 9007199254740992
        2**68,  # 295147905179352825856, written 295147905179352830000 by JCS
        Decimal("333333333.33333329"),  # RFC 8785's own example input: JCS signs 333333333.3333333
        Decimal("0.12345678901234567890"),
        Decimal("1E+400"),  # Infinity in ECMAScript, which JSON.stringify writes as null
        Decimal("-1E+309"),
        Decimal("1E-400"),  # 0 in ECMAScript
        Decimal("NaN"),
        Decimal("-Infinity"),
    ],
)
def test_a_number_jcs_would_change_is_refused(value: int | Decimal) -> None:
    with pytest.raises(NotCanonical):
        canonical_json({"amount": value})
    assert verify_body(sign("k", f'{{"amount":{value}}}'.encode()), f'{{"amount":{value}}}'.encode(), ["k"])


def test_a_float_is_never_signed() -> None:
    with pytest.raises(TypeError):
        canonical_json({"amount": 1.5})
    with pytest.raises(TypeError):
        canonical_json({1: "non-string key"})
    with pytest.raises(TypeError):
        ecmascript_number(True)


def test_parse_json_keeps_money_as_decimal() -> None:
    parsed = parse_json(b'{"amount": 100.50, "quantity": 10, "big": 1E+400}')
    assert parsed == {"amount": Decimal("100.50"), "quantity": 10, "big": Decimal("1E+400")}
    assert isinstance(parsed["amount"], Decimal)
    assert str(parsed["amount"]) == "100.50"


# §3.2, Swipe POSTs a callback: the raw bytes, or their canonical form.
BET = (
    b'{"amount":"10.00","roundID":"4b8e2f9c-9d51-4a43-b5bb-2a0b0c5b7e11","sessionID":"s-1",'
    b'"txID":"0d0c43a4-1c1f-4d1b-8b6e-4f0ef7f6a2d9","type":"regular"}'
)


@pytest.mark.parametrize(
    ("signature", "raw", "keys", "valid"),
    [
        (sign("k", BET), BET, ["k"], True),
        (sign("k2", BET), BET, ["k1", "k2"], True),  # rotation: any valid key
        (sign("k", BET).upper(), BET, ["k"], True),
        (f" {sign('k', BET)}\n", BET, ["k"], True),
        (sign("k", BET), BET.replace(b"10.00", b"10.01"), ["k"], False),
        (sign("k", BET), BET.replace(b'"type":"regular"', b'"type":"free"'), ["k"], False),
        (sign("k3", BET), BET, ["k1", "k2"], False),
        (sign("k", BET), BET, [], False),
        (sign("", BET), BET, ["", "k"], False),  # an empty key is no secret
        (None, BET, ["k"], False),
        ("", BET, ["k"], False),
        ("not hex ü", BET, ["k"], False),
        (sign("k", BET)[:-1], BET, ["k"], False),
        (sign("k", b"not json"), b"not json", ["k"], True),  # raw bytes need not parse
        (sign("k", b'{"a":"1","b":"2"}'), b'{ "b": "2", "a": "1" }', ["k"], True),  # the SDKs' JCS form
        (sign("k", b'{"a":"1"}'), b'{"a":"0","a":"1"}', ["k"], False),  # repeated name: raw bytes only
    ],
)
def test_verify_body(signature: str | None, raw: bytes, keys: list[str], valid: bool) -> None:
    assert verify_body(signature, raw, keys) is valid


@contextmanager
def counted_comparisons(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    results: list[bool] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        results.append(real(a, b))
        return results[-1]

    with monkeypatch.context() as patch:
        patch.setattr(hmac, "compare_digest", counting)
        yield results


def test_every_key_and_form_is_compared_even_after_a_match(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = b'{ "a": "1" }'
    with counted_comparisons(monkeypatch) as results:
        assert verify_body(sign("k1", raw), raw, ["k1", "k2", "k3"]) is True
    assert results == [True, False, False, False, False, False]  # (raw, canonical) for each key
    with counted_comparisons(monkeypatch) as results:
        assert verify_query(sign("k1", b'{"sessionID":"s"}'), {"sessionID": "s"}, ["k1", "k2"]) is True
    assert results == [True, False]


# §3.2, Swipe GETs /balance: all query parameters, the first value of each.
def event(multi: dict[str, list[str]] | None, single: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "httpMethod": "GET",
        "headers": {SIGNATURE_HEADER: "x"},
        "queryStringParameters": single,
        "multiValueQueryStringParameters": multi,
    }


def test_a_signed_get_balance_from_vector_7_verifies() -> None:
    # SWIPE.md §10.8: vector 7's key and query, as API Gateway hands it to the function.
    query = balance_query(event({"sessionID": [SESSION_7]}, {"sessionID": SESSION_7}))
    assert query == {"sessionID": SESSION_7}
    assert verify_query(QUERY_VECTORS[0][1], query, ["secret-key"]) is True
    assert verify_query(QUERY_VECTORS[0][1], query, ["other-key"]) is False


def test_the_balance_query_keeps_the_first_value_of_each_name() -> None:
    # queryStringParameters holds the last value of a repeated name; Swipe signs the first.
    multi = {"sessionID": ["first", "last"], "lang": ["en"], "flag": [""]}
    query = balance_query(event(multi, {"sessionID": "last", "lang": "en", "flag": ""}))
    assert query == {"sessionID": "first", "lang": "en", "flag": ""}
    assert query_message(query) == b'{"flag":"","lang":"en","sessionID":"first"}'
    assert verify_query(sign("k", b'{"flag":"","lang":"en","sessionID":"first"}'), query, ["k"]) is True
    assert verify_query(sign("k", b'{"sessionID":"first"}'), query, ["k"]) is False  # every parameter is signed


def test_no_query_is_the_empty_object() -> None:
    assert balance_query(event(None, None)) == {}
    assert balance_query({"queryStringParameters": {"sessionID": "s"}}) == {}  # never the single-value map
    assert verify_query(sign("k", b"{}"), balance_query(event(None)), ["k"]) is True


# §3.2, us to the Core API.
def test_a_core_api_post_sends_the_bytes_it_signed() -> None:
    body, signature = signed_body("api-key", {"extID": "camp-1", "quantity": 10, "betLine": 2, "cID": "c"})
    assert body == b'{"betLine":2,"cID":"c","extID":"camp-1","quantity":10}'
    assert signature == sign("api-key", body)


def test_a_core_api_get_signs_its_query_as_strings() -> None:
    query = {"cID": "c", "extCID": "brand", "excludeBetLines": "true"}
    assert query_signature("api-key", query) == sign(
        "api-key", b'{"cID":"c","excludeBetLines":"true","extCID":"brand"}'
    )
    with pytest.raises(TypeError):
        query_signature("api-key", {"excludeBetLines": True})  # type: ignore[dict-item]


# Properties.
faithful_numbers = st.one_of(
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: Decimal(repr(f))),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-(10**12), max_value=10**12),
)
keys = st.text(max_size=8)
json_values = st.recursive(
    st.none() | st.booleans() | st.text() | faithful_numbers,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_canonical_form_is_stable_and_keeps_the_value(value: Any) -> None:
    canonical = canonical_json(value)
    assert canonicalize(canonical) == canonical
    assert parse_json(canonical) == value


@given(st.decimals(allow_nan=False, allow_infinity=False) | st.integers())
def test_a_number_is_signed_as_itself_or_refused(value: int | Decimal) -> None:
    try:
        text = ecmascript_number(value)
    except NotCanonical:
        return
    assert Decimal(text) == value
    assert canonicalize(text.encode()) == text.encode()


@given(json_values, json_values)
def test_a_signature_over_one_body_does_not_verify_another(first: Any, second: Any) -> None:
    body, signature = canonical_json(first), canonical_json(second)
    assert verify_body(sign("k", body), signature, ["k"]) is (body == signature)


@given(st.dictionaries(keys, st.text(max_size=8)), st.dictionaries(keys, st.text(max_size=8)))
def test_a_signature_over_one_query_does_not_verify_another(first: dict[str, str], second: dict[str, str]) -> None:
    assert verify_query(query_signature("k", first), second, ["k"]) is (first == second)


# ECMAScript itself as the oracle, where node is installed.
NODE = shutil.which("node")
needs_node = pytest.mark.skipif(NODE is None, reason="node is not installed: no ECMAScript to compare with")
CANONICALIZE_JS = r"""
const canon = (v) => v === null || typeof v !== 'object' ? JSON.stringify(v)
  : Array.isArray(v) ? '[' + v.map(canon).join(',') + ']'
  : '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}';
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter((line) => line);
process.stdout.write(lines.map((line) => JSON.stringify(canon(JSON.parse(line)))).join('\n'));
"""


def ecmascript(texts: list[str]) -> list[str]:
    assert NODE is not None
    done = subprocess.run(
        [NODE, "-e", CANONICALIZE_JS], input="\n".join(texts), capture_output=True, text=True, check=True
    )
    return [json.loads(line) for line in done.stdout.split("\n")]


def json_text(value: Any) -> str:
    """A JSON text with Decimal numbers written as they are, not through a float."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(json_text(item) for item in value) + "]"
    if isinstance(value, Decimal):
        return str(value)
    return json.dumps(value)


@needs_node
@settings(max_examples=15, deadline=None)
@given(st.lists(st.decimals(allow_nan=False, allow_infinity=False) | faithful_numbers, min_size=1, max_size=100))
def test_numbers_match_ecmascript_or_are_refused(numbers: list[int | Decimal]) -> None:
    for number, written in zip(numbers, ecmascript([json_text(n) for n in numbers]), strict=True):
        try:
            ours = ecmascript_number(number)
        except NotCanonical:
            # ECMAScript writes another number (rounded, Infinity as null, or 0): signing would lie.
            assert written == "null" or Decimal(written) != number
        else:
            assert ours == written


@needs_node
@settings(max_examples=15, deadline=None)
@given(st.lists(json_values, min_size=1, max_size=30))
def test_canonical_form_matches_ecmascript(values: list[Any]) -> None:
    texts = [json_text(value) for value in values]
    assert [canonicalize(text.encode()).decode() for text in texts] == ecmascript(texts)
