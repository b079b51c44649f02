"""Headless Chromium (Debian's `chromium`) driven over the DevTools protocol.

The protocol goes over a pipe (--remote-debugging-pipe: the browser reads JSON messages, each
ended by a NUL byte, on its fd 3 and writes its own on fd 4), so there is no port to find, no
websocket and no dependency. Chromium runs in a process group of its own with a temporary
profile (HOME too): `Chromium.launched()` ends the group and removes the directory however the
test ends.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-dev-shm-usage",  # containers often have a small /dev/shm
    "--disable-crash-reporter",  # no crashpad handler, which would live outside the browser's group
    "--disable-breakpad",
    "--remote-debugging-pipe",
)
# The launcher script (/usr/bin/chromium) execs the browser; fd 3 and 4 must reach it, and only
# stdin and stdout can be handed to a child at fixed numbers portably, so sh moves them there.
_PIPES_TO_3_AND_4 = 'exec "$0" "$@" 3<&0 4>&1 0</dev/null 1>&2'
CALL_SECONDS = 60.0  # one protocol call; a busy CI machine is slow to start a browser


def executable() -> str:
    """Debian's chromium; the test is skipped where it is not installed, and fails in CI, which installs it."""
    found = shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests: apt-get install chromium")
        pytest.skip("chromium not installed: apt-get install chromium")
    return found


class ChromiumError(Exception):
    """The browser refused a call, or is gone."""


class Chromium:
    """One headless browser; `page()` opens a tab."""

    def __init__(self, process: subprocess.Popen[bytes], home: Path) -> None:
        self.process = process
        self.home = home  # the profile, HOME and the browser's stderr: removed on close
        self._next_id = 0
        self._pending: dict[int, Future[dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self.events: list[dict[str, Any]] = []  # console messages and exceptions of the pages
        self._reader = threading.Thread(target=self._read, name="chromium-reader", daemon=True)
        self._reader.start()

    @classmethod
    @contextlib.contextmanager
    def launched(cls, executable: str) -> Iterator[Chromium]:
        home = Path(tempfile.mkdtemp(prefix="chromium-"))
        environment = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
        }
        try:
            with (home / "stderr.log").open("wb") as stderr:
                process = subprocess.Popen(
                    ["sh", "-c", _PIPES_TO_3_AND_4, executable, *FLAGS, f"--user-data-dir={home / 'profile'}"],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=stderr,
                    env=environment,
                    start_new_session=True,  # its group: every process it starts ends with it
                )
            browser = cls(process, home)
            try:
                yield browser
            finally:
                browser.close()
        finally:
            shutil.rmtree(home, ignore_errors=True)

    # The protocol ------------------------------------------------------------------------

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        session: str | None = None,
        timeout: float = CALL_SECONDS,
    ) -> dict[str, Any]:
        """Send one command (to a page's session, if given); its result, or ChromiumError."""
        answer: Future[dict[str, Any]] = Future()
        if not self._reader.is_alive():
            raise ChromiumError(f"{method}: the browser's answers are no longer read{self._stderr_tail()}")
        with self._lock:
            self._next_id += 1
            message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
            if session is not None:
                message["sessionId"] = session
            self._pending[self._next_id] = answer
            stdin = self.process.stdin
            assert stdin is not None
            try:
                stdin.write(json.dumps(message).encode() + b"\0")
                stdin.flush()
            except (BrokenPipeError, ValueError):
                raise ChromiumError(f"{method}: the browser is gone{self._stderr_tail()}") from None
        try:
            return answer.result(timeout=timeout)
        except FutureTimeout:
            raise ChromiumError(f"{method}: no answer in {timeout:.0f} s") from None

    def _read(self) -> None:
        stdout = self.process.stdout
        assert isinstance(stdout, io.BufferedReader)
        buffer = b""
        ended = "the browser exited"
        try:
            for chunk in iter(lambda: stdout.read1(65536), b""):
                buffer += chunk
                *messages, buffer = buffer.split(b"\0")
                for raw in messages:
                    self._dispatch(json.loads(raw))
        except Exception as error:  # a waiting call must fail with the cause, not time out
            ended = f"reading the browser's answers failed: {type(error).__name__}: {error}"
        with self._lock:
            for answer in self._pending.values():
                if not answer.done():
                    answer.set_exception(ChromiumError(f"{ended}{self._stderr_tail()}"))

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "id" not in message:
            if message.get("method") in ("Runtime.exceptionThrown", "Runtime.consoleAPICalled"):
                self.events.append(message)
            return
        with self._lock:
            answer = self._pending.pop(message["id"], None)
        if answer is None:
            return
        if "error" in message:
            answer.set_exception(ChromiumError(f"{message['error'].get('message')}: {message['error']}"))
        else:
            answer.set_result(message.get("result", {}))

    def _stderr_tail(self) -> str:
        with contextlib.suppress(OSError):
            return ": " + (self.home / "stderr.log").read_text(errors="replace")[-2000:]
        return ""

    # Pages and the end -------------------------------------------------------------------

    def page(self, url: str) -> Page:
        """A new tab on url, once the page and its scripts have loaded."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.call("Runtime.enable")
        navigated = page.call("Page.navigate", {"url": url})
        if navigated.get("errorText"):
            raise ChromiumError(f"cannot open {url}: {navigated['errorText']}")
        deadline = time.monotonic() + CALL_SECONDS
        while True:  # until the new document has loaded (while it commits, it may not answer at all)
            with contextlib.suppress(ChromiumError):
                if page.evaluate("location.href !== 'about:blank' && document.readyState === 'complete'"):
                    return page
            if time.monotonic() > deadline:
                raise AssertionError(f"{url} did not load in {CALL_SECONDS:.0f} s; {page.diagnostics()}")
            time.sleep(0.05)

    def close(self) -> None:
        """The browser and every process of its group end (asked first, then killed)."""
        with contextlib.suppress(ChromiumError):
            self.call("Browser.close", timeout=10)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):  # what is left of the group (it has its own id)
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        deadline = time.monotonic() + 30
        while group_members(self.process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._reader.join(timeout=10)


def group_members(group: int) -> list[int]:
    """The live (not zombie) processes of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        state, process_group = fields[0], int(fields[2])
        if process_group == group and state not in ("Z", "X"):
            members.append(int(entry.name))
    return members


