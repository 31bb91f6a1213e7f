"""Feeds end to end: the scheduled puller against the local feed server, through the one
intake path to dispatched notices; the state in `psx feeds list` and `GET /v1/feeds`.

Given a CPSC feed (to two named platforms) and a Safety Gate feed (to every platform of
the jurisdiction), when a day's pull runs with a 500 and a timeout injected, then every
recall is stored exactly once and dispatched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner, Result

from chalicelib.api.principal import PrincipalKind
from chalicelib.feeds import pull as feed_pull
from chalicelib.feeds.services import feed_services
from chalicelib.notices.model import notice_id_for
from chalicelib.platforms.model import Platform
from chalicelib.settings import load_settings
from chalicelib.stores.dispatches_table import DispatchStore
from chalicelib.stores.feeds_table import FeedsTable
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.stores.platforms_table import PlatformStore
from psx.embedded.runtime import EmbeddedRuntime
from psx.feed_server import RECORDED, Fault, FeedServer
from psx.feeds_cli import feeds
from psx.polling import wait_until
from psx.scheduled import scheduled_event
from tests.api.support import Api, key_for, unique

pytestmark = pytest.mark.e2e

# Monday morning: the daily pulls ask for Sunday and Monday (CPSC) and the week of
# Sunday (Safety Gate 2026-W48); W49's report is not out yet.
DAY = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
TIMEOUT_SECONDS = 1
SLOW_SECONDS = 3


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    saved = os.environ.get("PSX_FEED_TIMEOUT_SECONDS")
    os.environ["PSX_FEED_TIMEOUT_SECONDS"] = str(TIMEOUT_SECONDS)
    with FeedServer() as running:
        yield running
    if saved is None:
        os.environ.pop("PSX_FEED_TIMEOUT_SECONDS")
    else:
        os.environ["PSX_FEED_TIMEOUT_SECONDS"] = saved


def _cli(*args: str) -> Result:
    # No endpoint: Target() talks to the module's in-process moto, stack psx-dev.
    return CliRunner().invoke(feeds, list(args), env={"PSX_ENDPOINT_URL": None})


def _register(jurisdictions: list[str]) -> str:
    platform_id = unique("plat")
    PlatformStore(os.environ["PSX_TABLE_NAME"]).create(
        Platform(platform_id=platform_id, name=platform_id, jurisdictions=jurisdictions)
    )
    return platform_id


def _pull_on_schedule(runtime: EmbeddedRuntime, at: datetime) -> list[dict[str, Any]]:
    with runtime.clock_at(at):
        answer = runtime.registry.invoke(runtime.function_name("pull_feeds"), scheduled_event(at))
        runtime.pump()
        runtime.settle()
    pulls: list[dict[str, Any]] = answer["pulls"]
    return pulls


def _dispatched_to(notice_id: str) -> set[str]:
    return {
        d.ref.platform_id for d in DispatchStore(os.environ["PSX_TABLE_NAME"]).for_notice(notice_id)
    }


def _wait_for_dispatches(notice_id: str, platform_ids: set[str]) -> None:
    wait_until(
        lambda: platform_ids <= _dispatched_to(notice_id),
        f"{notice_id} to be dispatched to {sorted(platform_ids)}",
    )


def _version(regulator_id: str, reference: str) -> int | None:
    state = NoticeStore(os.environ["PSX_TABLE_NAME"]).current_state(
        notice_id_for(regulator_id, reference)
    )
    return state.version if state else None


def _recorded_cases(week: str) -> list[str]:
    text = (RECORDED / f"safety-gate-{week}.xml").read_text(encoding="utf-8")
    return [
        line.split(">")[1].split("<")[0] for line in text.splitlines() if "<caseNumber>" in line
    ]


def _feed_files(runtime: EmbeddedRuntime, regulator_id: str) -> list[str]:
    listed = runtime.client("s3").list_object_versions(
        Bucket=runtime.outputs["PsxIntakeBucket"], Prefix=f"incoming/{regulator_id}/feeds/"
    )
    return [version["Key"] for version in listed.get("Versions", [])]


def test_a_days_pull_with_a_500_and_a_timeout_stores_every_recall_once_and_dispatches_it(
    runtime: EmbeddedRuntime, server: FeedServer
) -> None:
    cpsc, gate = unique("cpsc"), unique("sg")
    named = [_register(["KR"]), _register(["KR"])]
    in_the_eu = _register(["DE"])
    added = [
        _cli("add", cpsc, "--kind", "cpsc-recalls", "--url", server.cpsc_url,
             "--regulator", cpsc, "--targets", ",".join(named)),
        _cli("add", gate, "--kind", "safety-gate-weekly", "--url", server.safety_gate_url,
             "--regulator", gate, "--every-platform"),
    ]  # fmt: skip
    assert [result.exit_code for result in added] == [0, 0], [r.output for r in added]
    server.inject("/cpsc/Recall", Fault.error(500))
    server.inject("/safety-gate/2026/48", Fault.slow(SLOW_SECONDS))

    pulls = {pull["feed"]: pull for pull in _pull_on_schedule(runtime, DAY)}

    # Each fault cost one retry: the 500 and the slow answer were each asked again.
    assert [path.split("?")[0] for path in server.requests] == [
        "/cpsc/Recall",
        "/cpsc/Recall",
        "/safety-gate/2026/48.xml",
        "/safety-gate/2026/48.xml",
        "/safety-gate/2026/49.xml",
    ]
    assert pulls[cpsc]["error"] is None and pulls[cpsc]["cursor"] == "2026-11-30"
    assert pulls[gate]["error"] is None and pulls[gate]["cursor"] == "2026-W48"
    # Settled is a quiet spell, not a promise: wait for each plan to have dispatched.
    for reference in ("27-105", "27-106"):  # published on the 29th and the 30th
        assert _version(cpsc, reference) == 1
        _wait_for_dispatches(notice_id_for(cpsc, reference), set(named))
    assert _version(cpsc, "27-104") is None  # published before the day pulled
    for case in _recorded_cases("2026-W48"):
        assert _version(gate, case) == 1
        _wait_for_dispatches(notice_id_for(gate, case), {in_the_eu})
    assert len(_feed_files(runtime, cpsc)) == len(_feed_files(runtime, gate)) == 1

    # Pulled again the same day (`psx feeds pull`): the cursor's day is asked for again
    # (recalls published later that day), an overlap intake stores nothing of; asked
    # once more, the feed answers 304 to the conditional request.
    with runtime.clock_at(DAY + timedelta(hours=2)):
        overlap = json.loads(_cli("pull", cpsc, "--json").output)
        runtime.pump()
        unchanged = json.loads(_cli("pull", cpsc, "--json").output)
    assert len(overlap["files"]) == 1 and _version(cpsc, "27-106") == 1
    assert (unchanged["files"], unchanged["pages_not_modified"]) == ([], 1)

    # The state, as the operator and the regulator see it.
    listed = {feed["name"]: feed for feed in json.loads(_cli("list", "--json").output)}
    assert listed[cpsc]["cursor"] == "2026-11-30"
    assert listed[cpsc]["last_success_at"] is not None and listed[cpsc]["last_error"] is None
    assert listed[gate]["cursor"] == "2026-W48"
    assert listed[gate]["next_pull_at"] == (DAY + timedelta(days=1)).isoformat()
    answer = Api(runtime).get("/v1/feeds", key_for(PrincipalKind.REGULATOR, gate))
    assert answer.status == 200
    assert [(f["name"], f["cursor"], f["last_error"]) for f in answer.body["items"]] == [
        (gate, "2026-W48", None)
    ]
    other = Api(runtime).get("/v1/feeds", key_for(PrincipalKind.REGULATOR, unique("reg")))
    assert other.body["items"] == []


def test_a_failed_pull_shows_its_error_and_a_correction_becomes_a_new_version(
    runtime: EmbeddedRuntime, server: FeedServer
) -> None:
    cpsc, target = unique("cpsc"), _register(["US"])
    added = _cli("add", cpsc, "--kind", "cpsc-recalls", "--url", server.cpsc_url,
                 "--regulator", cpsc, "--targets", target, "--schedule", "hourly")  # fmt: skip
    assert added.exit_code == 0, added.output
    server.inject("/cpsc/Recall", Fault.not_the_format())
    with runtime.clock_at(DAY):
        failed = _cli("pull", cpsc)
        listed = {feed["name"]: feed for feed in json.loads(_cli("list", "--json").output)}
        answer = Api(runtime).get("/v1/feeds", key_for(PrincipalKind.REGULATOR, cpsc))
        assert _cli("pull", cpsc, "--since", "2026-11-29").exit_code == 0
    assert failed.exit_code == 1
    assert "the page is a web page (HTML)" in failed.output
    assert listed[cpsc]["cursor"] is None
    assert "web page (HTML)" in listed[cpsc]["last_error"]
    assert "web page (HTML)" in answer.body["items"][0]["last_error"]
    runtime.pump()
    assert _version(cpsc, "27-106") == 1
    corrected = next(r for r in server.recalls if r["RecallNumber"] == "27-106")
    server.publish(
        corrected
        | {"LastPublishDate": "2026-12-01T00:00:00", "Remedies": [{"Name": "Full refund."}]}
    )
    _pull_on_schedule(runtime, datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert _version(cpsc, "27-106") == 2
    assert _version(cpsc, "27-105") == 1


def test_a_crash_after_the_file_is_stored_re_pulls_and_stores_nothing_twice(
    runtime: EmbeddedRuntime, server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = unique("sg")
    added = _cli("add", gate, "--kind", "safety-gate-weekly", "--url", server.safety_gate_url,
                 "--regulator", gate, "--every-platform")  # fmt: skip
    assert added.exit_code == 0, added.output

    def crash(*args: Any) -> None:
        raise RuntimeError("the puller died after storing the file")

    with runtime.clock_at(DAY), monkeypatch.context() as patched:
        patched.setattr(FeedsTable, "advance", crash)
        with pytest.raises(RuntimeError, match="died"):
            feed_pull.pull_feed(gate, DAY, feed_services(load_settings()))
    runtime.pump()
    assert len(_feed_files(runtime, gate)) == 1
    assert [_version(gate, case) for case in _recorded_cases("2026-W48")] == [1, 1, 1]
    record = FeedsTable(os.environ["PSX_TABLE_NAME"]).get(gate)
    assert record is not None and record.state.cursor is None

    # While the dead puller's lease lasts, the schedule leaves the feed alone...
    busy = _pull_on_schedule(runtime, DAY + timedelta(minutes=5))
    assert gate not in [pull["feed"] for pull in busy]
    # ...once it has run out, the next scheduled run pulls the same week again.
    pulls = _pull_on_schedule(runtime, DAY + feed_pull.LEASE + timedelta(minutes=1))
    mine = next(pull for pull in pulls if pull["feed"] == gate)
    assert (mine["cursor"], mine["files"], mine["error"]) == ("2026-W48", [], None)
    assert len(_feed_files(runtime, gate)) == 1
    assert [_version(gate, case) for case in _recorded_cases("2026-W48")] == [1, 1, 1]
