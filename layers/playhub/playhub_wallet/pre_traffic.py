"""The check CodeDeploy runs before a new callback version takes any of Playhub's traffic.

Each new version gets one request signed with its provider's callback key, as that provider would
send it, for a session that does not exist: for Playhub a balance to /balance and to the one URL,
a bet, a win and a refund to theirs; for Swipe Games a signed GET /swipe/balance and a bet, a win
and a refund to theirs, on a Swipe session. A version that starts, reads the key (a wrong or
unreadable key answers 401 or 500), reads the catalogue and the ledger, and refuses the session
answers 404 "session not found". That answer, and no other, passes. Nothing is written: every
callback refuses an unknown session before it writes (rules._require_session comes before any
entry is made).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from playhub_wallet import signing, swipe_requests, swipe_signing
from playhub_wallet.catalogue import Currencies
from playhub_wallet.errors import SessionNotFound
from playhub_wallet.playhub_requests import api_gateway_event, playhub_id, refund_payload, round_payload, signed_body
from playhub_wallet.sessions import new_session_id
from playhub_wallet.state import Provider

# Environment variable -> the route its function serves and the callback the check sends there.
CHECKS = {
    "CHECK_BALANCE": ("/balance", "balance"),
    "CHECK_BET": ("/bet", "bet"),
    "CHECK_WIN": ("/win", "win"),
    "CHECK_REFUND": ("/refund", "refund"),
    "CHECK_CALLBACK": ("/callback", "balance"),  # the one URL: the body's action picks the callback
}
# The same for Swipe Games' callbacks, signed with Swipe's key on a Swipe session.
SWIPE_CHECKS = {
    "CHECK_SWIPE_BALANCE": ("/swipe/balance", "balance"),
    "CHECK_SWIPE_BET": ("/swipe/bet", "bet"),
    "CHECK_SWIPE_WIN": ("/swipe/win", "win"),
    "CHECK_SWIPE_REFUND": ("/swipe/refund", "refund"),
}
ALL_CHECKS = {**CHECKS, **SWIPE_CHECKS}
CHECK_PLAYER = "pre-traffic-check"
PREFERRED_CURRENCY = "EUR"  # any currency of the catalogue does; this one when Playhub lists it
EXPECTED_STATUS = SessionNotFound.status
EXPECTED_MESSAGE = SessionNotFound.message

# Sends an API Gateway event to a function version; returns its answer, or raises with the reason.
Invoke = Callable[[str, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Probe:
    """One signed request for one function version."""

    target: str  # the version's ARN
    route: str
    body: str
    signature: str
    method: str = "POST"
    query: tuple[tuple[str, str], ...] = ()  # GET /swipe/balance's, signed instead of a body

    def event(self) -> dict[str, Any]:
        """The request as API Gateway's REST proxy integration hands it to the function."""
        headers = {signing.SIGNATURE_HEADER: self.signature}
        return api_gateway_event(
            self.route,
            self.body,
            headers,
            stage="pre-traffic",
            source_ip="127.0.0.1",
            user_agent=CHECK_PLAYER,
            method=self.method,
            query=list(self.query),
        )


def probe_currency(currencies: Currencies | None) -> str:
    """A currency the callbacks know (they refuse any other with a 500): the cached catalogue's."""
    codes = [currency.code for currency in currencies.currencies] if currencies else []
    if not codes:
        raise ValueError("the catalogue holds no currency: load it (CatalogueFunction), then release again")
    return PREFERRED_CURRENCY if PREFERRED_CURRENCY in codes else sorted(codes)[0]


