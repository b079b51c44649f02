"""FunctionPool runs a function as Lambda does: awslambdaric workers, isolated, warm after a cold
start, several at once, killed past their Timeout. On a tiny function of the test's own, with the
built layer and the Lambda runtime's packages of the real artifact."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from e2e.make_run import alive

from devtools.artifact import Artifact, FunctionSpec
from devtools.lambda_runtime import FunctionPool, Invocation

CODE = """
import os, sys, time

def report(event, context):
    return {
        "pid": os.getpid(),
        "event": event,
        "environment": dict(os.environ),
        "sys_path": sys.path,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }

def sleep(event, context):
    time.sleep(event["seconds"])
    return {"pid": os.getpid()}

def fail(event, context):
    raise ValueError("no luck")

def exit(event, context):
    os._exit(3)
"""
TIMEOUT_SECONDS = 3  # the test functions' Timeout: well above what they take, even on a busy machine


@pytest.fixture
def code_dir(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(CODE)
    (tmp_path / "broken.py").write_text("import module_that_is_not_there\n")
    return tmp_path


@pytest.fixture
def artifact(built_artifact: Artifact, code_dir: Path) -> Artifact:
    """The real layer and runtime packages, with the test's functions instead of the template's."""
    handlers = {
        "Report": "app.report",
        "Sleep": "app.sleep",
        "Fail": "app.fail",
        "Exit": "app.exit",
        "Broken": "broken.handler",
    }
    functions = {
        name: FunctionSpec(name, code_dir, handler, TIMEOUT_SECONDS, 128, {"GREETING": "hello"})
        for name, handler in handlers.items()
    }
    return dataclasses.replace(built_artifact, functions=functions)


@pytest.fixture
def pools(artifact: Artifact) -> Iterator[dict[str, FunctionPool]]:
    lines: list[str] = []
    made = {
        name: FunctionPool(artifact, name, {"GREETING": "hello"}, max_workers=2, log=lines.append)
        for name in artifact.functions
    }
    try:
        yield made
    finally:
        for pool in made.values():
            pool.close()


def gone(pid: int | None, timeout: float = 30) -> bool:
    """The process has exited (it may linger as a zombie until reaped)."""
    deadline = time.monotonic() + timeout
    while pid is not None and alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_worker_starts_cold_then_stays_warm(pools: dict[str, FunctionPool], artifact: Artifact) -> None:
    first = pools["Report"].invoke({"n": 1})
    second = pools["Report"].invoke({"n": 2})

    assert (first.outcome, first.cold, second.outcome, second.cold) == ("ok", True, "ok", False)
    assert first.worker_pid == second.worker_pid == first.payload["pid"] == second.payload["pid"]
    assert first.init_ms is not None
    assert second.init_ms is None
    assert second.payload["event"] == {"n": 2}
    assert second.payload["request_id"] == second.request_id != first.request_id
    assert second.payload["function_name"] == "Report"
    assert 0 < second.payload["remaining_ms"] <= TIMEOUT_SECONDS * 1000


def test_a_worker_sees_its_function_and_lambdas_environment_only(
    pools: dict[str, FunctionPool], artifact: Artifact
) -> None:
    answer = pools["Report"].invoke({})
    environment: dict[str, str] = answer.payload["environment"]

    assert environment["GREETING"] == "hello"
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == "Report"
    assert environment["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert environment["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.13"
    assert environment["_HANDLER"] == "app.report"
    assert environment["LAMBDA_TASK_ROOT"] == str(artifact.functions["Report"].code_dir)
    assert environment["AWS_REGION"] == environment["AWS_DEFAULT_REGION"]
    assert "PYTEST_CURRENT_TEST" not in environment  # nothing of this process's own
    assert "VIRTUAL_ENV" not in environment
    assert [path for path in answer.payload["sys_path"] if "site-packages" in path] == []
    assert str(artifact.layer_dir) in answer.payload["sys_path"]


def test_invocations_at_once_run_in_parallel_on_at_most_max_workers(pools: dict[str, FunctionPool]) -> None:
    pool = pools["Sleep"]  # max_workers=2
    answers: list[Invocation] = []
    start = threading.Barrier(4)

    def invoke() -> None:
        start.wait()
        answers.append(pool.invoke({"seconds": 0.5}))

    threads = [threading.Thread(target=invoke) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert [answer.outcome for answer in answers] == ["ok"] * 4
    assert len({answer.worker_pid for answer in answers}) == 2
    assert sorted(answer.cold for answer in answers) == [False, False, True, True]
    assert pool.cold_starts == 2
    assert len(pool.workers) == 2


def test_a_worker_past_its_timeout_is_killed_and_replaced(pools: dict[str, FunctionPool]) -> None:
    pool = pools["Sleep"]
    started = time.monotonic()
    late = pool.invoke({"seconds": 60})

    assert late.outcome == "timeout"
    assert late.payload["errorType"] == "Sandbox.Timedout"
    assert time.monotonic() - started < 60
    assert gone(late.worker_pid)
    after = pool.invoke({"seconds": 0})
    assert (after.outcome, after.cold) == ("ok", True)
    assert after.worker_pid != late.worker_pid


def test_an_unhandled_exception_is_an_error_and_the_worker_stays(pools: dict[str, FunctionPool]) -> None:
    first = pools["Fail"].invoke({})
    second = pools["Fail"].invoke({})

    assert first.outcome == "error"
    assert (first.payload["errorType"], first.payload["errorMessage"]) == ("ValueError", "no luck")
    assert (second.outcome, second.cold, second.worker_pid) == ("error", False, first.worker_pid)


def test_a_worker_that_dies_is_a_crash(pools: dict[str, FunctionPool]) -> None:
    died = pools["Exit"].invoke({})

    assert died.outcome == "crash"
    assert died.payload["errorType"] == "Runtime.ExitError"
    assert "exit status 3" in died.payload["errorMessage"]
    assert gone(died.worker_pid)
    assert pools["Exit"].invoke({}).cold  # a new worker


def test_a_handler_that_does_not_import_is_an_init_error(pools: dict[str, FunctionPool]) -> None:
    failed: Invocation = pools["Broken"].invoke({})
    payload: dict[str, Any] = failed.payload

    assert failed.outcome == "error"
    assert payload["errorType"] == "Runtime.ImportModuleError"
    assert "module_that_is_not_there" in payload["errorMessage"]
    assert gone(failed.worker_pid)
    assert pools["Broken"].workers == []


def test_close_kills_every_worker(artifact: Artifact) -> None:
    pool = FunctionPool(artifact, "Report", {}, log=lambda _: None)
    pid = pool.invoke({}).worker_pid
    pool.close()
    pool.close()  # idempotent

    assert gone(pid)
    assert pool.workers == []
    assert pool.invoke({}).outcome == "crash"
