"""One synthesized template per test run, shared by every xdist worker.

``infra.build.synthesize`` writes build/dev/; a file lock keeps two workers from
packaging into it at once, and a stamp naming this run lets the second worker reuse
what the first one built.
"""

from __future__ import annotations

import fcntl
import uuid
from pathlib import Path

import pytest

from infra.build import BUILD_DIR, synthesize

STAGE = "dev"
RUN_ID = pytest.StashKey[str]()


def remember_run_id(config: pytest.Config) -> None:
    """xdist's id of this run on its workers (the same for all), a new one otherwise."""
    workerinput = getattr(config, "workerinput", None)
    config.stash[RUN_ID] = workerinput["testrunuid"] if workerinput else uuid.uuid4().hex


def synthesized_template(config: pytest.Config) -> Path:
    """build/dev/sam.json, synthesized once in this run."""
    run_id = config.stash[RUN_ID]
    out_dir = BUILD_DIR / STAGE
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = out_dir / ".synthesized-by-test-run"
    with (BUILD_DIR / f".{STAGE}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not stamp.exists() or stamp.read_text() != run_id:
                synthesize(STAGE)
                stamp.write_text(run_id)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return out_dir / "sam.json"
