"""Compliance report benchmarks (not tests).

    .venv/bin/python -m bench.reports [--notices 100000] [--platforms 3] [--skip-dashboard]

1. A year's compliance report over ``--notices`` notices sent to ``--platforms``
   platforms, embedded (moto): the report log is filled with the occurrences those
   dispatches leave (dispatched, acknowledgement, action report with one listing; one in
   ten misses a deadline), written as the store lays them out (log items and count
   items), then ``report_from_log`` is timed three times: the first reads every log item
   whole and leaves the snapshots and the month summaries, the next ones read the counts
   and the summaries. Goal: <= 5 s CPU.
2. The dashboard's first load on the demo's data, in headless Chromium: from navigation
   to the figures shown after sign-in. Goal: <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from psx.embedded.runtime import EmbeddedRuntime

YEAR = datetime(2026, 1, 1, tzinfo=UTC)
JURISDICTIONS = ("KR", "DE", "FR", "NL", "US", "EU")
BATCH = 25  # BatchWriteItem's limit
# This bench at earlier commits, same machine, 2 shared cores (wall times swing with the
# other work on it, CPU times less). Printed beside a run. 02e6f34: before each dispatch's
# contribution was worked out once for all its rows and the cyclic GC paused while a report
# is built; 8ee1fde: before working time counted whole days by date (load average ~7);
# 2908d05: before the count items and the month summaries (load average ~1); 4309e2d:
# before a stale summary was brought up to date rather than made again (load ~1-8).
BEFORE = {
    "4309e2d": {
        100_000: {
            "report_seconds_after_an_event_last_and_mid_month": [7.62, 9.96],
            "report_cpu_seconds_after_an_event": [7.54, 9.88],
        },
    },
    "02e6f34": {
        20_000: {"report_seconds": [24.07, 18.55], "report_cpu_seconds": [6.31, 6.69]},
        100_000: {"report_seconds": [77.81, 53.58], "report_cpu_seconds": [33.58, 27.55]},
    },
    "8ee1fde": {
        20_000: {
            "report_seconds": [9.24, 8.96, 6.81, 7.98],
            "report_cpu_seconds": [5.23, 4.83, 4.3, 5.14],
        },
    },
    "2908d05": {
        20_000: {"report_seconds": [3.73, 5.0], "report_cpu_seconds": [3.52, 3.75]},
    },
}


def _occurrences(notices: int, platforms: int) -> list[Any]:
    from chalicelib.deadlines.working_days import add_working_days
    from chalicelib.notices.timeline import event_key_for
    from chalicelib.reports.occurrences import occurrence_of

    rng = random.Random(13)
    found = []
    for n in range(notices):
        notice_id = f"ntc-{n:024x}"
        jurisdiction = JURISDICTIONS[n % len(JURISDICTIONS)]
        sent = YEAR + timedelta(seconds=rng.randrange(360 * 86400))
        ack_deadline = add_working_days(sent, 1, jurisdiction)
        action_deadline = add_working_days(sent, 2, jurisdiction)
        for p in range(platforms):
            platform = f"platform-{p}"

            def add(
                kind: str,
                at: datetime,
                part: str,
                notice_id: str = notice_id,
                platform: str = platform,
                **details: Any,
            ) -> None:
                key = event_key_for(1, platform, part)
                occurrence = occurrence_of(
                    notice_id, key, kind, at, {"platform_id": platform, **details}
                )
                found.append(occurrence)

            add(
                "dispatched",
                sent,
                "dispatched",
                regulator_id=f"reg-{n % 4}",
                jurisdiction=jurisdiction,
                title=f"Notice {n}",
                acknowledgement_deadline=ack_deadline.isoformat(),
                action_deadline=action_deadline.isoformat(),
            )
            answered = sent + timedelta(minutes=rng.randrange(60, 4 * 1440))
            if rng.random() < 0.1:
                add(
                    "deadline_missed",
                    action_deadline,
                    "missed_action_report",
                    waiting_for="action_report",
                )
            add("acknowledgement_received", answered, "acknowledgement", late_working_days=0)
            listing = {"listing_id": "L-1", "action": "removed", "acted_at": answered.isoformat()}
            add(
                "action_report_received",
                answered,
                "action_report",
                late_working_days=0,
                report={"listings": [listing]},
            )
    return found


def _fill_log(db: Any, table: str, occurrences: list[Any]) -> int:
    """The log items and the count items the store would have written for these
    occurrences."""
    from chalicelib.reports.occurrences import encode
    from chalicelib.stores.dynamodb_items import to_attributes
    from chalicelib.stores.report_log import count_key, location

    items: dict[tuple[str, str], set[str]] = defaultdict(set)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for occurrence in occurrences:
        key = location(occurrence)
        items[(key["PK"], key["SK"])].add(encode(occurrence))
        counted = count_key(key)
        counts[(counted["PK"], counted["SK"])] += 1
    requests = [
        {
            "PutRequest": {
                "Item": {
                    **to_attributes({"PK": pk, "SK": sk, "n": len(entries)}),
                    "entries": {"SS": sorted(entries)},
                }
            }
        }
        for (pk, sk), entries in items.items()
    ] + [
        {"PutRequest": {"Item": to_attributes({"PK": pk, "SK": sk, "n": n})}}
        for (pk, sk), n in counts.items()
    ]
    for start in range(0, len(requests), BATCH):
        db.batch_write_item(RequestItems={table: requests[start : start + BATCH]})
    return len(items)


def bench_report(notices: int, platforms: int) -> dict[str, Any]:
    from chalicelib.reports.report import Grouping, Period, Scope, report_from_log
    from chalicelib.stores.report_log import ReportLog

    with EmbeddedRuntime() as runtime:
        table = os.environ["PSX_TABLE_NAME"]
        occurrences = _occurrences(notices, platforms)
        items = _fill_log(runtime.client("dynamodb"), table, occurrences)
        period = Period(YEAR, YEAR + timedelta(days=365))
        log = ReportLog(table)

        def timed() -> tuple[Any, tuple[float, float]]:
            started, cpu = time.perf_counter(), time.process_time()
            report = report_from_log(log, period, Scope(), Grouping.MONTH, period.end)
            return report, (time.perf_counter() - started, time.process_time() - cpu)

        # The first reads every log item whole and summarises each month.
        timings = [timed()[1] for _ in range(3)]
        # Steady use: an event lands in a month whose summary exists (the period's last,
        # where a running exchange's events land, then one in the middle of the year).
        after_event = []
        for at in (period.end - timedelta(days=2), YEAR + timedelta(days=180)):
            log.keep(_new_dispatch(at))
            report, timing = timed()
            after_event.append(timing)
    totals = [row for row in report.rows if row.regulator_id == "*" and row.bucket == "*"]
    return {
        "notices": notices,
        "platforms": platforms,
        "occurrences": len(occurrences),
        "log_items": items,
        "dispatches_counted": sum(row.figures.notices_sent for row in totals),
        "first_report_seconds": round(timings[0][0], 2),
        "report_seconds": [round(wall, 2) for wall, _ in timings[1:]],
        "report_cpu_seconds": [round(cpu, 2) for _, cpu in timings[1:]],
        "report_seconds_after_an_event_last_and_mid_month": [
            round(wall, 2) for wall, _ in after_event
        ],
        "report_cpu_seconds_after_an_event": [round(cpu, 2) for _, cpu in after_event],
    }


def _new_dispatch(at: datetime) -> Any:
    """A dispatch's occurrence at ``at``, as the store keeps a new event."""
    from chalicelib.notices.timeline import event_key_for
    from chalicelib.reports.occurrences import occurrence_of

    details = {"platform_id": "platform-0", "regulator_id": "reg-0", "jurisdiction": "KR"}
    key = event_key_for(1, "platform-0", "dispatched")
    return occurrence_of(f"ntc-new-{at:%m%d}", key, "dispatched", at, details)


