"""Lambda's execution model on this machine, for `make run`, the tests and the benchmark.

    pool = FunctionPool(artifact, "BetFunction", resolve_environment(spec, local_values))
    answer = pool.invoke(event)  # Invocation(outcome="ok", payload={...}, cold=True, ...)
    pool.close()

Each worker is one execution environment: the function's built artifact in an isolated python3.13
(devtools/lambda_bootstrap.py) running awslambdaric, the runtime interface client AWS's Python
runtimes run, against a Lambda Runtime API served here (one endpoint per worker, on a port of its
own, so a GET /next tells which worker asks). As on Lambda:
- a worker starts when an invocation finds none free (a cold start, logged as one), then stays
  warm for the next ones; at most max_workers per function, beyond that invocations wait;
- the worker's environment is the function's, from the template, plus what Lambda sets
  (AWS_LAMBDA_*, _HANDLER, LAMBDA_TASK_ROOT, region, credentials) and nothing of this machine's;
- the function's Timeout is enforced: a worker still busy at its deadline is killed, and the
  next invocation starts a new one;
- an exception in the handler, or in its import (init), is an "error" reported by awslambdaric;
  a worker that dies mid-invocation is a "crash".
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Any

from devtools.artifact import Artifact, FunctionSpec

INIT_TIMEOUT_SECONDS = 10.0  # Lambda's limit on the init phase (on-demand functions)
DEFAULT_REGION = "eu-west-1"
ACCOUNT_ID = "000000000000"
API_PREFIX = "/2018-06-01/runtime"
NEXT_PATH = f"{API_PREFIX}/invocation/next"
INIT_ERROR_PATH = f"{API_PREFIX}/init/error"
_INVOCATION_POST = re.compile(rf"^{re.escape(API_PREFIX)}/invocation/(?P<request_id>[^/]+)/(?P<kind>response|error)$")


@dataclass
class Invocation:
    """What one invoke came to.

    outcome: "ok" (payload is the handler's parsed JSON answer), "error" (the function failed and
    awslambdaric reported it: an unhandled exception, or an init error such as an import that
    fails; payload is the error object), "timeout" (the worker ran past the function's Timeout and
    was killed) or "crash" (the worker died). duration_ms is how long invoke() took: waiting for a
    free worker, its init if cold (init_ms), and the handler.
    """

    outcome: str
    payload: Any
    cold: bool
    duration_ms: float
    worker_pid: int | None
    init_ms: float | None = None
    request_id: str = ""


def resolve_environment(spec: FunctionSpec, local_values: Mapping[str, str]) -> dict[str, str]:
    """The function's environment as written in the template, made concrete for a local run.

    Plain values stay; an empty one, or one CloudFormation computes (!Ref, !If, ...), takes its
    local value, else "" (as a stack parameter left empty would).
    """
    return {name: _resolve(name, value, local_values) for name, value in spec.environment.items()}


def _resolve(name: str, value: Any, local_values: Mapping[str, str]) -> str:
    if isinstance(value, str):
        return local_values.get(name, value) if value == "" else value
    if isinstance(value, bool):  # CloudFormation passes YAML scalars on as strings
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return local_values.get(name, "")


class _Pending:
    """One invocation on its way through a worker. Guarded by the pool's lock."""

    def __init__(self, body: bytes, lock: threading.Lock) -> None:
        self.request_id = str(uuid.uuid4())
        self.body = body
        self.changed = threading.Condition(lock)
        self.taken_at: float | None = None  # when the worker's GET /next took it
        self.outcome: str | None = None
        self.payload: Any = None

    def complete(self, outcome: str, payload: Any) -> bool:
        """The first outcome wins (a response racing a timeout, an exit racing a response)."""
        if self.outcome is not None:
            return False
        self.outcome, self.payload = outcome, payload
        self.changed.notify_all()
        return True


