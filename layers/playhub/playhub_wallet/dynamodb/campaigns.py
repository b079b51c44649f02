"""Free-rounds campaigns (campaigns.CampaignStore): one item per campaign, and for a Playhub
campaign a pointer from Playhub's id (the frc_id its callbacks carry) to ours. A Swipe campaign
needs none: Swipe's callbacks name it by our external_id (their frID)."""

from __future__ import annotations

from playhub_wallet.campaigns import CampaignStore
from playhub_wallet.dynamodb.codecs import campaign_fields, campaign_from_item
from playhub_wallet.dynamodb.keys import campaign_key, frc_key
from playhub_wallet.dynamodb.table import Table, serialize
from playhub_wallet.state import Campaign, Provider, StaleSnapshot


class CampaignTable(CampaignStore):
    def __init__(self, table: Table) -> None:
        self._table = table

    def put_campaign(self, campaign: Campaign) -> None:
        item = _item(campaign)
        if campaign.provider is not Provider.PLAYHUB:
            self._table.put(item)
            return
        pointer = {**frc_key(campaign.playhub_id), "entity": "campaign_pointer", "external_id": campaign.external_id}
        name = self._table.name
        self._table.call(
            "transact_write_items",
            TransactItems=[
                {"Put": {"TableName": name, "Item": serialize(item)}},
                {"Put": {"TableName": name, "Item": serialize(pointer)}},
            ],
        )

    def add_campaign(self, campaign: Campaign) -> bool:
        """Record a campaign under an external_id not used yet; False if one is recorded already."""
        try:
            self._table.call(
                "put_item",
                TableName=self._table.name,
                Item=serialize(_item(campaign)),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except StaleSnapshot:
            return False
        return True

    def campaign(self, external_id: str) -> Campaign | None:
        item = self._table.get(campaign_key(external_id))
        return campaign_from_item(item) if item else None

    def campaign_for_frc(self, frc_id: str) -> Campaign | None:
        pointer = self._table.get(frc_key(frc_id))
        return self.campaign(pointer["external_id"]) if pointer else None


def _item(campaign: Campaign) -> dict[str, object]:
    return {**campaign_key(campaign.external_id), "entity": "campaign", **campaign_fields(campaign)}
