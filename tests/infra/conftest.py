"""One synthesized template per test run, shared by every xdist worker.

``infra.build.synthesize`` writes build/dev/; a file lock keeps two workers from
packaging into it at once, and a stamp naming this run lets the second worker reuse
what the first one built.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.build import BUILD_DIR, synthesize

STAGE = "dev"


@pytest.fixture(scope="session")
def template_file(testrun_uid: str) -> Iterator[Path]:
    out_dir = BUILD_DIR / STAGE
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = out_dir / ".synthesized-by-test-run"
    with (BUILD_DIR / f".{STAGE}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not stamp.exists() or stamp.read_text() != testrun_uid:
                synthesize(STAGE)
                stamp.write_text(testrun_uid)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    yield out_dir / "sam.json"


@pytest.fixture(scope="session")
def template(template_file: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(template_file.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="session")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = template["Resources"]
    return found
