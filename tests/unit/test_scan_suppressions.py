"""make scan (checkov) passes by fixes or by skips beside their resource, each with its reason."""

from __future__ import annotations

import re
from typing import Any

from devtools.template import ROOT, load_template

RESOURCES: dict[str, Any] = load_template()["Resources"]
CALLBACK_FUNCTIONS = [
    "BalanceFunction",
    "BetFunction",
    "WinFunction",
    "RefundFunction",
    "CallbackFunction",
    "SwipeBalanceFunction",
    "SwipeBetFunction",
    "SwipeWinFunction",
    "SwipeRefundFunction",
]


def _skips() -> dict[str, list[dict[str, str]]]:
    return {
        name: resource["Metadata"]["checkov"]["skip"]
        for name, resource in RESOURCES.items()
        if "checkov" in (resource.get("Metadata") or {})
    }


def test_every_skip_names_one_check_and_says_why() -> None:
    skips = _skips()
    assert skips
    for name, entries in skips.items():
        ids = [entry["id"] for entry in entries]
        assert all(re.fullmatch(r"CKV2?_AWS_\d+", check) for check in ids), (name, ids)
        assert len(ids) == len(set(ids)), name
        for entry in entries:
            assert len(entry.get("comment", "").split()) >= 4, (name, entry)


def test_the_callbacks_reserved_concurrency_is_left_to_the_stack_parameter() -> None:
    for name in CALLBACK_FUNCTIONS:
        (reason,) = [entry["comment"] for entry in _skips()[name] if entry["id"] == "CKV_AWS_115"]
        assert "CallbackReservedConcurrency" in reason


def test_nothing_is_skipped_for_the_whole_template() -> None:
    assert not list(ROOT.glob(".checkov.y*ml"))
    scan = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nscan:", 1)[1].split("\n\n", 1)[0]
    assert "--skip-check" not in scan
    assert "--soft-fail" not in scan
