"""End-to-end benchmark the way a user meets the exchange: `psx serve` in its own
process, files sent with `psx upload`, platforms as live webhook receivers here.

    .venv/bin/python -m bench.serve                         # the issue-9 figures
    .venv/bin/python -m bench.serve --week 60 --notices 100 --waiting 300
    .venv/bin/python -m bench.serve --idle-only                # idle CPU of a fresh psx serve

Figures: the Safety Gate weekly file (353 notifications) upload -> result report with
no platform registered; the same shape with 3 platforms -> every notice delivered to
all 3; N notices x 3 platforms -> all delivered (and p95 per notice); threads and CPU
of `psx serve` once W executions wait for the platforms' answers. Idle CPU is the
utime + stime `/proc` gives for the process over ``--idle-seconds``, at the start and
once the executions wait.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.lifecycle import notice_file
from bench.notice_files import safety_gate_week
from bench.run import RESULTS
from psx.polling import wait_until
from psx.webhook_receiver import WebhookReceiver

PSX = [sys.executable, "-m", "psx"]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    process: subprocess.Popen[str]
    aws: str

    def psx(self, *args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PSX_ENDPOINT_URL": self.aws}
        return subprocess.run(
            [*PSX, *args], capture_output=True, text=True, env=env, timeout=timeout, check=True
        )

    def _status(self, field: str) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith(f"{field}:"))
        return int(line.split()[1])

    def threads(self) -> int:
        return self._status("Threads")

    def rss_mb(self) -> int:
        return self._status("VmRSS") // 1024

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


@contextmanager
def psx_serve() -> Iterator[Served]:
    """`psx serve` with its log in a file (a pipe nobody reads would fill and block it)."""
    aws_port, api_port = _free_port(), _free_port()
    with tempfile.NamedTemporaryFile("w+", suffix=".log") as log:
        process = subprocess.Popen(
            [*PSX, "serve", "--aws-port", str(aws_port), "--api-port", str(api_port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )

        def ready() -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"psx serve exited:\n{Path(log.name).read_text()}")
            return "Ready." in Path(log.name).read_text()

        wait_until(ready, "psx serve to be ready", 300)
        try:
            yield Served(process, f"http://127.0.0.1:{aws_port}")
        finally:
            process.terminate()
            process.wait(timeout=60)


def _connect_domain_code(served: Served) -> None:
    """Stores in this process talk to `psx serve` (as `psx platforms add` does)."""
    from psx.target import Target

    target = Target(endpoint_url=served.aws)
    os.environ["PSX_TABLE_NAME"] = target.output("PSX_TABLE_NAME")
    os.environ["PSX_LIFECYCLE_STATE_MACHINE_ARN"] = target.output("PSX_LIFECYCLE_STATE_MACHINE_ARN")


def _running_executions() -> int:
    from chalicelib.stores import aws_clients

    pages = (
        aws_clients.stepfunctions()
        .get_paginator("list_executions")
        .paginate(
            stateMachineArn=os.environ["PSX_LIFECYCLE_STATE_MACHINE_ARN"], statusFilter="RUNNING"
        )
    )
    return sum(len(page["executions"]) for page in pages)


def _platforms(stack: ExitStack, count: int) -> dict[str, WebhookReceiver]:
    from chalicelib.platforms.model import Platform
    from chalicelib.platforms.registration import register_platform
    from chalicelib.stores.platforms_table import PlatformStore
    from chalicelib.stores.signing_secrets import signing_secret_name

    store = PlatformStore(os.environ["PSX_TABLE_NAME"])
    receivers = {}
    for number in range(count):
        platform_id = f"bench-{number}"
        # Every delivery kept (the receiver keeps 100 by default): they time each notice.
        receiver = stack.enter_context(WebhookReceiver(secrets=[], max_records=10**6))
        receiver.trust(
            register_platform(
                store,
                Platform(
                    platform_id=platform_id,
                    name=f"Bench {number}",
                    jurisdictions=["EU", "KR"],
                    webhook_url=receiver.url,
                    signing_secret_ref=signing_secret_name("psx-dev", platform_id),
                ),
            )
        )
        receivers[platform_id] = receiver
    return receivers


def _upload(served: Served, data: bytes, name: str, regulator_id: str) -> tuple[float, Any]:
    """`psx upload` of ``data``; seconds until it printed the result report, and the
    report (its progress lines go to stderr and are kept)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / name
        path.write_bytes(data)
        started = time.perf_counter()
        done = served.psx(
            "upload", str(path), "--regulator", regulator_id, "--json", "--timeout", "3600"
        )
        seconds = time.perf_counter() - started
    return seconds, json.loads(done.stdout)


