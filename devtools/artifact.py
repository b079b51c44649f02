"""The built artifact, as a casino deploys it, made runnable on this machine.

`sam build` builds the layer for arm64, as deployed. Here the same template and requirements
are built again for this machine's architecture and Python 3.13 (LAYER_ARCH, LAYER_PYTHON),
into .cache/artifact/, together with a folder holding only what the Lambda runtime itself
provides (devtools/lambda-runtime.txt). `make run`, the artifact tests and `make bench` run the
functions from there, each in an interpreter that sees nothing else (devtools/lambda_bootstrap.py).

Built on first use and again whenever the template, a function or the layer changes.

    python -m devtools.artifact            # build if needed, print where
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.template import ROOT, load_template

CACHE = ROOT / ".cache" / "artifact"
SAM = ROOT / ".cache" / "sam-cli" / "bin" / "sam"
BOOTSTRAP = ROOT / "devtools" / "lambda_bootstrap.py"
RUNTIME_REQUIREMENTS = ROOT / "devtools" / "lambda-runtime.txt"
LAMBDA_PYTHON = "3.13"
_SOURCES = ("template.yaml", "functions", "layers")


class ArtifactError(RuntimeError):
    """The artifact could not be built; the message is one line for the user."""


@dataclass(frozen=True)
class FunctionSpec:
    """One function of the template, as its built artifact runs it."""

    name: str  # the template's logical id, e.g. BetFunction
    code_dir: Path
    handler: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, Any]  # as written in the template (values may be intrinsics)


@dataclass(frozen=True)
class Artifact:
    python: Path  # the interpreter the functions run on
    python_version: str  # "3.13"
    fallback: bool  # True when that is not Python 3.13 (warned about)
    arch: str
    build_dir: Path
    layer_dir: Path  # the layer's python/ folder (/opt/python on Lambda)
    tracing_layer_dir: Path  # the X-Ray layer's, attached when the stack turns tracing on
    runtime_dir: Path  # the runtime's own packages (/var/runtime on Lambda)
    functions: dict[str, FunctionSpec]

    def command(self, function: str, *extra: str, tracing: bool = False) -> list[str]:
        """The isolated interpreter for one function: its code, the layer(s), the runtime; nothing else."""
        spec = self.functions[function]
        layers = [str(self.layer_dir)] + ([str(self.tracing_layer_dir)] if tracing else [])
        return [
            str(self.python),
            "-I",  # nothing from the environment or the user's site
            "-S",  # no site-packages: sys.path is what the bootstrap puts there
            "-B",  # Lambda's file system is read-only: no bytecode written next to the code
            str(BOOTSTRAP),
            str(spec.code_dir),
            os.pathsep.join(layers),
            str(self.runtime_dir),
            spec.handler,
            *extra,
        ]


def host_arch() -> str:
    return "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"


def find_python() -> tuple[Path, bool]:
    """Python 3.13 (PATH, then pyenv); else this interpreter, flagged as a fallback."""
    found = shutil.which(f"python{LAMBDA_PYTHON}")
    if found:
        resolved = _real_interpreter(found)
        if resolved:
            return resolved, False
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for candidate in sorted(pyenv_root.glob(f"versions/{LAMBDA_PYTHON}.*/bin/python{LAMBDA_PYTHON}"), reverse=True):
        return candidate, False
    return Path(sys.executable), True


def _real_interpreter(command: str) -> Path | None:
    """The interpreter behind a command (pyenv shims answer only when a version is selected)."""
    result = subprocess.run(
        [command, "-c", "import sys; print(sys.executable)"], capture_output=True, text=True, check=False
    )
    return Path(result.stdout.strip()) if result.returncode == 0 and result.stdout.strip() else None


def _fingerprint(python: Path, arch: str) -> str:
    digest = hashlib.sha256(f"{python}|{arch}".encode())
    for source in _SOURCES:
        path = ROOT / source
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            if "__pycache__" in file.parts or file.suffix == ".pyc":
                continue
            digest.update(str(file.relative_to(ROOT)).encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()


def _python_tag(python: Path) -> str:
    result = subprocess.run(
        [str(python), "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def ensure(log: Any = print) -> Artifact:
    """The artifact for this machine, built or rebuilt if its sources changed."""
    python, fallback = find_python()
    if fallback:
        log(
            f"WARNING: Python {LAMBDA_PYTHON} not found (PATH or pyenv): the functions run on this machine's"
            f" Python {sys.version_info[0]}.{sys.version_info[1]}, which Lambda does not"
        )
    arch = host_arch()
    tag = _python_tag(python)
    home = CACHE / f"python{tag}-{arch}"
    build_dir = home / "build"
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time (test workers, make run, make bench)
        runtime_dir = _ensure_runtime(python, home / "runtime", log)
        stamp = home / "build.fingerprint"
        fingerprint = _fingerprint(python, arch)
        if not (stamp.exists() and stamp.read_text() == fingerprint and (build_dir / "template.yaml").exists()):
            log(f"building the artifact for {arch}, Python {tag} (sam build into {build_dir.relative_to(ROOT)})")
            _sam_build(python, arch, build_dir, fallback)
            stamp.write_text(fingerprint)
    return Artifact(
        python=python,
        python_version=tag,
        fallback=fallback,
        arch=arch,
        build_dir=build_dir,
        layer_dir=build_dir / "PlayhubLayer" / "python",
        tracing_layer_dir=build_dir / "PlayhubTracingLayer" / "python",
        runtime_dir=runtime_dir,
        functions=_functions(build_dir),
    )


def _ensure_runtime(python: Path, target: Path, log: Any) -> Path:
    stamp = target / ".requirements"
    wanted = RUNTIME_REQUIREMENTS.read_text(encoding="utf-8")
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return target
    log(f"installing the Lambda runtime's own packages into {target.relative_to(ROOT)}")
    shutil.rmtree(target, ignore_errors=True)
    _run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            "-r",
            str(RUNTIME_REQUIREMENTS),
        ],
        "installing the Lambda runtime's packages failed",
    )
    stamp.write_text(wanted, encoding="utf-8")
    return target


def _sam_build(python: Path, arch: str, build_dir: Path, fallback: bool) -> None:
    if not SAM.exists():
        raise ArtifactError(f"SAM CLI is missing ({SAM.relative_to(ROOT)}): run `make build` once")
    env = {
        **os.environ,
        "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "LAYER_ARCH": arch,
        "LAYER_PYTHON": str(python),
        "SAM_CLI_TELEMETRY": "0",
    }
    if fallback:  # sam's python3.13 builder would refuse this interpreter: copy the code as it would
        _copy_build(python, arch, build_dir, env)
        return
    _run(
        [
            str(SAM),
            "build",
            "--template-file",
            str(ROOT / "template.yaml"),
            "--build-dir",
            str(build_dir),
            "--no-cached",  # SAM's cache key would miss layers/build_layer.py; the fingerprint above does not
        ],
        "sam build failed",
        env=env,
        cwd=ROOT,
    )


def _copy_build(python: Path, arch: str, build_dir: Path, env: dict[str, str]) -> None:
    shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.mkdir(parents=True)
    template = load_template()
    for name, resource in template["Resources"].items():
        if resource["Type"] == "AWS::Serverless::Function":
            shutil.copytree(ROOT / resource["Properties"]["CodeUri"], build_dir / name)
    for layer, folder in (("PlayhubLayer", "playhub"), ("PlayhubTracingLayer", "tracing")):
        _run(
            ["make", "-s", "-C", str(ROOT / "layers" / folder), f"build-{layer}", f"ARTIFACTS_DIR={build_dir / layer}"],
            f"building {layer} failed",
            env=env,
        )
    (build_dir / "template.yaml").write_text((ROOT / "template.yaml").read_text(encoding="utf-8"), encoding="utf-8")


def _functions(build_dir: Path) -> dict[str, FunctionSpec]:
    """Every function of the built template, with the settings Lambda would give it."""
    template = load_template(build_dir / "template.yaml")
    globals_ = template.get("Globals", {}).get("Function", {})
    functions = {}
    for name, resource in template["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        props = {**globals_, **resource["Properties"]}
        environment = {
            **globals_.get("Environment", {}).get("Variables", {}),
            **resource["Properties"].get("Environment", {}).get("Variables", {}),
        }
        functions[name] = FunctionSpec(
            name=name,
            code_dir=(build_dir / name).resolve(),  # sam build names each folder by its logical id
            handler=props["Handler"],
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment=environment,
        )
    return functions


def _run(command: list[str], failure: str, **kwargs: Any) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    if result.returncode != 0:
        last = [line for line in (result.stderr + result.stdout).splitlines() if line.strip()][-3:]
        raise ArtifactError(f"{failure}: {' | '.join(last) or 'exit ' + str(result.returncode)}")


def main() -> None:
    try:
        artifact = ensure()
    except ArtifactError as error:
        raise SystemExit(f"error: {error}") from None
    summary = {
        "python": str(artifact.python),
        "arch": artifact.arch,
        "build": str(artifact.build_dir),
        "layer": str(artifact.layer_dir),
        "runtime": str(artifact.runtime_dir),
        "functions": sorted(artifact.functions),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
