"""The pre-traffic check (CodeDeploy's hook) against the callback handlers themselves: a healthy
version passes, a broken one fails, and the check never writes to the ledger."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import Backend, install_runtime, make_backend
from support.harness import FakeLambdaContext, Playhub, handler_module
from support.iam import actions_sent

from devtools.callbacks import SAMPLE_CALLBACK_KEY, SAMPLE_SWIPE_CALLBACK_KEY
from playhub_wallet.pre_traffic import ALL_CHECKS, CHECKS, SWIPE_CHECKS, run_checks
from playhub_wallet.wallet import WalletService

# What the template's CHECK_* variables name (version ARNs), here the handlers' folders.
TARGETS = {variable: route.removeprefix("/").replace("/", "_") for variable, (route, _) in ALL_CHECKS.items()}


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    yield from make_backend("moto", request)


# On AWS each version runs in its own process; here the handlers share this one, and with it
# powertools' module-level metrics and logger, so the check's parallel requests take turns.
_ONE_AT_A_TIME = threading.Lock()


def invoke(target: str, event: dict[str, Any]) -> dict[str, Any]:
    with _ONE_AT_A_TIME:
        answer: dict[str, Any] = handler_module(target).lambda_handler(event, FakeLambdaContext())
    return answer


def item_count(backend: Backend) -> int:
    return int(backend.client.scan(TableName=backend.table_name, Select="COUNT")["Count"])


def test_every_healthy_callback_passes_and_the_check_only_reads(playhub: Playhub, backend: Backend) -> None:
    before = item_count(backend)
    with actions_sent(backend.client) as actions:
        failures = run_checks(TARGETS, SAMPLE_CALLBACK_KEY, invoke, swipe_key=SAMPLE_SWIPE_CALLBACK_KEY)
    assert failures == []
    assert actions
    assert actions <= {"GetItem", "BatchGetItem"}
    assert item_count(backend) == before


def test_a_version_that_does_not_hold_playhubs_key_fails_every_check(
    monkeypatch: pytest.MonkeyPatch, wallet: WalletService, backend: Backend
) -> None:
    install_runtime(monkeypatch, wallet, keys=["a-key-playhub-never-gave-us"], table=backend.table_name)
    failures = run_checks(TARGETS, SAMPLE_CALLBACK_KEY, invoke, swipe_key=SAMPLE_SWIPE_CALLBACK_KEY)
    assert len(failures) == len(CHECKS)
    assert all("answered 401 invalid signature" in failure for failure in failures)


def test_a_version_that_does_not_hold_swipes_key_fails_swipes_checks(
    monkeypatch: pytest.MonkeyPatch, wallet: WalletService, backend: Backend
) -> None:
    install_runtime(monkeypatch, wallet, swipe_keys=["a-key-swipe-never-gave-us"], table=backend.table_name)
    failures = run_checks(TARGETS, SAMPLE_CALLBACK_KEY, invoke, swipe_key=SAMPLE_SWIPE_CALLBACK_KEY)
    assert len(failures) == len(SWIPE_CHECKS)
    assert all("/swipe/" in failure and "answered 401 invalid signature" in failure for failure in failures)


def test_a_version_that_cannot_read_the_ledger_fails(
    monkeypatch: pytest.MonkeyPatch, playhub: Playhub, backend: Backend
) -> None:
    def broken(*_: Any, **__: Any) -> Any:
        raise RuntimeError("the table is gone")

    monkeypatch.setattr(backend.table.client, "batch_get_item", broken)
    monkeypatch.setattr(backend.table.client, "get_item", broken)
    failures = run_checks(TARGETS, SAMPLE_CALLBACK_KEY, invoke, swipe_key=SAMPLE_SWIPE_CALLBACK_KEY)
    assert len(failures) == len(ALL_CHECKS)
    assert all("answered 500" in failure for failure in failures)


def test_a_version_that_crashes_or_cannot_be_invoked_fails_with_the_reason(playhub: Playhub) -> None:
    def crash(target: str, event: dict[str, Any]) -> dict[str, Any]:
        if target == "bet":
            raise RuntimeError("Runtime.ImportModuleError: No module named 'playhub_wallet'")
        return invoke(target, event)

    failures = run_checks(TARGETS, SAMPLE_CALLBACK_KEY, crash, swipe_key=SAMPLE_SWIPE_CALLBACK_KEY)
    assert failures == ["bet (/bet): not invoked: Runtime.ImportModuleError: No module named 'playhub_wallet'"]
