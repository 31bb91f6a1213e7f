"""Which Lambda function's handler is running, as the embedded runtime sees it.

On AWS each function runs in its own sandbox under its own role. Here every handler
shares one process, so the runtime marks the function around each invocation
(``FunctionRegistry.invoke``) and whatever needs to know on whose behalf an AWS call is
made reads it: the tests check every call against that function's role
(tests/support/aws_calls.py). A context variable, because handlers run in many threads
at once (Step Functions tasks, the event-source poller, the local API).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_RUNNING: ContextVar[str | None] = ContextVar("psx_running_function", default=None)


@contextmanager
def running(function_name: str) -> Iterator[None]:
    """``function_name`` (its deployed name) runs inside the block, in this context."""
    token = _RUNNING.set(function_name)
    try:
        yield
    finally:
        _RUNNING.reset(token)


def running_function() -> str | None:
    """The deployed name of the function running here; None outside every handler."""
    return _RUNNING.get()
