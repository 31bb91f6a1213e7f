"""Lifecycle benchmark (not a test): what one notice-platform pair costs, and how long the
embedded runtime takes from upload until every platform has the notice.

    .venv/bin/python -m bench.lifecycle --notices 1000 --platforms 3
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.run import RESULTS
from chalicelib.dispatch.model import DispatchRef, WaitKind
from chalicelib.dispatch.services import lifecycle_services
from chalicelib.dispatch.waits import answer
from chalicelib.settings import load_settings
from psx.demo_platforms import demo_platforms
from psx.embedded.runtime import ROOT, EmbeddedRuntime
from psx.polling import wait_until

# Public us-east-1 prices (November 2026).
STEP_FUNCTIONS_PER_TRANSITION = 0.025 / 1000
LAMBDA_PER_REQUEST = 0.20 / 1_000_000
LAMBDA_PER_GB_SECOND = 0.0000166667
# Assumed: our tasks are I/O-bound, ~150 ms at 256 MB.
LAMBDA_GB_SECONDS_PER_INVOCATION = 0.256 * 0.150
# How many notices the per-pair counts are measured on (full lifecycle, answered).
MEASURED_NOTICES = 10


WORKFLOW = ROOT / "workflows" / "notice-lifecycle.asl.json"


@dataclass(frozen=True)
class Counts:
    transitions: float
    lambda_invocations: float


def _per_platform_states() -> dict[str, bool]:
    """States of the dispatch Map's iterator -> whether entering one invokes a Lambda."""
    definition = json.loads(WORKFLOW.read_text(encoding="utf-8"))
    states = definition["States"]["DispatchToPlatforms"]["ItemProcessor"]["States"]
    return {name: "lambda:invoke" in state.get("Resource", "") for name, state in states.items()}


def notice_file(notices: int, platform_ids: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "source_reference",
            "kind",
            "product_name",
            "brand",
            "barcodes",
            "hazard_description",
            "jurisdiction",
            "target_platforms",
        ]
    )
    for number in range(notices):
        writer.writerow(
            [
                f"BENCH-{number:06d}",
                "order",
                f"Charger model {number}",
                "Voltix",
                "8801234567893",
                "Electric shock",
                "KR",
                ";".join(platform_ids),
            ]
        )
    return out.getvalue().encode()


def execution_counts(runtime: EmbeddedRuntime, execution_arn: str) -> Counts:
    sfn = runtime.client("stepfunctions")
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        if "nextToken" not in page:
            break
        kwargs["nextToken"] = page["nextToken"]
    transitions = sum(1 for e in events if e["type"].endswith("StateEntered"))
    invocations = sum(
        1
        for e in events
        if e["type"] == "TaskScheduled"
        and e["taskScheduledEventDetails"]["resourceType"] == "lambda"
    )
    return Counts(transitions, invocations)


def dispatch_all(
    runtime: EmbeddedRuntime, notices: int, platform_ids: list[str], receivers: list[Any]
) -> float:
    s3 = runtime.client("s3")
    started = time.perf_counter()
    s3.put_object(
        Bucket=runtime.outputs["PsxIntakeBucket"],
        Key="incoming/kftc/bench.csv",
        Body=notice_file(notices, platform_ids),
    )
    runtime.pump()
    expected = notices * len(platform_ids)
    wait_until(
        lambda: sum(r.requests for r in receivers) >= expected or None,
        f"{expected} webhook deliveries",
        seconds=7200,
    )
    return time.perf_counter() - started


def answer_on_time(notice_ids: list[str], platform_ids: list[str]) -> None:
    """Each platform acknowledges and reports on these notices, as soon as it is asked."""
    services = lifecycle_services(load_settings())
    for notice_id in notice_ids:
        for platform_id in platform_ids:
            ref = DispatchRef(notice_id, 1, platform_id)
            for kind in WaitKind:

                def waiting(ref: DispatchRef = ref, kind: WaitKind = kind) -> bool:
                    dispatch = services.dispatches.get(ref)
                    return dispatch is not None and dispatch.open_wait is kind

                wait_until(waiting, f"{ref} waiting for {kind.value}")
                answer(ref, kind, {}, datetime.now(UTC), services)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notices", type=int, default=1000)
    parser.add_argument("--platforms", type=int, default=3, choices=[1, 2, 3])
    args = parser.parse_args()
    with (
        EmbeddedRuntime() as runtime,
        demo_platforms(runtime.stack_name, args.platforms) as platforms,
    ):
        platform_ids = [p.platform_id for p in platforms]
        receivers = [p.receiver for p in platforms]
        seconds = dispatch_all(runtime, args.notices, platform_ids, receivers)
        measured = sorted({d.body["notice_id"] for d in receivers[0].deliveries})
        measured = measured[:MEASURED_NOTICES]
        answer_on_time(measured, platform_ids)
        counts = [
            execution_counts(runtime, execution["executionArn"])
            for notice_id in measured
            for execution in runtime.wait_for_executions(600, name_prefix=notice_id)
        ]
    pairs = len(counts) * len(platform_ids)
    # Averages: a push that fell back to the inbox adds a state and an invocation.
    per_pair = Counts(
        round(sum(c.transitions for c in counts) / pairs, 1),
        round(sum(c.lambda_invocations for c in counts) / pairs, 1),
    )
    print(json.dumps(report(args.notices, len(platform_ids), seconds, per_pair), indent=2))


# Per notice, outside the Map: RecordReceived, PlanDispatch, the Map, AllPlatformsDone;
# two of them invoke a Lambda (plus intake's own invocation per file, not per notice).
PER_NOTICE = Counts(transitions=4, lambda_invocations=2)


def _usd(counts: Counts) -> float:
    lambda_cost = LAMBDA_PER_REQUEST + LAMBDA_GB_SECONDS_PER_INVOCATION * LAMBDA_PER_GB_SECOND
    return (
        counts.transitions * STEP_FUNCTIONS_PER_TRANSITION + counts.lambda_invocations * lambda_cost
    )


def report(notices: int, platforms: int, seconds: float, per_pair: Counts) -> dict[str, Any]:
    per_notice = _usd(PER_NOTICE) + platforms * _usd(per_pair)
    result = {
        "notices": notices,
        "platforms": platforms,
        "seconds_upload_to_all_dispatched": round(seconds, 1),
        "per_notice_platform_pair_answered_on_time": {
            "state_transitions": per_pair.transitions,
            "lambda_invocations": per_pair.lambda_invocations,
        },
        "per_notice_outside_the_map": {
            "state_transitions": PER_NOTICE.transitions,
            "lambda_invocations": PER_NOTICE.lambda_invocations,
        },
        f"usd_per_1000_notices_to_{platforms}_platforms_step_functions_and_lambda": round(
            per_notice * 1000, 2
        ),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lifecycle.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
