"""The operator's API (the casino backend, behind IAM): launch games, move money, read history,
block players, run free-rounds campaigns.

Routes on powertools' REST resolver with validation on: each route's typed path, query and body
parameters are checked against their models before it runs, and what it returns is serialised
through its response model. The same routes generate the OpenAPI document (`api_document`).
Every refusal is `{message, details}`: a validation failure is a 400, as every bad input is.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from aws_lambda_powertools.utilities.typing import LambdaContext

from playhub_wallet import rules
from playhub_wallet.errors import (
    BadRequest,
    Conflict,
    InsufficientBalance,
    InsufficientFunds,
    InvalidRequest,
    NotFound,
    OperatorError,
    PayloadMismatch,
    PlayerNotFound,
    PlayhubError,
    ServiceUnavailable,
    TryAgain,
    validation_details,
)
from playhub_wallet.health import check_health, health_parts, status_of
from playhub_wallet.legal_bets import LegalBets, face_value, parse_lines, texts
from playhub_wallet.money import CURRENCY_PATTERN, UnknownCurrency, format_amount
from playhub_wallet.observability import logger, record_operator_server_error
from playhub_wallet.operator_models import (
    REFERENCE_PATTERN,
    BetLine,
    BetValue,
    Blocked,
    BlockRequest,
    CampaignChange,
    CampaignRequest,
    CampaignView,
    CatalogueState,
    CurrencyView,
    Difference,
    Entry,
    ErrorBody,
    GameView,
    Health,
    HealthCheck,
    HistoryPage,
    LaunchRequest,
    LaunchResponse,
    LedgerSearch,
    LegalBetsList,
    LegalBetsRequest,
    LegalBetsView,
    LiveCampaign,
    Loaded,
    RoundDetails,
    TransferDone,
    TransferRequest,
    Wallet,
    Wallets,
)
from playhub_wallet.operator_runtime import OperatorRuntime, operator_runtime
from playhub_wallet.sessions import GAME_ID_PATTERN, PLAYER_ID_PATTERN
from playhub_wallet.state import Campaign, LedgerEntry, WalletKey

HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX = 20, 100

PlayerId = Annotated[str, Path(pattern=PLAYER_ID_PATTERN.pattern, description="The casino's id of the player.")]
CurrencyCode = Annotated[str, Path(pattern=CURRENCY_PATTERN.pattern, description="A currency code, such as EUR.")]
GameId = Annotated[str, Path(pattern=GAME_ID_PATTERN.pattern, description="A game id of Playhub's catalogue.")]
ExternalId = Annotated[str, Path(pattern=REFERENCE_PATTERN, description="The campaign's external_id.")]


def _errors(*statuses: int, ok: int = 200) -> dict[int, Any]:
    """A route's answers for the document: `ok` with its return type, and the refusals it may give,
    each with the one error body."""
    described = {
        400: "Bad input; nothing changed",
        403: "Forbidden",
        404: "Not found",
        409: "Conflict with an earlier request",
        502: "The provider (Playhub or Swipe) refused the request",
        503: "Not available now; safe to send again",
        504: "The provider did not answer in time",
    }
    return {
        ok: {"description": "Created" if ok == 201 else "OK"},  # no content: the route's return type
        **{
            status: {"description": described[status], "content": {"application/json": {"model": ErrorBody}}}
            for status in statuses
        },
    }


def launch_app() -> APIGatewayRestResolver:
    app = _resolver()
    add_launch_routes(app)
    return app


def operator_app() -> APIGatewayRestResolver:
    app = _resolver()
    add_operator_routes(app)
    return app


def health_app() -> APIGatewayRestResolver:
    app = _resolver()
    add_health_routes(app)
    return app


def add_health_routes(app: APIGatewayRestResolver) -> None:
    @app.get(
        "/health",
        summary="Whether the stack can serve Playhub and the casino",
        description="Reads the ledger table, the catalogue's currencies (every callback needs them) and both keys"
        " (Playhub's Callback Token Key, our API Token Key), as the functions do. 200 when every check holds;"
        " 503 with the same body when one does not. No key is ever shown: only how many are readable.",
        tags=["operations"],
        responses={
            200: {"description": "Every check holds", "content": {"application/json": {"model": Health}}},
            503: {"description": "A check failed; see checks", "content": {"application/json": {"model": Health}}},
        },
    )
    def health() -> Response[Health]:
        checks = check_health(health_parts())
        body = Health(
            status=status_of(checks),
            checks=[HealthCheck(name=check.name, ok=check.ok, detail=check.detail) for check in checks],
        )
        return Response(200 if body.status == "ok" else 503, content_types.APPLICATION_JSON, body)


def add_launch_routes(app: APIGatewayRestResolver) -> None:
    @app.post(
        "/games/launch",
        summary="Launch a game for a player",
        description="Opens a session for the provider's callbacks (a real-money game) and asks the provider for"
        " the game's URL. The wallet of the currency is created if the player has none. provider playhub (the"
        " default): the game, the locale and the currency must be in Playhub's catalogue. provider swipe: in Swipe"
        " Games' cached game list, with the platform, which is required; the currency's decimal places must be"
        " known (Playhub's catalogue or CURRENCY_DECIMAL_PLACES); game_session_id is Swipe's gsID. A stack that"
        " does not serve Swipe answers 503 not configured.",
        tags=["games"],
        responses=_errors(400, 403, 404, 409, 502, 503, 504),
    )
    def launch(request: Annotated[LaunchRequest, Body()]) -> LaunchResponse:
        return operator_runtime().launcher.launch(request)


def add_operator_routes(app: APIGatewayRestResolver) -> None:
    @app.get("/players/<player_id>/wallets", summary="A player's wallets", tags=["wallets"], responses=_errors(400))
    def wallets(player_id: PlayerId) -> Wallets:
        parts = operator_runtime()
        return Wallets(
            player_id=player_id,
            wallets=[
                Wallet(
                    currency=w.key.currency,
                    balance=_format(parts, w.key.currency, w.balance),
                    blocked=w.blocked,
                )
                for w in parts.accounts.wallets(player_id)
            ],
        )

    @app.post(
        "/players/<player_id>/wallets/<currency>/deposits",
        summary="Pay money into a wallet",
        description="Creates the wallet if the player has none in this currency. Idempotent on `reference`.",
        tags=["wallets"],
        responses=_errors(400, 409, 502, 503, 504),
    )
    def deposit(
        player_id: PlayerId, currency: CurrencyCode, request: Annotated[TransferRequest, Body()]
    ) -> TransferDone:
        return _transfer(operator_runtime(), rules.deposit, WalletKey(player_id, currency), request)

    @app.post(
        "/players/<player_id>/wallets/<currency>/withdrawals",
        summary="Take money out of a wallet",
        description="Never below zero (400 insufficient funds). A player without this wallet is a 404 player not"
        " found. Idempotent on `reference`.",
        tags=["wallets"],
        responses=_errors(400, 404, 409, 502, 503, 504),
    )
    def withdraw(
        player_id: PlayerId, currency: CurrencyCode, request: Annotated[TransferRequest, Body()]
    ) -> TransferDone:
        return _transfer(operator_runtime(), rules.withdrawal, WalletKey(player_id, currency), request)

    @app.get(
        "/players/<player_id>/wallets/<currency>/transactions",
        summary="A wallet's ledger, a page at a time",
        tags=["wallets"],
        responses=_errors(400),
    )
    def history(
        player_id: PlayerId,
        currency: CurrencyCode,
        limit: Annotated[int, Query(ge=1, le=HISTORY_PAGE_MAX, description="Entries per page.")] = (
            HISTORY_PAGE_DEFAULT
        ),
        cursor: Annotated[str | None, Query(description="The next_cursor of the page before.")] = None,
    ) -> HistoryPage:
        parts = operator_runtime()
        try:
            page = parts.accounts.history(WalletKey(player_id, currency), limit, cursor)
        except ValueError as exc:
            raise InvalidRequest(f"cursor: {exc}") from None
        return HistoryPage(transactions=[_entry(parts, entry) for entry in page.entries], next_cursor=page.next_cursor)

    @app.get(
        "/players/<player_id>/rounds/<round_id>",
        summary="One round, as Playhub and our ledger see it",
        description="Playhub's record (its POST /game-round-history) beside our ledger's entries for the round.",
        tags=["wallets"],
        responses=_errors(400, 404, 502, 504),
    )
    def game_round(
        player_id: PlayerId,
        round_id: Annotated[UUID, Path(description="Playhub's round_id.")],
        game_id: Annotated[
            str | None,
            Query(pattern=GAME_ID_PATTERN.pattern, description="Needed when our ledger has no entry of the round."),
        ] = None,
        currency: Annotated[
            str | None, Query(pattern=CURRENCY_PATTERN.pattern, description="Search only this wallet.")
        ] = None,
    ) -> RoundDetails:
        parts = operator_runtime()
        view = parts.rounds.show(player_id, str(round_id), game_id, currency)  # str(UUID): as the ledger keeps it
        return RoundDetails(
            player_id=view.player_id,
            game_id=view.game_id,
            round_id=view.round_id,
            playhub=view.playhub,
            playhub_note=view.playhub_note,
            ledger=[_entry(parts, entry) for entry in view.entries],
            ledger_search=LedgerSearch(
                currencies=list(view.currencies_searched), entries_scanned=view.scanned, complete=view.complete
            ),
        )

    @app.put(
        "/players/<player_id>/block",
        summary="Block or unblock a player",
        description="A blocked player's bets are refused and launches are 403; wins, refunds and withdrawals still"
        " go through.",
        tags=["players"],
        responses=_errors(400),
    )
    def block(player_id: PlayerId, request: Annotated[BlockRequest, Body()]) -> Blocked:
        keys = operator_runtime().accounts.block(player_id, request.blocked)
        return Blocked(player_id=player_id, blocked=request.blocked, wallets=[key.currency for key in keys])

    @app.get(
        "/games",
        summary="Playhub's games, as cached",
        description="Loaded hourly (Playhub's GET /games takes 10-20 s); fields as Playhub names them.",
        tags=["catalogue"],
        responses=_errors(),
    )
    def games() -> list[GameView]:
        return [
            GameView(
                id=game.id,
                title=game.title,
                locales=",".join(game.locales),
                thumbnail=game.thumbnail,
                free_spins=game.free_spins,
            )
            for game in operator_runtime().catalogue.games()
        ]

    @app.get(
        "/currencies",
        summary="Playhub's currencies, as cached",
        description="With the decimal places this stack uses for each.",
        tags=["catalogue"],
        responses=_errors(),
    )
    def currencies() -> list[CurrencyView]:
        parts = operator_runtime()
        return [
            CurrencyView(**currency.__dict__, decimal_places_used=parts.currencies.places(currency.code))
            for currency in parts.catalogue.currencies().currencies
        ]

    @app.get("/catalogue", summary="When Playhub's catalogue was last loaded", tags=["catalogue"], responses=_errors())
    def catalogue() -> CatalogueState:
        parts = operator_runtime()
        listed = parts.catalogue.currencies()
        loaded = parts.catalogue.games_loaded()
        return CatalogueState(
            currencies=Loaded(count=len(listed.currencies), fetched_at=_iso_time(listed.fetched_at)),
            games=Loaded(count=loaded.count, fetched_at=_iso_time(loaded.fetched_at)) if loaded else None,
            overrides=parts.settings.currency_decimal_places,
        )

    @app.get("/legal-bets", summary="Every legal bets table", tags=["legal bets"], responses=_errors())
    def legal_bets() -> LegalBetsList:
        return LegalBetsList(tables=[_legal_bets(table) for table in operator_runtime().legal_bets.all()])

    @app.get(
        "/legal-bets/<currency>",
        summary="A currency's legal bets, for every game",
        tags=["legal bets"],
        responses=_errors(400, 404),
    )
    def game_wide_legal_bets(currency: CurrencyCode) -> LegalBetsView:
        return _legal_bets(_found_legal_bets(currency, None))

    @app.get(
        "/legal-bets/<currency>/games/<game_id>",
        summary="The legal bets a game plays by",
        description="The game's own table, else the currency's table for every game.",
        tags=["legal bets"],
        responses=_errors(400, 404),
    )
    def game_legal_bets(currency: CurrencyCode, game_id: GameId) -> LegalBetsView:
        return _legal_bets(_found_legal_bets(currency, game_id))

    @app.put(
        "/legal-bets/<currency>",
        summary="Replace a currency's legal bets for every game",
        tags=["legal bets"],
        responses=_errors(400, 502, 504),
    )
    def replace_game_wide_legal_bets(
        currency: CurrencyCode, request: Annotated[LegalBetsRequest, Body()]
    ) -> LegalBetsView:
        return _replace_legal_bets(operator_runtime(), currency, None, request)

    @app.put(
        "/legal-bets/<currency>/games/<game_id>",
        summary="Replace one game's legal bets",
        tags=["legal bets"],
        responses=_errors(400, 502, 504),
    )
    def replace_game_legal_bets(
        currency: CurrencyCode, game_id: GameId, request: Annotated[LegalBetsRequest, Body()]
    ) -> LegalBetsView:
        return _replace_legal_bets(operator_runtime(), currency, game_id, request)

    @app.post(
        "/campaigns",
        summary="Create a free-rounds campaign at Playhub or Swipe Games",
        description="provider playhub (the default): bet_line is checked against our legal bets table. provider"
        " swipe: against the bet lines of Swipe's cached game list for the currency in game_id; the campaign is"
        " recorded pending, then created at Swipe with extID = external_id (its callbacks' frID), at most 30 days"
        " long. A pending campaign is confirmed by sending the same request again. A stack that does not serve"
        " Swipe answers 503 not configured.",
        tags=["campaigns"],
        responses={
            **_errors(400, 409, 502, 503, 504, ok=201),
            200: {"description": "Created before with this external_id and the same fields"},
        },
    )
    def create_campaign(request: Annotated[CampaignRequest, Body()]) -> Response[CampaignView]:
        parts = operator_runtime()
        campaign, created = parts.campaigns.create(request)
        return Response(
            status_code=201 if created else 200,
            content_type=content_types.APPLICATION_JSON,
            body=_campaign(parts, campaign),
        )

    @app.get(
        "/campaigns/<external_id>",
        summary="A campaign: our record, or with ?live=true Playhub's too",
        description="live=true of a swipe campaign is a 409: Swipe has no call that reads a campaign back.",
        tags=["campaigns"],
        responses=_errors(400, 404, 409, 502, 504),
    )
    def get_campaign(
        external_id: ExternalId,
        live: Annotated[bool, Query(description="Also ask Playhub for its state and list the differences.")] = False,
    ) -> CampaignView | LiveCampaign:
        parts = operator_runtime()
        if not live:
            return _campaign(parts, parts.campaigns.get(external_id))
        found = parts.campaigns.live(external_id)
        return LiveCampaign(
            **_campaign(parts, found.campaign).model_dump(),
            playhub=found.playhub,
            differences=[Difference(**difference.__dict__) for difference in found.differences],
        )

    @app.get(
        "/campaigns/by-frc/<frc_id>",
        summary="The campaign of a callback's frc_id",
        tags=["campaigns"],
        responses=_errors(400, 404),
    )
    def campaign_for_frc(
        frc_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9-]{1,64}$", description="A callback's frc_id.")],
    ) -> CampaignView:
        parts = operator_runtime()
        return _campaign(parts, parts.campaigns.for_frc(frc_id))

    @app.put(
        "/campaigns/<external_id>",
        summary="Change a campaign's end or players",
        description="Playhub campaigns only: Swipe cannot change a campaign (409).",
        tags=["campaigns"],
        responses=_errors(400, 404, 409, 502, 504),
    )
    def change_campaign(external_id: ExternalId, request: Annotated[CampaignChange, Body()]) -> CampaignView:
        parts = operator_runtime()
        return _campaign(parts, parts.campaigns.change(external_id, request))

    @app.post(
        "/campaigns/<external_id>/cancel",
        summary="Cancel a campaign",
        description="At its provider (Swipe: by extID); rounds already started stay playable. A swipe campaign"
        " Swipe does not know is cancelled here too; a rejected one (Swipe's campaign of its extID is not ours) is"
        " a 409.",
        tags=["campaigns"],
        responses=_errors(404, 409, 502, 503, 504),
    )
    def cancel_campaign(external_id: ExternalId) -> CampaignView:
        parts = operator_runtime()
        return _campaign(parts, parts.campaigns.cancel(external_id))


# Shared by both resolvers ----------------------------------------------------------------


class JsonApiResolver(APIGatewayRestResolver):
    """Every request body is read as JSON, whatever its Content-Type says: `curl -d` labels JSON
    as a form, and powertools would parse a form as one. Not JSON is then a 400, as it should be."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
        multi = {k: v for k, v in (event.get("multiValueHeaders") or {}).items() if k.lower() != "content-type"}
        event = {
            **event,
            "headers": {**headers, "Content-Type": content_types.APPLICATION_JSON},
            "multiValueHeaders": {**multi, "Content-Type": [content_types.APPLICATION_JSON]},
        }
        return super().resolve(event, context)


