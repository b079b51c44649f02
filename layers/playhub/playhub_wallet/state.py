"""What the ledger stores, what the rules read from it, and what they ask it to write.

The rules (rules.py) see only these types; dynamodb/ maps them to DynamoDB and the tests'
in-memory ledger maps them to dicts. Both enforce the same write conditions.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from playhub_wallet.models import Action

ZERO = Decimal(0)
HOUR_FORMAT = "%Y%m%d%H"  # a UTC hour, as reconciliation and the changes index name it


def hour_of(epoch_seconds: int) -> str:
    return time.strftime(HOUR_FORMAT, time.gmtime(epoch_seconds))


class Provider(StrEnum):
    """Whose games a session plays, and so the dialect its callbacks speak (docs/swipe-contract.md).

    One wallet serves every provider; each provider's transaction ids have a key space of their
    own in the ledger (dynamodb/keys.py), so a Playhub tx_id and a Swipe txID never meet.
    """

    PLAYHUB = "playhub"
    SWIPE = "swipe"


@dataclass(frozen=True)
class WalletKey:
    """One balance per player and currency."""

    player_id: str
    currency: str


@dataclass(frozen=True)
class Session:
    session_id: str
    player_id: str
    currency: str
    game_id: str
    status: str  # "active" for a session Playhub may bet on
    created_at: int  # epoch seconds
    expires_at: int  # epoch seconds; slides forward as bets come (rules._extend)

    @property
    def wallet_key(self) -> WalletKey:
        return WalletKey(self.player_id, self.currency)

    def accepts_bets(self, now: int) -> bool:
        return self.status == "active" and now < self.expires_at


@dataclass(frozen=True)
class Wallet:
    key: WalletKey
    balance: Decimal
    version: int  # 0 for a wallet never written; +1 with every ledger entry
    blocked: bool = False
    # No refund of a bet landed on this wallet after this version (a refund writes its own).
    last_refund_seq: int = 0


@dataclass(frozen=True)
class EntryKey:
    """The idempotency key of a ledger entry: (provider, action, the provider's tx id), never the id alone.

    The operator's transfers (deposit, withdrawal: the id is the operator's reference) keep the
    Playhub key space, the first one the ledger had.
    """

    action: Action
    playhub_tx_id: str  # the provider's transaction id (Playhub's tx_id, Swipe's txID), or a reference
    provider: Provider = Provider.PLAYHUB


class EntryKind(StrEnum):
    APPLIED = "applied"  # a callback we processed
    REFUND_MARKER = "refund_marker"  # stands in for a bet refunded before it arrived


@dataclass(frozen=True)
class LedgerEntry:
    key: EntryKey
    kind: EntryKind
    our_tx_id: str
    wallet: WalletKey
    session_id: str
    outcome: str  # what the rules did, e.g. "debited", "free", "win_without_bet"
    fingerprint: str  # hash of the request, to tell a replay from a reused tx_id
    created_at: int
    amount: Decimal = ZERO  # as requested
    balance_change: Decimal = ZERO  # money actually moved, signed
    balance_after: Decimal | None = None
    wallet_seq: int | None = None  # the wallet version this entry produced
    round_id: str | None = None
    game_id: str | None = None
    type: str | None = None
    frc_id: str | None = None
    orig_tx_id: str | None = None
    refunded_by: str | None = None  # on a bet: Playhub tx_id of the refund that reversed it


@dataclass(frozen=True)
class RoundKey:
    """A provider's round id is unique only within one of its games."""

    player_id: str
    game_id: str
    round_id: str
    provider: Provider = Provider.PLAYHUB


@dataclass(frozen=True)
class Reads:
    """Everything one callback needs, fetched in a single request.

    The read is strongly consistent item by item, not a snapshot of all items at one instant:
    every fact a write depends on is checked again by a condition of the commit (WritePlan),
    and the ledger refuses a read that shows an entry its wallet does not include yet.
    """

    session_id: str | None
    wallet: WalletKey
    entries: tuple[EntryKey, ...]  # the callback's own entry first (rules.reads_for_*)
    round: RoundKey | None = None


