"""The one table: its client, the call with its error translation, paging, and the request pieces
every store builds from. Expression attribute names are derived from the expression itself."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from playhub_wallet.state import StaleSnapshot, StorageBusy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

# Short timeouts (DynamoDB answers in milliseconds): two attempts of one call fit well inside the
# time budget, so even a hung connection ends in a clean 500 before the Lambda's own limit.
CLIENT_CONFIG = Config(
    connect_timeout=0.5,
    read_timeout=1,
    retries={"mode": "standard", "total_max_attempts": 2},
    tcp_keepalive=True,
    # The stores write every request themselves, and DynamoDB validates each one anyway:
    # botocore's client-side check of the same shapes costs about a sixth of a warm callback.
    parameter_validation=False,
)
_BUSY_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TransactionConflictException",
        "InternalServerError",
        "ServiceUnavailable",
        "ThrottlingError",
        "TransactionConflict",
        "TransactionInProgressException",
        "ProvisionedThroughputExceeded",  # the reason code inside a cancelled transaction
    }
)
_NAME = re.compile(r"#(\w+)")
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
Key = Mapping[str, str]


def create_client(endpoint_url: str | None = None, region_name: str | None = None) -> DynamoDBClient:
    return boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=region_name, config=CLIENT_CONFIG)


class Table:
    def __init__(self, client: DynamoDBClient, name: str) -> None:
        self.client = client
        self.name = name

    def call(self, operation: str, **kwargs: Any) -> Any:
        """One request; DynamoDB's refusals become StaleSnapshot (a condition) or StorageBusy."""
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            raise translate(exc) from exc
        except BotoCoreError as exc:  # connection or read timeout: the outcome is unknown, read again
            raise StorageBusy(type(exc).__name__) from exc

    def get(self, key: Key) -> dict[str, Any] | None:
        """One item by its key, strongly consistent; None when there is none."""
        answer = self.call("get_item", TableName=self.name, Key=serialize(key), ConsistentRead=True)
        return deserialize(answer.get("Item"))

    def put(self, item: Mapping[str, Any]) -> None:
        self.call("put_item", TableName=self.name, Item=serialize(item))

    def update_item(
        self, key: Key, update: str, condition: str | None, values: Mapping[str, Any], **options: Any
    ) -> Any:
        """One UpdateItem on its own (options: ReturnValues, ...); the pieces as for update()."""
        return self.call("update_item", **self.update(key, update, condition, values)["Update"], **options)

    def delete(self, key: Key) -> None:
        self.call("delete_item", TableName=self.name, Key=serialize(key))

    def query(self, key_condition: str, values: Mapping[str, Any], **options: Any) -> Iterator[dict[str, Any]]:
        """Every item the query finds, page after page."""
        request = {
            "TableName": self.name,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": serialize(values),
            **options,
        }
        while True:
            answer = self.call("query", **request)
            for item in answer.get("Items", []):
                yield deserialize(item) or {}
            if "LastEvaluatedKey" not in answer:
                return
            request["ExclusiveStartKey"] = answer["LastEvaluatedKey"]

    def batch_write(self, puts: Sequence[Mapping[str, Any]], deletes: Sequence[Key], attempts: int = 8) -> None:
        """Many puts and deletes, 25 to a request; what DynamoDB leaves unprocessed is sent again."""
        requests = [{"PutRequest": {"Item": serialize(item)}} for item in puts]
        requests += [{"DeleteRequest": {"Key": serialize(key)}} for key in deletes]
        for start in range(0, len(requests), 25):
            pending = requests[start : start + 25]
            for attempt in range(attempts):
                answer = self.call("batch_write_item", RequestItems={self.name: pending})
                pending = answer.get("UnprocessedItems", {}).get(self.name, [])
                if not pending:
                    break
                time.sleep(min(1.0, 0.05 * 2**attempt))
            if pending:
                raise StorageBusy(f"{len(pending)} writes left unprocessed after {attempts} attempts")

    # Pieces of requests and transactions ---------------------------------------------------

    def put_new(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """A transaction's Put, only if no item has the key yet."""
        return {
            "Put": {"TableName": self.name, "Item": serialize(item), "ConditionExpression": "attribute_not_exists(pk)"}
        }

    def update(self, key: Key, update: str, condition: str | None, values: Mapping[str, Any]) -> dict[str, Any]:
        """A transaction's Update (its inner dict is an update_item request)."""
        request: dict[str, Any] = {
            "TableName": self.name,
            "Key": serialize(key),
            "UpdateExpression": update,
            "ExpressionAttributeValues": serialize(values),
        }
        if names := names_in(update, condition or ""):
            request["ExpressionAttributeNames"] = names  # DynamoDB refuses an empty map
        if condition:
            request["ConditionExpression"] = condition
        return {"Update": request}

    def still_absent(self, key: Key) -> dict[str, Any]:
        """A transaction's ConditionCheck that no item has the key."""
        return {
            "ConditionCheck": {
                "TableName": self.name,
                "Key": serialize(key),
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }


def names_in(*expressions: str) -> dict[str, str]:
    """The ExpressionAttributeNames of these expressions: each #name stands for name."""
    return {f"#{name}": name for expression in expressions for name in _NAME.findall(expression)}


def translate(exc: ClientError) -> Exception:
    code = exc.response.get("Error", {}).get("Code", "")
    if code == "TransactionCanceledException":
        reasons = {reason.get("Code", "None") for reason in exc.response.get("CancellationReasons", [])}
        if "ConditionalCheckFailed" in reasons:
            return StaleSnapshot(code)
        if reasons & _BUSY_CODES or not reasons - {"None"}:
            return StorageBusy(", ".join(sorted(reasons)))
        return exc
    if code == "ConditionalCheckFailedException":
        return StaleSnapshot(code)
    if code in _BUSY_CODES:
        return StorageBusy(code)
    return exc


def serialize(item: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _serialize_value(value) for name, value in item.items()}


def _serialize_value(value: Any) -> dict[str, Any]:
    """Numbers as plain decimals ("-0.00000001", never "-1E-8"): exact, and readable in an audit."""
    attribute: dict[str, Any] = dict(_serializer.serialize(value))
    if "N" in attribute:
        attribute = {"N": format(Decimal(attribute["N"]), "f")}
    return attribute


def deserialize(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not item:
        return None
    return {name: _deserializer.deserialize(value) for name, value in item.items()}
