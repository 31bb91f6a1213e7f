"""A compliance report as a table, CSV, JSON, XLSX or a self-contained printable HTML page.

Every text cell is neutralised against spreadsheet formula injection (OWASP "CSV
injection"): a notice title is the regulator's text, and a spreadsheet would run
``=HYPERLINK(...)`` typed into one. Figures not available (no event to count) are "n/a".
"""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from openpyxl import Workbook

from chalicelib.reports.figures import Figures
from chalicelib.reports.report import ALL, ComplianceReport, Escalation, Row

NOT_AVAILABLE = "n/a"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FIGURE_NAMES = tuple(field.name for field in fields(Figures))
ROW_HEADER = ("platform_id", "regulator_id", "period", *FIGURE_NAMES)
ESCALATION_HEADER = (
    "platform_id",
    "regulator_id",
    "notice_id",
    "version",
    "title",
    "waiting_for",
    "deadline",
)
# The Pledge-style summary: the headline figures, one line per platform.
SUMMARY_FIGURES = (
    "notices_sent",
    "acknowledged_on_time_pct",
    "action_reports_on_time_pct",
    "missed_deadlines",
    "escalations_open",
    "listings_acted_on",
    "taken_down_within_2_working_days_pct",
    "action_working_hours_median",
    "action_working_hours_p90",
)


def safe_cell(value: Any) -> str | int | float:
    """A cell value a spreadsheet shows and never evaluates: text that could start a
    formula gets a leading apostrophe; numbers stay numbers; a missing figure is n/a."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def row_cells(row: Row) -> list[str | int | float]:
    values = row.figures.as_dict()
    return [
        safe_cell(cell)
        for cell in (
            row.platform_id,
            _label(row.regulator_id, "all regulators"),
            _label(row.bucket, "whole period"),
            *(values[name] for name in FIGURE_NAMES),
        )
    ]


def escalation_cells(escalation: Escalation) -> list[str | int | float]:
    return [
        safe_cell(cell)
        for cell in (
            escalation.platform_id,
            escalation.regulator_id,
            escalation.notice_id,
            escalation.version,
            escalation.title,
            escalation.waiting_for,
            escalation.deadline.isoformat() if escalation.deadline else None,
        )
    ]


def _label(value: str, everything: str) -> str:
    return everything if value == ALL else value


def to_csv(report: ComplianceReport) -> str:
    """One line per row of the report (platform totals, per regulator, per week/month)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ROW_HEADER)
    writer.writerows(row_cells(row) for row in report.rows)
    return out.getvalue()


def to_json(report: ComplianceReport, as_of: datetime) -> str:
    """The report as of ``as_of``: the API's figures, named as there (docs/api.md)."""
    return json.dumps(
        {
            "period_start": report.period.start.isoformat(),
            "period_end": report.period.end.isoformat(),  # exclusive
            "as_of": as_of.isoformat(),
            "group": report.group,
            "rows": [row.as_dict() for row in report.rows],
            "open_escalations": [asdict(e) for e in report.open_escalations],
        },
        default=datetime.isoformat,
        ensure_ascii=False,
        indent=1,
    )


def to_table(report: ComplianceReport) -> list[list[str]]:
    """The platform totals, headline figures only, for a terminal."""
    lines = [["platform", *SUMMARY_FIGURES]]
    for row in _totals(report):
        values = row.figures.as_dict()
        lines.append(
            [str(safe_cell(row.platform_id))]
            + [str(safe_cell(values[name])) for name in SUMMARY_FIGURES]
        )
    return lines


def _totals(report: ComplianceReport) -> list[Row]:
    return [row for row in report.rows if row.regulator_id == ALL and row.bucket == ALL]


def to_xlsx(report: ComplianceReport) -> bytes:
    """A summary sheet (headline figures per platform, open escalations) and one sheet
    per platform with all its rows."""
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    _append(summary, ["period", _period_text(report)])
    for line in to_table(report):
        _append(summary, line)
    _append(summary, [])
    _append(summary, ["open escalations"])
    _append(summary, list(ESCALATION_HEADER))
    for escalation in report.open_escalations:
        _append(summary, escalation_cells(escalation))
    for platform_id in sorted({row.platform_id for row in report.rows}):
        sheet = book.create_sheet(_sheet_title(platform_id))
        _append(sheet, list(ROW_HEADER))
        for row in report.rows:
            if row.platform_id == platform_id:
                _append(sheet, row_cells(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _append(sheet: Any, values: Sequence[str | int | float]) -> None:
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"  # openpyxl would store text starting with = as a formula


def _sheet_title(platform_id: str) -> str:
    # Sheet titles: at most 31 characters, none of []:*?/\ (platform ids have none).
    return platform_id[:31]


def _period_text(report: ComplianceReport) -> str:
    return f"{report.period.start:%Y-%m-%d} to {report.period.end:%Y-%m-%d} (end exclusive, UTC)"


def to_html(report: ComplianceReport, title: str) -> str:
    """One self-contained page (inline CSS, no scripts, no external resource), printable."""
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>Period: {html.escape(_period_text(report))}. Definitions: docs/reports.md. "
        f"n/a: no event to count.</p>",
        "<h2>Summary</h2>",
        _html_table(to_table(report)),
    ]
    for platform_id in sorted({row.platform_id for row in report.rows}):
        rows = [row for row in report.rows if row.platform_id == platform_id]
        sections.append(f"<h2>{html.escape(platform_id)}</h2>")
        sections.append(_html_table([list(ROW_HEADER), *(row_cells(row) for row in rows)]))
    sections.append("<h2>Open escalations</h2>")
    sections.append(
        _html_table(
            [list(ESCALATION_HEADER), *(escalation_cells(e) for e in report.open_escalations)]
        )
    )
    return _PAGE.format(title=html.escape(title), body="\n".join(sections))


def _html_table(lines: Sequence[Sequence[str | int | float]]) -> str:
    head, *body = lines
    header = "".join(f'<th scope="col">{html.escape(str(cell))}</th>' for cell in head)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in line) + "</tr>"
        for line in body
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{rows}</tbody></table>"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font: 11pt/1.4 system-ui, sans-serif; margin: 2em; color: #111; }}
table {{ border-collapse: collapse; margin: 0 0 2em; font-size: 9pt; }}
th, td {{ border: 1px solid #999; padding: 2px 6px; text-align: left; }}
th {{ background: #eee; }}
@media print {{ body {{ margin: 0; }} h2 {{ page-break-before: always; }}
  h2:first-of-type {{ page-break-before: avoid; }} }}
</style></head><body>
{body}
</body></html>
"""
