"""The regulator's dashboard in a real browser (headless Chromium) on the demo's data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from psx.api_client import ApiClient
from psx.demo_platforms import demo_regulator_key
from psx.demo_reports import DemoExchange, demo_exchange, report_period
from tests.e2e.browser import chromium, require_chromium

pytestmark = pytest.mark.e2e
SCREENSHOT = Path(__file__).parents[2] / "docs" / "dashboard.png"


@pytest.fixture(scope="module")
def exchange() -> Iterator[DemoExchange]:
    require_chromium()
    with demo_exchange() as running:
        yield running


@pytest.fixture(scope="module")
def browser(exchange: DemoExchange) -> Iterator[Any]:
    with chromium() as context:
        yield context


def _signed_in(browser: Any, exchange: DemoExchange, regulator_id: str) -> Any:
    page = browser.new_page()
    page.goto(f"{exchange.api_url}/v1/dashboard/")
    page.fill("#api-key", demo_regulator_key(regulator_id))
    page.click("#sign-in button[type=submit]")
    page.wait_for_selector("#notices tbody tr")
    # A locator, not wait_for_function: the page's CSP forbids evaluating strings.
    page.locator("#loading", has_text="Period").wait_for()
    return page


def _platform_rows(page: Any) -> dict[str, list[str]]:
    rows = page.eval_on_selector_all(
        "#platforms tbody tr",
        "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))",
    )
    return {row[0]: row for row in rows}


def test_the_platforms_table_shows_the_demos_numbers(browser: Any, exchange: DemoExchange) -> None:
    page = _signed_in(browser, exchange, "kftc")
    expected = ApiClient(exchange.api_url, demo_regulator_key("kftc")).get(
        "/v1/reports/compliance", **report_period(datetime.now(UTC))
    )
    totals = {r["platform_id"]: r["figures"] for r in expected["rows"] if r["regulator_id"] == "*"}
    shown = _platform_rows(page)

    assert set(shown) == set(totals) and totals
    for platform_id, figures in totals.items():
        row = shown[platform_id]
        assert row[1] == str(figures["notices_sent"])
        assert row[4] == str(figures["missed_deadlines"])
        assert row[7] == str(figures["listings_acted_on"])
        on_time = figures["action_reports_on_time_pct"]
        assert row[3].startswith("– n/a" if on_time is None else f"{on_time:.1f} %")
    # Charts drawn, each with its text alternative.
    assert page.locator("#distribution-chart svg[role=img] title").count() == 1
    assert page.locator("#trend-chart svg[role=img]").count() == 1
    assert page.locator("#distribution-table tbody tr").count() == len(totals)
    # The key is in sessionStorage, never in the address.
    assert "psx_" not in page.url
    assert page.evaluate("sessionStorage.getItem('psx-api-key')").startswith("psx_")
    if os.environ.get("PSX_UPDATE_SCREENSHOT"):
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.close()


def test_a_notice_opens_with_its_platforms_and_timeline(
    browser: Any, exchange: DemoExchange
) -> None:
    page = _signed_in(browser, exchange, "kftc")
    first = page.locator("#notices tbody tr button").first
    notice_id = first.text_content()
    first.click()
    page.wait_for_selector("#notice-section:not([hidden]) #notice-timeline tbody tr")

    assert page.text_content("#notice-title") == f"Notice {notice_id}"
    assert page.locator("#notice-dispatches tbody tr").count() >= 1
    timeline = page.text_content("#notice-timeline")
    assert "dispatched" in timeline and "received" in timeline
    page.close()


def test_a_failed_sign_in_shows_an_error(browser: Any, exchange: DemoExchange) -> None:
    page = browser.new_page()
    page.goto(f"{exchange.api_url}/v1/dashboard/")
    page.fill("#api-key", "psx_notakey_notasecret")
    page.click("#sign-in button[type=submit]")
    error = page.wait_for_selector("#sign-in-error:not([hidden])")

    assert "not accepted" in error.text_content()
    assert page.is_hidden("#dashboard")
    assert page.evaluate("sessionStorage.getItem('psx-api-key')") is None
    page.close()


def test_a_regulator_never_sees_another_regulators_notices(
    browser: Any, exchange: DemoExchange
) -> None:
    others = {
        n["notice_id"]
        for n in ApiClient(exchange.api_url, demo_regulator_key("kca")).pages("/v1/notices")
    }
    page = _signed_in(browser, exchange, "kftc")
    shown = set(page.locator("#notices tbody tr button").all_text_contents())
    escalated = set(page.locator("#escalations tbody tr button").all_text_contents())

    assert others and shown
    assert not (shown | escalated) & others
    # Asking the API for another regulator's notice from the page is refused too.
    status = page.evaluate(
        """async (id) => (await fetch(`../notices/${id}`, {headers: {Authorization:
        `Bearer ${sessionStorage.getItem('psx-api-key')}`}})).status""",
        next(iter(others)),
    )
    assert status == 404
    page.close()