def probes(
    targets: Mapping[str, str], key: str, currency: str = PREFERRED_CURRENCY, *, swipe_key: str | None = None
) -> list[Probe]:
    """One probe per function named in targets (CHECK_* -> version ARN), all on one unknown session
    of the function's provider; Swipe's are signed with swipe_key, which they need."""
    session_id = new_session_id(CHECK_PLAYER, currency, CHECK_PLAYER)  # its random part is new
    swipe_session_id = new_session_id(CHECK_PLAYER, currency, CHECK_PLAYER, Provider.SWIPE)
    made = []
    for variable, target in sorted(targets.items()):
        if variable in SWIPE_CHECKS:
            if not swipe_key:
                raise ValueError(f"{variable}: Swipe's callback key is needed to sign its probe")
            made.append(_swipe_probe(target, *SWIPE_CHECKS[variable], swipe_session_id, swipe_key))
            continue
        route, action = CHECKS[variable]
        body, signature = signed_body(_payload(action, session_id), key)
        made.append(Probe(target, route, body, signature))
    return made


def _swipe_probe(target: str, route: str, callback: str, session_id: str, key: str) -> Probe:
    """Signed as Swipe signs: GET /balance over its query, the others over their canonical body."""
    if callback == "balance":
        query = {"sessionID": session_id}
        return Probe(target, route, "", swipe_signing.query_signature(key, query), "GET", tuple(query.items()))
    if callback == "refund":
        payload = swipe_requests.refund_payload(session_id, swipe_requests.swipe_id(), "0.01")
    else:
        payload = swipe_requests.round_payload(session_id, "0.01")
    body, signature = swipe_signing.signed_body(key, payload)
    return Probe(target, route, body.decode("utf-8"), signature)


def _payload(action: str, session_id: str) -> dict[str, str]:
    if action == "balance":
        return {"action": "balance", "session_id": session_id}
    if action == "refund":
        return refund_payload(session_id, playhub_id())
    return round_payload(action, session_id, "0.01")


def verdict(answer: Mapping[str, Any]) -> str | None:
    """None when the answer is the refusal a healthy version gives; else what was wrong with it."""
    status = answer.get("statusCode")
    try:
        body = json.loads(answer.get("body") or "")
    except (TypeError, ValueError):
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    if status == EXPECTED_STATUS and message == EXPECTED_MESSAGE:
        return None
    return f"answered {status} {message or 'without a JSON message'}, expected {EXPECTED_STATUS} {EXPECTED_MESSAGE}"


def run_checks(
    targets: Mapping[str, str],
    key: str,
    invoke: Invoke,
    *,
    currency: str = PREFERRED_CURRENCY,
    within_seconds: float = 60.0,
    swipe_key: str | None = None,
) -> list[str]:
    """Every failure, one line each (function version: reason); empty when every version passed.

    The versions are asked at once, and the answer comes within `within_seconds` whatever they do:
    a version that has not answered by then fails, so the hook can always report in time.
    """
    made = probes(targets, key, currency, swipe_key=swipe_key)
    pool = ThreadPoolExecutor(max_workers=len(made) or 1, thread_name_prefix="pre-traffic")
    try:
        asked = {probe: pool.submit(invoke, probe.target, probe.event()) for probe in made}
        wait(asked.values(), timeout=within_seconds)
        failures = []
        for probe, answer in asked.items():
            reason = _reason(answer, within_seconds)
            if reason:
                failures.append(f"{probe.target} ({probe.route}): {reason}")
        return failures
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # a hung invoke must not hold the report back


def _reason(answer: Future[dict[str, Any]], within_seconds: float) -> str | None:
    if not answer.done():
        return f"no answer within {within_seconds:g} s"
    error = answer.exception()
    if error is not None:  # a version that cannot be invoked fails the check, with the reason
        return f"not invoked: {error}"
    return verdict(answer.result())


def targets_from(environ: Mapping[str, str]) -> dict[str, str]:
    """The CHECK_* variables the template sets; a missing one is a template fault, not a pass."""
    missing = [variable for variable in ALL_CHECKS if not environ.get(variable)]
    if missing:
        raise ValueError(f"not set: {', '.join(missing)}")
    return {variable: environ[variable] for variable in ALL_CHECKS}
