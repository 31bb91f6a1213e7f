"""The figures of a set of dispatches, each defined once in docs/reports.md."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
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


def figures_of(facts: Sequence[DispatchFact]) -> Figures:
    ack_due, ack_on_time = _due_and_on_time(facts, ACKNOWLEDGEMENT)
    action_due, action_on_time = _due_and_on_time(facts, ACTION_REPORT)
    late_days = [days for fact in facts for days in _late_days(fact) if days > 0]
    acted = sum(1 for fact in facts for listing in fact.listings if listing.action != "no_match")
    timed = [timing for fact in facts for timing in _timed(fact)]
    within = sum(1 for action, _, in_window in timed if action in TAKEN_DOWN and in_window)
    action_seconds = sorted(seconds for _, seconds, _ in timed)
    return Figures(
        notices_sent=len(facts),
        acknowledgements_due=ack_due,
        acknowledged_on_time=ack_on_time,
        acknowledged_on_time_pct=_pct(ack_on_time, ack_due),
        action_reports_due=action_due,
        action_reports_on_time=action_on_time,
        action_reports_on_time_pct=_pct(action_on_time, action_due),
        missed_deadlines=sum(len(fact.missed) for fact in facts),
        escalations_open=sum(len(open_escalations(fact)) for fact in facts),
        late_answers=len(late_days),
        late_working_days_total=sum(late_days),
        late_working_days_max=max(late_days) if late_days else None,
        listings_acted_on=acted,
        taken_down_within_2_working_days=within,
        taken_down_within_2_working_days_pct=_pct(within, len(timed)),
        action_working_hours_median=_hours(_quantile(action_seconds, 0.5)),
        action_working_hours_p90=_hours(_quantile(action_seconds, 0.9)),
        **_distribution(action_seconds),
        **_notification_figures(facts),
        **_finding_figures(facts),
    )


# Upper bounds (working days, inclusive) of the distribution's bins, and their figures.
DISTRIBUTION = (
    (1, "acted_in_working_day_1"),
    (2, "acted_in_working_day_2"),
    (3, "acted_in_working_day_3"),
    (5, "acted_in_working_days_4_to_5"),
    (None, "acted_after_working_day_5"),
)
_WORKING_DAY = 24 * _HOUR


def _distribution(seconds: Sequence[int]) -> dict[str, int]:
    counts = dict.fromkeys((name for _, name in DISTRIBUTION), 0)
    for value in seconds:
        name = next(
            name for days, name in DISTRIBUTION if days is None or value <= days * _WORKING_DAY
        )
        counts[name] += 1
    return counts


def _due_and_on_time(facts: Sequence[DispatchFact], waiting_for: str) -> tuple[int, int]:
    """Answers that were owed (a deadline, and an answer or a missed deadline) and the
    ones that came by the deadline (at the deadline itself is on time)."""
    due = on_time = 0
    for fact in facts:
        deadline = (
            fact.acknowledgement_deadline
            if waiting_for == ACKNOWLEDGEMENT
            else fact.action_deadline
        )
        answered = fact.answered_at if waiting_for == ACKNOWLEDGEMENT else fact.action_reported_at
        if deadline is None or (answered is None and waiting_for not in fact.missed):
            continue
        due += 1
        on_time += answered is not None and answered <= deadline
    return due, on_time


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


def _timed(fact: DispatchFact) -> list[tuple[str, int, bool]]:
    """The acted-on listings with a working time (a jurisdiction with a calendar)."""
    if fact.timed_listings is None:
        fact.timed_listings = [
            (listing.action, *taken)
            for listing in fact.listings
            if listing.action != "no_match"
            for taken in [_taken(fact, listing)]
            if taken is not None
        ]
    return fact.timed_listings


def _taken(fact: DispatchFact, listing: ListingActed) -> tuple[int, bool] | None:
    """Working seconds from receipt to the listing's action, and whether it took effect
    within the Pledge's 2 working days; None where the jurisdiction has no calendar."""
    assert fact.dispatched_at is not None
    try:
        seconds = working_time(fact.dispatched_at, listing.acted_at, fact.jurisdiction)
        window_end = _pledge_window_end(fact.dispatched_at.isoformat(), fact.jurisdiction)
    except UnknownJurisdiction:
        return None
    return seconds // timedelta(seconds=1), listing.acted_at <= window_end


@lru_cache(maxsize=65536)
def _pledge_window_end(dispatched_at: str, jurisdiction: str) -> datetime:
    # Many listings share a dispatch: its window is counted once.
    start = datetime.fromisoformat(dispatched_at)
    return add_working_days(start, PLEDGE_WORKING_DAYS, jurisdiction)


def _notification_figures(facts: Sequence[DispatchFact]) -> dict[str, Any]:
    reported = [fact.notification for fact in facts if fact.notification is not None]
    names = {name: name for name in contract.NOTIFICATION_COUNTS}
    names["failed"] = "notifications_failed"
    figures: dict[str, int | None] = {"notifications_reported": len(reported)}
    for count, figure in names.items():
        figures[figure] = sum(counts[count] for counts in reported) if reported else None
    return figures


def _finding_figures(facts: Sequence[DispatchFact]) -> dict[str, Any]:
    findings = [finding for fact in facts for finding in fact.findings.values()]
    recorded = [finding for finding in findings if finding.recorded_at is not None]
    figures: dict[str, int | float | None] = {
        f"findings_{kind}": (sum(1 for f in recorded if f.kind == kind) if findings else None)
        for kind in contract.FINDING_KINDS
    }
    durations = sorted(
        seconds
        for fact in facts
        for finding in fact.findings.values()
        if finding.recorded_at is not None and finding.resolved_at is not None
        for seconds in [_seconds(fact.jurisdiction, finding.recorded_at, finding.resolved_at)]
        if seconds is not None
    )
    resolved = sum(1 for finding in findings if finding.resolved_at is not None)
    figures["findings_resolved"] = resolved if findings else None
    figures["resolution_working_hours_median"] = _hours(_quantile(durations, 0.5))
    return figures


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