def _resolver() -> APIGatewayRestResolver:
    # A route's answer that fails its own model is a fault of ours: a 500 (the Exception handler
    # below), never the 400 that says "bad input, nothing changed", which after a transfer would lie.
    app = JsonApiResolver(
        enable_validation=True, response_validation_error_http_code=500, json_body_deserializer=_json_body
    )

    @app.exception_handler(OperatorError)  # type: ignore[untyped-decorator]
    def refused(error: OperatorError) -> Response[str]:
        return _refusal(error)

    @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def invalid(error: RequestValidationError) -> Response[str]:
        """powertools' 422 becomes our 400, naming each field and what is wrong with it."""
        return _refusal(InvalidRequest(validation_details(error.errors(), skip=("body", "path", "query"))))

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return _json(404, ErrorBody(message="not found", details="no such route"))

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def failed(_: Exception) -> Response[str]:
        logger.exception("operator request failed")
        record_operator_server_error()
        return _json(500, ErrorBody(message="internal server error", details="unexpected error"))

    return app


def _json_body(text: str) -> Any:
    """JSON with its numbers as Decimal; anything unreadable (a 5,000-digit number, nesting too deep)
    is "not valid JSON" (400), as a syntax error is."""
    try:
        return json.loads(text, parse_float=Decimal)
    except (ValueError, RecursionError) as exc:
        raise json.JSONDecodeError("not JSON", text, 0) from exc


