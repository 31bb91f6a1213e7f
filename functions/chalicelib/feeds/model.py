"""A feed: a regulator's public recall publication the exchange pulls on a schedule.

A feed speaks for one regulator: what it fetches is written as that regulator's notice
file under ``incoming/<regulator-id>/``, so the one intake path validates, versions and
dispatches it. Its notices go to the platforms it names, or (none named) to every
platform registered for the notice's jurisdiction, as for any file.

The URL fixes the only host the feed ever fetches from. It must be https; plain http is
for servers on this machine (the local feed server of ``psx demo`` and the tests), as
for webhooks (``platforms/model.py``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from chalicelib.identifiers.participants import PLATFORM_ID_PATTERN, REGULATOR_ID_PATTERN
from chalicelib.platforms.model import LOOPBACK_HOSTS

FEED_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
# A failed pull is tried again this soon, unless the feed's own schedule is sooner.
RETRY_AFTER_FAILURE = timedelta(hours=1)
# The placeholders a Safety Gate URL names its report with (ISO year and week).
WEEK_PLACEHOLDERS = ("{year}", "{week}")


class FeedKind(StrEnum):
    # US CPSC Recall API: recalls (JSON) published in a date range.
    CPSC_RECALLS = "cpsc-recalls"
    # EU Safety Gate: one weekly report (XML) per ISO week.
    SAFETY_GATE_WEEKLY = "safety-gate-weekly"


class Schedule(StrEnum):
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def interval(self) -> timedelta:
        return _INTERVALS[self]


_INTERVALS = {
    Schedule.HOURLY: timedelta(hours=1),
    Schedule.DAILY: timedelta(days=1),
    Schedule.WEEKLY: timedelta(weeks=1),
}


def _feed_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    if any(character.isspace() for character in value):
        raise ValueError("a feed URL must not contain whitespace")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ValueError(f"{value!r}: feeds must use https (http only to localhost)")
    if parts.username is not None or parts.password is not None:
        raise ValueError("a feed URL must not contain credentials")
    if parts.fragment:
        raise ValueError("a feed URL must not have a #fragment")
    return value


def _platform_ids(values: list[str]) -> list[str]:
    pattern = re.compile(PLATFORM_ID_PATTERN)
    ids = [value.strip().lower() for value in values]
    bad = [value for value in ids if not pattern.fullmatch(value)]
    if bad:
        raise ValueError(f"{', '.join(map(repr, bad))}: not platform ids")
    return list(dict.fromkeys(ids))


class Feed(BaseModel):
    """What an operator configures (``psx feeds add``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    name: str = Field(pattern=FEED_NAME_PATTERN)
    kind: FeedKind
    url: Annotated[str, AfterValidator(_feed_url)]
    regulator_id: str = Field(pattern=REGULATOR_ID_PATTERN)
    # Empty: every platform registered for each notice's jurisdiction.
    target_platforms: Annotated[list[str], AfterValidator(_platform_ids)] = Field(
        default_factory=list
    )
    schedule: Schedule = Schedule.DAILY

    @model_validator(mode="after")
    def _url_fits_kind(self) -> Feed:
        has_week = all(placeholder in self.url for placeholder in WEEK_PLACEHOLDERS)
        if self.kind is FeedKind.SAFETY_GATE_WEEKLY and not has_week:
            raise ValueError("a safety-gate-weekly URL names its report with {year} and {week}")
        if self.kind is FeedKind.CPSC_RECALLS and urlsplit(self.url).query.count("{"):
            raise ValueError("a cpsc-recalls URL takes no placeholders: dates are added to it")
        return self

    @property
    def host(self) -> str:
        """The one host this feed fetches from."""
        return urlsplit(self.url).hostname or ""


class Validators(BaseModel):
    """What the last answer said about itself, for a conditional request to the same URL."""

    model_config = ConfigDict(frozen=True)

    url: str
    etag: str | None = None
    last_modified: str | None = None


class FeedState(BaseModel):
    """Where the feed stands: what the puller writes, what ``psx feeds list`` and
    ``GET /v1/feeds`` show."""

    model_config = ConfigDict(frozen=True)

    paused: bool = False
    # CPSC: the last publication date fully pulled (YYYY-MM-DD); Safety Gate: the last
    # weekly report stored (YYYY-Www). Both sort as text in time order.
    cursor: str | None = None
    last_attempt_at: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None
    validators: Validators | None = None

    @property
    def failing(self) -> bool:
        """The latest attempt failed (a later success clears it; the error stays shown)."""
        if self.last_error_at is None:
            return False
        return self.last_success_at is None or self.last_error_at > self.last_success_at

    def next_pull_at(self, schedule: Schedule) -> datetime | None:
        """When the schedule pulls next; None: at its next run (never pulled yet)."""
        if self.last_attempt_at is None:
            return None
        wait = min(schedule.interval, RETRY_AFTER_FAILURE) if self.failing else schedule.interval
        return self.last_attempt_at + wait


class FeedRecord(BaseModel):
    """A feed and its state, as stored."""

    model_config = ConfigDict(frozen=True)

    feed: Feed
    state: FeedState

    def due(self, now: datetime) -> bool:
        if self.state.paused:
            return False
        next_pull = self.state.next_pull_at(self.feed.schedule)
        return next_pull is None or next_pull <= now