def _dispatched(
    served: Served, data: bytes, name: str, regulator_id: str, receivers: dict[str, Any]
) -> dict[str, Any]:
    """Upload, then wait until every accepted notice reached every platform."""
    seen = {platform_id: len(r.deliveries) for platform_id, r in receivers.items()}
    cpu_before = served.cpu_seconds()
    started = time.perf_counter()
    seconds_to_report, report = _upload(served, data, name, regulator_id)
    expected = {row["notice_id"] for row in report["rows"] if row["status"] == "accepted"}
    reached: dict[str, set[str]] = {notice_id: set() for notice_id in expected}
    done_at: dict[str, float] = {}
    logged: set[int] = set()  # the 30-second marks already logged

    def all_delivered() -> bool:
        now = time.perf_counter() - started
        if int(now) // 30 not in logged:
            logged.add(int(now) // 30)
            _log(
                f"{now:.0f}s: {len(done_at)}/{len(expected)} notices on every platform; "
                f"deliveries {[len(r.deliveries) for r in receivers.values()]}, "
                f"rejections {[len(r.rejections) for r in receivers.values()]}"
            )
        for platform_id, receiver in receivers.items():
            deliveries = receiver.deliveries
            for delivery in deliveries[seen[platform_id] :]:
                notice_id = delivery.body["notice_id"]
                if notice_id in reached:
                    reached[notice_id].add(platform_id)
                    if len(reached[notice_id]) == len(receivers):
                        done_at.setdefault(notice_id, now)
            seen[platform_id] = len(deliveries)
        return len(done_at) == len(expected)

    wait_until(all_delivered, f"{len(expected)} notices on {len(receivers)} platforms", 7200)
    latencies = sorted(done_at.values())
    return {
        "notices": len(expected),
        "platforms": len(receivers),
        "seconds_upload_to_report": round(seconds_to_report, 1),
        "seconds_upload_to_all_dispatched": round(latencies[-1], 1),
        "p95_seconds_upload_to_notice_on_all_platforms": round(
            latencies[int(0.95 * (len(latencies) - 1))], 1
        ),
        # Wall clock depends on what else shares the cores; CPU seconds do not.
        "serve_cpu_seconds": round(served.cpu_seconds() - cpu_before, 1),
    }


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _idle(served: Served, seconds: float) -> dict[str, Any]:
    time.sleep(5)  # the last pushes' tasks settle into their waits
    waiting = _running_executions()
    before = served.cpu_seconds()
    time.sleep(seconds)
    cpu = served.cpu_seconds() - before
    return {
        "executions_waiting": waiting,
        "threads": served.threads(),
        "resident_mb": served.rss_mb(),
        "idle_seconds": seconds,
        "idle_cpu_seconds": round(cpu, 2),
        "idle_cpu_percent_of_one_core": round(100 * cpu / seconds, 2),
        "load_average": _load_average(),
    }


def _load_average() -> str:
    return " ".join(f"{load:.1f}" for load in os.getloadavg())


def _under_load() -> str:
    return f"load average {_load_average()} on {os.cpu_count()} cores at the end of the run"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--week", type=int, default=353, help="notifications in the weekly file")
    parser.add_argument("--notices", type=int, default=1000, help="the N x 3 platforms run")
    parser.add_argument(
        "--waiting",
        type=int,
        default=0,
        help="top up the executions left waiting to this many",
    )
    parser.add_argument(
        "--waiting-platforms",
        type=int,
        choices=(1, 2, 3),
        default=3,
        help="platforms each topping-up notice targets (fewer: cheaper to reach --waiting)",
    )
    parser.add_argument(
        "--idle-seconds",
        type=float,
        default=60.0,
        help="how long the idle CPU of `psx serve` is measured (at start and once waiting)",
    )
    parser.add_argument(
        "--idle-only",
        action="store_true",
        help="only the idle CPU of a fresh `psx serve` (no uploads)",
    )
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}"
    }
    with psx_serve() as served, ExitStack() as stack:
        _connect_domain_code(served)
        results["idle_at_start"] = _idle(served, args.idle_seconds)
        if args.idle_only:
            _finish(results)
            return
        cpu_before = served.cpu_seconds()
        seconds, report = _upload(served, safety_gate_week(args.week), "week.xml", "eu-safety-gate")
        assert report["counts"]["created"] == args.week, report["counts"]
        _log(f"weekly file, no platforms: report after {seconds:.1f}s")
        results["safety_gate_week_no_platforms"] = {
            "notices": args.week,
            "bytes": len(safety_gate_week(args.week)),
            "seconds_upload_to_report": round(seconds, 1),
            "serve_cpu_seconds": round(served.cpu_seconds() - cpu_before, 1),
        }
        receivers = _platforms(stack, 3)
        week = safety_gate_week(args.week, seed=11).replace(
            b"<caseNumber>A12/", b"<caseNumber>B12/"
        )
        results["safety_gate_week_3_platforms"] = _dispatched(
            served, week, "week-2.xml", "eu-safety-gate", receivers
        )
        _log(f"weekly file, 3 platforms: {results['safety_gate_week_3_platforms']}")
        kr = notice_file(args.notices, list(receivers))
        results["notices_x_3_platforms"] = _dispatched(served, kr, "bench.csv", "kftc", receivers)
        _log(f"{args.notices} notices, 3 platforms: {results['notices_x_3_platforms']}")
        waiting = _running_executions()
        if args.waiting > waiting:
            some = dict(list(receivers.items())[: args.waiting_platforms])
            more = notice_file(args.waiting - waiting, list(some)).replace(b"BENCH-", b"WAIT-")
            results["topping_up"] = _dispatched(served, more, "waiting.csv", "kftc", some)
        results["idle_with_executions_waiting"] = _idle(served, args.idle_seconds)
    _finish(results)


def _finish(results: dict[str, Any]) -> None:
    results["measured_under"] = _under_load()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "serve.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
