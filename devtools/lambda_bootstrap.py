"""The first thing a local Lambda worker runs, as /var/runtime/bootstrap does on AWS.

    python3.13 -I -S devtools/lambda_bootstrap.py CODE_DIR LAYER_DIRS RUNTIME_DIR HANDLER [--import-only]

`-I -S` leave only the standard library on sys.path: nothing of the developer's venv or the
interpreter's site-packages. This script then puts exactly what Lambda puts there, in Lambda's
order: the function's code (/var/task), the layers (/opt/python; LAYER_DIRS is one folder or
several joined by os.pathsep, as Lambda merges every layer there) and the runtime's own packages
(/var/runtime). Then either
- it runs awslambdaric, the runtime interface client that AWS's Python runtimes run, against
  AWS_LAMBDA_RUNTIME_API (the local gateway serves that API), or
- with --import-only, it imports the handler and prints, as JSON, what got imported from where
  (the artifact tests and the cold-start benchmark read it).

Standard library only, and no import of the project: it runs inside the isolated interpreter.
"""

import json
import os
import sys
import time


def main(argv: list[str]) -> None:
    code_dir, runtime_dir = os.path.abspath(argv[1]), os.path.abspath(argv[3])
    layer_dirs = [os.path.abspath(path) for path in argv[2].split(os.pathsep)]
    handler = argv[4]
    sys.path[:0] = [code_dir, *layer_dirs, runtime_dir]
    os.chdir(code_dir)  # Lambda's working directory is /var/task
    os.environ.setdefault("LAMBDA_TASK_ROOT", code_dir)
    if "--import-only" in argv:
        roots = [("code", code_dir)] + [("layer", layer) for layer in layer_dirs] + [("runtime", runtime_dir)]
        import_only(handler, roots)
        return
    from awslambdaric.__main__ import main as run_runtime_interface_client  # type: ignore[import-not-found]  # noqa: PLC0415

    run_runtime_interface_client([argv[0], handler])


def import_only(handler: str, roots: list[tuple[str, str]]) -> None:
    import importlib  # noqa: PLC0415

    module_name, _, function_name = handler.rpartition(".")
    started = time.perf_counter()
    module = importlib.import_module(module_name.replace("/", "."))
    if not callable(getattr(module, function_name, None)):
        raise SystemExit(f"handler {handler}: {function_name} is not a function of {module_name}")
    import_ms = (time.perf_counter() - started) * 1000
    origins: dict[str, str] = {}
    for name, loaded in sorted(sys.modules.items()):
        path = getattr(loaded, "__file__", None) or ""
        where = next((label for label, root in roots if path.startswith(root + os.sep)), "stdlib")
        if path and where == "stdlib" and not path.startswith(sys.base_prefix):
            where = "elsewhere:" + path
        origins[name] = where
    origins.pop("__main__", None)  # this script
    report = {"python": sys.version.split()[0], "import_ms": import_ms, "sys_path": sys.path, "modules": origins}
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv)
