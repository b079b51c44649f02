"""The ledger's item keys, spelled out: items already in a deployed table are found by these exact
strings, so a change here would lose every entry written before it (dynamodb/keys.py)."""

from __future__ import annotations

import pytest

from playhub_wallet.dynamodb.codecs import entry_from_item, entry_to_item
from playhub_wallet.dynamodb.keys import entry_key, round_key
from playhub_wallet.models import Action
from playhub_wallet.state import EntryKey, EntryKind, LedgerEntry, Provider, RoundKey, WalletKey

TX = "6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"


@pytest.mark.parametrize(
    ("key", "pk"),
    [
        (EntryKey(Action.BET, TX), f"TX#bet#{TX}"),  # Playhub's, as written since the first release
        (EntryKey(Action.REFUND, TX, Provider.PLAYHUB), f"TX#refund#{TX}"),
        (EntryKey(Action.DEPOSIT, "ref-1"), "TX#deposit#ref-1"),  # the operator's transfers
        (EntryKey(Action.BET, TX, Provider.SWIPE), f"TX#swipe#bet#{TX}"),
        (EntryKey(Action.WIN, TX, Provider.SWIPE), f"TX#swipe#win#{TX}"),
    ],
)
def test_entry_keys_are_playhubs_as_before_and_swipes_apart(key: EntryKey, pk: str) -> None:
    assert entry_key(key) == {"pk": pk, "sk": "TX"}


@pytest.mark.parametrize(
    ("key", "pk"),
    [
        (RoundKey("p-1", "ph_limbo_97", TX), f"ROUND#p-1#ph_limbo_97#{TX}"),
        (RoundKey("p-1", "sg_catch_97", TX, Provider.SWIPE), f"ROUND#swipe#p-1#sg_catch_97#{TX}"),
        # A Playhub player named "swipe" still gets a key of one part fewer than any Swipe round's.
        (RoundKey("swipe", "g", TX), f"ROUND#swipe#g#{TX}"),
    ],
)
def test_round_keys_are_playhubs_as_before_and_swipes_apart(key: RoundKey, pk: str) -> None:
    assert round_key(key) == {"pk": pk, "sk": "ROUND"}


@pytest.mark.parametrize("provider", list(Provider))
def test_an_entry_reads_back_with_its_provider_and_an_item_without_one_is_playhubs(provider: Provider) -> None:
    entry = LedgerEntry(
        key=EntryKey(Action.BET, TX, provider),
        kind=EntryKind.APPLIED,
        our_tx_id="our-1",
        wallet=WalletKey("p-1", "EUR"),
        session_id="s-1",
        outcome="debited",
        fingerprint="f",
        created_at=1,
    )
    item = entry_to_item(entry)

    assert ("provider" in item) is (provider is not Provider.PLAYHUB)  # Playhub's items are as they were
    assert entry_from_item(item) == entry