def _refusal(error: OperatorError) -> Response[str]:
    log = logger.error if error.status >= 500 else logger.warning
    log("operator request refused", extra={"status": error.status, "reason": error.details})
    if error.status >= 500:
        record_operator_server_error()
    return _json(error.status, ErrorBody(message=error.message, details=error.details))


def _json(status: int, body: ErrorBody) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body.model_dump_json())


def _transfer(
    parts: OperatorRuntime,
    direction: Callable[[WalletKey, Decimal, str], rules.Transfer],
    key: WalletKey,
    request: TransferRequest,
) -> TransferDone:
    # A currency Playhub does not list is a 400, unless this deployment sets its places itself
    # (CURRENCY_DECIMAL_PLACES): the way to pay out a wallet in a currency Playhub has delisted.
    if key.currency not in parts.settings.currency_decimal_places:
        parts.catalogue.currency(key.currency)
    if direction is rules.withdrawal and key not in {wallet.key for wallet in parts.accounts.wallets(key.player_id)}:
        raise PlayerNotFound(f"{key.player_id} has no {key.currency} wallet")
    try:
        result = parts.wallet.transfer(direction(key, request.amount, request.reference), deadline=parts.deadline())
    except PlayhubError as refusal:
        raise _operator_refusal(refusal, request.reference) from refusal
    return TransferDone(**result.response.model_dump(), replayed=result.replayed)


