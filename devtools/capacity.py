"""What each callback costs in DynamoDB: requests, read units and write units.

Part of `make bench` (`python -m devtools.bench --capacity-only` for this section alone). Each
scenario plays on its own fresh session and wallet, so every figure is one callback's, from its
first request to its answer. Two figures per callback:
- billed: what DynamoDB's documented rules charge for the requests actually sent, item by item
  (strongly consistent read 1 unit per item up to 4 KB, transactional read 2; standard write 1
  unit per item up to 1 KB, transactional write 2, a ConditionCheck counted as one). The rules
  hold per item only while items stay under those sizes, so the run also measures every item it
  wrote (DynamoDB's size rules) and says if one is larger.
- reported: `ConsumedCapacity` as DynamoDB Local returns it (`ReturnConsumedCapacity=INDEXES`).
  Its reads follow the rules (except that a missing item costs nothing there); its transactional
  writes do not: it charges about 4 units per started KB of the whole transaction, however many
  items it holds (4 tiny puts: 4 units; one 1.5 KB put: 8), so it is shown, not trusted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from devtools import local_db

READ_OPERATIONS = frozenset({"GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan"})
# Happy-path budgets of the ledger issue, for the table's own units (indexes shown beside them).
TARGETS = {"bet": (2, 3, 6), "balance": (1, 2, 0)}


@dataclass
class Usage:
    """One callback's DynamoDB traffic."""

    operations: list[str] = field(default_factory=list)
    billed_read: float = 0.0  # by the documented per-item rules, for the requests sent
    billed_write: float = 0.0
    read_units: float = 0.0  # as DynamoDB Local reported them
    write_units: float = 0.0  # the table's
    index_write_units: float = 0.0  # every global secondary index's

    def bill(self, operation: str, params: dict[str, Any]) -> None:
        """The table's units for one request, by DynamoDB's rules for items under 4 KB (reads), 1 KB (writes)."""
        if operation == "GetItem":
            self.billed_read += 1 if params.get("ConsistentRead") else 0.5
        elif operation == "BatchGetItem":
            for request in params["RequestItems"].values():
                self.billed_read += len(request["Keys"]) * (1 if request.get("ConsistentRead") else 0.5)
        elif operation == "TransactGetItems":
            self.billed_read += 2 * len(params["TransactItems"])
        elif operation in {"PutItem", "UpdateItem", "DeleteItem"}:
            self.billed_write += 1
        elif operation == "TransactWriteItems":
            self.billed_write += 2 * len(params["TransactItems"])
        # Query and Scan are billed by the size of what they return: their reported figure counts.

    def add(self, operation: str, consumed: list[dict[str, Any]] | dict[str, Any] | None) -> None:
        self.operations.append(operation)
        for table in consumed if isinstance(consumed, list) else [consumed] if consumed else []:
            table_units = float(table.get("Table", {}).get("CapacityUnits", table.get("CapacityUnits", 0)))
            index_units = sum(
                float(index.get("CapacityUnits", 0)) for index in table.get("GlobalSecondaryIndexes", {}).values()
            )
            if operation in READ_OPERATIONS:
                self.read_units += table_units + index_units
                if operation in {"Query", "Scan"}:
                    self.billed_read += table_units + index_units
            else:
                self.write_units += table_units
                self.index_write_units += index_units


