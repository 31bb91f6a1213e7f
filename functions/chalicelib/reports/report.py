"""A compliance report: who may see which dispatches, over which period, grouped how."""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.reports.facts import DispatchFact, elsewhere_facts, facts_from
from chalicelib.reports.figures import Counted, Figures, Sum, count_of
from chalicelib.reports.occurrences import Occurrence, found_elsewhere
from chalicelib.reports.summaries import ALONE, Dispatch, MonthSummary, Sent, month_after

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


def bucket_of(moment: date, group: Grouping) -> str:
    """The week (ISO 8601) or month a dispatch was sent in (its day on the clock the sending
    instant is written in: UTC as the exchange records it)."""
    if group is Grouping.WEEK:
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{moment.year}-{moment.month:02d}"


def compliance_report(
    facts: Iterable[DispatchFact], period: Period, scope: Scope, group: Grouping | None
) -> ComplianceReport:
    """The figures of the dispatches sent in ``period`` that ``scope`` admits (and of the
    ``found_elsewhere`` findings found in it): per platform in total, per platform and
    regulator, and per platform and week or month."""
    rows = _Rows(group)
    facts = list(facts)
    chosen = _counted(
        fact
        for fact in facts
        if fact.dispatched_at is not None
        and period.holds(fact.dispatched_at)
        and scope.admits(fact)
    )
    for fact, counted in chosen:
        rows.add(fact.platform_id, fact.regulator_id, _sent(fact), counted)
    _count_elsewhere(facts, period, scope, rows)
    return ComplianceReport(period, group, rows.rows(), _escalations(chosen))


def _count_elsewhere(
    facts: Iterable[DispatchFact], period: Period, scope: Scope, rows: _Rows
) -> None:
    """A ``found_elsewhere`` finding counts in the rows of the platform it was found on,
    by the time it was found: it has no dispatch."""
    for fact in facts:
        if fact.found_at is not None and period.holds(fact.found_at) and scope.admits(fact):
            rows.add_unsent(fact.platform_id, fact.regulator_id, fact.found_at, count_of(fact))


def _counted(facts: Iterable[DispatchFact]) -> list[tuple[DispatchFact, Counted]]:
    return [(fact, count_of(fact)) for fact in facts]


class _Rows:
    """Each row's sum: per platform, per platform and regulator, per platform and bucket."""

    def __init__(self, group: Grouping | None) -> None:
        self._group = group
        self._sums: dict[tuple[str, str, str], Sum] = {}

    def add(self, platform_id: str, regulator_id: str, sent: date, counted: Counted) -> None:
        for key in self._keys(platform_id, regulator_id, sent):
            self._sum(key).add(counted)

    def add_unsent(self, platform_id: str, regulator_id: str, at: date, counted: Counted) -> None:
        for key in self._keys(platform_id, regulator_id, at):
            self._sum(key).add_unsent(counted)

    def merge(self, platform_id: str, regulator_id: str, day: date, total: Sum) -> None:
        """Add a cell's dispatches (all sent on ``day``, on their own clock)."""
        for key in self._keys(platform_id, regulator_id, day):
            self._sum(key).merge(total)

    def rows(self) -> list[Row]:
        # Per platform: its total, then per regulator, then per bucket, each in order.
        return [
            Row(*key, total.figures())
            for key, total in sorted(self._sums.items(), key=lambda item: _order(item[0]))
        ]

    def _keys(self, platform_id: str, regulator_id: str, sent: date) -> list[tuple[str, str, str]]:
        keys = [(platform_id, ALL, ALL), (platform_id, regulator_id, ALL)]
        if self._group is not None:
            keys.append((platform_id, ALL, bucket_of(sent, self._group)))
        return keys

    def _sum(self, key: tuple[str, str, str]) -> Sum:
        found = self._sums.get(key)
        if found is None:
            found = self._sums[key] = Sum()
        return found


def _order(key: tuple[str, str, str]) -> tuple[str, int, str]:
    platform_id, regulator_id, bucket = key
    if regulator_id == ALL and bucket == ALL:
        return (platform_id, 0, "")
    return (platform_id, 1, regulator_id) if bucket == ALL else (platform_id, 2, bucket)


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


# Also what keeps the month after a counted dispatch's month in every report (summaries.py).
CLOCKS_AHEAD = timedelta(days=31)


class OccurrenceLog(Protocol):
    def summaries(self, start: datetime, end: datetime) -> Iterator[tuple[str, MonthSummary]]:
        """Each month's summary (``summaries.py``), ``yyyy-mm``, from ``start`` to ``end``."""
        ...

    def kept_in(self, month: str, places: dict[str, int]) -> Iterator[Occurrence]:
        """Every occurrence of ``month`` kept in ``places`` (a summary's ``held_in``), as
        the summary counted them: each place with as many occurrences as it says."""
        ...


