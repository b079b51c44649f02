"""POST /callback: the one URL for all four Playhub callbacks; the signed body's `action` picks.

Transport only, as the four dedicated functions: the same signature check, then the same code
path in the playhub layer as POST /balance, /bet, /win or /refund.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from playhub_wallet.http import handle_callback
from playhub_wallet.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_callback(event, context, None)
