"""Compliance audit bench (not a test): a synthetic 1,000,000-listing snapshot (the
matching bench's labelled catalogue, bench/catalogue_data.py) against its 1,000 active
notices, audited in the embedded runtime through the real workflow: upload -> findings
stored; then the same snapshot audited again, which must store 0 new findings.

    PYTHONPATH=functions:. .venv/bin/python -m bench.audit                  # 1,000,000
    PYTHONPATH=functions:. .venv/bin/python -m bench.audit --listings 100000 --parts 4

No notice was sent to the bench's platform and every notice is marked ``global_watch``,
so every match is a ``found_elsewhere`` finding: the path every finding takes (stored
once, timeline, escalation) is the same.
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.catalogue_data import generate
from chalicelib.matching import CatalogueListing
from psx.catalogue import Part
from psx.embedded.runtime import EmbeddedRuntime
from psx.scheduled import scheduled_event

PLATFORM = "bench-market"
REGULATOR = "bench-regulator"


def row_of(listing: CatalogueListing) -> dict[str, Any]:
    row = {key: value for key, value in asdict(listing).items() if value is not None}
    row["id"] = row.pop("listing_id")
    if listing.listed_at is not None:
        row["listed_at"] = listing.listed_at.isoformat()
    return row


def parts_of(listings: list[CatalogueListing], count: int) -> list[Part]:
    size = -(-len(listings) // count)
    parts = []
    for n in range(count):
        chunk = listings[n * size : (n + 1) * size]
        body = "".join(json.dumps(row_of(item), ensure_ascii=False) + "\n" for item in chunk)
        parts.append(Part(f"part-{n:04d}.jsonl.gz", gzip.compress(body.encode(), 5), len(chunk)))
    return parts


def audit(runtime: EmbeddedRuntime, at: datetime, rerun: bool) -> dict[str, Any]:
    event = scheduled_event(at) | {"platform_id": PLATFORM, "rerun": rerun}
    started = runtime.registry.invoke(runtime.function_name("start_compliance_audits"), event)
    (name,) = [s["name"] for s in started["started"]]
    sfn = runtime.client("stepfunctions")
    arn = runtime.outputs["PsxAuditStateMachineArn"].replace(":stateMachine:", ":execution:")
    while True:
        described = sfn.describe_execution(executionArn=f"{arn}:{name}")
        if described["status"] != "RUNNING":
            assert described["status"] == "SUCCEEDED", described
            report: dict[str, Any] = json.loads(described["output"])["report"]
            return report
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=1_000_000)
    parser.add_argument("--notices", type=int, default=1_000)
    parser.add_argument("--parts", type=int, default=10)
    args = parser.parse_args()

    began = time.perf_counter()
    catalogue = generate(args.listings, args.notices)
    parts = parts_of(catalogue.listings, args.parts)
    print(f"generated {args.listings:,} listings in {args.parts} parts, {args.notices:,} "
          f"notices: {time.perf_counter() - began:.1f} s")  # fmt: skip

    with EmbeddedRuntime() as runtime:
        from chalicelib.settings import load_settings
        from chalicelib.stores.catalogue_bucket import CatalogueBucket
        from chalicelib.verification.services import verification_services
        from psx.catalogue import upload_snapshot

        services = verification_services(load_settings())
        for planted in catalogue.notices:
            saved = services.lifecycle.notices.save(
                planted.notice.content.model_copy(update={"global_watch": True}),
                regulator_id=REGULATOR,
                source_format="bench",
                source_file=None,
                received_at=datetime.now(UTC),
            )
            state = saved.current
            services.active_notices.note(state.notice_id, state.version, state.status)

        began = time.perf_counter()
        bucket = CatalogueBucket(load_settings().catalogue_bucket)
        snapshot_id, _ = upload_snapshot(bucket, PLATFORM, parts, datetime.now(UTC))
        first = audit(runtime, datetime.now(UTC), rerun=False)
        elapsed = time.perf_counter() - began
        print(f"snapshot {snapshot_id}: upload -> findings stored in {elapsed:.1f} s "
              f"(goal <= 300 s on 2 cores): {first}")  # fmt: skip

        began = time.perf_counter()
        again = audit(runtime, datetime.now(UTC) + timedelta(days=1), rerun=True)
        print(f"audited again in {time.perf_counter() - began:.1f} s: "
              f"{again['new_findings']} new findings (goal 0)")  # fmt: skip


if __name__ == "__main__":
    main()
