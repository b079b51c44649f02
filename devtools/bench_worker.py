"""The measuring half of `make bench`, run inside a function's isolated interpreter.

    python3.13 -I -S devtools/bench_worker.py CODE_DIR LAYER_DIRS RUNTIME_DIR HANDLER cold|warm KIND [N]

It sets up sys.path exactly as devtools/lambda_bootstrap.py does (function code, layer, the
runtime's packages; nothing else), then:
- cold: imports the handler and answers one request against the real DynamoDB of
  DYNAMODB_ENDPOINT; prints the times of both.
- warm: answers one request against DynamoDB (recording DynamoDB's raw answers), then N more
  with DynamoDB stubbed at the wire: botocore serializes every request and parses the recorded
  answer bytes, so only the network is left out. Prints the per-request times.
KIND is "bet" (a signed Playhub bet on BENCH_SESSION_ID, a new tx_id each time) or "bare" (any
event: the bare handler ignores it).
Standard library only until the handler is imported.
"""

import json
import os
import sys
import time
import uuid

STARTED = time.perf_counter()


class Context:
    """What powertools reads of a Lambda context."""

    function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "bench")
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:eu-west-1:000000000000:function:bench"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + 5

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def bet_event() -> dict[str, object]:
    from playhub_wallet.signing import SIGNATURE_HEADER, canonical_json, sign  # noqa: PLC0415

    payload = {
        "action": "bet",
        "type": "bet",
        "session_id": os.environ["BENCH_SESSION_ID"],
        "amount": "0.01",
        "tx_id": str(uuid.uuid4()),
        "round_id": str(uuid.uuid4()),
    }
    body = canonical_json(payload)
    headers = {SIGNATURE_HEADER: sign(os.environ["CALLBACK_KEYS"], body), "Content-Type": "application/json"}
    return {"resource": "/bet", "path": "/bet", "httpMethod": "POST", "headers": headers, "body": body.decode()}


class WireStub:
    """Records DynamoDB's raw answers per operation, then serves them instead of the network."""

    def __init__(self) -> None:
        self.recorded: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.replaying = False

    def install(self) -> None:
        import boto3  # noqa: PLC0415 - the runtime's, as the handler's client uses it

        boto3.setup_default_session()
        session = boto3.DEFAULT_SESSION
        assert session is not None
        session.events.register("response-received.dynamodb", self.record)
        session.events.register("before-send.dynamodb", self.replay)  # type: ignore[arg-type]

    def record(self, response_dict: dict[str, object], event_name: str, **_: object) -> None:
        if not self.replaying:
            operation = event_name.rsplit(".", 1)[-1]  # response-received.dynamodb.<Operation>
            body = response_dict["body"]
            self.recorded[operation] = (
                int(str(response_dict["status_code"])),
                dict(response_dict["headers"]),  # type: ignore[call-overload]
                body if isinstance(body, bytes) else b"",
            )

    def replay(self, request: object, **_: object) -> object:
        if not self.replaying:
            return None
        from botocore.awsrequest import AWSResponse  # noqa: PLC0415

        target = dict(request.headers).get("X-Amz-Target", b"")  # type: ignore[attr-defined]
        operation = (target.decode() if isinstance(target, bytes) else str(target)).rsplit(".", 1)[-1]
        status, headers, body = self.recorded[operation]
        return AWSResponse(request.url, status, headers, Raw(body))  # type: ignore[attr-defined,arg-type]


class Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object) -> object:
        yield self.body


def main(argv: list[str]) -> None:
    code_dir, runtime_dir = os.path.abspath(argv[1]), os.path.abspath(argv[3])
    layers = [os.path.abspath(path) for path in argv[2].split(os.pathsep)]
    module_name, _, function_name = argv[4].rpartition(".")
    mode, kind = argv[5], argv[6]
    sys.path[:0] = [code_dir, *layers, runtime_dir]
    os.chdir(code_dir)
    stub = WireStub()
    if mode == "warm":
        stub.install()
    import importlib  # noqa: PLC0415

    before_import = time.perf_counter()
    handler = getattr(importlib.import_module(module_name), function_name)
    imported = time.perf_counter()
    make_event = bet_event if kind == "bet" else (lambda: {"body": "{}"})
    answer = handler(make_event(), Context())
    answered = time.perf_counter()
    status = answer.get("statusCode")
    result: dict[str, object] = {
        "status": status,
        "startup_ms": (before_import - STARTED) * 1000,
        "import_ms": (imported - before_import) * 1000,
        "first_ms": (answered - imported) * 1000,
    }
    if mode == "warm":
        stub.replaying = True
        times = []
        profiler = None
        if os.environ.get("BENCH_PROFILE"):  # python -m devtools.bench --profile: where warm time goes (a file)
            import cProfile  # noqa: PLC0415

            profiler = cProfile.Profile()
            profiler.enable()
        for _ in range(int(argv[7])):
            event, context = make_event(), Context()
            started = time.perf_counter()
            answer = handler(event, context)
            times.append((time.perf_counter() - started) * 1000)
            if answer.get("statusCode") != 200:
                raise SystemExit(f"warm request answered {answer.get('statusCode')}: {answer.get('body')}")
        if profiler is not None:
            import pstats  # noqa: PLC0415

            profiler.disable()
            with open(os.environ["BENCH_PROFILE"], "w", encoding="utf-8") as report:
                pstats.Stats(profiler, stream=report).sort_stats("cumulative").print_stats(30)
        result["warm_ms"] = times
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv)
