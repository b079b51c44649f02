"""Free-rounds campaigns at Swipe Games (SWIPE.md §7.3-§7.5, §9; docs/swipe-contract.md).

Swipe can create a campaign (POST /free-rounds, once per extID = our external_id) and cancel it
(DELETE /free-rounds by extID), nothing else: no read-back, no update. So our record comes first:
a campaign is recorded "pending" with every field we send before Swipe hears of it, and becomes
"active" once Swipe confirms it. When Swipe answers 409 to a create, only that record can tell
whether the campaign Swipe holds is this one: a pending record of ours with the same fields is
the earlier try that landed (its answer lost). A 409 to the first try, recorded by that very
request, says Swipe holds a campaign of that extID that we never sent: our record of it is marked
"rejected" (it never ran at Swipe for us, and its extID can never be used there again) and the
answer is a 409.
"""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from playhub_wallet.errors import Conflict, InvalidRequest, NotFound
from playhub_wallet.state import Campaign, Provider
from playhub_wallet.swipe_core_api import MAX_CAMPAIGN_LENGTH, CreateFreeRoundsRequest
from playhub_wallet.swipe_upstream import call_swipe

if TYPE_CHECKING:
    from playhub_wallet.operator_models import CampaignRequest
    from playhub_wallet.swipe_catalogue import SwipeCatalogue
    from playhub_wallet.swipe_core_api import SwipeCoreApiClient

PENDING = "pending"
ACTIVE = "active"
CANCELLED = "cancelled"
REJECTED = "rejected"
# Fixed at creation (Swipe has no update): a repeat must ask for exactly these again.
FIXED = ("provider", "game_id", "currency", "quantity", "bet_line", "valid_from", "valid_until", "user_ids")


class SwipeCampaignStore(Protocol):
    def put_campaign(self, campaign: Campaign) -> None: ...

    def add_campaign(self, campaign: Campaign) -> bool: ...

    def campaign(self, external_id: str) -> Campaign | None: ...


def _comparable(value: object) -> object:
    """Player lists compare as sets: the same players in another order are the same campaign."""
    return frozenset(value) if isinstance(value, tuple) else value


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


class SwipeCampaigns:
    def __init__(
        self,
        store: SwipeCampaignStore,
        core: SwipeCoreApiClient,
        catalogue: SwipeCatalogue,
        now: type[datetime] = datetime,
    ) -> None:
        self._store = store
        self._core = core
        self._catalogue = catalogue
        self._now = now

    def create(self, request: CampaignRequest) -> tuple[Campaign, bool]:
        """The campaign, and whether this call created it (idempotent on external_id)."""
        recorded = self._store.campaign(request.external_id)
        if recorded is not None:
            self._same_or_conflict(recorded, request)
            if recorded.status == REJECTED:
                raise Conflict(f"Swipe holds a campaign with extID {request.external_id} that this stack never sent")
            if recorded.status != PENDING:
                return recorded, False
        elif request.valid_from <= self._now.now(UTC):
            raise InvalidRequest("valid_from: must be in the future")
        if request.valid_until is not None:
            if request.valid_until <= request.valid_from:
                raise InvalidRequest("valid_until: must be after valid_from")
            if request.valid_until - request.valid_from > MAX_CAMPAIGN_LENGTH:
                raise InvalidRequest("valid_until: a Swipe campaign lasts at most 30 days")
        # Swipe's bet lines for the currency in the target game, as its game list says (SWIPE.md §9).
        value = self._catalogue.bet_line(request.game_id, request.currency, request.bet_line)
        exposure = value.max_bet * value.max_target_multiplier * request.quantity
        campaign = recorded or self._campaign(
            request,
            bet_value=f"{format(value.max_bet, 'f')}:{format(value.max_target_multiplier, 'f')}",
            exposure=format(exposure, "f"),
        )
        if recorded is None and not self._store.add_campaign(campaign):
            # Another request recorded this external_id in between: answer as a repeat of it.
            return self.create(request)
        try:
            swipe_id = call_swipe(
                lambda: self._core.create_free_rounds(
                    CreateFreeRoundsRequest(
                        ext_id=request.external_id,
                        currency=request.currency,
                        quantity=request.quantity,
                        bet_line=request.bet_line,
                        valid_from=request.valid_from,
                        valid_until=request.valid_until,
                        game_ids=[request.game_id],
                        user_ids=request.user_ids,
                    )
                )
            ).id
        except Conflict:
            if recorded is None:  # recorded by this request: Swipe's campaign is none we sent
                self._store.put_campaign(replace(campaign, status=REJECTED))
                raise Conflict(
                    f"Swipe holds a campaign with extID {request.external_id} that this stack never sent"
                ) from None
            # Our pending record of these same fields was written before an earlier try: that try
            # landed and its answer was lost. Swipe's id is unknown (Swipe cannot be asked for it).
            swipe_id = campaign.playhub_id
        active = replace(campaign, playhub_id=swipe_id, status=ACTIVE)
        self._store.put_campaign(active)
        return active, True

    def cancel(self, campaign: Campaign) -> Campaign:
        """DELETE /free-rounds by our extID; started rounds stay playable (SWIPE.md §7.4)."""
        if campaign.status == CANCELLED:
            return campaign
        if campaign.status == REJECTED:
            raise Conflict(
                f"campaign {campaign.external_id} never ran at Swipe: Swipe's campaign of its extID is not ours"
            )
        # A 404: Swipe has no such campaign (a pending one that never reached it, or a cancel
        # repeated after its first try landed). Either way none of its rounds can start.
        with contextlib.suppress(NotFound):
            call_swipe(lambda: self._core.cancel_free_rounds(ext_id=campaign.external_id))
        cancelled = replace(campaign, status=CANCELLED)
        self._store.put_campaign(cancelled)
        return cancelled

    def _campaign(self, request: CampaignRequest, *, bet_value: str, exposure: str) -> Campaign:
        return Campaign(
            external_id=request.external_id,
            playhub_id="",
            game_id=request.game_id,
            currency=request.currency,
            quantity=request.quantity,
            bet_line=request.bet_line,
            valid_from=str(_iso(request.valid_from)),
            valid_until=_iso(request.valid_until),
            user_ids=tuple(request.user_ids) if request.user_ids is not None else None,
            status=PENDING,
            created_at=int(self._now.now(UTC).timestamp()),
            bet_value=bet_value,
            provider=Provider.SWIPE,
            exposure=exposure,
        )

    def _same_or_conflict(self, campaign: Campaign, request: CampaignRequest) -> None:
        asked = self._campaign(request, bet_value="", exposure="")
        if any(_comparable(getattr(asked, name)) != _comparable(getattr(campaign, name)) for name in FIXED):
            raise Conflict(f"external_id {request.external_id} was already used for another campaign")