class Meter:
    """Asks DynamoDB for the consumed capacity of every request a client sends, and adds it up."""

    def __init__(self, client: Any) -> None:
        self.usage: Usage | None = None
        client.meta.events.register("provide-client-params.dynamodb.*", self._ask)
        client.meta.events.register("after-call.dynamodb.*", self._record)

    def measure(self, run: Callable[[], object]) -> Usage:
        self.usage = usage = Usage()
        try:
            run()
        finally:
            self.usage = None  # setup between scenarios is not counted
        return usage

    def _ask(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "INDEXES"
        if self.usage is not None:
            self.usage.bill(model.name, params)

    def _record(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        if self.usage is not None:
            self.usage.add(model.name, parsed.get("ConsumedCapacity"))


def item_size(item: dict[str, Any]) -> int:
    """An item's size by DynamoDB's rules (numbers counted at their 21-byte maximum: an upper bound)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, content),) = value.items()
    if kind == "S":
        return len(content.encode())
    if kind == "N":
        return 21
    if kind == "B":
        return len(content)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in content)
    if kind == "M":
        return 3 + sum(1 + len(name.encode()) + _value_size(element) for name, element in content.items())
    if kind == "SS":
        return sum(len(element.encode()) for element in content)
    return sum(21 if kind == "NS" else len(element) for element in content)


def largest_items(client: Any, table: str) -> dict[str, int]:
    """The largest item of each kind (its `entity`) in the table, in bytes."""
    largest: dict[str, int] = {}
    for page in client.get_paginator("scan").paginate(TableName=table):
        for item in page["Items"]:
            entity = item.get("entity", {}).get("S", "other")
            largest[entity] = max(largest.get(entity, 0), item_size(item))
    return largest


def scenarios(endpoint: str, table: str) -> tuple[dict[str, Usage], dict[str, int]]:
    """Each callback once on the happy path, its exact replay, and the refund cases."""
    from devtools.core_api_stub import catalogue_places  # noqa: PLC0415
    from playhub_wallet.dynamodb.callback_ledger import CallbackLedger  # noqa: PLC0415 - the layer's code
    from playhub_wallet.dynamodb.table import Table  # noqa: PLC0415
    from playhub_wallet.models import BalanceRequest, BetRequest, RefundRequest, WinRequest  # noqa: PLC0415
    from playhub_wallet.money import CurrencyTable  # noqa: PLC0415
    from playhub_wallet.rules import deposit  # noqa: PLC0415
    from playhub_wallet.state import WalletKey  # noqa: PLC0415
    from playhub_wallet.wallet import WalletService  # noqa: PLC0415

    client = local_db.local_client(endpoint)
    meter = Meter(client)
    wallet = WalletService(CallbackLedger(Table(client, table)), CurrencyTable(catalogue_places()))
    forever = float("inf")

    def fresh_session() -> str:
        player = f"cap-{uuid.uuid4().hex[:12]}"
        wallet.transfer(deposit(WalletKey(player, "EUR"), Decimal("100.00"), f"funding-{player}"), forever)
        return wallet.open_session(player, "EUR", "ph_limbo_97").session_id

    def request(kind: Any, session_id: str, **fields: str) -> Any:
        return kind.model_validate({"session_id": session_id, **fields})

    def bet(session_id: str, tx_id: str, round_id: str) -> Any:
        fields = {"action": "bet", "type": "bet", "amount": "1.00", "tx_id": tx_id, "round_id": round_id}
        return request(BetRequest, session_id, **fields)

    def win(session_id: str, tx_id: str, round_id: str) -> Any:
        fields = {"action": "win", "type": "win", "amount": "2.50", "tx_id": tx_id, "round_id": round_id}
        return request(WinRequest, session_id, **fields)

    def refund(session_id: str, tx_id: str, orig_tx_id: str) -> Any:
        return request(RefundRequest, session_id, action="refund", tx_id=tx_id, orig_tx_id=orig_tx_id)

    results: dict[str, Usage] = {}
    session = fresh_session()
    results["balance"] = meter.measure(
        lambda: wallet.balance(request(BalanceRequest, session, action="balance"), forever)
    )
    bet_request = bet(session, str(uuid.uuid4()), round_id := str(uuid.uuid4()))
    results["bet"] = meter.measure(lambda: wallet.bet(bet_request, forever))
    results["bet, exact replay"] = meter.measure(lambda: wallet.bet(bet_request, forever))
    win_request = win(session, str(uuid.uuid4()), round_id)
    results["win"] = meter.measure(lambda: wallet.win(win_request, forever))
    results["win, exact replay"] = meter.measure(lambda: wallet.win(win_request, forever))

    session = fresh_session()
    bet_request = bet(session, bet_tx := str(uuid.uuid4()), str(uuid.uuid4()))
    wallet.bet(bet_request, forever)
    refund_request = refund(session, str(uuid.uuid4()), bet_tx)
    results["refund of a bet"] = meter.measure(lambda: wallet.refund(refund_request, forever))
    results["refund, exact replay"] = meter.measure(lambda: wallet.refund(refund_request, forever))
    unknown = refund(session, str(uuid.uuid4()), str(uuid.uuid4()))
    results["refund, unknown bet"] = meter.measure(lambda: wallet.refund(unknown, forever))
    return results, largest_items(client, table)


def report(results: dict[str, Usage], largest: dict[str, int]) -> None:
    print("DynamoDB per callback (billed: documented per-item rules; reported: DynamoDB Local's ConsumedCapacity):")
    print(
        f"  {'callback':22} {'requests':>8} {'read':>5} {'write':>5}   {'reported: read':>14} {'write':>5}"
        f" {'index w.':>8}   operations"
    )
    for name, usage in results.items():
        print(
            f"  {name:22} {len(usage.operations):8d} {usage.billed_read:5g} {usage.billed_write:5g}"
            f"   {usage.read_units:14g} {usage.write_units:5g} {usage.index_write_units:8g}"
            f"   {', '.join(usage.operations)}"
        )
    for name, (requests, reads, writes) in TARGETS.items():
        usage = results[name]
        print(
            f"  target {name}: <= {requests} requests, <= {reads} read, <= {writes} write units;"
            f" billed {len(usage.operations)}, {usage.billed_read:g}, {usage.billed_write:g}"
        )
    sizes = ", ".join(f"{entity} {size} B" for entity, size in sorted(largest.items()))
    print(f"  largest item of each kind: {sizes}")
    # What a callback reads and writes on every request; the catalogue is read once per container.
    per_request = [size for entity, size in largest.items() if entity in {"entry", "wallet", "round", "session"}]
    if max(per_request, default=0) > 1024:
        print("  WARNING: an item a callback writes is over 1 KB: it costs more than the billed column says")
