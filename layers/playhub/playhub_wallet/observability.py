"""Logger, metrics and tracer shared by every function (powertools).

POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE come from the template. Tracing is the
stack's choice (parameter Tracing): when it is off, the X-Ray SDK is neither deployed nor imported.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from playhub_wallet.rules import ANOMALIES, UNKNOWN_ORIGINAL

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

    from playhub_wallet.money import CurrencyTable
    from playhub_wallet.playhub_catalogue import RefreshReport
    from playhub_wallet.reconciliation import ReconciliationReport
    from playhub_wallet.wallet import CallbackResult


class Untraced:
    """Stands in for powertools' Tracer when tracing is off: same decorators, nothing recorded."""

    def capture_lambda_handler(self, lambda_handler: Callable[..., Any] | None = None, **_: Any) -> Any:
        return lambda_handler if lambda_handler is not None else (lambda handler: handler)

    def capture_method(self, method: Callable[..., Any] | None = None, **_: Any) -> Any:
        return method if method is not None else (lambda function: function)


def tracing_enabled() -> bool:
    """Only when the stack says so (the template always sets it): the X-Ray SDK is then deployed."""
    return os.environ.get("POWERTOOLS_TRACE_DISABLED", "true").strip().lower() in {"0", "false", "no", "off"}


def build_tracer() -> Tracer:
    if not tracing_enabled():
        return cast("Tracer", Untraced())
    from aws_lambda_powertools import Tracer  # noqa: PLC0415 - imports the X-Ray SDK

    return Tracer()


# Most operator requests and refused callbacks count nothing of their own: powertools would log
# a warning for each of them.
warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)

logger = Logger()
metrics = Metrics()
tracer = build_tracer()


# The service name of the function dedicated to a callback (template.yaml: playhub-bet, ...).
CALLBACK_SERVICE = "playhub-{action}"


def attribute_to(action: str) -> None:
    """Count this invocation under the service of the callback's dedicated function.

    The one URL (POST /callback) serves all four callbacks: once its body has said which one it
    is, its metrics go where the dedicated function's go, so the same alarms and dashboard see
    a bet whichever URL Playhub sent it to. Cleared with the metrics at the end of the invocation.
    """
    metrics.add_dimension(name="service", value=CALLBACK_SERVICE.format(action=action))


def record_callback(action: str, result: CallbackResult, currencies: CurrencyTable) -> None:
    """Count the callback, its money and anything worth a look; log one line without the body."""
    entry = result.entry
    metrics.add_metric(name=f"{action.capitalize()}Callbacks", unit=MetricUnit.Count, value=1)
    if result.replayed:
        metrics.add_metric(name="DuplicateCallbacks", unit=MetricUnit.Count, value=1)
    elif entry is not None and entry.balance_change:
        # Telemetry in minor units, an integer, so no float ever carries money.
        minor_units = int(abs(entry.balance_change).scaleb(currencies.places(entry.wallet.currency)))
        metrics.add_metric(name=f"{action.capitalize()}AmountMinorUnits", unit=MetricUnit.Count, value=minor_units)
    if entry is not None and not result.replayed:
        if entry.outcome in ANOMALIES:
            metrics.add_metric(name="Anomalies", unit=MetricUnit.Count, value=1)
        if entry.outcome == UNKNOWN_ORIGINAL:
            metrics.add_metric(name="RefundsOfUnknownTransactions", unit=MetricUnit.Count, value=1)
    logger.info(
        "callback applied" if not result.replayed else "callback replayed",
        extra={
            "action": action,
            "outcome": entry.outcome if entry else "balance",
            "our_tx_id": entry.our_tx_id if entry else None,
            "anomaly": bool(entry and entry.outcome in ANOMALIES),
        },
    )


def record_refusal(action: str, status: int, reason: str) -> None:
    """Count an error answer by class (4xx for Playhub's input, 5xx for our faults); log why."""
    metrics.add_metric(name=f"{action.capitalize()}{status // 100}xx", unit=MetricUnit.Count, value=1)
    if status == 401:
        metrics.add_metric(name="SignatureFailures", unit=MetricUnit.Count, value=1)
    log = logger.error if status >= 500 else logger.warning
    log("callback refused", extra={"action": action, "status": status, "reason": reason})


def record_reused_transaction_id(action: str) -> None:
    """A provider's transaction id back with another payload: refused (400), and counted for review.

    Swipe promises a txID unique for three months only, and we keep ours for ever (SWIPE.md §12).
    """
    metrics.add_metric(name="Anomalies", unit=MetricUnit.Count, value=1)
    logger.warning("transaction id reused with another payload", extra={"action": action, "anomaly": True})


def record_reconciliation(report: ReconciliationReport) -> None:
    """Mismatches are errors for a human: logged with the wallet and the first diverging entry."""
    metrics.add_metric(name="WalletsReconciled", unit=MetricUnit.Count, value=report.wallets_checked)
    metrics.add_metric(name="ReconciliationMismatches", unit=MetricUnit.Count, value=len(report.mismatches))
    metrics.add_metric(name="ReconciliationPending", unit=MetricUnit.Count, value=len(report.pending))
    for mismatch in report.mismatches:
        logger.error(
            "reconciliation mismatch",
            extra={
                "player_id": mismatch.wallet.player_id,
                "currency": mismatch.wallet.currency,
                "reason": mismatch.reason,
                "seq": mismatch.seq,
                "our_tx_id": mismatch.our_tx_id,
                "expected": str(mismatch.expected) if mismatch.expected is not None else None,
                "found": str(mismatch.found) if mismatch.found is not None else None,
            },
        )
    logger.info(
        "reconciliation done",
        extra={
            "hours": report.hours,
            "wallets": report.wallets_checked,
            "entries": report.entries_checked,
            "pending": len(report.pending),
            "mismatches": len(report.mismatches),
        },
    )


def record_catalogue_refresh(report: RefreshReport) -> None:
    metrics.add_metric(name="CatalogueCurrencies", unit=MetricUnit.Count, value=report.currencies)
    metrics.add_metric(name="CatalogueGames", unit=MetricUnit.Count, value=report.games)
    metrics.add_metric(name="CatalogueGamesDropped", unit=MetricUnit.Count, value=report.games_dropped)
    logger.info("catalogue refreshed", extra=dict(report.__dict__))


def record_swipe_catalogue_refresh(games: int, games_dropped: int) -> None:
    metrics.add_metric(name="SwipeCatalogueGames", unit=MetricUnit.Count, value=games)
    metrics.add_metric(name="SwipeCatalogueGamesDropped", unit=MetricUnit.Count, value=games_dropped)
    logger.info("Swipe game list refreshed", extra={"games": games, "games_dropped": games_dropped})


def record_operator_server_error() -> None:
    """A 5xx of the launch or operator routes: caught by the resolver, so Lambda never sees it fail."""
    metrics.add_metric(name="ServerErrors", unit=MetricUnit.Count, value=1)
