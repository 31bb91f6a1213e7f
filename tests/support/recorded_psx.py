"""``python -m tests.support.recorded_psx ARGS``: ``psx ARGS`` with its functions' AWS
calls recorded, for the e2e tests that start ``psx serve`` or ``psx demo`` as a process.

When the process ends (SIGTERM included: that is how the tests stop ``psx serve``) it
saves its record (tests/support/aws_calls.py) to the file ``PSX_RECORDED_CALLS`` names;
``adopt_recorded_calls`` adds it to the test process's record, so the session's role
check covers what the functions called in there too.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

# psx before the record: importing psx patches threads for `psx serve` (cooperative.py)
from psx.embedded.cooperative import start_os_thread
from tests.support.aws_calls import RECORDER

RECORDED_CALLS = "PSX_RECORDED_CALLS"
COMMAND = [sys.executable, "-m", "tests.support.recorded_psx"]


@contextmanager
def adopt_recorded_calls() -> Iterator[dict[str, str]]:
    """The environment for a recorded ``psx`` process; its record is adopted on exit."""
    with TemporaryDirectory() as directory:
        record = Path(directory) / "calls.json"
        yield {**os.environ, RECORDED_CALLS: str(record)}
        if record.exists():
            RECORDER.load(record)


def main() -> None:
    from psx.cli import main as psx

    record = Path(os.environ[RECORDED_CALLS])

    # SIGTERM (how the tests stop `psx serve`) is taken by an OS thread of its own, with
    # the signal blocked everywhere else: a Python handler runs only in the main thread,
    # and when the kernel hands the signal to another of the process's threads, a main
    # thread waiting on a lock never wakes to run it (the process then ignored SIGTERM).
    # An OS thread even where threads are greenlets: sigwait would stop all of them.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # inherited by every thread
    start_os_thread(_end_on_sigterm, record)
    RECORDER.install()
    try:
        psx(args=sys.argv[1:], prog_name="psx")
    finally:
        RECORDER.save(record)


def _end_on_sigterm(record: Path) -> None:
    signal.sigwait({signal.SIGTERM})
    # As SIGTERM's default would: end at once (request threads may be blocked on a full
    # output pipe), but with the record saved first.
    RECORDER.save(record)
    os._exit(128 + signal.SIGTERM)


if __name__ == "__main__":
    main()
