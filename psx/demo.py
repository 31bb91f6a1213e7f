"""`psx demo`: the lifecycle built so far, on the sample files, in the embedded runtime.

Every step goes through the real entry points: files are put into the intake bucket,
S3 notifies SQS, the intake Lambda handler ingests them, the lifecycle state machine
runs for each stored notice version and dispatches it to two simulated marketplaces
(signed webhooks to local endpoints), which answer through the HTTPS API on time or
late; the scheduled deadline check runs at an injected time and escalates the misses,
and the regulator reads the outcome through the API.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from psx import render
from psx.api_client import ApiClient
from psx.demo_feeds import pull_demo_feeds
from psx.demo_live_check import show_live_checks
from psx.demo_notification import delegate_notification, show_notification
from psx.demo_platforms import DemoPlatform, answer_inbox, demo_platforms, demo_regulator_key
from psx.demo_reports import print_compliance, publish_compliance
from psx.demo_verification import run_verification_demo
from psx.embedded.runtime import ROOT, EmbeddedRuntime
from psx.embedded.serve import LocalApi
from psx.evidence import export_bundle, verify_bundle
from psx.feed_server import FeedServer
from psx.notice_status import notice_status
from psx.target import Target
from psx.terminal import echo
from psx.uploads import Upload, upload_notice_file, wait_for_report

SAMPLES = ROOT / "samples"
# When the demo's deadline check runs: past every default deadline, even across a
# weekend and a Korean public holiday.
AUDIT_DELAY = timedelta(days=8)


@dataclass(frozen=True)
class DemoUpload:
    title: str
    path: Path
    regulator_id: str
    upload_as: str | None = None


DEMO_UPLOADS = [
    DemoUpload("Korean regulator, canonical CSV (UTF-8)", SAMPLES / "kftc-notices.csv", "kftc"),
    DemoUpload(
        "The first file sent again under another name: nothing duplicated",
        SAMPLES / "kftc-notices.csv",
        "kftc",
        upload_as="kftc-notices-resent.csv",
    ),
    DemoUpload("Korean spreadsheet saved as CP949 CSV", SAMPLES / "kftc-notices-cp949.csv", "kca"),
    DemoUpload("Korean XLSX template", SAMPLES / "kftc-notices.xlsx", "kca"),
    DemoUpload("Canonical JSON array", SAMPLES / "notices.json", "eu-nl-nvwa"),
    DemoUpload("Canonical JSON Lines", SAMPLES / "notices.jsonl", "eu-de-baua"),
    DemoUpload("US CPSC Recall API feed", SAMPLES / "cpsc-recalls.json", "cpsc"),
    DemoUpload("EU Safety Gate weekly report", SAMPLES / "safety-gate-week.xml", "eu-safety-gate"),
    DemoUpload(
        "Re-issue: one notice amended, one withdrawn", SAMPLES / "kftc-notices-update.csv", "kftc"
    ),
    DemoUpload(
        "Hostile: XML entity bomb", SAMPLES / "hostile" / "entity-bomb.xml", "eu-safety-gate"
    ),
    DemoUpload("Hostile: truncated XLSX", SAMPLES / "hostile" / "truncated.xlsx", "kca"),
]


def run_demo() -> None:
    echo("Starting the embedded exchange (moto: S3, SQS, DynamoDB, Step Functions, SNS)…")
    with (
        EmbeddedRuntime() as runtime,
        LocalApi(runtime, access_log=False) as api,
        demo_platforms(runtime.stack_name) as platforms,
        FeedServer() as feed_server,
    ):
        # The demo tells its own story; the handlers' INFO logs are for CloudWatch.
        runtime.app.logger.setLevel(logging.WARNING)
        echo(f"HTTPS API on {api.url}")
        for platform in platforms:
            echo(
                f"Registered {platform.name} ({', '.join(platform.jurisdictions)}), "
                f"webhook {platform.receiver.url}, API key {platform.api_key[:12]}…"
            )
        delegate_notification(platforms[0])  # Temu has the exchange tell its parties
        reports = _run_intake(runtime)
        reports += pull_demo_feeds(runtime, feed_server, [p.platform_id for p in platforms])
        runtime.settle()  # every notice pushed to its platforms, waiting for answers
        _run_platform_responses(runtime, api.url, platforms)
        executions = runtime.wait_for_executions(timeout_seconds=300)
        run_verification_demo(runtime, api.url, platforms, reports, AUDIT_DELAY)
        _print_totals(reports, executions)
        show_notification(runtime, api.url, platforms[0])
        show_live_checks(reports)
        _print_regulator_view(api.url)
        print_compliance(api.url)
        publish_compliance(runtime)
        notice_id = _print_a_timeline(reports)
        _export_evidence(notice_id)


def _run_intake(runtime: EmbeddedRuntime) -> list[dict[str, Any]]:
    bucket = runtime.outputs["PsxIntakeBucket"]
    s3 = runtime.client("s3")
    reports = []
    for step, demo_upload in enumerate(DEMO_UPLOADS, start=1):
        echo(f"\n[{step}] {demo_upload.title}", bold=True)
        sent = upload_notice_file(
            s3, bucket, demo_upload.path, demo_upload.regulator_id, name=demo_upload.upload_as
        )
        reports.append(_ingest(runtime, s3, sent))
    return reports


def _run_platform_responses(
    runtime: EmbeddedRuntime, api_url: str, platforms: list[DemoPlatform]
) -> None:
    temu, aliexpress = platforms
    now = datetime.now(UTC)
    echo("\nMarketplaces", bold=True)
    for platform in platforms:
        echo(
            f"  {platform.name} received {len(platform.receiver.deliveries)} signed webhooks "
            f"({len(platform.receiver.rejections)} failed verification)"
        )
    answered = answer_inbox(
        ApiClient(api_url, temu.api_key), temu.listings, notify_buyers_ourselves=False
    )
    echo(
        f"  {temu.name} pulls its inbox over the HTTPS API and at once acknowledges, reports "
        f"the listings removed and the seller and buyers to notify: {answered} notices"
    )
    runtime.settle()  # the exchange tells Temu's sellers and buyers
    audit_at = now + AUDIT_DELAY
    echo(f"\nDeadline check at {audit_at:%Y-%m-%d %H:%M} UTC (psx audit --at)", bold=True)
    with runtime.clock_at(audit_at):
        missed = runtime.run_schedules(audit_at)["enforce_deadlines"]["missed"]
        runtime.settle()  # escalations sent, late waits opened
    echo(
        f"  {len(missed)} missed deadlines escalated to the regulators' topic "
        f"({', '.join(sorted({m['platform_id'] for m in missed})) or 'none'})"
    )
    late_at = audit_at + timedelta(days=1)
    with runtime.clock_at(late_at):
        answered = answer_inbox(
            ApiClient(api_url, aliexpress.api_key),
            aliexpress.listings,
            notify_buyers_ourselves=True,
        )
        runtime.settle()  # the late answers resume the workflows, still on the late clock
    echo(
        f"  {aliexpress.name} answers over the HTTPS API late, on {late_at:%Y-%m-%d}, and "
        f"notifies its buyers itself: {answered} notices"
    )


def _ingest(runtime: EmbeddedRuntime, s3: Any, sent: Upload) -> dict[str, Any]:
    runtime.pump()
    report = wait_for_report(s3, sent, timeout_seconds=30, poll=runtime.pump)
    echo(render.report_summary(report))
    return report


def _print_totals(reports: list[dict[str, Any]], executions: list[dict[str, Any]]) -> None:
    totals: Counter[str] = Counter()
    for report in reports:
        totals.update(report["counts"])
    refused = sum(1 for report in reports if report["status"] == "refused")
    statuses = Counter(execution["status"] for execution in executions)
    echo("\nTotals", bold=True)
    echo(
        f"  {len(reports)} uploads ({refused} refused whole): {totals['rows']} rows, "
        f"{totals['accepted']} accepted, {totals['rejected']} rejected, "
        f"{totals['with_warnings']} with warnings"
    )
    echo(
        f"  lifecycle executions: {sum(statuses.values())} "
        f"({', '.join(f'{n} {status.lower()}' for status, n in sorted(statuses.items()))})"
    )


def _print_regulator_view(api_url: str) -> None:
    """What the Korean regulator sees of its notices through the API."""
    kftc = ApiClient(api_url, demo_regulator_key("kftc"))
    notices = list(kftc.pages("/v1/notices"))
    answers = Counter(
        (event["platform_id"], bool(event["details"].get("late_working_days")))
        for notice in notices
        for event in kftc.get(f"/v1/notices/{notice['notice_id']}/timeline")["events"]
        if event["kind"] == "action_report_received"
    )
    echo("\nThe regulator's view (kftc, GET /v1/notices and their timelines)", bold=True)
    echo(f"  {len(notices)} notices; action reports received:")
    for (platform_id, late), count in sorted(answers.items()):
        echo(f"    {platform_id}: {count} {'late' if late else 'on time'}")


def _print_a_timeline(reports: list[dict[str, Any]]) -> str:
    """The notice that was amended and so has the richest story; returns its id."""
    notice_id: str = next(
        row["notice_id"]
        for report in reports
        for row in report["rows"]
        if row.get("outcome") == "new_version"
    )
    status = notice_status(Target(), notice_id)
    if status is not None:
        echo(f"\npsx status {notice_id}", bold=True)
        echo(render.status_text(status))
    return notice_id


def _export_evidence(notice_id: str) -> None:
    """The same notice's evidence, as a regulator would take it to court, and its check."""
    out = Path(tempfile.mkdtemp(prefix="psx-demo-evidence-")) / f"{notice_id}.zip"
    echo(f"\npsx evidence {notice_id} --out {out}", bold=True)
    exported = export_bundle(Target(), notice_id, out)
    if exported is None:
        raise RuntimeError(f"notice {notice_id} vanished from the demo's own stack")
    echo(render.evidence_summary(exported.path, exported.manifest, exported.manifest_sha256))
    echo(f"\npsx evidence --verify {out}", bold=True)
    checked = verify_bundle(out)
    if not checked.ok:
        raise RuntimeError(f"the demo's own evidence bundle failed: {checked.problems}")
    echo(f"{out}: {checked.objects} objects, every SHA-256 matches the manifest")
