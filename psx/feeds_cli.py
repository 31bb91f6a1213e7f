"""`psx feeds`: public recall feeds (CPSC recalls, Safety Gate weekly reports) the
exchange pulls on a schedule into the regulator's intake folder.

`psx feeds pull` pulls at once from this machine, with the same code and the same
stores as the scheduled puller (the stack's table and intake bucket).
"""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import click

from chalicelib import clock
from chalicelib.feeds.fetch import FetchPolicy
from chalicelib.feeds.model import Feed, FeedKind, FeedRecord, Schedule
from chalicelib.feeds.pull import FeedBusy, FeedNotFound, FeedServices, LeaseLost, pull_feed
from chalicelib.stores.feeds_table import FeedExists, FeedsTable
from chalicelib.stores.intake_bucket import IncomingFeedFiles
from psx.cli_common import EXIT_REFUSED, reported_errors, target_options
from psx.target import Target
from psx.terminal import echo, one_line


@click.group()
def feeds() -> None:
    """Public recall feeds pulled on a schedule and ingested as notice files."""


def _reported_errors() -> AbstractContextManager[None]:
    return reported_errors(FeedExists, FeedNotFound, FeedBusy, LeaseLost)


def _table(target: Target) -> FeedsTable:
    return FeedsTable(target.output("PSX_TABLE_NAME"))


def _target(stack: str, endpoint_url: str | None) -> Target:
    return Target(stack_name=stack, endpoint_url=endpoint_url)


def feed_json(record: FeedRecord) -> dict[str, Any]:
    """A feed and its state as `psx feeds list --json` prints it (a stable contract)."""
    state = record.state
    next_pull = state.next_pull_at(record.feed.schedule)
    return {
        **record.feed.model_dump(mode="json"),
        **state.model_dump(mode="json", exclude={"validators"}),
        "next_pull_at": next_pull.isoformat() if next_pull else None,
    }


def _summary(record: FeedRecord) -> str:
    feed, state = record.feed, record.state
    targets = ",".join(feed.target_platforms) or "every platform of the jurisdiction"
    status = "paused" if state.paused else ("FAILING" if state.failing else "active")
    lines = [
        f"{feed.name}  [{status}]  {feed.kind}  {feed.schedule}  as {feed.regulator_id}  "
        f"-> {targets}",
        f"  {feed.url}",
        f"  cursor {state.cursor or '-'}  last success {_when(state.last_success_at)}  "
        f"next pull {_when(state.next_pull_at(feed.schedule), 'at the next run')}",
    ]
    if state.last_error:
        lines.append(f"  last error {_when(state.last_error_at)}: {one_line(state.last_error)}")
    return "\n".join(lines)


def _when(moment: datetime | None, missing: str = "never") -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else missing


@feeds.command()
@click.argument("name")
@click.option("--kind", type=click.Choice([kind.value for kind in FeedKind]), required=True)
@click.option(
    "--url",
    required=True,
    help="CPSC: the Recall API's JSON URL (dates are added); Safety Gate: the weekly "
    "report's URL with {year} and {week}. https only (http only to localhost).",
)
@click.option("--regulator", "regulator_id", required=True, help="The regulator it speaks for.")
@click.option("--targets", help="Platform ids its notices go to, comma-separated.")
@click.option(
    "--every-platform",
    is_flag=True,
    help="Its notices go to every platform registered for each notice's jurisdiction.",
)
@click.option(
    "--schedule",
    type=click.Choice([schedule.value for schedule in Schedule]),
    default=Schedule.DAILY.value,
    show_default=True,
)
@target_options
def add(
    name: str,
    kind: str,
    url: str,
    regulator_id: str,
    targets: str | None,
    every_platform: bool,
    schedule: str,
    endpoint_url: str | None,
    stack: str,
) -> None:
    """Register feed NAME; the schedule pulls it from its next run."""
    if (targets is None) == (not every_platform):
        raise click.UsageError("give either --targets or --every-platform")
    with _reported_errors():
        feed = Feed(
            name=name,
            kind=FeedKind(kind),
            url=url,
            regulator_id=regulator_id,
            target_platforms=[part for part in (targets or "").split(",") if part.strip()],
            schedule=Schedule(schedule),
        )
        _table(_target(stack, endpoint_url)).create(feed)
    echo(f"Added feed {name}: {kind}, {schedule}, as {regulator_id}")


@feeds.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the feeds and their state as JSON.")
@target_options
def list_feeds(as_json: bool, endpoint_url: str | None, stack: str) -> None:
    """List the feeds with their state: cursor, last success, last error."""
    with _reported_errors():
        records = _table(_target(stack, endpoint_url)).list()
    if as_json:
        echo(json.dumps([feed_json(record) for record in records], ensure_ascii=False, indent=2))
    elif not records:
        echo("No feeds.")
    else:
        echo("\n".join(_summary(record) for record in records))


def _set_paused(name: str, paused: bool, endpoint_url: str | None, stack: str) -> None:
    with _reported_errors():
        _table(_target(stack, endpoint_url)).set_paused(name, paused)
    echo(f"Feed {name} {'paused' if paused else 'resumed'}.")


@feeds.command()
@click.argument("name")
@target_options
def pause(name: str, endpoint_url: str | None, stack: str) -> None:
    """Stop the schedule pulling NAME (`pull` still works)."""
    _set_paused(name, True, endpoint_url, stack)


@feeds.command()
@click.argument("name")
@target_options
def resume(name: str, endpoint_url: str | None, stack: str) -> None:
    """Let the schedule pull NAME again."""
    _set_paused(name, False, endpoint_url, stack)


@feeds.command()
@click.argument("name")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Pull from this date (YYYY-MM-DD) instead of the cursor; the cursor never moves back.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the pull's result as JSON.")
@target_options
def pull(
    name: str, since: datetime | None, as_json: bool, endpoint_url: str | None, stack: str
) -> None:
    """Pull NAME now, paused or not; exits 1 when the pull failed (recorded on the feed)."""
    with _reported_errors():
        target = _target(stack, endpoint_url)
        services = FeedServices(
            store=_table(target),
            files=IncomingFeedFiles(target.output("PSX_INTAKE_BUCKET")),
            policy=FetchPolicy(),
        )
        result = pull_feed(
            name, clock.now(), services, since.replace(tzinfo=UTC).date() if since else None
        )
    if as_json:
        echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
    else:
        echo(
            f"{name}: {result.fetched} pages fetched, {result.not_modified} not modified, "
            f"{len(result.files)} new files, cursor {result.cursor or '-'}"
        )
        for file in result.files:
            echo(f"  wrote {file}")
    if result.error:
        echo(f"Error: {one_line(result.error)}", err=True)
        sys.exit(EXIT_REFUSED)
