"""The verification rules: from the matcher's matches in one platform's snapshot to
findings, given what each active notice was sent to and what the platform reported."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.dispatch.actions import ListingAction
from chalicelib.matching import Match, MatchTier
from chalicelib.verification.findings import Finding, FindingKind, FoundListing, finding_id_for
from chalicelib.verification.live_check import LiveStatus
from chalicelib.verification.takedown_checks import TakedownCheck

# Merchant Center availability values (and common spellings) of a listing nobody can buy.
UNAVAILABLE = frozenset(
    {"out_of_stock", "out of stock", "discontinued", "sold_out", "sold out", "unavailable"}
)
# What a platform may report having done that takes a listing off sale.
TAKEN_DOWN = frozenset({ListingAction.REMOVED, ListingAction.ACCESS_DISABLED})
# The tier of a finding the live check of a listing page proved (no catalogue match).
LIVE_TIER = "live"


@dataclass(frozen=True)
class ActiveNotice:
    """An active notice's current version, the platforms it was sent to, and whether its
    regulator asked for it to be looked for on every platform (``global_watch``)."""

    notice_id: str
    version: int
    regulator_id: str
    sent_to: frozenset[str]
    global_watch: bool = False

    def watched_on(self, platform_id: str) -> bool:
        """The notice is checked against the platform's catalogue: it was sent there
        (named, serving its jurisdiction, or extended to), or it is watched everywhere."""
        return self.global_watch or platform_id in self.sent_to


@dataclass(frozen=True)
class PlatformAnswer:
    """What the audited platform reported for one notice (every version's report)."""

    reported_at: datetime | None = None  # its latest action report; None: not yet
    actions: dict[str, ListingAction] = field(default_factory=dict)  # listing id -> action


@dataclass(frozen=True)
class Audit:
    platform_id: str
    snapshot_id: str
    snapshot_time: datetime
    found_at: datetime
    notices: dict[str, ActiveNotice]
    answers: dict[str, PlatformAnswer]  # notice id -> the platform's answer


@dataclass(frozen=True)
class MatchedListing:
    match: Match
    listing: FoundListing


def is_available(listing: FoundListing) -> bool:
    availability = (listing.availability or "").strip().lower()
    return availability not in UNAVAILABLE


def findings_of(
    matched: Iterable[MatchedListing], audit: Audit, checks: Iterable[TakedownCheck] = ()
) -> list[Finding]:
    """Every finding the matches and the live checks show, each once (the strongest
    match stands for it). A listing both the snapshot and its page show still for sale
    is one ``still_listed`` finding with both evidences."""
    found: dict[str, Finding] = {}
    for item in matched:
        finding = _finding(item, audit)
        if finding is None:
            continue
        kept = found.get(finding.finding_id)
        if kept is None or finding.score > kept.score:
            found[finding.finding_id] = finding
    for check in checks:
        live = _live_finding(check, audit)
        if live is None:
            continue
        kept = found.get(live.finding_id)
        found[live.finding_id] = (
            live
            if kept is None
            else kept.model_copy(update={"evidence": [*kept.evidence, *live.evidence]})
        )
    return sorted(found.values(), key=lambda f: f.finding_id)


def live_evidence(check: TakedownCheck) -> list[str]:
    status = f"HTTP {check.http_status}" if check.http_status is not None else "no HTTP status"
    return [
        f"live check {check.checked_at.isoformat()}: {status} from {check.url}",
        check.reason,
    ]


def _live_finding(check: TakedownCheck, audit: Audit) -> Finding | None:
    """``still_listed`` when the page of a listing reported taken down still offers it."""
    notice = audit.notices.get(check.notice_id)
    if check.status is not LiveStatus.STILL_LISTED or notice is None:
        return None
    kind = FindingKind.STILL_LISTED
    return Finding(
        finding_id=finding_id_for(kind, notice.notice_id, audit.platform_id, check.listing_id),
        kind=kind,
        notice_id=notice.notice_id,
        version=notice.version,
        regulator_id=notice.regulator_id,
        platform_id=audit.platform_id,
        listing=FoundListing(
            listing_id=check.listing_id,
            title=check.title or check.url,
            seller_id=check.seller_id,
            link=check.url,
        ),
        tier=LIVE_TIER,
        evidence=live_evidence(check),
        score=1.0,
        snapshot_id=audit.snapshot_id,
        snapshot_time=audit.snapshot_time,
        found_at=audit.found_at,
    )


def kind_of(item: MatchedListing, notice: ActiveNotice, audit: Audit) -> FindingKind | None:
    if not notice.watched_on(audit.platform_id):
        return None  # neither sent here nor watched everywhere: not this platform's matter
    if audit.platform_id not in notice.sent_to:
        return FindingKind.FOUND_ELSEWHERE
    answer = audit.answers.get(notice.notice_id, PlatformAnswer())
    action = answer.actions.get(item.listing.listing_id)
    if action in TAKEN_DOWN:
        return FindingKind.STILL_LISTED if is_available(item.listing) else None
    if action is not None or answer.reported_at is None:
        # A warning shown, or a no_match the platform already gave; or nothing is owed
        # yet (the action report is not due before its deadline).
        return None
    listed_at = item.listing.listed_at
    if item.match.tier is MatchTier.CERTAIN and listed_at and listed_at > answer.reported_at:
        return FindingKind.RELISTED
    return FindingKind.MISSED


def _finding(item: MatchedListing, audit: Audit) -> Finding | None:
    notice = audit.notices.get(item.match.notice_id)
    if notice is None:  # the notice was withdrawn since the index was built
        return None
    kind = kind_of(item, notice, audit)
    if kind is None:
        return None
    return Finding(
        finding_id=finding_id_for(
            kind, notice.notice_id, audit.platform_id, item.listing.listing_id
        ),
        kind=kind,
        notice_id=notice.notice_id,
        version=notice.version,
        regulator_id=notice.regulator_id,
        platform_id=audit.platform_id,
        listing=item.listing,
        tier=item.match.tier.value,
        evidence=list(item.match.evidence),
        score=item.match.score,
        snapshot_id=audit.snapshot_id,
        snapshot_time=audit.snapshot_time,
        found_at=audit.found_at,
    )
