"""CodeDeploy's pre-traffic hook for the callbacks: check each new version, then say so to CodeDeploy.

CodeDeploy waits for the status (up to an hour): every path, a failure included, reports one, and
before this function's own timeout (the checks get the time left, less REPORT_MARGIN_SECONDS).
"""

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config
from botocore.exceptions import ClientError

from playhub_wallet.dynamodb.catalogue import CatalogueTable
from playhub_wallet.observability import logger
from playhub_wallet.pre_traffic import probe_currency, run_checks, targets_from
from playhub_wallet.runtime import table_from_environment
from playhub_wallet.settings import Settings

REPORT_MARGIN_SECONDS = 15.0
# A callback answers within 5 s, a cold one within a few more; one retry for a dropped connection.
_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=20, retries={"total_max_attempts": 2, "mode": "standard"})


def _failures(context: LambdaContext) -> list[str]:
    try:
        targets = targets_from(os.environ)
        settings = Settings.from_environment()
        key = settings.callback_key_source().current()[0]
        swipe_key = settings.swipe_callback_key_source().current()[0]
        currency = probe_currency(CatalogueTable(table_from_environment(settings)).currencies())
    except Exception as exc:  # the check itself cannot run: the release must not go on
        return [f"the check could not start: {exc}"]
    client = boto3.client("lambda", config=_CLIENT_CONFIG)

    def invoke(target: str, event: dict[str, Any]) -> dict[str, Any]:
        reply = client.invoke(FunctionName=target, Payload=json.dumps(event))
        payload = reply["Payload"].read()
        if reply.get("FunctionError"):
            raise RuntimeError(f"the function failed ({reply['FunctionError']}): {payload[:300]!r}")
        answer: dict[str, Any] = json.loads(payload)
        return answer

    budget = context.get_remaining_time_in_millis() / 1000 - REPORT_MARGIN_SECONDS
    return run_checks(targets, key, invoke, currency=currency, within_seconds=max(budget, 1.0), swipe_key=swipe_key)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    failures = _failures(context)
    status = "Failed" if failures else "Succeeded"
    for failure in failures:
        logger.error("pre-traffic check failed", extra={"failure": failure})
    logger.info("pre-traffic check done", extra={"status": status, "deployment_id": event.get("DeploymentId")})
    try:
        boto3.client("codedeploy", config=_CLIENT_CONFIG).put_lifecycle_event_hook_execution_status(
            deploymentId=event["DeploymentId"],
            lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=status,
        )
    except ClientError as error:  # Lambda retried an invocation whose status CodeDeploy already has
        if error.response.get("Error", {}).get("Code") != "LifecycleEventAlreadyCompletedException":
            raise
        logger.warning("CodeDeploy already had this hook's status", extra={"deployment_id": event["DeploymentId"]})
    return {"status": status}
