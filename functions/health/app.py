"""GET /health: the table, the catalogue and every provider's keys readable, for the casino's monitoring (IAM)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from playhub_wallet.observability import logger, metrics, tracer
from playhub_wallet.operator_api import health_app

app = health_app()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
