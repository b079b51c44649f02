"""Test setup and teardown on DynamoDB: a patient client, tables, and DynamoDB Local itself.

The ledger under test keeps the production client (`CLIENT_CONFIG`: 1 s read timeout, 2
attempts), because the tests check what production does. Creating and deleting the tables
around a test is not what is under test: on a busy machine DynamoDB Local can take seconds to
answer a `CreateTable`, so setup uses a client that waits and retries, and a create whose
first answer was lost (the retry then finds the table there) counts as done.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import subprocess
import threading
import time
import uuid
import warnings
from collections import deque
from collections.abc import Callable, Iterator
from typing import IO, TYPE_CHECKING, Any

import boto3
import botocore.exceptions
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from devtools import dynamodb_local
from devtools.template import ledger_table_definition

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REGION = "eu-west-1"

# Generous on purpose: these only bound how long a broken setup takes to fail.
SETUP_CONFIG = Config(
    connect_timeout=5,
    read_timeout=60,
    retries={"mode": "standard", "max_attempts": 10},
)
TABLE_READY_SECONDS = 300.0
START_ATTEMPTS = 3  # dynamodb_local.start waits 30 s for the port each time
SERVING_SECONDS = 300.0
STOP_SECONDS = 30.0
WARM_UP_ROUNDS = 5


def setup_client(endpoint_url: str | None = None) -> DynamoDBClient:
    """A DynamoDB client for fixtures: long read timeout, ten attempts."""
    return boto3.client("dynamodb", endpoint_url=endpoint_url, region_name=REGION, config=SETUP_CONFIG)


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def create_table(client: DynamoDBClient, name: str) -> None:
    """Create the ledger table `name` and wait until it is ACTIVE.

    A create retried after a read timeout can find the table its first attempt made:
    ResourceInUseException then means "already there", and we wait for it like any other.
    """
    try:
        client.create_table(**ledger_table_definition(name))
    except ClientError as error:
        if _error_code(error) != "ResourceInUseException":
            raise
    wait_for_table(client, name)


def wait_for_table(client: DynamoDBClient, name: str, timeout: float = TABLE_READY_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if client.describe_table(TableName=name)["Table"].get("TableStatus") == "ACTIVE":
                return
        except ClientError as error:
            if _error_code(error) != "ResourceNotFoundException":
                raise
        if time.monotonic() > deadline:
            raise TimeoutError(f"table {name} is not ACTIVE after {timeout:.0f} s")
        time.sleep(0.1)


def delete_table(client: DynamoDBClient, name: str) -> None:
    """Delete a test's table, best effort: cleanup never fails a test (DynamoDB Local runs in
    memory and goes with the test process anyway)."""
    try:
        client.delete_table(TableName=name)
    except ClientError as error:
        if _error_code(error) != "ResourceNotFoundException":
            warnings.warn(f"could not delete test table {name}: {error}", stacklevel=2)
    except BotoCoreError as error:
        warnings.warn(f"could not delete test table {name}: {error}", stacklevel=2)


class _StderrTail:
    """Keeps reading DynamoDB Local's stderr (a full pipe would stall it) and its last lines."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.lines: deque[str] = deque(maxlen=50)
        self._thread: threading.Thread | None = None
        if process.stderr is not None:
            self._thread = threading.Thread(target=self._read, args=(process.stderr,), daemon=True)
            self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for raw in stream:
            self.lines.append(raw.decode(errors="replace").rstrip())

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def text(self) -> str:
        return "\n".join(self.lines)


def _wait_until_serving(process: subprocess.Popen[bytes], endpoint: str, tail: _StderrTail) -> None:
    """The port accepts connections; wait until DynamoDB Local also answers a request."""
    client = setup_client(endpoint)
    deadline = time.monotonic() + SERVING_SECONDS
    while True:
        if process.poll() is not None:
            raise dynamodb_local.DynamoDBLocalUnavailable(f"DynamoDB Local exited: {tail.text()[-500:]}")
        try:
            client.list_tables(Limit=1)
            return
        except (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError) as error:
            if time.monotonic() > deadline:
                raise dynamodb_local.DynamoDBLocalUnavailable(
                    f"DynamoDB Local on {endpoint} did not answer within {SERVING_SECONDS:.0f} s: {error}"
                ) from error
            time.sleep(0.5)


def _allowing(code: str, call: Callable[..., object], **request: Any) -> None:
    """Send a request and accept one error code: the condition made to fail (which warms the
    error path too), or a retried write finding its first attempt applied."""
    try:
        call(**request)
    except ClientError as error:
        if _error_code(error) != code:
            raise


