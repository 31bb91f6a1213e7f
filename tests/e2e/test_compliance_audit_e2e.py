"""Compliance audits end to end: platforms upload catalogue snapshots through the API's
presigned URLs, the scheduled audit runs the real workflows/compliance-audit.asl.json
(a Distributed Map over the parts) in the embedded runtime, and the findings are read
back through the API. Running the audit again stores nothing new."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.api.principal import PrincipalKind
from chalicelib.dispatch.cases import CaseStatus
from chalicelib.dispatch.model import DispatchRef, WaitKind
from chalicelib.matching import Matcher
from psx.embedded.runtime import EmbeddedRuntime
from psx.listing_site import ListingSite, Page, offer, product_page
from tests.api.support import Api, key_for
from tests.e2e.lifecycle_steps import (
    EscalationSubscriber,
    finished,
    notice_row,
    notified_by_platform,
    publish,
    receiving_platforms,
    respond,
    services,
    timeline_kinds,
    waiting_for,
)
from tests.e2e.verification_steps import jsonl_gz, row, run_audits, upload_snapshot

pytestmark = pytest.mark.e2e

GTIN = "8801234567893"


@pytest.fixture(scope="module")
def marketplaces(runtime: EmbeddedRuntime) -> Iterator[list[str]]:
    with receiving_platforms("temu", "aliexpress", "coupang") as receivers:
        yield list(receivers)


@pytest.fixture
def judged(monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    """Notice id -> the listings the in-process match Lambdas' matchers judged it
    against (a candidate evaluation: the audit's matching work)."""
    candidates: dict[str, set[str]] = defaultdict(set)
    judge = Matcher._judge

    def counted(matcher: Matcher, position: int, view: Any, *rest: Any) -> Any:
        candidates[matcher._notices[position].notice_id].add(view.listing.listing_id)
        return judge(matcher, position, view, *rest)

    monkeypatch.setattr(Matcher, "_judge", counted)
    return candidates


def _reported(listing_id: str, at: datetime, url: str | None = None) -> dict[str, object]:
    return {
        "listing_id": listing_id,
        "url": url or f"https://market.example/item/{listing_id}",
        "title": "키즈블록 자석 장난감 KB-100",
        "seller_id": "S-1",
        "action": "removed",
        "acted_at": at.isoformat(),
    }


def test_snapshots_uploaded_through_the_api_are_audited_and_findings_read_back(
    runtime: EmbeddedRuntime,
    regulator_id: str,
    marketplaces: list[str],
    judged: dict[str, set[str]],
) -> None:
    temu, aliexpress, coupang = marketplaces
    escalations = EscalationSubscriber(runtime)
    notice_id, local_id = _global_and_local_notices(runtime, regulator_id, temu, aliexpress)
    reported_at = datetime.now(UTC)
    for platform_id, listing_id in ((temu, "T-1"), (aliexpress, "A-1")):
        ref = DispatchRef(notice_id, 1, platform_id)
        waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
        respond(ref, WaitKind.ACKNOWLEDGEMENT)
        waiting_for(ref, WaitKind.ACTION_REPORT)
        respond(ref, WaitKind.ACTION_REPORT, listings=[_reported(listing_id, reported_at)])
        waiting_for(ref, WaitKind.NOTIFICATION)
        notified_by_platform(ref, sellers=1, buyers=3)
    assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"

    api = Api(runtime)
    later = (reported_at + timedelta(hours=1)).isoformat()
    taken = reported_at + timedelta(hours=2)
    catalogues = {
        temu: [
            row("T-1", "키즈블록 자석 장난감 KB-100", brand="키즈블록", gtin=GTIN),  # still listed
            row("T-2", "키즈블록 자석 장난감 KB-900", brand="키즈블록"),  # near miss
            row("T-3", "Wooden train"),
        ],
        aliexpress: [
            row("A-1", "Magnet toy", brand="키즈블록", gtin=GTIN, availability="out_of_stock"),
            row("A-7", "Magnetic blocks for kids", gtin=GTIN, seller_id="S-9", listed_at=later),
        ],
        coupang: [row("C-1", "키즈블록 KB-100 자석 블록", brand="키즈블록")],
    }
    _upload_with_a_bad_row(api, catalogues, taken)

    audit_at = taken + timedelta(hours=1)
    runs = run_audits(runtime, audit_at)

    assert len(runs) == 3 and {run["status"] for run in runs} == {"SUCCEEDED"}
    # The notice sent to Temu alone and not global is never a candidate elsewhere, though
    # and C-1 carry its barcode or its brand and model; the global one is
    # judged on every platform.
    assert (judged[local_id], judged[notice_id]) == (
        {"T-1", "T-2"}, {"T-1", "T-2", "A-1", "A-7", "C-1"}
    )  # fmt: skip
    reports = [json.loads(run["output"])["report"] for run in runs]
    assert all(r["status"] == "audited" and r["bad_rows"] == 1 for r in reports), reports
    regulator = key_for(PrincipalKind.REGULATOR, regulator_id)
    found = api.get(f"/v1/notices/{notice_id}/findings", regulator)
    assert found.status == 200, found.body
    kinds = {(f["platform_id"], f["listing"]["listing_id"]): f["kind"] for f in found.body["items"]}
    assert kinds == {
        (temu, "T-1"): "still_listed",
        (aliexpress, "A-7"): "relisted",
        (coupang, "C-1"): "found_elsewhere",
    }
    assert timeline_kinds(notice_id).count("finding_recorded") == 3
    assert api.get(f"/v1/notices/{local_id}/findings", regulator).body["items"] == []
    escalated = {
        (m["kind"], f["listing_id"])
        for m in escalations.received_messages()
        for f in m.get("findings", [])
        if f["notice_id"] == notice_id
    }
    assert escalated == {("still_listed", "T-1"), ("relisted", "A-7"), ("found_elsewhere", "C-1")}
    own = api.get("/v1/findings", key_for(PrincipalKind.PLATFORM, temu))
    assert [f["listing"]["listing_id"] for f in own.body["items"]] == ["T-1"]
    relisted = api.get("/v1/findings", regulator, kind="relisted")
    assert [f["platform_id"] for f in relisted.body["items"]] == [aliexpress]
    cases = {
        case.platform_id: case.status
        for case in services().verification_cases.for_notice(notice_id)
    }
    assert cases == {temu: CaseStatus.FINDINGS_OPEN, aliexpress: CaseStatus.FINDINGS_OPEN}

    by_listing = {f["listing"]["listing_id"]: f for f in found.body["items"]}
    _answer(api, temu, notice_id, by_listing["T-1"]["finding_id"], "removed")
    false_positive = _answer(
        api, aliexpress, notice_id, by_listing["A-7"]["finding_id"], "no_match", "Another toy"
    )
    assert false_positive.status == 201, false_positive.body
    resolved = {
        e.details["finding_id"]: e.details["resolution"]
        for e in services().notices.timeline(notice_id)
        if e.kind == "finding_resolved"
    }
    assert resolved == {
        by_listing["T-1"]["finding_id"]: "removed",
        by_listing["A-7"]["finding_id"]: "no_match",
    }

    again = run_audits(runtime, audit_at + timedelta(days=1), rerun=True)

    assert [json.loads(run["output"])["report"]["new_findings"] for run in again] == [0, 0, 0]
    assert timeline_kinds(notice_id).count("finding_recorded") == 3
    after = api.get(f"/v1/notices/{notice_id}/findings", regulator, kind="relisted")
    assert [(f["status"], f["resolution_reason"]) for f in after.body["items"]] == [
        ("resolved", "Another toy")
    ]


def _upload_with_a_bad_row(
    api: Api, catalogues: dict[str, list[dict[str, Any]]], taken: datetime
) -> None:
    """Each platform's rows as a one-part snapshot, with a row that has no id."""
    for platform_id, rows in catalogues.items():
        parts = {"part-1.jsonl.gz": jsonl_gz([*rows, {"title": "no id"}])}
        caller = key_for(PrincipalKind.PLATFORM, platform_id)
        upload_snapshot(api, caller, parts, {"part-1.jsonl.gz": len(rows) + 1}, taken)


def _global_and_local_notices(
    runtime: EmbeddedRuntime, regulator_id: str, temu: str, aliexpress: str
) -> tuple[str, str]:
    """A notice sent to Temu and AliExpress and marked global; the same product sent to
    Temu only and not marked global: it is not looked for on AliExpress or Coupang, and
    Temu has not answered it (nothing is owed there yet)."""
    watched = notice_row("AUD-1", [temu, aliexpress], model="KB-100", global_watch="yes")
    notice_id = publish(runtime, regulator_id, "audit.csv", watched)
    local = notice_row("AUD-2", [temu], model="KB-100")
    local_id = publish(runtime, regulator_id, "local.csv", local)
    waiting_for(DispatchRef(local_id, 1, temu), WaitKind.ACKNOWLEDGEMENT)
    return notice_id, local_id


def _answer(
    api: Api,
    platform_id: str,
    notice_id: str,
    finding_id: str,
    action: str,
    reason: str | None = None,
) -> Any:
    listing = _reported("any", datetime.now(UTC)) | {"action": action, "finding_id": finding_id}
    if reason:
        listing["reason"] = reason
    caller = key_for(PrincipalKind.PLATFORM, platform_id)
    return api.post(f"/v1/notices/{notice_id}/actions", {"listings": [listing]}, caller)


def test_the_audit_live_checks_the_takedowns_on_the_platforms_listing_host(
    runtime: EmbeddedRuntime, regulator_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PSX_LIVE_CHECK_INTERVAL_SECONDS", "0")  # our own site: no waiting
    with (
        ListingSite(robots="User-agent: *\nDisallow: /private/\n") as site,
        receiving_platforms("livemart") as receivers,
    ):
        [platform_id] = receivers
        services().platforms.update(platform_id, listing_hosts=[site.host])
        up = site.page("/item/L-up", Page(200, product_page("Magnet toy", offer("InStock"))))
        sold_out = site.page("/item/L-oos", Page(200, product_page("Magnet toy", offer("SoldOut"))))
        urls = {
            "L-up": up,
            "L-gone": f"{site.url}/item/L-gone",  # 404
            "L-oos": sold_out,
            "L-private": site.page("/private/L-private", Page(200, b"<html></html>")),
            "L-elsewhere": "https://elsewhere.example/item/L-elsewhere",
        }
        notice_id = publish(
            runtime, regulator_id, "live.csv", notice_row("LIVE-1", [platform_id], model="LV-1")
        )
        reported_at = datetime.now(UTC)
        ref = DispatchRef(notice_id, 1, platform_id)
        waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
        respond(ref, WaitKind.ACKNOWLEDGEMENT)
        waiting_for(ref, WaitKind.ACTION_REPORT)
        listings = [_reported(lid, reported_at, url) for lid, url in urls.items()]
        respond(ref, WaitKind.ACTION_REPORT, listings=listings)
        waiting_for(ref, WaitKind.NOTIFICATION)
        notified_by_platform(ref, sellers=1, buyers=0)
        assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
        api = Api(runtime)
        taken = reported_at + timedelta(hours=2)
        caller = key_for(PrincipalKind.PLATFORM, platform_id)
        # The snapshot no longer lists any of them: only the pages can tell.
        parts = {"part-1.jsonl.gz": jsonl_gz([row("X-1", "Wooden train")])}
        upload_snapshot(api, caller, parts, {"part-1.jsonl.gz": 1}, taken)

        [run] = run_audits(runtime, taken + timedelta(hours=1), platform_id)
        [again] = run_audits(runtime, taken + timedelta(days=1), platform_id, rerun=True)

    assert run["status"] == "SUCCEEDED", run
    report = json.loads(run["output"])["report"]
    assert report["live_checks"] == {"checked": 5, "still_listed": 1, "not_checked": 0}
    assert report["new_findings"] == 1
    regulator = key_for(PrincipalKind.REGULATOR, regulator_id)
    [finding] = api.get(f"/v1/notices/{notice_id}/findings", regulator).body["items"]
    assert (finding["kind"], finding["listing"]["listing_id"], finding["tier"]) == (
        "still_listed",
        "L-up",
        "live",
    )
    assert finding["evidence"] == [
        finding["evidence"][0],
        "the Product is offered",
    ] and finding["evidence"][0].endswith(f"HTTP 200 from {up}")
    fetched = {path for path, _ in site.requests}
    assert fetched == {"/robots.txt", "/item/L-up", "/item/L-gone", "/item/L-oos"}
    assert all(agent.startswith("psx-live-check/1") for _, agent in site.requests)
    assert json.loads(again["output"])["report"]["new_findings"] == 0
    assert timeline_kinds(notice_id).count("finding_recorded") == 1
    cases = services().verification_cases.for_notice(notice_id)
    assert [case.status for case in cases] == [CaseStatus.FINDINGS_OPEN]
