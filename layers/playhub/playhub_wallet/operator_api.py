"""The operator's API (the casino backend, behind IAM): launch games, move money, read history,
block players, run free-rounds campaigns. Routes on powertools' REST resolver; one error mapping."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from pydantic import BaseModel, ValidationError

from playhub_wallet import rules
from playhub_wallet.errors import BadRequest, Conflict, NotFound, PayloadMismatch, PlayerNotFound, PlayhubError
from playhub_wallet.legal_bets import LegalBets, face_value, parse_lines, texts
from playhub_wallet.money import CURRENCY_PATTERN, UnknownCurrency, format_amount
from playhub_wallet.observability import logger, record_operator_server_error
from playhub_wallet.operator_models import (
    BlockRequest,
    CampaignChange,
    CampaignRequest,
    LaunchRequest,
    LegalBetsRequest,
    TransferRequest,
)
from playhub_wallet.operator_runtime import OperatorRuntime, operator_runtime
from playhub_wallet.sessions import GAME_ID_PATTERN, PLAYER_ID_PATTERN
from playhub_wallet.state import Campaign, LedgerEntry, WalletKey

T = TypeVar("T", bound=BaseModel)
HISTORY_PAGE_DEFAULT, HISTORY_PAGE_MAX = 20, 100


def launch_app() -> APIGatewayRestResolver:
    app = _resolver()

    @app.post("/games/launch")
    def launch() -> dict[str, Any]:
        request = _body(app, LaunchRequest)
        return operator_runtime().launcher.launch(request).model_dump()

    return app


def operator_app() -> APIGatewayRestResolver:
    app = _resolver()

    @app.get("/players/<player_id>/wallets")
    def wallets(player_id: str) -> dict[str, Any]:
        found = operator_runtime().accounts.wallets(_player(player_id))
        return {
            "player_id": player_id,
            "wallets": [
                {
                    "currency": w.key.currency,
                    "balance": _money(operator_runtime(), w.key.currency, w.balance),
                    "blocked": w.blocked,
                }
                for w in found
            ],
        }

    @app.post("/players/<player_id>/wallets/<currency>/deposits")
    def deposit(player_id: str, currency: str) -> dict[str, Any]:
        return _transfer(app, operator_runtime(), rules.deposit, _wallet(player_id, currency))

    @app.post("/players/<player_id>/wallets/<currency>/withdrawals")
    def withdraw(player_id: str, currency: str) -> dict[str, Any]:
        return _transfer(app, operator_runtime(), rules.withdrawal, _wallet(player_id, currency))

    @app.get("/players/<player_id>/wallets/<currency>/transactions")
    def history(player_id: str, currency: str) -> dict[str, Any]:
        key = _wallet(player_id, currency)
        limit = _limit(app.current_event.get_query_string_value("limit"))
        try:
            page = operator_runtime().accounts.history(key, limit, app.current_event.get_query_string_value("cursor"))
        except ValueError as exc:
            raise BadRequest(f"cursor: {exc}") from None
        return {
            "transactions": [_entry(operator_runtime(), entry) for entry in page.entries],
            "next_cursor": page.next_cursor,
        }

    @app.get("/players/<player_id>/rounds/<round_id>")
    def game_round(player_id: str, round_id: str) -> dict[str, Any]:
        """One round as Playhub sees it (POST /game-round-history) beside our ledger's entries for it."""
        query = app.current_event.get_query_string_value
        game_id, currency = query("game_id"), query("currency")
        parts = operator_runtime()
        view = parts.rounds.show(
            _player(player_id),
            _round(round_id),
            _game(game_id) if game_id is not None else None,
            _currency(currency) if currency is not None else None,
        )
        return {
            "player_id": view.player_id,
            "game_id": view.game_id,
            "round_id": view.round_id,
            "playhub": view.playhub.model_dump() if view.playhub else None,
            "playhub_note": view.playhub_note,
            "ledger": [_entry(parts, entry) for entry in view.entries],
            "ledger_search": {
                "currencies": list(view.currencies_searched),
                "entries_scanned": view.scanned,
                "complete": view.complete,
            },
        }

    @app.put("/players/<player_id>/block")
    def block(player_id: str) -> dict[str, Any]:
        request = _body(app, BlockRequest)
        keys = operator_runtime().accounts.block(_player(player_id), request.blocked)
        return {"player_id": player_id, "blocked": request.blocked, "wallets": [key.currency for key in keys]}

    @app.get("/games")
    def games() -> list[dict[str, Any]]:
        """Playhub's games as cached (GET /games itself takes 10-20 s); fields as Playhub names them."""
        return [
            {
                "id": game.id,
                "title": game.title,
                "locales": ",".join(game.locales),
                "thumbnail": game.thumbnail,
                "free_spins": game.free_spins,
            }
            for game in operator_runtime().catalogue.games()
        ]

    @app.get("/currencies")
    def currencies() -> list[dict[str, Any]]:
        """Playhub's currencies as cached, with the decimal places this stack uses for each."""
        parts = operator_runtime()
        return [
            {**currency.__dict__, "decimal_places_used": parts.currencies.places(currency.code)}
            for currency in parts.catalogue.currencies().currencies
        ]

    @app.get("/catalogue")
    def catalogue() -> dict[str, Any]:
        """When Playhub's catalogue was last loaded, and how much of it."""
        parts = operator_runtime()
        currencies = parts.catalogue.currencies()
        loaded = parts.catalogue.games_loaded()
        return {
            "currencies": {"count": len(currencies.currencies), "fetched_at": _iso_time(currencies.fetched_at)},
            "games": {"count": loaded.count, "fetched_at": _iso_time(loaded.fetched_at)} if loaded else None,
            "overrides": parts.settings.currency_decimal_places,
        }

    @app.get("/legal-bets")
    def legal_bets() -> dict[str, Any]:
        return {"tables": [_legal_bets(table) for table in operator_runtime().legal_bets.all()]}

    @app.get("/legal-bets/<currency>")
    def game_wide_legal_bets(currency: str) -> dict[str, Any]:
        return _legal_bets(_found_legal_bets(_currency(currency), None))

    @app.get("/legal-bets/<currency>/games/<game_id>")
    def game_legal_bets(currency: str, game_id: str) -> dict[str, Any]:
        return _legal_bets(_found_legal_bets(_currency(currency), _game(game_id)))

    @app.put("/legal-bets/<currency>")
    def replace_game_wide_legal_bets(currency: str) -> dict[str, Any]:
        return _replace_legal_bets(app, operator_runtime(), _currency(currency), None)

    @app.put("/legal-bets/<currency>/games/<game_id>")
    def replace_game_legal_bets(currency: str, game_id: str) -> dict[str, Any]:
        return _replace_legal_bets(app, operator_runtime(), _currency(currency), _game(game_id))

    @app.post("/campaigns")
    def create_campaign() -> Response[str]:
        campaign, created = operator_runtime().campaigns.create(_body(app, CampaignRequest))
        return _json(201 if created else 200, _campaign(operator_runtime(), campaign))

    @app.get("/campaigns/<external_id>")
    def get_campaign(external_id: str) -> dict[str, Any]:
        """Our record; with ?live=true also Playhub's state of it now and where the two differ."""
        parts = operator_runtime()
        if not _flag(app.current_event.get_query_string_value("live"), "live"):
            return _campaign(parts, parts.campaigns.get(external_id))
        live = parts.campaigns.live(external_id)
        return {
            **_campaign(parts, live.campaign),
            "playhub": live.playhub.model_dump(mode="json"),
            "differences": [difference.__dict__ for difference in live.differences],
        }

    @app.get("/campaigns/by-frc/<frc_id>")
    def campaign_for_frc(frc_id: str) -> dict[str, Any]:
        return _campaign(operator_runtime(), operator_runtime().campaigns.for_frc(frc_id))

    @app.put("/campaigns/<external_id>")
    def change_campaign(external_id: str) -> dict[str, Any]:
        changed = operator_runtime().campaigns.change(external_id, _body(app, CampaignChange))
        return _campaign(operator_runtime(), changed)

    @app.post("/campaigns/<external_id>/cancel")
    def cancel_campaign(external_id: str) -> dict[str, Any]:
        return _campaign(operator_runtime(), operator_runtime().campaigns.cancel(external_id))

    return app


