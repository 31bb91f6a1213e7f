"""The `psx` command: run, serve and use the Product Safety Exchange."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from psx import render
from psx.agreements_cli import agreements
from psx.catalogue_cli import catalogue, verify
from psx.cli_common import (
    EXIT_REFUSED,
    EXIT_TIMEOUT,
    EXIT_UNREACHABLE,
    exit_with,
    reported_errors,
    target_options,
)
from psx.feeds_cli import feeds
from psx.keys_cli import keys
from psx.notices_cli import notices
from psx.outbox_cli import outbox
from psx.platforms_cli import platforms
from psx.report_cli import dashboard, report
from psx.target import Target, TargetError
from psx.terminal import echo, printable

FORMATS = ["csv", "xlsx", "json", "cpsc", "safety-gate"]
PROGRESS_BAR_MIN_BYTES = 1024 * 1024


@click.group()
def main() -> None:
    """Product Safety Exchange: regulators and marketplaces act on harmful products together."""


@main.command()
def demo() -> None:
    """Run the whole lifecycle built so far on the sample files, in-process."""
    from psx.demo import run_demo

    run_demo()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--aws-port", default=4566, show_default=True, help="AWS-compatible endpoint.")
@click.option("--api-port", default=8000, show_default=True, help="The HTTPS API (/v1).")
@click.option(
    "--schedule-seconds",
    default=60.0,
    show_default=True,
    help="How often the scheduled handlers (deadline check, feed puller) run.",
)
def serve(host: str, aws_port: int, api_port: int, schedule_seconds: float) -> None:
    """Serve the embedded exchange: an AWS endpoint and the API, until Ctrl-C."""
    from psx.embedded.runtime import EmbeddedRuntime
    from psx.embedded.serve import Endpoints

    with EmbeddedRuntime() as runtime:
        endpoints = Endpoints(runtime, host, aws_port, api_port, schedule_seconds)
        endpoints.start()
        echo(f"AWS endpoint : {endpoints.aws_url}   (export PSX_ENDPOINT_URL={endpoints.aws_url})")
        echo(f"HTTPS API    : {endpoints.api_url}/v1")
        echo(f"Intake bucket: s3://{runtime.outputs['PsxIntakeBucket']}/incoming/<regulator-id>/")
        echo("Ready. Ctrl-C to stop.", err=True)
        try:
            endpoints.wait()
        except KeyboardInterrupt:
            endpoints.stop()


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--regulator", "regulator_id", required=True, help="Your regulator id, e.g. kftc.")
@click.option("--format", "format_hint", type=click.Choice(FORMATS), help="Skip detection.")
@click.option("--json", "as_json", is_flag=True, help="Print the full result report as JSON.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait for the report.")
@target_options
def upload(
    file: Path,
    regulator_id: str,
    format_hint: str | None,
    as_json: bool,
    timeout: float,
    endpoint_url: str | None,
    stack: str,
) -> None:
    """Upload a notice FILE and print its result report.

    Exits 0 when the file was processed (rows may still be rejected: see the report),
    1 when it was refused whole, 3 when the exchange is unreachable, 4 on timeout.
    """
    from chalicelib.stores.intake_bucket import file_name_problem
    from psx.uploads import ReportTimeout, progress_shown, upload_notice_file, wait_for_report

    name_problem = file_name_problem(file.name)
    if name_problem is not None:  # refused here rather than by S3 or by intake later
        exit_with(name_problem, EXIT_REFUSED)
    target = Target(stack_name=stack, endpoint_url=endpoint_url)
    try:
        bucket = target.output("PSX_INTAKE_BUCKET")
    except TargetError as exc:
        exit_with(str(exc), EXIT_UNREACHABLE)
    s3 = target.client("s3")
    size = file.stat().st_size
    if size >= PROGRESS_BAR_MIN_BYTES and not as_json:
        label = printable(f"Uploading {file.name}")
        with click.progressbar(length=size, label=label, file=sys.stderr) as bar:
            sent = upload_notice_file(s3, bucket, file, regulator_id, format_hint, bar.update)
    else:
        sent = upload_notice_file(s3, bucket, file, regulator_id, format_hint)
    if not as_json:
        echo(f"Uploaded s3://{bucket}/{sent.key}; waiting for the result report…", err=True)
    show_progress = _quiet if as_json else lambda line: echo(line, err=True)
    try:
        report = wait_for_report(s3, sent, timeout, progress_shown(s3, sent, show_progress))
    except ReportTimeout as exc:
        echo(str(exc), err=True)
        sys.exit(EXIT_TIMEOUT)
    if as_json:
        echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        render.echo_report(report)
    if report["status"] == "refused":
        sys.exit(EXIT_REFUSED)


def _quiet(line: str) -> None:
    """--json prints the report alone."""


@main.command()
@click.argument("notice_id")
@click.option("--json", "as_json", is_flag=True, help="Print the notice and timeline as JSON.")
@target_options
def status(notice_id: str, as_json: bool, endpoint_url: str | None, stack: str) -> None:
    """Show a notice's current version and its timeline."""
    from psx.notice_status import notice_status

    target = Target(stack_name=stack, endpoint_url=endpoint_url)
    try:
        result = notice_status(target, notice_id)
    except TargetError as exc:
        exit_with(str(exc), EXIT_UNREACHABLE)
    if result is None:
        raise click.ClickException(printable(f"no notice {notice_id}"))
    if as_json:
        echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        echo(render.status_text(result))


