"""The verification case of one dispatch: the listings whose takedown is to be checked."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from chalicelib.dispatch.actions import ListingAction
from chalicelib.dispatch.cases import HandOffCase, case_fields
from chalicelib.dispatch.model import Dispatch


class ReportedListing(BaseModel):
    """A listing the platform reported acting on: what verification checks is so."""

    model_config = ConfigDict(frozen=True)

    listing_id: str
    url: str
    action: ListingAction
    # As the platform reported it (None on cases opened before they were kept): what a
    # finding of the live check names the listing by.
    title: str | None = None
    seller_id: str | None = None


class VerificationCase(HandOffCase):
    reported_listings: list[ReportedListing]

    @classmethod
    def opened_for(cls, dispatch: Dispatch, at: datetime) -> VerificationCase:
        listings = dispatch.action_report.listings if dispatch.action_report else []
        reported = [
            ReportedListing(
                listing_id=listing.listing_id,
                url=listing.url,
                action=listing.action,
                title=listing.title,
                seller_id=listing.seller_id,
            )
            for listing in listings
            if listing.action is not ListingAction.NO_MATCH
        ]
        return cls.model_validate({**case_fields(dispatch, at), "reported_listings": reported})
