"""`psx serve` with every thread a greenlet (gevent), so a parked execution holds no
OS thread.

moto's Step Functions interpreter (``moto.stepfunctions.parser``, from LocalStack) runs
each execution on threads and parks a ``.waitForTaskToken`` task on a
``threading.Event``: a lifecycle waiting on P platforms held 3 + 3 x P OS threads, and
the kernel's ``pid_max`` capped one process at about 2,700 of them. With ``threading``,
``socket``, ``select``, ``time`` and ``queue`` patched by gevent those threads are
greenlets and those waits are switches to gevent's event loop: the same interpreter
runs the same definitions, and a waiting execution costs a few kilobytes of saved
stack. ``tests/integration/test_moto_seam.py`` has the canary.

The patching must come before anything binds the originals (``socketserver`` picks its
selector class when it is imported, moto's interpreter imports ``Thread`` by name), so
it runs when the ``psx`` package is imported by a ``psx serve`` process, and only
there: the in-process runtime of the tests and ``psx demo`` keep real threads.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

SERVE_COMMAND = "serve"


def is_serve_command(argv: Sequence[str]) -> bool:
    """``psx serve ...`` (console script, ``python -m psx`` and the tests' wrapper alike:
    the command is the first argument, the group has no options of its own)."""
    return list(argv[1:2]) == [SERVE_COMMAND]


def make_threads_cooperative() -> None:
    """Patch the standard library for gevent (idempotent)."""
    from gevent import monkey

    monkey.patch_all()


def threads_are_greenlets() -> bool:
    """Whether this process patched its threads (without importing gevent to ask)."""
    monkey = sys.modules.get("gevent.monkey")
    return monkey is not None and bool(monkey.is_module_patched("threading"))


def start_os_thread(target: Callable[..., Any], *args: Any) -> None:
    """Run ``target`` on an OS thread of its own whether or not threads are greenlets:
    for a blocking system call (``signal.sigwait``) that would stop every greenlet."""
    from gevent import monkey

    start_new_thread = monkey.get_original("_thread", "start_new_thread")
    start_new_thread(target, args)


def cooperate_if_serving(argv: Sequence[str]) -> None:
    if is_serve_command(argv):
        make_threads_cooperative()