def warm_up(client: DynamoDBClient, rounds: int = WARM_UP_ROUNDS) -> None:
    """Send a fresh DynamoDB Local each kind of request the ledger sends, a few times over.

    A JVM's first requests load classes and compile code: on a busy machine they can take
    longer than the production client's 1 s read timeout, and its retry of a conditional write
    that did land then fails its condition. Tests then start on a warm DynamoDB Local.
    """
    table = f"warm-up-{uuid.uuid4().hex[:12]}"
    create_table(client, table)
    for n in range(rounds):
        key = {"pk": {"S": f"PLAYER#warm-{n}"}, "sk": {"S": "WALLET#EUR"}}
        entry = {"pk": {"S": f"PLAYER#warm-{n}"}, "sk": {"S": "ENTRY#1"}}
        history = {"history_pk": {"S": f"warm-{n}#EUR"}, "history_sk": {"S": "0001"}}
        new_only = "attribute_not_exists(pk)"
        for item in ({**key, "balance": {"N": "0"}}, key):  # the second one fails its condition
            _allowing(
                "ConditionalCheckFailedException",
                client.put_item,
                TableName=table,
                Item=item,
                ConditionExpression=new_only,
            )
        client.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #b = #b + :amount, changed_bucket = :bucket ADD #v :one",
            ConditionExpression="attribute_exists(pk) AND #b >= :zero",
            ExpressionAttributeNames={"#b": "balance", "#v": "version"},
            ExpressionAttributeValues={
                ":amount": {"N": "10.00"},
                ":bucket": {"S": "0"},
                ":one": {"N": "1"},
                ":zero": {"N": "0"},
            },
        )
        update: Any = {
            "Update": {
                "TableName": table,
                "Key": key,
                "UpdateExpression": "SET #b = #b - :amount",
                "ConditionExpression": "#b >= :amount",
                "ExpressionAttributeNames": {"#b": "balance"},
                "ExpressionAttributeValues": {":amount": {"N": "1.00"}},
            }
        }
        for item in ({**entry, **history}, entry):  # the second one is cancelled
            _allowing(
                "TransactionCanceledException",
                client.transact_write_items,
                TransactItems=[{"Put": {"TableName": table, "Item": item, "ConditionExpression": new_only}}, update],
            )
        client.batch_get_item(RequestItems={table: {"Keys": [key, entry], "ConsistentRead": True}})
        client.get_item(TableName=table, Key=key, ConsistentRead=True)
        client.query(
            TableName=table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues={":pk": key["pk"], ":prefix": {"S": "WALLET#"}},
        )
        client.query(
            TableName=table,
            IndexName="history",
            KeyConditionExpression="history_pk = :wallet AND history_sk BETWEEN :first AND :last",
            ExpressionAttributeValues={
                ":wallet": history["history_pk"],
                ":first": {"S": "0000"},
                ":last": {"S": "9999"},
            },
            ScanIndexForward=False,
            Limit=10,
        )
        client.query(
            TableName=table,
            IndexName="changes",
            KeyConditionExpression="changed_bucket = :bucket",
            ExpressionAttributeValues={":bucket": {"S": "0"}},
        )
        client.delete_item(TableName=table, Key=entry)
    delete_table(client, table)


@contextlib.contextmanager
def running_dynamodb_local() -> Iterator[str]:
    """One DynamoDB Local (in memory) for the length of the block; yields its endpoint.

    Waits generously for it to come up (a few tries, each on a fresh port), and always stops the
    JVM: at the end of the block, or at interpreter exit if the block is never left.
    """
    failures: list[str] = []
    for _ in range(START_ATTEMPTS):
        port = dynamodb_local.free_port()
        try:
            process = dynamodb_local.start(port)
        except dynamodb_local.DynamoDBLocalUnavailable as error:
            failures.append(str(error))
            continue
        stop = functools.partial(dynamodb_local.stop, process, STOP_SECONDS)
        atexit.register(stop)
        tail = _StderrTail(process)
        endpoint = f"http://127.0.0.1:{port}"
        try:
            _wait_until_serving(process, endpoint, tail)
            warm_up(setup_client(endpoint))
        except dynamodb_local.DynamoDBLocalUnavailable as error:
            failures.append(str(error))
            stop()
            atexit.unregister(stop)
            continue
        except BaseException:
            stop()
            atexit.unregister(stop)
            raise
        try:
            yield endpoint
        finally:
            stop()
            tail.join(timeout=STOP_SECONDS)
            atexit.unregister(stop)
        return
    raise dynamodb_local.DynamoDBLocalUnavailable(
        f"DynamoDB Local did not start in {START_ATTEMPTS} tries: " + " | ".join(failures)
    )
