"""A Parquet catalogue snapshot uploaded through the API's presigned URLs is audited by
the real workflow like its JSON Lines equivalent: the same rows, bad rows and findings.
A file named .parquet that is not Parquet leaves its snapshot unaudited, with the reason,
and the audit itself succeeds."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from chalicelib.api.principal import PrincipalKind
from chalicelib.dispatch.model import DispatchRef, WaitKind
from psx.embedded.runtime import EmbeddedRuntime
from tests.api.support import Api, key_for
from tests.e2e.lifecycle_steps import (
    finished,
    notice_row,
    notified_by_platform,
    publish,
    receiving_platforms,
    respond,
    waiting_for,
)
from tests.e2e.verification_steps import jsonl_gz, row, run_audits, services, upload_snapshot

pytestmark = pytest.mark.e2e

GTIN = 8801234567893


def _catalogue(relisted_at: datetime) -> list[dict[str, Any]]:
    return [
        row("X-1", "키즈블록 자석 장난감 KB-100", brand="키즈블록", gtin=GTIN),  # still listed
        row(
            "X-7",
            "Magnetic blocks for kids",
            gtin=GTIN,
            seller_id="S-9",
            listed_at=relisted_at.isoformat(),
        ),
        row("X-3", "Wooden train"),
        {"title": "no id"},
    ]


def _parquet(rows: list[dict[str, Any]]) -> bytes:
    """The rows with Parquet's own types: gtin an int64, listed_at a UTC timestamp."""
    names = ["id", "title", "availability", "brand", "gtin", "seller_id", "listed_at"]
    types = {"gtin": pa.int64(), "listed_at": pa.timestamp("us", tz="UTC")}
    values = [
        r | {"listed_at": r.get("listed_at") and datetime.fromisoformat(r["listed_at"])}
        for r in rows
    ]
    columns = {
        name: pa.array([v.get(name) for v in values], types.get(name, pa.string()))
        for name in names
    }
    out = io.BytesIO()
    pq.write_table(pa.table(columns), out)
    return out.getvalue()


def _stored_report(platform_id: str, snapshot_id: str) -> dict[str, Any]:
    report: dict[str, Any] = services().catalogue.report(platform_id, snapshot_id)
    return report


def _summary(report: dict[str, Any]) -> tuple[Any, ...]:
    [part] = report["parts"]
    return (
        report["status"],
        report["rows"],
        report["bad_rows"],
        report["findings"],
        part["bad_row_examples"],
    )


def _findings(api: Api, notice_id: str, regulator_id: str, platform_id: str) -> list[Any]:
    regulator = key_for(PrincipalKind.REGULATOR, regulator_id)
    found = api.get(f"/v1/notices/{notice_id}/findings", regulator)
    assert found.status == 200, found.body
    return sorted(
        (f["kind"], f["listing"]["listing_id"], f["tier"], f["evidence"])
        for f in found.body["items"]
        if f["platform_id"] == platform_id
    )


def test_a_parquet_snapshot_is_audited_like_its_json_lines_equivalent(
    runtime: EmbeddedRuntime, regulator_id: str
) -> None:
    with receiving_platforms("pq-jsonl", "pq-parquet") as receivers:
        as_jsonl, as_parquet = receivers
        notice_id = publish(
            runtime,
            regulator_id,
            "pq.csv",
            notice_row("PQ-1", [as_jsonl, as_parquet], model="KB-100"),
        )
        reported_at = datetime.now(UTC)
        for platform_id in receivers:
            ref = DispatchRef(notice_id, 1, platform_id)
            waiting_for(ref, WaitKind.ACKNOWLEDGEMENT)
            respond(ref, WaitKind.ACKNOWLEDGEMENT)
            waiting_for(ref, WaitKind.ACTION_REPORT)
            reported = {
                "listing_id": "X-1",
                "url": "https://market.example/item/X-1",
                "title": "키즈블록 자석 장난감 KB-100",
                "seller_id": "S-1",
                "action": "removed",
                "acted_at": reported_at.isoformat(),
            }
            respond(ref, WaitKind.ACTION_REPORT, listings=[reported])
            waiting_for(ref, WaitKind.NOTIFICATION)
            notified_by_platform(ref, sellers=1, buyers=0)
        assert finished(runtime, notice_id, 1)["status"] == "SUCCEEDED"
    api = Api(runtime)
    taken = reported_at + timedelta(hours=2)
    rows = _catalogue(reported_at + timedelta(hours=1))
    uploads = {
        as_jsonl: ("part-1.jsonl.gz", jsonl_gz(rows)),
        as_parquet: ("part-1.parquet", _parquet(rows)),
    }
    snapshots = {
        platform_id: upload_snapshot(
            api,
            key_for(PrincipalKind.PLATFORM, platform_id),
            {name: data},
            {name: len(rows)},
            taken,
        )
        for platform_id, (name, data) in uploads.items()
    }

    runs = [run_audits(runtime, taken + timedelta(hours=1), platform_id) for platform_id in uploads]

    assert [run["status"] for [run] in runs] == ["SUCCEEDED", "SUCCEEDED"]
    summary = {
        platform_id: _summary(_stored_report(platform_id, snapshot_id))
        for platform_id, snapshot_id in snapshots.items()
    }
    assert summary[as_parquet] == summary[as_jsonl]
    assert summary[as_jsonl][:4] == ("audited", 4, 1, 2)
    jsonl_findings = _findings(api, notice_id, regulator_id, as_jsonl)
    assert _findings(api, notice_id, regulator_id, as_parquet) == jsonl_findings
    assert [(kind, listing_id) for kind, listing_id, *_ in jsonl_findings] == [
        ("relisted", "X-7"),
        ("still_listed", "X-1"),
    ]

    not_parquet = {"part-2.parquet": jsonl_gz(rows)}
    caller = key_for(PrincipalKind.PLATFORM, as_parquet)
    snapshot_id = upload_snapshot(
        api, caller, not_parquet, {"part-2.parquet": len(rows)}, taken + timedelta(days=1)
    )
    [run] = run_audits(runtime, taken + timedelta(days=1, hours=1), as_parquet)

    assert run["status"] == "SUCCEEDED", run
    assert json.loads(run["output"])["report"]["findings"] == 0
    report = _stored_report(as_parquet, snapshot_id)
    assert (report["status"], report["reason"]) == (
        "incomplete",
        "parts disagree with the manifest: part-2.parquet",
    )
    assert report["parts"][0]["problem"].startswith(
        "unreadable: UnreadablePart: not readable as Parquet: ArrowInvalid"
    )
