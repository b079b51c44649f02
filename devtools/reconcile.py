"""Reconcile a ledger table from the command line (a deployed table with your AWS credentials,
or the local one): python -m devtools.reconcile --table NAME [--endpoint URL] [--since YYYYMMDDHH]

Exits 1 when any wallet differs from the sum of its ledger.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence

from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

from playhub_wallet.dynamodb.reconciliation import ReconciliationTable
from playhub_wallet.dynamodb.table import Table, create_client
from playhub_wallet.reconciliation import Reconciler
from playhub_wallet.state import StorageBusy


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", required=True)
    parser.add_argument("--endpoint", help="DynamoDB Local or another endpoint")
    parser.add_argument("--since", help="first UTC hour to read changes from (default: where the last run stopped)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        report = Reconciler(ReconciliationTable(Table(create_client(args.endpoint), args.table))).run(
            int(time.time()), args.since
        )
    except ValueError as exc:
        parser.error(str(exc))
    except NoRegionError:
        print("error: no AWS region: set AWS_REGION (or a profile's region), or --endpoint for a local table")
        return 2
    except (BotoCoreError, ClientError, StorageBusy) as exc:
        print(f"error: cannot read table {args.table}: {_reason(exc)}")
        return 2
    if args.json:
        print(
            json.dumps(
                {
                    "hours": report.hours,
                    "wallets": report.wallets_checked,
                    "entries": report.entries_checked,
                    "pending": [f"{k.player_id}/{k.currency}" for k in report.pending],
                    "mismatches": [
                        {
                            "wallet": f"{m.wallet.player_id}/{m.wallet.currency}",
                            "reason": m.reason,
                            "seq": m.seq,
                            "our_tx_id": m.our_tx_id,
                            "expected": str(m.expected),
                            "found": str(m.found),
                        }
                        for m in report.mismatches
                    ],
                },
                indent=2,
            )
        )
    else:
        print(
            f"hours {report.hours[0]}..{report.hours[-1]}: {report.wallets_checked} wallets, "
            f"{report.entries_checked} entries, {len(report.pending)} pending, {len(report.mismatches)} mismatches"
        )
        for m in report.mismatches:
            print(
                f"MISMATCH {m.wallet.player_id}/{m.wallet.currency}: {m.reason} (seq {m.seq}, tx {m.our_tx_id}, "
                f"expected {m.expected}, found {m.found})"
            )
    return 1 if report.mismatches else 0


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
