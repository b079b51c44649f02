"""The IAM actions a DynamoDB client's requests need, and the ones template.yaml allows a function.

moto and DynamoDB Local do not enforce IAM, so a request kind a policy lacks (a BatchGetItem, a
ConditionCheck inside a transaction) passes every other test and fails on AWS with
AccessDenied. Tests record what the code sends with actions_sent and compare it with allowed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from devtools.template import load_template

# A transaction is authorised item by item, as the single-item action each one stands for.
TRANSACTION_ITEM_ACTIONS = {
    "Get": "GetItem",
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def allowed(function: str) -> set[str]:
    """The DynamoDB actions the function's policies allow (without the `dynamodb:` prefix)."""
    policies = load_template()["Resources"][function]["Properties"]["Policies"]
    return {
        action.removeprefix("dynamodb:")
        for policy in policies
        if "Statement" in policy
        for statement in policy["Statement"]
        for action in statement["Action"]
        if action.startswith("dynamodb:")
    }


@contextmanager
def actions_sent(client: Any) -> Iterator[set[str]]:
    """The IAM actions of every request the client sends inside the block."""
    actions: set[str] = set()

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in {"TransactGetItems", "TransactWriteItems"}:
            actions.update(TRANSACTION_ITEM_ACTIONS[kind] for item in params["TransactItems"] for kind in item)
        else:
            actions.add(model.name)

    client.meta.events.register("provide-client-params.dynamodb.*", record)
    try:
        yield actions
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.*", record)
