"""The verification rules: which finding a match in a platform's snapshot is."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.dispatch.actions import ListingAction
from chalicelib.matching import Match, MatchTier
from chalicelib.verification.findings import FindingKind, FoundListing, finding_id_for
from chalicelib.verification.live_check import LiveStatus
from chalicelib.verification.rules import (
    LIVE_TIER,
    ActiveNotice,
    Audit,
    MatchedListing,
    PlatformAnswer,
    findings_of,
)
from chalicelib.verification.takedown_checks import TakedownCheck

REPORTED_AT = datetime(2026, 11, 30, 9, tzinfo=UTC)
NOTICE = ActiveNotice("ntc-1", 2, "kftc", frozenset({"temu", "aliexpress"}))


GLOBAL_NOTICE = replace(NOTICE, global_watch=True)


def _audit(
    platform_id: str = "temu",
    answer: PlatformAnswer | None = None,
    notice: ActiveNotice = NOTICE,
) -> Audit:
    reported = answer or PlatformAnswer(REPORTED_AT, {"L-1": ListingAction.REMOVED})
    return Audit(
        platform_id=platform_id,
        snapshot_id="snap-1",
        snapshot_time=REPORTED_AT + timedelta(days=1),
        found_at=REPORTED_AT + timedelta(days=1, hours=1),
        notices={notice.notice_id: notice},
        answers={NOTICE.notice_id: reported},
    )


def _matched(
    listing_id: str,
    tier: MatchTier = MatchTier.CERTAIN,
    availability: str | None = "in_stock",
    listed_at: datetime | None = None,
    score: float = 0.9,
) -> MatchedListing:
    return MatchedListing(
        Match("ntc-1", 2, listing_id, tier, ("gtin:08801234567893",), score),
        FoundListing(
            listing_id=listing_id, title="t", availability=availability, listed_at=listed_at
        ),
    )


def _kinds(audit: Audit, *matched: MatchedListing) -> dict[str, FindingKind]:
    return {f.listing.listing_id: f.kind for f in findings_of(matched, audit)}


def test_a_listing_reported_removed_and_still_available_is_still_listed() -> None:
    assert _kinds(_audit(), _matched("L-1")) == {"L-1": FindingKind.STILL_LISTED}


@pytest.mark.parametrize("availability", ["out_of_stock", "Discontinued", "sold out"])
def test_a_listing_reported_removed_that_nobody_can_buy_is_not_a_finding(
    availability: str,
) -> None:
    assert _kinds(_audit(), _matched("L-1", availability=availability)) == {}


def test_access_disabled_counts_as_taken_down_a_warning_does_not() -> None:
    answer = PlatformAnswer(
        REPORTED_AT, {"L-1": ListingAction.ACCESS_DISABLED, "L-2": ListingAction.WARNING_SHOWN}
    )
    audit = _audit(answer=answer)

    assert _kinds(audit, _matched("L-1"), _matched("L-2")) == {"L-1": FindingKind.STILL_LISTED}


def test_a_match_never_reported_is_missed_certain_or_probable() -> None:
    audit = _audit()

    assert _kinds(audit, _matched("L-8"), _matched("L-9", MatchTier.PROBABLE)) == {
        "L-8": FindingKind.MISSED,
        "L-9": FindingKind.MISSED,
    }


def test_a_certain_match_listed_after_the_report_is_relisted_a_probable_one_missed() -> None:
    after = REPORTED_AT + timedelta(minutes=1)
    audit = _audit()

    kinds = _kinds(
        audit,
        _matched("L-8", listed_at=after),
        _matched("L-9", MatchTier.PROBABLE, listed_at=after),
    )

    assert kinds == {"L-8": FindingKind.RELISTED, "L-9": FindingKind.MISSED}


def test_listed_before_the_report_is_missed_not_relisted() -> None:
    before = REPORTED_AT - timedelta(minutes=1)

    assert _kinds(_audit(), _matched("L-8", listed_at=before)) == {"L-8": FindingKind.MISSED}


def test_nothing_is_missed_before_the_platform_reported() -> None:
    assert _kinds(_audit(answer=PlatformAnswer()), _matched("L-8")) == {}


def test_a_listing_the_platform_called_no_match_is_not_flagged_again() -> None:
    answer = PlatformAnswer(REPORTED_AT, {"L-8": ListingAction.NO_MATCH})

    assert _kinds(_audit(answer=answer), _matched("L-8")) == {}


def test_a_global_notice_matched_on_a_platform_it_never_went_to_is_found_elsewhere() -> None:
    audit = _audit("coupang", PlatformAnswer(), GLOBAL_NOTICE)

    assert _kinds(audit, _matched("C-1", MatchTier.PROBABLE)) == {
        "C-1": FindingKind.FOUND_ELSEWHERE
    }


def test_a_notice_not_global_is_not_looked_for_where_it_never_went() -> None:
    audit = _audit("coupang", PlatformAnswer())

    assert _kinds(audit, _matched("C-1"), _matched("C-2", MatchTier.PROBABLE)) == {}


def test_a_global_notice_is_judged_as_any_other_where_it_was_sent() -> None:
    audit = _audit(notice=GLOBAL_NOTICE)

    assert _kinds(audit, _matched("L-1"), _matched("L-2")) == {
        "L-1": FindingKind.STILL_LISTED,
        "L-2": FindingKind.MISSED,
    }


def test_a_match_of_a_notice_no_longer_active_is_not_a_finding() -> None:
    audit = _audit()
    stale = MatchedListing(
        Match("ntc-withdrawn", 1, "L-1", MatchTier.CERTAIN, (), 1.0),
        FoundListing(listing_id="L-1", title="t"),
    )

    assert findings_of([stale], audit) == []


def test_each_finding_once_the_strongest_match_stands_for_it() -> None:
    (finding,) = findings_of([_matched("L-1", score=0.5), _matched("L-1", score=0.8)], _audit())

    assert finding.score == 0.8
    assert finding.finding_id == finding_id_for(FindingKind.STILL_LISTED, "ntc-1", "temu", "L-1")
    assert (finding.version, finding.regulator_id, finding.snapshot_id) == (2, "kftc", "snap-1")


def test_finding_ids_are_stable_and_distinct_per_kind_platform_and_listing() -> None:
    base = finding_id_for(FindingKind.MISSED, "ntc-1", "temu", "L-1")

    assert base == finding_id_for(FindingKind.MISSED, "ntc-1", "temu", "L-1")
    assert base.startswith("fnd-") and len(base) == 28
    assert len({
        base,
        finding_id_for(FindingKind.RELISTED, "ntc-1", "temu", "L-1"),
        finding_id_for(FindingKind.MISSED, "ntc-1", "ali", "L-1"),
        finding_id_for(FindingKind.MISSED, "ntc-1", "temu", "L-2"),
    }) == 4  # fmt: skip


def _checked(listing_id: str, status: LiveStatus, notice_id: str = "ntc-1") -> TakedownCheck:
    return TakedownCheck(
        notice_id=notice_id,
        listing_id=listing_id,
        title="Magnet toy",
        seller_id="S-1",
        url=f"https://shop.example/{listing_id}",
        status=status,
        http_status=200 if status is not LiveStatus.GONE else 404,
        reason="the Product is offered",
        checked_at=REPORTED_AT + timedelta(days=1),
    )


def test_a_listing_page_still_offering_the_product_is_still_listed_with_the_check() -> None:
    checks = [
        _checked("L-1", LiveStatus.STILL_LISTED),
        _checked("L-2", LiveStatus.GONE),
        _checked("L-3", LiveStatus.UNAVAILABLE),
        _checked("L-4", LiveStatus.REFUSED),
        _checked("L-5", LiveStatus.UNREACHABLE),
    ]

    [finding] = findings_of([], _audit(), checks)

    assert (finding.kind, finding.listing.listing_id, finding.tier) == (
        FindingKind.STILL_LISTED,
        "L-1",
        LIVE_TIER,
    )
    assert finding.finding_id == finding_id_for(FindingKind.STILL_LISTED, "ntc-1", "temu", "L-1")
    assert finding.evidence == [
        "live check 2026-12-01T09:00:00+00:00: HTTP 200 from https://shop.example/L-1",
        "the Product is offered",
    ]
    assert (finding.listing.title, finding.listing.seller_id) == ("Magnet toy", "S-1")


def test_a_listing_both_the_snapshot_and_its_page_show_is_one_finding_with_both() -> None:
    [finding] = findings_of([_matched("L-1")], _audit(), [_checked("L-1", LiveStatus.STILL_LISTED)])

    assert finding.tier == "certain"
    assert finding.evidence[0] == "gtin:08801234567893"
    assert finding.evidence[1].startswith("live check ")


def test_a_live_check_of_a_notice_no_longer_active_is_not_a_finding() -> None:
    assert findings_of([], _audit(), [_checked("L-1", LiveStatus.STILL_LISTED, "ntc-9")]) == []
