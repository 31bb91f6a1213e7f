"""The report log against moto: the figures from the log agree exactly with a
brute-force recomputation from the timelines, whatever the order events land in and
however often a step is retried."""

from __future__ import annotations

import math
import os
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.deadlines.working_days import (
    UnknownJurisdiction,
    add_working_days,
    working_days_late,
    working_time,
)
from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for
from chalicelib.reports import contract
from chalicelib.reports.occurrences import occurrence_of
from chalicelib.reports.report import ALL, Grouping, Period, Scope, bucket_of, report_from_log
from chalicelib.stores.dynamodb_items import to_attributes
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.stores.report_log import ReportLog, count_key, location, shard_of
from psx.embedded.runtime import EmbeddedRuntime

START = datetime(2026, 7, 1, tzinfo=UTC)
PLATFORMS = ("temu", "aliexpress", "shein")
JURISDICTIONS = ("KR", "DE", "US", "EU", "ZZ")  # ZZ: no working-day calendar
LISTING_ACTIONS = ("removed", "access_disabled", "warning_shown", "no_match")

offsets = st.integers(min_value=0, max_value=60 * 24 * 9)  # minutes, up to 9 days


@st.composite
def dispatch_timelines(draw: st.DrawFn, regulator_id: str) -> list[TimelineEvent]:
    """The counted events of one dispatch, as the lifecycle and its successors record them."""
    notice_id = f"ntc-{uuid.uuid4().hex[:24]}"
    version = draw(st.integers(1, 2))
    platform = draw(st.sampled_from(PLATFORMS))
    jurisdiction = draw(st.sampled_from(JURISDICTIONS))
    sent = START + timedelta(minutes=draw(st.integers(0, 60 * 24 * 50)))
    calendar = jurisdiction != "ZZ"
    ack_deadline = add_working_days(sent, 1, jurisdiction) if calendar else None
    action_deadline = (
        add_working_days(sent, draw(st.integers(1, 3)), jurisdiction) if calendar else None
    )

    def event(kind: str, at: datetime, *parts: str, **details: Any) -> TimelineEvent:
        key = event_key_for(version, platform, *parts)
        return TimelineEvent(
            notice_id, key, cast(EventKind, kind), at, "psx", {"platform_id": platform, **details}
        )

    events = [
        event(
            "dispatched",
            sent,
            "dispatched",
            regulator_id=regulator_id,
            jurisdiction=jurisdiction,
            title=draw(st.sampled_from([None, '=HYPERLINK("x")', "USB charger"])),
            acknowledgement_deadline=ack_deadline.isoformat() if ack_deadline else None,
            action_deadline=action_deadline.isoformat() if action_deadline else None,
            agreement="defaults",
        )
    ]
    for kind, deadline in (("acknowledgement", ack_deadline), ("action_report", action_deadline)):
        answer = draw(st.sampled_from(["none", "answered", "missed", "missed_then_late"]))
        if deadline is None and answer.startswith("missed"):
            answer = "none"
        if answer.startswith("missed"):
            assert deadline is not None
            events.append(
                event(
                    "deadline_missed",
                    deadline + timedelta(minutes=15),
                    f"missed_{kind}",
                    waiting_for=kind,
                    deadline=deadline.isoformat(),
                )
            )
        if answer in {"answered", "missed_then_late"}:
            at = sent + timedelta(minutes=draw(offsets))
            if answer == "missed_then_late":
                assert deadline is not None
                at = max(at, deadline + timedelta(minutes=20))
            late = working_days_late(deadline, at, jurisdiction) if deadline else 0
            details: dict[str, Any] = {"late": late > 0, "late_working_days": late}
            if kind == "action_report":
                listings = draw(
                    st.lists(st.tuples(st.sampled_from(LISTING_ACTIONS), offsets), max_size=3)
                )
                details["report"] = {
                    "listings": [
                        {
                            "listing_id": f"L-{n}",
                            "action": action,
                            "acted_at": (sent + timedelta(minutes=minutes)).isoformat(),
                        }
                        for n, (action, minutes) in enumerate(listings)
                    ]
                }
            events.append(event(f"{kind}_received", at, kind, **details))
    if draw(st.booleans()):
        events.append(event("closed", sent + timedelta(days=3), "closed", by_version=version + 1))
    if draw(st.booleans()):
        counts = draw(st.lists(st.integers(0, 50), min_size=7, max_size=7))
        events.append(
            event(
                contract.NOTIFICATION_COMPLETED,
                sent + timedelta(days=4),
                "notification_completed",
                mode=draw(st.sampled_from(["exchange", "platform"])),
                counts=dict(zip(contract.NOTIFICATION_COUNTS, counts, strict=True)),
            )
        )
    for n in range(draw(st.integers(0, 2))):
        finding_kind = draw(st.sampled_from(contract.FINDING_KINDS))
        found = sent + timedelta(days=5, minutes=draw(offsets))
        common: dict[str, Any] = {"finding_id": f"F-{n}", "finding_kind": finding_kind}
        notice: dict[str, Any] = {}
        if finding_kind == contract.FOUND_ELSEWHERE:
            # On a platform the notice was not sent to: the audit names the notice's own.
            others = [other for other in PLATFORMS if other != platform]
            common["platform_id"] = draw(st.sampled_from(others))
            notice = {"regulator_id": regulator_id, "jurisdiction": jurisdiction}
        events.append(
            event(
                contract.FINDING_RECORDED,
                found,
                "finding",
                f"F-{n}",
                listing_id="L-0",
                **common,
                **notice,
            )
        )
        if draw(st.booleans()):
            resolved = found + timedelta(minutes=draw(offsets))
            events.append(
                event(
                    contract.FINDING_RESOLVED,
                    resolved,
                    "finding",
                    f"F-{n}",
                    "resolved",
                    resolution="removed",
                    **common,
                )
            )
    return events


