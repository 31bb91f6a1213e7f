"""Human-readable summaries of result reports and timelines.

Every value is laid out by ``one_line`` (psx/terminal.py): what a notice file or a
platform wrote cannot move the cursor, break a line or reach the terminal as a control.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from psx.terminal import echo, one_line

MAX_PROBLEM_LINES = 20


def report_summary(report: dict[str, Any]) -> str:
    report = one_line(report)
    file = report["file"]
    lines = [
        f"{file['key']}  ({report.get('format') or 'unknown format'}, {file['size_bytes']} bytes)"
    ]
    if report["status"] == "refused":
        reason = report["reason"]
        lines.append(f"  REFUSED: {reason['message']} [{reason['code']}]")
        return "\n".join(lines)
    counts = report["counts"]
    lines.append(
        "  {rows} rows: {accepted} accepted ({created} new, {new_version} new versions, "
        "{withdrawn} withdrawn, {reissued} re-issued, {unchanged} unchanged), {rejected} rejected, "
        "{with_warnings} with warnings; {executions_started} workflows started".format(**counts)
    )
    lines.extend(f"  file warning: {w['message']}" for w in report["file_warnings"])
    lines.extend(_problem_lines(report["rows"]))
    return "\n".join(lines)


def _problem_lines(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for row in rows:
        for error in row.get("errors", []):
            lines.append(f"  {row['locator']}: rejected: {error['field']}: {error['message']}")
        for warning in row["warnings"]:
            lines.append(f"  {row['locator']}: warning: {warning['field']}: {warning['message']}")
    if len(lines) > MAX_PROBLEM_LINES:
        hidden = len(lines) - MAX_PROBLEM_LINES
        lines = [*lines[:MAX_PROBLEM_LINES], f"  … {hidden} more (see the report, or use --json)"]
    return lines


def echo_report(report: dict[str, Any]) -> None:
    refused = report["status"] == "refused"
    echo(report_summary(report), err=refused)


def status_text(status: dict[str, Any]) -> str:
    status = one_line(status)
    notice = status["notice"]
    content = notice["content"]
    product = content["product"]
    lines = [
        f"{notice['notice_id']}  v{notice['version']}  {notice['status']}",
        f"  {notice['regulator_id']} {content['source_reference']} ({content['kind']}, "
        f"{content['jurisdiction']}, issued {content['issued_on'] or 'date unknown'})",
        f"  product: {product['name'] or '-'}  brand: {product['brand'] or '-'}  "
        f"models: {', '.join(product['models']) or '-'}",
        f"  barcodes: {', '.join(product['barcodes']) or '-'}"
        + (
            f"  (suspect: {', '.join(product['suspect_barcodes'])})"
            if product["suspect_barcodes"]
            else ""
        ),
    ]
    if status["dispatches"]:
        lines.append("  platforms:")
        lines.extend(line for d in status["dispatches"] for line in _dispatch_lines(d))
    lines.append("  timeline:")
    lines.extend(_event_line(event) for event in status["timeline"])
    return "\n".join(lines)


def _event_line(event: dict[str, Any]) -> str:
    what = f"{event['kind']} v{event['version']}"
    platform = event["details"].get("platform_id")
    where = f"  [{platform}]" if platform else ""
    return f"    {event['at']}  {what:<26} {event['actor']}{where}"


def _dispatch_lines(dispatch: dict[str, Any]) -> list[str]:
    attempts = dispatch["webhook_attempts"]
    lines = [
        f"    {dispatch['platform_id']}  v{dispatch['version']}  {dispatch['state']}  "
        f"(webhook attempts: {attempts})"
    ]
    for kind, deadline in dispatch["deadlines"].items():
        if deadline["due"]:
            label = kind.replace("_", " ")
            lines.append(f"      {label:<16} due {deadline['due']}  {deadline['state']}")
    if dispatch["agreement"]:
        lines.append(f"      {'deadlines from':<16} {dispatch['agreement']}")
    for capability in ("notification", "verification"):
        if dispatch[capability]:
            lines.append(f"      {capability:<16} {dispatch[capability]}")
    return lines


def evidence_summary(path: Path, manifest: dict[str, Any], manifest_sha256: str) -> str:
    """What an exported evidence bundle holds, and where it is."""
    objects = manifest["objects"]
    lines = [
        f"Evidence of {manifest['notice_id']}: {len(objects)} objects, "
        f"{len(manifest['timeline'])} timeline events, in {path}",
        f"  manifest SHA-256 {manifest_sha256}",
    ]
    for entry in objects:
        until = entry["retention"]["until"] or "not locked"
        lines.append(
            f"  {entry['key']}  {entry['size']} bytes  sha256 {entry['sha256'][:16]}…  "
            f"{entry['retention']['mode'] or ''} until {until}"
        )
    return "\n".join(one_line(line) for line in lines)
