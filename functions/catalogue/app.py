"""Scheduled: Playhub's catalogue (GET /currencies, then GET /games) into our table.

Launches and transfers are checked against the cached catalogue and never wait for GET /games
(10-20 s, over 1 MB). A failed refresh keeps the previous catalogue and fails the invocation,
which the function's errors alarm reports.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from playhub_wallet.observability import logger, metrics, record_catalogue_refresh, tracer
from playhub_wallet.operator_runtime import operator_runtime


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = operator_runtime().catalogue.refresh()
    record_catalogue_refresh(report)
    return dict(report.__dict__)
