"""`psx report`: the Pledge-style semi-annual compliance report; `psx dashboard`: the
regulator's dashboard in the default browser."""

from __future__ import annotations

import json
import webbrowser
from datetime import UTC, datetime
from pathlib import Path

import click

from chalicelib.reports.exports import to_csv, to_html, to_table, to_xlsx
from chalicelib.reports.report import Scope, half_year, report_from_log
from chalicelib.stores.report_log import ReportLog
from psx.cli_common import reported_errors, target_options
from psx.publish import publish_reports
from psx.target import Target
from psx.terminal import echo

REPORT_FORMATS = ["table", "csv", "xlsx", "html"]


@click.command()
@click.option("--period", help="A half year: 2026-H1 or 2026-H2 (UTC).")
@click.option("--platform", "platform_id", help="Only this platform.")
@click.option("--regulator", "regulator_id", help="Only this regulator's notices.")
@click.option("--format", "output_format", type=click.Choice(REPORT_FORMATS), default="table")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file (required for xlsx); default: the terminal.",
)
@click.option(
    "--publish",
    is_flag=True,
    help="Instead: run the daily publication now (every month's summary brought up to "
    "date, each platform's report for the current half year written to the reports "
    "bucket) and wait for it.",
)
@target_options
def report(
    period: str | None,
    platform_id: str | None,
    regulator_id: str | None,
    output_format: str,
    out: Path | None,
    publish: bool,
    stack: str,
    endpoint_url: str | None,
) -> None:
    """Compliance figures per platform for a half year (definitions: docs/reports.md)."""
    target = Target(stack_name=stack, endpoint_url=endpoint_url)
    if publish:
        if period or platform_id or regulator_id or out:
            raise click.UsageError("--publish publishes every platform's current half year")
        with reported_errors():
            published = publish_reports(target, datetime.now(UTC))
        echo(json.dumps(published, indent=2))
        if published["status"] != "SUCCEEDED":
            raise click.ClickException(f"the publication ended {published['status']}")
        return
    if period is None:
        raise click.UsageError("give --period (2026-H1 or 2026-H2), or --publish")
    try:
        chosen = half_year(period)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from exc
    if output_format == "xlsx" and out is None:
        raise click.UsageError("--format xlsx writes a file: give --out FILE.xlsx")
    with reported_errors():
        table = target.output("PSX_TABLE_NAME")
        found = report_from_log(
            ReportLog(table),
            chosen,
            Scope(regulator_id=regulator_id, platform_id=platform_id),
            None,
            datetime.now(UTC),
        )
    title = f"Product safety compliance report {period}"
    if output_format == "xlsx":
        assert out is not None
        out.write_bytes(to_xlsx(found))
    elif output_format == "html":
        _write(to_html(found, title), out)
    elif output_format == "csv":
        _write(to_csv(found), out)
    else:
        _write(_aligned(to_table(found)), out)
    if out is not None:
        echo(f"Wrote {out}", err=True)


def _write(text: str, out: Path | None) -> None:
    if out is None:
        echo(text.rstrip("\n"))
    else:
        out.write_text(text, encoding="utf-8")


def _aligned(lines: list[list[str]]) -> str:
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )


@click.command()
@click.option(
    "--api-url",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="Where the API is served (`psx serve`'s HTTPS API).",
)
def dashboard(api_url: str) -> None:
    """Open the regulator's dashboard in the default browser (sign in with your API key)."""
    url = f"{api_url.rstrip('/')}/v1/dashboard/"
    echo(f"Dashboard: {url}")
    if not webbrowser.open(url):
        echo("No browser could be started here: open the address above.", err=True)
