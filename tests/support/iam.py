"""The IAM actions a DynamoDB client's requests need, and the ones template.yaml allows a function.

moto and DynamoDB Local do not enforce IAM, so a request kind a policy lacks (a BatchGetItem, a
ConditionCheck inside a transaction) passes every other test and fails on AWS with
AccessDenied. Tests record what the code sends with actions_sent and compare it with allowed.

The functions that are neither a callback nor the operator's may write only their own partitions
(template.yaml: dynamodb:LeadingKeys, and for launch's empty wallet dynamodb:Attributes). Tests
record every write with writes_sent and ask refused() which ones those conditions would deny.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
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
WRITE_ACTIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"})


def dynamodb_statements(function: str) -> list[dict[str, Any]]:
    """The function's policy statements that name a DynamoDB action."""
    policies = load_template()["Resources"][function]["Properties"]["Policies"]
    return [
        statement
        for policy in policies
        if "Statement" in policy
        for statement in policy["Statement"]
        if any(action.startswith("dynamodb:") for action in statement["Action"])
    ]


def allowed(function: str) -> set[str]:
    """The DynamoDB actions the function's policies allow (without the `dynamodb:` prefix), in
    any statement, whatever its condition."""
    return {
        action.removeprefix("dynamodb:")
        for statement in dynamodb_statements(function)
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


# Writes and the conditions on them ---------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """One write as IAM sees it: the action, and the values of the condition keys we use."""

    action: str
    leading_keys: frozenset[str]  # dynamodb:LeadingKeys: the partition key of every item written
    attributes: frozenset[str]  # dynamodb:Attributes: every attribute name the request names
    return_values: str | None  # dynamodb:ReturnValues, if the request says


def _partition_key() -> str:
    (name,) = [
        key["AttributeName"]
        for key in load_template()["Resources"]["LedgerTable"]["Properties"]["KeySchema"]
        if key["KeyType"] == "HASH"
    ]
    return str(name)


PARTITION_KEY = _partition_key()
_TOKEN = re.compile(r"[#:]?[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset({"SET", "REMOVE", "ADD", "DELETE", "AND", "OR", "NOT", "BETWEEN", "IN"})
_FUNCTIONS = frozenset(
    {
        "attribute_exists",
        "attribute_not_exists",
        "attribute_type",
        "begins_with",
        "contains",
        "size",
        "if_not_exists",
        "list_append",
    }
)


def _names(request: Mapping[str, Any], *fields: str) -> set[str]:
    """The attribute names the request's expressions use: #aliases resolved, bare names kept."""
    aliases = request.get("ExpressionAttributeNames", {})
    found: set[str] = set()
    for expression in (request.get(field, "") for field in fields):
        for token in _TOKEN.findall(expression):
            if token.startswith(":") or token.upper() in _KEYWORDS or token in _FUNCTIONS:
                continue
            found.add(aliases[token] if token.startswith("#") else token)
    return found


def _write(action: str, request: Mapping[str, Any]) -> Write:
    """A Put, Update or Delete request (on its own or inside a transaction) as IAM sees it."""
    named = request["Item"] if action == "PutItem" else request["Key"]
    attributes = set(named) | _names(request, "UpdateExpression", "ConditionExpression")
    return Write(
        action,
        frozenset({named[PARTITION_KEY]["S"]}),
        frozenset(attributes),
        request.get("ReturnValues"),
    )


def _batch_write(params: Mapping[str, Any]) -> Write:
    items = [
        request["PutRequest"]["Item"] if "PutRequest" in request else request["DeleteRequest"]["Key"]
        for requests in params["RequestItems"].values()
        for request in requests
    ]
    return Write(
        "BatchWriteItem",
        frozenset(item[PARTITION_KEY]["S"] for item in items),
        frozenset(name for item in items for name in item),
        None,
    )


@contextmanager
def writes_sent(client: Any) -> Iterator[list[Write]]:
    """Every write the client sends inside the block; a transaction's Puts, Updates and Deletes
    one by one, as IAM authorises them."""
    writes: list[Write] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name == "TransactWriteItems":
            for item in params["TransactItems"]:
                for kind, request in item.items():
                    if TRANSACTION_ITEM_ACTIONS[kind] in WRITE_ACTIONS:
                        writes.append(_write(TRANSACTION_ITEM_ACTIONS[kind], request))
        elif model.name == "BatchWriteItem":
            writes.append(_batch_write(params))
        elif model.name in WRITE_ACTIONS:
            writes.append(_write(model.name, params))

    client.meta.events.register("provide-client-params.dynamodb.*", record)
    try:
        yield writes
    finally:
        client.meta.events.unregister("provide-client-params.dynamodb.*", record)


def string_like(pattern: str, value: str) -> bool:
    """IAM's StringLike: case-sensitive, `*` any run of characters (none too), `?` one character."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _values(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _holds(operator: str, key: str, wanted: list[str], write: Write) -> bool:
    """One condition of a statement, for the operators and keys template.yaml uses; any other
    raises, so that a new condition is never passed unread."""
    context: dict[str, frozenset[str] | str | None] = {
        "dynamodb:LeadingKeys": write.leading_keys,
        "dynamodb:Attributes": write.attributes,
        "dynamodb:ReturnValues": write.return_values,
    }
    if key not in context:
        raise ValueError(f"no model of the condition key {key}")
    present = context[key]
    if operator == "Null":  # "false": the key must be in the request, and not empty
        return (not present) == (wanted == ["true"])
    if operator == "ForAllValues:StringLike":  # also true when the request has no value
        assert isinstance(present, frozenset), key
        return all(any(string_like(p, value) for p in wanted) for value in present)
    if operator == "ForAllValues:StringEquals":
        assert isinstance(present, frozenset), key
        return present <= set(wanted)
    if operator == "StringEqualsIfExists":
        assert not isinstance(present, frozenset), key
        return present is None or present in wanted
    raise ValueError(f"no model of the condition operator {operator}")


def permits(statement: Mapping[str, Any], write: Write) -> bool:
    """Whether this Allow statement lets the write through (the table is its only resource)."""
    if statement["Effect"] != "Allow" or f"dynamodb:{write.action}" not in statement["Action"]:
        return False
    if statement["Resource"] != {"Fn::GetAtt": ["LedgerTable", "Arn"]}:
        return False
    return all(
        _holds(operator, key, _values(wanted), write)
        for operator, keys in statement.get("Condition", {}).items()
        for key, wanted in keys.items()
    )


def refused(function: str, writes: Iterable[Write]) -> list[Write]:
    """The writes no statement of the function's policy allows, conditions included."""
    statements = dynamodb_statements(function)
    return [write for write in writes if not any(permits(statement, write) for statement in statements)]
