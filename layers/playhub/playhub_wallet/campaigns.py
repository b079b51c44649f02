"""Free-rounds campaigns: created, extended and cancelled at Playhub, and recorded by us so that
the frc_id of a callback traces back to its campaign."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from playhub_wallet.core_api import (
    CoreApiClient,
    CreateFreeRoundsRequest,
    FreeRounds,
    UpdateFreeRoundsRequest,
    call_playhub,
)
from playhub_wallet.errors import Conflict, InvalidRequest, NotConfigured, NotFound, UnsupportedByProvider
from playhub_wallet.legal_bets import BetValue, LegalBetsTables
from playhub_wallet.operator_models import CampaignChange, CampaignRequest
from playhub_wallet.state import Campaign, Provider

if TYPE_CHECKING:
    from playhub_wallet.swipe_campaigns import SwipeCampaigns

ACTIVE = "active"
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Difference:
    field: str
    ours: object
    playhub: object


@dataclass(frozen=True)
class LiveCampaign:
    """Our record of a campaign, Playhub's state of it now, and where they differ."""

    campaign: Campaign
    playhub: FreeRounds
    differences: tuple[Difference, ...]


class CampaignStore(Protocol):
    def put_campaign(self, campaign: Campaign) -> None: ...

    def campaign(self, external_id: str) -> Campaign | None: ...

    def campaign_for_frc(self, frc_id: str) -> Campaign | None: ...

    def add_campaign(self, campaign: Campaign) -> bool: ...


def _comparable(value: object) -> object:
    """Player lists compare as sets: Playhub need not keep our order."""
    return frozenset(value) if isinstance(value, tuple) else value


