"""A finding: what an audit of a platform's catalogue found about one notice and one
listing. Its id is derived from what it is about, so an audit run again (or a retried
reduce step) finds it already stored and records nothing new."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class FindingKind(StrEnum):
    STILL_LISTED = "still_listed"  # reported removed or disabled, yet listed and available
    MISSED = "missed"  # a certain or probable match the platform never reported
    RELISTED = "relisted"  # a certain match listed after the action report, new listing id
    # A match of a notice marked global_watch on a platform the notice never went to.
    FOUND_ELSEWHERE = "found_elsewhere"


class FindingStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Resolution(StrEnum):
    """How the platform answered a finding (through its action report)."""

    REMOVED = "removed"
    NO_MATCH = "no_match"  # a false positive: recorded, and the finding never comes back


class FoundListing(BaseModel):
    model_config = ConfigDict(frozen=True)

    listing_id: str
    title: str
    seller_id: str | None = None
    link: str | None = None
    availability: str | None = None
    listed_at: datetime | None = None


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    finding_id: str
    kind: FindingKind
    notice_id: str
    version: int  # the notice version current when it was found
    regulator_id: str
    platform_id: str
    listing: FoundListing
    tier: str  # the matcher's tier: certain or probable
    evidence: list[str]
    score: float
    snapshot_id: str
    snapshot_time: datetime
    found_at: datetime
    status: FindingStatus = FindingStatus.OPEN
    resolution: Resolution | None = None
    resolution_reason: str | None = None
    resolved_at: datetime | None = None


def finding_id_for(kind: FindingKind, notice_id: str, platform_id: str, listing_id: str) -> str:
    """One finding per kind, notice, platform and listing, whichever snapshot shows it."""
    key = "\x1f".join((kind.value, notice_id, platform_id, listing_id))
    return "fnd-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]
