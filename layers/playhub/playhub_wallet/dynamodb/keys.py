"""Every item's key, written once. One table holds every kind of item:

| item                | pk                                | sk                |
| ------------------- | --------------------------------- | ----------------- |
| session             | SESSION#<session_id>              | SESSION           |
| wallet              | PLAYER#<player_id>                | WALLET#<currency> |
| ledger entry        | TX#<action>#<playhub tx_id>       | TX                |
| Swipe ledger entry  | TX#swipe#<action>#<swipe txID>    | TX                |
| round with a bet    | ROUND#<player>#<game>#<round_id>  | ROUND             |
| Swipe round w/ bet  | ROUND#swipe#<player>#<game>#<rnd> | ROUND             |
| player profile      | PLAYER#<player_id>                | PROFILE           |
| campaign            | CAMPAIGN#<external_id>            | CAMPAIGN          |
| campaign by frc_id  | FRC#<playhub campaign id>         | CAMPAIGN          |
| legal bets table    | LEGALBETS                         | <cur.>#<game or *>|
| Playhub currencies  | CATALOGUE                         | CURRENCIES        |
| games loaded at     | CATALOGUE                         | GAMES             |
| one Playhub game    | CATALOGUE#GAMES                   | <game_id>         |
| Swipe games loaded  | CATALOGUE                         | SWIPE#GAMES       |
| one Swipe game      | CATALOGUE#SWIPE#GAMES             | <game_id>         |
| reconciled up to    | RECONCILED#<player>#<currency>    | RECONCILED        |
| reconciliation run  | RECONCILIATION                    | STATE             |
| wallet to recheck   | RECONCILIATION#RECHECK            | <player>#<cur.>   |

Each provider's transaction and round ids have a key space of their own (state.Provider):
Playhub's keys, the first ones, stay as they were, and every other provider's carry its name
after the item type. Nothing can be read as the other: an action is never a provider's name,
and player and game ids hold no "#" (sessions.py), so a Swipe round key has one part more.

Under PLAYER#, only the callbacks and the operator's function write freely. The other
functions' writes are held by IAM (template.yaml, dynamodb:LeadingKeys) to their own
partitions, so a reconciliation checkpoint has one of its own, not its wallet's; a launch may
also create an empty wallet, but write only its entity, player_id and currency
(dynamodb:Attributes): never a balance, version or block.

Indexes:
- "history" (history_pk = WALLET#<player>#<currency>, history_sk = the wallet version the
  entry produced, zero-padded to 12 digits): every entry that moved a wallet, in order.
- "changes" (changed_bucket = <UTC hour>#<shard>, keys only): every wallet stamps the hour it
  last changed in, so reconciliation finds changed wallets without a scan.
"""

from __future__ import annotations

import zlib

from playhub_wallet.state import EntryKey, Provider, RoundKey, WalletKey, hour_of

HISTORY_INDEX = "history"
CHANGES_INDEX = "changes"
CHANGE_SHARDS = 8  # a busy hour's changes spread over this many index partitions
RECONCILIATION_STATE = {"pk": "RECONCILIATION", "sk": "STATE"}
RECHECK_PK = "RECONCILIATION#RECHECK"


def session_key(session_id: str) -> dict[str, str]:
    return {"pk": f"SESSION#{session_id}", "sk": "SESSION"}


def wallet_key(key: WalletKey) -> dict[str, str]:
    return {"pk": f"PLAYER#{key.player_id}", "sk": f"WALLET#{key.currency}"}


def player_wallets(player_id: str) -> tuple[str, str]:
    """The pk and the sk prefix of all of a player's wallets."""
    return f"PLAYER#{player_id}", "WALLET#"


def wallet_of(item_key: dict[str, str]) -> WalletKey:
    """The wallet a wallet item's key names."""
    return WalletKey(item_key["pk"].removeprefix("PLAYER#"), item_key["sk"].removeprefix("WALLET#"))


def entry_key(key: EntryKey) -> dict[str, str]:
    return {"pk": f"TX#{_namespace(key.provider)}{key.action}#{key.playhub_tx_id}", "sk": "TX"}


def round_key(key: RoundKey) -> dict[str, str]:
    return {"pk": f"ROUND#{_namespace(key.provider)}{key.player_id}#{key.game_id}#{key.round_id}", "sk": "ROUND"}


def _namespace(provider: Provider) -> str:
    """Playhub's keys have no provider part (they predate the others); the others' do."""
    return "" if provider is Provider.PLAYHUB else f"{provider.value}#"


def profile_key(player_id: str) -> dict[str, str]:
    return {"pk": f"PLAYER#{player_id}", "sk": "PROFILE"}


def checkpoint_key(key: WalletKey) -> dict[str, str]:
    return {"pk": f"RECONCILED#{key.player_id}#{key.currency}", "sk": "RECONCILED"}


def recheck_key(key: WalletKey) -> dict[str, str]:
    return {"pk": RECHECK_PK, "sk": f"{key.player_id}#{key.currency}"}


def campaign_key(external_id: str) -> dict[str, str]:
    return {"pk": f"CAMPAIGN#{external_id}", "sk": "CAMPAIGN"}


def frc_key(playhub_id: str) -> dict[str, str]:
    return {"pk": f"FRC#{playhub_id}", "sk": "CAMPAIGN"}


CURRENCIES_KEY = {"pk": "CATALOGUE", "sk": "CURRENCIES"}
GAMES_LOADED_KEY = {"pk": "CATALOGUE", "sk": "GAMES"}
GAMES_PK = "CATALOGUE#GAMES"


def game_key(game_id: str) -> dict[str, str]:
    return {"pk": GAMES_PK, "sk": game_id}


SWIPE_GAMES_LOADED_KEY = {"pk": "CATALOGUE", "sk": "SWIPE#GAMES"}
SWIPE_GAMES_PK = "CATALOGUE#SWIPE#GAMES"


def swipe_game_key(game_id: str) -> dict[str, str]:
    return {"pk": SWIPE_GAMES_PK, "sk": game_id}


LEGAL_BETS_PK = "LEGALBETS"
_EVERY_GAME = "*"


def legal_bets_key(currency: str, game_id: str | None) -> dict[str, str]:
    return {"pk": LEGAL_BETS_PK, "sk": f"{currency}#{game_id or _EVERY_GAME}"}


def legal_bets_scope(sk: str) -> tuple[str, str | None]:
    """The currency and game (None: every game) a legal bets item's sort key names."""
    currency, game_id = sk.split("#", 1)
    return currency, None if game_id == _EVERY_GAME else game_id


def history_pk(key: WalletKey) -> str:
    return f"WALLET#{key.player_id}#{key.currency}"


def history_sk(wallet_seq: int) -> str:
    return f"{wallet_seq:012d}"


def changed_bucket(key: WalletKey, at: int) -> str:
    """The hour (UTC) a wallet changed in, and a stable shard of it: the changes index's key."""
    return f"{hour_of(at)}#{zlib.crc32(f'{key.player_id}#{key.currency}'.encode()) % CHANGE_SHARDS}"


def hour_buckets(hour: str) -> list[str]:
    return [f"{hour}#{shard}" for shard in range(CHANGE_SHARDS)]