def _operator_refusal(refusal: PlayhubError, reference: str) -> OperatorError:
    """The shared wallet refuses in Playhub's terms; the operator API answers in its own."""
    if isinstance(refusal, PayloadMismatch):
        return Conflict(f"reference {reference} was already used for another transfer")
    if isinstance(refusal, InsufficientFunds):
        return InsufficientBalance(refusal.details)
    if isinstance(refusal, BadRequest):
        return InvalidRequest(refusal.details)
    if isinstance(refusal, ServiceUnavailable):
        return TryAgain(refusal.details)
    logger.error("the wallet refused a transfer unexpectedly", extra={"refusal": f"{type(refusal).__name__}"})
    return OperatorError("unexpected error")


def _money(parts: OperatorRuntime, currency: str, amount: Decimal | None) -> str | None:
    return None if amount is None else _format(parts, currency, amount)


def _format(parts: OperatorRuntime, currency: str, amount: Decimal) -> str:
    try:
        return format_amount(amount, parts.currencies.places(currency))
    except UnknownCurrency:  # a wallet of a currency the catalogue no longer lists: shown as stored
        return format(amount, "f")


def _entry(parts: OperatorRuntime, entry: LedgerEntry) -> Entry:
    currency = entry.wallet.currency
    return Entry(
        tx_id=entry.our_tx_id,
        seq=entry.wallet_seq,
        action=entry.key.action.value,
        provider=entry.key.provider.value,
        playhub_tx_id=entry.key.playhub_tx_id,
        outcome=entry.outcome,
        amount=_money(parts, currency, entry.amount),
        balance_change=_money(parts, currency, entry.balance_change),
        balance_after=_money(parts, currency, entry.balance_after),
        created_at=_iso_time(entry.created_at),
        **{
            name: getattr(entry, name) or None
            for name in ("session_id", "round_id", "game_id", "type", "frc_id", "orig_tx_id", "refunded_by")
        },
    )


