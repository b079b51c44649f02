"""The operator API's client, for a casino backend to import, and what `playhub-ops` runs on.

    from playhub_ops import OperatorClient
    client = OperatorClient("https://abc.execute-api.eu-west-1.amazonaws.com/live")  # SigV4-signed
    client.deposit("alice", "EUR", "50.00", reference="wire-1")
    for entry in client.transactions("alice", "EUR"):
        ...

Requests to a deployed stack (an execute-api URL) are signed with SigV4 from your AWS
credentials, as its IAM-guarded routes require; the local stack (`make run`) takes them unsigned.
Every answer is the API's JSON, typed below; an error answer raises OperatorApiError, a stack
that cannot be reached OperatorUnreachable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, TypedDict, cast
from urllib.parse import quote

import requests

DEFAULT_URL = "http://127.0.0.1:3000"
_EXECUTE_API = re.compile(r"^https://[^.]+\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")


class OperatorApiError(Exception):
    """The operator API answered with an error: {message, details} and the HTTP status."""

    def __init__(self, status: int, message: str, details: str) -> None:
        super().__init__(f"{status} {message}" + (f": {details}" if details else ""))
        self.status = status
        self.message = message
        self.details = details


class OperatorUnreachable(Exception):
    """No answer at all: nothing listens at the URL, the network failed, or it timed out."""


class MissingCredentials(Exception):
    """A deployed stack's routes are IAM-guarded, and no AWS credentials were found to sign with."""


class Wallet(TypedDict):
    currency: str
    balance: str
    blocked: bool


class Wallets(TypedDict):
    player_id: str
    wallets: list[Wallet]


class Transfer(TypedDict):
    balance: str
    tx_id: str
    replayed: bool


class Entry(TypedDict):
    """One ledger entry (the OpenAPI document's Entry); fields that do not apply are None."""

    tx_id: str
    seq: int
    action: str
    playhub_tx_id: str
    outcome: str
    amount: str | None
    balance_change: str | None
    balance_after: str | None
    created_at: str
    session_id: str | None
    round_id: str | None
    game_id: str | None
    type: str | None
    frc_id: str | None
    orig_tx_id: str | None
    refunded_by: str | None


class HistoryPage(TypedDict):
    transactions: list[Entry]
    next_cursor: str | None


class Launched(TypedDict):
    session_id: str | None
    game_url: str
    game_session_id: str


class Blocked(TypedDict):
    player_id: str
    blocked: bool
    wallets: list[str]


