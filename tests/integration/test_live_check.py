"""The live check of takedowns against a real local HTTP server (psx/listing_site.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib.verification.listing_page import Availability, availability_of
from chalicelib.verification.live_check import ListingChecker, LiveStatus
from psx.listing_site import ListingSite, Page, listing_html, offer, product_page

USER_AGENT = "psx-live-check/1 (+https://psx.example/contact)"
CHECKED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeTime:
    """An injected monotonic clock whose sleeps only move it forward."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def site() -> Iterator[ListingSite]:
    with ListingSite(robots="User-agent: *\nDisallow: /private/\n") as running:
        yield running


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


def checker(fake_time: FakeTime, **overrides: object) -> ListingChecker:
    options: dict[str, object] = {
        "user_agent": USER_AGENT,
        "timeout_seconds": 2.0,
        "max_body_bytes": 200_000,
        "min_interval_seconds": 0.0,
        "retries": 2,
        "backoff_seconds": 0.5,
        "allow_loopback": True,
        "monotonic": fake_time.monotonic,
        "sleep": fake_time.sleep,
        "now": lambda: CHECKED_AT,
        **overrides,
    }
    return ListingChecker(**options)  # type: ignore[arg-type]


def allowed(site: ListingSite) -> frozenset[str]:
    return frozenset({site.host})


@pytest.mark.parametrize("status", [404, 410])
def test_a_removed_page_is_gone(site: ListingSite, fake_time: FakeTime, status: int) -> None:
    url = site.page("/item/1", Page(status, b"gone"))

    check = checker(fake_time).check(url, allowed(site))

    assert (check.status, check.http_status, check.url) == (LiveStatus.GONE, status, url)
    assert check.checked_at == CHECKED_AT


def test_an_in_stock_page_is_still_listed(site: ListingSite, fake_time: FakeTime) -> None:
    url = site.page(
        "/item/2", Page(200, product_page("Blocks", offer("https://schema.org/InStock")))
    )

    check = checker(fake_time).check(url, allowed(site))

    assert (check.status, check.http_status) == (LiveStatus.STILL_LISTED, 200)
    # Identified as ours, robots.txt read first.
    assert site.requests == [("/robots.txt", USER_AGENT), ("/item/2", USER_AGENT)]


PRODUCT = {"@context": "https://schema.org", "@type": "Product", "name": "Blocks"}


@pytest.mark.parametrize(
    "documents",
    [
        pytest.param([{**PRODUCT, "offers": offer("https://schema.org/OutOfStock")}], id="object"),
        pytest.param([{**PRODUCT, "offers": offer("http://schema.org/SoldOut")}], id="http"),
        pytest.param([{**PRODUCT, "offers": offer("Discontinued")}], id="bare-term"),
        pytest.param([{**PRODUCT, "offers": offer("schema:OutOfStock")}], id="compact-iri"),
        pytest.param(
            [{**PRODUCT, "offers": [offer("OutOfStock"), offer("https://schema.org/SoldOut")]}],
            id="offers-list",
        ),
        pytest.param(
            [[{"@type": "BreadcrumbList"}, {**PRODUCT, "offers": offer("OutOfStock")}]],
            id="top-level-list",
        ),
        pytest.param(
            [
                {
                    "@context": "https://schema.org",
                    "@graph": [
                        {"@type": "WebPage"},
                        {
                            "@type": ["Product", "IndividualProduct"],
                            "offers": {
                                "@type": "AggregateOffer",
                                "offers": [offer("https://schema.org/OutOfStock")],
                            },
                        },
                    ],
                }
            ],
            id="graph-aggregate",
        ),
        pytest.param([{**PRODUCT}], id="no-longer-offered"),
        pytest.param([{**PRODUCT, "offers": []}], id="empty-offers"),
    ],
)
def test_an_out_of_stock_page_is_unavailable(
    site: ListingSite, fake_time: FakeTime, documents: list[object]
) -> None:
    url = site.page("/item/3", Page(200, listing_html("Blocks", *documents)))

    check = checker(fake_time).check(url, allowed(site))

    assert (check.status, check.http_status) == (LiveStatus.UNAVAILABLE, 200)


def test_one_offer_still_in_stock_keeps_it_listed() -> None:
    page = product_page("Blocks", offer("OutOfStock"), offer("https://schema.org/InStock"))

    assert availability_of(page.decode()).available


def test_a_broken_json_ld_block_does_not_hide_the_next() -> None:
    good = listing_html("Blocks", {**PRODUCT, "offers": offer("OutOfStock")}).decode()
    page = good.replace("<head>", '<head><script type="application/ld+json">{oops</script>')

    assert not availability_of(page).available


