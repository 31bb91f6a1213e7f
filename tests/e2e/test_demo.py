"""`psx demo` is the shop window: it must run from a fresh checkout and show every format."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.support.recorded_psx import COMMAND as RECORDED_PSX
from tests.support.recorded_psx import adopt_recorded_calls

pytestmark = pytest.mark.e2e


def test_demo_ingests_every_sample_and_runs_every_workflow() -> None:
    with adopt_recorded_calls() as env:
        result = subprocess.run(
            [*RECORDED_PSX, "demo"],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            env=env,
        )

    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    for fmt in ("csv", "xlsx", "json", "cpsc", "safety-gate"):
        assert f"({fmt}, " in out
    assert "4 unchanged), 2 rejected" in out  # the re-sent file duplicated nothing
    assert "1 new versions, 1 withdrawn" in out
    assert out.count("REFUSED") == 2
    executions = re.search(r"lifecycle executions: (\d+) \((\d+) succeeded\)", out)
    assert executions is not None and executions.group(1) == executions.group(2)
    assert "received v2" in out
    # Two marketplaces: Temu answers on time, AliExpress misses and answers late.
    webhooks = re.findall(
        r"(\w+) received (\d+) signed webhooks \((\d+) failed verification\)", out
    )
    assert {name for name, _, _ in webhooks} == {"Temu", "AliExpress"}
    for name, received, failed in webhooks:
        assert int(received) > 0 and int(failed) == 0, name
    escalated = re.search(r"(\d+) missed deadlines escalated .* \(aliexpress\)", out)
    assert escalated is not None and int(escalated.group(1)) > 0
    assert "met late" in out and "  met\n" in out
    # Both answer through the HTTPS API, and the regulator reads the outcome through it.
    temu = re.search(r"Temu pulls its inbox over the HTTPS API .*: (\d+) notices", out)
    aliexpress = re.search(r"AliExpress answers over the HTTPS API late, .*: (\d+) notices", out)
    assert temu is not None and int(temu.group(1)) > 0
    assert aliexpress is not None and int(aliexpress.group(1)) > 0
    assert re.search(r"aliexpress: \d+ late", out) and re.search(r"temu: \d+ on time", out)
    # The handlers' logs and the server's access log stay out of the story.
    assert '"level"' not in out and "HTTP/1.1" not in result.stderr
