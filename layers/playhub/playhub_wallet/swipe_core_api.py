"""Swipe Games' Core API (us → Swipe), v1.7.5: game launch, catalogue, free rounds create and cancel.

See SWIPE.md §7 and docs/swipe-contract.md, "Core API". Four operations, camelCase on the wire,
our `cID` and `extCID` in every request (the client adds both). A POST or DELETE body is the
RFC 8785 canonical JSON of the request, signed and sent as those exact bytes; a GET is signed
over the canonical JSON of its query, values as strings (swipe_signing, SWIPE.md §3.2).

Retries follow Playhub's client (core_api.py): a connection that never opened is always
retried; a 5xx or a dropped answer only where repeating is safe (`GET /games` and the cancel,
a `DELETE`); a create (`create-new-game`, `POST /free-rounds`) is never repeated. Failures are
core_api's CoreApiError and CoreApiTimeout, as SwipeCoreApiError and SwipeCoreApiTimeout, which
add Swipe's error `code` (SWIPE.md §6.2); an answer lost after the request went out is a
SwipeCoreApiTimeout too (the outcome is unknown), not "unreachable".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

import requests
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from playhub_wallet.core_api import (
    CONNECT_ONLY_RETRY,
    SAFE_TO_REPEAT_RETRY,
    CoreApiError,
    CoreApiTimeout,
    pooled_session,
)
from playhub_wallet.money import parse_amount_text
from playhub_wallet.swipe_signing import SIGNATURE_HEADER, query_signature, signed_body

STAGING_URL = "https://staging.platform.0.swipegames.io/api/v1"
PRODUCTION_URL = "https://prod.platform.1.swipegames.io/api/v1"

# "The request may take 10-20 seconds" (SWIPE.md §7.2): GET /games waits longer than that.
GAMES_MIN_READ_TIMEOUT_SECONDS = 20.0
# "A finite campaign should not exceed 30 days" (SWIPE.md §7.3).
MAX_CAMPAIGN_LENGTH = timedelta(days=30)

# Swipe's Core API error codes (ErrorResponse.code, SWIPE.md §6.2); an unknown one is kept as sent.
CoreErrorCode = Literal["game_not_found", "currency_not_supported", "locale_not_supported", "account_blocked"]
Platform = Literal["desktop", "mobile"]


class SwipeCoreApiError(CoreApiError):
    """Swipe answered with an error, or could not be reached (status None).

    A CoreApiError, so that code written for Playhub's failures (core_api.call_playhub) reads it
    the same way; `code` is Swipe's optional error code (game_not_found, ...), or None.
    """

    def __init__(self, status: int | None, message: str, details: str = "", code: str | None = None) -> None:
        CoreApiError.__init__(self, status, message, details)
        self.code = code


class SwipeCoreApiTimeout(SwipeCoreApiError, CoreApiTimeout):
    """No answer in time, or an answer lost once the request was sent: the call may or may not
    have been carried out (a create that ends so is not repeated; our own record must tell)."""

    def __init__(self, details: str = "", message: str = "Swipe did not answer in time") -> None:
        SwipeCoreApiError.__init__(self, None, message, details)


def _money(value: object) -> Decimal:
    """A decimal string ("10.50"), or a Decimal given in Python; never a JSON number or a float."""
    if isinstance(value, Decimal) and value.is_finite():
        value = format(value, "f")
    if not isinstance(value, str):
        raise ValueError("must be a decimal string or a Decimal")
    return parse_amount_text(value)


# A decimal string on the wire ("10.50"), a Decimal here; written back in plain notation.
Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    PlainSerializer(lambda amount: format(amount, "f"), return_type=str),
]
# RFC 3339 in UTC with milliseconds, as Swipe's example writes it: 2026-01-01T00:00:00.000Z.
Timestamp = Annotated[
    AwareDatetime,
    PlainSerializer(
        lambda moment: moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        return_type=str,
    ),
]
NonEmpty = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    # Python names in snake_case, wire names (Swipe's camelCase: cID, gameID, returnURL) as aliases.
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


# create-new-game (§7.1) --------------------------------------------------------------------


class User(_Model):
    """Swipe: "User should be provided for real game" (not demo)."""

    id: NonEmpty  # our player id
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    nick_name: str | None = Field(default=None, alias="nickName")
    country: str | None = None  # ISO 3166-1 alpha-2


class CreateNewGameRequest(_Model):
    """CreateNewGameRequest without cID and extCID, which the client adds."""

    game_id: NonEmpty = Field(alias="gameID")
    demo: bool
    platform: Platform
    currency: NonEmpty  # ISO 4217
    locale: NonEmpty  # en_us, pt_br, es (SWIPE.md §7.1)
    session_id: str | None = Field(default=None, alias="sessionID")  # ours; not required for demo games
    return_url: str | None = Field(default=None, alias="returnURL")
    deposit_url: str | None = Field(default=None, alias="depositURL")
    init_demo_balance: Money | None = Field(default=None, alias="initDemoBalance")  # demo only
    user: User | None = None

    @model_validator(mode="after")
    def _real_or_demo(self) -> CreateNewGameRequest:
        if not self.demo and not (self.session_id and self.user):
            raise ValueError("a real game needs our sessionID and the user")
        if self.demo and self.init_demo_balance is not None and self.init_demo_balance <= 0:
            raise ValueError("initDemoBalance must be positive")
        if not self.demo and self.init_demo_balance is not None:
            raise ValueError("initDemoBalance is for demo games only")
        return self


class CreateNewGameResponse(_Model):
    game_url: NonEmpty = Field(alias="gameURL")
    gs_id: NonEmpty = Field(alias="gsID")  # Swipe's game session; never sent back in callbacks


# games (§7.2) ------------------------------------------------------------------------------


class GameImages(_Model):
    base_url: str = Field(alias="baseURL")
    square: str
    horizontal: str
    widescreen: str
    vertical: str
    horizontal_337x181: str | None = None


class BetLineValue(_Model):
    """One bet line: every free round stakes exactly max_bet; a round pays at most max_bet * max_coeff."""

    max_bet: Money = Field(alias="maxBet")
    max_coeff: Money = Field(alias="maxCoeff")

    def max_payout(self, quantity: int) -> Decimal:
        """The campaign's exposure on this line: max_bet * max_coeff * quantity (SWIPE.md §9)."""
        return self.max_bet * self.max_coeff * quantity


