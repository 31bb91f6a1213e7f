"""The report's figures and exports, from occurrences (no AWS)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from chalicelib.notices.timeline import event_key_for
from chalicelib.reports import contract
from chalicelib.reports.exports import to_csv, to_html, to_xlsx
from chalicelib.reports.facts import facts_from
from chalicelib.reports.figures import count_of, figures_of
from chalicelib.reports.occurrences import Occurrence, decode_all, encode, occurrence_of
from chalicelib.reports.report import (
    ALL,
    ComplianceReport,
    Grouping,
    Period,
    Scope,
    compliance_report,
    half_year,
)
from chalicelib.reports.summaries import decode_summary, encode_summary, summarise

HOSTILE = '=HYPERLINK("https://evil.example","click")'
# Friday 2 October 2026, 10:00 in Seoul (01:00 UTC); Monday 5 and Friday 9 are holidays
# in Korea (Chuseok substitute, Hangul day): receipt Friday -> 2 working days later is
# Wednesday 7 October 10:00 KST.
FRIDAY = datetime(2026, 10, 2, 1, 0, tzinfo=UTC)
PERIOD = Period(datetime(2026, 7, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))


def _event(kind: str, at: datetime, platform: str = "temu", **details: Any) -> Occurrence:
    found = occurrence_of(
        "ntc-0123456789abcdef01234567",
        event_key_for(1, platform, kind),
        kind,
        at,
        {"platform_id": platform, **details},
    )
    assert found is not None
    return found


def _dispatched(platform: str = "temu", title: str | None = "Toy") -> Occurrence:
    return _event(
        "dispatched",
        FRIDAY,
        platform,
        regulator_id="kftc",
        jurisdiction="KR",
        title=title,
        acknowledgement_deadline=(FRIDAY + timedelta(days=4)).isoformat(),
        action_deadline=(FRIDAY + timedelta(days=5)).isoformat(),
        agreement="defaults",
    )


def _acted(*listings: tuple[str, datetime]) -> Occurrence:
    return _event(
        "action_report_received",
        max(at for _, at in listings),
        late=False,
        late_working_days=0,
        report={
            "listings": [
                {"listing_id": f"L-{n}", "action": action, "acted_at": at.isoformat()}
                for n, (action, at) in enumerate(listings)
            ]
        },
    )


def _report(*occurrences: Occurrence, group: Grouping | None = None) -> ComplianceReport:
    # Through the log's own encoding, as a report reads them.
    decoded = decode_all(encode(occurrence) for occurrence in occurrences)
    return compliance_report(facts_from(decoded), PERIOD, Scope(), group)


def _totals(report: ComplianceReport, platform: str = "temu") -> dict[str, Any]:
    row = next(
        r
        for r in report.rows
        if r.platform_id == platform and r.regulator_id == ALL and r.bucket == ALL
    )
    return row.figures.as_dict()


def test_the_pledge_kpi_counts_working_days_of_the_jurisdiction() -> None:
    window_end = datetime(2026, 10, 7, 1, 0, tzinfo=UTC)
    figures = _totals(
        _report(
            _dispatched(),
            _acted(
                ("removed", window_end),  # at the end of the window: within
                ("access_disabled", window_end + timedelta(seconds=1)),
                ("warning_shown", FRIDAY + timedelta(hours=1)),  # acted on, not taken down
                ("no_match", FRIDAY + timedelta(hours=1)),  # not acted on
            ),
        )
    )
    assert figures["listings_acted_on"] == 3
    assert figures["taken_down_within_2_working_days"] == 1
    assert figures["taken_down_within_2_working_days_pct"] == 33.3
    # Friday 10:00 -> Wednesday 10:00 KST is 48 working hours (Saturday to Monday do not run).
    assert figures["action_working_hours_median"] == 48.0
    assert figures["action_working_hours_p90"] == 48.0
    assert figures["acted_in_working_day_1"] == 1
    assert figures["acted_in_working_day_2"] == 1
    assert figures["acted_in_working_day_3"] == 1


def test_missing_notification_and_findings_are_not_available_rather_than_zero() -> None:
    figures = _totals(_report(_dispatched()))
    assert figures["sellers_notified"] is None
    assert figures["notifications_reported"] == 0
    assert figures["findings_relisted"] is None
    assert figures["acknowledged_on_time_pct"] is None  # nothing due yet


def test_notification_and_findings_are_counted_by_their_contract_kinds() -> None:
    counts = dict(zip(contract.NOTIFICATION_COUNTS, range(1, 8), strict=True))
    found = FRIDAY + timedelta(days=6)  # Thursday 8 October
    figures = _totals(
        _report(
            _dispatched(),
            _event(contract.NOTIFICATION_COMPLETED, FRIDAY, mode="exchange", counts=counts),
            _event(
                contract.FINDING_RECORDED,
                found,
                finding_id="F-1",
                finding_kind="relisted",
                listing_id="L-1",
            ),
            _event(
                contract.FINDING_RESOLVED,
                found + timedelta(days=1, hours=2),
                finding_id="F-1",
                finding_kind="relisted",
                resolution="removed",
            ),
        )
    )
    assert figures["sellers_notified"] == 1
    assert figures["notifications_failed"] == 4
    assert figures["self_notified_buyers"] == 7
    assert figures["findings_relisted"] == 1
    assert figures["findings_missed"] == 0
    assert figures["findings_resolved"] == 1
    # Thursday 10:00 KST to Friday 12:00, a holiday: the 14 hours left of Thursday.
    assert figures["resolution_working_hours_median"] == 14.0


def test_late_and_missed_answers_and_open_escalations() -> None:
    late_at = FRIDAY + timedelta(days=8)
    report = _report(
        _dispatched(),
        _event("deadline_missed", FRIDAY + timedelta(days=5), waiting_for="acknowledgement"),
        _event("deadline_missed", FRIDAY + timedelta(days=6), waiting_for="action_report"),
        _event("acknowledgement_received", late_at, late=True, late_working_days=2),
        group=Grouping.WEEK,
    )
    figures = _totals(report)
    assert figures["acknowledgements_due"] == 1
    assert figures["acknowledged_on_time_pct"] == 0.0
    assert figures["action_reports_due"] == 1
    assert figures["missed_deadlines"] == 2
    assert figures["escalations_open"] == 1  # the action report is still owed
    assert figures["late_answers"] == 1
    assert figures["late_working_days_max"] == 2
    assert [e.waiting_for for e in report.open_escalations] == ["action_report"]
    assert {row.bucket for row in report.rows} == {ALL, "2026-W40"}


def test_a_closed_dispatch_has_no_open_escalation() -> None:
    report = _report(
        _dispatched(),
        _event("deadline_missed", FRIDAY + timedelta(days=5), waiting_for="acknowledgement"),
        _event("closed", FRIDAY + timedelta(days=6), by_version=2),
    )
    assert _totals(report)["escalations_open"] == 0
    assert report.open_escalations == []


def test_a_scope_sees_only_its_own() -> None:
    occurrences = [_dispatched("temu"), _dispatched("shein")]
    decoded = decode_all(encode(o) for o in occurrences)
    mine = compliance_report(facts_from(decoded), PERIOD, Scope(platform_id="shein"), None)
    assert {row.platform_id for row in mine.rows} == {"shein"}
    other = compliance_report(facts_from(decoded), PERIOD, Scope(regulator_id="ftc"), None)
    assert other.rows == []


def test_exports_neutralise_formula_injection() -> None:
    report = _report(
        _dispatched(title=HOSTILE),
        _event("deadline_missed", FRIDAY + timedelta(days=5), waiting_for="acknowledgement"),
    )
    book = load_workbook(io.BytesIO(to_xlsx(report)))
    titles = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert titles, "the escalation's title is in the summary"
    for cell in titles:
        assert cell.data_type == "s"
        assert cell.value == "'" + HOSTILE
    assert [sheet.title for sheet in book.worksheets] == ["Summary", "temu"]
    page = to_html(report, "Report")
    assert HOSTILE not in page and "&#x27;=HYPERLINK(&quot;" in page
    assert "<script" not in page and "http" not in page.replace("https://evil.example", "")
    lines = list(csv.reader(io.StringIO(to_csv(report))))
    assert all(
        not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for line in lines for cell in line
    )


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"])
def test_every_formula_start_is_neutralised(text: str) -> None:
    from chalicelib.reports.exports import safe_cell

    assert safe_cell(text) == "'" + text
    assert safe_cell(-1) == -1  # a number stays a number


def test_half_years() -> None:
    assert half_year("2026-H2") == Period(
        datetime(2026, 7, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )
    with pytest.raises(ValueError, match="YYYY-H1"):
        half_year("2026-Q3")


def test_events_no_figure_counts_leave_no_occurrence() -> None:
    assert (
        occurrence_of("ntc-x", "v000001#temu#w", "webhook_delivered", FRIDAY, {"platform_id": "t"})
        is None
    )


def _dispatch_of(notice_id: str, sent: datetime, *, late: bool, finding: bool) -> list[Occurrence]:
    def event(kind: str, at: datetime, *parts: str, **details: Any) -> Occurrence:
        key = event_key_for(1, "temu", *parts)
        found = occurrence_of(notice_id, key, kind, at, {"platform_id": "temu", **details})
        assert found is not None
        return found

    answered = sent + timedelta(days=6 if late else 1)
    listing = {"listing_id": "L-0", "action": "removed", "acted_at": answered.isoformat()}
    found = [
        event(
            "dispatched",
            sent,
            "dispatched",
            regulator_id="kftc",
            jurisdiction="KR",
            title="Toy",
            acknowledgement_deadline=(sent + timedelta(days=2)).isoformat(),
            action_deadline=(sent + timedelta(days=3)).isoformat(),
        ),
        event(
            "action_report_received",
            answered,
            "action_report",
            late_working_days=3 if late else 0,
            report={"listings": [listing]},
        ),
    ]
    if finding:
        found.append(
            event(
                contract.FINDING_RECORDED,
                answered,
                "finding",
                "F-1",
                finding_id="F-1",
                finding_kind="missed",
            )
        )
    return found


def test_a_summarised_month_adds_up_to_the_same_figures_and_a_dispatch_comes_off_again() -> None:
    occurrences = [
        occurrence
        for n in range(6)
        for occurrence in _dispatch_of(
            f"ntc-{n:024x}", FRIDAY + timedelta(hours=n), late=n % 2 == 0, finding=n == 3
        )
    ]
    counted = [count_of(fact) for fact in facts_from(occurrences)]
    summary = decode_summary(encode_summary(summarise(occurrences, [], lambda o: "here")))

    [cell] = summary.cells
    assert cell.total.figures() == figures_of(counted)
    found = summary.find(("ntc-" + f"{3:024x}", 1, "temu"))
    assert found is not None and found[0] == 0
    cell.total.add(found[1].counted, -1)
    without = [c for c in counted if c != found[1].counted]
    assert len(without) == 5 and cell.total.figures() == figures_of(without)
    assert cell.total.figures().findings_missed is None  # n/a again, not 0


def test_a_found_elsewhere_finding_counts_on_the_platform_it_was_found_on() -> None:
    # Sent to temu only; an audit of shein finds the product a week later, on Friday 9
    # October (Hangul day, a holiday in Korea), resolved Monday 12 October 10:00 KST: 10
    # working hours in the notice's jurisdiction.
    found = FRIDAY + timedelta(days=7)
    elsewhere = {"finding_id": "F-9", "finding_kind": contract.FOUND_ELSEWHERE}
    occurrences = [
        _dispatched("temu"),
        _event(
            contract.FINDING_RECORDED,
            found,
            "shein",
            listing_id="L-1",
            regulator_id="kftc",
            jurisdiction="KR",
            **elsewhere,
        ),
        _event(
            contract.FINDING_RESOLVED,
            found + timedelta(days=3),
            "shein",
            resolution="removed",
            **elsewhere,
        ),
    ]
    decoded = decode_all(encode(o) for o in occurrences)
    report = _report(*occurrences, group=Grouping.WEEK)
    shein = _totals(report, "shein")
    assert shein["notices_sent"] == 0
    assert shein["findings_found_elsewhere"] == 1
    assert shein["findings_resolved"] == 1
    assert shein["resolution_working_hours_median"] == 10.0
    assert _totals(report)["findings_found_elsewhere"] is None  # temu's own: none
    weeks = {row.bucket for row in report.rows if row.platform_id == "shein"} - {ALL}
    assert weeks == {"2026-W41"}  # the week it was found, not the week the notice was sent
    for scope in (Scope(regulator_id="kftc"), Scope(platform_id="shein")):
        seen = compliance_report(facts_from(decoded), PERIOD, scope, None)
        assert "shein" in {row.platform_id for row in seen.rows}
    for scope in (Scope(regulator_id="ftc"), Scope(platform_id="temu")):
        seen = compliance_report(facts_from(decoded), PERIOD, scope, None)
        assert "shein" not in {row.platform_id for row in seen.rows}
    later = Period(found + timedelta(days=1), PERIOD.end)
    assert compliance_report(facts_from(decoded), later, Scope(), None).rows == []
