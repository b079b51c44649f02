"""Build a Lambda layer folder: what `sam build` runs for each layer (BuildMethod: makefile).

    python3.13 layers/build_layer.py --requirements R --out DIR/python [--package P] [--arch arm64]

1. pip installs the requirements for the target (CPython version of the interpreter running
   this script, manylinux wheels for the architecture), so an x86_64 machine builds an arm64
   layer and the other way round.
2. Removes every distribution the python3.13 Lambda runtime already ships (boto3, botocore and
   their dependencies): layers come first on sys.path, so a copy here would silently replace the
   runtime's own.
3. Removes what nothing in the functions imports (PRUNED, each with its reason).
4. Precompiles bytecode for the interpreter's version. Third-party packages are shipped as
   bytecode only (their sources add megabytes to every cold start's unzip and are never read);
   our own package keeps its sources beside the bytecode so tracebacks show our lines.
   "unchecked-hash" bytecode is used as-is: Lambda's zip extraction does not keep the source
   timestamps that the default mode would compare.

Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import argparse
import compileall
import py_compile
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# What the Lambda python3.13 runtime provides (boto3 and its dependency tree): never in a layer.
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3"})

# Paths (relative to the layer's python/ folder) that no function imports, with why they can go.
PRUNED = {
    "pydantic/v1": "pydantic's v1 compatibility copy; only `import pydantic.v1` loads it",
    "bin": "console scripts of the installed packages; nothing runs them on Lambda",
    **{
        f"aws_lambda_powertools/utilities/{name}": "a powertools utility we do not use, and that its logger,"
        " metrics, event handler, data classes and parameters never import"
        for name in (
            "auth_alpha",
            "batch",
            "circuit_breaker",
            "data_masking",
            "feature_flags",
            "idempotency",
            "kafka",
            "parser",
            "streaming",
        )
    },
}

# Where Lambda unpacks a layer's python/ folder: the path tracebacks name.
LAMBDA_LAYER_DIR = "/opt/python"

PLATFORMS = {"arm64": "manylinux2014_aarch64", "x86_64": "manylinux2014_x86_64"}


def normalized(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def install(requirements: Path, target: Path, arch: str) -> None:
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        "--only-binary=:all:",
        "--platform",
        PLATFORMS[arch],
        "--implementation",
        "cp",
        "--python-version",
        version,
        "-r",
        str(requirements),
    ]
    subprocess.run(command, check=True)  # noqa: S603 - fixed arguments


def remove_runtime_provided(target: Path) -> list[str]:
    """Delete each runtime-provided distribution by its RECORD, so nothing of it stays behind."""
    removed = []
    for dist_info in sorted(target.glob("*.dist-info")):
        name = normalized(dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        if name not in RUNTIME_PROVIDED:
            continue
        record = dist_info / "RECORD"
        for line in record.read_text(encoding="utf-8").splitlines():
            relative = line.split(",", 1)[0]
            path = (target / relative).resolve()
            if path.is_file() and target.resolve() in path.parents:
                path.unlink()
        shutil.rmtree(dist_info, ignore_errors=True)
        removed.append(name)
    for folder in sorted(target.rglob("*"), reverse=True):  # folders the RECORDs emptied
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return removed


def prune(target: Path) -> None:
    for relative in PRUNED:
        path = target / relative
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def compile_bytecode_only(folder: Path) -> None:
    """Third-party code: legacy-location .pyc beside where the .py was, then the .py removed."""
    for cache in folder.rglob("__pycache__"):
        shutil.rmtree(cache)
    if not compileall.compile_dir(
        folder,
        quiet=1,
        legacy=True,
        ddir=LAMBDA_LAYER_DIR,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    ):
        raise SystemExit(f"bytecode compilation failed in {folder}")
    for source in folder.rglob("*.py"):
        if source.with_suffix(".pyc").exists():
            source.unlink()


def compile_with_sources(folder: Path) -> None:
    shown_as = f"{LAMBDA_LAYER_DIR}/{folder.name}"
    if not compileall.compile_dir(
        folder, quiet=1, ddir=shown_as, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
    ):
        raise SystemExit(f"bytecode compilation failed in {folder}")


def build(requirements: Path, out: Path, package: Path | None, arch: str) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    with tempfile.TemporaryDirectory() as scratch:
        staged = Path(scratch) / "python"
        install(requirements, staged, arch)
        removed = remove_runtime_provided(staged)
        prune(staged)
        shutil.copytree(staged, out, dirs_exist_ok=True)
    compile_bytecode_only(out)
    if package is not None:
        shutil.copytree(package, out / package.name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        compile_with_sources(out / package.name)
    size = sum(path.stat().st_size for path in out.rglob("*") if path.is_file())
    print(
        f"layer {out}: {size / 1_000_000:.1f} MB for {arch}, python{sys.version_info.major}.{sys.version_info.minor};"
        f" left to the runtime: {', '.join(removed) or 'nothing'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requirements", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True, help="the layer's python/ folder")
    parser.add_argument("--package", type=Path, help="our own package to add with its sources")
    parser.add_argument("--arch", choices=sorted(PLATFORMS), default="arm64")
    args = parser.parse_args()
    build(args.requirements, args.out, args.package, args.arch)


if __name__ == "__main__":
    main()
