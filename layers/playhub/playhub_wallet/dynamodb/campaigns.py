"""Free-rounds campaigns (campaigns.CampaignStore): one item per campaign, and a pointer from
Playhub's id (the frc_id callbacks carry) to ours."""

from __future__ import annotations

from playhub_wallet.campaigns import CampaignStore
from playhub_wallet.dynamodb.codecs import campaign_fields, campaign_from_item
from playhub_wallet.dynamodb.keys import campaign_key, frc_key
from playhub_wallet.dynamodb.table import Table, serialize
from playhub_wallet.state import Campaign


class CampaignTable(CampaignStore):
    def __init__(self, table: Table) -> None:
        self._table = table

    def put_campaign(self, campaign: Campaign) -> None:
        item = {**campaign_key(campaign.external_id), "entity": "campaign", **campaign_fields(campaign)}
        pointer = {**frc_key(campaign.playhub_id), "entity": "campaign_pointer", "external_id": campaign.external_id}
        name = self._table.name
        self._table.call(
            "transact_write_items",
            TransactItems=[
                {"Put": {"TableName": name, "Item": serialize(item)}},
                {"Put": {"TableName": name, "Item": serialize(pointer)}},
            ],
        )

    def campaign(self, external_id: str) -> Campaign | None:
        item = self._table.get(campaign_key(external_id))
        return campaign_from_item(item) if item else None

    def campaign_for_frc(self, frc_id: str) -> Campaign | None:
        pointer = self._table.get(frc_key(frc_id))
        return self.campaign(pointer["external_id"]) if pointer else None
