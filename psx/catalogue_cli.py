"""`psx catalogue upload` (an operator uploads a platform's snapshot) and `psx audit
verify` (the compliance audits on demand)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click

from psx.cli_common import reported_errors, target_options
from psx.target import Target
from psx.terminal import echo

AT_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d"]


@click.group()
def catalogue() -> None:
    """Catalogue snapshots of platforms, for the compliance audits."""


@catalogue.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--platform", "platform_id", required=True, help="The platform's id.")
@click.option("--json", "as_json", is_flag=True)
@target_options
def upload(
    files: tuple[Path, ...], platform_id: str, as_json: bool, endpoint_url: str | None, stack: str
) -> None:
    """Upload FILE… (.jsonl/.ndjson, .csv, .tsv, .parquet; optionally .gz) as one snapshot.

    Each file is a part, uploaded as it is; the manifest (snapshot time, parts, rows) is
    written last.
    """
    from chalicelib.stores.catalogue_bucket import CatalogueBucket
    from psx.catalogue import CatalogueFileError, part_from_file, upload_snapshot

    target = Target(stack_name=stack, endpoint_url=endpoint_url)
    with reported_errors(CatalogueFileError):
        parts = [part_from_file(path) for path in files]
        bucket = CatalogueBucket(target.output("PSX_CATALOGUE_BUCKET"))
        snapshot_id, manifest = upload_snapshot(bucket, platform_id, parts, datetime.now(UTC))
    if as_json:
        summary = {"platform_id": platform_id, "snapshot_id": snapshot_id}
        echo(json.dumps(summary | manifest.model_dump(mode="json"), indent=2))
        return
    echo(f"Snapshot {snapshot_id} of {platform_id}: {manifest.rows} rows in {len(parts)} parts")
    for part in manifest.parts:
        echo(f"  {part.name}: {part.rows} rows")


@click.command()
@click.option("--platform", "platform_id", help="Audit only this platform.")
@click.option(
    "--at", "at", type=click.DateTime(formats=AT_FORMATS), help="Audit time, UTC (default: now)."
)
@click.option("--again", is_flag=True, help="Audit the newest snapshot even if it was audited.")
@click.option("--wait", "wait_seconds", default=900, show_default=True, help="Seconds to wait.")
@click.option("--json", "as_json", is_flag=True)
@target_options
def verify(
    platform_id: str | None,
    at: datetime | None,
    again: bool,
    wait_seconds: int,
    as_json: bool,
    endpoint_url: str | None,
    stack: str,
) -> None:
    """Audit each platform's newest complete catalogue snapshot now (or --at a time)."""
    from psx.catalogue import run_verification

    target = Target(stack_name=stack, endpoint_url=endpoint_url)
    moment = (at or datetime.now(UTC)).replace(tzinfo=UTC)
    with reported_errors():
        audits = run_verification(target, moment, platform_id, again, wait_seconds)
    if as_json:
        echo(json.dumps(audits, indent=2))
        return
    if not audits:
        echo("No new complete snapshot to audit")
    for audit in audits:
        report = audit["report"] or {}
        echo(
            f"{audit['platform_id']} {audit['snapshot_id']}: {audit['status']}, "
            f"{report.get('rows', '?')} rows ({report.get('bad_rows', '?')} bad), "
            f"{report.get('findings', '?')} findings ({report.get('new_findings', '?')} new)"
        )
        live = report.get("live_checks")
        if live:
            echo(
                f"  live check of the reported takedowns: {live['checked']} checked, "
                f"{live['still_listed']} still listed, {live['not_checked']} left for next time"
            )
