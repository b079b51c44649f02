"""Swipe Games' X-REQUEST-SIGN: HMAC-SHA256 over RFC 8785 (JCS) canonical JSON.

See docs/swipe-contract.md, "Signing", and SWIPE.md §3-§4. Playhub's signer (signing.py) keeps
a number's decimal text; Swipe's SDKs re-serialize numbers as ECMAScript does, so `100.50`
signs as `100.5`. Numbers stay Decimal here too: the ECMAScript form is written from the
Decimal's own digits, and a number whose ECMAScript form would not denote the same value (more
precision than a double holds, out of a double's range) is refused rather than signed rounded.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

SIGNATURE_HEADER = "X-REQUEST-SIGN"

# ECMAScript writes a number in plain notation while its decimal exponent is below 21 (ECMA-262
# Number::toString, which RFC 8785 §3.2.2.3 adopts), and small numbers down to 1e-6.
_PLAIN_UP_TO = 21
_PLAIN_DOWN_TO = -6

_ESCAPED = re.compile(r'[\x00-\x1f"\\]')
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class NotCanonical(ValueError):
    """A value that JCS cannot carry faithfully, so that no signature over it can be trusted."""


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical form of a JSON value (dict, list, str, int, Decimal, bool, None).

    Keys sorted by UTF-16 code units at every depth, no whitespace, UTF-8, strings escaped as
    ECMAScript's JSON.stringify does, numbers as ECMAScript's Number::toString. Raises
    NotCanonical for a number or string JCS cannot carry exactly, TypeError for a float or any
    other type (money is never a float).
    """
    try:
        return _canonical(value).encode("utf-8")
    except RecursionError:
        raise NotCanonical("nested too deeply to canonicalize") from None


def _canonical(value: Any) -> str:
    if isinstance(value, Mapping):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("object keys must be strings")
        keys = sorted(value, key=_utf16_order)
        return "{" + ",".join(f"{_string(key)}:{_canonical(value[key])}" for key in keys) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        return ecmascript_number(value)
    raise TypeError(f"cannot sign a value of type {type(value).__name__}")


def _utf16_order(key: str) -> bytes:
    _refuse_lone_surrogates(key)
    # Big-endian code units compare byte by byte in code-unit order (RFC 8785 §3.2.3).
    return key.encode("utf-16-be")


def _string(text: str) -> str:
    _refuse_lone_surrogates(text)
    return '"' + _ESCAPED.sub(_escape, text) + '"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT_ESCAPES.get(char) or f"\\u{ord(char):04x}"


def _refuse_lone_surrogates(text: str) -> None:
    # I-JSON (RFC 7493), which RFC 8785 requires, has no unpaired surrogates; UTF-8 cannot carry them.
    if _LONE_SURROGATE.search(text):
        raise NotCanonical("a string holds an unpaired UTF-16 surrogate")


def ecmascript_number(value: int | Decimal) -> str:
    """The text ECMAScript gives the double nearest `value`, when that text denotes `value` itself.

    Zero of either sign is `0`. A number that a double does not carry exactly in its shortest
    form (0.12345678901234567890, 2**53 + 1, 1e400, 1e-400, NaN, Infinity) raises NotCanonical:
    JCS would sign a different number than the one the body holds.
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    number = Decimal(value)
    if not number.is_finite():
        raise NotCanonical(f"{number} is not a JSON number")
    if number.is_zero():
        return "0"
    # The only use of a float: does the shortest text of the nearest double (Python's repr and
    # ECMAScript choose the same digits) read back as this very number? The text signed is
    # written below from the Decimal's own digits, never from the float.
    if Decimal(repr(float(number))) != number:
        raise NotCanonical(f"{number} does not survive as an IEEE 754 double, so JCS cannot sign it")
    negative, digit_tuple, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    exponent += len(digit_tuple) - len(digits)
    k = len(digits)
    n = exponent + k  # the value is 0.<digits> x 10**n
    if k <= n <= _PLAIN_UP_TO:
        text = digits + "0" * (n - k)
    elif 0 < n <= _PLAIN_UP_TO:
        text = digits[:n] + "." + digits[n:]
    elif _PLAIN_DOWN_TO < n <= 0:
        text = "0." + "0" * -n + digits
    else:
        mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
        text = f"{mantissa}e{n - 1:+d}"
    return ("-" if negative else "") + text


def parse_json(raw: bytes) -> Any:
    """JSON as I-JSON reads it: UTF-8, numbers as int or Decimal, no repeated names, no NaN.

    Raises ValueError (UnicodeDecodeError and json.JSONDecodeError included) when it is not.
    """
    try:
        return json.loads(
            raw.decode("utf-8"), parse_float=Decimal, parse_constant=_not_json, object_pairs_hook=_unique_names
        )
    except RecursionError:
        raise ValueError("nested too deeply to read") from None


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        raise ValueError("an object repeats a name")
    return members


def canonicalize(raw: bytes) -> bytes:
    """The canonical form of a JSON text; ValueError when it is not JSON or JCS cannot carry it."""
    return canonical_json(parse_json(raw))


def sign(key: str, message: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of message under key (SWIPE.md §3.1)."""
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


