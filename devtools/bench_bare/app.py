"""The yardstick of `make bench`: the least a Python Lambda on DynamoDB does (boto3, one UpdateItem)."""

import os
from typing import Any

import boto3

client = boto3.client("dynamodb", endpoint_url=os.environ.get("DYNAMODB_ENDPOINT") or None)


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    client.update_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"pk": {"S": "BENCH"}, "sk": {"S": "BARE"}},
        UpdateExpression="ADD calls :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    return {"statusCode": 200, "body": "{}"}
