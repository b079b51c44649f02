"""Reconciliation finds every changed wallet without a scan and catches any cent out of place."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from conftest import DYNAMO_BACKENDS, Backend, Player, make_backend, open_funded_session
from integration.test_case_table import emitted_metrics
from support.harness import FakeClock, FakeLambdaContext, Playhub, handler_module
from support.iam import Write, actions_sent, allowed, refused, writes_sent

from playhub_wallet.dynamodb.reconciliation import ReconciliationTable
from playhub_wallet.models import Action
from playhub_wallet.reconciliation import Reconciler, ReconciliationReport, hours_between
from playhub_wallet.state import LedgerEntry, Wallet, WalletKey, hour_of
from playhub_wallet.wallet import WalletService


@pytest.fixture(params=DYNAMO_BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from make_backend(request.param, request)


def play_some(playhub: Playhub, player: Player) -> None:
    bet = playhub.bet(player.session_id, "10.00")
    playhub.win(player.session_id, "25.00", round_id=bet.payload["round_id"])
    second = playhub.bet(player.session_id, "5.00")
    playhub.refund(player.session_id, second.payload["tx_id"])
    playhub.refund(player.session_id, "00000000-0000-4000-8000-00000000beef")  # unknown: a marker, no money


def test_a_clean_ledger_reconciles_and_the_next_run_starts_from_the_checkpoint(
    playhub: Playhub, player: Player, wallet: WalletService, backend: Backend, clock: FakeClock
) -> None:
    other = open_funded_session(wallet, "3.00", currency="BTC")
    play_some(playhub, player)
    reconciler = Reconciler(backend.reconciliation)

    first = reconciler.run(clock.now())
    second = reconciler.run(clock.now())

    assert (first.mismatches, first.pending) == ([], [])
    assert first.wallets_checked == 2
    assert first.entries_checked == 6 + 1  # player: deposit, bet, win, bet, refund, refund; other: deposit
    assert backend.reconciliation.checkpoint(player.wallet_key) == (6, Decimal("115.00"))
    assert backend.reconciliation.checkpoint(other.wallet_key) == (1, Decimal("3.00"))
    assert (second.wallets_checked, second.entries_checked, second.mismatches) == (2, 0, [])


def test_a_balance_changed_behind_the_ledgers_back_is_a_mismatch(
    playhub: Playhub, player: Player, backend: Backend, clock: FakeClock
) -> None:
    play_some(playhub, player)
    backend.client.update_item(  # a cent appears without a ledger entry
        TableName=backend.table_name,
        Key={"pk": {"S": f"PLAYER#{player.wallet_key.player_id}"}, "sk": {"S": "WALLET#EUR"}},
        UpdateExpression="SET balance = balance + :cent",
        ExpressionAttributeValues={":cent": {"N": "0.01"}},
    )

    report = Reconciler(backend.reconciliation).run(clock.now())

    (mismatch,) = report.mismatches
    assert mismatch.wallet == player.wallet_key
    assert (mismatch.expected, mismatch.found) == (Decimal("115.00"), Decimal("115.01"))
    assert backend.reconciliation.checkpoint(player.wallet_key) == (0, Decimal(0))  # never advanced past a mismatch


def test_a_tampered_entry_is_reported_as_the_first_diverging_one(
    playhub: Playhub, player: Player, backend: Backend, clock: FakeClock
) -> None:
    play_some(playhub, player)
    win = next(e for e in backend.reconciliation.entries_after(player.wallet_key, 0, 99) if e.key.action is Action.WIN)
    backend.client.update_item(
        TableName=backend.table_name,
        Key={"pk": {"S": f"TX#win#{win.key.playhub_tx_id}"}, "sk": {"S": "TX"}},
        UpdateExpression="SET balance_change = :more",
        ExpressionAttributeValues={":more": {"N": "26.00"}},
    )

    (mismatch,) = Reconciler(backend.reconciliation).run(clock.now()).mismatches

    assert (mismatch.seq, mismatch.our_tx_id) == (win.wallet_seq, win.our_tx_id)
    assert (mismatch.expected, mismatch.found) == (Decimal("116.00"), Decimal("115.00"))


def test_only_wallets_changed_in_the_hours_read_are_checked(
    playhub: Playhub, player: Player, backend: Backend, clock: FakeClock
) -> None:
    play_some(playhub, player)
    later = clock.now() + 3 * 3600

    report = Reconciler(backend.reconciliation).run(later, since_hour=hour_of(later - 3600))

    assert (report.wallets_checked, report.entries_checked) == (0, 0)
    assert backend.reconciliation.last_reconciled_hour() is None  # a run by hand leaves the schedule's marker alone


def test_the_scheduled_function_reports_mismatches_as_a_metric(
    playhub: Playhub,
    player: Player,
    backend: Backend,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    play_some(playhub, player)
    backend.client.update_item(
        TableName=backend.table_name,
        Key={"pk": {"S": f"PLAYER#{player.wallet_key.player_id}"}, "sk": {"S": "WALLET#EUR"}},
        UpdateExpression="SET balance = balance - :cent",
        ExpressionAttributeValues={":cent": {"N": "0.01"}},
    )
    module = handler_module("reconciliation")
    monkeypatch.setattr(module, "reconciler", lambda: Reconciler(backend.reconciliation))
    monkeypatch.setattr(module.time, "time", clock.now)
    capsys.readouterr()

    answer = module.lambda_handler({}, FakeLambdaContext())

    assert answer == {"wallets": 1, "entries": 6, "pending": 0, "mismatches": 1}
    assert emitted_metrics(capsys.readouterr().out)["ReconciliationMismatches"] == [1.0]


class LaggingIndex:
    """A store whose history index has not shown the newest entry yet."""

    def __init__(self, real: ReconciliationTable) -> None:
        self.real = real

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def entries_after(self, key: WalletKey, seq: int, up_to: int) -> list[LedgerEntry]:
        return self.real.entries_after(key, seq, up_to)[:-1]


def test_entries_the_index_has_not_shown_yet_are_pending_not_a_mismatch(
    playhub: Playhub, player: Player, backend: Backend, clock: FakeClock
) -> None:
    play_some(playhub, player)

    report = Reconciler(LaggingIndex(backend.reconciliation)).run(clock.now())  # type: ignore[arg-type]

    assert (report.pending, report.mismatches) == ([player.wallet_key], [])
    assert backend.reconciliation.checkpoint(player.wallet_key) == (0, Decimal(0))


def test_a_long_pause_is_caught_up_over_several_runs(backend: Backend, clock: FakeClock) -> None:
    reconciler = Reconciler(backend.reconciliation)
    backend.reconciliation.save_reconciled_hour(hour_of(clock.now() - 100 * 3600))

    first = reconciler.run(clock.now())
    second = reconciler.run(clock.now())
    third = reconciler.run(clock.now())

    assert [len(first.hours), len(second.hours), len(third.hours)] == [48, 48, 7]  # each rereads its last hour
    assert third.hours[-1] == hour_of(clock.now())


def tamper_balance(backend: Backend, player: Player, delta: str) -> None:
    backend.client.update_item(
        TableName=backend.table_name,
        Key={"pk": {"S": f"PLAYER#{player.wallet_key.player_id}"}, "sk": {"S": "WALLET#EUR"}},
        UpdateExpression="SET balance = balance + :delta",
        ExpressionAttributeValues={":delta": {"N": delta}},
    )


def test_a_mismatch_is_reported_on_every_run_until_it_is_dealt_with(
    playhub: Playhub, player: Player, backend: Backend, clock: FakeClock
) -> None:
    play_some(playhub, player)
    tamper_balance(backend, player, "0.01")
    reconciler = Reconciler(backend.reconciliation)

    runs = []
    for _ in range(8):  # two hours of runs, long after the wallet's hour of change
        runs.append(len(reconciler.run(clock.now()).mismatches))
        clock.advance(15 * 60)
    tamper_balance(backend, player, "-0.01")  # a human repairs it
    repaired = reconciler.run(clock.now())

    assert runs == [1] * 8
    assert (repaired.mismatches, backend.reconciliation.rechecks()) == ([], {})


def test_entries_missing_from_the_index_for_over_an_hour_are_a_mismatch(
    playhub: Playhub, player: Player, backend: Backend, clock: FakeClock
) -> None:
    play_some(playhub, player)
    reconciler = Reconciler(LaggingIndex(backend.reconciliation))  # type: ignore[arg-type]

    first = reconciler.run(clock.now())
    clock.advance(30 * 60)
    still = reconciler.run(clock.now())
    clock.advance(31 * 60)
    late = reconciler.run(clock.now())

    assert (first.pending, still.pending, still.mismatches) == ([player.wallet_key], [player.wallet_key], [])
    assert [m.reason for m in late.mismatches] == ["ledger entries missing from the history index for over an hour"]


def test_a_run_just_after_the_hour_leaves_that_hour_to_be_read_again(backend: Backend, clock: FakeClock) -> None:
    hour_start = clock.now() - clock.now() % 3600
    Reconciler(backend.reconciliation).run(hour_start + 60)  # one minute into the hour

    assert backend.reconciliation.last_reconciled_hour() == hour_of(hour_start - 1)  # the previous hour


@pytest.mark.parametrize("since", ["2026-11-24", "2099010100", "20261301xx"])
def test_a_bad_since_is_refused(backend: Backend, clock: FakeClock, since: str) -> None:
    with pytest.raises(ValueError, match="since must be an hour"):
        Reconciler(backend.reconciliation).run(clock.now(), since_hour=since)


def test_hours_between_counts_utc_hours() -> None:
    assert hours_between("2026112322", "2026112401") == ["2026112322", "2026112323", "2026112400", "2026112401"]


def test_an_unknown_wallet_reads_as_none(backend: Backend) -> None:
    missing: Wallet | None = backend.reconciliation.wallet(WalletKey("nobody", "EUR"))
    assert missing is None


def test_the_reconciliation_policy_allows_every_table_action_a_run_sends(
    playhub: Playhub, player: Player, backend: Backend, clock: FakeClock
) -> None:
    """A run that checkpoints, flags a mismatch, and clears it once repaired: every request's IAM
    actions are in ReconciliationFunction's policy, and every write in the partitions it allows
    (support/iam.py: moto enforces no IAM)."""
    play_some(playhub, player)
    wallet_key = {"pk": {"S": f"PLAYER#{player.wallet_key.player_id}"}, "sk": {"S": "WALLET#EUR"}}
    reconciler = Reconciler(backend.reconciliation)
    actions: set[str] = set()
    writes: list[Write] = []

    def run() -> ReconciliationReport:
        with actions_sent(backend.client) as sent, writes_sent(backend.client) as written:
            report = reconciler.run(clock.now())
        actions.update(sent)
        writes.extend(written)
        return report

    def tamper(change: str) -> None:
        backend.client.update_item(
            TableName=backend.table_name,
            Key=wallet_key,
            UpdateExpression="SET balance = balance + :change",
            ExpressionAttributeValues={":change": {"N": change}},
        )

    run()
    tamper("0.01")
    flagged = run()
    tamper("-0.01")
    repaired = run()

    assert (len(flagged.mismatches), repaired.mismatches) == (1, [])
    assert {"Query", "GetItem", "PutItem", "DeleteItem"} <= actions
    assert actions <= allowed("ReconciliationFunction"), sorted(actions - allowed("ReconciliationFunction"))
    # Its checkpoint, marker and recheck list: each in a partition its policy holds it to.
    assert {pk.split("#")[0] for write in writes for pk in write.leading_keys} == {"RECONCILED", "RECONCILIATION"}
    assert refused("ReconciliationFunction", writes) == []
