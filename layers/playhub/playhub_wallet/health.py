"""GET /health: can this stack serve Playhub, Swipe Games and the casino right now?

It reads what every callback reads before it moves money (the table, the catalogue's currencies
and each provider's callback key) and what the operator's routes need to call the providers (the
API keys; Swipe's only where the stack serves Swipe). Each
check says whether it holds and why not, never what a key is: a count is all it tells of keys.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Literal

from playhub_wallet.catalogue import Currencies
from playhub_wallet.dynamodb.catalogue import CatalogueTable
from playhub_wallet.errors import ServiceUnavailable
from playhub_wallet.runtime import table_from_environment
from playhub_wallet.secret_keys import KeySource
from playhub_wallet.settings import CoreApiSettings, Settings, swipe_from_environment


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class HealthParts:
    """What the checks read: the catalogue's currencies item, and the two key sources."""

    currencies: Callable[[], Currencies | None]
    callback_keys: KeySource
    api_keys: KeySource
    swipe_callback_keys: KeySource | None = None  # None: no source configured, itself a failure
    swipe_api_keys: KeySource | None = None  # None: the stack does not serve Swipe's Core API


def check_health(parts: HealthParts) -> list[Check]:
    swipe_callback = (
        _key_check("Swipe callback key", parts.swipe_callback_keys)
        if parts.swipe_callback_keys is not None
        else Check("Swipe callback key", False, "not configured")
    )
    return [
        *_ledger_checks(parts.currencies),
        _key_check("callback key", parts.callback_keys),
        _key_check("API key", parts.api_keys),
        swipe_callback,
        *([_key_check("Swipe API key", parts.swipe_api_keys)] if parts.swipe_api_keys is not None else []),
    ]


def status_of(checks: list[Check]) -> Literal["ok", "failing"]:
    return "ok" if all(check.ok for check in checks) else "failing"


def _ledger_checks(read_currencies: Callable[[], Currencies | None]) -> list[Check]:
    try:
        currencies = read_currencies()
    except Exception as exc:  # the reason's class (AccessDenied, ResourceNotFound, ...) is no secret
        reason = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
        return [
            Check("ledger table", False, f"not readable ({reason})"),
            Check("catalogue", False, "not checked: the table is not readable"),
        ]
    table = Check("ledger table", True, "readable")
    if currencies is None or not currencies.currencies:
        return [table, Check("catalogue", False, "not loaded: callbacks refuse every currency until it is")]
    return [table, Check("catalogue", True, f"{len(currencies.currencies)} currencies loaded")]


def _key_check(name: str, source: KeySource) -> Check:
    try:
        keys = source.current()
    except ServiceUnavailable:
        return Check(name, False, "not readable")
    return Check(name, True, f"{len(keys)} key{'s' if len(keys) != 1 else ''} readable")


@cache
def health_parts() -> HealthParts:
    """The health function's composition root, built once per container."""
    settings = Settings.from_environment()
    try:
        swipe_callback_keys: KeySource | None = settings.swipe_callback_key_source()
    except RuntimeError:  # no source set: the check says so rather than the function failing
        swipe_callback_keys = None
    swipe = swipe_from_environment()
    return HealthParts(
        CatalogueTable(table_from_environment(settings)).currencies,
        settings.callback_key_source(),
        CoreApiSettings.from_environment().api_key_source(),
        swipe_callback_keys,
        swipe.api_key_source() if swipe is not None else None,
    )
