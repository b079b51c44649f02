"""Playhub's Core API (us → Playhub): game launch, catalogue, currencies, round history, free rounds.

Every request is signed with the API Token Key over canonical JSON (for a GET, of the query);
the exact signed bytes are sent. Retries: a connection that never opened is always retried;
a 5xx or a read timeout only where the call is safe to repeat (see docs/playhub-contract.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Annotated, Any, TypeVar

import requests
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, TypeAdapter, ValidationError
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from playhub_wallet.errors import Conflict, NotFound, ServiceUnavailable, TryAgain, UpstreamError, UpstreamTimeout
from playhub_wallet.signing import SIGNATURE_HEADER, canonical_json, sign

STAGING_URL = "https://staging.fastplaynetwork.com/api/v1"
PRODUCTION_URL = "https://prod.fastplaynetwork.com/api/v1"
PROVIDER_ID = "playhub"

Timestamp = Annotated[
    AwareDatetime,
    PlainSerializer(lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), return_type=str),
]


class CoreApiError(Exception):
    """Playhub answered with an error, or could not be reached."""

    def __init__(self, status: int | None, message: str, details: str = "") -> None:
        super().__init__(f"{status or 'no answer'}: {message}")
        self.status = status
        self.message = message
        self.details = details


class CoreApiTimeout(CoreApiError):
    """No answer in time; the call may or may not have been carried out."""

    def __init__(self, details: str = "") -> None:
        super().__init__(None, "Playhub did not answer in time", details)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class User(_Model):
    id: str
    firstname: str | None = None
    lastname: str | None = None
    nickname: str | None = None
    country: str | None = None


class CreateGameRequest(_Model):
    gameid: str
    currency: str
    locale: str  # lowercase with an underscore: en_us
    sessionid: str | None = None  # ours; omitted for a demo game
    extcid: str | None = None
    providerid: str = PROVIDER_ID
    returnurl: str | None = None
    demo: bool | None = None
    user: User | None = None


class CreateGameResponse(_Model):
    game_url: str
    game_session_id: str


class GameInfo(_Model):
    id: str
    title: str
    locales: str
    thumbnail: str
    free_spins: bool


class CurrencyInfo(_Model):
    code: str
    name: str
    symbol: str
    decimal_places: int
    is_crypto: bool
    is_virtual: bool = False
    is_fractional_for: str | None = None


class RoundHistory(_Model):
    round_id: str
    game_session_id: str
    client_hash: str
    bet_amount: str
    currency: str
    target_multiplier: str
    result: str
    payout_amount: str
    payout_multiplier: str
    user_balance: str
    user_bonus_balance: str
    cash_out_at: str
    round_url: str | None = None


class FreeRounds(_Model):
    id: str
    external_id: str
    cid: str
    game_id: str
    currency: str
    quantity: int
    bet_line: int
    valid_from: Timestamp
    user_ids: list[str] | None = None
    valid_until: Timestamp | None = None
    deleted_at: Timestamp | None = None


class CreateFreeRoundsRequest(_Model):
    external_id: str = Field(min_length=1)  # ours; Playhub accepts each one once
    external_cid: str  # our casino id (extcid), required here (optional at game creation)
    game_id: str
    currency: str
    quantity: int = Field(ge=1, le=99)
    bet_line: int = Field(ge=1, le=99)
    valid_from: Timestamp  # must be in the future
    provider_id: str = PROVIDER_ID
    user_ids: list[str] | None = None
    valid_until: Timestamp | None = None


class UpdateFreeRoundsRequest(_Model):
    id: str | None = None
    external_id: str | None = None
    user_ids: list[str] | None = None
    valid_until: Timestamp | None = None


class FreeRoundsRef(_Model):
    id: str
    external_id: str


T = TypeVar("T")
_GAME = TypeAdapter(CreateGameResponse)
_GAMES = TypeAdapter(list[GameInfo])
_CURRENCIES = TypeAdapter(list[CurrencyInfo])
_ROUND = TypeAdapter(RoundHistory)
_FREE_ROUNDS = TypeAdapter(FreeRounds)
_FREE_ROUNDS_REF = TypeAdapter(FreeRoundsRef)

# Connections that never opened carry no request, so retrying them is always safe.
CONNECT_ONLY_RETRY = Retry(
    total=2, connect=2, read=0, status=0, other=0, backoff_factor=0.2, allowed_methods=None, raise_on_status=False
)
# Reads and idempotent writes may also be retried after a 5xx or a dropped answer.
SAFE_TO_REPEAT_RETRY = Retry(
    total=1,
    connect=1,
    read=1,
    status=1,
    other=0,
    backoff_factor=0.2,
    allowed_methods=None,
    status_forcelist=(500, 502, 503, 504),
    raise_on_status=False,
)


def pooled_session(retry: Retry) -> requests.Session:
    """A session whose connections retry as `retry` says (CONNECT_ONLY_RETRY or SAFE_TO_REPEAT_RETRY);
    the Swipe client (swipe_core_api.py) shares these policies."""
    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=retry, pool_maxsize=10))
    session.mount("http://", HTTPAdapter(max_retries=retry, pool_maxsize=10))
    return session


class CoreApiClient:
    def __init__(
        self,
        base_url: str,
        cid: str,
        api_key: Callable[[], str],
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 10.0,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._cid = cid
        self._api_key = api_key
        self._timeout = (connect_timeout, read_timeout)
        self._once = pooled_session(CONNECT_ONLY_RETRY)
        self._repeatable = pooled_session(SAFE_TO_REPEAT_RETRY)

    # Endpoints -----------------------------------------------------------------------------

    def create_game(self, request: CreateGameRequest) -> CreateGameResponse:
        """Not repeated after a 5xx or timeout: a second launch would open a second game session."""
        return self._post("/game-create-new", request, _GAME, repeatable=False)

    def games(self, thumbnail_shape: str | None = None) -> list[GameInfo]:
        query = {"thumbnail_shape": thumbnail_shape} if thumbnail_shape else {}
        return self._get("/games", query, _GAMES)

    def currencies(self) -> list[CurrencyInfo]:
        return self._get("/currencies", {}, _CURRENCIES)

    def round_history(self, game_id: str, round_id: str, user_id: str) -> RoundHistory:
        payload = {"game_id": game_id, "round_id": round_id, "user_id": user_id}
        # The one Core API body without our cid: GetGameRoundHistoryRequest has no such field.
        return self._send("POST", "/game-round-history", payload, _ROUND, repeatable=True, with_cid=False)

    def free_rounds(self, *, id: str | None = None, external_id: str | None = None) -> FreeRounds:
        query = {"id": id} if id else {"ext_id": _required(external_id, "id or external_id")}
        return self._get("/free-rounds", query, _FREE_ROUNDS)

    def create_free_rounds(self, request: CreateFreeRoundsRequest) -> FreeRoundsRef:
        """Not repeated: a retried create after a lost answer would meet 409 for its own external_id."""
        return self._post("/free-rounds", request, _FREE_ROUNDS_REF, repeatable=False)

    def update_free_rounds(self, request: UpdateFreeRoundsRequest) -> FreeRoundsRef:
        return self._send("PUT", "/free-rounds", _with_id(request), _FREE_ROUNDS_REF, repeatable=True)

    def cancel_free_rounds(self, *, id: str | None = None, external_id: str | None = None) -> FreeRoundsRef:
        payload = {"id": id} if id else {"external_id": _required(external_id, "id or external_id")}
        return self._send("POST", "/free-rounds/cancel", payload, _FREE_ROUNDS_REF, repeatable=True)

    # Transport -----------------------------------------------------------------------------

    def _post(self, path: str, request: BaseModel, answer: TypeAdapter[T], *, repeatable: bool) -> T:
        return self._send(
            "POST", path, request.model_dump(mode="json", exclude_none=True), answer, repeatable=repeatable
        )

    def _send(
        self,
        method: str,
        path: str,
        payload: Mapping[str, Any],
        answer: TypeAdapter[T],
        *,
        repeatable: bool,
        with_cid: bool = True,
    ) -> T:
        body = canonical_json({"cid": self._cid, **payload} if with_cid else dict(payload))
        headers = {SIGNATURE_HEADER: sign(self._api_key(), body), "Content-Type": "application/json"}
        session = self._repeatable if repeatable else self._once
        return self._call(session, method, path, answer, data=body, headers=headers)

    def _get(self, path: str, query: Mapping[str, str], answer: TypeAdapter[T]) -> T:
        params = {"cid": self._cid, **{name: str(value) for name, value in query.items()}}
        headers = {SIGNATURE_HEADER: sign(self._api_key(), canonical_json(params))}
        return self._call(self._repeatable, "GET", path, answer, params=params, headers=headers)

    def _call(self, session: requests.Session, method: str, path: str, answer: TypeAdapter[T], **kwargs: Any) -> T:
        url = self._base_url + path
        try:
            response = session.request(method, url, timeout=self._timeout, **kwargs)
        except requests.Timeout as exc:
            raise CoreApiTimeout(f"{method} {path}: {type(exc).__name__}") from exc
        except requests.ConnectionError as exc:
            # urllib3 wraps a read timeout it did not retry in MaxRetryError: the request was sent.
            reason = getattr(exc.args[0], "reason", None) if exc.args else None
            if isinstance(reason, ReadTimeoutError):
                raise CoreApiTimeout(f"{method} {path}: read timeout") from exc
            raise CoreApiError(None, "Playhub is unreachable", f"{method} {path}: {type(exc).__name__}") from exc
        except requests.RequestException as exc:
            raise CoreApiError(None, "Playhub is unreachable", f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _error_from(response, method, path)
        try:
            return answer.validate_json(response.content)
        except ValidationError as exc:
            raise CoreApiError(
                response.status_code,
                "unexpected answer from Playhub",
                f"{method} {path}: {exc.error_count()} field errors",
            ) from exc


def call_playhub(call: Callable[[], T]) -> T:
    """A Core API call for our operator's API: Playhub's failures as our errors (502, 504, 409, 404),
    and our API key unreadable (Secrets Manager down or denied) as a 503."""
    try:
        return call()
    except ServiceUnavailable as exc:  # raised by the key source in Playhub's terms: answer in ours
        raise TryAgain(exc.details) from exc
    except CoreApiTimeout as exc:
        raise UpstreamTimeout(exc.details) from exc
    except CoreApiError as exc:
        if exc.status == 409:
            raise Conflict(exc.message) from exc
        if exc.status == 404:
            raise NotFound(f"Playhub: {exc.message}") from exc
        raise UpstreamError(f"Playhub answered {exc.status or 'nothing'}: {exc.message}") from exc


def _error_from(response: requests.Response, method: str, path: str) -> CoreApiError:
    try:
        body = response.json()
        message, details = str(body.get("message", "")), str(body.get("details", ""))
    except (ValueError, AttributeError):
        message, details = "", ""
    return CoreApiError(response.status_code, message or response.reason or "error", details or f"{method} {path}")


def _with_id(request: UpdateFreeRoundsRequest) -> dict[str, Any]:
    if not (request.id or request.external_id):
        raise ValueError("id or external_id is required")
    return request.model_dump(mode="json", exclude_none=True)


def _required(value: str | None, what: str) -> str:
    if not value:
        raise ValueError(f"{what} is required")
    return value
