"""Feeds without AWS: the model, what each kind pulls, the fetch policy against the local
feed server, and the pull's order of writes with in-memory stores."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from chalicelib.feeds.fetch import FeedFetchFailed, FetchPolicy, fetch
from chalicelib.feeds.model import (
    RETRY_AFTER_FAILURE,
    Feed,
    FeedKind,
    FeedRecord,
    FeedState,
    Schedule,
    Validators,
)
from chalicelib.feeds.pull import (
    FeedBusy,
    FeedFile,
    FeedServices,
    LeaseLost,
    pull_due_feeds,
    pull_feed,
)
from chalicelib.feeds.sources import FeedFormatError, Page, checked_body, pages
from chalicelib.intake.limits import IntakeLimits, RegulatorDefaults
from chalicelib.intake.parse import parse_notice_file
from psx.feed_server import RECORDED, Fault, FeedServer

NOW = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)


def _cpsc(url: str = "https://www.saferproducts.gov/RestWebServices/Recall?format=json") -> Feed:
    return Feed(
        name="cpsc", kind=FeedKind.CPSC_RECALLS, url=url, regulator_id="cpsc", target_platforms=[]
    )


def _safety_gate(url: str = "https://ec.europa.eu/sg/{year}/{week}.xml") -> Feed:
    return Feed(
        name="safety-gate",
        kind=FeedKind.SAFETY_GATE_WEEKLY,
        url=url,
        regulator_id="eu-safety-gate",
        schedule=Schedule.WEEKLY,
    )


# -- the model -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://feeds.example.com/recalls", "https"),
        ("https://user:pw@feeds.example.com/recalls", "credentials"),
        ("ftp://feeds.example.com/recalls", "http(s)"),
        ("https://feeds.example.com/recalls#top", "fragment"),
    ],
)
def test_a_feed_url_is_https_without_credentials(url: str, why: str) -> None:
    with pytest.raises(ValidationError, match=why.replace("(", r"\(").replace(")", r"\)")):
        _cpsc(url)


def test_plain_http_is_for_this_machine_only() -> None:
    assert _cpsc("http://127.0.0.1:8123/cpsc/Recall").host == "127.0.0.1"


def test_a_safety_gate_url_names_the_week() -> None:
    with pytest.raises(ValidationError, match=r"\{year\} and \{week\}"):
        _safety_gate("https://ec.europa.eu/sg/latest.xml")


def test_targets_are_platform_ids() -> None:
    feed = Feed.model_validate(
        _cpsc().model_dump() | {"target_platforms": ["Temu", " aliexpress", "temu"]}
    )
    assert feed.target_platforms == ["temu", "aliexpress"]
    with pytest.raises(ValidationError, match="not platform ids"):
        Feed.model_validate(_cpsc().model_dump() | {"target_platforms": ["no spaces"]})


def test_a_failed_pull_is_retried_sooner_than_the_schedule() -> None:
    failed = FeedState(last_attempt_at=NOW, last_error_at=NOW, last_error="HTTP 500")
    succeeded = FeedState(last_attempt_at=NOW, last_success_at=NOW)
    feed = _safety_gate()
    assert failed.next_pull_at(Schedule.WEEKLY) == NOW + RETRY_AFTER_FAILURE
    assert succeeded.next_pull_at(Schedule.WEEKLY) == NOW + timedelta(weeks=1)
    assert FeedRecord(feed=feed, state=FeedState()).due(NOW)
    assert not FeedRecord(feed=feed, state=succeeded).due(NOW + timedelta(days=6))
    assert not FeedRecord(feed=feed, state=FeedState(paused=True)).due(NOW)


# -- what is new since the cursor ------------------------------------------------------------


def test_cpsc_pages_run_from_the_cursor_day_to_today_in_windows() -> None:
    urls = [page.url for page in pages(_cpsc(), "2026-11-20", NOW, since=None)]
    assert urls == [
        "https://www.saferproducts.gov/RestWebServices/Recall?format=json"
        "&LastPublishDateStart=2026-11-20&LastPublishDateEnd=2026-11-26",
        "https://www.saferproducts.gov/RestWebServices/Recall?format=json"
        "&LastPublishDateStart=2026-11-27&LastPublishDateEnd=2026-11-30",
    ]
    assert [page.cursor for page in pages(_cpsc(), "2026-11-20", NOW, None)] == [
        "2026-11-26",
        "2026-11-30",
    ]


def test_a_new_feed_starts_one_schedule_interval_back_and_since_overrides() -> None:
    assert [p.label for p in pages(_cpsc(), None, NOW, None)] == ["cpsc-2026-11-29_2026-11-30"]
    assert [p.label for p in pages(_cpsc(), "2026-11-30", NOW, date(2026, 11, 28))] == [
        "cpsc-2026-11-28_2026-11-30"
    ]


def test_safety_gate_pages_are_the_weeks_after_the_cursor() -> None:
    assert [p.cursor for p in pages(_safety_gate(), "2026-W46", NOW, None)] == [
        "2026-W47",
        "2026-W48",
        "2026-W49",
    ]
    assert [p.url for p in pages(_safety_gate(), "2026-W48", NOW, None)] == [
        "https://ec.europa.eu/sg/2026/49.xml"
    ]
    across_the_year = pages(_safety_gate(), "2026-W53", datetime(2027, 1, 5, tzinfo=UTC), None)
    assert [p.cursor for p in across_the_year] == ["2027-W01"]
    assert all(p.may_be_missing for p in pages(_safety_gate(), None, NOW, None))


def _cpsc_page() -> Page:
    return next(pages(_cpsc(), None, NOW, None))


def test_a_cpsc_page_keeps_each_recall_once_its_latest_publication() -> None:
    first = {"RecallNumber": "27-1", "LastPublishDate": "2026-11-24T00:00:00", "Title": "old"}
    again = {"RecallNumber": "27-1", "LastPublishDate": "2026-11-29T00:00:00", "Title": "new"}
    other = {"RecallID": 7, "LastPublishDate": "2026-11-25T00:00:00"}
    body = checked_body(_cpsc(), _cpsc_page(), json.dumps([again, other, first]).encode())
    assert body is not None
    assert json.loads(body) == [again, other]
    assert checked_body(_cpsc(), _cpsc_page(), b"[]") is None


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<!DOCTYPE html><html></html>", r"web page \(HTML\)"),
        (b"{not json", "not JSON"),
        (b'{"RecallNumber": "27-1"}', "not a JSON array"),
        (b'[{"Title": "no id"}]', "item 1 is not a recall"),
        (b'[{"RecallNumber": "27-1"}, "x"]', "item 2 is not a recall"),
    ],
)
def test_a_page_that_is_not_the_cpsc_format_is_refused(body: bytes, why: str) -> None:
    with pytest.raises(FeedFormatError, match=why):
        checked_body(_cpsc(), _cpsc_page(), body)


def _week_page(cursor: str) -> Page:
    return next(
        p for p in pages(_safety_gate(), None, NOW, date(2026, 11, 1)) if p.cursor == cursor
    )


def test_a_safety_gate_report_is_stored_byte_for_byte() -> None:
    report = (RECORDED / "safety-gate-2026-W48.xml").read_bytes()
    assert checked_body(_safety_gate(), _week_page("2026-W48"), report) == report
    empty = (
        b"<Safety-Gate><report_year>2026</report_year><report_week>47</report_week></Safety-Gate>"
    )
    assert checked_body(_safety_gate(), _week_page("2026-W47"), empty) is None


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"<html><body>maintenance</body></html>", r"web page \(HTML\)"),
        (b"<feed><entry/></feed>", "root <feed>"),
        (b"<Safety-Gate><notifications>", "truncated or malformed"),
        (b"{}", "not a Safety Gate report"),
    ],
)
def test_a_page_that_is_not_a_safety_gate_report_is_refused(body: bytes, why: str) -> None:
    with pytest.raises(FeedFormatError, match=why):
        checked_body(_safety_gate(), _week_page("2026-W48"), body)


def test_a_report_of_another_week_is_refused() -> None:
    report = (RECORDED / "safety-gate-2026-W47.xml").read_bytes()
    with pytest.raises(FeedFormatError, match="asked for 2026-W48 is the report of 2026-W47"):
        checked_body(_safety_gate(), _week_page("2026-W48"), report)


# -- the fetch policy, against the local feed server -----------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as running:
        yield running


@dataclass
class _Sleeps:
    slept: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)


def _policy(sleeps: _Sleeps | None = None, **overrides: Any) -> FetchPolicy:
    values: dict[str, Any] = {"timeout_seconds": 0.5, "sleep": sleeps or _Sleeps()}
    return FetchPolicy(**(values | overrides), jitter=lambda ceiling: ceiling)


def _week_url(server: FeedServer, week: int) -> str:
    return server.safety_gate_url.replace("{year}", "2026").replace("{week}", str(week))


def test_a_500_is_retried_with_exponential_backoff(server: FeedServer) -> None:
    server.inject("/safety-gate/2026/48", Fault.error(500), Fault.error(503))
    sleeps = _Sleeps()
    fetched = fetch(_week_url(server, 48), "127.0.0.1", _policy(sleeps), None)
    assert fetched.status == 200
    assert fetched.body == (RECORDED / "safety-gate-2026-W48.xml").read_bytes()
    assert sleeps.slept == [0.5, 1.0]


def test_the_backoff_is_capped_and_jittered() -> None:
    policy = FetchPolicy(backoff_seconds=1, backoff_cap_seconds=3, jitter=lambda c: c / 2)
    assert [policy.backoff(retry) for retry in range(4)] == [0.5, 1.0, 1.5, 1.5]


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        (Fault.slow(1.5), r"no answer within 0\.5 s"),
        (Fault.cut_off(), "cut off"),
        (Fault.error(500), "HTTP 500"),
    ],
)
def test_failures_of_the_moment_fail_once_the_attempts_are_spent(
    server: FeedServer, fault: Fault, why: str
) -> None:
    server.inject("/safety-gate/2026/47", fault, fault)
    with pytest.raises(FeedFetchFailed, match=why) as failed:
        fetch(_week_url(server, 47), "127.0.0.1", _policy(attempts=2), None)
    assert failed.value.retryable


def test_a_slow_answer_then_a_good_one(server: FeedServer) -> None:
    server.inject("/safety-gate/2026/47", Fault.slow(1.5))
    assert fetch(_week_url(server, 47), "127.0.0.1", _policy(), None).status == 200


@pytest.mark.parametrize(
    ("fault", "why"),
    [(Fault.error(302), "redirects are not followed"), (Fault.error(403), "HTTP 403")],
)
def test_other_answers_fail_at_once(server: FeedServer, fault: Fault, why: str) -> None:
    server.inject("/safety-gate/2026/47", fault)
    sleeps = _Sleeps()
    with pytest.raises(FeedFetchFailed, match=why) as failed:
        fetch(_week_url(server, 47), "127.0.0.1", _policy(sleeps), None)
    assert not failed.value.retryable
    assert sleeps.slept == []


def test_the_size_cap_refuses_a_larger_answer(server: FeedServer) -> None:
    with pytest.raises(FeedFetchFailed, match="larger than the 100-byte limit"):
        fetch(_week_url(server, 48), "127.0.0.1", _policy(max_bytes=100), None)


def test_only_the_feeds_host(server: FeedServer) -> None:
    with pytest.raises(FeedFetchFailed, match=r"not on the feed's host feeds\.example\.com"):
        fetch(_week_url(server, 48), "feeds.example.com", _policy(), None)


def test_a_conditional_request_for_the_same_url_gets_304(server: FeedServer) -> None:
    url = _week_url(server, 48)
    first = fetch(url, "127.0.0.1", _policy(), None)
    assert first.validators is not None and first.validators.etag
    assert fetch(url, "127.0.0.1", _policy(), first.validators).status == 304
    # Validators of another URL are not sent.
    elsewhere = Validators(url=_week_url(server, 47), etag=first.validators.etag)
    assert fetch(url, "127.0.0.1", _policy(), elsewhere).status == 200


def test_a_week_not_published_is_404(server: FeedServer) -> None:
    assert fetch(_week_url(server, 49), "127.0.0.1", _policy(), None).status == 404


# -- the pull, with in-memory stores ---------------------------------------------------------


class _MemoryStore:
    def __init__(self, *feeds: Feed) -> None:
        self.records = {feed.name: FeedRecord(feed=feed, state=FeedState()) for feed in feeds}
        self.leases: dict[str, tuple[str, datetime]] = {}
        self.crash_on_advance = False

    def claim(self, name: str, owner: str, now: datetime, until: datetime) -> FeedRecord:
        held = self.leases.get(name)
        if held is not None and held[1] >= now:
            raise FeedBusy(name)
        self.leases[name] = (owner, until)
        return self.records[name]

    def _check(self, name: str, owner: str) -> None:
        if self.leases.get(name, ("", NOW))[0] != owner:
            raise LeaseLost(name)

    def advance(
        self, name: str, owner: str, cursor: str | None, validators: Validators | None
    ) -> None:
        self._check(name, owner)
        if self.crash_on_advance:
            raise RuntimeError("the puller died")
        state = self.records[name].state.model_copy(
            update={"cursor": cursor, "validators": validators}
        )
        self.records[name] = self.records[name].model_copy(update={"state": state})

    def finish(self, name: str, owner: str, now: datetime, error: str | None) -> None:
        self._check(name, owner)
        changes: dict[str, Any] = {"last_attempt_at": now}
        changes |= (
            {"last_error": error, "last_error_at": now} if error else {"last_success_at": now}
        )
        state = self.records[name].state.model_copy(update=changes)
        self.records[name] = self.records[name].model_copy(update={"state": state})
        del self.leases[name]

    def list(self) -> list[FeedRecord]:
        return list(self.records.values())


class _MemoryFiles:
    def __init__(self) -> None:
        self.files: dict[str, FeedFile] = {}

    def put_new(self, file: FeedFile) -> bool:
        key = f"incoming/{file.regulator_id}/{file.relative_name}"
        if key in self.files:
            return False
        self.files[key] = file
        return True


def _services(store: _MemoryStore, files: _MemoryFiles, owner: str = "one") -> FeedServices:
    return FeedServices(store=store, files=files, policy=_policy(), owner=owner)


def test_a_pull_writes_each_page_as_a_notice_file_then_moves_the_cursor(
    server: FeedServer,
) -> None:
    feed = _safety_gate(server.safety_gate_url)
    feed = feed.model_copy(update={"target_platforms": ["temu"]})
    store, files = _MemoryStore(feed), _MemoryFiles()
    result = pull_feed(feed.name, NOW, _services(store, files), since=date(2026, 11, 16))
    assert result.error is None
    assert result.cursor == "2026-W48"  # W49 is not published yet: the pull ends there
    assert [f.relative_name[:39] for f in files.files.values()] == [
        "feeds/safety-gate/safety-gate-2026-W47-",
        "feeds/safety-gate/safety-gate-2026-W48-",
    ]
    written = next(iter(files.files.values()))
    assert written.intake_format == "safety-gate"
    assert written.target_platforms == ("temu",)
    assert written.relative_name.endswith(".xml")
    assert store.records[feed.name].state.last_success_at == NOW


def test_a_crash_between_the_write_and_the_cursor_re_pulls_and_writes_nothing_twice(
    server: FeedServer,
) -> None:
    feed = _cpsc(server.cpsc_url)
    store, files = _MemoryStore(feed), _MemoryFiles()
    store.crash_on_advance = True
    with pytest.raises(RuntimeError, match="died"):
        pull_feed(feed.name, NOW, _services(store, files, "first"))
    assert len(files.files) == 1 and store.records[feed.name].state.cursor is None
    store.crash_on_advance = False
    store.leases.clear()  # the dead puller's lease ran out
    again = pull_feed(feed.name, NOW, _services(store, files, "second"))
    assert again.files == [] and again.fetched == 1
    assert len(files.files) == 1
    assert store.records[feed.name].state.cursor == "2026-11-30"


def test_a_second_puller_waits_for_the_first(server: FeedServer) -> None:
    feed = _cpsc(server.cpsc_url)
    store = _MemoryStore(feed)
    store.claim(feed.name, "first", NOW, NOW + timedelta(minutes=15))
    with pytest.raises(FeedBusy):
        pull_feed(feed.name, NOW, _services(store, _MemoryFiles(), "second"))
    assert pull_due_feeds(NOW, _services(store, _MemoryFiles(), "second")) == []


def test_a_failure_is_recorded_and_the_cursor_stays_at_the_last_page_stored(
    server: FeedServer,
) -> None:
    feed = _safety_gate(server.safety_gate_url)
    store, files = _MemoryStore(feed), _MemoryFiles()
    server.inject("/safety-gate/2026/48", Fault.not_the_format())
    result = pull_feed(feed.name, NOW, _services(store, files), since=date(2026, 11, 16))
    assert result.cursor == "2026-W47"
    assert result.error == "safety-gate-2026-W48: the page is a web page (HTML), not a feed page"
    state = store.records[feed.name].state
    assert (state.cursor, state.last_error, state.failing) == ("2026-W47", result.error, True)


def test_the_cursor_never_moves_back(server: FeedServer) -> None:
    feed = _cpsc(server.cpsc_url)
    store, files = _MemoryStore(feed), _MemoryFiles()
    pull_feed(feed.name, NOW, _services(store, files))
    earlier = pull_feed(feed.name, NOW, _services(store, files), since=date(2026, 11, 23))
    assert earlier.cursor == "2026-11-30"
    # Other windows than the first pull's: other files (intake stores only what changed).
    assert earlier.fetched == 2 and len(earlier.files) == 2


def test_due_feeds_are_pulled_paused_ones_are_not(server: FeedServer) -> None:
    cpsc, gate = _cpsc(server.cpsc_url), _safety_gate(server.safety_gate_url)
    store = _MemoryStore(cpsc, gate)
    store.records[gate.name] = FeedRecord(feed=gate, state=FeedState(paused=True))
    results = pull_due_feeds(NOW, _services(store, _MemoryFiles()))
    assert [result.name for result in results] == ["cpsc"]
    assert pull_due_feeds(NOW + timedelta(hours=1), _services(store, _MemoryFiles())) == []


# -- what intake does with a feed file's targets ---------------------------------------------


def test_a_files_targets_apply_to_rows_that_name_none() -> None:
    rows = [
        {"source_reference": "R-1", "product_name": "Kettle", "jurisdiction": "US"},
        {"source_reference": "R-2", "product_name": "Lamp", "jurisdiction": "US",
         "target_platforms": ["coupang"]},
    ]  # fmt: skip
    parsed = parse_notice_file(
        json.dumps(rows).encode(),
        filename="feed.json",
        format_hint=None,
        limits=IntakeLimits(),
        defaults=RegulatorDefaults(target_platforms=("temu", "aliexpress")),
    )
    targets = [row.content.target_platforms for row in parsed.rows if row.content]
    assert targets == [["temu", "aliexpress"], ["coupang"]]
