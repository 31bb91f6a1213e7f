"""`psx demo` is the shop window: it must run from a fresh checkout and show every format."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

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
    # A recorded week of each public feed, pulled from the local feed server past faults.
    assert re.search(r"cpsc-recalls \(cpsc-recalls, as cpsc\): \d+ pages, 2 files, ", out)
    assert "safety-gate (safety-gate-weekly, as eu-safety-gate): 1 pages, 1 files, " in out
    assert "psx feeds list: safety-gate cursor 2026-W48" in out
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
    # Every listing reported removed is fetched on its marketplace's listing host: gone,
    # but for the one Temu still sells.
    checked = re.findall(r"^  (Temu|AliExpress): (\d+) (\w+)$", out, re.MULTILINE)
    assert {(name, status, count) for name, count, status in checked if status != "gone"} == {
        ("Temu", "still_listed", "1")
    }
    assert {(name, status) for name, _, status in checked if status == "gone"} == {
        ("Temu", "gone"),
        ("AliExpress", "gone"),
    }
    # The compliance audit measures the takedowns: found (in the snapshot and live on its
    # page), relisted, found elsewhere and then extended there.
    assert re.search(r"temu: live check of \d+ reported takedowns, 1 still listed", out)
    assert re.search(r"still_listed +temu .*\n +live check .*: HTTP 200 from http://", out)
    assert re.search(r"relisted +aliexpress ", out)
    assert re.search(r"found_elsewhere +coupang ", out)
    assert "(same brand, model ZX-9000): not flagged" in out
    assert "/extensions): added ['coupang']" in out
    assert "Coupang receives the signed webhook: notice.published" in out
    # The daily publication, run once: each platform's report for the half year.
    assert "Compliance reports published (SUCCEEDED" in out
    assert re.search(r"/compliance-reports/\d{4}-H[12]/temu/report\.html \(and", out)
    # The handlers' logs and the server's access log stay out of the story.
    assert '"level"' not in out and "HTTP/1.1" not in result.stderr

    # It ends with one notice's evidence bundle, exported and verified.
    exported = re.search(r"psx evidence (ntc-\w+) --out (\S+\.zip)", out)
    assert exported is not None
    bundle = Path(exported.group(2))
    try:
        _bundle_holds_the_notices_evidence(exported.group(1), bundle)
    finally:
        shutil.rmtree(bundle.parent)  # the demo leaves it for its user to read
    assert f"{exported.group(2)}: " in out and "every SHA-256 matches the manifest" in out


def _bundle_holds_the_notices_evidence(notice_id: str, bundle: Path) -> None:
    """A regulator's own check of the bundle: `psx evidence --verify`, and what it holds."""
    verified = subprocess.run(
        [sys.executable, "-m", "psx", "evidence", "--verify", str(bundle)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["notice_id"] == notice_id
    keys = [entry["key"] for entry in manifest["objects"]]
    assert all(entry["retention"]["mode"] == "COMPLIANCE" for entry in manifest["objects"])
    # The regulator's files and their reports, each platform's answers and webhook attempts.
    assert any(key.endswith("/kftc-notices-update.csv") for key in keys)
    assert sum("/result-" in key for key in keys) >= 2
    for platform in ("temu", "aliexpress"):
        for kind in ("webhooks", "acknowledgement", "action_report", "affected-parties"):
            assert any(f"/{kind}/{platform}/" in key for key in keys), (kind, platform)
    # Every object the timeline names is in the bundle, at the version it names.
    named = {
        (event["details"]["evidence"]["key"], event["details"]["evidence"]["version_id"])
        for event in manifest["timeline"]
        if "key" in (event["details"].get("evidence") or {})
    }
    assert named and named <= {(e["key"], e["version_id"]) for e in manifest["objects"]}
