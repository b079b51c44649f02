"""The tests' Chromium driver (support/chromium.py): real clicks and typing, and nothing left behind."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from urllib.parse import quote

import pytest
from support.chromium import Chromium, executable, group_members

PAGE = (
    "<!doctype html><input id=amount><button id=go onclick=\"document.title = 'sent ' + amount.value\">Go</button>"
    "<button id=off disabled>Off</button>"
)


def test_it_types_clicks_and_reads_the_page_as_a_user_would() -> None:
    with Chromium.launched(executable()) as browser:
        page = browser.page("data:text/html," + quote(PAGE))
        page.fill("#amount", "12.50")
        page.click("#go")

        assert page.wait_for("document.title.startsWith('sent') && document.title") == "sent 12.50"
        assert page.text("#go") == "Go"
        with pytest.raises(AssertionError, match="#off is disabled"):
            page.click("#off")


def test_the_browser_and_its_profile_are_gone_after_the_test_even_when_it_fails() -> None:
    seen: list[tuple[int, Path]] = []  # the browser's process group and its home

    def failing_test() -> None:
        with Chromium.launched(executable()) as browser:
            browser.page("data:text/html," + quote(PAGE))
            seen.append((browser.process.pid, browser.home))
            assert len(group_members(browser.process.pid)) > 1  # the browser and its helpers (renderer, GPU)
            assert (browser.home / "profile").is_dir()
            raise RuntimeError("the test failed")

    with pytest.raises(RuntimeError):
        failing_test()

    [(group, home)] = seen
    assert group_members(group) == []
    assert not home.exists()


def test_a_browser_that_died_is_cleaned_up_too() -> None:
    with Chromium.launched(executable()) as browser:
        group, home = browser.process.pid, browser.home
        os.kill(group, signal.SIGKILL)
        browser.process.wait()

    assert group_members(group) == []
    assert not home.exists()
