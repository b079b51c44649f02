"""The legal bets tables (legal_bets.LegalBetsStore): one item per currency and game, in one
partition, since there are a handful and the operator lists them all."""

from __future__ import annotations

from typing import Any

from playhub_wallet.dynamodb.keys import LEGAL_BETS_PK, legal_bets_key, legal_bets_scope
from playhub_wallet.dynamodb.table import Table
from playhub_wallet.legal_bets import BetValue, LegalBets, LegalBetsStore, texts


class LegalBetsTable(LegalBetsStore):
    def __init__(self, table: Table) -> None:
        self._table = table

    def legal_bets(self, currency: str, game_id: str | None) -> LegalBets | None:
        item = self._table.get(legal_bets_key(currency, game_id))
        return _from_item(item) if item else None

    def all_legal_bets(self) -> list[LegalBets]:
        return [_from_item(item) for item in self._table.query("pk = :pk", {":pk": LEGAL_BETS_PK})]

    def put_legal_bets(self, table: LegalBets) -> None:
        self._table.put(
            {
                **legal_bets_key(table.currency, table.game_id),
                "entity": "legal_bets",
                "lines": texts(table.lines),
                "updated_at": table.updated_at,
            }
        )


def _from_item(item: dict[str, Any]) -> LegalBets:
    currency, game_id = legal_bets_scope(item["sk"])
    lines = tuple(BetValue.parse(text) for text in item["lines"])
    return LegalBets(currency, game_id, lines, int(item.get("updated_at", 0)))