@main.group(invoke_without_command=True)
@click.option(
    "--at",
    "at",
    type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]),
    help="Run as if it were this UTC time (default: now).",
)
@click.option("--json", "as_json", is_flag=True)
@target_options
@click.pass_context
def audit(
    ctx: click.Context, at: datetime | None, as_json: bool, endpoint_url: str | None, stack: str
) -> None:
    """Enforce deadlines now (or --at a given time): overdue waits fail and escalate.

    `psx audit verify` runs the compliance audits of catalogue snapshots instead.
    """
    if ctx.invoked_subcommand is not None:
        return
    from psx.audit import run_deadline_check

    target = Target(stack_name=stack, endpoint_url=endpoint_url)
    moment = (at or datetime.now(UTC)).replace(tzinfo=UTC)
    try:
        result = run_deadline_check(target, moment)
    except TargetError as exc:
        exit_with(str(exc), EXIT_UNREACHABLE)
    if as_json:
        echo(json.dumps(result, indent=2))
        return
    echo(f"Deadline check at {result['at']}: {len(result['missed'])} missed")
    for missed in result["missed"]:
        echo(f"  {missed['notice_id']} v{missed['version']} {missed['platform_id']}")


@main.command()
@click.argument("notice_id", required=False)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Where to write the bundle: a directory, or a file ending in .zip.",
)
@click.option(
    "--verify",
    "verify_path",
    type=click.Path(exists=True, path_type=Path),
    help="Check a bundle (directory or .zip) against its manifest instead.",
)
@target_options
def evidence(
    notice_id: str | None,
    out: Path | None,
    verify_path: Path | None,
    endpoint_url: str | None,
    stack: str,
) -> None:
    """Export NOTICE_ID's evidence bundle (--out), or verify one (--verify PATH).

    Verification exits 1 when a file is missing, altered or not in the manifest.
    """
    from psx.evidence import EvidenceError, export_bundle, verify_bundle

    if verify_path is not None:
        if notice_id or out:
            raise click.UsageError("--verify takes a bundle only: no NOTICE_ID, no --out")
        with reported_errors(EvidenceError):
            checked = verify_bundle(verify_path)
        for problem in checked.problems:
            echo(f"  {problem}", err=True)
        if not checked.ok:
            exit_with(f"{verify_path}: {len(checked.problems)} problem(s)", EXIT_REFUSED)
        echo(f"{verify_path}: {checked.objects} objects, every SHA-256 matches the manifest")
        return
    if notice_id is None or out is None:
        raise click.UsageError("give NOTICE_ID and --out PATH, or --verify PATH")
    target = Target(stack_name=stack, endpoint_url=endpoint_url)
    with reported_errors(EvidenceError):
        exported = export_bundle(target, notice_id, out)
    if exported is None:
        raise click.ClickException(printable(f"no notice {notice_id}"))
    echo(render.evidence_summary(exported.path, exported.manifest, exported.manifest_sha256))


main.add_command(platforms)
main.add_command(keys)
main.add_command(agreements)
main.add_command(feeds)
main.add_command(notices)
main.add_command(catalogue)
audit.add_command(verify)
main.add_command(report)
main.add_command(dashboard)
main.add_command(outbox)
