"""The takedown-check driver against a demo marketplace's listing pages (psx/demo_platforms.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib.dispatch.actions import ListingAction
from chalicelib.platforms.model import Platform
from chalicelib.verification.live_check import ListingChecker, LiveStatus
from chalicelib.verification.model import ReportedListing, VerificationCase
from chalicelib.verification.takedown_checks import check_takedowns, listing_checker, user_agent
from psx.demo_platforms import IN_STOCK_PATH, OUT_OF_STOCK_PATH, REMOVED_PATH, marketplace_site
from psx.listing_site import ListingSite

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def site() -> Iterator[ListingSite]:
    with marketplace_site() as running:
        yield running


def case_of(site: ListingSite, *listings: tuple[str, ListingAction]) -> VerificationCase:
    return VerificationCase(
        notice_id="ntc-000000000000000000000001",
        version=1,
        platform_id="temu",
        regulator_id="kftc",
        jurisdiction="KR",
        opened_at=OPENED,
        reported_listings=[
            ReportedListing(listing_id=path, url=f"{site.url}{path}", action=action)
            for path, action in listings
        ],
    )


def temu(*listing_hosts: str) -> Platform:
    return Platform(
        platform_id="temu", name="Temu", jurisdictions=["KR"], listing_hosts=list(listing_hosts)
    )


def fast_checker() -> ListingChecker:
    # The run's checker as built for the embedded runtime, without the 2 s politeness.
    return ListingChecker(
        user_agent=user_agent("https://psx.example/contact"),
        timeout_seconds=5,
        max_body_bytes=1_000_000,
        min_interval_seconds=0,
        allow_loopback=True,
    )


def test_each_listing_taken_down_is_checked_on_the_platform_hosts(site: ListingSite) -> None:
    case = case_of(
        site,
        (REMOVED_PATH, ListingAction.REMOVED),
        (OUT_OF_STOCK_PATH, ListingAction.ACCESS_DISABLED),
        (IN_STOCK_PATH, ListingAction.REMOVED),
        ("/item/warned", ListingAction.WARNING_SHOWN),  # stays up by design: not checked
    )

    checks = check_takedowns(case, temu(site.host), fast_checker())

    assert [(check.url.removeprefix(site.url), check.status) for check in checks] == [
        (REMOVED_PATH, LiveStatus.GONE),
        (OUT_OF_STOCK_PATH, LiveStatus.UNAVAILABLE),
        (IN_STOCK_PATH, LiveStatus.STILL_LISTED),
    ]
    agents = {agent for _, agent in site.requests}
    assert agents == {"psx-live-check/1 (+https://psx.example/contact)"}


def test_a_platform_without_listing_hosts_gets_nothing_fetched(site: ListingSite) -> None:
    case = case_of(site, (REMOVED_PATH, ListingAction.REMOVED))

    checks = check_takedowns(case, temu(), fast_checker())

    assert [check.status for check in checks] == [LiveStatus.REFUSED]
    assert site.requests == []


def test_another_platforms_hosts_are_not_borrowed(site: ListingSite) -> None:
    case = case_of(site, (REMOVED_PATH, ListingAction.REMOVED))
    other = Platform(
        platform_id="aliexpress", name="AliExpress", jurisdictions=["KR"], listing_hosts=[site.host]
    )

    with pytest.raises(ValueError, match="case of platform temu"):
        check_takedowns(case, other, fast_checker())


def test_the_deployed_checker_refuses_loopback(site: ListingSite) -> None:
    case = case_of(site, (REMOVED_PATH, ListingAction.REMOVED))

    checks = check_takedowns(case, temu(site.host), listing_checker(None))

    assert [check.status for check in checks] == [LiveStatus.REFUSED]
    assert site.requests == []
