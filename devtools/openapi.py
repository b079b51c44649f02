"""The operator API's OpenAPI document: generated from the routes, committed in docs/, checked in CI.

    python -m devtools.openapi           # write docs/operator-openapi.json from the code (make openapi)
    python -m devtools.openapi --check   # exit 1 when the committed document differs from the code

`make run` serves the committed document at /docs/openapi.json and Swagger UI at /docs.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from pathlib import Path
from typing import Any

from devtools.template import ROOT

DOCUMENT = ROOT / "docs" / "operator-openapi.json"


def generated() -> str:
    """The document as the code describes it, in the committed file's exact form."""
    from playhub_wallet.operator_api import api_document  # noqa: PLC0415 - the layer, on the path by now

    return json.dumps(api_document(), indent=2, ensure_ascii=False) + "\n"


def for_local(base_url: str) -> dict[str, Any]:
    """The committed document, with `make run`'s URL as the server Swagger UI tries requests on."""
    document: dict[str, Any] = json.loads(DOCUMENT.read_text())
    document["servers"] = [{"url": base_url, "description": "make run"}] + [
        server for server in document.get("servers", []) if not server["url"].startswith("http://127.0.0.1")
    ]
    return document


def swagger_page(document: dict[str, Any]) -> str:
    """Swagger UI on one page, with the script and styles powertools ships inlined: works offline."""
    from aws_lambda_powertools.event_handler.openapi import swagger_ui  # noqa: PLC0415
    from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html  # noqa: PLC0415

    assets = Path(swagger_ui.__file__).parent
    page = generate_swagger_html(
        spec=json.dumps(document).replace("</", "<\\/"),  # never ends the page's script early
        swagger_js=(assets / "swagger-ui-bundle.min.js").read_text(),
        swagger_css=(assets / "swagger-ui.min.css").read_text(),
        swagger_base_url="",
        oauth2_config=None,
    )
    # powertools' page points Swagger UI's download link at ?format=json; ours is a file beside it.
    return page.replace('currentUrl.pathname + "?format=json"', '"/docs/openapi.json"').replace(
        "<title>Swagger UI</title>", f"<title>{document['info']['title']}</title>"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare with the committed document; change nothing")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "layers" / "playhub"))
    text = generated()
    relative = DOCUMENT.relative_to(ROOT)
    if not args.check:
        DOCUMENT.write_text(text)
        print(f"wrote {relative}")
        return 0
    committed = DOCUMENT.read_text() if DOCUMENT.exists() else ""
    if committed == text:
        print(f"{relative} matches the code")
        return 0
    diff = difflib.unified_diff(committed.splitlines(), text.splitlines(), str(relative), "the code", lineterm="", n=1)
    print("\n".join(list(diff)[:40]), file=sys.stderr)
    print(f"error: {relative} differs from the code: run `make openapi` and commit it", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
