"""`psx serve` as a separate process, as a user starts it (its functions' AWS calls
recorded for the role check), for tests over real HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.recorded_psx import COMMAND as RECORDED_PSX
from tests.support.recorded_psx import adopt_recorded_calls

PSX = [sys.executable, "-m", "psx"]
STARTUP_SECONDS = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    aws: str  # the AWS-compatible endpoint
    api: str  # the HTTPS API
    banner: str  # what `psx serve` printed up to "Ready."

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A `psx` command against this server (PSX_ENDPOINT_URL set, as the README says)."""
        env = {**os.environ, "PSX_ENDPOINT_URL": self.aws}
        return subprocess.run(
            [*PSX, *args], capture_output=True, text=True, env=env, timeout=180, check=False
        )

    def json(self, *args: str) -> Any:
        """A `psx … --json` command that must succeed; its output."""
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@contextmanager
def psx_serve() -> Iterator[Served]:
    """`psx serve`, its functions' AWS calls recorded for the role check (recorded_psx)."""
    with adopt_recorded_calls() as env, _serving(env) as served:
        yield served


@contextmanager
def _serving(env: dict[str, str]) -> Iterator[Served]:
    aws_port, api_port = free_port(), free_port()
    process = subprocess.Popen(
        # The scheduled runs (audits, feeds, deadlines) are left to the hour: a tick between
        # a test's upload and its on-demand `psx audit verify` would take the work first.
        [
            *RECORDED_PSX,
            "serve",
            "--aws-port",
            str(aws_port),
            "--api-port",
            str(api_port),
            "--schedule-seconds",
            "3600",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_SECONDS
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        lines.append(line)
        if "Ready." in line:
            break
        if process.poll() is not None:
            pytest.fail("psx serve exited:\n" + "".join(lines))
    # Keep reading what it prints: a full pipe would block every thread that logs (a
    # request, a workflow task), and with them the server and its shutdown.
    tail: deque[str] = deque(maxlen=200)
    threading.Thread(target=tail.extend, args=(process.stdout,), daemon=True).start()
    try:
        yield Served(f"http://127.0.0.1:{aws_port}", f"http://127.0.0.1:{api_port}", "".join(lines))
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            pytest.fail("psx serve did not stop on SIGTERM; its last lines:\n" + "".join(tail))