def test_robots_disallow_is_refused_without_fetching(
    site: ListingSite, fake_time: FakeTime
) -> None:
    url = site.page("/private/item/4", Page(404))

    check = checker(fake_time).check(url, allowed(site))

    assert check.status is LiveStatus.REFUSED
    assert "robots.txt" in check.reason
    assert [path for path, _ in site.requests] == ["/robots.txt"]


def test_robots_is_read_once_per_site(site: ListingSite, fake_time: FakeTime) -> None:
    one = checker(fake_time)
    for n in range(3):
        one.check(site.page(f"/item/{n}", Page(404)), allowed(site))

    assert [path for path, _ in site.requests].count("/robots.txt") == 1


def test_a_host_not_registered_is_refused(site: ListingSite, fake_time: FakeTime) -> None:
    url = site.page("/item/5", Page(404))

    check = checker(fake_time).check(url, frozenset({"temu.example"}))

    assert check.status is LiveStatus.REFUSED
    assert site.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/item",
        "file:///etc/passwd",
        "http://user:secret@127.0.0.1/item",
        "http://10.0.0.7/item",
        "http://[::1/item",
        "http://127.0.0.1:port/item",
    ],
)
def test_other_schemes_credentials_and_addresses_are_refused(fake_time: FakeTime, url: str) -> None:
    check = checker(fake_time).check(url, frozenset({"127.0.0.1", "10.0.0.7"}))

    assert check.status is LiveStatus.REFUSED


def test_loopback_needs_the_runtime_to_allow_it(site: ListingSite, fake_time: FakeTime) -> None:
    url = site.page("/item/6", Page(404))

    check = checker(fake_time, allow_loopback=False).check(url, allowed(site))

    assert check.status is LiveStatus.REFUSED
    assert "non-public" in check.reason
    assert site.requests == []


def test_a_registered_name_resolving_to_a_private_address_is_refused(fake_time: FakeTime) -> None:
    private = checker(fake_time, resolver=lambda host: ["192.168.1.20"])

    check = private.check("https://shop.example/item/7", frozenset({"shop.example"}))

    assert check.status is LiveStatus.REFUSED


def test_a_slow_page_times_out_and_is_unreachable(site: ListingSite, fake_time: FakeTime) -> None:
    url = site.page("/item/8", Page(200, b"late", delay_seconds=5))

    check = checker(fake_time, timeout_seconds=0.2, retries=1).check(url, allowed(site))

    assert check.status is LiveStatus.UNREACHABLE
    assert check.reason == "timed out after 2 attempts"
    assert fake_time.sleeps == [0.5]  # one backoff between the two attempts


def test_a_huge_body_is_not_read_past_the_cap(site: ListingSite, fake_time: FakeTime) -> None:
    huge = product_page("Blocks", offer("InStock")) + b" " * 5_000_000
    url = site.page("/item/9", Page(200, huge))

    check = checker(fake_time, max_body_bytes=100_000).check(url, allowed(site))

    assert check.status is LiveStatus.UNREACHABLE
    assert check.reason == "page larger than 100000 bytes"


def test_a_redirect_to_another_host_is_refused(site: ListingSite, fake_time: FakeTime) -> None:
    url = site.page("/item/10", Page(302, location="https://elsewhere.example/item/10"))

    check = checker(fake_time).check(url, allowed(site))

    assert check.status is LiveStatus.REFUSED
    assert check.reason.startswith("redirected: host elsewhere.example")


def test_a_redirect_within_the_site_is_followed(site: ListingSite, fake_time: FakeTime) -> None:
    site.page("/item/11-new", Page(410))
    url = site.page("/item/11", Page(301, location="/item/11-new"))

    check = checker(fake_time).check(url, allowed(site))

    assert (check.status, check.http_status) == (LiveStatus.GONE, 410)


def test_a_503_then_200_is_retried_with_backoff(site: ListingSite, fake_time: FakeTime) -> None:
    in_stock = product_page("Blocks", offer("InStock"))
    url = site.page("/item/12", Page(503), Page(503), Page(200, in_stock))

    check = checker(fake_time).check(url, allowed(site))

    assert check.status is LiveStatus.STILL_LISTED
    assert fake_time.sleeps == [0.5, 1.0]  # exponential backoff


def test_a_server_that_stays_down_is_unreachable(site: ListingSite, fake_time: FakeTime) -> None:
    url = site.page("/item/13", Page(503))

    check = checker(fake_time, retries=1).check(url, allowed(site))

    assert (check.status, check.reason) == (LiveStatus.UNREACHABLE, "HTTP 503 after 2 attempts")


def test_forbidden_is_refused(site: ListingSite, fake_time: FakeTime) -> None:
    url = site.page("/item/14", Page(403))

    assert checker(fake_time).check(url, allowed(site)).status is LiveStatus.REFUSED


