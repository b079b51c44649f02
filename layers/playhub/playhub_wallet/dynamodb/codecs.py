"""Items to the domain's types and back, and the history page cursor."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from playhub_wallet.dynamodb.keys import entry_key, history_pk, history_sk, session_key
from playhub_wallet.models import Action
from playhub_wallet.state import (
    ZERO,
    Campaign,
    EntryKey,
    EntryKind,
    LedgerEntry,
    Provider,
    Session,
    Wallet,
    WalletKey,
)

_OPTIONAL_ENTRY_FIELDS = ("round_id", "game_id", "type", "frc_id", "orig_tx_id", "refunded_by")
_CURSOR_KEYS = frozenset({"pk", "sk", "history_pk", "history_sk"})


def session_to_item(session: Session, ttl: int) -> dict[str, Any]:
    return {
        **session_key(session.session_id),
        "entity": "session",
        "session_id": session.session_id,
        "player_id": session.player_id,
        "currency": session.currency,
        "game_id": session.game_id,
        "status": session.status,
        "created_at": session.created_at,
        "expires_at": session.expires_at,
        "ttl": ttl,
    }


def session_from_item(item: Mapping[str, Any]) -> Session:
    return Session(
        session_id=item["session_id"],
        player_id=item["player_id"],
        currency=item["currency"],
        game_id=item["game_id"],
        status=item["status"],
        created_at=int(item["created_at"]),
        expires_at=int(item["expires_at"]),
    )


def wallet_from_item(key: WalletKey, item: Mapping[str, Any] | None) -> Wallet:
    """A wallet never written reads as balance 0, version 0; so does one created empty at launch,
    which holds only its identity (and perhaps a block) until money first moves."""
    if item is None:
        return Wallet(key, ZERO, 0)
    version = int(item.get("version", 0))
    return Wallet(
        key,
        Decimal(item.get("balance", ZERO)),
        version,
        bool(item.get("blocked", False)),
        # Missing: written only by code older than the attribute, which never said: assume now.
        int(item.get("last_refund_seq", version)),
    )


def entry_to_item(entry: LedgerEntry) -> dict[str, Any]:
    item: dict[str, Any] = {
        **entry_key(entry.key),
        "entity": "entry",
        "action": entry.key.action.value,
        "playhub_tx_id": entry.key.playhub_tx_id,  # the provider's transaction id
        "kind": entry.kind.value,
        "our_tx_id": entry.our_tx_id,
        "player_id": entry.wallet.player_id,
        "currency": entry.wallet.currency,
        "session_id": entry.session_id,
        "outcome": entry.outcome,
        "fingerprint": entry.fingerprint,
        "created_at": entry.created_at,
        "amount": entry.amount,
        "balance_change": entry.balance_change,
    }
    if entry.key.provider is not Provider.PLAYHUB:  # an entry without it is Playhub's
        item["provider"] = entry.key.provider.value
    if entry.balance_after is not None:
        item["balance_after"] = entry.balance_after
    if entry.wallet_seq is not None:
        item["wallet_seq"] = entry.wallet_seq
        item["history_pk"] = history_pk(entry.wallet)
        item["history_sk"] = history_sk(entry.wallet_seq)
    for name in _OPTIONAL_ENTRY_FIELDS:
        value = getattr(entry, name)
        if value is not None:
            item[name] = value
    return item


def entry_from_item(item: Mapping[str, Any]) -> LedgerEntry:
    return LedgerEntry(
        key=EntryKey(Action(item["action"]), item["playhub_tx_id"], Provider(item.get("provider", Provider.PLAYHUB))),
        kind=EntryKind(item["kind"]),
        our_tx_id=item["our_tx_id"],
        wallet=WalletKey(item["player_id"], item["currency"]),
        session_id=item["session_id"],
        outcome=item["outcome"],
        fingerprint=item["fingerprint"],
        created_at=int(item["created_at"]),
        amount=Decimal(item["amount"]),
        balance_change=Decimal(item["balance_change"]),
        balance_after=Decimal(item["balance_after"]) if "balance_after" in item else None,
        wallet_seq=int(item["wallet_seq"]) if "wallet_seq" in item else None,
        **{name: item.get(name) for name in _OPTIONAL_ENTRY_FIELDS},
    )


def campaign_fields(campaign: Campaign) -> dict[str, Any]:
    fields = {name: getattr(campaign, name) for name in Campaign.__dataclass_fields__}
    fields["user_ids"] = list(campaign.user_ids) if campaign.user_ids is not None else None
    # Absent means Playhub: a Playhub campaign's item stays as it was before there were providers.
    fields["provider"] = None if campaign.provider is Provider.PLAYHUB else campaign.provider.value
    return {name: value for name, value in fields.items() if value is not None}


def campaign_from_item(item: Mapping[str, Any]) -> Campaign:
    user_ids = item.get("user_ids")
    return Campaign(
        external_id=item["external_id"],
        playhub_id=item["playhub_id"],
        game_id=item["game_id"],
        currency=item["currency"],
        quantity=int(item["quantity"]),
        bet_line=int(item["bet_line"]),
        valid_from=item["valid_from"],
        valid_until=item.get("valid_until"),
        user_ids=tuple(user_ids) if user_ids is not None else None,
        status=item["status"],
        created_at=int(item["created_at"]),
        bet_value=item.get("bet_value"),
        provider=Provider(item.get("provider", Provider.PLAYHUB.value)),
        exposure=item.get("exposure"),
    )


def encode_cursor(last_key: Mapping[str, Any]) -> str:
    plain = {name: value["S"] for name, value in last_key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, wallet_history_pk: str) -> dict[str, Any]:
    """The page's start key; refuses a cursor that is malformed or belongs to another wallet."""
    try:
        plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise ValueError("cursor is not one this service issued") from None
    well_formed = (
        isinstance(plain, dict)
        and set(plain) == _CURSOR_KEYS
        and all(isinstance(value, str) and value for value in plain.values())
        and plain["history_pk"] == wallet_history_pk
        and str(plain["pk"]).startswith("TX#")
        and plain["sk"] == "TX"
        and str(plain["history_sk"]).isdigit()
        and len(str(plain["history_sk"])) == 12
    )
    if not well_formed:
        raise ValueError("cursor is not one this service issued for this wallet")
    return {name: {"S": str(value)} for name, value in plain.items()}
