"""`psx report` against the embedded exchange's table: every format, and refused input."""

from __future__ import annotations

import csv
import io
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for
from chalicelib.stores.notices_table import NoticeStore
from psx.embedded.runtime import EmbeddedRuntime
from psx.report_cli import dashboard, report

SENT = datetime(2026, 8, 3, 9, 0, tzinfo=UTC)  # a Monday in 2026-H2
HOSTILE = "=cmd|' /C calc'!A0"


def _psx_report(*args: str) -> Result:
    return CliRunner().invoke(report, list(args), env={"PSX_ENDPOINT_URL": None})


def _sent(regulator_id: str, platform_id: str) -> None:
    NoticeStore(os.environ["PSX_TABLE_NAME"]).append_event(
        TimelineEvent(
            f"ntc-{uuid.uuid4().hex[:24]}",
            event_key_for(1, platform_id, "dispatched"),
            EventKind.DISPATCHED,
            SENT,
            "psx",
            {
                "platform_id": platform_id,
                "regulator_id": regulator_id,
                "jurisdiction": "DE",
                "title": HOSTILE,
                "acknowledgement_deadline": None,
                "action_deadline": None,
            },
        )
    )


def test_every_format_of_the_half_year_report(runtime: EmbeddedRuntime, tmp_path: Path) -> None:
    regulator_id = f"reg-{uuid.uuid4().hex[:8]}"
    _sent(regulator_id, "temu")
    _sent(regulator_id, "shein")
    scope = ["--period", "2026-H2", "--regulator", regulator_id]

    table = _psx_report(*scope)
    assert table.exit_code == 0, table.output
    assert table.output.splitlines()[0].split()[:2] == ["platform", "notices_sent"]
    assert {line.split()[0] for line in table.output.splitlines()[1:]} == {"shein", "temu"}

    csv_out = _psx_report(*scope, "--platform", "temu", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(csv_out.output)))
    assert [(r["platform_id"], r["notices_sent"]) for r in rows] == [
        ("temu", "1"),
        ("temu", "1"),  # the row for the regulator
    ]

    xlsx = tmp_path / "report.xlsx"
    assert _psx_report(*scope, "--format", "xlsx", "--out", str(xlsx)).exit_code == 0
    assert load_workbook(xlsx).sheetnames == ["Summary", "shein", "temu"]

    page = tmp_path / "report.html"
    assert _psx_report(*scope, "--format", "html", "--out", str(page)).exit_code == 0
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")


def test_refused_input_says_why(runtime: EmbeddedRuntime) -> None:
    bad_period = _psx_report("--period", "2026-Q3")
    assert bad_period.exit_code == 2
    assert "YYYY-H1 or YYYY-H2" in bad_period.output
    no_file = _psx_report("--period", "2026-H2", "--format", "xlsx")
    assert no_file.exit_code == 2
    assert "--out" in no_file.output
    no_period = _psx_report("--platform", "temu")
    assert no_period.exit_code == 2
    assert "--period" in no_period.output


def test_psx_dashboard_opens_the_local_dashboard(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    result = CliRunner().invoke(dashboard, ["--api-url", "http://127.0.0.1:8123/"])
    assert result.exit_code == 0
    assert opened == ["http://127.0.0.1:8123/v1/dashboard/"]
    assert "http://127.0.0.1:8123/v1/dashboard/" in result.output