# Shared by both resolvers ----------------------------------------------------------------


def _resolver() -> APIGatewayRestResolver:
    app = APIGatewayRestResolver()

    @app.exception_handler(PlayhubError)  # type: ignore[untyped-decorator]
    def refused(error: PlayhubError) -> Response[str]:
        log = logger.error if error.status >= 500 else logger.warning
        log("operator request refused", extra={"status": error.status, "reason": error.details})
        if error.status >= 500:
            record_operator_server_error()
        return _json(error.status, {"message": error.message, "details": error.details})

    @app.not_found
    def not_found(_: Exception) -> Response[str]:
        return _json(404, {"message": "not found", "details": "no such route"})

    @app.exception_handler(Exception)  # type: ignore[untyped-decorator]
    def failed(_: Exception) -> Response[str]:
        logger.exception("operator request failed")
        record_operator_server_error()
        return _json(500, {"message": "internal server error", "details": "unexpected error"})

    return app


def _json(status: int, body: Any) -> Response[str]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=json.dumps(body))


def _body(app: APIGatewayRestResolver, model: type[T]) -> T:
    try:
        payload = json.loads(app.current_event.body or "", parse_float=Decimal)
    except ValueError:
        raise BadRequest("body is not valid JSON") from None
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise BadRequest.from_validation(exc) from None


