"""Ledger writes and reads that only tests need, on the DynamoDB table (production code has
no use for them: the operator blocks a whole player, launch never reads a session back)."""

from __future__ import annotations

from playhub_wallet.dynamodb.codecs import session_from_item
from playhub_wallet.dynamodb.keys import session_key, wallet_key
from playhub_wallet.dynamodb.table import Table, deserialize
from playhub_wallet.state import ZERO, Session, WalletKey


def set_blocked(table: Table, key: WalletKey, blocked: bool) -> None:
    """Block or unblock one wallet's bets; a wallet that does not exist yet is created empty."""
    table.update_item(
        wallet_key(key),
        "SET #blocked = :blocked, #balance = if_not_exists(#balance, :zero),"
        " #version = if_not_exists(#version, :none), #entity = :wallet, #player_id = :player, #currency = :currency",
        None,
        {
            ":blocked": blocked,
            ":zero": ZERO,
            ":none": 0,
            ":wallet": "wallet",
            ":player": key.player_id,
            ":currency": key.currency,
        },
    )


def get_session(table: Table, session_id: str) -> Session | None:
    item = table.get(session_key(session_id))
    return session_from_item(item) if item else None


def sessions_of(table: Table, player_id: str) -> list[Session]:
    """Every session of a player: a scan, fine for a test's small table (production never asks)."""
    answer = table.call(
        "scan",
        TableName=table.name,
        FilterExpression="#entity = :session AND #player_id = :player",
        ExpressionAttributeNames={"#entity": "entity", "#player_id": "player_id"},
        ExpressionAttributeValues={":session": {"S": "session"}, ":player": {"S": player_id}},
    )
    return [session_from_item(deserialize(item) or {}) for item in answer.get("Items", [])]