def report_from_log(
    log: OccurrenceLog, period: Period, scope: Scope, group: Grouping | None, now: datetime
) -> ComplianceReport:
    """The report from the log: what was sent in the period, with everything that happened
    to it since (a late answer, a finding), up to now and a month beyond it: a deadline
    check or an audit run for a later time (`psx audit --at`, the demo's clock) records
    its events at that time, and they count like the rest.

    Each month's summary adds up its dispatches from that month's occurrences and the
    next's, per cell; a dispatch that a later month also has occurrences about comes off
    its cell and is folded again from all of them, as is one with an open escalation to
    list."""
    with _without_cycle_collection():
        months = list(log.summaries(period.start, max(period.end, now) + CLOCKS_AHEAD))
        later: dict[Dispatch, list[tuple[str, Occurrence]]] = {}
        elsewhere: list[Occurrence] = []  # every month's: a summary keeps them as they are
        for month, summary in months:
            for occurrence in summary.others:
                if found_elsewhere(occurrence):
                    elsewhere.append(occurrence)
                else:
                    later.setdefault(occurrence.dispatch, []).append((month, occurrence))
        latest = {dispatch: max(month for month, _ in held) for dispatch, held in later.items()}
        rows = _Rows(group)
        refold: set[Dispatch] = set()
        places: dict[str, dict[str, int]] = {}  # month -> its log's places to read again
        for month, summary in months:
            for sent in _taken_off(summary, month, latest):
                if period.holds(sent.dispatched_at) and scope.admits(sent):
                    refold.add(sent.dispatch)
                    _read_again(places, month, sent.held_in, summary.places[0])
                    _read_again(places, month_after(month), sent.held_after, summary.places[1])
            _count_cells(summary, period, scope, refold, rows)
        chosen = _counted(facts_from(_occurrences_of(log, refold, places, later)))
        for fact, counted in chosen:
            rows.add(fact.platform_id, fact.regulator_id, _sent(fact), counted)
        _count_elsewhere(elsewhere_facts(elsewhere), period, scope, rows)
        return ComplianceReport(period, group, rows.rows(), _escalations(chosen))


def _taken_off(
    summary: MonthSummary,
    month: str,
    latest: dict[Dispatch, str],
) -> list[Sent]:
    """The month's dispatches to fold again, taken off their cells: those a month after
    the next holds occurrences about, and those with an open escalation to list. (A
    summary counts the next month's occurrences too; the report always reads that month
    for a dispatch it counts: it reads to a month past the period's end.)"""
    beyond = month_after(month)
    found = [
        hit
        for dispatch, other in latest.items()
        if other > beyond and (hit := summary.find(dispatch))
    ]
    found.extend((ALONE, sent) for sent in summary.members(ALONE))
    taken: dict[Dispatch, Sent] = {}
    for cell, sent in found:
        if cell != ALONE and sent.dispatch not in taken:
            summary.cells[cell].total.add(sent.counted, -1)
        taken[sent.dispatch] = sent
    return list(taken.values())


def _read_again(
    places: dict[str, dict[str, int]], month: str, held_in: Iterable[str], sizes: dict[str, int]
) -> None:
    if held_in:
        places.setdefault(month, {}).update((place, sizes[place]) for place in held_in)


def _count_cells(
    summary: MonthSummary, period: Period, scope: Scope, refold: set[Dispatch], rows: _Rows
) -> None:
    """Add up the cells in the period and scope; one the period cuts, dispatch by dispatch."""
    for n, cell in enumerate(summary.cells):
        if not scope.admits(cell) or cell.total.notices_sent == 0:
            continue
        if period.start <= cell.first and cell.last < period.end:
            rows.merge(cell.platform_id, cell.regulator_id, cell.day, cell.total)
        elif cell.last >= period.start and cell.first < period.end:
            for sent in summary.members(n):
                if period.holds(sent.dispatched_at) and sent.dispatch not in refold:
                    rows.add(sent.platform_id, sent.regulator_id, sent.dispatched_at, sent.counted)


def _occurrences_of(
    log: OccurrenceLog,
    refold: set[Dispatch],
    places: dict[str, dict[str, int]],
    later: dict[Dispatch, list[tuple[str, Occurrence]]],
) -> Iterator[Occurrence]:
    """Every occurrence in the report's months about the dispatches in ``refold``."""
    for month, held_in in sorted(places.items()):
        for occurrence in log.kept_in(month, held_in):
            if occurrence.dispatch in refold and not found_elsewhere(occurrence):
                yield occurrence
    for dispatch in refold:
        for _, occurrence in later.get(dispatch, ()):
            yield occurrence


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
