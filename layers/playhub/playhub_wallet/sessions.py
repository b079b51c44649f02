"""Our game sessions. The id names the wallet it plays on, so one read fetches both.

A session id looks like ``ph1.<base64url of ["player", "EUR", "game"]>.<random>``. It is
only valid while a session item with exactly that id exists, so an altered id finds nothing.
The prefix names the provider whose game the session plays: ``ph1`` Playhub, ``sw1`` Swipe
Games. A provider's callbacks find only its own sessions (WalletService), so their transaction
ids land in its own key space of the ledger.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
from dataclasses import dataclass

from playhub_wallet.money import CURRENCY_PATTERN
from playhub_wallet.state import LedgerPort, Provider, Session, WalletKey

SESSION_ID_PREFIXES = {Provider.PLAYHUB: "ph1", Provider.SWIPE: "sw1"}
_PROVIDER_OF_PREFIX = {prefix: provider for provider, prefix in SESSION_ID_PREFIXES.items()}
PLAYER_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:@+-]{1,64}$")
GAME_ID_PATTERN = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
ACTIVE = "active"


@dataclass(frozen=True)
class SessionRef:
    """What a session id says about itself, before the store confirms it."""

    session_id: str
    player_id: str
    currency: str
    game_id: str
    provider: Provider = Provider.PLAYHUB

    @property
    def wallet_key(self) -> WalletKey:
        return WalletKey(self.player_id, self.currency)


def new_session_id(player_id: str, currency: str, game_id: str, provider: Provider = Provider.PLAYHUB) -> str:
    _check_parts(player_id, currency, game_id)
    parts = json.dumps([player_id, currency, game_id], separators=(",", ":")).encode()
    encoded = base64.urlsafe_b64encode(parts).decode().rstrip("=")
    return f"{SESSION_ID_PREFIXES[provider]}.{encoded}.{secrets.token_urlsafe(16)}"


def parse_session_id(session_id: str) -> SessionRef | None:
    """The parts of a well-formed id, or None for anything we cannot have issued."""
    prefix, _, rest = session_id.partition(".")
    encoded, _, nonce = rest.partition(".")
    provider = _PROVIDER_OF_PREFIX.get(prefix)
    if provider is None or not encoded or not nonce:
        return None
    try:
        parts = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not (isinstance(parts, list) and len(parts) == 3 and all(isinstance(p, str) for p in parts)):
        return None
    player_id, currency, game_id = parts
    try:
        _check_parts(player_id, currency, game_id)
    except ValueError:
        return None
    return SessionRef(session_id, player_id, currency, game_id, provider)


def _check_parts(player_id: str, currency: str, game_id: str) -> None:
    if not PLAYER_ID_PATTERN.fullmatch(player_id):
        raise ValueError("player_id must be 1-64 characters of letters, digits and _.:@+-")
    if not CURRENCY_PATTERN.fullmatch(currency):
        raise ValueError("currency must be an upper-case code such as EUR or BTC")
    if not GAME_ID_PATTERN.fullmatch(game_id):
        raise ValueError("game_id must be 1-64 characters of letters, digits and _.:-")


def open_session(
    ledger: LedgerPort,
    *,
    player_id: str,
    currency: str,
    game_id: str,
    now: int,
    idle_seconds: int,
    retention_seconds: int,
    provider: Provider = Provider.PLAYHUB,
) -> Session:
    """Create an active session; it expires idle_seconds from now, unless bets extend it."""
    session = Session(
        session_id=new_session_id(player_id, currency, game_id, provider),
        player_id=player_id,
        currency=currency,
        game_id=game_id,
        status=ACTIVE,
        created_at=now,
        expires_at=now + idle_seconds,
    )
    ledger.put_session(session, ttl=session.expires_at + retention_seconds)
    return session