class OperatorClient:
    def __init__(self, base_url: str = DEFAULT_URL, *, iam: bool | None = None, timeout: float = 20.0) -> None:
        if not re.match(r"^https?://[^/]", base_url):
            raise ValueError(f"the operator API's URL needs http:// or https://, as in {DEFAULT_URL}: {base_url!r}")
        self.base_url = base_url.rstrip("/")
        region = _EXECUTE_API.match(self.base_url)
        self._region = region.group(1) if region else None
        self._iam = bool(region) if iam is None else iam
        self._timeout = timeout
        self._session = requests.Session()

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: dict[str, str] | None = None,
        answers: tuple[int, ...] = (),
    ) -> Any:
        """One request; the answer's JSON, or OperatorApiError / OperatorUnreachable. `answers`: error
        statuses whose body is the answer (GET /health's 503 lists what failed)."""
        url = self.base_url + path
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        if self._iam:
            headers = self.sign(method, url, data, headers, query)
        try:
            response = self._session.request(
                method, url, data=data, headers=headers, params=query, timeout=self._timeout
            )
        except requests.Timeout:
            raise OperatorUnreachable(f"{self.base_url} did not answer within {self._timeout:g} s") from None
        except requests.ConnectionError as exc:
            refused = "refused" in str(exc).lower()
            reason = "nothing listens there" if refused else "the connection failed"
            raise OperatorUnreachable(f"cannot reach {self.base_url}: {reason}") from None
        try:
            answer = response.json()
        except ValueError:
            answer = {"message": response.reason, "details": response.text[:200]}
        if response.status_code >= 400 and response.status_code not in answers:
            details = answer.get("details", "") if isinstance(answer, dict) else ""
            message = answer.get("message", response.reason) if isinstance(answer, dict) else response.reason
            raise OperatorApiError(response.status_code, str(message), str(details or ""))
        return answer

    def sign(
        self, method: str, url: str, data: bytes | None, headers: dict[str, str], query: dict[str, str] | None = None
    ) -> dict[str, str]:
        """The headers with a SigV4 signature for execute-api, from the default AWS credentials."""
        from botocore.auth import SigV4Auth  # noqa: PLC0415 - only for deployed stacks
        from botocore.awsrequest import AWSRequest  # noqa: PLC0415
        from botocore.session import get_session  # noqa: PLC0415

        session = get_session()
        credentials = session.get_credentials()
        if credentials is None:
            raise MissingCredentials(
                "no AWS credentials to sign with: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )
        region = self._region or session.get_config_variable("region") or "us-east-1"
        request = AWSRequest(method=method, url=url, data=data, headers=headers, params=query)
        SigV4Auth(credentials, "execute-api", region).add_auth(request)
        return dict(request.headers.items())

    # Players and their money ---------------------------------------------------------------

    def launch(self, player_id: str, game_id: str, currency: str, locale: str = "en_us", **options: Any) -> Launched:
        """Start a game: our session, then the provider's game URL. options: provider (playhub or
        swipe), platform, demo, return_url, firstname, lastname, nickname, country."""
        body = {"player_id": player_id, "game_id": game_id, "currency": currency, "locale": locale}
        body |= {name: value for name, value in options.items() if value is not None}
        return cast(Launched, self.call("POST", "/games/launch", body))

    def deposit(self, player_id: str, currency: str, amount: str | Decimal, reference: str) -> Transfer:
        """Idempotent on reference: the same reference again answers the first transfer."""
        return self.transfer("deposits", player_id, currency, amount, reference)

    def withdraw(self, player_id: str, currency: str, amount: str | Decimal, reference: str) -> Transfer:
        return self.transfer("withdrawals", player_id, currency, amount, reference)

    def transfer(
        self, direction: str, player_id: str, currency: str, amount: str | Decimal, reference: str
    ) -> Transfer:
        path = f"/players/{_seg(player_id)}/wallets/{_seg(currency)}/{direction}"
        return cast(Transfer, self.call("POST", path, {"amount": str(amount), "reference": reference}))

    def wallets(self, player_id: str) -> Wallets:
        """The player's balance in each currency."""
        return cast(Wallets, self.call("GET", f"/players/{_seg(player_id)}/wallets"))

    def history(self, player_id: str, currency: str, limit: int = 20, cursor: str | None = None) -> HistoryPage:
        """One page of the wallet's ledger, newest first; next_cursor leads to the next."""
        query = {"limit": str(limit), **({"cursor": cursor} if cursor else {})}
        path = f"/players/{_seg(player_id)}/wallets/{_seg(currency)}/transactions"
        return cast(HistoryPage, self.call("GET", path, query=query))

    def transactions(self, player_id: str, currency: str, page_size: int = 100) -> Iterator[Entry]:
        """Every entry of the wallet, newest first, page after page."""
        cursor: str | None = None
        while True:
            page = self.history(player_id, currency, page_size, cursor)
            yield from page["transactions"]
            cursor = page["next_cursor"]
            if not cursor:
                return

    def block(self, player_id: str, blocked: bool = True) -> Blocked:
        """Refuse (or allow again) the player's bets; wins and refunds still land."""
        return cast(Blocked, self.call("PUT", f"/players/{_seg(player_id)}/block", {"blocked": blocked}))

    def game_round(
        self, player_id: str, round_id: str, game_id: str | None = None, currency: str | None = None
    ) -> dict[str, Any]:
        """One round as Playhub sees it, beside our ledger's entries for it."""
        query = {name: value for name, value in (("game_id", game_id), ("currency", currency)) if value}
        return cast(
            dict[str, Any], self.call("GET", f"/players/{_seg(player_id)}/rounds/{_seg(round_id)}", query=query)
        )

    # Playhub's catalogue, legal bets and campaigns -------------------------------------------

    def games(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self.call("GET", "/games"))

    def currencies(self) -> list[dict[str, Any]]:
        return cast(list[dict[str, Any]], self.call("GET", "/currencies"))

    def catalogue(self) -> dict[str, Any]:
        """When Playhub's catalogue was last loaded."""
        return cast(dict[str, Any], self.call("GET", "/catalogue"))

    def legal_bets(self, currency: str | None = None, game_id: str | None = None) -> dict[str, Any]:
        return cast(dict[str, Any], self.call("GET", _legal_bets_path(currency, game_id)))

    def set_legal_bets(self, currency: str, lines: str | list[str], game_id: str | None = None) -> dict[str, Any]:
        """Replace one table: Playhub's notation, "1.10:5.00, 1.20:5.00, ..." or a list of values."""
        return cast(dict[str, Any], self.call("PUT", _legal_bets_path(currency, game_id), {"lines": lines}))

    def create_campaign(self, **campaign: Any) -> dict[str, Any]:
        """external_id, game_id, currency, quantity, bet_line, valid_from[, valid_until, user_ids]."""
        return cast(dict[str, Any], self.call("POST", "/campaigns", campaign))

    def campaign(self, external_id: str, *, live: bool = False) -> dict[str, Any]:
        """Our record; live: also Playhub's state of it now, and where the two differ."""
        query = {"live": "true"} if live else None
        return cast(dict[str, Any], self.call("GET", f"/campaigns/{_seg(external_id)}", query=query))

    def campaign_for_frc(self, frc_id: str) -> dict[str, Any]:
        return cast(dict[str, Any], self.call("GET", f"/campaigns/by-frc/{_seg(frc_id)}"))

    def change_campaign(self, external_id: str, **change: Any) -> dict[str, Any]:
        """valid_until and/or user_ids."""
        return cast(dict[str, Any], self.call("PUT", f"/campaigns/{_seg(external_id)}", change))

    def health(self) -> dict[str, Any]:
        """Whether the stack can serve: {"status": "ok" | "failing", "checks": [{name, ok, detail}]}."""
        answer: dict[str, Any] = self.call("GET", "/health", answers=(503,))
        return answer

    def cancel_campaign(self, external_id: str) -> dict[str, Any]:
        return cast(dict[str, Any], self.call("POST", f"/campaigns/{_seg(external_id)}/cancel"))


def _legal_bets_path(currency: str | None, game_id: str | None) -> str:
    if game_id and not currency:
        raise ValueError("a game's legal bets table needs its currency")
    path = f"/legal-bets/{_seg(currency)}" if currency else "/legal-bets"
    return f"{path}/games/{_seg(game_id)}" if game_id else path


def _seg(value: str) -> str:
    return quote(value, safe="")
