"""The notification case of one dispatch: whom the platform's measures leave to be told."""

from __future__ import annotations

from datetime import datetime

from chalicelib.dispatch.actions import ListingAction
from chalicelib.dispatch.cases import HandOffCase, case_fields
from chalicelib.dispatch.model import Dispatch


class NotificationCase(HandOffCase):
    # Sellers owed a statement of reasons (DSA Art. 17): those whose listings the platform
    # acted on, as its action report says; sorted, each once.
    seller_ids: list[str]

    @classmethod
    def opened_for(cls, dispatch: Dispatch, at: datetime) -> NotificationCase:
        listings = dispatch.action_report.listings if dispatch.action_report else []
        sellers = {
            listing.seller_id
            for listing in listings
            if listing.action is not ListingAction.NO_MATCH
        }
        return cls.model_validate({**case_fields(dispatch, at), "seller_ids": sorted(sellers)})
