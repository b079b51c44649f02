"""Real DynamoDB Local (the jar inside the npm package amplify-dynamodb-simulator) on Java 17.

`python -m devtools.dynamodb_local --port 8000` fetches it once into .cache/ and runs it in memory.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from devtools.template import ROOT

PACKAGE = "amplify-dynamodb-simulator@2.9.30"
# A JVM starts in about 1.5 s on an idle machine, but far slower on a busy two-core CI runner.
START_TIMEOUT_SECONDS = 120
INSTALL_DIR = ROOT / ".cache" / "dynamodb-local"
JAR = INSTALL_DIR / "package" / "emulator" / "DynamoDBLocal.jar"


class DynamoDBLocalUnavailable(RuntimeError):
    pass


def java_missing_reason() -> str | None:
    if shutil.which("java") is None:
        return "Java is not installed (DynamoDB Local needs Java 17: apt-get install openjdk-17-jre-headless)"
    return None


def ensure_jar() -> Path:
    """The jar, fetched with `npm pack` on first use (57 MB, no dependencies)."""
    if JAR.exists():
        return JAR
    if shutil.which("npm") is None:
        raise DynamoDBLocalUnavailable("npm is needed once to fetch DynamoDB Local")
    INSTALL_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=scratch, check=True, capture_output=True)
        archive = next(Path(scratch).glob("*.tgz"))
        with tarfile.open(archive) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/emulator/")]
            tar.extractall(INSTALL_DIR, members=members, filter="data")
    if not JAR.exists():
        raise DynamoDBLocalUnavailable(f"{PACKAGE} did not contain emulator/DynamoDBLocal.jar")
    return JAR


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("0.0.0.0", port))  # noqa: S104 - what DynamoDB Local would bind
        except OSError:
            return False
        return True


def stop(process: subprocess.Popen[bytes], grace_seconds: float = 5.0) -> None:
    """Stop the JVM for sure: politely, then by force; and reap it."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_seconds)


def start(port: int, data_dir: Path | None = None, *, shared: bool = False) -> subprocess.Popen[bytes]:
    """Start DynamoDB Local and wait until it accepts connections (about 1.5 s).

    shared: one database for every access key and region (-sharedDb), for clients that bring
    their own credentials, like `sam local invoke`'s containers.
    """
    jar = ensure_jar()
    storage = ["-dbPath", str(data_dir)] if data_dir else ["-inMemory"]
    if shared:
        storage.append("-sharedDb")
    process = subprocess.Popen(
        [
            "java",
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            *storage,
            "-port",
            str(port),
            "-disableTelemetry",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                raise DynamoDBLocalUnavailable(f"DynamoDB Local exited: {error[-500:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return process
            except OSError:
                time.sleep(0.05)
        raise DynamoDBLocalUnavailable(f"DynamoDB Local did not start within {START_TIMEOUT_SECONDS} s")
    except BaseException:  # not started, or interrupted (Ctrl-C, a stop signal): leave no JVM behind
        stop(process)
        raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--fetch-only", action="store_true", help="download the jar and exit")
    args = parser.parse_args()
    if args.fetch_only:
        print(ensure_jar())
        return
    process = start(args.port)
    print(f"DynamoDB Local on http://127.0.0.1:{args.port} (Ctrl-C stops it)")
    try:
        process.wait()
    except KeyboardInterrupt:
        process.terminate()


if __name__ == "__main__":
    main()