def _shown(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


class Campaigns:
    def __init__(
        self,
        store: CampaignStore,
        core: CoreApiClient,
        legal_bets: LegalBetsTables,
        external_cid: str | None,
        now: type[datetime] = datetime,
        *,
        swipe: SwipeCampaigns | None = None,
    ) -> None:
        self._swipe = swipe  # None: this stack does not serve Swipe
        self._store = store
        self._core = core
        self._legal_bets = legal_bets
        self._external_cid = external_cid
        self._now = now

    def create(self, request: CampaignRequest) -> tuple[Campaign, bool]:
        """The campaign, and whether this call created it.

        Idempotent on external_id: repeating a create that landed answers the same campaign, even
        once valid_from has passed; the same external_id for another campaign is a conflict.
        """
        if request.provider is Provider.SWIPE:
            return self._swipe_campaigns().create(request)
        recorded = self._store.campaign(request.external_id)
        if recorded is not None:
            return self._same_or_conflict(recorded, request), False
        if request.valid_from <= self._now.now(UTC):
            raise InvalidRequest("valid_from: must be in the future")
        # Checked against the table we gave Playhub before Playhub hears of the campaign.
        bet_value = str(self._legal_bets.bet_value(request.currency, request.game_id, request.bet_line))
        if not self._external_cid:  # required by Playhub's CreateFreeRoundsRequest; never our cid instead
            raise NotConfigured(
                "campaigns need our casino id: set the stack parameter PlayhubExternalClientId (PLAYHUB_EXTCID)"
            )
        try:
            playhub_id = call_playhub(
                lambda: self._core.create_free_rounds(
                    CreateFreeRoundsRequest(
                        external_id=request.external_id,
                        external_cid=self._external_cid,
                        game_id=request.game_id,
                        currency=request.currency,
                        quantity=request.quantity,
                        bet_line=request.bet_line,
                        valid_from=request.valid_from,
                        valid_until=request.valid_until,
                        user_ids=request.user_ids,
                    )
                )
            ).id
        except Conflict:
            # Created at Playhub before, but never recorded here (our write failed): adopt it if it matches.
            existing = call_playhub(lambda: self._core.free_rounds(external_id=request.external_id))
            return self._same_or_conflict(self._record(existing, bet_value), request), True
        campaign = self._campaign(request, playhub_id, ACTIVE, bet_value)
        self._store.put_campaign(campaign)
        return campaign, True

    def get(self, external_id: str) -> Campaign:
        campaign = self._store.campaign(external_id)
        if campaign is None:
            raise NotFound(f"no campaign {external_id}")
        return campaign

    def for_frc(self, frc_id: str) -> Campaign:
        campaign = self._store.campaign_for_frc(frc_id)
        if campaign is None:
            raise NotFound(f"no campaign for frc_id {frc_id}")
        return campaign

    def change(self, external_id: str, change: CampaignChange) -> Campaign:
        """Extend (valid_until) or change who may play (user_ids)."""
        campaign = self.get(external_id)
        _playhub_only(campaign, "changed (Swipe cannot extend a campaign or change its players)")
        if campaign.status == CANCELLED:
            raise Conflict(f"campaign {external_id} is cancelled")
        call_playhub(
            lambda: self._core.update_free_rounds(
                UpdateFreeRoundsRequest(
                    id=campaign.playhub_id, valid_until=change.valid_until, user_ids=change.user_ids
                )
            )
        )
        updated = replace(
            campaign,
            valid_until=_iso(change.valid_until) or campaign.valid_until,
            user_ids=tuple(change.user_ids) if change.user_ids is not None else campaign.user_ids,
        )
        self._store.put_campaign(updated)
        return updated

    def cancel(self, external_id: str) -> Campaign:
        campaign = self.get(external_id)
        if campaign.provider is Provider.SWIPE:
            return self._swipe_campaigns().cancel(campaign)
        if campaign.status != CANCELLED:
            call_playhub(lambda: self._core.cancel_free_rounds(id=campaign.playhub_id))
            campaign = replace(campaign, status=CANCELLED)
            self._store.put_campaign(campaign)
        return campaign

    def live(self, external_id: str) -> LiveCampaign:
        """Ask Playhub for the campaign as it stands (GET /free-rounds) and compare it with ours."""
        campaign = self.get(external_id)
        _playhub_only(campaign, "read live (Swipe has no call that reads a campaign back)")
        playhub = call_playhub(lambda: self._core.free_rounds(id=campaign.playhub_id))
        theirs = self._campaign(playhub, playhub.id, CANCELLED if playhub.deleted_at else ACTIVE, None)
        compared = ("status", "user_ids", "valid_until", "valid_from", "game_id", "currency", "quantity", "bet_line")
        differences = tuple(
            Difference(name, _shown(getattr(campaign, name)), _shown(getattr(theirs, name)))
            for name in compared
            if _comparable(getattr(campaign, name)) != _comparable(getattr(theirs, name))
        )
        return LiveCampaign(campaign, playhub, differences)

    def bet_value(self, campaign: Campaign) -> BetValue | None:
        """What the campaign's bet_line stands for: as recorded at creation, else the table now."""
        if campaign.bet_value:
            return BetValue.parse(campaign.bet_value)
        table = self._legal_bets.for_game(campaign.currency, campaign.game_id)
        return table.line(campaign.bet_line) if table else None

    def _record(self, playhub: FreeRounds, bet_value: str) -> Campaign:
        campaign = self._campaign(playhub, playhub.id, CANCELLED if playhub.deleted_at else ACTIVE, bet_value)
        self._store.put_campaign(campaign)
        return campaign

    def _campaign(
        self, source: CampaignRequest | FreeRounds, playhub_id: str, status: str, bet_value: str | None
    ) -> Campaign:
        """Our record of a campaign, from our request or from Playhub's (they name the fields alike)."""
        return Campaign(
            external_id=source.external_id,
            playhub_id=playhub_id,
            game_id=source.game_id,
            currency=source.currency,
            quantity=source.quantity,
            bet_line=source.bet_line,
            valid_from=str(_iso(source.valid_from)),
            valid_until=_iso(source.valid_until),
            user_ids=tuple(source.user_ids) if source.user_ids is not None else None,
            status=status,
            created_at=int(self._now.now(UTC).timestamp()),
            bet_value=bet_value,
        )

    def _swipe_campaigns(self) -> SwipeCampaigns:
        if self._swipe is None:
            raise NotConfigured(
                "this stack does not serve Swipe Games: set the stack parameters SwipeCoreUrl, SwipeClientId,"
                " SwipeExternalClientId and the Swipe API key (SWIPE_CORE_URL, ...)"
            )
        return self._swipe

    def _same_or_conflict(self, campaign: Campaign, request: CampaignRequest) -> Campaign:
        """Compares what is fixed at creation; valid_until and user_ids may have been changed since."""
        if campaign.provider is not request.provider:
            raise Conflict(f"external_id {request.external_id} was already used for a {campaign.provider} campaign")
        asked = self._campaign(request, campaign.playhub_id, campaign.status, campaign.bet_value)
        fixed = ("game_id", "currency", "quantity", "bet_line", "valid_from")
        if any(getattr(asked, name) != getattr(campaign, name) for name in fixed):
            raise Conflict(f"external_id {request.external_id} was already used for another campaign")
        return campaign


def _playhub_only(campaign: Campaign, what: str) -> None:
    if campaign.provider is not Provider.PLAYHUB:
        raise UnsupportedByProvider(
            f"campaign {campaign.external_id} is a {campaign.provider} campaign: it cannot be {what}"
        )