def _campaign(parts: OperatorRuntime, campaign: Campaign) -> CampaignView:
    """Our record, with what it gives away: the bet value of its line, and quantity x max_bet."""
    value = parts.campaigns.bet_value(campaign)
    return CampaignView(
        external_id=campaign.external_id,
        provider=campaign.provider.value,
        playhub_id=campaign.playhub_id or None,
        game_id=campaign.game_id,
        currency=campaign.currency,
        quantity=campaign.quantity,
        bet_line=campaign.bet_line,
        valid_from=campaign.valid_from,
        valid_until=campaign.valid_until,
        user_ids=list(campaign.user_ids) if campaign.user_ids is not None else None,
        status=campaign.status,
        created_at=_iso_time(campaign.created_at),
        bet_value=BetValue(
            max_bet=_money(parts, campaign.currency, value.max_bet),
            max_target_multiplier=str(value.max_target_multiplier),
        )
        if value is not None
        else None,
        face_value=_money(parts, campaign.currency, face_value(campaign.quantity, value)) if value else None,
        exposure=_exposure(parts, campaign.currency, campaign.exposure),
    )


def _exposure(parts: OperatorRuntime, currency: str, recorded: str | None) -> str | None:
    """In the currency's places where that is exact ("100.00"); a bound is never rounded down."""
    if recorded is None:
        return None
    amount = Decimal(recorded)
    shown = _format(parts, currency, amount)
    return shown if Decimal(shown) == amount else format(amount, "f")