class FunctionPool:
    """Warm workers for one function of the artifact, started on demand, at most max_workers."""

    def __init__(
        self,
        artifact: Artifact,
        function: str,
        environment: dict[str, str],
        *,
        max_workers: int = 4,
        tracing: bool = False,
        log: Callable[[str], None] = print,
        show_metrics: bool = True,
    ) -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self.artifact = artifact
        self.function = function
        self.spec = artifact.functions[function]
        self.environment = dict(environment)
        self.max_workers = max_workers
        self.tracing = tracing  # with the X-Ray layer, as a stack deployed with Tracing=Active
        self.log = log
        self.show_metrics = show_metrics  # False: the EMF lines (metrics on AWS) are not logged
        self.cold_starts = 0
        self._lock = threading.Lock()
        self._freed = threading.Condition(self._lock)  # a worker went idle, or a slot came free
        self._workers: list[_Worker] = []
        self._idle: list[_Worker] = []
        self._closed = False

    @property
    def timeout_seconds(self) -> float:
        return float(self.spec.timeout_seconds)

    @property
    def workers(self) -> list[int]:
        """The process ids of the live workers (started, or starting)."""
        with self._lock:
            return [worker.pid for worker in self._workers if worker.pid is not None]

    def invoke(self, event: dict[str, Any]) -> Invocation:
        """Run the function on this event, as a synchronous Lambda invoke; blocks until it is done."""
        started = time.monotonic()
        pending = _Pending(json.dumps(event).encode(), self._lock)
        with self._lock:
            worker, cold = self._acquire()
            if worker is None:
                return Invocation("crash", _error("Runtime.Closed", "the function's pool is closed"), False, 0.0, None)
            worker.assigned = pending
            worker.wake.notify_all()
        handed_over = time.monotonic()  # after any wait for a free worker
        if cold:
            self._start(worker, pending)
        with self._lock:
            timed_out = not self._wait(pending, handed_over)
            if timed_out:
                elapsed = time.monotonic() - (pending.taken_at or handed_over)
                message = f"RequestId: {pending.request_id} Task timed out after {elapsed:.2f} seconds"
                pending.complete("timeout", _error("Sandbox.Timedout", message))
                self._discard(worker)
        if timed_out:
            phase = "its init" if pending.taken_at is None else f"its {self.spec.timeout_seconds} s Timeout"
            self.log(f"timeout: {self.function} pid {worker.pid} ran past {phase}: killed")
            worker.kill()
        return Invocation(
            outcome=pending.outcome or "crash",
            payload=pending.payload,
            cold=cold,
            duration_ms=(time.monotonic() - started) * 1000,
            worker_pid=worker.pid,
            init_ms=worker.init_ms if cold else None,
            request_id=pending.request_id,
        )

    def close(self) -> None:
        """Kill every worker and wait for it to be gone; invocations under way come back "crash"."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            for worker in workers:
                for pending in (worker.current, worker.assigned):
                    if pending is not None:
                        pending.complete("crash", _error("Runtime.Closed", "the function's pool was closed"))
                self._discard(worker)
            self._freed.notify_all()
        for worker in workers:
            worker.kill()
        for worker in workers:
            worker.join(timeout=10)

    def __enter__(self) -> FunctionPool:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Scheduling (the pool's lock held) ---------------------------------------------------

    def _acquire(self) -> tuple[_Worker | None, bool]:
        """An idle warm worker; else a new one if there is room (a cold start); else wait."""
        while True:
            if self._closed:
                return None, False
            if self._idle:
                return self._idle.pop(), False
            if len(self._workers) < self.max_workers:
                worker = _Worker(self)
                self._workers.append(worker)
                self.cold_starts += 1
                return worker, True
            self._freed.wait()

    def _wait(self, pending: _Pending, handed_over: float) -> bool:
        """Until the invocation completes (True) or runs out of time (False).

        The clock of the function's Timeout starts when the worker takes the event, as Lambda's
        does after the init phase; the init itself may take INIT_TIMEOUT_SECONDS (and, as when
        Lambda retries a slow init within the invocation, the Timeout once more).
        """
        init_deadline = handed_over + INIT_TIMEOUT_SECONDS + self.timeout_seconds
        while pending.outcome is None:
            deadline = init_deadline if pending.taken_at is None else pending.taken_at + self.timeout_seconds
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            pending.changed.wait(remaining)
        return True

    def _discard(self, worker: _Worker) -> None:
        """The worker takes no more invocations; its slot is free for a new one."""
        if not worker.alive:
            return
        worker.alive = False
        self._workers.remove(worker)
        if worker in self._idle:
            self._idle.remove(worker)
        worker.wake.notify_all()
        self._freed.notify()

    def _release(self, worker: _Worker) -> None:
        """The worker answered its invocation: warm and free for the next one."""
        if worker.alive and worker not in self._idle:
            self._idle.append(worker)
            self._freed.notify()

    def _start(self, worker: _Worker, pending: _Pending) -> None:
        try:
            worker.start()
        except OSError as error:
            with self._lock:
                pending.complete("crash", _error("Runtime.StartError", f"the worker did not start: {error}"))
                self._discard(worker)
            worker.kill()
            return
        with self._lock:
            closed_meanwhile = not worker.alive
        if closed_meanwhile:
            worker.kill()

    # What each worker's process gets -----------------------------------------------------

    def worker_environment(self, runtime_api: str) -> dict[str, str]:
        """A Lambda execution environment's variables: nothing of this machine's own."""
        spec, artifact = self.spec, self.artifact
        region = self.environment.get("AWS_REGION") or self.environment.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        log_stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{secrets.token_hex(16)}"
        return {
            "PATH": os.pathsep.join([str(artifact.python.parent), "/usr/local/bin", "/usr/bin", "/bin"]),
            "LANG": "en_US.UTF-8",
            "TZ": "UTC",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            # Fake credentials unless the environment brings some (local storage takes any), and
            # nothing of this machine's ~/.aws.
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            **self.environment,
            # What Lambda sets, and a function cannot:
            "AWS_LAMBDA_RUNTIME_API": runtime_api,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_python{artifact.python_version}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "LAMBDA_RUNTIME_DIR": str(artifact.runtime_dir),
            "_HANDLER": spec.handler,
        }

    def function_arn(self) -> str:
        region = self.environment.get("AWS_REGION") or self.environment.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        return f"arn:aws:lambda:{region}:{ACCOUNT_ID}:function:{self.spec.name}"


class _Worker:
    """One execution environment: a process, its Runtime API endpoint, what it is working on."""

    def __init__(self, pool: FunctionPool) -> None:
        self.pool = pool
        self.wake = threading.Condition(pool._lock)  # an invocation was assigned, or the worker is done
        self.assigned: _Pending | None = None  # handed over, not yet taken by GET /next
        self.current: _Pending | None = None  # taken, not yet answered
        self.alive = True  # takes invocations (False once discarded, even before the process is gone)
        self.started = time.monotonic()
        self.init_ms: float | None = None
        self.init_error: Any = None
        self.process: subprocess.Popen[bytes] | None = None
        self.server: _RuntimeApiServer | None = None
        self._threads: list[threading.Thread] = []

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self) -> None:
        pool = self.pool
        self.server = _RuntimeApiServer(self)
        self._spawn(self.server.run, "runtime-api")
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            pool.artifact.command(pool.function, tracing=pool.tracing),
            env=pool.worker_environment(f"127.0.0.1:{self.server.server_port}"),
            cwd=pool.spec.code_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as one, and out of reach of Ctrl-C
        )
        assert self.process.stdout is not None
        self._spawn(self._forward_output, "output", self.process.stdout)
        self._spawn(self._watch, "watch")

    def _spawn(self, target: Callable[..., None], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, name=f"{self.pool.function}-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def kill(self) -> None:
        process = self.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
        if process is None and self.server is not None:
            self.server.stop()

    def join(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread.name.endswith("-watch"):
                thread.join(max(0.0, deadline - time.monotonic()))

    def _forward_output(self, stream: IO[bytes]) -> None:
        """The function's stdout and stderr into the log, a line at a time, labelled with its worker."""
        label = f"{self.pool.function}[{self.pid}]"
        for raw in stream:
            text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            if not self.pool.show_metrics and text.startswith('{"_aws"'):
                continue  # a CloudWatch EMF document: on AWS it becomes metrics, not a log line
            for line in text.split("\r"):  # awslambdaric writes an error's lines joined by \r
                self.pool.log(f"{label} {line}")
        stream.close()

    def _watch(self) -> None:
        """Reap the process; whatever it was working on is a crash (or its init error)."""
        assert self.process is not None
        code = self.process.wait()
        pool = self.pool
        with pool._lock:
            unexpected = self.alive and not pool._closed
            for pending in (self.current, self.assigned):
                if pending is None:
                    continue
                if self.init_error is not None:
                    pending.complete("error", self.init_error)
                else:
                    status = f"signal: {signal.Signals(-code).name}" if code < 0 else f"exit status {code}"
                    message = f"RequestId: {pending.request_id} Error: Runtime exited with error: {status}"
                    pending.complete("crash", _error("Runtime.ExitError", message))
            pool._discard(self)
        if unexpected and self.init_error is None:
            pool.log(f"worker exited: {pool.function} pid {self.pid}, exit code {code}")
        if self.server is not None:
            self.server.stop()

    # The Runtime API, called from the server's threads ------------------------------------

    def next_invocation(self) -> _Pending | None:
        """GET /next: blocks until the pool hands this worker an invocation (None: worker done)."""
        pool = self.pool
        first = False
        with pool._lock:
            if self.init_ms is None:
                self.init_ms = (time.monotonic() - self.started) * 1000
                first = True
            while self.alive and self.assigned is None:
                self.wake.wait()
            pending = self.assigned
            if not self.alive or pending is None:
                return None
            self.assigned, self.current = None, pending
            pending.taken_at = time.monotonic()
            pending.changed.notify_all()
        if first:
            pool.log(f"cold start: {pool.function} pid {self.pid}, init {self.init_ms:.0f} ms")
        return pending

    def answered(self, request_id: str, outcome: str, payload: Any) -> bool:
        """POST .../response or .../error: False if that is not the invocation under way."""
        pool = self.pool
        with pool._lock:
            pending = self.current
            if pending is None or pending.request_id != request_id:
                return False
            self.current = None
            pending.complete(outcome, payload)
            pool._release(self)
        return True

    def init_failed(self, payload: Any) -> None:
        """POST /init/error: the handler could not be loaded; awslambdaric exits next."""
        pool = self.pool
        with pool._lock:
            self.init_error = payload
            for pending in (self.current, self.assigned):
                if pending is not None:
                    pending.complete("error", payload)
            pool._discard(self)
        error_type = payload.get("errorType") if isinstance(payload, dict) else None
        pool.log(f"init error: {pool.function} pid {self.pid}: {error_type or payload}")