class Page:
    """One tab, driven as a user drives it: real mouse clicks and typing."""

    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser = browser
        self.session = session

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.call(method, params, session=self.session)

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-able values only)."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            raise ChromiumError(f"{expression}: {details.get('exception', {}).get('description', details)}")
        return result["result"].get("value")

    def wait_for(self, expression: str, *, what: str = "", timeout: float = 60.0) -> Any:
        """Poll the page until the expression is truthy (its value), or fail at the deadline."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout:.0f} s for {what or expression}; {self.diagnostics()}")
            time.sleep(0.05)

    def text(self, selector: str) -> str:
        found = self.evaluate(f"document.querySelector({json.dumps(selector)})?.textContent ?? null")
        if found is None:
            raise AssertionError(f"no {selector} on the page")
        return str(found)

    def _center(self, selector: str) -> tuple[float, float]:
        found = self.evaluate(
            f"""(() => {{
                const element = document.querySelector({json.dumps(selector)});
                if (!element) return null;
                element.scrollIntoView({{block: "center"}});
                const box = element.getBoundingClientRect();
                return {{x: box.x + box.width / 2, y: box.y + box.height / 2, disabled: !!element.disabled}};
            }})()"""
        )
        if found is None:
            raise AssertionError(f"no {selector} on the page")
        if found["disabled"]:
            raise AssertionError(f"{selector} is disabled; {self.diagnostics()}")
        return float(found["x"]), float(found["y"])

    def click(self, selector: str) -> None:
        """A left click in the middle of the element, as the mouse sends it."""
        x, y = self._center(selector)
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def fill(self, selector: str, text: str) -> None:
        """Replace an input's text as typing does (click into it, select all, type)."""
        self.click(selector)
        self.evaluate(f"document.querySelector({json.dumps(selector)}).select()")
        self.call("Input.insertText", {"text": text})

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"]))

    def diagnostics(self) -> str:
        """What the page shows and logged, for a failure's message."""
        try:
            shown = self.evaluate("document.body ? document.body.innerText.slice(0, 3000) : ''")
        except ChromiumError as error:
            shown = f"(unreadable: {error})"
        logged = [json.dumps(event.get("params", {}))[:500] for event in self.browser.events[-10:]]
        return f"the page shows:\n{shown}\nconsole and exceptions: {logged}"