def _found_legal_bets(currency: str, game_id: str | None) -> LegalBets:
    """The table for a currency (game-wide), or the one a game plays by (its own, else game-wide)."""
    tables = operator_runtime().legal_bets
    table = tables.for_game(currency, game_id) if game_id else tables.get(currency, None)
    if table is None:
        raise NotFound(f"no legal bets table for {currency}" + (f" (game {game_id} or every game)" if game_id else ""))
    return table


def _replace_legal_bets(
    parts: OperatorRuntime, currency: str, game_id: str | None, request: LegalBetsRequest
) -> LegalBetsView:
    parts.catalogue.currency(currency)  # a table for a currency Playhub does not list is a 400
    try:
        lines = parse_lines(request.lines, parts.currencies.places(currency), currency)
    except ValueError as exc:
        raise InvalidRequest(f"lines: {exc}") from None
    updated_at = int(datetime.now(UTC).timestamp())
    return _legal_bets(parts.legal_bets.replace(LegalBets(currency, game_id, lines, updated_at)))


def _legal_bets(table: LegalBets) -> LegalBetsView:
    return LegalBetsView(
        currency=table.currency,
        game_id=table.game_id,
        table=", ".join(texts(table.lines)),
        lines=[
            BetLine(bet_line=number, max_bet=str(value.max_bet), max_target_multiplier=str(value.max_target_multiplier))
            for number, value in enumerate(table.lines, start=1)
        ],
        updated_at=_iso_time(table.updated_at),
    )


