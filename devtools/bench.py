"""`make bench`: the size and start-up figures of the built artifact, beside a bare boto3 handler.

    python -m devtools.bench [--rounds 15] [--warm 2000] [--layer DIR]

Prints, from one run on this machine (ratios matter: the machine is noisy):
- the layer's size unzipped, by package, for the deployable arm64 build (.aws-sam/build, when
  `make build` made one) and for the local build the other figures run on;
- cold start: a fresh isolated interpreter imports the bet handler and answers its first bet
  against DynamoDB Local, against the same for a bare handler (boto3, one UpdateItem); the
  rounds alternate between the two, and the medians are compared;
- warm: bets with DynamoDB stubbed at the wire (requests serialized, recorded answers parsed),
  p50 and p90, beside the bare handler's UpdateItem stubbed the same way;
- DynamoDB per callback: requests, read and write units from DynamoDB's own ConsumedCapacity
  (devtools/capacity.py; `--capacity-only` prints this section alone, without a build).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from devtools import artifact, capacity, dynamodb_local, local_db
from devtools.template import ROOT

WORKER = ROOT / "devtools" / "bench_worker.py"
BARE = ROOT / "devtools" / "bench_bare"
DEPLOY_LAYER = ROOT / ".aws-sam" / "build" / "PlayhubLayer" / "python"
TABLE = "playhub-bench"
KEY = "bench-callback-key"


def layer_sizes(layer: Path) -> dict[str, int]:
    """Bytes per installed distribution (its files and dist-info), and per top-level folder otherwise."""
    owner: dict[str, str] = {}
    for dist_info in layer.glob("*.dist-info"):
        name = dist_info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        for line in (dist_info / "RECORD").read_text(encoding="utf-8").splitlines():
            top = line.split(",", 1)[0].split("/", 1)[0]
            owner.setdefault(top.removesuffix(".py"), name)
        owner[dist_info.name] = name
    sizes: dict[str, int] = defaultdict(int)
    for path in layer.rglob("*"):
        if path.is_file():
            top = path.relative_to(layer).parts[0]
            sizes[owner.get(top, owner.get(top.removesuffix(".pyc"), top))] += path.stat().st_size
    return dict(sorted(sizes.items(), key=lambda item: -item[1]))


def print_layer(title: str, layer: Path) -> None:
    sizes = layer_sizes(layer)
    total = sum(sizes.values())
    print(f"{title}: {total / 1e6:.1f} MB unzipped ({layer})")
    for name, size in sizes.items():
        print(f"  {name:28} {size / 1e6:6.2f} MB")


# DynamoDB Local takes any credentials, but keeps one database per access key and region:
# the workers use local_db's.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": "eu-west-1"}


@contextmanager
def dynamodb() -> Iterator[str]:
    port = dynamodb_local.free_port()
    process = dynamodb_local.start(port)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        local_db.ensure_table(local_db.local_client(endpoint), TABLE)
        local_db.seed_catalogue(local_db.local_client(endpoint), TABLE)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def funded_session(endpoint: str) -> str:
    """A session on a wallet with enough money for every bet of the run (dev-side setup)."""
    from devtools.core_api_stub import catalogue_places  # noqa: PLC0415
    from playhub_wallet.dynamodb.callback_ledger import CallbackLedger  # noqa: PLC0415
    from playhub_wallet.dynamodb.table import Table  # noqa: PLC0415
    from playhub_wallet.money import CurrencyTable  # noqa: PLC0415
    from playhub_wallet.rules import deposit  # noqa: PLC0415
    from playhub_wallet.state import WalletKey  # noqa: PLC0415
    from playhub_wallet.wallet import WalletService  # noqa: PLC0415

    ledger = CallbackLedger(Table(local_db.local_client(endpoint), TABLE))
    wallet = WalletService(ledger, CurrencyTable(catalogue_places()))
    session = wallet.open_session("bench-player", "EUR", "ph_limbo_97")
    wallet.transfer(deposit(WalletKey("bench-player", "EUR"), Decimal("1000000"), "bench-funding"), float("inf"))
    return session.session_id


def environment(built: artifact.Artifact, function: str, endpoint: str, session_id: str) -> dict[str, str]:
    spec = built.functions[function]
    env = {name: value for name, value in spec.environment.items() if isinstance(value, str)}
    env.update(
        {
            "PATH": "/usr/bin:/bin",
            "TABLE_NAME": TABLE,
            "CALLBACK_KEYS": KEY,
            "DYNAMODB_ENDPOINT": endpoint,
            "POWERTOOLS_TRACE_DISABLED": "true",
            **CREDENTIALS,
            "AWS_DEFAULT_REGION": CREDENTIALS["AWS_REGION"],
            "AWS_LAMBDA_FUNCTION_NAME": function,
            "BENCH_SESSION_ID": session_id,
        }
    )
    return env


def run_worker(command: list[str], env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Wall time from spawning the interpreter to its answer, and what it reported."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    report: dict[str, Any] | None = None
    elapsed = 0.0
    last_lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:  # the handler's logs and the report, stderr too (no pipe can fill up)
        if line.startswith('{"status"'):
            elapsed = (time.perf_counter() - started) * 1000
            report = json.loads(line)
        elif line.strip():
            last_lines = [*last_lines[-20:], line.rstrip()]
    process.wait()
    if report is None or process.returncode != 0:
        raise SystemExit(f"error: bench worker failed: {last_lines[-1] if last_lines else process.returncode}")
    if report["status"] != 200:
        raise SystemExit(f"error: the first request answered {report['status']}")
    return elapsed, report


def worker_command(built: artifact.Artifact, function: str | None, layer: Path, *args: str) -> list[str]:
    """function None: the bare handler, with no layer (boto3 from the runtime alone)."""
    if function is None:
        code, handler, layer = BARE, "app.lambda_handler", BARE / "no-layer"
    else:
        code, handler = built.functions[function].code_dir, built.functions[function].handler
    return [
        str(built.python),
        "-I",
        "-S",
        "-B",
        str(WORKER),
        str(code),
        str(layer),
        str(built.runtime_dir),
        handler,
        *args,
    ]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=15, help="cold starts of each handler (default 15)")
    parser.add_argument("--warm", type=int, default=2000, help="warm requests of each handler (default 2000)")
    parser.add_argument("--layer", type=Path, help="measure this layer folder instead of the built one")
    parser.add_argument("--profile", action="store_true", help="also print where the warm bet's time goes")
    parser.add_argument("--capacity-only", action="store_true", help="only DynamoDB's requests and units per callback")
    args = parser.parse_args(argv)
    if dynamodb_local.java_missing_reason():
        raise SystemExit(f"error: {dynamodb_local.java_missing_reason()}")
    if args.capacity_only:
        with dynamodb() as endpoint:
            capacity.report(*capacity.scenarios(endpoint, TABLE))
        return
    try:
        built = artifact.ensure()
    except artifact.ArtifactError as error:
        raise SystemExit(f"error: {error}") from None
    layer = args.layer.resolve() if args.layer else built.layer_dir

    print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; functions on Python {built.python_version}")
    if DEPLOY_LAYER.exists():
        print_layer("layer as deployed (arm64, make build)", DEPLOY_LAYER)
    print_layer(f"layer measured here ({built.arch})", layer)

    with dynamodb() as endpoint:
        session_id = funded_session(endpoint)
        bet_env = environment(built, "BetFunction", endpoint, session_id)
        bare_env = {**bet_env, "POWERTOOLS_SERVICE_NAME": "bare"}
        cold: dict[str, list[float]] = {"bet": [], "bare": []}
        imports: dict[str, list[float]] = {"bet": [], "bare": []}
        for _ in range(args.rounds):
            for kind, function, env in (("bet", "BetFunction", bet_env), ("bare", None, bare_env)):
                elapsed, report = run_worker(worker_command(built, function, layer, "cold", kind), env)
                cold[kind].append(elapsed)
                imports[kind].append(report["import_ms"])
        warm: dict[str, list[float]] = {}
        with tempfile.NamedTemporaryFile("r", suffix=".txt", encoding="utf-8") as profile:
            if args.profile:
                bet_env = {**bet_env, "BENCH_PROFILE": profile.name}
            for kind, function, env in (("bet", "BetFunction", bet_env), ("bare", None, bare_env)):
                _, report = run_worker(worker_command(built, function, layer, "warm", kind, str(args.warm)), env)
                warm[kind] = report["warm_ms"]
            if args.profile:
                print(profile.read())
        usage = capacity.scenarios(endpoint, TABLE)

    bet, bare = statistics.median(cold["bet"]), statistics.median(cold["bare"])
    print(f"cold start, median of {args.rounds} (spawn, import, first request against DynamoDB Local):")
    print(f"  bet handler   {bet:7.1f} ms   (import {statistics.median(imports['bet']):.1f} ms)")
    print(f"  bare handler  {bare:7.1f} ms   (import {statistics.median(imports['bare']):.1f} ms)")
    print(f"  ratio         {bet / bare:7.2f}x   (target <= 1.2x)")
    print(f"warm, DynamoDB stubbed at the wire, {args.warm} requests:")
    for kind in ("bet", "bare"):
        print(f"  {kind:5} p50 {percentile(warm[kind], 0.5):6.3f} ms   p90 {percentile(warm[kind], 0.9):6.3f} ms")
    ratio = percentile(warm["bet"], 0.5) / percentile(warm["bare"], 0.5)
    print(f"  ratio p50     {ratio:7.2f}x   (bet p50 target <= 1 ms)")
    capacity.report(*usage)


if __name__ == "__main__":
    main()