# Us to Swipe's Core API (SWIPE.md §3.2, first two rows).


def signed_body(key: str, payload: Mapping[str, Any]) -> tuple[bytes, str]:
    """A Core API POST (or DELETE) body and its X-REQUEST-SIGN: send exactly these bytes."""
    body = canonical_json(payload)
    return body, sign(key, body)


def query_signature(key: str, query: Mapping[str, str]) -> str:
    """A Core API GET's X-REQUEST-SIGN: over the canonical JSON of its query, values as strings.

    The URL must carry the same names and values; a value that is not already a string is a
    TypeError, so that `True` is never signed as `true` and sent as `True`.
    """
    return sign(key, query_message(query))


def query_message(query: Mapping[str, str]) -> bytes:
    """What a query is signed over: its names and values (strings) as canonical JSON."""
    if not all(isinstance(name, str) and isinstance(value, str) for name, value in query.items()):
        raise TypeError("query names and values are signed as strings")
    return canonical_json(query)


# Swipe to us: the callbacks (SWIPE.md §3.2, last two rows).


def balance_query(event: Mapping[str, Any]) -> dict[str, str]:
    """The query of an API Gateway REST proxy event, with the first value of every name.

    Read from multiValueQueryStringParameters: queryStringParameters keeps the last value of a
    repeated name, and Swipe signs the first (SWIPE.md §3.3). No query at all is `{}`.
    """
    multi = event.get("multiValueQueryStringParameters") or {}
    return {name: values[0] for name, values in multi.items() if values}


def verify_query(signature: str | None, query: Mapping[str, str], keys: Iterable[str]) -> bool:
    """True when signature matches any key over the canonical JSON of the query (GET /balance)."""
    try:
        message = query_message(query)
    except (TypeError, NotCanonical):
        return False
    return _matches(signature, [message], keys)


def verify_body(signature: str | None, raw_body: bytes, keys: Iterable[str]) -> bool:
    """True when signature matches any key over the raw body or, failing that, its canonical form.

    Swipe sends POST bodies already canonical and signs those bytes; the SDKs sign the JCS form
    of the parsed body, which is the same bytes for a canonical body and is accepted too (the
    house rule of signing.verify_callback). A body that is not JSON, or that JCS cannot carry,
    has only its raw bytes to match.
    """
    messages = [raw_body]
    with contextlib.suppress(ValueError):
        messages.append(canonicalize(raw_body))
    return _matches(signature, messages, keys)


def _matches(signature: str | None, messages: Sequence[bytes], keys: Iterable[str]) -> bool:
    """Every (key, message) pair compared in constant time, all of them, whatever matched first.

    An empty key is skipped: anyone can compute an HMAC under it.
    """
    if not signature:
        return False
    provided = signature.strip().lower().encode("ascii", errors="replace")
    matched = False
    for key in keys:
        if not key:
            continue
        for message in messages:
            matched |= hmac.compare_digest(sign(key, message).encode("ascii"), provided)
    return matched