def _iso_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# The OpenAPI document ----------------------------------------------------------------------

API_TITLE = "Playhub wallet: the operator API"
API_VERSION = "1.0.0"
API_DESCRIPTION = """\
What the casino's backend calls: launch Playhub games, move money in and out of players' wallets,
read their ledgers, block players, keep the legal bets tables and run free-rounds campaigns.

Deployed, every request is signed with AWS SigV4 (service `execute-api`) by a principal allowed
to invoke the stage; `make run` serves it on http://127.0.0.1:3000 without signing.

Every refusal is a JSON `{"message", "details"}` with a 4xx status and changes nothing; a 5xx is a
fault of ours or Playhub's. Money is a decimal string in the currency's decimal places. Transfers
are idempotent on their `reference`, which is unique across all players and wallets.
"""


def api_document() -> dict[str, Any]:
    """The OpenAPI document of the launch and operator routes, as committed in docs/."""
    app = APIGatewayRestResolver(enable_validation=True)
    add_launch_routes(app)
    add_operator_routes(app)
    add_health_routes(app)
    schema = app.get_openapi_schema(
        title=API_TITLE,
        version=API_VERSION,
        description=API_DESCRIPTION,
        servers=[],
        security_schemes={
            "sigv4": {  # type: ignore[dict-item]  # powertools models no extension fields
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authtype": "awsSigv4",
            }
        },
        security=[{"sigv4": []}],
    )
    document: dict[str, Any] = json.loads(schema.model_dump_json(by_alias=True, exclude_none=True))
    document["servers"] = [
        {
            "url": "https://{api_id}.execute-api.{region}.amazonaws.com/live",
            "variables": {"api_id": {"default": "api-id"}, "region": {"default": "eu-west-1"}},
        },
        {"url": "http://127.0.0.1:3000", "description": "make run"},
    ]
    # A validation failure is our 400 with {message, details}, not powertools' 422.
    for operations in document["paths"].values():
        for operation in operations.values():
            responses = operation["responses"]
            if responses.pop("422", None) is not None and ("parameters" in operation or "requestBody" in operation):
                responses.setdefault("400", {"description": "Bad input; nothing changed", "content": _error_content()})
            responses["500"] = {"description": "A fault of ours", "content": _error_content()}
    schemas = document["components"]["schemas"]
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        if f'"#/components/schemas/{name}"' not in json.dumps(document["paths"]):
            schemas.pop(name, None)
    return document


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
