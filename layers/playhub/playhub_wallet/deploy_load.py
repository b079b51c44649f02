"""The catalogue's first load, during the deploy (a CloudFormation custom resource whose service
token is the catalogue function).

The callbacks take their decimal places from the cached catalogue. A stack that never loaded it
could not answer a callback, so the load runs before the callback functions are created or
updated (they depend on it). The resource always reports SUCCESS: on a first deploy the API key
may still be the placeholder the stack created, and a failed deploy would leave nothing to put
the key into. A failed load is reported in the resource's Reason and logged as an error; the
hourly schedule, or an invoke of the function, loads it later.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import requests

from playhub_wallet.playhub_catalogue import RefreshReport


def is_deploy_event(event: dict[str, Any]) -> bool:
    return "RequestType" in event and "ResponseURL" in event


def handle(
    event: dict[str, Any], refresh: Callable[[], RefreshReport], on_failure: Callable[[Exception], None]
) -> dict[str, Any]:
    """Load on Create and Update, nothing on Delete; answer CloudFormation in every case."""
    reason, data = "nothing to do on delete", {}
    if event["RequestType"] in ("Create", "Update"):
        try:
            report = refresh()
        except Exception as exc:  # reported, never raised: CloudFormation must hear back
            on_failure(exc)
            reason = (
                f"catalogue not loaded ({type(exc).__name__}); it loads hourly, or invoke the catalogue"
                " function once Playhub's API key is in place"
            )
        else:
            data = {"currencies": report.currencies, "games": report.games}
            reason = f"catalogue loaded: {report.currencies} currencies, {report.games} games"
    answer = {
        "Status": "SUCCESS",
        "Reason": reason,
        "PhysicalResourceId": event.get("PhysicalResourceId") or f"{event['LogicalResourceId']}-catalogue",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data,
    }
    body = json.dumps(answer).encode()
    # The response URL is a presigned S3 PUT: no content type, or the signature does not match.
    response = requests.put(event["ResponseURL"], data=body, headers={"Content-Type": ""}, timeout=30)
    response.raise_for_status()
    return answer
