"""POST /games/launch: start a game for a player. The casino backend calls it (IAM-signed)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from playhub_wallet.observability import logger, metrics, tracer
from playhub_wallet.operator_api import launch_app

app = launch_app()


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
