"""The compliance audit's stores against moto: findings stored once however many
writers race, paged per regulator and platform, resolved once; the active-notice
register only moves forward; the catalogue bucket sees a snapshot complete."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from chalicelib.notices.model import NoticeStatus
from chalicelib.stores.active_notices_table import ActiveNoticeStore
from chalicelib.stores.catalogue_bucket import CatalogueBucket, manifest_key, part_key
from chalicelib.stores.findings_table import FindingStore
from chalicelib.stores.index_pages import PageRequest
from chalicelib.verification.findings import (
    Finding,
    FindingKind,
    FindingStatus,
    FoundListing,
    Resolution,
    finding_id_for,
)
from psx.embedded.runtime import EmbeddedRuntime

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)
WRITERS = 8


def _notice_id() -> str:
    return "ntc-" + uuid.uuid4().hex[:24]


def _finding(
    notice_id: str, platform_id: str, listing_id: str, kind: FindingKind, n: int = 0
) -> Finding:
    return Finding(
        finding_id=finding_id_for(kind, notice_id, platform_id, listing_id),
        kind=kind,
        notice_id=notice_id,
        version=1,
        regulator_id="reg-stores",
        platform_id=platform_id,
        listing=FoundListing(listing_id=listing_id, title="t"),
        tier="certain",
        evidence=["gtin:08801234567893"],
        score=1.0,
        snapshot_id="snap-1",
        snapshot_time=AT,
        found_at=AT + timedelta(minutes=n),
    )


def test_a_finding_is_stored_once_however_many_writers_race(runtime: EmbeddedRuntime) -> None:
    store = FindingStore(os.environ["PSX_TABLE_NAME"])
    finding = _finding(_notice_id(), "temu", "L-1", FindingKind.STILL_LISTED)

    with ThreadPoolExecutor(WRITERS) as pool:
        written = list(pool.map(lambda _: store.add(finding), range(WRITERS)))

    assert written.count(True) == 1
    assert store.for_notice(finding.notice_id) == [finding]


def test_findings_are_paged_per_regulator_and_per_platform(runtime: EmbeddedRuntime) -> None:
    store = FindingStore(os.environ["PSX_TABLE_NAME"])
    notice_id = _notice_id()
    regulator = f"reg-{uuid.uuid4().hex[:6]}"
    platforms = [f"plat-{uuid.uuid4().hex[:6]}", f"plat-{uuid.uuid4().hex[:6]}"]
    findings = [
        _finding(notice_id, platforms[n % 2], f"L-{n}", FindingKind.MISSED, n).model_copy(
            update={"regulator_id": regulator}
        )
        for n in range(5)
    ]
    for finding in findings:
        store.add(finding)

    first = store.page(PageRequest(limit=2), regulator_id=regulator)
    second = store.page(PageRequest(limit=2, after=first.next_after), regulator_id=regulator)
    third = store.page(PageRequest(limit=2, after=second.next_after), regulator_id=regulator)
    own = store.page(PageRequest(limit=10), platform_id=platforms[1])

    newest_first = [f.listing.listing_id for f in reversed(findings)]
    paged = [f.listing.listing_id for page in (first, second, third) for f in page.items]
    assert paged == newest_first and third.next_after is None
    assert [f.listing.listing_id for f in own.items] == ["L-3", "L-1"]
    kinds = store.page(PageRequest(limit=10), regulator_id=regulator, kind=FindingKind.RELISTED)
    assert kinds.items == []


def test_a_finding_is_resolved_once(runtime: EmbeddedRuntime) -> None:
    store = FindingStore(os.environ["PSX_TABLE_NAME"])
    finding = _finding(_notice_id(), "temu", "L-1", FindingKind.MISSED)
    store.add(finding)

    first = store.resolve(finding, Resolution.NO_MATCH, "another product", AT)
    second = store.resolve(finding, Resolution.REMOVED, None, AT)

    assert first is not None and second is None
    stored = store.get(finding.notice_id, finding.finding_id)
    assert stored is not None and stored.status is FindingStatus.RESOLVED
    assert (stored.resolution, stored.resolution_reason) == (Resolution.NO_MATCH, "another product")
    assert store.add(finding) is False  # a resolved finding never comes back


def test_the_active_notice_register_only_moves_forward(runtime: EmbeddedRuntime) -> None:
    store = ActiveNoticeStore(os.environ["PSX_TABLE_NAME"])
    notice_id = _notice_id()

    assert store.note(notice_id, 2, NoticeStatus.AMENDED)
    assert not store.note(notice_id, 1, NoticeStatus.ACTIVE)  # a late retry of v1
    assert (notice_id, 2) in {(a.notice_id, a.version) for a in store.active()}
    assert store.note(notice_id, 3, NoticeStatus.WITHDRAWN)
    assert notice_id not in {a.notice_id for a in store.active()}


def test_the_catalogue_bucket_lists_snapshots_newest_first(runtime: EmbeddedRuntime) -> None:
    bucket = CatalogueBucket(os.environ["PSX_CATALOGUE_BUCKET"])
    platform_id = f"plat-{uuid.uuid4().hex[:6]}"
    for snapshot_id in (
        "snap-20261201T000000000000Z-00000001",
        "snap-20261202T000000000000Z-00000002",
    ):
        bucket.put_bytes(part_key(platform_id, snapshot_id, "a.jsonl"), b"{}\n")
    bucket.put_bytes(manifest_key(platform_id, "snap-20261202T000000000000Z-00000002"), b"{}")

    assert bucket.snapshots(platform_id) == [
        "snap-20261202T000000000000Z-00000002",
        "snap-20261201T000000000000Z-00000001",
    ]
    # The manifest is not a part.
    assert bucket.uploaded_parts(platform_id, "snap-20261202T000000000000Z-00000002") == {"a.jsonl"}
    assert bucket.manifest(platform_id, "snap-20261201T000000000000Z-00000001") is None
    assert platform_id in bucket.platforms()
