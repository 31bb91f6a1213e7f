"""The demo's compliance steps: the regulator's report after the demo's answers, and the
demo's data kept up for the dashboard (browser tests, bench, screenshot)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.reports.publication import half_year_of, published_key
from psx.api_client import ApiClient
from psx.demo_notification import delegate_notification
from psx.demo_platforms import demo_platforms, demo_regulator_key
from psx.demo_verification import run_verification_demo
from psx.embedded.runtime import EmbeddedRuntime
from psx.embedded.serve import LocalApi
from psx.scheduled import scheduled_event
from psx.terminal import echo

# The dashboard's default period: the half year up to today.
DASHBOARD_DAYS = 182


def report_period(today: datetime) -> dict[str, str]:
    """The period the dashboard opens with (its JavaScript does the same)."""
    return {
        "from": (today - timedelta(days=DASHBOARD_DAYS)).date().isoformat(),
        "to": today.date().isoformat(),
    }


def print_compliance(api_url: str) -> None:
    """What the Korean regulator's report says of each platform (GET /v1/reports/compliance)."""
    kftc = ApiClient(api_url, demo_regulator_key("kftc"))
    report = kftc.get("/v1/reports/compliance", **report_period(datetime.now(UTC)))
    echo("\nCompliance report for kftc (GET /v1/reports/compliance; psx report)", bold=True)
    for row in report["rows"]:
        if row["regulator_id"] != "*":
            continue
        f = row["figures"]
        echo(
            f"  {row['platform_id']}: {f['notices_sent']} notices, action reports on time "
            f"{_pct(f['action_reports_on_time_pct'])}, removed within 2 working days "
            f"{_pct(f['taken_down_within_2_working_days_pct'])}, "
            f"{f['escalations_open']} escalations open"
        )
    echo("  The dashboard: `psx serve`, then `psx dashboard` (sign in with a regulator's key).")


def publish_compliance(runtime: EmbeddedRuntime) -> None:
    """The daily publication (its schedule and workflow), run once now: where each
    platform's report for the half year went."""
    at = datetime.now(UTC)
    start = runtime.function_name("start_compliance_reports")
    name = runtime.registry.invoke(start, scheduled_event(at))["started"]
    [run] = runtime.wait_for_executions(
        name_prefix=name, state_machine_output="PsxReportStateMachineArn"
    )
    sfn = runtime.client("stepfunctions")
    output = json.loads(sfn.describe_execution(executionArn=run["executionArn"])["output"])
    bucket = runtime.outputs["PsxReportsBucket"]
    heading = f"\nCompliance reports published ({run['status']}; daily, or `psx report --publish`)"
    echo(heading, bold=True)
    for platform_id in output["published"]["platforms"]:
        key = published_key(half_year_of(at), platform_id, "html")
        echo(f"  s3://{bucket}/{key} (and .json, .csv)")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value} %"


@dataclass(frozen=True)
class DemoExchange:
    runtime: EmbeddedRuntime
    api_url: str


@contextmanager
def demo_exchange() -> Iterator[DemoExchange]:
    """The demo's notices, answers and deadline check, with the API left serving."""
    from psx import demo

    with (
        EmbeddedRuntime() as runtime,
        LocalApi(runtime, access_log=False) as api,
        demo_platforms(runtime.stack_name) as platforms,
    ):
        runtime.app.logger.setLevel(logging.WARNING)
        # The demo's own steps, not a copy of them: Temu has the exchange notify its
        # sellers and buyers, and the audit after the answers records findings.
        delegate_notification(platforms[0])
        reports = demo._run_intake(runtime)
        runtime.settle()
        demo._run_platform_responses(runtime, api.url, platforms)
        runtime.wait_for_executions(timeout_seconds=300)
        run_verification_demo(runtime, api.url, platforms, reports, demo.AUDIT_DELAY)
        yield DemoExchange(runtime, api.url)
