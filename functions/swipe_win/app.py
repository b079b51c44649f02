"""POST /swipe/win: Swipe Games' win callback. Transport only; the rules live in the playhub layer."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from playhub_wallet.models import Action
from playhub_wallet.observability import logger, metrics, tracer
from playhub_wallet.swipe_http import handle_swipe_callback


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_swipe_callback(event, context, Action.WIN)
