"""What the reconciliation container builds once: the reconciler over the ledger, nothing else."""

from __future__ import annotations

from functools import cache

from playhub_wallet.dynamodb.reconciliation import ReconciliationTable
from playhub_wallet.reconciliation import Reconciler
from playhub_wallet.runtime import table_from_environment
from playhub_wallet.settings import Settings


@cache
def reconciler() -> Reconciler:
    return Reconciler(ReconciliationTable(table_from_environment(Settings.from_environment())))
