"""AWS calls per notice-platform pair on the dispatch path (not a test): N notices
uploaded for P platforms in the embedded runtime, until every notice reached every
platform and each dispatch waits for its acknowledgement; every call a function makes
is counted by function and operation.

    .venv/bin/python -m bench.dispatch_calls --notices 20 --platforms 3

Counts do not depend on the machine's load: they say what the path asks of AWS, the
cost the embedded runtime pays in moto and Lambda pays in round trips. The CPU seconds
of the process from upload until every dispatch waits are printed beside them (moto,
the handlers, the workflows and the webhook receivers all run in it); they do depend
on the load, so compare commits run in turn (README, "AWS calls per notice–platform
pair").
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient

from bench.lifecycle import dispatch_all
from bench.run import RESULTS
from chalicelib.dispatch.model import DispatchRef, WaitKind
from chalicelib.dispatch.services import lifecycle_services
from chalicelib.settings import load_settings
from psx.demo_platforms import demo_platforms
from psx.embedded.running_function import running_function
from psx.embedded.runtime import EmbeddedRuntime
from psx.polling import wait_until


class CallCounter:
    """(function, service.operation) -> calls made while that function's handler ran."""

    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    @contextmanager
    def counting(self) -> Iterator[None]:
        original = BaseClient._make_api_call  # type: ignore[attr-defined]
        counter = self

        def counted(client: BaseClient, operation_name: str, api_params: Any) -> Any:
            function = running_function()
            if function is not None:
                service = client.meta.service_model.service_name
                with counter._lock:
                    counter.calls[(function, f"{service}.{operation_name}")] += 1
            return original(client, operation_name, api_params)

        BaseClient._make_api_call = counted  # type: ignore[attr-defined]
        try:
            yield
        finally:
            BaseClient._make_api_call = original  # type: ignore[attr-defined]


def _all_waiting(notice_ids: list[str], platform_ids: list[str]) -> None:
    services = lifecycle_services(load_settings())
    for notice_id in notice_ids:
        for platform_id in platform_ids:
            ref = DispatchRef(notice_id, 1, platform_id)

            def waiting(ref: DispatchRef = ref) -> bool:
                dispatch = services.dispatches.get(ref)
                return dispatch is not None and dispatch.open_wait is WaitKind.ACKNOWLEDGEMENT

            wait_until(waiting, f"{ref} waiting for its acknowledgement", 600)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--notices", type=int, default=20)
    parser.add_argument("--platforms", type=int, default=3, choices=[1, 2, 3])
    args = parser.parse_args()
    counter = CallCounter()
    with (
        EmbeddedRuntime() as runtime,
        demo_platforms(runtime.stack_name, args.platforms) as platforms,
        counter.counting(),
    ):
        platform_ids = [p.platform_id for p in platforms]
        receivers = [p.receiver for p in platforms]
        cpu_before = _cpu_seconds()
        dispatch_all(runtime, args.notices, platform_ids, receivers)
        notice_ids = sorted({d.body["notice_id"] for d in receivers[0].deliveries})
        _all_waiting(notice_ids, platform_ids)
        cpu_seconds = _cpu_seconds() - cpu_before
    pairs = args.notices * len(platform_ids)
    by_function: Counter[str] = Counter()
    for (function, _), calls in counter.calls.items():
        by_function[function.removeprefix(f"{runtime.stack_name}-")] += calls
    result = {
        "notices": args.notices,
        "platforms": len(platform_ids),
        "aws_calls_per_pair": round(sum(counter.calls.values()) / pairs, 1),
        "cpu_seconds_upload_to_all_waiting": round(cpu_seconds, 2),
        "cpu_ms_per_pair": round(1000 * cpu_seconds / pairs, 1),
        "load_average": round(os.getloadavg()[0], 1),
        "per_pair_by_function": {f: round(n / pairs, 2) for f, n in by_function.most_common()},
        "per_pair_by_function_and_operation": {
            f"{function.removeprefix(f'{runtime.stack_name}-')} {operation}": round(n / pairs, 2)
            for (function, operation), n in sorted(counter.calls.items())
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dispatch_calls.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
