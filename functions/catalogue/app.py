"""Scheduled: Playhub's catalogue (GET /currencies, then GET /games) into our table, then Swipe's
game list with its bet lines where the stack serves Swipe; and their first load during a deploy
(a CloudFormation custom resource, before the callbacks start).

Launches and transfers are checked against the cached catalogue and never wait for GET /games
(10-20 s, over 1 MB). A failed scheduled refresh keeps the previous catalogue and fails the
invocation, which the function's errors alarm reports.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from playhub_wallet import deploy_load
from playhub_wallet.observability import (
    logger,
    metrics,
    record_catalogue_refresh,
    record_swipe_catalogue_refresh,
    tracer,
)
from playhub_wallet.operator_runtime import operator_runtime
from playhub_wallet.playhub_catalogue import RefreshReport


def refresh() -> RefreshReport:
    parts = operator_runtime()
    report = parts.catalogue.refresh()
    record_catalogue_refresh(report)
    # After Playhub's, which the callbacks need: Swipe down must not keep Playhub's from loading.
    # A failure still fails the invocation, which the function's errors alarm reports.
    if parts.swipe is not None:
        record_swipe_catalogue_refresh(*parts.swipe.catalogue.refresh())
    return report


def deploy_load_failed(error: Exception) -> None:
    logger.error("catalogue not loaded at deploy", extra={"error": type(error).__name__, "details": str(error)})


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if deploy_load.is_deploy_event(event):
        return deploy_load.handle(event, refresh, deploy_load_failed)
    return dict(refresh().__dict__)
