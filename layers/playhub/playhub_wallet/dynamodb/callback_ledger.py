"""The callbacks' ledger (state.LedgerPort): one read and one transaction per callback."""

from __future__ import annotations

from typing import Any

from playhub_wallet.dynamodb.codecs import (
    entry_from_item,
    entry_to_item,
    session_from_item,
    session_to_item,
    wallet_from_item,
)
from playhub_wallet.dynamodb.keys import changed_bucket, entry_key, round_key, session_key, wallet_key
from playhub_wallet.dynamodb.table import Table, deserialize, serialize
from playhub_wallet.state import (
    ZERO,
    EntryKey,
    EntryKind,
    LedgerEntry,
    LedgerPort,
    Reads,
    RoundKey,
    Session,
    Snapshot,
    StaleSnapshot,
    StorageBusy,
    WritePlan,
)


class CallbackLedger(LedgerPort):
    def __init__(self, table: Table) -> None:
        self._table = table

    def load(self, reads: Reads) -> Snapshot:
        """Session, wallet, entries and round in one strongly consistent BatchGetItem request.

        One read unit per item, half of a TransactGetItems. The items are read one by one, not at
        one instant, which is safe because (see state.Reads):
        - every fact a write relies on is a condition of its commit (the wallet's version, the
          entry's absence, the bet not refunded yet, ...), so a commit on a stale read fails and
          the callback reads again;
        - an answer without a write (a replay, a refusal) must be one a snapshot could give: a
          wallet read before an entry of its own that is newer than it is refused here
          (StaleSnapshot: read again); a replayed bet, which a refund can still mark, and a
          refusal made while the callback's own entry read absent, are confirmed by the
          WalletService with one more read.
        Keys DynamoDB leaves unprocessed (throttling) make the whole read StorageBusy: the
        callback retries it with backoff, as any throttled request.
        """
        wanted: dict[tuple[str, str], EntryKey | str] = {_key_id(wallet_key(reads.wallet)): "wallet"}
        if reads.session_id is not None:
            wanted[_key_id(session_key(reads.session_id))] = "session"
        for key in reads.entries:
            wanted[_key_id(entry_key(key))] = key
        if reads.round is not None:
            wanted[_key_id(round_key(reads.round))] = "round"
        keys = [serialize({"pk": pk, "sk": sk}) for pk, sk in wanted]
        table = self._table.name
        answer = self._table.call("batch_get_item", RequestItems={table: {"Keys": keys, "ConsistentRead": True}})
        if answer.get("UnprocessedKeys"):
            raise StorageBusy("BatchGetItem left keys unprocessed")
        found: dict[Any, dict[str, Any]] = {}
        for raw in answer.get("Responses", {}).get(table, []):
            item = deserialize(raw) or {}
            found[wanted[(item["pk"], item["sk"])]] = item
        wallet = wallet_from_item(reads.wallet, found.get("wallet"))
        entries = {key: entry_from_item(found[key]) for key in reads.entries if key in found}
        for entry in entries.values():
            if entry.wallet == wallet.key and (entry.wallet_seq or 0) > wallet.version:
                raise StaleSnapshot(f"the wallet was read before its entry {entry.wallet_seq}")
        session_item = found.get("session")
        return Snapshot(
            session=session_from_item(session_item) if session_item else None,
            wallet=wallet,
            entries=entries,
            round_has_bet="round" in found,
        )

    def entry(self, key: EntryKey) -> LedgerEntry | None:
        item = self._table.get(entry_key(key))
        return entry_from_item(item) if item else None

    def commit(self, plan: WritePlan) -> None:
        """Everything in the plan in one TransactWriteItems, guarded by the plan's conditions."""
        table = self._table
        items: list[dict[str, Any]] = [table.put_new(entry_to_item(plan.entry)), self._move_wallet(plan)]
        if plan.session_extension is not None:
            ext = plan.session_extension
            items.append(
                table.update(
                    session_key(ext.session_id),
                    "SET #expires_at = :expires_at, #ttl = :ttl",
                    "attribute_exists(pk) AND #status = :active AND #expires_at > :now",
                    {":expires_at": ext.new_expires_at, ":ttl": ext.ttl, ":now": ext.now, ":active": "active"},
                )
            )
        if plan.round_bet is not None:
            items.append(
                table.update(
                    round_key(plan.round_bet),
                    "SET #entity = :round, #first_bet_at = if_not_exists(#first_bet_at, :now) ADD #bet_count :one",
                    None,
                    {":round": "round", ":now": plan.entry.created_at, ":one": 1},
                )
            )
        if plan.bet_refund is not None:
            items.append(
                table.update(
                    entry_key(plan.bet_refund.bet),
                    "SET #refunded_by = :refund",
                    "attribute_exists(pk) AND #kind = :applied AND attribute_not_exists(#refunded_by)",
                    {":refund": plan.bet_refund.refund_playhub_tx_id, ":applied": EntryKind.APPLIED.value},
                )
            )
        if plan.refund_marker is not None:
            items.append(table.put_new(entry_to_item(plan.refund_marker)))
        items += [
            table.still_absent(round_key(key) if isinstance(key, RoundKey) else entry_key(key))
            for key in plan.still_absent
        ]
        table.call("transact_write_items", TransactItems=items)

    def put_session(self, session: Session, ttl: int) -> None:
        self._table.call(
            "put_item",
            TableName=self._table.name,
            Item=serialize(session_to_item(session, ttl)),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def _move_wallet(self, plan: WritePlan) -> dict[str, Any]:
        move = plan.wallet_move
        # Version 0: never written, or created empty when a game was launched (no version yet).
        conditions = [
            "(attribute_not_exists(#version) OR #version = :expected)"
            if move.expected_version == 0
            else "#version = :expected"
        ]
        values: dict[str, Any] = {
            ":zero": ZERO,
            ":delta": move.delta,
            ":expected": move.expected_version,
            ":next": move.expected_version + 1,
            ":now": plan.entry.created_at,
            ":wallet": "wallet",
            ":player": move.key.player_id,
            ":currency": move.key.currency,
            ":bucket": changed_bucket(move.key, plan.entry.created_at),
        }
        if move.delta < 0:
            # Belt and braces: the store itself refuses to go below zero.
            conditions.append("#balance >= :debit")
            values[":debit"] = -move.delta
        if move.refuse_if_blocked:
            conditions.append("(attribute_not_exists(#blocked) OR #blocked = :false)")
            values[":false"] = False
        # A refund of a bet leaves its version on the wallet: a replay of a bet older than that
        # reads the bet once more (state.Reads). A wallet that code before this attribute
        # wrote gets its current version on its first move, as if a refund had just landed.
        refund = (
            ", #last_refund_seq = :next"
            if plan.bet_refund is not None
            else ", #last_refund_seq = if_not_exists(#last_refund_seq, :next)"
        )
        return self._table.update(
            wallet_key(move.key),
            "SET #balance = if_not_exists(#balance, :zero) + :delta, #version = :next, #updated_at = :now,"
            " #entity = :wallet, #player_id = :player, #currency = :currency, #changed_bucket = :bucket" + refund,
            " AND ".join(conditions),
            values,
        )


def _key_id(key: dict[str, str]) -> tuple[str, str]:
    return key["pk"], key["sk"]