def _player(player_id: str) -> str:
    if not PLAYER_ID_PATTERN.fullmatch(player_id):
        raise BadRequest("player_id: 1-64 characters of letters, digits and _.:@+-")
    return player_id


def _currency(currency: str) -> str:
    if not CURRENCY_PATTERN.fullmatch(currency):
        raise BadRequest("currency: an upper-case code such as EUR or BTC")
    return currency


def _flag(text: str | None, name: str) -> bool:
    if text is None or text in ("false", "0"):
        return False
    if text in ("true", "1"):
        return True
    raise BadRequest(f"{name}: true or false")


def _round(round_id: str) -> str:
    try:
        return str(uuid.UUID(round_id))  # as the ledger keeps Playhub's ids: canonical, lowercase
    except ValueError:
        raise BadRequest("round_id: must be a UUID") from None


def _game(game_id: str) -> str:
    if not GAME_ID_PATTERN.fullmatch(game_id):
        raise BadRequest("game_id: 1-64 characters of letters, digits and _.:-")
    return game_id


def _wallet(player_id: str, currency: str) -> WalletKey:
    return WalletKey(_player(player_id), _currency(currency))


def _limit(text: str | None) -> int:
    if text is None:
        return HISTORY_PAGE_DEFAULT
    if not re.fullmatch(r"[0-9]{1,3}", text) or not 1 <= int(text) <= HISTORY_PAGE_MAX:
        raise BadRequest(f"limit: a whole number from 1 to {HISTORY_PAGE_MAX}")
    return int(text)


def _transfer(
    app: APIGatewayRestResolver,
    parts: OperatorRuntime,
    direction: Callable[[WalletKey, Decimal, str], rules.Transfer],
    key: WalletKey,
) -> dict[str, Any]:
    request = _body(app, TransferRequest)
    # A currency Playhub does not list is a 400, unless this deployment sets its places itself
    # (CURRENCY_DECIMAL_PLACES): the way to pay out a wallet in a currency Playhub has delisted.
    if key.currency not in parts.settings.currency_decimal_places:
        parts.catalogue.currency(key.currency)
    if direction is rules.withdrawal and key not in {wallet.key for wallet in parts.accounts.wallets(key.player_id)}:
        raise PlayerNotFound(f"{key.player_id} has no {key.currency} wallet")
    try:
        result = parts.wallet.transfer(direction(key, request.amount, request.reference), deadline=parts.deadline())
    except PayloadMismatch as exc:
        raise Conflict(f"reference {request.reference} was already used for another transfer") from exc
    return {**result.response.model_dump(), "replayed": result.replayed}


