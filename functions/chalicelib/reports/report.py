"""A compliance report: who may see which dispatches, over which period, grouped how."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.reports.facts import DispatchFact, facts_from, group_by
from chalicelib.reports.figures import Counted, Figures, count_of, figures_of
from chalicelib.reports.occurrences import Occurrence

ALL = "*"  # a row over every regulator, or over the whole period


class Grouping(StrEnum):
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class Scope:
    """What the reader may see: a regulator its own notices (every platform), a platform
    itself (every regulator's notices); ``platform_id`` also narrows a regulator's view."""

    regulator_id: str | None = None
    platform_id: str | None = None

    def admits(self, fact: DispatchFact) -> bool:
        return (self.regulator_id is None or fact.regulator_id == self.regulator_id) and (
            self.platform_id is None or fact.platform_id == self.platform_id
        )


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    def holds(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class Row:
    platform_id: str
    regulator_id: str  # ALL: every regulator in scope
    bucket: str  # ALL: the whole period; else "2026-W27" or "2026-07"
    figures: Figures

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform_id": self.platform_id,
            "regulator_id": self.regulator_id,
            "bucket": self.bucket,
            **self.figures.as_dict(),
        }


@dataclass(frozen=True)
class Escalation:
    notice_id: str
    version: int
    platform_id: str
    regulator_id: str
    title: str | None
    waiting_for: str
    deadline: datetime | None


@dataclass(frozen=True)
class ComplianceReport:
    period: Period
    group: Grouping | None
    rows: list[Row]
    open_escalations: list[Escalation]


def bucket_of(moment: datetime, group: Grouping) -> str:
    """The week (ISO 8601, UTC) or month a dispatch was sent in."""
    if group is Grouping.WEEK:
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{moment.year}-{moment.month:02d}"


def compliance_report(
    facts: Iterable[DispatchFact], period: Period, scope: Scope, group: Grouping | None
) -> ComplianceReport:
    """The figures of the dispatches sent in ``period`` that ``scope`` admits: per platform
    in total, per platform and regulator, and per platform and week or month."""
    chosen = [
        (fact, count_of(fact))
        for fact in facts
        if fact.dispatched_at is not None
        and period.holds(fact.dispatched_at)
        and scope.admits(fact)
    ]
    rows = []
    for platform_id, own in sorted(group_by(chosen, lambda c: c[0].platform_id).items()):
        rows.append(Row(platform_id, ALL, ALL, _figures(own)))
        for regulator_id, theirs in sorted(group_by(own, lambda c: c[0].regulator_id).items()):
            rows.append(Row(platform_id, regulator_id, ALL, _figures(theirs)))
        if group is not None:
            buckets = group_by(own, lambda c: bucket_of(_sent(c[0]), group))
            rows.extend(
                Row(platform_id, ALL, bucket, _figures(inside))
                for bucket, inside in sorted(buckets.items())
            )
    return ComplianceReport(period, group, rows, _escalations(chosen))


def _figures(counted: list[tuple[DispatchFact, Counted]]) -> Figures:
    return figures_of([count for _, count in counted])


def _sent(fact: DispatchFact) -> datetime:
    assert fact.dispatched_at is not None
    return fact.dispatched_at


def _escalations(counted: list[tuple[DispatchFact, Counted]]) -> list[Escalation]:
    found = [
        Escalation(
            fact.notice_id,
            fact.version,
            fact.platform_id,
            fact.regulator_id,
            fact.title,
            waiting_for,
            fact.acknowledgement_deadline
            if waiting_for == "acknowledgement"
            else fact.action_deadline,
        )
        for fact, count in counted
        for waiting_for in count.escalations
    ]
    return sorted(found, key=lambda e: (e.platform_id, e.notice_id, e.version, e.waiting_for))


def half_year(label: str) -> Period:
    """``2026-H2`` -> 1 July 2026 to 1 January 2027 (UTC): the Pledge's reporting period."""
    year_text, _, half = label.partition("-H")
    if not year_text.isdigit() or half not in {"1", "2"}:
        raise ValueError(f"period {label!r} is not YYYY-H1 or YYYY-H2")
    year = int(year_text)
    start = date(year, 1 if half == "1" else 7, 1)
    end = date(year, 7, 1) if half == "1" else date(year + 1, 1, 1)
    return Period(_midnight(start), _midnight(end))


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


_CLOCKS_AHEAD = timedelta(days=31)


class OccurrenceLog(Protocol):
    def occurrences(self, start: datetime, end: datetime) -> Iterator[Occurrence]: ...


def report_from_log(
    log: OccurrenceLog, period: Period, scope: Scope, group: Grouping | None, now: datetime
) -> ComplianceReport:
    """The report from the log: what was sent in the period, with everything that happened
    to it since (a late answer, a finding), up to now and a month beyond it: a deadline
    check or an audit run for a later time (`psx audit --at`, the demo's clock) records
    its events at that time, and they count like the rest."""
    with _without_cycle_collection():
        occurrences = log.occurrences(period.start, max(period.end, now) + _CLOCKS_AHEAD)
        return compliance_report(facts_from(occurrences), period, scope, group)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """A year's report builds a few objects per occurrence, millions, and keeps them all
    until its figures are out: none is garbage, yet the cyclic collector would walk them
    again and again (half of the decoding and folding time). Reference counting still
    frees everything they leave."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
