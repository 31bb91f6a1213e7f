"""The report log's month summaries against moto: a report from them equals the report
folded from every occurrence in its months, where a period cuts a day, where a finding
comes months later, and after the log grows (a summary brought up to date is the one
made afresh); a retried event is counted once."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for
from chalicelib.reports import contract
from chalicelib.reports.facts import facts_from
from chalicelib.reports.occurrences import occurrence_of
from chalicelib.reports.report import (
    CLOCKS_AHEAD,
    ComplianceReport,
    Grouping,
    Period,
    Scope,
    compliance_report,
    report_from_log,
)
from chalicelib.reports.summaries import MonthSummary, encode_summary
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.stores.report_log import ReportLog, count_key, location
from psx.embedded.runtime import EmbeddedRuntime

JULY = datetime(2026, 7, 6, 10, 0, tzinfo=UTC)  # a Monday


class Timeline:
    """One regulator's dispatches, landed through the store and kept for the reference."""

    def __init__(self) -> None:
        self.regulator_id = f"reg-{uuid.uuid4().hex[:8]}"
        self.events: list[TimelineEvent] = []
        self._store = NoticeStore(os.environ["PSX_TABLE_NAME"])

    def dispatch(self, sent: datetime, platform: str = "temu") -> str:
        notice_id = f"ntc-{uuid.uuid4().hex[:24]}"
        self.land(
            notice_id,
            platform,
            "dispatched",
            sent,
            "dispatched",
            regulator_id=self.regulator_id,
            jurisdiction="DE",
            title="USB charger",
            acknowledgement_deadline=(sent + timedelta(days=1)).isoformat(),
            action_deadline=(sent + timedelta(days=2)).isoformat(),
        )
        return notice_id

    def land(
        self, notice_id: str, platform: str, kind: str, at: datetime, *parts: str, **details: Any
    ) -> TimelineEvent:
        event = TimelineEvent(
            notice_id,
            event_key_for(1, platform, *parts),
            cast(EventKind, kind),
            at,
            "psx",
            {"platform_id": platform, **details},
        )
        self._store.append_event(event)
        self.events.append(event)
        return event

    def report(self, period: Period, now: datetime) -> ComplianceReport:
        scope = Scope(regulator_id=self.regulator_id)
        log = ReportLog(os.environ["PSX_TABLE_NAME"])
        return report_from_log(log, period, scope, Grouping.WEEK, now)

    def reference(self, period: Period, now: datetime) -> ComplianceReport:
        """Every occurrence in the report's months folded at once (no summary)."""
        first = (period.start.year, period.start.month)
        end = max(period.end, now) + CLOCKS_AHEAD
        occurrences = [
            occurrence
            for e in self.events
            if first <= (e.at.year, e.at.month) <= (end.year, end.month)
            for occurrence in [occurrence_of(e.notice_id, e.event_key, e.kind, e.at, e.details)]
            if occurrence is not None
        ]
        scope = Scope(regulator_id=self.regulator_id)
        return compliance_report(facts_from(occurrences), period, scope, Grouping.WEEK)


def _answered(timeline: Timeline, notice_id: str, at: datetime) -> None:
    timeline.land(notice_id, "temu", "acknowledgement_received", at, "acknowledgement")
    listing = {"listing_id": "L-1", "action": "removed", "acted_at": at.isoformat()}
    timeline.land(
        notice_id,
        "temu",
        "action_report_received",
        at,
        "action_report",
        late_working_days=0,
        report={"listings": [listing]},
    )


def test_a_period_that_cuts_a_day_counts_its_dispatches_one_by_one(
    runtime: EmbeddedRuntime,
) -> None:
    timeline = Timeline()
    for hours in (0, 4, 24):  # 10:00 and 14:00 the same day, and the next day
        notice_id = timeline.dispatch(JULY + timedelta(hours=hours))
        _answered(timeline, notice_id, JULY + timedelta(hours=hours + 3))
    period = Period(JULY + timedelta(hours=2), JULY + timedelta(days=30))
    now = JULY + timedelta(days=40)

    first, again = timeline.report(period, now), timeline.report(period, now)

    assert first == again == timeline.reference(period, now)
    assert first.rows[0].figures.notices_sent == 2


def test_a_finding_months_later_and_a_new_event_change_the_report(
    runtime: EmbeddedRuntime,
) -> None:
    timeline = Timeline()
    late = timeline.dispatch(datetime(2026, 7, 30, 22, 0, tzinfo=UTC))
    _answered(timeline, late, datetime(2026, 8, 3, 9, 0, tzinfo=UTC))  # the next month
    early = timeline.dispatch(JULY)
    _answered(timeline, early, JULY + timedelta(hours=5))
    finding = {"finding_id": "F-1", "finding_kind": "relisted"}
    october = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
    timeline.land(early, "temu", contract.FINDING_RECORDED, october, "finding", "F-1", **finding)
    period = Period(datetime(2026, 7, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC))
    now = datetime(2026, 11, 2, tzinfo=UTC)

    before = timeline.report(period, now)
    assert before == timeline.report(period, now) == timeline.reference(period, now)
    assert before.rows[0].figures.findings_relisted == 1
    assert before.rows[0].figures.findings_resolved == 0

    resolved = october + timedelta(days=1)
    timeline.land(
        early, "temu", contract.FINDING_RESOLVED, resolved, "finding", "F-1", "resolved",
        resolution="removed", **finding,
    )  # fmt: skip
    timeline.land(late, "temu", "closed", datetime(2026, 8, 4, tzinfo=UTC), "closed")
    after = timeline.report(period, now)

    assert after == timeline.reference(period, now)
    assert after.rows[0].figures.findings_resolved == 1


