"""template.yaml as CloudFormation will see it: the SAM transform's output, offline, as JSON.

Run with aws-sam-cli's own Python (it carries samtranslator, whose pins our venv cannot share):

    .cache/sam-cli/bin/python devtools/sam_transform.py [--parameter Name=Value ...] > out.json

The code locations become placeholder S3 URIs (what `sam package` would upload). The tests read
the output to see what SAM generates from the template: aliases, versions, CodeDeploy groups,
the API's stage, permissions.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class _NoManagedPolicies:
    """SAM looks up AWS managed policy names by calling IAM; the template names none by bare name."""

    def load(self) -> dict[str, str]:
        return {}


def transformed(parameters: dict[str, str], template_path: Path = ROOT / "template.yaml") -> dict[str, Any]:
    from samcli.yamlhelper import yaml_parse  # type: ignore[import-not-found]  # noqa: PLC0415 - aws-sam-cli's venv
    from samtranslator.translator.transform import transform  # type: ignore[import-not-found]  # noqa: PLC0415

    template = yaml_parse(template_path.read_text(encoding="utf-8"))
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in properties:
                properties[key] = f"s3://artifacts/{str(properties[key]).strip('/').replace('/', '-')}.zip"
    output: dict[str, Any] = transform(template, parameters, _NoManagedPolicies())
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parameter", action="append", default=[], metavar="NAME=VALUE")
    args = parser.parse_args(argv)
    parameters = dict(item.split("=", 1) for item in args.parameter)
    os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")  # SAM builds ARNs with a partition
    logging.disable(logging.WARNING)  # samtranslator logs feature-toggle notes that are not ours
    try:
        output = transformed(parameters)
    except Exception as exc:  # one line, as every tool of ours fails
        print(f"error: the SAM transform failed: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    json.dump(output, sys.stdout, indent=1, sort_keys=True, default=str)


if __name__ == "__main__":
    main()
