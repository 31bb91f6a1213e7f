"""The demo's compliance audit: each marketplace delivers a catalogue snapshot, the
scheduled audit runs the real workflow, and the regulator reads the findings.

Temu still sells a listing it reported removed (still listed: in its snapshot, and its
listing page, live-checked, still offers it); AliExpress's product is back under a new
title, listing id and seller (relisted); Coupang, which the notice never went to, sells
it too (found elsewhere: the regulator marked the notice ``global_watch`` in
samples/kftc-notices.csv), so the regulator extends the notice to Coupang with one call
and it is dispatched there; and Temu's listing of the same brand's other model is not
flagged (a near miss).
"""

from __future__ import annotations

import gzip
import json
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.dispatch.model import Dispatch
from chalicelib.dispatch.services import lifecycle_services
from chalicelib.notices.model import Notice
from chalicelib.settings import load_settings
from chalicelib.stores.catalogue_bucket import CatalogueBucket
from psx.api_client import ApiClient
from psx.catalogue import Part, upload_snapshot
from psx.demo_platforms import DemoPlatform, demo_marketplace, demo_regulator_key
from psx.embedded.runtime import EmbeddedRuntime
from psx.listing_site import Page, offer, product_page
from psx.scheduled import scheduled_event
from psx.terminal import echo

ELSEWHERE = "coupang"  # a marketplace the notice never went to
NEAR_MISS_MODEL = "ZX-9000"


def run_verification_demo(
    runtime: EmbeddedRuntime,
    api_url: str,
    platforms: list[DemoPlatform],
    intake_reports: list[dict[str, Any]],
    deadline_check_delay: timedelta,
) -> None:
    """After the deadline check (``deadline_check_delay`` from now) and the late answers
    the day after it, the next day's audit."""
    at = datetime.now(UTC) + deadline_check_delay + timedelta(days=2)
    temu, aliexpress = (platform.platform_id for platform in platforms)
    notice_ids = [
        row["notice_id"] for r in intake_reports for row in r["rows"] if "notice_id" in row
    ]
    found = _audited_notice(notice_ids, temu, aliexpress)
    if found is None:
        echo(
            "\nCompliance audit: no global notice with a barcode was answered by both marketplaces"
        )
        return
    notice, reports = found
    echo(f"\nCompliance audit at {at:%Y-%m-%d %H:%M} UTC (psx audit verify)", bold=True)
    bucket = CatalogueBucket(runtime.outputs["PsxCatalogueBucket"])
    catalogues = _catalogues(notice, reports, temu, aliexpress, at)
    _still_offered(platforms[0], reports[temu], notice)
    with runtime.clock_at(at), _no_crawl_delay():
        for platform_id, rows in catalogues.items():
            snapshot_id, _ = upload_snapshot(bucket, platform_id, [_part(rows)], at)
            echo(f"  {platform_id} delivers snapshot {snapshot_id}: {len(rows)} listings")
        event = scheduled_event(at)
        started = runtime.registry.invoke(runtime.function_name("start_compliance_audits"), event)[
            "started"
        ]
        for audit in started:
            live = _wait(runtime, audit["name"])["live_checks"]
            echo(
                f"  {audit['platform_id']}: live check of {live['checked']} reported takedowns, "
                f"{live['still_listed']} still listed"
            )
    regulator = ApiClient(api_url, demo_regulator_key(notice.regulator_id))
    findings = regulator.get(f"/v1/notices/{notice.notice_id}/findings")["items"]
    echo(f"  the regulator reads GET /v1/notices/{notice.notice_id}/findings:")
    for finding in sorted(findings, key=lambda f: f["platform_id"]):
        listing = finding["listing"]
        echo(
            f"    {finding['kind']:<16} {finding['platform_id']:<11} {listing['listing_id']:<18} "
            f"{finding['tier']} ({', '.join(finding['evidence'][:2])})"
        )
        live = [e for e in finding["evidence"] if e.startswith("live check ")]
        if live:
            echo(f"{'':<22}{live[0]}")
    flagged = {f["listing"]["listing_id"] for f in findings}
    near_miss = f"{temu}-near-miss"
    echo(f"  {near_miss} (same brand, model {NEAR_MISS_MODEL}): "
         f"{'FLAGGED' if near_miss in flagged else 'not flagged'}")  # fmt: skip
    if any(f["kind"] == "found_elsewhere" and f["platform_id"] == ELSEWHERE for f in findings):
        _extend_to_elsewhere(runtime, regulator, notice)


def _still_offered(temu: DemoPlatform, report: Dispatch, notice: Notice) -> None:
    """Temu's page of the listing it reported removed still sells it."""
    assert report.action_report is not None
    listing = report.action_report.listings[0]
    page = product_page(notice.content.title or "product", offer("https://schema.org/InStock"))
    temu.listings.page(f"/item/{listing.listing_id}", Page(200, page))


