"""What "new since the cursor" means for each kind of feed, and what a page must look like.

CPSC Recall API (``cpsc-recalls``): recalls by ``LastPublishDate`` range, so a recall
re-published with corrections comes again (and becomes a new version through intake's
versioning). Pages are windows of at most ``CPSC_WINDOW_DAYS`` days, from the cursor's
day (inclusive: recalls published later on that day are still found; the overlap is
harmless, an unchanged recall stores nothing) up to today. The cursor is the last day
fully pulled. A page keeps each recall once (the latest publication of it), unchanged.

Safety Gate (``safety-gate-weekly``): one XML report per ISO week, the URL naming it with
``{year}`` and ``{week}`` (two digits). Pages are the weeks after the cursor up to the
current one; a 404 is a report not published yet, which ends the pull. The cursor is
the last week stored (``YYYY-Www``). The report is stored byte for byte.

Without a cursor (a new feed) a pull starts one schedule interval back; ``--since``
starts it at that date instead (the cursor never moves back).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.etree.ElementTree import Element

from chalicelib.feeds.model import Feed, FeedKind
from chalicelib.intake.formats import safety_gate
from chalicelib.intake.raw import FileRefused

CPSC_WINDOW_DAYS = 7
_CPSC_IDS = ("RecallNumber", "RecallID")
_SNIFF = 64


class FeedFormatError(ValueError):
    """The page is not what this kind of feed publishes."""


@dataclass(frozen=True)
class Page:
    url: str
    # The feed's cursor once this page is stored.
    cursor: str
    # The stored file's name, before its content hash and extension.
    label: str
    # The intake format the page is written as (the file's format hint).
    intake_format: str
    extension: str
    content_type: str
    # A 404 is "not published yet" (ends the pull), not a failure.
    may_be_missing: bool = False


def pages(feed: Feed, cursor: str | None, now: datetime, since: date | None) -> Iterator[Page]:
    """The pages to fetch, in order, for what is new since ``cursor``."""
    start = since or _default_start(feed, now)
    if feed.kind is FeedKind.CPSC_RECALLS:
        return _cpsc_pages(feed, start if since or not cursor else date.fromisoformat(cursor), now)
    first = start if since or not cursor else _week_start(cursor) + timedelta(weeks=1)
    return _weekly_pages(feed, first, now)


def checked_body(feed: Feed, page: Page, body: bytes) -> bytes | None:
    """What to store of ``body``; None when the page holds no recall. Raises
    ``FeedFormatError`` for a page that is not this feed's format."""
    # A portal's maintenance or login page comes as 200: say so rather than a parse error.
    if body.lstrip()[:_SNIFF].lower().startswith((b"<!doctype html", b"<html")):
        raise FeedFormatError("the page is a web page (HTML), not a feed page")
    if feed.kind is FeedKind.CPSC_RECALLS:
        return _cpsc_body(body)
    return _safety_gate_body(page, body)


def _default_start(feed: Feed, now: datetime) -> date:
    return (now - feed.schedule.interval).date()


# -- CPSC ---------------------------------------------------------------------------------


def _cpsc_pages(feed: Feed, start: date, now: datetime) -> Iterator[Page]:
    today = now.date()
    separator = "&" if urlsplit(feed.url).query else "?"
    while start <= today:
        end = min(start + timedelta(days=CPSC_WINDOW_DAYS - 1), today)
        query = urlencode({"LastPublishDateStart": str(start), "LastPublishDateEnd": str(end)})
        yield Page(
            url=f"{feed.url}{separator}{query}",
            cursor=str(end),
            label=f"cpsc-{start}_{end}",
            intake_format="cpsc",
            extension=".cpsc.json",
            content_type="application/json",
        )
        start = end + timedelta(days=1)


def _cpsc_body(body: bytes) -> bytes | None:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as bad:
        raise FeedFormatError(f"the page is not JSON ({type(bad).__name__})") from bad
    if not isinstance(document, list):
        raise FeedFormatError("the page is not a JSON array of recalls")
    latest: dict[str, dict[str, Any]] = {}
    for number, recall in enumerate(document, start=1):
        recall_id = _recall_id(recall)
        if recall_id is None:
            raise FeedFormatError(f"item {number} is not a recall (no RecallNumber or RecallID)")
        seen = latest.get(recall_id)
        if seen is None or _published(recall) >= _published(seen):
            latest[recall_id] = recall
    if not latest:
        return None
    return json.dumps(list(latest.values()), ensure_ascii=False, indent=1).encode("utf-8")


def _recall_id(recall: object) -> str | None:
    if not isinstance(recall, dict):
        return None
    for key in _CPSC_IDS:
        value = recall.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return f"{key}:{value}"
    return None


def _published(recall: dict[str, Any]) -> str:
    value = recall.get("LastPublishDate") or recall.get("RecallDate")
    return value if isinstance(value, str) else ""


# -- Safety Gate --------------------------------------------------------------------------


def _weekly_pages(feed: Feed, first: date, now: datetime) -> Iterator[Page]:
    week = _monday(first)
    while week <= now.date():
        year, number, _ = week.isocalendar()
        url = feed.url.replace("{year}", str(year)).replace("{week}", f"{number:02d}")
        yield Page(
            url=url,
            cursor=f"{year}-W{number:02d}",
            label=f"safety-gate-{year}-W{number:02d}",
            intake_format="safety-gate",
            extension=".xml",
            content_type="application/xml",
            may_be_missing=True,
        )
        week += timedelta(weeks=1)


def _safety_gate_body(page: Page, body: bytes) -> bytes | None:
    try:
        root = safety_gate.load_xml(body)
    except FileRefused as refused:
        raise FeedFormatError(f"the page is not a Safety Gate report: {refused}") from refused
    if root.tag.rsplit("}", 1)[-1] != safety_gate.ROOT:
        raise FeedFormatError(f"the page is XML with root <{root.tag}>, not <{safety_gate.ROOT}>")
    asked = _week_start(page.cursor).isocalendar()[:2]
    said = _report_week(root)
    if said is not None and said != asked:
        raise FeedFormatError(
            f"the page asked for {page.cursor} is the report of {said[0]}-W{said[1]:02d}"
        )
    has_notifications = any(child.tag.endswith("notifications") for child in root)
    return body if has_notifications else None


def _report_week(root: Element) -> tuple[int, int] | None:
    """The (year, week) the report says it is, when it says."""
    year, week = root.findtext("report_year"), root.findtext("report_week")
    if not (year and week):
        return None
    try:
        return int(year), int(week)
    except ValueError as bad:
        raise FeedFormatError(f"the report's week {year!r}/{week!r} is not a number") from bad


def _week_start(cursor: str) -> date:
    year, _, week = cursor.partition("-W")
    return date.fromisocalendar(int(year), int(week), 1)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())