def _money(parts: OperatorRuntime, currency: str, amount: Decimal | None) -> str | None:
    if amount is None:
        return None
    try:
        return format_amount(amount, parts.currencies.places(currency))
    except UnknownCurrency:  # a wallet of a currency the catalogue no longer lists: shown as stored
        return format(amount, "f")


def _entry(parts: OperatorRuntime, entry: LedgerEntry) -> dict[str, Any]:
    currency = entry.wallet.currency
    return {
        "tx_id": entry.our_tx_id,
        "seq": entry.wallet_seq,
        "action": entry.key.action.value,
        "playhub_tx_id": entry.key.playhub_tx_id,
        "outcome": entry.outcome,
        "amount": _money(parts, currency, entry.amount),
        "balance_change": _money(parts, currency, entry.balance_change),
        "balance_after": _money(parts, currency, entry.balance_after),
        "created_at": _iso_time(entry.created_at),
        **{
            name: getattr(entry, name)
            for name in ("session_id", "round_id", "game_id", "type", "frc_id", "orig_tx_id", "refunded_by")
            if getattr(entry, name)
        },
    }


def _campaign(parts: OperatorRuntime, campaign: Campaign) -> dict[str, Any]:
    """Our record, with what it gives away: the bet value of its line, and quantity x max_bet."""
    body = dict(campaign.__dict__)
    body["user_ids"] = list(campaign.user_ids) if campaign.user_ids is not None else None
    body["created_at"] = _iso_time(campaign.created_at)  # ISO 8601, as every time the API answers
    value = parts.campaigns.bet_value(campaign)
    body["bet_value"] = None
    body["face_value"] = None
    if value is not None:
        body["bet_value"] = {
            "max_bet": _money(parts, campaign.currency, value.max_bet),
            "max_target_multiplier": str(value.max_target_multiplier),
        }
        body["face_value"] = _money(parts, campaign.currency, face_value(campaign.quantity, value))
    return body


def _found_legal_bets(currency: str, game_id: str | None) -> LegalBets:
    """The table for a currency (game-wide), or the one a game plays by (its own, else game-wide)."""
    tables = operator_runtime().legal_bets
    table = tables.for_game(currency, game_id) if game_id else tables.get(currency, None)
    if table is None:
        raise NotFound(f"no legal bets table for {currency}" + (f" (game {game_id} or every game)" if game_id else ""))
    return table


def _replace_legal_bets(
    app: APIGatewayRestResolver, parts: OperatorRuntime, currency: str, game_id: str | None
) -> dict[str, Any]:
    request = _body(app, LegalBetsRequest)
    parts.catalogue.currency(currency)  # a table for a currency Playhub does not list is a 400
    try:
        lines = parse_lines(request.lines, parts.currencies.places(currency), currency)
    except ValueError as exc:
        raise BadRequest(f"lines: {exc}") from None
    updated_at = int(datetime.now(UTC).timestamp())
    return _legal_bets(parts.legal_bets.replace(LegalBets(currency, game_id, lines, updated_at)))


def _legal_bets(table: LegalBets) -> dict[str, Any]:
    return {
        "currency": table.currency,
        "game_id": table.game_id,  # None: every game without a table of its own
        "table": ", ".join(texts(table.lines)),  # as handed to Playhub
        "lines": [
            {
                "bet_line": number,
                "max_bet": str(value.max_bet),
                "max_target_multiplier": str(value.max_target_multiplier),
            }
            for number, value in enumerate(table.lines, start=1)
        ],
        "updated_at": _iso_time(table.updated_at),
    }


def _iso_time(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
