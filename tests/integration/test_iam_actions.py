"""Each callback's IAM policy in template.yaml allows every DynamoDB action its code sends
(support/iam.py: moto and DynamoDB Local enforce no IAM). The operator's and launch's: in
operator/test_operator_api.py and operator/test_catalogue.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from conftest import Backend, Player, make_backend
from support.harness import Playhub
from support.iam import actions_sent, allowed

from devtools.callbacks import playhub_id


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
