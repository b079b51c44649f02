"""Long random sequences of callbacks against the reference model of the case table, on the
in-memory ledger (tests/support/wallet_model.py; DynamoDB Local: tests/integration)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from support.memory_ledger import InMemoryLedger
from support.wallet_model import run_model

from playhub_wallet.state import LedgerEntry, LedgerPort, WalletKey


def memory_history(ledger: LedgerPort, key: WalletKey) -> list[LedgerEntry]:
    assert isinstance(ledger, InMemoryLedger)
    entries = [entry for entry in ledger.entries.values() if entry.wallet == key and entry.wallet_seq is not None]
    return sorted(entries, key=lambda entry: entry.wallet_seq or 0)


def test_the_wallet_plays_by_the_case_table_on_the_memory_ledger() -> None:
    run_model(
        InMemoryLedger,
        memory_history,
        settings(
            max_examples=200,
            stateful_step_count=40,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
