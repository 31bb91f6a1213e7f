"""What per_world caches: one build per key, however many threads ask at once, and a
fresh one when the configuration or the clients (a new AWS world) change."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from chalicelib.stores import aws_clients

THREADS = 16


def _counting_builder() -> tuple[list[str], Callable[[str], object]]:
    built: list[str] = []

    def build(key: str) -> object:
        time.sleep(0.01)  # long enough for every thread to arrive before the first is done
        built.append(key)
        return object()

    return built, aws_clients.per_world(build)


def test_concurrent_first_calls_build_once_and_share_the_result() -> None:
    built, services = _counting_builder()
    barrier = threading.Barrier(THREADS)

    def ask(_: int) -> object:
        barrier.wait()
        return services("table-a")

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(ask, range(THREADS)))

    assert built == ["table-a"]
    assert all(result is results[0] for result in results)


def test_a_new_configuration_or_a_new_world_builds_again() -> None:
    built, services = _counting_builder()
    first = services("table-a")
    assert services("table-a") is first
    assert services("table-b") is not first
    aws_clients.reset_clients()
    assert services("table-b") is not services("table-a")
    assert built == ["table-a", "table-b", "table-b", "table-a"]