def bench_dashboard() -> dict[str, Any]:
    from psx.demo_platforms import demo_regulator_key
    from psx.demo_reports import demo_exchange
    from tests.e2e.browser import chromium

    with demo_exchange() as exchange, chromium() as browser:
        key = demo_regulator_key("kftc")
        page = browser.new_page()
        finished: list[Any] = []
        # A Python function, not a builtin: Playwright tags the handler it is given.
        page.on("requestfinished", lambda request: finished.append(request))  # noqa: PLW0108
        loads, requests = [], []
        for n in range(3):  # the first in a fresh profile, then with its files cached
            if n:
                page.evaluate("sessionStorage.clear()")
            finished.clear()
            started = time.perf_counter()
            page.goto(f"{exchange.api_url}/v1/dashboard/")
            page.fill("#api-key", key)
            page.click("#sign-in button[type=submit]")
            page.locator("#loading", has_text="Period").wait_for()
            loads.append(time.perf_counter() - started)
            requests.append([_timed_request(request) for request in finished])
    return {
        "dashboard_first_load_seconds": [round(s, 2) for s in loads],
        "requests_first_and_last_load": [requests[0], requests[-1]],
    }


def _timed_request(request: Any) -> str:
    """``path ms bytes``: how long the request took, from Playwright's resource timing."""
    timing = request.timing
    path = request.url.split("/v1/", 1)[-1]
    size = request.sizes()["responseBodySize"]
    took = timing["responseEnd"] - timing["requestStart"]
    return f"{path} {took:.0f}ms {size}B" if size >= 0 else f"{path} from the cache"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--platforms", type=int, default=3)
    parser.add_argument("--skip-dashboard", action="store_true")
    parser.add_argument("--skip-report", action="store_true")
    args = parser.parse_args()
    if not args.skip_report:
        print(bench_report(args.notices, args.platforms), flush=True)
        for commit, figures in BEFORE.items():
            print({f"before ({commit})": figures.get(args.notices, "not measured")}, flush=True)
    if not args.skip_dashboard:
        print(bench_dashboard(), flush=True)


if __name__ == "__main__":
    main()
