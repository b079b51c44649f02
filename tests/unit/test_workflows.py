"""The release pipeline keeps its promises: actionlint passes (and fails on a broken workflow), staging
is certified before production, production waits for its approval, runs the build staging certified
and never plays the smoke's money, deploys never overlap, and only the deploy jobs may get AWS
credentials."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ACTIONLINT = Path(sys.executable).parent / "actionlint"
SHELLCHECK = Path(sys.executable).parent / "shellcheck"


def load(name: str) -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as true
    return workflow


RELEASE = load("release.yml")
JOBS: dict[str, Any] = RELEASE["jobs"]


def runs(job: str) -> list[str]:
    return [step["run"] for step in JOBS[job]["steps"] if "run" in step]


def actionlint(cwd: Path) -> subprocess.CompletedProcess[str]:
    if not ACTIONLINT.exists():
        pytest.fail("actionlint is not installed: make install (requirements-dev.txt)")
    command = [str(ACTIONLINT), f"-shellcheck={SHELLCHECK}", "-pyflakes=", "-no-color"]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


def test_actionlint_passes_on_the_workflows() -> None:
    result = actionlint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_fails_on_a_broken_workflow(tmp_path: Path) -> None:
    shutil.copytree(WORKFLOWS, tmp_path / ".github" / "workflows")
    (tmp_path / ".git").mkdir()  # actionlint checks the workflows of the repository it is in
    broken = tmp_path / ".github" / "workflows" / "release.yml"
    text = broken.read_text()
    assert "needs: [build, staging]" in text
    broken.write_text(text.replace("needs: [build, staging]", "needs: [build, stagin]"))
    result = actionlint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert '"stagin" which does not exist' in result.stdout


@pytest.mark.parametrize("name", sorted(path.name for path in WORKFLOWS.glob("*.yml")))
def test_actions_are_pinned_to_a_major_version_or_a_commit(name: str) -> None:
    workflow = load(name)
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w.-]+@(v\d+|[0-9a-f]{40})", step["uses"]), step["uses"]


def test_only_main_is_released() -> None:
    assert RELEASE["on"] == {"push": {"branches": ["main"]}}


def test_staging_then_approval_then_production() -> None:
    assert JOBS["build"]["needs"] == "ci"
    assert JOBS["staging"]["needs"] == "build"
    assert "staging" in JOBS["production"]["needs"]
    assert JOBS["staging"]["environment"] == "staging"
    assert JOBS["production"]["environment"] == "production"  # its required reviewers are the approval


def test_staging_is_deployed_then_certified_and_production_never_smoked() -> None:
    samconfig = tomllib.loads((ROOT / "samconfig.toml").read_text())
    staging_stack = samconfig["staging"]["global"]["parameters"]["stack_name"]
    staging = runs("staging")
    deploy = next(i for i, run in enumerate(staging) if "deploy --config-env staging" in run)
    smoke = next(i for i, run in enumerate(staging) if "make smoke" in run)
    assert deploy < smoke
    assert f"STACK={staging_stack}" in staging[smoke]
    production = runs("production")
    assert any("deploy --config-env production" in run for run in production)
    assert not any("smoke" in run for run in production)  # it would fund a player in the real ledger


def test_both_stages_deploy_the_one_build() -> None:
    uploaded = {step["with"]["name"] for step in JOBS["build"]["steps"] if "upload-artifact" in step.get("uses", "")}
    assert any("make build" in run for run in runs("build"))
    for stage in ("staging", "production"):
        downloads = [step for step in JOBS[stage]["steps"] if "download-artifact" in step.get("uses", "")]
        assert [step["with"]["name"] for step in downloads] == sorted(uploaded)
        assert not any(re.search(r"make build|sam build", run) for run in runs(stage))


def test_a_deploy_is_never_cancelled_and_never_overlaps_another() -> None:
    groups = set()
    for stage in ("staging", "production"):
        concurrency = JOBS[stage]["concurrency"]
        assert concurrency["cancel-in-progress"] is False
        groups.add(concurrency["group"])
    assert len(groups) == 2


def test_only_the_deploy_jobs_may_ask_for_aws_credentials() -> None:
    assert RELEASE["permissions"] == {}
    deploy = {"contents": "read", "id-token": "write"}
    for name, job in JOBS.items():
        assert job["permissions"] == (deploy if name in ("staging", "production") else {"contents": "read"}), name
    assert load("ci.yml")["permissions"] == {"contents": "read"}