@contextmanager
def _no_crawl_delay() -> Iterator[None]:
    """The simulated marketplaces are ours: no 2 s between two of their pages."""
    saved = os.environ.get("PSX_LIVE_CHECK_INTERVAL_SECONDS")
    os.environ["PSX_LIVE_CHECK_INTERVAL_SECONDS"] = "0"
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("PSX_LIVE_CHECK_INTERVAL_SECONDS")
        else:
            os.environ["PSX_LIVE_CHECK_INTERVAL_SECONDS"] = saved


def _extend_to_elsewhere(runtime: EmbeddedRuntime, regulator: ApiClient, notice: Notice) -> None:
    """Coupang joins the exchange; the regulator sends it the notice with one call. On
    the real clock, not the audit's: Coupang's endpoint, as any Standard Webhooks
    receiver, refuses a webhook stamped days away from its own time."""
    with demo_marketplace(runtime.stack_name, ELSEWHERE) as coupang:
        path = f"/v1/notices/{notice.notice_id}/extensions"
        receipt = regulator.post(path, {"platforms": [ELSEWHERE], "reason": "Found on Coupang"})
        runtime.settle()  # the extension's dispatch pushed, waiting for Coupang's answer
        echo(
            f"  the regulator extends the notice (POST {path}): added {receipt['added']}, "
            f"version {receipt['version']} unchanged for the others"
        )
        types = [delivery.body.get("type") for delivery in coupang.receiver.deliveries]
        echo(f"  {coupang.name} receives the signed webhook: {', '.join(types) or 'nothing yet'}")


def _audited_notice(
    notice_ids: Iterable[str], temu: str, aliexpress: str
) -> tuple[Notice, dict[str, Dispatch]] | None:
    """A notice watched on every platform, with a barcode, whose current version both
    marketplaces answered (only such a notice is looked for on Coupang)."""
    services = lifecycle_services(load_settings())
    for notice_id in sorted(set(notice_ids)):
        notice = services.notices.get(notice_id)
        if notice is None or not notice.content.global_watch or not notice.content.product.barcodes:
            continue
        reports = {
            d.ref.platform_id: d
            for d in services.dispatches.for_notice(notice_id)
            if d.ref.version == notice.version and d.action_report and d.action_report.listings
        }
        if {temu, aliexpress} <= reports.keys():
            return notice, reports
    return None


def _catalogues(
    notice: Notice, reports: dict[str, Dispatch], temu: str, aliexpress: str, at: datetime
) -> dict[str, list[dict[str, Any]]]:
    product = notice.content.product
    name = product.name or notice.content.title or "product"
    brand = product.brand or ""
    gtin = product.barcodes[0]
    temu_report = reports[temu].action_report
    assert temu_report is not None
    reported = temu_report.listings[0]
    relisted_at = (reports[aliexpress].action_reported_at or at) + timedelta(hours=1)
    background = {"id": "bg-1", "title": "Wooden toy train", "brand": "Woodland"}
    return {
        temu: [
            {"id": reported.listing_id, "title": name, "brand": brand, "gtin": gtin,
             "seller_id": reported.seller_id, "availability": "in_stock"},
            {"id": f"{temu}-near-miss", "title": f"{brand} {NEAR_MISS_MODEL}", "brand": brand,
             "mpn": NEAR_MISS_MODEL, "availability": "in_stock"},
            background,
        ],
        aliexpress: [
            {"id": f"{aliexpress}-relisted", "title": f"NEW 2026 {name} gift set",
             "gtin": gtin, "seller_id": "seller-new-4410", "availability": "in_stock",
             "listed_at": relisted_at.isoformat()},
            background,
        ],
        ELSEWHERE: [
            {"id": f"{ELSEWHERE}-1", "title": name, "brand": brand, "gtin": gtin,
             "availability": "in_stock"},
        ],
    }  # fmt: skip


def _part(rows: list[dict[str, Any]]) -> Part:
    body = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    return Part("part-0001.jsonl.gz", gzip.compress(body.encode("utf-8")), len(rows))


def _wait(runtime: EmbeddedRuntime, name: str, timeout_seconds: float = 120) -> dict[str, Any]:
    """The audit's report (its execution's output), once it has finished."""
    sfn = runtime.client("stepfunctions")
    arn = runtime.outputs["PsxAuditStateMachineArn"].replace(":stateMachine:", ":execution:")
    deadline = time.monotonic() + timeout_seconds
    while (described := sfn.describe_execution(executionArn=f"{arn}:{name}"))[
        "status"
    ] == "RUNNING":
        if time.monotonic() > deadline:
            raise TimeoutError(f"audit {name} still running after {timeout_seconds:.0f}s")
        time.sleep(0.2)
    if described["status"] != "SUCCEEDED":
        raise RuntimeError(f"audit {name} ended {described['status']}")
    report: dict[str, Any] = json.loads(described["output"])["report"]
    return report
