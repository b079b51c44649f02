"""X-REQUEST-SIGN: HMAC-SHA256 over canonical JSON, both directions.

See docs/playhub-contract.md, "Signing".
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

SIGNATURE_HEADER = "X-REQUEST-SIGN"


def canonical_json(value: Any) -> bytes:
    """Keys sorted at every depth, no whitespace, UTF-8.

    Numbers keep their decimal text (bodies are parsed with Decimal), so no float ever
    enters a signature.
    """
    return _canonical(value).encode("utf-8")


def _canonical(value: Any) -> str:
    if isinstance(value, Mapping):
        members = (f"{_string(str(key))}:{_canonical(value[key])}" for key in sorted(value))
        return "{" + ",".join(members) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_canonical(item) for item in value) + "]"
    if isinstance(value, str):
        return _string(value)
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | Decimal):
        return str(value)
    raise TypeError(f"cannot sign a value of type {type(value).__name__}")


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def sign(key: str, message: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of message under key."""
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def parse_json_body(raw_body: bytes) -> Any:
    """The body as JSON with numbers kept as Decimal; raises ValueError when it is not JSON."""
    return json.loads(raw_body.decode("utf-8"), parse_float=Decimal, parse_constant=_not_json)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def verify_callback(signature: str | None, raw_body: bytes, parsed_body: Any | None, keys: Iterable[str]) -> bool:
    """True when the signature matches any valid key over the canonical JSON or the raw bytes.

    Every candidate is compared in constant time, and all of them are compared, so timing
    says nothing about which key or form came close.
    """
    if not signature:
        return False
    provided = signature.strip().lower().encode("ascii", errors="replace")
    messages = [raw_body]
    if parsed_body is not None:
        messages.append(canonical_json(parsed_body))
    matched = False
    for key in keys:
        for message in messages:
            expected = sign(key, message).encode("ascii")
            matched |= hmac.compare_digest(expected, provided)
    return matched
