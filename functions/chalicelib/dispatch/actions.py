"""What a platform reports it did about a notice: the listings it found and the action
taken on each. The API checks the report (``api/models.py``); the dispatch keeps it for
the verification step."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class ListingAction(StrEnum):
    REMOVED = "removed"
    ACCESS_DISABLED = "access_disabled"
    WARNING_SHOWN = "warning_shown"
    NO_MATCH = "no_match"


class Listing(BaseModel):
    model_config = ConfigDict(frozen=True)

    listing_id: str
    url: str
    title: str
    seller_id: str
    action: ListingAction
    acted_at: datetime
    evidence_ref: str | None = None


class ActionReport(BaseModel):
    """Every listing the platform identified (none: it found none), and its note."""

    model_config = ConfigDict(frozen=True)

    listings: list[Listing]
    note: str | None = None
