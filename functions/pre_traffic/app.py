"""CodeDeploy's pre-traffic hook for the callbacks: check each new version, then say so to CodeDeploy.

CodeDeploy waits for the status (up to an hour): every path, a failure included, reports one.
"""

import json
import os
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.config import Config

from playhub_wallet.observability import logger
from playhub_wallet.pre_traffic import run_checks, targets_from
from playhub_wallet.settings import Settings

_CLIENT_CONFIG = Config(connect_timeout=5, read_timeout=15, retries={"max_attempts": 2, "mode": "standard"})


def _invoke(target: str, event: dict[str, Any]) -> dict[str, Any]:
    reply = boto3.client("lambda", config=_CLIENT_CONFIG).invoke(FunctionName=target, Payload=json.dumps(event))
    payload = reply["Payload"].read()
    if reply.get("FunctionError"):
        raise RuntimeError(f"the function failed ({reply['FunctionError']}): {payload[:300]!r}")
    answer: dict[str, Any] = json.loads(payload)
    return answer


def _failures() -> list[str]:
    try:
        targets = targets_from(os.environ)
        key = Settings.from_environment().callback_key_source().current()[0]
    except Exception as exc:  # the check itself cannot run: the release must not go on
        return [f"the check could not start: {exc}"]
    return run_checks(targets, key, _invoke)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    failures = _failures()
    status = "Failed" if failures else "Succeeded"
    for failure in failures:
        logger.error("pre-traffic check failed", extra={"failure": failure})
    logger.info("pre-traffic check done", extra={"status": status, "deployment_id": event.get("DeploymentId")})
    boto3.client("codedeploy", config=_CLIENT_CONFIG).put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=status,
    )
    return {"status": status}
