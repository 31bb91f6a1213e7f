"""The figures of a set of dispatches, each defined once in docs/reports.md."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from chalicelib.deadlines.working_days import (
    UnknownJurisdiction,
    add_working_days,
    working_time,
)
from chalicelib.reports import contract
from chalicelib.reports.facts import DispatchFact, ListingActed

ACKNOWLEDGEMENT = "acknowledgement"
ACTION_REPORT = "action_report"
# Removing or disabling counts for the Pledge KPI; a warning leaves the product on sale.
TAKEN_DOWN = frozenset({"removed", "access_disabled"})
PLEDGE_WORKING_DAYS = 2
_HOUR = 3600


@dataclass(frozen=True)
class Figures:
    notices_sent: int
    acknowledgements_due: int
    acknowledged_on_time: int
    acknowledged_on_time_pct: float | None
    action_reports_due: int
    action_reports_on_time: int
    action_reports_on_time_pct: float | None
    missed_deadlines: int
    escalations_open: int
    late_answers: int
    late_working_days_total: int
    late_working_days_max: int | None
    listings_acted_on: int
    taken_down_within_2_working_days: int
    taken_down_within_2_working_days_pct: float | None
    action_working_hours_median: float | None
    action_working_hours_p90: float | None
    # The distribution of time to action: listings acted on, by working day of the action.
    acted_in_working_day_1: int
    acted_in_working_day_2: int
    acted_in_working_day_3: int
    acted_in_working_days_4_to_5: int
    acted_after_working_day_5: int
    notifications_reported: int
    sellers_notified: int | None
    buyers_notified: int | None
    excluded_by_lookback: int | None
    notifications_failed: int | None
    fallback_language: int | None
    self_notified_sellers: int | None
    self_notified_buyers: int | None
    findings_still_listed: int | None
    findings_missed: int | None
    findings_relisted: int | None
    findings_found_elsewhere: int | None
    findings_resolved: int | None
    resolution_working_hours_median: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Counted:
    """What one dispatch adds to every row that counts it (its platform's total, its
    regulator's, its week's or month's), worked out once."""

    acknowledgement_due: bool
    acknowledged_on_time: bool
    action_report_due: bool
    action_report_on_time: bool
    missed: int
    escalations: tuple[str, ...]  # what it still waits for past a missed deadline
    late_days: tuple[int, ...]  # of its late answers
    acted: int  # listings acted on
    timed: tuple[tuple[str, int, bool], ...]  # action, working seconds, within the Pledge
    notification: dict[str, int] | None
    findings: int
    findings_by_kind: tuple[int, ...]  # recorded, in the order of contract.FINDING_KINDS
    findings_resolved: int
    resolution_seconds: tuple[int, ...]


_NO_FINDINGS = (0,) * len(contract.FINDING_KINDS)


def count_of(fact: DispatchFact) -> Counted:
    ack_due, ack_on_time = _due_and_on_time(fact, ACKNOWLEDGEMENT)
    action_due, action_on_time = _due_and_on_time(fact, ACTION_REPORT)
    findings = fact.findings.values()
    recorded = [finding.kind for finding in findings if finding.recorded_at is not None]
    return Counted(
        acknowledgement_due=ack_due,
        acknowledged_on_time=ack_on_time,
        action_report_due=action_due,
        action_report_on_time=action_on_time,
        missed=len(fact.missed),
        escalations=tuple(open_escalations(fact)) if fact.missed else (),
        late_days=tuple(days for days in _late_days(fact) if days > 0),
        acted=sum(1 for listing in fact.listings if listing.action != "no_match"),
        timed=_timed(fact),
        notification=fact.notification,
        findings=len(fact.findings),
        findings_by_kind=tuple(recorded.count(kind) for kind in contract.FINDING_KINDS)
        if recorded
        else _NO_FINDINGS,
        findings_resolved=sum(1 for finding in findings if finding.resolved_at is not None),
        resolution_seconds=_resolution_seconds(fact) if fact.findings else (),
    )


def figures_of(counted: Sequence[Counted]) -> Figures:
    """The figures of a row, from what each of its dispatches counts."""
    total = Sum()
    for count in counted:
        total.add(count)
    return total.figures()


@dataclass(slots=True)
class Sum:
    """What a set of dispatches counts, added up: a row's figures come from it, and sums
    add up (and a dispatch's count comes off again) without going back to the dispatches."""

    notices_sent: int = 0
    acknowledgements_due: int = 0
    acknowledged_on_time: int = 0
    action_reports_due: int = 0
    action_reports_on_time: int = 0
    missed: int = 0
    escalations: int = 0
    late_days: list[int] = field(default_factory=list)
    acted: int = 0
    taken_down_in_window: int = 0
    action_seconds: list[int] = field(default_factory=list)
    notifications_reported: int = 0
    notified: list[int] = field(default_factory=lambda: [0] * len(contract.NOTIFICATION_COUNTS))
    with_findings: int = 0
    findings_by_kind: list[int] = field(default_factory=lambda: [0] * len(contract.FINDING_KINDS))
    findings_resolved: int = 0
    resolution_seconds: list[int] = field(default_factory=list)

    def add(self, c: Counted, sign: int = 1) -> None:
        """Count ``c`` in (``sign`` 1) or take it off again (-1)."""
        self.notices_sent += sign
        self.add_unsent(c, sign)

    def add_unsent(self, c: Counted, sign: int = 1) -> None:
        """Count what ``c`` counts but a notice sent: a ``found_elsewhere`` finding's."""
        self.acknowledgements_due += sign * c.acknowledgement_due
        self.acknowledged_on_time += sign * c.acknowledged_on_time
        self.action_reports_due += sign * c.action_report_due
        self.action_reports_on_time += sign * c.action_report_on_time
        self.missed += sign * c.missed
        self.escalations += sign * len(c.escalations)
        self.acted += sign * c.acted
        self.taken_down_in_window += sign * sum(
            1 for action, _, in_window in c.timed if action in TAKEN_DOWN and in_window
        )
        _add_all(self.late_days, c.late_days, sign)
        _add_all(self.action_seconds, [seconds for _, seconds, _ in c.timed], sign)
        if c.notification is not None:
            self.notifications_reported += sign
            for n, name in enumerate(contract.NOTIFICATION_COUNTS):
                self.notified[n] += sign * c.notification[name]
        if c.findings:
            self.with_findings += sign
            for n, found in enumerate(c.findings_by_kind):
                self.findings_by_kind[n] += sign * found
            self.findings_resolved += sign * c.findings_resolved
            _add_all(self.resolution_seconds, c.resolution_seconds, sign)

    def merge(self, other: Sum) -> None:
        # Spelled out: a year's report merges thousands of sums, three times each.
        self.notices_sent += other.notices_sent
        self.acknowledgements_due += other.acknowledgements_due
        self.acknowledged_on_time += other.acknowledged_on_time
        self.action_reports_due += other.action_reports_due
        self.action_reports_on_time += other.action_reports_on_time
        self.missed += other.missed
        self.escalations += other.escalations
        self.late_days += other.late_days
        self.acted += other.acted
        self.taken_down_in_window += other.taken_down_in_window
        self.action_seconds += other.action_seconds
        self.notifications_reported += other.notifications_reported
        self.notified = [
            mine + theirs for mine, theirs in zip(self.notified, other.notified, strict=True)
        ]
        self.with_findings += other.with_findings
        self.findings_by_kind = [
            mine + theirs
            for mine, theirs in zip(self.findings_by_kind, other.findings_by_kind, strict=True)
        ]
        self.findings_resolved += other.findings_resolved
        self.resolution_seconds += other.resolution_seconds

    def figures(self) -> Figures:
        late_days = self.late_days
        action_seconds = sorted(self.action_seconds)
        within = self.taken_down_in_window
        ack_due, ack_on_time = self.acknowledgements_due, self.acknowledged_on_time
        action_due, action_on_time = self.action_reports_due, self.action_reports_on_time
        return Figures(
            notices_sent=self.notices_sent,
            acknowledgements_due=ack_due,
            acknowledged_on_time=ack_on_time,
            acknowledged_on_time_pct=_pct(ack_on_time, ack_due),
            action_reports_due=action_due,
            action_reports_on_time=action_on_time,
            action_reports_on_time_pct=_pct(action_on_time, action_due),
            missed_deadlines=self.missed,
            escalations_open=self.escalations,
            late_answers=len(late_days),
            late_working_days_total=sum(late_days),
            late_working_days_max=max(late_days) if late_days else None,
            listings_acted_on=self.acted,
            taken_down_within_2_working_days=within,
            taken_down_within_2_working_days_pct=_pct(within, len(action_seconds)),
            action_working_hours_median=_hours(_quantile(action_seconds, 0.5)),
            action_working_hours_p90=_hours(_quantile(action_seconds, 0.9)),
            **_distribution(action_seconds),
            **self._notification_figures(),
            **self._finding_figures(),
        )

    def _notification_figures(self) -> dict[str, Any]:
        # n/a, not zero, where no dispatch of the row has a notification event.
        reported = self.notifications_reported
        figures: dict[str, int | None] = {"notifications_reported": reported}
        for n, count in enumerate(contract.NOTIFICATION_COUNTS):
            figure = "notifications_failed" if count == "failed" else count
            figures[figure] = self.notified[n] if reported else None
        return figures

    def _finding_figures(self) -> dict[str, Any]:
        # n/a, not zero, where no dispatch of the row has a finding event.
        found = self.with_findings
        figures: dict[str, int | float | None] = {
            f"findings_{kind}": self.findings_by_kind[n] if found else None
            for n, kind in enumerate(contract.FINDING_KINDS)
        }
        figures["findings_resolved"] = self.findings_resolved if found else None
        figures["resolution_working_hours_median"] = _hours(
            _quantile(sorted(self.resolution_seconds), 0.5)
        )
        return figures


def _add_all(values: list[int], more: Sequence[int], sign: int) -> None:
    if sign > 0:
        values.extend(more)
    else:
        for value in more:
            values.remove(value)


# Upper bounds (working days, inclusive) of the distribution's bins, and their figures.
DISTRIBUTION = (
    (1, "acted_in_working_day_1"),
    (2, "acted_in_working_day_2"),
    (3, "acted_in_working_day_3"),
    (5, "acted_in_working_days_4_to_5"),
    (None, "acted_after_working_day_5"),
)
_WORKING_DAY = 24 * _HOUR


def _distribution(sorted_seconds: Sequence[int]) -> dict[str, int]:
    """How many of the (sorted) working times fall in each bin, each bin's end included."""
    counts, below = {}, 0
    for days, name in DISTRIBUTION:
        up_to = (
            len(sorted_seconds)
            if days is None
            else bisect_right(sorted_seconds, days * _WORKING_DAY)
        )
        counts[name], below = up_to - below, up_to
    return counts


def _due_and_on_time(fact: DispatchFact, waiting_for: str) -> tuple[bool, bool]:
    """Whether an answer was owed (a deadline, and an answer or a missed deadline) and
    whether it came by the deadline (at the deadline itself is on time)."""
    if waiting_for == ACKNOWLEDGEMENT:
        deadline, answered = fact.acknowledgement_deadline, fact.answered_at
    else:
        deadline, answered = fact.action_deadline, fact.action_reported_at
    if deadline is None or (answered is None and waiting_for not in fact.missed):
        return False, False
    return True, answered is not None and answered <= deadline


def _late_days(fact: DispatchFact) -> list[int]:
    days = []
    if fact.acknowledged_at is not None:
        days.append(fact.acknowledgement_late_days)
    if fact.action_reported_at is not None:
        days.append(fact.action_late_days)
    return days


def open_escalations(fact: DispatchFact) -> list[str]:
    """The missed deadlines still unanswered on a dispatch that is not closed."""
    if fact.closed_at is not None:
        return []
    answered = {ACKNOWLEDGEMENT: fact.answered_at, ACTION_REPORT: fact.action_reported_at}
    return sorted(kind for kind in fact.missed if answered.get(kind) is None)


def _timed(fact: DispatchFact) -> tuple[tuple[str, int, bool], ...]:
    """The acted-on listings with a working time (a jurisdiction with a calendar)."""
    return tuple(
        (listing.action, *taken)
        for listing in fact.listings
        if listing.action != "no_match"
        for taken in [_taken(fact, listing)]
        if taken is not None
    )


def _taken(fact: DispatchFact, listing: ListingActed) -> tuple[int, bool] | None:
    """Working seconds from receipt to the listing's action, and whether it took effect
    within the Pledge's 2 working days; None where the jurisdiction has no calendar."""
    assert fact.dispatched_at is not None
    try:
        seconds = working_time(fact.dispatched_at, listing.acted_at, fact.jurisdiction)
        window_end = _pledge_window_end(fact.dispatched_at, fact.jurisdiction)
    except UnknownJurisdiction:
        return None
    return seconds // timedelta(seconds=1), listing.acted_at <= window_end


@lru_cache(maxsize=65536)
def _pledge_window_end(dispatched_at: datetime, jurisdiction: str) -> datetime:
    # Many listings share a dispatch, a notice's dispatches share their sending time: its
    # window is counted once. Keyed by the instant (aware datetimes hash by it), as the
    # window is the same whatever zone the instant is written in.
    return add_working_days(dispatched_at, PLEDGE_WORKING_DAYS, jurisdiction)


def _resolution_seconds(fact: DispatchFact) -> tuple[int, ...]:
    return tuple(
        seconds
        for finding in fact.findings.values()
        if finding.recorded_at is not None and finding.resolved_at is not None
        for seconds in [_seconds(fact.jurisdiction, finding.recorded_at, finding.resolved_at)]
        if seconds is not None
    )


def _seconds(jurisdiction: str, start: datetime, end: datetime) -> int | None:
    try:
        return working_time(start, end, jurisdiction) // timedelta(seconds=1)
    except UnknownJurisdiction:
        return None


def _quantile(sorted_values: Sequence[int], share: float) -> int | None:
    """Nearest rank: the smallest value with at least ``share`` of the values at or below."""
    if not sorted_values:
        return None
    return sorted_values[max(0, math.ceil(share * len(sorted_values)) - 1)]


def _hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / _HOUR, 2)


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100 * part / whole, 1)
