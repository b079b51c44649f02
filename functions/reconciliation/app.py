"""Scheduled: check that every wallet changed since the last run equals the sum of its ledger."""

import time
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from playhub_wallet.observability import logger, metrics, record_reconciliation, tracer
from playhub_wallet.reconciliation_runtime import reconciler


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = reconciler().run(int(time.time()), since_hour=event.get("since_hour"))
    record_reconciliation(report)
    return {
        "wallets": report.wallets_checked,
        "entries": report.entries_checked,
        "pending": len(report.pending),
        "mismatches": len(report.mismatches),
    }
