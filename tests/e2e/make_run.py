"""`make run` as a user runs it, in a subprocess: started, read, signalled, and its processes seen in /proc."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from devtools.template import ROOT

READY_SECONDS = 300.0  # the first run builds the artifact (about 20 s, far more on a busy machine)
STOP_SECONDS = 60.0


@dataclass
class MakeRun:
    process: subprocess.Popen[str]
    port: int
    output: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None

    @classmethod
    def start(cls, port: int, args: str = "", environment: dict[str, str] | None = None) -> MakeRun:
        """`make run`, until it says it is ready (the test fails with its output if it never does)."""
        env = {**os.environ, "PORT": str(port), "PYTHONUNBUFFERED": "1"}
        for name in ("DYNAMODB_ENDPOINT", "PLAYHUB_CORE_URL", "CALLBACK_KEYS", "API_KEYS"):
            env.pop(name, None)  # the defaults, as on a fresh machine
        env.update(environment or {})
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"ARGS={args}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group, as a terminal gives it
        )
        run = cls(process, port)
        ready = threading.Event()

        def read() -> None:  # keep reading: a full pipe would block the gateway's logging
            assert process.stdout is not None
            for line in process.stdout:
                run.output.append(line)
                if line.startswith("ready on "):
                    ready.set()

        run._reader = threading.Thread(target=read, daemon=True)
        run._reader.start()
        deadline = time.monotonic() + READY_SECONDS
        while not ready.wait(0.2):
            if process.poll() is not None or time.monotonic() > deadline:
                run.kill()
                raise AssertionError("make run did not get ready:\n" + run.text())
        return run

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return "".join(self.output)

    def demo(self) -> tuple[str, Decimal]:
        """The demo session make run printed, and the balance it said the wallet has."""
        found = re.search(r"demo session with ([\d.]+) EUR: (\S+)", self.text())
        assert found, self.text()
        return found.group(2), Decimal(found.group(1))

    def gateway_pid(self) -> int:
        """The gateway: make's child (bash execs the recipe's one command)."""
        children = process_children(self.process.pid)
        assert len(children) == 1, children
        return children[0]

    def processes(self) -> set[int]:
        """make, the gateway and everything it started (DynamoDB Local's JVM, the function workers)."""
        return {self.process.pid, *descendants(self.process.pid)}

    def signal(self, signum: int, *, to_gateway: bool = False) -> None:
        os.kill(self.gateway_pid() if to_gateway else self.process.pid, signum)

    def wait(self, timeout: float = STOP_SECONDS) -> int:
        code = self.process.wait(timeout=timeout)
        if self._reader is not None:
            self._reader.join(timeout=10)
        return code

    def kill(self) -> None:
        """Whatever happens, nothing of this run outlives the test."""
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_SECONDS)


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) of a process, None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = text.rsplit(")", 1)[1].split()  # after "pid (comm)", which may hold spaces
    return fields[0], int(fields[1])


def process_children(pid: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None and stat[1] == pid and stat[0] != "Z":
                children.append(int(entry.name))
    return sorted(children)


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in process_children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    stat = _stat(pid)
    return stat is not None and stat[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""
