"""Count the requests a ledger sends to its store: HTTP requests of a DynamoDB client (through
botocore's event hooks, retries included), or loads and commits of the in-memory ledger."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestCount:
    by_operation: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())


@contextmanager
def count_store_requests(backend: Any) -> Iterator[RequestCount]:
    count = RequestCount()
    client = backend.client
    if client is None:  # the in-memory ledger counts its own loads and commits
        loads, commits = backend.ledger.loads, backend.ledger.commits
        try:
            yield count
        finally:
            count.by_operation["load"] = backend.ledger.loads - loads
            count.by_operation["commit"] = backend.ledger.commits - commits
        return

    def on_send(request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        operation = target.decode() if isinstance(target, bytes) else str(target)
        count.by_operation[operation.rsplit(".", 1)[-1]] += 1

    client.meta.events.register("before-send.dynamodb", on_send)
    try:
        yield count
    finally:
        client.meta.events.unregister("before-send.dynamodb", on_send)
