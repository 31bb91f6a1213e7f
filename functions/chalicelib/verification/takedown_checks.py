"""Live checks of one verification case: every listing the platform reported taken down,
fetched on the platform's registered listing hosts only (``live_check.py``).

The compliance audit calls ``check_takedowns`` for each case it verifies, with one
``ListingChecker`` for the whole run (``listing_checker``), so that the per-host rate
limit and the robots.txt cache span every case of the run.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from chalicelib.dispatch.actions import ListingAction
from chalicelib.platforms.model import Platform
from chalicelib.verification.live_check import ListingChecker, LiveCheck, LiveStatus
from chalicelib.verification.model import ReportedListing, VerificationCase

USER_AGENT = "psx-live-check/1"
# What a listing reported taken down this way must no longer be: for sale. A listing
# shown with a warning stays up by design and is not checked.
TAKEN_DOWN = frozenset({ListingAction.REMOVED, ListingAction.ACCESS_DISABLED})
TIMEOUT_SECONDS = 10.0
# Product pages run to a few hundred kilobytes; a page past this is not judged.
MAX_BODY_BYTES = 2 * 1024 * 1024
# One request per host every 2 s: a marketplace sees us as one slow visitor.
MIN_INTERVAL_SECONDS = 2.0


def user_agent(contact_url: str | None) -> str:
    """``psx-live-check/1 (+https://…)``: the crawler convention for naming a contact."""
    return f"{USER_AGENT} (+{contact_url})" if contact_url else USER_AGENT


def listing_checker(
    contact_url: str | None,
    *,
    allow_loopback: bool = False,
    min_interval_seconds: float = MIN_INTERVAL_SECONDS,
) -> ListingChecker:
    """The checker of one audit run. ``allow_loopback`` only in the embedded runtime,
    whose simulated marketplaces serve their listing pages on this machine."""
    return ListingChecker(
        user_agent=user_agent(contact_url),
        timeout_seconds=TIMEOUT_SECONDS,
        max_body_bytes=MAX_BODY_BYTES,
        min_interval_seconds=min_interval_seconds,
        allow_loopback=allow_loopback,
    )


class TakedownCheck(BaseModel):
    """One live check the audit made: the listing, the notice it was reported for, and
    what its page answered (kept in S3 beside the audit; a finding's evidence)."""

    model_config = ConfigDict(frozen=True)

    notice_id: str
    listing_id: str
    title: str | None
    seller_id: str | None
    url: str
    status: LiveStatus
    http_status: int | None
    reason: str
    checked_at: datetime

    @classmethod
    def of(cls, notice_id: str, listing: ReportedListing, check: LiveCheck) -> TakedownCheck:
        return cls(
            notice_id=notice_id,
            listing_id=listing.listing_id,
            title=listing.title,
            seller_id=listing.seller_id,
            url=check.url,
            status=check.status,
            http_status=check.http_status,
            reason=check.reason,
            checked_at=check.checked_at,
        )


def taken_down(case: VerificationCase) -> list[ReportedListing]:
    """The listings of ``case`` the platform reported removed or disabled, as reported."""
    return [listing for listing in case.reported_listings if listing.action in TAKEN_DOWN]


def check_takedowns(
    case: VerificationCase, platform: Platform, checker: ListingChecker
) -> list[LiveCheck]:
    """One live check per listing of ``case`` the platform reported removed or disabled,
    in the order reported. ``platform`` is the case's own: its listing hosts bound what
    is fetched (none registered: every check is refused, nothing is fetched)."""
    if platform.platform_id != case.platform_id:
        raise ValueError(
            f"case of platform {case.platform_id} checked with platform {platform.platform_id}"
        )
    hosts = frozenset(platform.listing_hosts)
    return [checker.check(listing.url, hosts) for listing in taken_down(case)]