Key = tuple[str, int, str]


def _key(e: TimelineEvent) -> Key:
    return (e.notice_id, e.version, e.details["platform_id"])


def _seconds(jurisdiction: str, start: datetime, end: datetime) -> int | None:
    try:
        return int(working_time(start, end, jurisdiction).total_seconds())
    except UnknownJurisdiction:
        return None


def _brute_force(events: list[TimelineEvent]) -> dict[str, Any]:
    """Every figure, straight from the timeline events (docs/reports.md)."""
    sent = {_key(e): e for e in events if e.kind == "dispatched"}
    of: dict[Key, list[TimelineEvent]] = defaultdict(list)
    for e in events:
        of[_key(e)].append(e)
    return {
        "notices_sent": len(sent),
        **_answers(sent, of),
        **_escalations(events, of),
        **_listings(sent, of),
        **_notifications(events),
        **_findings(events, sent),
    }


def _answers(sent: dict[Key, TimelineEvent], of: dict[Key, list[TimelineEvent]]) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name, kinds, prefix, due_name, waiting_for in (
        (
            "acknowledgement_deadline",
            {"acknowledgement_received", "action_report_received"},
            "acknowledged",
            "acknowledgements_due",
            "acknowledgement",
        ),
        (
            "action_deadline",
            {"action_report_received"},
            "action_reports",
            "action_reports_due",
            "action_report",
        ),
    ):
        due = on_time = 0
        for key, dispatched in sent.items():
            text = dispatched.details[name]
            answers = [e.at for e in of[key] if e.kind in kinds]
            missed = any(
                e.kind == "deadline_missed" and e.details["waiting_for"] == waiting_for
                for e in of[key]
            )
            if text is None or not (answers or missed):
                continue
            due += 1
            on_time += bool(answers) and min(answers) <= datetime.fromisoformat(text)
        figures[due_name] = due
        figures[f"{prefix}_on_time"] = on_time
        figures[f"{prefix}_on_time_pct"] = round(100 * on_time / due, 1) if due else None
    return figures


def _escalations(events: list[TimelineEvent], of: dict[Key, list[TimelineEvent]]) -> dict[str, Any]:
    missed = [e for e in events if e.kind == "deadline_missed"]
    still_open = 0
    for e in missed:
        kinds = {"action_report_received"}
        if e.details["waiting_for"] == "acknowledgement":
            kinds.add("acknowledgement_received")
        answered = any(x.kind in kinds for x in of[_key(e)])
        closed = any(x.kind == "closed" for x in of[_key(e)])
        still_open += not answered and not closed
    late = [
        e.details["late_working_days"]
        for e in events
        if e.kind in {"acknowledgement_received", "action_report_received"}
        and e.details["late_working_days"] > 0
    ]
    return {
        "missed_deadlines": len(missed),
        "escalations_open": still_open,
        "late_answers": len(late),
        "late_working_days_total": sum(late),
        "late_working_days_max": max(late) if late else None,
    }


