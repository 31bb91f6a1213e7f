"""The feeds store and the feed files against moto: conditional writes, the lease, and
what intake reads back of a feed file."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner, Result

from chalicelib.feeds.model import Feed, FeedKind, Schedule, Validators
from chalicelib.feeds.pull import FeedBusy, FeedFile, FeedNotFound, LeaseLost
from chalicelib.stores.feeds_table import FeedExists, FeedsTable
from chalicelib.stores.intake_bucket import IncomingFeedFiles, IntakeBucket, intake_object
from psx.embedded.runtime import EmbeddedRuntime
from psx.feeds_cli import feeds
from tests.api.support import unique

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=15)


@pytest.fixture
def table(runtime: EmbeddedRuntime) -> FeedsTable:
    return FeedsTable(os.environ["PSX_TABLE_NAME"])


def _feed(regulator_id: str = "cpsc") -> Feed:
    return Feed(
        name=unique("feed"),
        kind=FeedKind.CPSC_RECALLS,
        url="https://www.saferproducts.gov/RestWebServices/Recall?format=json",
        regulator_id=regulator_id,
        target_platforms=["temu"],
        schedule=Schedule.HOURLY,
    )


def test_a_feed_is_created_once_and_listed(table: FeedsTable) -> None:
    feed = _feed(regulator_id=unique("reg"))
    table.create(feed)
    with pytest.raises(FeedExists):
        table.create(feed)
    record = table.get(feed.name)
    assert record is not None and record.feed == feed
    assert record.state.cursor is None and not record.state.paused
    assert feed.name in [listed.feed.name for listed in table.list()]
    assert [r.feed.name for r in table.for_regulator(feed.regulator_id)] == [feed.name]
    assert table.for_regulator(unique("reg")) == []


def test_pause_and_resume(table: FeedsTable) -> None:
    feed = _feed()
    table.create(feed)
    table.set_paused(feed.name, True)
    record = table.get(feed.name)
    assert record is not None and record.state.paused and not record.due(NOW)
    table.set_paused(feed.name, False)
    record = table.get(feed.name)
    assert record is not None and not record.state.paused
    with pytest.raises(FeedNotFound):
        table.set_paused(unique("feed"), True)


def test_the_lease_lets_one_pull_at_a_time_advance(table: FeedsTable) -> None:
    feed = _feed()
    table.create(feed)
    table.claim(feed.name, "first", NOW, LATER)
    with pytest.raises(FeedBusy):
        table.claim(feed.name, "second", NOW + timedelta(minutes=5), LATER)
    validators = Validators(url="https://x.example/a", etag='"abc"')
    table.advance(feed.name, "first", "2026-11-30", validators)
    with pytest.raises(LeaseLost):
        table.advance(feed.name, "second", "2026-12-31", None)
    # The first puller died: once its lease runs out the next one takes over, and the
    # dead one can no longer move the cursor or end the pull.
    taken = table.claim(feed.name, "second", LATER + timedelta(seconds=1), LATER + LATER.resolution)
    assert taken.state.cursor == "2026-11-30" and taken.state.validators == validators
    with pytest.raises(LeaseLost):
        table.advance(feed.name, "first", "2026-12-01", None)
    with pytest.raises(LeaseLost):
        table.finish(feed.name, "first", LATER, None)
    table.finish(feed.name, "second", LATER, "HTTP 500 from the feed")
    record = table.get(feed.name)
    assert record is not None
    assert (record.state.last_error, record.state.last_error_at) == (
        "HTTP 500 from the feed",
        LATER,
    )
    assert record.state.failing and record.state.last_success_at is None
    # Finished: the lease is free at once.
    next_hour = LATER + timedelta(hours=1)
    table.claim(feed.name, "third", LATER, next_hour)
    table.finish(feed.name, "third", next_hour, None)
    record = table.get(feed.name)
    assert record is not None and record.state.last_success_at == next_hour
    assert not record.state.failing


def test_concurrent_claims_one_wins(table: FeedsTable) -> None:
    feed = _feed()
    table.create(feed)
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def claim(owner: str) -> None:
        barrier.wait()
        try:
            table.claim(feed.name, owner, NOW, LATER)
            outcomes.append("won")
        except FeedBusy:
            outcomes.append("busy")

    threads = [threading.Thread(target=claim, args=(f"p{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["busy"] * 5 + ["won"]


def test_claiming_an_unknown_feed(table: FeedsTable) -> None:
    with pytest.raises(FeedNotFound):
        table.claim(unique("feed"), "p", NOW, LATER)


def test_a_feed_file_is_written_once_with_its_format_and_targets(
    runtime: EmbeddedRuntime,
) -> None:
    bucket = runtime.outputs["PsxIntakeBucket"]
    files = IncomingFeedFiles(bucket)
    regulator_id = unique("reg")
    file = FeedFile(
        regulator_id=regulator_id,
        relative_name="feeds/cpsc/cpsc-2026-11-29_2026-11-30-0123456789abcdef.cpsc.json",
        body=b"[]",
        intake_format="cpsc",
        content_type="application/json",
        target_platforms=("temu", "aliexpress"),
    )
    assert files.put_new(file)
    assert not files.put_new(file)
    key = f"incoming/{regulator_id}/{file.relative_name}"
    versions = runtime.client("s3").list_object_versions(Bucket=bucket, Prefix=key)["Versions"]
    assert len(versions) == 1
    stored = IntakeBucket().describe(intake_object(bucket, key))
    assert stored is not None
    assert (stored.format_hint, stored.target_platforms) == ("cpsc", ("temu", "aliexpress"))


# -- `psx feeds`, its refusals ---------------------------------------------------------------


def _cli(*args: str) -> Result:
    # No endpoint: Target() talks to the module's in-process moto, stack psx-dev.
    return CliRunner().invoke(feeds, list(args), env={"PSX_ENDPOINT_URL": None})


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--url", "http://feeds.example.com/r", "--every-platform"], 2, "feeds must use https"),
        (["--url", "https://feeds.example.com/r"], 2, "either --targets or --every-platform"),
        (
            ["--url", "https://feeds.example.com/r", "--targets", "a b", "--every-platform"],
            2,
            "either --targets or --every-platform",
        ),
        (["--url", "https://feeds.example.com/r", "--targets", "Bad!"], 2, "not platform ids"),
    ],
)
def test_add_refuses_a_bad_feed(
    runtime: EmbeddedRuntime, args: list[str], code: int, message: str
) -> None:
    result = _cli("add", unique("feed"), "--kind", "cpsc-recalls", "--regulator", "cpsc", *args)
    assert result.exit_code == code
    assert message in result.output


def test_the_commands_name_what_they_cannot_find(runtime: EmbeddedRuntime) -> None:
    name = unique("feed")
    for command in ("pause", "resume", "pull"):
        result = _cli(command, name)
        assert result.exit_code == 1
        assert f"no feed {name}" in result.output
    added = _cli("add", name, "--kind", "cpsc-recalls", "--regulator", "cpsc",
                 "--url", "https://feeds.example.com/r", "--every-platform")  # fmt: skip
    assert added.exit_code == 0
    again = _cli("add", name, "--kind", "cpsc-recalls", "--regulator", "cpsc",
                 "--url", "https://feeds.example.com/r", "--every-platform")  # fmt: skip
    assert again.exit_code == 1 and f"a feed named {name} exists already" in again.output
    assert _cli("pause", name).exit_code == 0
    listed = _cli("list").output
    assert f"{name}  [paused]  cpsc-recalls  daily  as cpsc  -> every platform" in listed
