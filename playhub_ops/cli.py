"""playhub-ops COMMAND ... [--url URL] [--json] [--iam]   (or: python -m playhub_ops ...)

Against the local stack by default (`make run`, http://127.0.0.1:3000), or a deployed one:
--url, or PLAYHUB_OPERATOR_URL, set to the stack's OperatorApiUrl output; requests to an
execute-api URL are signed with your AWS credentials (SigV4). The options go anywhere on the line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Sequence
from typing import Any

from playhub_ops.client import DEFAULT_URL, MissingCredentials, OperatorApiError, OperatorClient, OperatorUnreachable


def _global_options(defaults: bool) -> argparse.ArgumentParser:
    """--url, --json and --iam: on the main parser with their defaults, and on every command
    without (argparse.SUPPRESS), so that they work before or after the command."""
    options = argparse.ArgumentParser(add_help=False)

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    options.add_argument(
        "--url",
        default=default(os.environ.get("PLAYHUB_OPERATOR_URL", DEFAULT_URL)),
        help=f"the operator API: a stack's OperatorApiUrl output (default: $PLAYHUB_OPERATOR_URL or {DEFAULT_URL})",
    )
    options.add_argument("--json", action="store_true", default=default(False), help="print the API's JSON")
    options.add_argument(
        "--iam",
        action=argparse.BooleanOptionalAction,
        default=default(None),
        help="sign with SigV4 (default: when the URL is an execute-api URL)",
    )
    return options


class _Commands:
    """Adds each command (and each campaign or legal-bets action) with the global options."""

    def __init__(self, subparsers: Any) -> None:
        self._subparsers = subparsers
        self._options = _global_options(defaults=False)

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = self._subparsers.add_parser(name, parents=[self._options], **kwargs)
        return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="playhub-ops",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[_global_options(defaults=True)],
    )
    commands = _Commands(parser.add_subparsers(dest="command", required=True))

    launch = commands.add_parser("launch", help="start a game for a player")
    launch.add_argument("player_id")
    launch.add_argument("game_id")
    launch.add_argument("currency")
    launch.add_argument("--locale", default="en_us")
    launch.add_argument("--demo", action="store_true", help="the provider's money, no callbacks")
    launch.add_argument("--return-url")
    launch.add_argument("--nickname")
    launch.add_argument("--provider", choices=["playhub", "swipe"], help="whose game (default: playhub)")
    launch.add_argument("--platform", choices=["desktop", "mobile"], help="the player's device (swipe needs it)")

    for name, what in (("deposit", "put money into a wallet"), ("withdraw", "take money out of a wallet")):
        transfer = commands.add_parser(name, help=what)
        transfer.add_argument("player_id")
        transfer.add_argument("currency")
        transfer.add_argument("amount", help='a decimal string, e.g. "10.50"')
        transfer.add_argument("--reference", help="your idempotency key (default: a new one, printed)")

    commands.add_parser("balance", help="a player's balance in every currency").add_argument("player_id")

    history = commands.add_parser("history", help="a wallet's transactions, newest first")
    history.add_argument("player_id")
    history.add_argument("currency")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--cursor")

    game_round = commands.add_parser("round", help="one round as Playhub sees it, beside our ledger's entries")
    game_round.add_argument("player_id")
    game_round.add_argument("round_id")
    game_round.add_argument("--game", help="the round's game (default: the one our entries name)")
    game_round.add_argument("--currency", help="search this wallet only (default: every wallet of the player)")

    commands.add_parser("block", help="refuse a player's bets").add_argument("player_id")
    commands.add_parser("unblock", help="allow a player's bets again").add_argument("player_id")
    commands.add_parser("games", help="Playhub's game catalogue")
    commands.add_parser("currencies", help="Playhub's currencies")
    commands.add_parser("catalogue", help="when Playhub's catalogue was last loaded")
    commands.add_parser("health", help="whether the stack can serve: the table, the catalogue, every key")

    _add_legal_bets(commands)
    _add_campaign(commands)
    return parser


def _add_legal_bets(commands: Any) -> None:
    legal = _Commands(
        commands.add_parser("legal-bets", help="the legal bets table we gave Playhub").add_subparsers(
            dest="action", required=True
        )
    )
    legal_show = legal.add_parser("show", help="every table, or one currency's (and a game's)")
    legal_show.add_argument("currency", nargs="?")
    legal_show.add_argument("--game", help="the table this game plays by (its own, else the currency's)")
    legal_set = legal.add_parser("set", help="replace one table")
    legal_set.add_argument("currency")
    legal_set.add_argument("lines", help='Playhub\'s notation: "1.10:5.00, 1.20:5.00, ..."')
    legal_set.add_argument("--game", help="a table for this game only (default: every game)")


def _add_campaign(commands: Any) -> None:
    campaign = _Commands(
        commands.add_parser("campaign", help="free-rounds campaigns").add_subparsers(dest="action", required=True)
    )
    create = campaign.add_parser("create")
    create.add_argument("external_id")
    create.add_argument("game_id")
    create.add_argument("currency")
    create.add_argument("--quantity", type=int, required=True)
    create.add_argument("--bet-line", type=int, default=1)
    create.add_argument("--valid-from", required=True, help="ISO 8601, in the future")
    create.add_argument("--valid-until")
    create.add_argument("--player", action="append", dest="user_ids", help="limit to these players (repeatable)")
    show = campaign.add_parser("show")
    show.add_argument("external_id", nargs="?")
    show.add_argument("--frc-id", help="find the campaign of a callback's frc_id")
    show.add_argument("--live", action="store_true", help="also ask Playhub for its state, and compare")
    extend = campaign.add_parser("extend")
    extend.add_argument("external_id")
    extend.add_argument("--valid-until", required=True)
    campaign.add_parser("cancel").add_argument("external_id")


def run(args: argparse.Namespace, client: OperatorClient) -> Any:
    if args.command == "launch":
        return client.launch(
            player_id=args.player_id,
            game_id=args.game_id,
            currency=args.currency,
            locale=args.locale,
            demo=args.demo,
            **{
                name: value
                for name, value in (
                    ("return_url", args.return_url),
                    ("nickname", args.nickname),
                    ("provider", args.provider),
                    ("platform", args.platform),
                )
                if value
            },
        )
    if args.command in ("deposit", "withdraw"):
        reference = args.reference or f"cli-{uuid.uuid4()}"
        answer = client.transfer(
            "deposits" if args.command == "deposit" else "withdrawals",
            args.player_id,
            args.currency,
            args.amount,
            reference,
        )
        return {**answer, "reference": reference}
    if args.command == "balance":
        return client.wallets(args.player_id)
    if args.command == "history":
        return client.history(args.player_id, args.currency, args.limit, args.cursor)
    if args.command == "round":
        query = {name: value for name, value in (("game_id", args.game), ("currency", args.currency)) if value}
        return client.call("GET", f"/players/{args.player_id}/rounds/{args.round_id}", query=query)
    if args.command in ("block", "unblock"):
        return client.block(args.player_id, blocked=args.command == "block")
    if args.command == "health":
        return client.health()
    if args.command in ("games", "currencies", "catalogue"):
        return client.call("GET", f"/{args.command}")
    if args.command == "legal-bets":
        return run_legal_bets(args, client)
    return run_campaign(args, client)


def run_legal_bets(args: argparse.Namespace, client: OperatorClient) -> Any:
    path = f"/legal-bets/{args.currency}" if args.currency else "/legal-bets"
    if args.game:
        if not args.currency:
            raise SystemExit("error: --game needs a currency")
        path += f"/games/{args.game}"
    if args.action == "set":
        return client.call("PUT", path, {"lines": args.lines})
    return client.call("GET", path)


def run_campaign(args: argparse.Namespace, client: OperatorClient) -> Any:
    if args.action == "create":
        body = {
            "external_id": args.external_id,
            "game_id": args.game_id,
            "currency": args.currency,
            "quantity": args.quantity,
            "bet_line": args.bet_line,
            "valid_from": args.valid_from,
        }
        body.update({k: v for k, v in (("valid_until", args.valid_until), ("user_ids", args.user_ids)) if v})
        return client.call("POST", "/campaigns", body)
    if args.action == "show":
        if args.frc_id:
            return client.call("GET", f"/campaigns/by-frc/{args.frc_id}")
        if not args.external_id:
            raise SystemExit("error: give an external_id or --frc-id")
        return client.call("GET", f"/campaigns/{args.external_id}", query={"live": "true"} if args.live else None)
    if args.action == "extend":
        return client.call("PUT", f"/campaigns/{args.external_id}", {"valid_until": args.valid_until})
    return client.call("POST", f"/campaigns/{args.external_id}/cancel")


def render(command: str, answer: Any) -> str:
    """Human-friendly text for each command."""
    if command == "launch":
        session = answer["session_id"] or "(demo: no session)"
        return f"session  {session}\ngame     {answer['game_url']}\nplayhub  {answer['game_session_id']}"
    if command in ("deposit", "withdraw"):
        again = " (already done: same reference)" if answer["replayed"] else ""
        return f"balance {answer['balance']}  tx {answer['tx_id']}  reference {answer['reference']}{again}"
    if command == "balance":
        rows = [
            f"{w['currency']:<6} {w['balance']:>20}{'  BLOCKED' if w['blocked'] else ''}" for w in answer["wallets"]
        ]
        return "\n".join(rows) or "no wallets"
    if command == "history":
        rows = [
            f"{e['seq']:>6} {e['created_at']}  {e['action']:<10} {e['balance_change'] or '':>14} → "
            f"{e['balance_after'] or '':>14}  {e['outcome']}"
            for e in answer["transactions"]
        ]
        if answer["next_cursor"]:
            rows.append(f"more: --cursor {answer['next_cursor']}")
        return "\n".join(rows) or "no transactions"
    if command in ("block", "unblock"):
        state = "blocked" if answer["blocked"] else "unblocked"
        return f"{answer['player_id']} {state} ({', '.join(answer['wallets']) or 'no wallets yet'})"
    if command == "games":
        return "\n".join(f"{g['id']:<24} {g['title']}{'  (free spins)' if g['free_spins'] else ''}" for g in answer)
    if command == "currencies":
        return "\n".join(f"{c['code']:<6} {c['decimal_places']} places  {c['name']}" for c in answer)
    if command == "catalogue":
        games = answer["games"]
        loaded = f"{games['count']} games, loaded {games['fetched_at']}" if games else "games: NOT LOADED YET"
        currencies = answer["currencies"]
        overrides = ", ".join(f"{code} {places}" for code, places in answer["overrides"].items()) or "none"
        return (
            f"{currencies['count']} currencies, loaded {currencies['fetched_at']}\n{loaded}\n"
            f"decimal places overridden: {overrides}"
        )
    if command == "health":
        width = max((len(c["name"]) for c in answer["checks"]), default=0)
        rows = [f"{'ok' if c['ok'] else 'FAILING':<8} {c['name']:<{width}} {c['detail']}" for c in answer["checks"]]
        return "\n".join([*rows, f"status: {answer['status']}"])
    if command == "round":
        return _round_text(answer)
    if command == "legal-bets":
        return "\n\n".join(_legal_bets_text(table) for table in answer.get("tables", [answer])) or "no tables"
    return "\n".join(f"{name:<12} {_text(value)}" for name, value in answer.items())


def _round_text(answer: dict[str, Any]) -> str:
    rows = [f"round {answer['round_id']}  game {answer['game_id']}  player {answer['player_id']}", "", "Playhub:"]
    playhub = answer["playhub"]
    rows += [f"  {name:<18} {value}" for name, value in playhub.items()] if playhub else [f"  {answer['playhub_note']}"]
    search = answer["ledger_search"]
    more = "" if search["complete"] else f" (searched the newest {search['entries_scanned']} entries only)"
    rows += ["", f"our ledger ({', '.join(search['currencies']) or 'no wallets'}){more}:"]
    rows += [
        f"  {e['created_at']}  {e['action']:<7} {e['type'] or '':<5} {e['amount'] or '':>12} "
        f"{e['balance_change'] or '':>13} -> {e['balance_after'] or '':>13}  {e['outcome']}  tx {e['tx_id']}"
        for e in answer["ledger"]
    ] or ["  no entries for this round"]
    return "\n".join(rows)


def _legal_bets_text(table: dict[str, Any]) -> str:
    scope = f"game {table['game_id']}" if table["game_id"] else "every game"
    rows = [f"{table['currency']} ({scope}), {len(table['lines'])} lines, updated {table['updated_at']}"]
    rows += [
        f"{line['bet_line']:>4}  {line['max_bet']:>14}  x{line['max_target_multiplier']}" for line in table["lines"]
    ]
    return "\n".join(rows)


def _text(value: Any) -> str:
    """A campaign's bet value reads as Playhub writes it: 1.10:5.00."""
    if isinstance(value, dict) and set(value) == {"max_bet", "max_target_multiplier"}:
        return f"{value['max_bet']}:{value['max_target_multiplier']}"
    if isinstance(value, list) and all(isinstance(item, dict) and "field" in item for item in value):
        return "; ".join(f"{d['field']}: ours {d['ours']}, Playhub {d['playhub']}" for d in value) or "none"
    return str(value)


def main(argv: Sequence[str] | None = None) -> int:
    """Every failure is one line on stderr: 1 when the API refused (or `health` found a check failing),
    2 when it could not be asked."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        client = OperatorClient(args.url, iam=args.iam)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        answer = run(args, client)
    except OperatorApiError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OperatorUnreachable as error:
        local = args.url.startswith(("http://127.0.0.1", "http://localhost"))
        print(f"error: {error}" + (" (is `make run` running?)" if local else ""), file=sys.stderr)
        return 2
    except MissingCredentials as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(answer, indent=2) if args.json else render(args.command, answer))
    return 1 if args.command == "health" and answer["status"] != "ok" else 0