def test_a_retried_event_is_kept_and_counted_once(runtime: EmbeddedRuntime) -> None:
    timeline = Timeline()
    notice_id = timeline.dispatch(datetime(2031, 3, 2, 9, 0, tzinfo=UTC))  # a month of its own
    event = timeline.events[-1]
    NoticeStore(os.environ["PSX_TABLE_NAME"]).append_event(event)  # a retried step
    db, table = runtime.client("dynamodb"), os.environ["PSX_TABLE_NAME"]
    occurrence = occurrence_of(notice_id, event.event_key, event.kind, event.at, event.details)
    assert occurrence is not None
    log_key = location(occurrence)

    def n(key: dict[str, str]) -> str:
        item = db.get_item(TableName=table, Key={k: {"S": v} for k, v in key.items()})["Item"]
        return str(item["n"]["N"])

    assert n(log_key) == n(count_key(log_key)) == "1"


def test_a_summary_brought_up_to_date_is_the_one_made_afresh(runtime: EmbeddedRuntime) -> None:
    """Events landing after a month's summary was made (in the month and the next: a new
    dispatch, one whose answer came before its dispatched event, an answer in the next
    month, an escalation answered, a deadline newly missed, one that empties its cell):
    the summary the next report brings up to date encodes exactly as the one made afresh
    from the whole log."""
    timeline = Timeline()
    may = datetime(2032, 5, 10, 9, 0, tzinfo=UTC)  # months of this test's own
    answered = timeline.dispatch(may)
    _answered(timeline, answered, may + timedelta(hours=3))
    waiting = timeline.dispatch(datetime(2032, 5, 30, 9, 0, tzinfo=UTC))
    lonely = timeline.dispatch(datetime(2032, 5, 25, 9, 0, tzinfo=UTC))  # a cell of its own
    escalated = timeline.dispatch(may + timedelta(days=2))
    missed = may + timedelta(days=3)
    timeline.land(escalated, "temu", "deadline_missed", missed, "missed_acknowledgement",
                  waiting_for="acknowledgement")  # fmt: skip
    early = f"ntc-{uuid.uuid4().hex[:24]}"  # its answer lands before its dispatched event
    timeline.land(early, "temu", "acknowledgement_received", may + timedelta(days=5),
                  "acknowledgement", late_working_days=0)  # fmt: skip
    period = Period(datetime(2032, 5, 1, tzinfo=UTC), datetime(2032, 6, 1, tzinfo=UTC))
    now = datetime(2032, 6, 20, tzinfo=UTC)
    assert timeline.report(period, now) == timeline.reference(period, now)

    _answered(timeline, waiting, datetime(2032, 6, 2, 9, 0, tzinfo=UTC))
    timeline.land(escalated, "temu", "acknowledgement_received", missed + timedelta(hours=1),
                  "acknowledgement", late_working_days=1)  # fmt: skip
    timeline.land(early, "temu", "dispatched", may + timedelta(days=4), "dispatched",
                  regulator_id=timeline.regulator_id, jurisdiction="DE", title="Kettle",
                  acknowledgement_deadline=(may + timedelta(days=6)).isoformat())  # fmt: skip
    timeline.land(answered, "temu", "deadline_missed", may + timedelta(days=2),
                  "missed_action_report", waiting_for="action_report")  # fmt: skip
    timeline.dispatch(datetime(2032, 5, 20, 9, 0, tzinfo=UTC), platform="shein")
    timeline.land(lonely, "temu", "deadline_missed", datetime(2032, 5, 26, 9, 0, tzinfo=UTC),
                  "missed_acknowledgement", waiting_for="acknowledgement")  # fmt: skip

    assert timeline.report(period, now) == timeline.reference(period, now)
    log = ReportLog(os.environ["PSX_TABLE_NAME"])
    brought_up_to_date = encode_summary(_may(log))
    db, table = runtime.client("dynamodb"), os.environ["PSX_TABLE_NAME"]
    for item in db.query(
        TableName=table,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "REPORTSUM#2032-05"}},
    )["Items"]:
        db.delete_item(TableName=table, Key={"PK": item["PK"], "SK": item["SK"]})
    assert encode_summary(_may(log)) == brought_up_to_date


def _may(log: ReportLog) -> MonthSummary:
    may = datetime(2032, 5, 1, tzinfo=UTC)
    ((month, summary),) = log.summaries(may, may)
    assert month == "2032-05"
    return summary
