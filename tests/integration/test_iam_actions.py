"""Each callback's IAM policy in template.yaml allows every DynamoDB action its code sends
(support/iam.py: moto and DynamoDB Local enforce no IAM). The operator's and launch's: in
operator/test_operator_api.py and operator/test_catalogue.py; the partitions launch, the
catalogue and reconciliation may write are checked against their writes there and in
test_reconciliation.py, and here that the check refuses what those policies refuse."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from conftest import Backend, Player, make_backend
from support.harness import Playhub
from support.iam import actions_sent, allowed, refused, writes_sent

from playhub_wallet.playhub_requests import playhub_id


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from make_backend("moto", request)


def cases(playhub: Playhub, player: Player) -> dict[str, list[Callable[[], object]]]:
    """Every path of each callback through the ledger: new, replayed, refused, and the refund cases."""
    session = player.session_id
    bet = playhub.bet(session, "10.00")
    other = playhub.bet(session, "1.00")
    win = playhub.win(session, "2.00", round_id=bet.payload["round_id"])
    assert playhub.refund(session, other.payload["tx_id"]).status == 200  # a refund after the bet
    return {
        "BalanceFunction": [lambda: playhub.balance(session)],
        "BetFunction": [
            lambda: playhub.bet(session, "1.00"),
            lambda: playhub.bet(session, "1000.00"),  # refused: not enough money
            lambda: playhub.send(bet.payload),  # a replay after a refund on its wallet: read once more
        ],
        "WinFunction": [
            lambda: playhub.win(session, "1.00", round_id=playhub_id()),
            lambda: playhub.send(win.payload),
        ],
        "RefundFunction": [
            lambda: playhub.refund(session, bet.payload["tx_id"]),
            lambda: playhub.refund(session, bet.payload["tx_id"], tx_id=playhub_id()),  # already refunded
            lambda: playhub.refund(session, playhub_id()),  # unknown: a marker
            lambda: playhub.refund(session, win.payload["tx_id"]),  # a win: only while no bet has its id
        ],
    }


@pytest.mark.parametrize(
    "function", ["BalanceFunction", "BetFunction", "WinFunction", "RefundFunction", "CallbackFunction"]
)
def test_the_policy_allows_every_action_the_callback_sends(
    playhub: Playhub, player: Player, backend: Backend, function: str
) -> None:
    if function == "CallbackFunction":  # every path of the four, through the one URL
        steps = [step for steps in cases(Playhub(playhub.key, one_url=True), player).values() for step in steps]
    else:
        steps = cases(playhub, player)[function]
    with actions_sent(backend.client) as actions:
        for step in steps:
            assert step().status in {200, 400}  # type: ignore[attr-defined]

    assert actions, "no request was seen: the check would pass vacuously"
    assert actions <= allowed(function), f"{function} sends {sorted(actions - allowed(function))}"


def test_the_write_check_refuses_a_wallet_written_outside_a_callback_or_the_operator(backend: Backend) -> None:
    """What refused() is asked of the launch, catalogue and reconciliation scenarios: each of
    these requests is one their policies deny on AWS, though moto lets it through."""
    client, table = backend.client, backend.table_name
    wallet = {"pk": {"S": "PLAYER#x"}, "sk": {"S": "WALLET#EUR"}}
    identity = "SET #entity = :wallet, #player_id = :player, #currency = :currency"
    names = {"#entity": "entity", "#player_id": "player_id", "#currency": "currency"}
    values = {":wallet": {"S": "wallet"}, ":player": {"S": "x"}, ":currency": {"S": "EUR"}}
    with writes_sent(client) as writes:
        client.put_item(TableName=table, Item={**wallet, "balance": {"N": "1000"}, "version": {"N": "1"}})
        client.update_item(  # the empty wallet of a launch: allowed to launch alone
            TableName=table,
            Key=wallet,
            UpdateExpression=identity,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        client.update_item(  # the same, but asking for the whole item back
            TableName=table,
            Key=wallet,
            UpdateExpression=identity,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        client.update_item(
            TableName=table,
            Key=wallet,
            UpdateExpression="SET #balance = :b",
            ExpressionAttributeNames={"#balance": "balance"},
            ExpressionAttributeValues={":b": {"N": "1000"}},
        )
        client.delete_item(TableName=table, Key=wallet)
        client.batch_write_item(  # one game and one wallet: the batch is refused whole
            RequestItems={
                table: [
                    {"PutRequest": {"Item": {"pk": {"S": "CATALOGUE#GAMES"}, "sk": {"S": "g-1"}}}},
                    {"PutRequest": {"Item": wallet}},
                ]
            }
        )
        client.transact_write_items(
            TransactItems=[{"Put": {"TableName": table, "Item": {**wallet, "balance": {"N": "5"}}}}]
        )
    put, empty_wallet, whole_item, balance, delete, batch, transaction = writes

    assert refused("ReconciliationFunction", writes) == writes
    assert refused("CatalogueFunction", writes) == writes
    assert refused("LaunchFunction", writes) == [put, whole_item, balance, delete, batch, transaction]
    assert refused("OperatorFunction", [put, empty_wallet, balance]) == []
    assert (empty_wallet.leading_keys, batch.leading_keys) == (
        frozenset({"PLAYER#x"}),
        frozenset({"CATALOGUE#GAMES", "PLAYER#x"}),
    )