class BetLineInfo(_Model):
    currency: NonEmpty
    values: list[BetLineValue]  # values[0] is bet line 1


class GameInfo(_Model):
    id: NonEmpty
    title: str
    locales: list[str]
    currencies: list[str]
    platforms: list[str]  # desktop, mobile; a platform Swipe adds later does not reject the catalogue
    images: GameImages
    has_free_spins: bool = Field(alias="hasFreeSpins")  # always false with excludeBetLines
    rtp: int
    bet_lines: list[BetLineInfo] | None = Field(default=None, alias="betLines")  # absent with excludeBetLines

    def bet_lines_in(self, currency: str) -> list[BetLineValue] | None:
        """The game's bet lines in a currency, or None when it lists none for it."""
        for info in self.bet_lines or ():
            if info.currency == currency:
                return info.values
        return None

    def bet_line(self, currency: str, number: int) -> BetLineValue | None:
        """Bet line `number` (1-based, as `betLine` in POST /free-rounds), or None when there is none."""
        lines = self.bet_lines_in(currency)
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]


# free-rounds (§7.3, §7.4) ------------------------------------------------------------------


class CreateFreeRoundsRequest(_Model):
    """CreateFreeRoundsRequest without cID and extCID, which the client adds."""

    ext_id: NonEmpty = Field(alias="extID")  # our campaign's external_id; Swipe accepts each one once
    currency: NonEmpty
    quantity: int = Field(ge=1, le=99)
    bet_line: int = Field(ge=1, le=99, alias="betLine")
    valid_from: Timestamp = Field(alias="validFrom")
    game_ids: list[NonEmpty] | None = Field(default=None, min_length=1, alias="gameIDs")  # None: any game
    user_ids: list[NonEmpty] | None = Field(default=None, min_length=1, alias="userIDs")  # None: all players
    valid_until: Timestamp | None = Field(default=None, alias="validUntil")  # None: never ends

    @model_validator(mode="after")
    def _at_most_thirty_days(self) -> CreateFreeRoundsRequest:
        if self.valid_until is not None:
            if self.valid_until <= self.valid_from:
                raise ValueError("validUntil must be after validFrom")
            if self.valid_until - self.valid_from > MAX_CAMPAIGN_LENGTH:
                raise ValueError("a finite campaign lasts at most 30 days")
        return self


class FreeRoundsRef(_Model):
    id: NonEmpty  # Swipe's (a UUID)
    ext_id: NonEmpty = Field(alias="extID")


class _ErrorResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: str = ""
    details: str = ""
    code: str | None = None


T = TypeVar("T")
_GAME = TypeAdapter(CreateNewGameResponse)
_GAMES = TypeAdapter(list[GameInfo])
_FREE_ROUNDS_REF = TypeAdapter(FreeRoundsRef)
_ERROR = TypeAdapter(_ErrorResponse)


