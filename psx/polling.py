"""Waiting for something the embedded exchange does asynchronously (bounded, never forever)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(probe: Callable[[], T | None], what: str, seconds: float = 30.0) -> T:
    """``probe()``'s first truthy value; raises TimeoutError naming ``what`` after ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"timed out after {seconds:.0f}s waiting for {what}")