@dataclass(frozen=True)
class Snapshot:
    session: Session | None
    wallet: Wallet  # a wallet never written reads as balance 0, version 0
    entries: Mapping[EntryKey, LedgerEntry] = field(default_factory=dict)
    round_has_bet: bool = False

    def entry(self, key: EntryKey) -> LedgerEntry | None:
        return self.entries.get(key)


@dataclass(frozen=True)
class WalletMove:
    """Change one wallet, only if it is still at the version the rules read."""

    key: WalletKey
    expected_version: int
    delta: Decimal  # signed; a debit also requires balance >= -delta at write time
    refuse_if_blocked: bool = False


@dataclass(frozen=True)
class SessionExtension:
    """Bets only: the session must still accept bets; its expiry slides to new_expires_at."""

    session_id: str
    now: int
    new_expires_at: int
    ttl: int


@dataclass(frozen=True)
class BetRefund:
    """Mark an applied bet as refunded, only if nobody refunded it yet."""

    bet: EntryKey
    refund_playhub_tx_id: str


@dataclass(frozen=True)
class WritePlan:
    """One atomic write: all of it lands, or none of it and the ledger raises StaleSnapshot."""

    entry: LedgerEntry  # put only if no entry has its key
    wallet_move: WalletMove
    session_extension: SessionExtension | None = None
    round_bet: RoundKey | None = None  # records that the round has a bet
    bet_refund: BetRefund | None = None
    refund_marker: LedgerEntry | None = None  # put only if no bet has its key
    still_absent: tuple[EntryKey | RoundKey, ...] = ()  # what the decision relied on not existing


class StaleSnapshot(Exception):
    """A write condition failed: something changed since the read. Read again and re-decide."""


class StorageBusy(Exception):
    """Throttling or a transaction conflict: try again after a pause."""


class LedgerPort(Protocol):
    def load(self, reads: Reads) -> Snapshot: ...

    def commit(self, plan: WritePlan) -> None: ...

    def entry(self, key: EntryKey) -> LedgerEntry | None: ...

    def put_session(self, session: Session, ttl: int) -> None: ...


@dataclass(frozen=True)
class HistoryPage:
    """A wallet's ledger entries, newest first; next_cursor is None on the last page."""

    entries: tuple[LedgerEntry, ...]
    next_cursor: str | None


@dataclass(frozen=True)
class RoundSearch:
    """A wallet's entries of one round, newest first; complete unless the search stopped early."""

    entries: tuple[LedgerEntry, ...]
    scanned: int
    complete: bool


@dataclass(frozen=True)
class Campaign:
    """A free-rounds campaign we created at a provider. Playhub's callbacks name it by its
    playhub_id (their frc_id); Swipe's by our external_id (their frID), and playhub_id holds
    Swipe's own id ("" when Swipe's answer never reached us)."""

    external_id: str  # ours, used once
    playhub_id: str  # the provider's id of the campaign
    game_id: str
    currency: str
    quantity: int
    bet_line: int
    valid_from: str  # ISO 8601, UTC
    valid_until: str | None
    user_ids: tuple[str, ...] | None
    status: str  # "active" or "cancelled"; a Swipe campaign is "pending" until Swipe confirms it
    created_at: int
    # What bet_line stood for in our legal bets table when the campaign was created ("1.10:5.00");
    # of a Swipe campaign, Swipe's bet line "<maxBet>:<maxCoeff>". None for campaigns recorded
    # before we kept the table.
    bet_value: str | None = None
    provider: Provider = Provider.PLAYHUB
    # The most it can pay out, max_bet x max multiplier x quantity (a Swipe campaign's, SWIPE.md §9).
    exposure: str | None = None