def _listings(sent: dict[Key, TimelineEvent], of: dict[Key, list[TimelineEvent]]) -> dict[str, Any]:
    acted = within = 0
    durations = []
    for key, dispatched in sent.items():
        jurisdiction = dispatched.details["jurisdiction"]
        for report in (e for e in of[key] if e.kind == "action_report_received"):
            for listing in report.details["report"]["listings"]:
                if listing["action"] == "no_match":
                    continue
                acted += 1
                acted_at = datetime.fromisoformat(listing["acted_at"])
                took = _seconds(jurisdiction, dispatched.at, acted_at)
                # No calendar, no working time: even an action before receipt (which
                # working_time counts as 0 without asking for the calendar).
                if took is None or jurisdiction == "ZZ":
                    continue
                durations.append(took)
                end = add_working_days(dispatched.at, 2, jurisdiction)
                within += listing["action"] in {"removed", "access_disabled"} and acted_at <= end
    day = 24 * 3600
    return {
        "listings_acted_on": acted,
        "taken_down_within_2_working_days": within,
        "taken_down_within_2_working_days_pct": (
            round(100 * within / len(durations), 1) if durations else None
        ),
        "action_working_hours_median": _rank(durations, 0.5),
        "action_working_hours_p90": _rank(durations, 0.9),
        "acted_in_working_day_1": sum(1 for d in durations if d <= day),
        "acted_in_working_day_2": sum(1 for d in durations if day < d <= 2 * day),
        "acted_in_working_day_3": sum(1 for d in durations if 2 * day < d <= 3 * day),
        "acted_in_working_days_4_to_5": sum(1 for d in durations if 3 * day < d <= 5 * day),
        "acted_after_working_day_5": sum(1 for d in durations if d > 5 * day),
    }


def _notifications(events: list[TimelineEvent]) -> dict[str, Any]:
    notified = [e for e in events if e.kind == contract.NOTIFICATION_COMPLETED]
    figures: dict[str, Any] = {"notifications_reported": len(notified)}
    for count in contract.NOTIFICATION_COUNTS:
        name = "notifications_failed" if count == "failed" else count
        figures[name] = sum(e.details["counts"][count] for e in notified) if notified else None
    return figures


def _findings(events: list[TimelineEvent], sent: dict[Key, TimelineEvent]) -> dict[str, Any]:
    recorded = [e for e in events if e.kind == contract.FINDING_RECORDED]
    resolved = {
        (*_key(e), e.details["finding_id"]): e
        for e in events
        if e.kind == contract.FINDING_RESOLVED
    }
    any_finding = bool(recorded or resolved)  # else: not available
    figures: dict[str, Any] = {
        f"findings_{kind}": (
            sum(1 for e in recorded if e.details["finding_kind"] == kind) if any_finding else None
        )
        for kind in contract.FINDING_KINDS
    }
    figures["findings_resolved"] = len(resolved) if any_finding else None
    waits = []
    for e in recorded:
        done = resolved.get((*_key(e), e.details["finding_id"]))
        notice = e.details if _elsewhere(e) else sent[_key(e)].details
        took = done and _seconds(notice["jurisdiction"], e.at, done.at)
        if took is not None and done is not None:
            waits.append(took)
    figures["resolution_working_hours_median"] = _rank(waits, 0.5)
    return figures


def _elsewhere(e: TimelineEvent) -> bool:
    return e.details.get("finding_kind") == contract.FOUND_ELSEWHERE


def _counted_on(
    platform: str, dispatches: list[list[TimelineEvent]], period: Period
) -> list[tuple[datetime, list[TimelineEvent]]]:
    """What the platform's rows count, each with the time that picks its row: a dispatch
    to it (when it was sent), a found_elsewhere finding on it found in the period (when)."""
    counted = []
    for timeline in dispatches:
        if timeline[0].details["platform_id"] == platform:
            counted.append((timeline[0].at, [e for e in timeline if not _elsewhere(e)]))
        for e in timeline:
            here = e.details["platform_id"] == platform and _elsewhere(e)
            if here and e.kind == contract.FINDING_RECORDED and period.holds(e.at):
                finding = [x for x in timeline if _elsewhere(x) and _key(x) == _key(e)]
                same = e.details["finding_id"]
                counted.append((e.at, [x for x in finding if x.details["finding_id"] == same]))
    return counted


def _rank(values: list[int], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)] / 3600, 2)


