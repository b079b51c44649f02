"""Certify a deployed stage before Playhub goes live: make smoke STAGE_URL=https://…/live

It reads the callback key where the stack keeps it (--secret: a Secrets Manager ARN or name, or
ssm:/name; by default the CallbackKeySecret output of --stack), launches and funds a test
player through the IAM-signed operator routes, plays a certification run as Playhub would, and
prints pass or fail for every Playhub rule it checked, then the money check. Exit 0 only if all pass.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from devtools.simulator import HttpTransport, Simulator
from playhub_wallet.secret_keys import parse_key_list

CERTIFICATION_ROUNDS = 60


def stack_outputs(stack: str, session: Any) -> dict[str, str]:
    described = session.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in described.get("Outputs", [])}


def callback_key(where: str, session: Any) -> str:
    """The first (current) key from Secrets Manager, or from SSM for "ssm:/name"."""
    if where.startswith("ssm:"):
        raw = session.client("ssm").get_parameter(Name=where.removeprefix("ssm:"), WithDecryption=True)
        return parse_key_list(raw["Parameter"]["Value"])[0]
    raw = session.client("secretsmanager").get_secret_value(SecretId=where)["SecretString"]
    return parse_key_list(raw)[0]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="the stage URL (default: the stack's CallbackBaseUrl output)")
    parser.add_argument("--stack", help="the CloudFormation stack, to read URL and key location from its outputs")
    parser.add_argument("--secret", help="where the callback key is: a secret ARN/name, or ssm:/name")
    parser.add_argument("--key", help="the callback key itself (local stacks)")
    parser.add_argument("--rounds", type=int, default=CERTIFICATION_ROUNDS)
    parser.add_argument(
        "--single-url", action="store_true", help="send every callback to POST /callback (Playhub's one-URL option)"
    )
    parser.add_argument(
        "--iam",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="sign operator routes with SigV4 (default: for https URLs)",
    )
    args = parser.parse_args(argv)

    session = None
    if args.stack or not args.key:
        import boto3  # noqa: PLC0415 - only for deployed stacks

        session = boto3.Session()
    outputs = stack_outputs(args.stack, session) if args.stack else {}
    url = args.url or outputs.get("CallbackBaseUrl")
    secret = args.secret or outputs.get("CallbackKeySecret")
    if not url or not (args.key or secret):
        parser.error("give --url and --key, or --stack (or --url with --secret)")
    key = args.key or callback_key(str(secret), session)
    iam = url.startswith("https://") if args.iam is None else args.iam
    signer = None
    if iam:
        from playhub_ops.client import OperatorClient  # noqa: PLC0415

        client = OperatorClient(url, iam=True)
        signer = client.sign

    where = f"{url.rstrip('/')}/callback" if args.single_url else f"{url} (/balance, /bet, /win, /refund)"
    print(f"certifying {where} with {args.rounds} rounds")
    simulator = Simulator(HttpTransport(url, signer), key, seed=7, one_url=args.single_url)
    report = simulator.run(args.rounds, concurrency=2)
    for rule, (passed, failed) in sorted(report.checks.items()):
        print(f"{'PASS' if not failed else 'FAIL'}  {rule} ({passed} checked, {failed} failed)")
    print(
        f"{'PASS' if report.money_ok else 'FAIL'}  money check: wallet {report.reported_balance}, "
        f"answers imply {report.expected_balance}"
    )
    for failure in report.failures:
        print(f"      {failure}")
    print("certified" if report.ok else "NOT certified")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