def test_requests_to_one_host_are_spaced_by_the_interval(
    site: ListingSite, fake_time: FakeTime
) -> None:
    polite = checker(fake_time, min_interval_seconds=2.0)
    first, second = site.page("/item/15", Page(404)), site.page("/item/16", Page(404))

    polite.check(first, allowed(site))  # robots.txt, then the page: 2 s apart
    polite.check(second, allowed(site))  # 2 s after the first page

    assert fake_time.sleeps == [2.0, 2.0]
    assert [path for path, _ in site.requests] == ["/robots.txt", "/item/15", "/item/16"]


def test_other_hosts_do_not_wait(fake_time: FakeTime) -> None:
    with ListingSite() as one, ListingSite() as other:
        polite = checker(fake_time, min_interval_seconds=2.0)
        hosts = frozenset({one.host, other.host})
        polite.check(one.page("/a", Page(404)), hosts)
        waited = len(fake_time.sleeps)
        polite.check(other.page("/b", Page(404)), hosts)

    assert waited == 1  # robots.txt then /a on the first host
    assert len(fake_time.sleeps) == 2  # robots.txt then /b on the other: one wait, not more


def test_a_site_without_robots_txt_may_be_checked(site: ListingSite, fake_time: FakeTime) -> None:
    site.page("/robots.txt", Page(404))
    url = site.page("/private/item/17", Page(410))

    assert checker(fake_time).check(url, allowed(site)).status is LiveStatus.GONE


def test_an_unreachable_robots_txt_fetches_nothing_more(
    site: ListingSite, fake_time: FakeTime
) -> None:
    site.page("/robots.txt", Page(503))
    url = site.page("/item/18", Page(404))

    check = checker(fake_time, retries=0).check(url, allowed(site))

    assert (check.status, check.reason) == (
        LiveStatus.UNREACHABLE,
        "robots.txt: HTTP 503 after 1 attempts",
    )
    assert [path for path, _ in site.requests] == ["/robots.txt"]


def test_robots_txt_redirected_on_its_host_is_followed(
    site: ListingSite, fake_time: FakeTime
) -> None:
    site.page("/robots.txt", Page(301, location="/moved-robots.txt"))
    site.page("/moved-robots.txt", Page(200, b"User-agent: psx-live-check\nDisallow: /\n"))
    url = site.page("/item/19", Page(404))

    check = checker(fake_time).check(url, allowed(site))

    assert check.status is LiveStatus.REFUSED  # the moved robots.txt names us: kept out
    assert [path for path, _ in site.requests] == ["/robots.txt", "/moved-robots.txt"]


def test_robots_txt_redirected_elsewhere_fetches_nothing(
    site: ListingSite, fake_time: FakeTime
) -> None:
    site.page("/robots.txt", Page(302, location="https://elsewhere.example/robots.txt"))
    url = site.page("/item/20", Page(404))

    check = checker(fake_time).check(url, allowed(site))

    assert check.status is LiveStatus.REFUSED
    assert [path for path, _ in site.requests] == ["/robots.txt"]


def test_retry_after_is_honoured(site: ListingSite, fake_time: FakeTime) -> None:
    url = site.page("/item/21", Page(429, retry_after=7), Page(410))

    check = checker(fake_time).check(url, allowed(site))

    assert check.status is LiveStatus.GONE
    assert fake_time.sleeps == [7.0]  # longer than the 0.5 s backoff


def test_a_retry_after_too_long_ends_the_check(site: ListingSite, fake_time: FakeTime) -> None:
    url = site.page("/item/22", Page(503, retry_after=3600), Page(410))

    check = checker(fake_time).check(url, allowed(site))

    assert (check.status, check.reason) == (LiveStatus.UNREACHABLE, "HTTP 503 after 1 attempts")
    assert fake_time.sleeps == []


def test_the_connection_goes_to_the_vetted_address(site: ListingSite, fake_time: FakeTime) -> None:
    # "shop.test" resolves nowhere but through the checker's own lookup: the request
    # reaching the site proves no second lookup picked the address.
    port = site.host.rsplit(":", 1)[1]
    site.page("/item/23", Page(410))
    pinned = checker(fake_time, resolver=lambda host: ["127.0.0.1"])

    check = pinned.check(f"http://shop.test:{port}/item/23", frozenset({f"shop.test:{port}"}))

    assert (check.status, check.http_status) == (LiveStatus.GONE, 410)


def test_script_tags_are_read_whatever_their_attributes() -> None:
    block = '{"@type": "Product", "offers": {"availability": "OutOfStock"}}'
    page = (
        '<script src="/app.js"></script>'
        f"<SCRIPT id=ld TYPE='application/ld+json; charset=utf-8'>{block}</script >"
        '<script type="text/javascript">{"@type": "Product"}</script>'
    )

    assert availability_of(page) == Availability(False, "every offer is outofstock")
