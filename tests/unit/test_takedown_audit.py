"""The audit's live check of takedowns: which listings it fetches (each once, as last
reported, only taken-down ones), within the time it has, and what it writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

from chalicelib.platforms.model import Platform
from chalicelib.verification.live_check import ListingChecker, LiveCheck, LiveStatus
from chalicelib.verification.model import ReportedListing, VerificationCase
from chalicelib.verification.services import VerificationServices
from chalicelib.verification.takedown_audit import SECONDS_PER_CHECK, check_platform_takedowns

AT = datetime(2026, 12, 3, 9, tzinfo=UTC)
HOST = "shop.example"


def _case(version: int, *listings: tuple[str, str], platform_id: str = "temu") -> VerificationCase:
    return VerificationCase(
        notice_id="ntc-1",
        version=version,
        platform_id=platform_id,
        regulator_id="kftc",
        jurisdiction="KR",
        opened_at=AT,
        reported_listings=[
            ReportedListing(
                listing_id=listing_id,
                url=f"https://{HOST}/{listing_id}-v{version}",
                action=action,
                title="Magnet toy",
            )
            for listing_id, action in listings
        ],
    )


@dataclass
class _Checker:
    """Answers every URL as still listed, and remembers what it was asked."""

    fetched: list[tuple[str, frozenset[str]]] = field(default_factory=list)

    def check(self, url: str, allowed_hosts: frozenset[str]) -> LiveCheck:
        self.fetched.append((url, allowed_hosts))
        return LiveCheck(url, LiveStatus.STILL_LISTED, 200, "the Product is offered", AT)


def _services(
    platform: Platform | None, cases: list[VerificationCase]
) -> tuple[Any, dict[str, Any]]:
    written: dict[str, Any] = {}
    services = SimpleNamespace(
        lifecycle=SimpleNamespace(
            platforms=SimpleNamespace(get=lambda platform_id: platform),
            verification_cases=SimpleNamespace(for_notice=lambda notice_id: cases),
        ),
        active_notices=SimpleNamespace(active=lambda: [SimpleNamespace(notice_id="ntc-1")]),
        catalogue=SimpleNamespace(
            put_takedowns=lambda platform_id, snapshot_id, doc: written.update({snapshot_id: doc})
        ),
    )
    return services, written


PLATFORM = Platform(platform_id="temu", name="Temu", jurisdictions=["KR"], listing_hosts=[HOST])
CASES = [
    _case(1, ("L-1", "removed"), ("L-2", "access_disabled")),
    _case(2, ("L-1", "removed"), ("L-3", "warning_shown")),
    _case(2, ("L-9", "removed"), platform_id="aliexpress"),
]


def _run(platform: Platform | None, seconds_left: float) -> tuple[dict[str, Any], Any, _Checker]:
    services, written = _services(platform, CASES)
    checker = _Checker()
    summary = check_platform_takedowns(
        cast(VerificationServices, services),
        "temu",
        "snap-1",
        cast(ListingChecker, checker),
        lambda: seconds_left,
    )
    return summary, written["snap-1"], checker


def test_each_taken_down_listing_of_the_platform_is_checked_once_as_last_reported() -> None:
    summary, written, checker = _run(PLATFORM, 900)

    assert checker.fetched == [
        (f"https://{HOST}/L-1-v2", frozenset({HOST})),
        (f"https://{HOST}/L-2-v1", frozenset({HOST})),
    ]
    assert summary == {"checked": 2, "still_listed": 2, "not_checked": 0}
    assert [(c["notice_id"], c["listing_id"], c["http_status"]) for c in written["checks"]] == [
        ("ntc-1", "L-1", 200),
        ("ntc-1", "L-2", 200),
    ]


def test_listings_left_when_time_runs_short_are_counted_not_fetched() -> None:
    summary, written, checker = _run(PLATFORM, SECONDS_PER_CHECK - 1)

    assert checker.fetched == [] and written["checks"] == []
    assert summary == {"checked": 0, "still_listed": 0, "not_checked": 2}


def test_nothing_is_fetched_for_a_platform_not_registered() -> None:
    summary, written, checker = _run(None, 900)

    assert checker.fetched == [] and written["checks"] == []
    assert summary == {"checked": 0, "still_listed": 0, "not_checked": 0}