def _error(error_type: str, message: str) -> dict[str, Any]:
    return {"errorType": error_type, "errorMessage": message}


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", errors="replace")


class _RuntimeApiServer(ThreadingHTTPServer):
    """The Lambda Runtime API for one worker, on 127.0.0.1 and a port of its own."""

    daemon_threads = True
    request_queue_size = 16

    def __init__(self, worker: _Worker) -> None:
        self.worker = worker
        super().__init__(("127.0.0.1", 0), _RuntimeApiHandler)

    def server_bind(self) -> None:
        socketserver.TCPServer.server_bind(self)  # no reverse DNS lookup of 127.0.0.1
        self.server_name, self.server_port = "127.0.0.1", self.socket.getsockname()[1]

    def run(self) -> None:
        """Accept until stopped; each connection gets a thread (GET /next blocks in it)."""
        while True:
            try:
                request, address = self.socket.accept()
            except OSError:
                return
            self.process_request(request, address)

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)  # wakes the accept() above
        self.server_close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | OSError):
            return  # the worker hung up (killed, or exited): its watcher reports that
        self.worker.pool.log(f"runtime API error ({self.worker.pool.function}): {traceback.format_exc()}")


class _RuntimeApiHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # awslambdaric's client keeps its connection
    disable_nagle_algorithm = True
    server: _RuntimeApiServer

    def do_GET(self) -> None:
        if self.path != NEXT_PATH:
            self._answer(404, {"errorType": "InvalidRequest", "errorMessage": f"GET {self.path}"})
            return
        worker = self.server.worker
        pending = worker.next_invocation()
        if pending is None:  # the worker is being killed: no event, ever
            self.close_connection = True
            return
        pool = worker.pool
        deadline_ms = int(time.time() * 1000 + pool.timeout_seconds * 1000)
        trace_id = f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0"
        self._send(
            200,
            pending.body,
            {
                "Content-Type": "application/json",  # else awslambdaric hands the handler raw bytes
                "Lambda-Runtime-Aws-Request-Id": pending.request_id,
                "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": pool.function_arn(),
                "Lambda-Runtime-Trace-Id": trace_id,
            },
        )

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        worker = self.server.worker
        if self.path == INIT_ERROR_PATH:
            worker.init_failed(_parse(body))
            self._answer(202, {"status": "OK"})
            return
        found = _INVOCATION_POST.match(self.path)
        if found is None:
            self._answer(404, {"errorType": "InvalidRequest", "errorMessage": f"POST {self.path}"})
            return
        outcome = "ok" if found["kind"] == "response" else "error"
        if worker.answered(found["request_id"], outcome, _parse(body)):
            self._answer(202, {"status": "OK"})
        else:
            message = f"Invalid request ID: {found['request_id']}"
            self._answer(400, {"errorType": "InvalidRequestID", "errorMessage": message})

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        self._send(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return
