"""Intake benchmarks (not tests): rows per second for parse-and-validate alone, and for
end-to-end intake of one large file in the embedded runtime.

    make bench                      # 10,000 rows
    .venv/bin/python -m bench.run --rows 2000 --skip-e2e
    .venv/bin/python -m bench.run --skip-e2e --profile   # where parse time goes

Parse rates are rows per CPU second of this process (rows/s/core): wall-clock rates
swing with whatever else the machine runs. Two are printed: the first parse in the
process (a cold intake Lambda's one file), and the median of the parses after it
(a warm Lambda parsing file after file), which is what the issue-9 goal compares.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import platform
import pstats
import statistics
import time
import tracemalloc
from pathlib import Path
from typing import Any

from bench.notice_files import canonical_csv
from psx.embedded.runtime import EmbeddedRuntime

RESULTS = Path(__file__).resolve().parent / "results"
# bench_parse's rows_per_cpu_second for this 10,000-row file at commit 2a93a4b, before
# the parse was sped up (same machine, median of three runs): the figure to compare.
PARSE_BEFORE_ISSUE_9 = 10_100


# Parses of the same file after the first, for the warm-process rate.
STEADY_PARSES = 4


def bench_parse(data: bytes, rows: int) -> dict[str, Any]:
    from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
    from chalicelib.intake.parse import parse_notice_file

    def parse() -> int:
        parsed = parse_notice_file(
            data,
            filename="bench.csv",
            format_hint=None,
            limits=IntakeLimits(),
            defaults=RegulatorDefaults(),
        )
        return sum(1 for row in parsed.rows if row.accepted)

    started, cpu_started = time.perf_counter(), time.process_time()
    accepted = parse()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert accepted == rows, f"expected {rows} accepted rows, got {accepted}"
    steady_cpu = []
    for _ in range(STEADY_PARSES):
        cpu_started = time.process_time()
        parse()  # its rows are freed before the next starts, as in a warm Lambda
        steady_cpu.append(time.process_time() - cpu_started)
    cpu_started = time.process_time()
    raw_rows = sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8")))) - 1
    raw_cpu = time.process_time() - cpu_started
    # Memory in a second pass: tracing allocations slows Python down several times.
    tracemalloc.start()
    parse()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "rows": rows,
        "seconds": round(elapsed, 3),
        "rows_per_second": round(rows / elapsed),
        "rows_per_cpu_second": round(rows / cpu),
        "steady_rows_per_cpu_second": round(rows / statistics.median(steady_cpu)),
        "steady_rows_per_cpu_second_each": [round(rows / seconds) for seconds in steady_cpu],
        "csv_module_raw_rows_per_cpu_second": round(raw_rows / raw_cpu),
        "peak_memory_mib": round(peak / 2**20, 1),
    }


def profile_parse(data: bytes) -> pstats.Stats:
    """cProfile of the parse stage."""
    from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
    from chalicelib.intake.parse import parse_notice_file

    profiler = cProfile.Profile()
    profiler.runcall(
        parse_notice_file,
        data,
        filename="bench.csv",
        format_hint=None,
        limits=IntakeLimits(),
        defaults=RegulatorDefaults(),
    )
    return pstats.Stats(profiler)


def profile_summary(stats: pstats.Stats, top: int = 10) -> list[str]:
    """The functions where the parse spends its own time, with their share of it
    (cProfile's overhead inflates Python calls against C ones; shares, not seconds)."""
    own_times = {
        function: row[2]  # (calls, primitive calls, own time, cumulative time, callers)
        for function, row in stats.stats.items()  # type: ignore[attr-defined]
    }
    total = sum(own_times.values())
    ranked = sorted(own_times.items(), key=lambda item: item[1], reverse=True)[:top]
    return [
        f"{own / total:5.1%} {Path(file).name}:{line}({name})" for (file, line, name), own in ranked
    ]


def bench_end_to_end(data: bytes, rows: int) -> dict[str, Any]:
    with EmbeddedRuntime() as runtime:
        s3 = runtime.client("s3")
        bucket = runtime.outputs["PsxIntakeBucket"]
        started = time.perf_counter()
        s3.put_object(Bucket=bucket, Key="incoming/kftc/bench.csv", Body=data)
        runtime.pump()
        ingested = time.perf_counter() - started
        report = json.loads(
            s3.get_object(Bucket=bucket, Key="results/kftc/bench.csv.result.json")["Body"].read()
        )
        executions = runtime.wait_for_executions(timeout_seconds=3600)
        finished = time.perf_counter() - started
    assert report["counts"]["created"] == rows, report["counts"]
    succeeded = sum(1 for e in executions if e["status"] == "SUCCEEDED")
    return {
        "rows": rows,
        "seconds_to_report": round(ingested, 2),
        "rows_per_second_to_report": round(rows / ingested),
        "seconds_to_all_workflows_done": round(finished, 2),
        "workflows_succeeded": succeeded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--skip-e2e", action="store_true")
    parser.add_argument("--profile", action="store_true", help="profile the parse stage only")
    args = parser.parse_args()
    data = canonical_csv(args.rows)
    if args.profile:
        profile_parse(data).sort_stats("tottime").print_stats(25)
        return
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "file_bytes": len(data),
        "parse_and_validate": bench_parse(data, args.rows),
        "parse_rows_per_cpu_second_before_issue_9": PARSE_BEFORE_ISSUE_9,
        "parse_profile_own_time": profile_summary(profile_parse(data)),
    }
    if not args.skip_e2e:
        results["end_to_end"] = bench_end_to_end(data, args.rows)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
