"""GET /v1/reports/compliance: who sees what, JSON and CSV, refused queries."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import cast

from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for
from chalicelib.reports import contract
from chalicelib.stores.notices_table import NoticeStore
from tests.api.support import Api, Caller, listing, new_platform, new_regulator, seed_notice, table

HOSTILE = '=HYPERLINK("https://evil.example","click")'


def _dispatched(notice_id: str, platform: Caller, regulator: Caller, at: datetime) -> None:
    """The dispatched event PlanDispatch records (seed_notice runs no workflow)."""
    NoticeStore(table()).append_event(
        TimelineEvent(
            notice_id,
            event_key_for(1, platform.id, "dispatched"),
            EventKind.DISPATCHED,
            at,
            "psx",
            {
                "platform_id": platform.id,
                "regulator_id": regulator.id,
                "jurisdiction": "KR",
                "title": HOSTILE,
                "acknowledgement_deadline": (at + timedelta(days=3)).isoformat(),
                "action_deadline": (at + timedelta(days=6)).isoformat(),
                "agreement": "defaults",
            },
        )
    )


def _notified(notice_id: str, platform: Caller, at: datetime) -> None:
    counts = dict.fromkeys(contract.NOTIFICATION_COUNTS, 2)
    NoticeStore(table()).append_event(
        TimelineEvent(
            notice_id,
            event_key_for(1, platform.id, "notification_completed"),
            cast(EventKind, contract.NOTIFICATION_COMPLETED),
            at,
            "psx",
            {"platform_id": platform.id, "mode": "exchange", "counts": counts},
        )
    )


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


def test_a_regulator_sees_every_platform_on_its_own_notices(api: Api) -> None:
    regulator, other = new_regulator(), new_regulator()
    temu, shein = new_platform(), new_platform()
    now = datetime.now(UTC) - timedelta(minutes=5)
    notice_id = seed_notice(regulator, [temu, shein], at=now)
    for platform in (temu, shein):
        _dispatched(notice_id, platform, regulator, now)
    answered = api.post(f"/v1/notices/{notice_id}/actions", {"listings": [listing()]}, caller=temu)
    assert answered.status == 201, answered.body
    _notified(notice_id, temu, now + timedelta(minutes=1))
    theirs = seed_notice(other, [temu], at=now)
    _dispatched(theirs, temu, other, now)
    # From the day of the seeded events to the day of the answer and the request: one
    # day, unless the test runs across midnight.
    period = {"from": now.date().isoformat(), "to": _today()}

    report = api.get("/v1/reports/compliance", regulator, **period)

    assert report.status == 200, report.body
    totals = {
        r["platform_id"]: r["figures"] for r in report.body["rows"] if r["regulator_id"] == "*"
    }
    assert set(totals) == {temu.id, shein.id}
    assert totals[temu.id]["notices_sent"] == 1  # not the other regulator's notice
    assert totals[temu.id]["listings_acted_on"] == 1
    assert totals[temu.id]["action_reports_on_time_pct"] == 100.0
    assert totals[temu.id]["taken_down_within_2_working_days"] == 1
    assert totals[temu.id]["sellers_notified"] == 2
    assert totals[shein.id]["sellers_notified"] is None  # no event: not available, not 0
    assert totals[shein.id]["findings_missed"] is None

    as_platform = api.get("/v1/reports/compliance", temu, **period)
    assert as_platform.status == 200
    seen = {(r["platform_id"], r["regulator_id"]) for r in as_platform.body["rows"]}
    assert seen == {(temu.id, "*"), (temu.id, regulator.id), (temu.id, other.id)}


def test_csv_neutralises_a_hostile_title_and_marks_missing_figures(api: Api) -> None:
    regulator, temu = new_regulator(), new_platform()
    now = datetime.now(UTC) - timedelta(days=10)
    notice_id = seed_notice(regulator, [temu], at=now)
    _dispatched(notice_id, temu, regulator, now)
    NoticeStore(table()).append_event(
        TimelineEvent(
            notice_id,
            event_key_for(1, temu.id, "missed_acknowledgement"),
            EventKind.DEADLINE_MISSED,
            now + timedelta(days=4),
            "psx",
            {"platform_id": temu.id, "waiting_for": "acknowledgement"},
        )
    )
    start = (now - timedelta(days=1)).date().isoformat()

    answer = api.request(
        "GET",
        f"/v1/reports/compliance?from={start}&to={_today()}",
        regulator,
        {"Accept": "text/csv"},
    )
    body = answer.body if isinstance(answer.body, str) else answer.body.decode()  # type: ignore[union-attr]

    headers = {name.lower(): value for name, value in answer.headers.items()}
    assert headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows[0]["missed_deadlines"] == "1"
    assert rows[0]["escalations_open"] == "1"
    assert rows[0]["sellers_notified"] == "n/a"
    json_answer = api.get("/v1/reports/compliance", regulator, **{"from": start, "to": _today()})
    assert json_answer.body["open_escalations"][0]["title"] == HOSTILE  # JSON keeps it as sent


def test_a_platform_asking_for_another_platform_is_refused(api: Api) -> None:
    temu, shein = new_platform(), new_platform()
    answer = api.get(
        "/v1/reports/compliance", temu, **{"from": _today(), "to": _today(), "platform": shein.id}
    )
    assert answer.status == 403
    assert answer.problem_type == "other-platform"


def test_a_period_that_ends_before_it_starts_is_refused_with_a_pointer(api: Api) -> None:
    regulator = new_regulator()
    answer = api.get(
        "/v1/reports/compliance", regulator, **{"from": "2026-07-02", "to": "2026-07-01"}
    )
    assert answer.status == 400
    assert answer.body["errors"][0]["parameter"] == "to"
    wrong = api.get("/v1/reports/compliance", regulator, **{"from": "1.7.2026", "to": "2026-07-01"})
    assert wrong.status == 400
    assert wrong.body["errors"][0]["parameter"] == "from"


def test_the_dashboard_names_its_files_by_version_and_they_are_kept(api: Api) -> None:
    page = api.raw("GET", "/v1/dashboard/", {}, b"")
    html = page.body.decode()
    version = html.split('src="dashboard.js?v=', 1)[1].split('"', 1)[0]

    assert page.headers["Cache-Control"] == "no-cache"
    assert 'href="dashboard.css?v=' in html and 'src="charts.js?v=' in html
    current = api.raw("GET", f"/v1/dashboard/dashboard.js?v={version}", {}, b"")
    assert current.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert b"sessionStorage" in current.body
    for stale in ("/v1/dashboard/dashboard.js?v=0000000000000000", "/v1/dashboard/dashboard.js"):
        assert api.raw("GET", stale, {}, b"").headers["Cache-Control"] == "no-cache"
