"""`psx demo`'s feeds: a week of CPSC recalls and Safety Gate reports pulled from the local
feed server (recorded pages), with a 500 and a slow answer on the way, into intake."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from typing import Any

from chalicelib import clock
from chalicelib.feeds.model import Feed, FeedKind, Schedule
from chalicelib.feeds.pull import FeedServices, pull_feed
from chalicelib.feeds.services import fetch_policy
from chalicelib.settings import load_settings
from chalicelib.stores.feeds_table import FeedsTable
from chalicelib.stores.intake_bucket import INCOMING_PREFIX, IncomingFeedFiles
from psx import render
from psx.embedded.runtime import EmbeddedRuntime
from psx.feed_server import Fault, FeedServer
from psx.feeds_cli import feed_json
from psx.terminal import echo
from psx.uploads import Upload, wait_for_report

# The recorded week (samples/feeds/): Monday 23 November 2026 onwards.
WEEK_START = date(2026, 11, 23)
# Short, so the demo's slow answer costs a second, not the deployed 20.
DEMO_TIMEOUT_SECONDS = 1


def pull_demo_feeds(
    runtime: EmbeddedRuntime, server: FeedServer, target_platforms: list[str]
) -> list[dict[str, Any]]:
    """Register a CPSC feed (to ``target_platforms``) and a Safety Gate feed (to every
    platform of the EU) on ``server``, pull a week of each, and return the reports intake
    wrote. The server stays up for the rest of the demo: the scheduled puller runs again
    when the demo's deadline check does (it finds nothing new)."""
    settings = load_settings()
    table = FeedsTable(settings.table_name)
    services = FeedServices(
        store=table,
        files=IncomingFeedFiles(settings.intake_bucket),
        policy=replace(fetch_policy(settings), timeout_seconds=DEMO_TIMEOUT_SECONDS),
    )
    reports = []
    echo(f"\n[feeds] A week of public recall feeds from {server.url}", bold=True)
    for feed, path, fault, told in _demo_feeds(server, target_platforms):
        table.create(feed)
        server.inject(path, fault)
        result = pull_feed(feed.name, clock.now(), services, since=WEEK_START)
        echo(
            f"  {feed.name} ({feed.kind}, as {feed.regulator_id}): {result.fetched} pages, "
            f"{len(result.files)} files, cursor {result.cursor}; {told}"
        )
        reports += [_report(runtime, feed.regulator_id, name) for name in result.files]
    for record in table.list():
        state = feed_json(record)
        echo(f"  psx feeds list: {state['name']} cursor {state['cursor']}, last success "
             f"{state['last_success_at']}, last error {state['last_error'] or 'none'}")  # fmt: skip
    return reports


def _demo_feeds(
    server: FeedServer, target_platforms: list[str]
) -> list[tuple[Feed, str, Fault, str]]:
    """Each feed, the fault its first request meets, and what the demo says of it."""
    cpsc = Feed(
        name="cpsc-recalls",
        kind=FeedKind.CPSC_RECALLS,
        url=server.cpsc_url,
        regulator_id="cpsc",
        target_platforms=target_platforms,
    )
    safety_gate = Feed(
        name="safety-gate",
        kind=FeedKind.SAFETY_GATE_WEEKLY,
        url=server.safety_gate_url,
        regulator_id="eu-safety-gate",
        schedule=Schedule.WEEKLY,
    )
    return [
        (cpsc, "/cpsc/", Fault.error(500), "a 500 on the way was retried"),
        (
            safety_gate,
            "/safety-gate/",
            Fault.slow(DEMO_TIMEOUT_SECONDS + 1),
            "a timed-out answer was retried; the next week is not out yet (404)",
        ),
    ]


def _report(runtime: EmbeddedRuntime, regulator_id: str, relative_name: str) -> dict[str, Any]:
    s3 = runtime.client("s3")
    bucket = os.environ["PSX_INTAKE_BUCKET"]
    key = f"{INCOMING_PREFIX}{regulator_id}/{relative_name}"
    head = s3.head_object(Bucket=bucket, Key=key)
    written = Upload(
        bucket, key, head["ETag"].strip('"'), regulator_id, relative_name, head.get("VersionId")
    )
    runtime.pump()
    report = wait_for_report(s3, written, timeout_seconds=30, poll=runtime.pump)
    echo(render.report_summary(report))
    return report