def _land(store: NoticeStore, events: list[TimelineEvent], data: st.DataObject) -> None:
    """Record ``events`` in order, one at a time or a few together (as a plan records
    its dispatches): a group may repeat an event, or hold one kept before."""
    while events:
        size = data.draw(st.integers(1, 4))
        store.append_events(events[:size])
        events = events[size:]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_figures_from_the_log_agree_with_the_timelines(
    runtime: EmbeddedRuntime, data: st.DataObject
) -> None:
    table = os.environ["PSX_TABLE_NAME"]
    regulator_id = f"reg-{uuid.uuid4().hex[:8]}"  # examples share the table: one each
    dispatches = data.draw(st.lists(dispatch_timelines(regulator_id), min_size=1, max_size=6))
    events = [event for timeline in dispatches for event in timeline]
    # Land in any order, some recorded twice (a retried step), alone or together.
    landing = data.draw(
        st.permutations(events + data.draw(st.lists(st.sampled_from(events), max_size=4)))
    )
    store = NoticeStore(table)
    period = Period(START, START + timedelta(days=60))
    # A report in between leaves summaries of the log so far: the next brings them up to
    # date with what landed since (ReportLog's update), instead of summarising again.
    cut = data.draw(st.integers(0, len(landing)))
    _land(store, landing[:cut], data)
    report_from_log(ReportLog(table), period, Scope(regulator_id=regulator_id), None, START)
    _land(store, landing[cut:], data)
    report = report_from_log(
        ReportLog(table),
        period,
        Scope(regulator_id=regulator_id),
        Grouping.WEEK,
        START + timedelta(days=90),
    )
    again = report_from_log(
        ReportLog(table), period, Scope(regulator_id=regulator_id), Grouping.WEEK, START
    )
    assert again.rows == report.rows  # from the snapshots the first report left
    by_key = {
        (row.platform_id, row.regulator_id, row.bucket): row.figures.as_dict()
        for row in report.rows
    }
    expected: dict[tuple[str, str, str], dict[str, Any]] = {}
    for platform in PLATFORMS:
        own = _counted_on(platform, dispatches, period)
        if not own:
            continue
        expected[(platform, ALL, ALL)] = _brute_force([e for _, t in own for e in t])
        expected[(platform, regulator_id, ALL)] = expected[(platform, ALL, ALL)]
        weeks = defaultdict(list)
        for at, t in own:
            weeks[bucket_of(at, Grouping.WEEK)].extend(t)
        for week, week_events in weeks.items():
            expected[(platform, ALL, week)] = _brute_force(week_events)
    assert by_key == expected


def _dispatched_everywhere(at: datetime) -> list[TimelineEvent]:
    """A notice's ``dispatched`` events, one per platform, as one plan records them."""
    notice_id = f"ntc-{uuid.uuid4().hex[:24]}"
    return [
        TimelineEvent(
            notice_id,
            event_key_for(1, platform, "dispatched"),
            EventKind.DISPATCHED,
            at,
            "psx",
            {"platform_id": platform, "regulator_id": "kftc", "jurisdiction": "KR"},
        )
        for platform in PLATFORMS
    ]


def _log_item_and_count(table: str, event: TimelineEvent) -> tuple[set[str], int, int]:
    """The entries and ``n`` of the log item ``event`` is kept in, and its count item's."""
    occurrence = occurrence_of(
        event.notice_id, event.event_key, event.kind, event.at, event.details
    )
    assert occurrence is not None
    key = location(occurrence)
    db = boto3.client("dynamodb")
    log = db.get_item(TableName=table, Key=to_attributes(key), ConsistentRead=True)["Item"]
    counted = db.get_item(TableName=table, Key=to_attributes(count_key(key)), ConsistentRead=True)
    return set(log["entries"]["SS"]), int(log["n"]["N"]), int(counted["Item"]["n"]["N"])


def test_events_recorded_together_are_kept_in_one_write_and_each_once(
    runtime: EmbeddedRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    table = os.environ["PSX_TABLE_NAME"]
    store = NoticeStore(table)
    at = START + timedelta(days=400)  # a day no other test keeps events on
    first, second = _dispatched_everywhere(at), _dispatched_everywhere(at)
    while shard_of(second[0].notice_id) != shard_of(first[0].notice_id):
        second = _dispatched_everywhere(at)
    transactions: list[int] = []
    original = ReportLog._kept_together

    def counted(log: ReportLog, key: dict[str, str], entries: list[str]) -> bool:
        transactions.append(len(entries))
        return original(log, key, entries)

    monkeypatch.setattr(ReportLog, "_kept_together", counted)

    assert store.append_events(first) == [True, True, True]
    assert transactions == [3]
    # Again, a repeat in the batch, and one kept already beside two new ones (a plan
    # retried after a crash): each kept once, the new ones too.
    assert store.append_events([*first, first[0]]) == [False] * 4
    assert store.append_events(second[:1]) == [True]
    assert store.append_events(second) == [False, True, True]

    entries, n, count = _log_item_and_count(table, first[0])
    assert len(entries) == n == count == 6
    # Together first; one at a time where a batch held one kept already.
    assert transactions == [3, 3, 1, 1, 1, 1, 3, 1, 1, 1]
