"""What `sam build` produces is what runs: each function's handler, imported from the built
artifact in an interpreter that sees only the function's code, the built layer and the Lambda
runtime's own packages (never the dev venv)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from devtools.artifact import Artifact
from devtools.template import ROOT, load_template

FUNCTIONS = sorted(
    name for name, resource in load_template()["Resources"].items() if resource["Type"] == "AWS::Serverless::Function"
)
PLAYHUB_CALLBACKS = ["BalanceFunction", "BetFunction", "WinFunction", "RefundFunction", "CallbackFunction"]
SWIPE_CALLBACKS = ["SwipeBalanceFunction", "SwipeBetFunction", "SwipeWinFunction", "SwipeRefundFunction"]
CALLBACKS = PLAYHUB_CALLBACKS + SWIPE_CALLBACKS
# What a callback never needs: the Core API client and everything behind it, the other consumers'
# stores, and X-Ray when tracing is off.
NOT_FOR_CALLBACKS = [
    "requests",
    "playhub_wallet.core_api",
    "playhub_wallet.campaigns",
    "playhub_wallet.launch",
    "playhub_wallet.reconciliation",
    "playhub_wallet.operator_runtime",
    "playhub_wallet.operator_api",
    "playhub_wallet.accounts",
    "playhub_wallet.dynamodb.accounts",
    "playhub_wallet.dynamodb.campaigns",
    "playhub_wallet.dynamodb.reconciliation",
    "playhub_wallet.legal_bets",
    "playhub_wallet.dynamodb.legal_bets",
    "playhub_wallet.rounds",
    "playhub_wallet.playhub_catalogue",
    "playhub_wallet.playhub_requests",  # the pre-traffic check's and the local tools'
    "playhub_wallet.swipe_requests",
    "playhub_wallet.swipe_core_api",
    "playhub_wallet.pre_traffic",
    "playhub_wallet.health",
    "aws_xray_sdk",
]


def import_report(artifact: Artifact, function: str, **environment: str) -> dict[str, Any]:
    result = subprocess.run(
        artifact.command(function, "--import-only"),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "POWERTOOLS_TRACE_DISABLED": "true", **environment},
    )
    assert result.returncode == 0, f"{function} does not import from its artifact:\n{result.stderr[-3000:]}"
    report: dict[str, Any] = json.loads(result.stdout.splitlines()[-1])
    return report


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_handler_imports_from_its_artifact_alone(built_artifact: Artifact, function: str) -> None:
    report = import_report(built_artifact, function)

    roots = {
        "code": built_artifact.functions[function].code_dir,
        "layer": built_artifact.layer_dir,
        "runtime": built_artifact.runtime_dir,
    }
    extra_paths = [entry for entry in report["sys_path"] if Path(entry) not in roots.values()]
    assert all("site-packages" not in entry for entry in extra_paths), extra_paths  # the stdlib only
    foreign = {name: origin for name, origin in report["modules"].items() if origin.startswith("elsewhere")}
    assert foreign == {}
    assert report["modules"]["app"] == "code"
    assert report["modules"]["playhub_wallet"] == "layer"
    assert report["modules"]["pydantic"] == "layer"
    assert report["modules"]["boto3"] == "runtime"
    if not built_artifact.fallback:
        assert report["python"].startswith("3.13.")


def test_the_path_is_the_artifact_and_the_standard_library_only(built_artifact: Artifact) -> None:
    report = import_report(built_artifact, "BetFunction")
    spec = built_artifact.functions["BetFunction"]
    artifact_paths = [str(spec.code_dir), str(built_artifact.layer_dir), str(built_artifact.runtime_dir)]
    assert report["sys_path"][:3] == artifact_paths
    stdlib = report["sys_path"][3:]
    base = str(built_artifact.python.resolve().parent.parent)  # the interpreter's prefix
    assert stdlib
    assert all(entry.startswith(base) and "site-packages" not in entry for entry in stdlib), stdlib


@pytest.mark.parametrize("function", CALLBACKS)
def test_a_callback_imports_only_what_callbacks_use(built_artifact: Artifact, function: str) -> None:
    modules = import_report(built_artifact, function)["modules"]
    assert [name for name in NOT_FOR_CALLBACKS if name in modules] == []


@pytest.mark.parametrize("function", PLAYHUB_CALLBACKS)
def test_playhubs_callbacks_load_nothing_of_swipes_dialect(built_artifact: Artifact, function: str) -> None:
    modules = import_report(built_artifact, function)["modules"]
    assert [name for name in modules if name.startswith("playhub_wallet.swipe_")] == []


def test_reconciliation_imports_no_http_client(built_artifact: Artifact) -> None:
    modules = import_report(built_artifact, "ReconciliationFunction")["modules"]
    assert [
        name for name in ("requests", "playhub_wallet.core_api", "playhub_wallet.operator_runtime") if name in modules
    ] == []


def test_the_operator_side_finds_its_http_client_in_the_layer(built_artifact: Artifact) -> None:
    modules = import_report(built_artifact, "OperatorFunction")["modules"]
    assert modules["requests"] == "layer"
    assert modules["urllib3"] == "runtime"  # requests runs on the runtime's urllib3


def test_the_layer_shadows_nothing_the_runtime_provides(built_artifact: Artifact) -> None:
    def top_level(folder: Path) -> set[str]:
        return {
            path.name.removesuffix(".py").removesuffix(".pyc")
            for path in folder.iterdir()
            if not path.name.endswith((".dist-info", ".pth")) and path.name not in {"__pycache__", "bin"}
        }

    assert top_level(built_artifact.layer_dir) & top_level(built_artifact.runtime_dir) == set()


def test_the_layer_ships_bytecode_for_the_runtime_python(built_artifact: Artifact) -> None:
    ours = list((built_artifact.layer_dir / "playhub_wallet" / "__pycache__").glob("*.pyc"))
    tag = "cpython-" + "".join(built_artifact.python_version.split(".")[:2])
    assert ours
    assert all(tag in path.name for path in ours)
    third_party = built_artifact.layer_dir / "pydantic"
    assert list(third_party.glob("*.pyc"))
    assert not list(third_party.glob("*.py"))  # bytecode only: the sources are never read


def test_tracing_turned_on_runs_on_the_tracing_layer(built_artifact: Artifact) -> None:
    result = subprocess.run(
        built_artifact.command("BetFunction", "--import-only", tracing=True),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "POWERTOOLS_TRACE_DISABLED": "false", "AWS_REGION": "eu-west-1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    modules = json.loads(result.stdout.splitlines()[-1])["modules"]
    assert modules["aws_xray_sdk"] == "layer"
    assert modules["botocore"] == "runtime"


def test_the_deployable_layer_is_arm64_and_leaves_the_sdk_to_the_runtime(
    built_artifact: Artifact, tmp_path: Path
) -> None:
    """The layer `sam build` deploys, built by the same Makefile target for arm64."""
    target = ["build-PlayhubLayer", f"ARTIFACTS_DIR={tmp_path}", "LAYER_ARCH=arm64"]
    subprocess.run(
        ["make", "-s", "-C", str(ROOT / "layers" / "playhub"), *target, f"LAYER_PYTHON={built_artifact.python}"],
        check=True,
        capture_output=True,
        timeout=600,
    )
    layer = tmp_path / "python"
    (extension,) = (layer / "pydantic_core").glob("_pydantic_core.*.so")
    assert "aarch64" in extension.name
    assert int.from_bytes(extension.read_bytes()[18:20], "little") == 183  # ELF e_machine: AArch64
    installed = {path.name.removesuffix(".dist-info").rsplit("-", 1)[0].lower() for path in layer.glob("*.dist-info")}
    assert installed & {"boto3", "botocore", "s3transfer", "jmespath", "python_dateutil", "six", "urllib3"} == set()
    assert {"pydantic", "aws_lambda_powertools", "requests"} <= installed