class SwipeCoreApiClient:
    """One client per brand: Swipe's settings are made per extCID (SWIPE.md §2)."""

    def __init__(
        self,
        base_url: str,
        cid: str,
        ext_cid: str,
        api_key: Callable[[], str],
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 10.0,
        games_read_timeout: float = 60.0,
    ) -> None:
        if not (base_url and cid and ext_cid):
            # No fallback of extCID to cID (SWIPE.md §2): every Swipe call needs a registered extCID.
            raise ValueError("the Core API URL, cID and extCID are all required")
        if games_read_timeout <= GAMES_MIN_READ_TIMEOUT_SECONDS:
            raise ValueError(
                f"GET /games may take 20 s: its read timeout must be over {GAMES_MIN_READ_TIMEOUT_SECONDS} s"
            )
        self._base_url = base_url.rstrip("/")
        self._cid = cid
        self._ext_cid = ext_cid
        self._api_key = api_key
        self._timeout = (connect_timeout, read_timeout)
        self._games_timeout = (connect_timeout, games_read_timeout)
        self._once = pooled_session(CONNECT_ONLY_RETRY)
        self._repeatable = pooled_session(SAFE_TO_REPEAT_RETRY)

    # Endpoints -----------------------------------------------------------------------------

    def create_new_game(self, request: CreateNewGameRequest) -> CreateNewGameResponse:
        """Not repeated after a 5xx or a dropped answer: a second launch would open a second game session."""
        response = self._send("POST", "/create-new-game", _payload(request), repeatable=False)
        return _parse(response, _GAME, "POST /create-new-game")

    def games(self, *, exclude_bet_lines: bool = False) -> list[GameInfo]:
        """The catalogue, gzip accepted; waits up to games_read_timeout. Bet lines unless excluded
        (and then hasFreeSpins is always false)."""
        query = {"excludeBetLines": "true"} if exclude_bet_lines else {}
        params = {"cID": self._cid, "extCID": self._ext_cid, **query}
        headers = {SIGNATURE_HEADER: query_signature(self._api_key(), params), "Accept-Encoding": "gzip"}
        response = self._call(self._repeatable, "GET", "/games", self._games_timeout, params=params, headers=headers)
        return _parse(response, _GAMES, "GET /games")

    def create_free_rounds(self, request: CreateFreeRoundsRequest) -> FreeRoundsRef:
        """Not repeated: a retried create after a lost answer would meet 409 for its own extID."""
        response = self._send("POST", "/free-rounds", _payload(request), repeatable=False)
        return _parse(response, _FREE_ROUNDS_REF, "POST /free-rounds")

    def cancel_free_rounds(self, *, id: str | None = None, ext_id: str | None = None) -> None:
        """DELETE /free-rounds with a JSON body naming the campaign by Swipe's id or our extID (exactly one).

        Started rounds stay playable. Its 200 has no body. Repeated after a 5xx or a dropped
        answer (cancelling twice cancels once); a repeat whose first try did cancel may meet 404.
        """
        if bool(id) == bool(ext_id):
            raise ValueError("exactly one of id or ext_id is required")
        self._send("DELETE", "/free-rounds", {"id": id} if id else {"extID": ext_id}, repeatable=True)

    # Transport -----------------------------------------------------------------------------

    def _send(self, method: str, path: str, payload: Mapping[str, Any], *, repeatable: bool) -> requests.Response:
        body, signature = signed_body(self._api_key(), {"cID": self._cid, "extCID": self._ext_cid, **payload})
        headers = {SIGNATURE_HEADER: signature, "Content-Type": "application/json"}
        session = self._repeatable if repeatable else self._once
        return self._call(session, method, path, self._timeout, data=body, headers=headers)

    def _call(
        self, session: requests.Session, method: str, path: str, timeout: tuple[float, float], **kwargs: Any
    ) -> requests.Response:
        url = self._base_url + path
        try:
            response = session.request(method, url, timeout=timeout, **kwargs)
        except requests.Timeout as exc:
            raise SwipeCoreApiTimeout(f"{method} {path}: {type(exc).__name__}") from exc
        except requests.ConnectionError as exc:
            # urllib3 wraps a read timeout or a dropped answer it did not retry in MaxRetryError (or
            # raises the dropped answer as is): either way the request was sent.
            reason = getattr(exc.args[0], "reason", exc.args[0]) if exc.args else None
            if isinstance(reason, ReadTimeoutError):
                raise SwipeCoreApiTimeout(f"{method} {path}: read timeout") from exc
            if isinstance(reason, ProtocolError):
                raise SwipeCoreApiTimeout(f"{method} {path}: {reason}", "Swipe's answer was lost") from exc
            raise SwipeCoreApiError(None, "Swipe is unreachable", f"{method} {path}: {type(exc).__name__}") from exc
        except requests.RequestException as exc:
            raise SwipeCoreApiError(None, "Swipe is unreachable", f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 400:
            raise _error_from(response, f"{method} {path}")
        return response


def _parse(response: requests.Response, answer: TypeAdapter[T], call: str) -> T:
    try:
        return answer.validate_json(response.content)
    except ValidationError as exc:
        raise SwipeCoreApiError(
            response.status_code, "unexpected answer from Swipe", f"{call}: {exc.error_count()} field errors"
        ) from exc


def _payload(request: BaseModel) -> dict[str, Any]:
    return request.model_dump(mode="json", by_alias=True, exclude_none=True)


def _error_from(response: requests.Response, call: str) -> SwipeCoreApiError:
    """Swipe's ErrorResponse {message, details?, code?} (SWIPE.md §6.2); any other body keeps the status."""
    try:
        error = _ERROR.validate_json(response.content)
    except ValidationError:
        error = _ErrorResponse()
    return SwipeCoreApiError(
        response.status_code,
        error.message or response.reason or "error",
        error.details or call,
        error.code or None,
    )
