"""A compliance report: who may see which dispatches, over which period, grouped how."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

from chalicelib.reports.facts import DispatchFact, facts_from, group_by
from chalicelib.reports.figures import Counted, Figures, count_of, figures_of
from chalicelib.reports.occurrences import Occurrence
from chalicelib.reports.summaries import Dispatch, MonthSummary

ALL = "*"  # a row over every regulator, or over the whole period


class Grouping(StrEnum):
    WEEK = "week"
    MONTH = "month"


class _Owned(Protocol):
    @property
    def regulator_id(self) -> str: ...
    @property
    def platform_id(self) -> str: ...


@dataclass(frozen=True)
class Scope:
    """What the reader may see: a regulator its own notices (every platform), a platform
    itself (every regulator's notices); ``platform_id`` also narrows a regulator's view."""

    regulator_id: str | None = None
    platform_id: str | None = None

    def admits(self, dispatch: _Owned) -> bool:
        return (self.regulator_id is None or dispatch.regulator_id == self.regulator_id) and (
            self.platform_id is None or dispatch.platform_id == self.platform_id
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


class Tally(NamedTuple):
    """What the rows need of a dispatch: whose it is, when it was sent, what it counts."""

    platform_id: str
    regulator_id: str
    dispatched_at: datetime
    counted: Counted


def compliance_report(
    facts: Iterable[DispatchFact], period: Period, scope: Scope, group: Grouping | None
) -> ComplianceReport:
    """The figures of the dispatches sent in ``period`` that ``scope`` admits: per platform
    in total, per platform and regulator, and per platform and week or month."""
    chosen = _counted(
        fact
        for fact in facts
        if fact.dispatched_at is not None
        and period.holds(fact.dispatched_at)
        and scope.admits(fact)
    )
    return _report(period, group, [tally for _, tally in chosen], _escalations(chosen))


def _counted(facts: Iterable[DispatchFact]) -> list[tuple[DispatchFact, Tally]]:
    return [
        (fact, Tally(fact.platform_id, fact.regulator_id, _sent(fact), count_of(fact)))
        for fact in facts
    ]


def _report(
    period: Period, group: Grouping | None, tallies: list[Tally], escalations: list[Escalation]
) -> ComplianceReport:
    rows = []
    for platform_id, own in sorted(group_by(tallies, _platform).items()):
        rows.append(Row(platform_id, ALL, ALL, _figures(own)))
        for regulator_id, theirs in sorted(group_by(own, _regulator).items()):
            rows.append(Row(platform_id, regulator_id, ALL, _figures(theirs)))
        if group is not None:
            buckets = group_by(own, lambda t: bucket_of(t.dispatched_at, group))
            rows.extend(
                Row(platform_id, ALL, bucket, _figures(inside))
                for bucket, inside in sorted(buckets.items())
            )
    return ComplianceReport(period, group, rows, escalations)


def _platform(tally: Tally) -> str:
    return tally.platform_id


def _regulator(tally: Tally) -> str:
    return tally.regulator_id


def _figures(tallies: list[Tally]) -> Figures:
    return figures_of([tally.counted for tally in tallies])


def _sent(fact: DispatchFact) -> datetime:
    assert fact.dispatched_at is not None
    return fact.dispatched_at


def _escalations(counted: list[tuple[DispatchFact, Tally]]) -> list[Escalation]:
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
        for fact, tally in counted
        for waiting_for in tally.counted.escalations
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
    def summaries(self, start: datetime, end: datetime) -> Iterator[tuple[str, MonthSummary]]:
        """Each month's summary (``summaries.py``), ``yyyy-mm``, from ``start`` to ``end``."""
        ...

    def kept_in(self, month: str, places: Iterable[str]) -> Iterator[Occurrence]:
        """Every occurrence of ``month`` kept in ``places`` (a summary's ``held_in``)."""
        ...


def report_from_log(
    log: OccurrenceLog, period: Period, scope: Scope, group: Grouping | None, now: datetime
) -> ComplianceReport:
    """The report from the log: what was sent in the period, with everything that happened
    to it since (a late answer, a finding), up to now and a month beyond it: a deadline
    check or an audit run for a later time (`psx audit --at`, the demo's clock) records
    its events at that time, and they count like the rest.

    Each month's summary counts its dispatches from that month's occurrences; a dispatch
    that another month also has occurrences about (or that has an open escalation to
    list) is folded again from all of them."""
    with _without_cycle_collection():
        months = list(log.summaries(period.start, max(period.end, now) + _CLOCKS_AHEAD))
        later = group_by((o for _, s in months for o in s.others), _dispatch)
        tallies: list[Tally] = []
        refold: dict[Dispatch, str] = {}  # dispatch -> the month it was sent in
        places: dict[str, set[str]] = {}
        for month, summary in months:
            for sent in summary.sent:
                if not (period.holds(sent.dispatched_at) and scope.admits(sent)):
                    continue
                if sent.counted.escalations or sent.dispatch in later:
                    refold[sent.dispatch] = month
                    places.setdefault(month, set()).update(sent.held_in)
                else:
                    tallies.append(
                        Tally(sent.platform_id, sent.regulator_id, sent.dispatched_at, sent.counted)
                    )
        chosen = _counted(facts_from(_occurrences_of(log, refold, places, later)))
        tallies.extend(tally for _, tally in chosen)
        return _report(period, group, tallies, _escalations(chosen))


def _dispatch(occurrence: Occurrence) -> Dispatch:
    return occurrence.dispatch


def _occurrences_of(
    log: OccurrenceLog,
    refold: dict[Dispatch, str],
    places: dict[str, set[str]],
    later: dict[Dispatch, list[Occurrence]],
) -> Iterator[Occurrence]:
    """Every occurrence about the dispatches in ``refold``: their month's and the others."""
    for month, held_in in sorted(places.items()):
        for occurrence in log.kept_in(month, sorted(held_in)):
            if refold.get(occurrence.dispatch) == month:
                yield occurrence
    for dispatch in refold:
        yield from later.get(dispatch, ())


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
