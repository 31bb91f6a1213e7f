"""Platform endpoints: the inbox (stable pages under concurrent inserts, filters), answers
(once, late ones accepted and marked), affected parties, and closed versions."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.api.principal import PrincipalKind
from chalicelib.dispatch.actions import ActionReport, Listing, ListingAction
from chalicelib.dispatch.model import DispatchRef, DispatchState
from chalicelib.notices.timeline import EventKind
from chalicelib.platforms.model import Platform
from chalicelib.stores.platforms_table import PlatformStore
from chalicelib.stores.signing_secrets import signing_secret_name
from psx.webhook_receiver import WebhookReceiver
from tests.api.support import (
    Api,
    Caller,
    key_for,
    listing,
    new_platform,
    new_regulator,
    seed_dispatch,
    seed_notice,
    table,
)
from tests.e2e.lifecycle_steps import services


@pytest.fixture(scope="module")
def regulator(api: Api) -> Caller:
    return new_regulator()


def _walk(
    api: Api, caller: Caller, between_pages: list[Callable[[], None]], **params: object
) -> list[str]:
    """Every page of the inbox, calling ``between_pages`` callbacks after each page."""
    seen: list[str] = []
    cursor: str | None = None
    for page_number in range(100):
        query = {**params, **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/inbox", caller, **query)
        assert page.status == 200, page
        seen.extend(f"{i['notice_id']}#v{i['version']}" for i in page.body["items"])
        if page_number < len(between_pages):
            between_pages[page_number]()
        cursor = page.body["next_cursor"]
        if cursor is None:
            return seen
    raise AssertionError("the inbox never ended")


def test_inbox_pages_are_stable_while_notices_arrive(api: Api, regulator: Caller) -> None:
    # Inserts land between page requests, which is what concurrent inserts look like to
    # a client (each page is one request). A writer thread would race moto itself, whose
    # tables are not thread-safe.
    platform = new_platform()
    start = datetime.now(UTC) - timedelta(hours=1)
    existing = [
        seed_notice(regulator, [platform], at=start + timedelta(minutes=i)) for i in range(11)
    ]

    def insert_newer_and_older() -> None:
        seed_notice(regulator, [platform])  # newer than anything listed: above the cursor
        seed_notice(regulator, [platform], at=start - timedelta(minutes=5))  # below it

    seen = _walk(api, platform, [insert_newer_and_older] * 4, limit=3)

    assert len(seen) == len(set(seen)), "an entry came twice"
    assert {f"{n}#v1" for n in existing} <= set(seen), "an entry that existed was skipped"
    times = [_dispatched_at(platform, entry) for entry in seen]
    assert times == sorted(times, reverse=True)  # newest first, whatever arrived meanwhile


def _dispatched_at(platform: Caller, entry: str) -> datetime:
    notice_id, version = entry.split("#v")
    dispatch = services().dispatches.get(DispatchRef(notice_id, int(version), platform.id))
    assert dispatch is not None
    return dispatch.created_at


def test_inbox_filters_by_status_and_since(api: Api, regulator: Caller) -> None:
    platform = new_platform()
    old = seed_notice(regulator, [platform], at=datetime.now(UTC) - timedelta(days=2))
    recent = seed_notice(regulator, [platform])
    api.post(f"/v1/notices/{recent}/acknowledgement", {}, platform)

    acknowledged = api.get("/v1/inbox", platform, status="acknowledged").body["items"]
    since = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    latest = api.get("/v1/inbox", platform, since=since).body["items"]

    assert [item["notice_id"] for item in acknowledged] == [recent]
    assert [item["notice_id"] for item in latest] == [recent]
    assert old not in {item["notice_id"] for item in latest}


def test_an_answer_after_the_deadline_is_accepted_and_marked_late(
    api: Api, regulator: Caller
) -> None:
    platform = new_platform()
    sent = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday, long past
    notice_id = seed_notice(regulator, [platform], at=sent, deadline=timedelta(days=2))

    answer = api.post(f"/v1/notices/{notice_id}/acknowledgement", {"reference": "T-9"}, platform)

    assert answer.status == 201, answer
    assert answer.body["late"] is True and answer.body["late_working_days"] > 100


def test_an_acknowledgement_is_recorded_once(api: Api, regulator: Caller) -> None:
    platform = new_platform()
    notice_id = seed_notice(regulator, [platform])
    path = f"/v1/notices/{notice_id}/acknowledgement"

    first = api.post(path, {"note": "on it"}, platform)
    second = api.post(path, {"note": "again"}, platform)  # another key: a new request

    assert first.status == 201
    assert second.status == 409 and second.problem_type == "already-answered"
    kinds = [e.kind for e in services().notices.timeline(notice_id)]
    assert kinds.count(EventKind.ACKNOWLEDGEMENT_RECEIVED) == 1


def test_an_action_report_first_implies_the_acknowledgement(api: Api, regulator: Caller) -> None:
    platform = new_platform()
    notice_id = seed_notice(regulator, [platform])

    sent = [listing("L-1"), listing("L-2", "no_match")]
    report = api.post(f"/v1/notices/{notice_id}/actions", {"listings": sent}, platform)
    late_ack = api.post(f"/v1/notices/{notice_id}/acknowledgement", {}, platform)

    assert report.status == 201
    assert late_ack.status == 409 and "already acknowledged" in late_ack.body["detail"]
    dispatch = services().dispatches.get(DispatchRef(notice_id, 1, platform.id))
    assert dispatch is not None and dispatch.state is DispatchState.ACTION_REPORTED
    # Kept for verification, as the platform's listings.
    assert dispatch.action_report == ActionReport(
        listings=[Listing.model_validate(sent_listing) for sent_listing in sent]
    )
    assert dispatch.action_report.listings[1].action is ListingAction.NO_MATCH


def test_an_empty_action_report_says_no_listing_was_found(api: Api, regulator: Caller) -> None:
    platform = new_platform()
    notice_id = seed_notice(regulator, [platform])

    answer = api.post(f"/v1/notices/{notice_id}/actions", {"listings": []}, platform)

    assert answer.status == 201


@pytest.mark.parametrize(
    ("listings", "pointer"),
    [
        ([{**listing(), "action": "deleted"}], "#/listings/0/action"),
        ([{**listing(), "url": "ftp://x"}], "#/listings/0/url"),
        ([{**listing(), "acted_at": "2025-01-01T10:00:00"}], "#/listings/0/acted_at"),
        ([listing("L-1"), listing("L-1")], "#/listings"),
        (
            [{**listing(), "acted_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}],
            "#/listings/0/acted_at",
        ),
    ],
    ids=["action", "url", "naive-time", "duplicate", "future"],
)
def test_invalid_action_reports_name_the_field(
    api: Api, regulator: Caller, listings: list[object], pointer: str
) -> None:
    platform = new_platform()
    notice_id = seed_notice(regulator, [platform])

    answer = api.post(f"/v1/notices/{notice_id}/actions", {"listings": listings}, platform)

    assert answer.status == 400 and answer.problem_type == "validation-error"
    assert pointer in [error["pointer"] for error in answer.body["errors"]], answer.body


def test_affected_parties_are_only_counted_on_the_timeline(api: Api, regulator: Caller) -> None:
    platform = new_platform()
    notice_id = seed_notice(regulator, [platform])
    batch = {"notified_by_platform": {"buyers": 120}}

    answer = api.post(f"/v1/notices/{notice_id}/affected-parties", batch, platform)

    assert answer.status == 201, answer
    assert answer.body["notified_by_platform"] == {"sellers": 0, "buyers": 120}
    (event,) = [
        e for e in services().notices.timeline(notice_id) if e.kind == "affected_parties_received"
    ]
    assert event.details["notified_by_platform"] == {"sellers": 0, "buyers": 120}


def test_affected_parties_need_something_to_report(api: Api, regulator: Caller) -> None:
    platform = new_platform()
    notice_id = seed_notice(regulator, [platform])

    empty = api.post(f"/v1/notices/{notice_id}/affected-parties", {}, platform)
    bad_email = api.post(
        f"/v1/notices/{notice_id}/affected-parties",
        {"buyers": [{"buyer_ref": "B-1", "email": "nobody"}]},
        platform,
    )

    assert empty.status == 400
    assert bad_email.status == 400
    assert bad_email.body["errors"][0]["pointer"] == "#/buyers/0/email"


def test_a_superseded_version_is_closed_and_the_latest_is_answered(
    api: Api, regulator: Caller
) -> None:
    platform = new_platform()
    notice_id = seed_notice(regulator, [platform])
    store = services().dispatches
    store.set_state(DispatchRef(notice_id, 1, platform.id), DispatchState.CLOSED, unless=set())
    seed_dispatch(notice_id, platform.id, regulator.id, datetime.now(UTC), version=2)

    old = api.post(f"/v1/notices/{notice_id}/acknowledgement", {"version": 1}, platform)
    latest = api.post(f"/v1/notices/{notice_id}/acknowledgement", {}, platform)
    missing = api.post(f"/v1/notices/{notice_id}/acknowledgement", {"version": 7}, platform)

    assert old.status == 409 and old.problem_type == "notice-closed"
    assert latest.status == 201 and latest.body["version"] == 2
    assert missing.status == 404


def test_nothing_is_owed_on_a_withdrawal(api: Api, regulator: Caller) -> None:
    platform = new_platform()
    notice_id = seed_notice(regulator, [platform])
    seed_dispatch(
        notice_id, platform.id, regulator.id, datetime.now(UTC), version=2, withdrawal=True
    )

    answer = api.post(f"/v1/notices/{notice_id}/actions", {"listings": []}, platform)

    assert answer.status == 409 and answer.problem_type == "nothing-owed"


# A misconfigured endpoint's answer: its environment and the request's headers.
DEBUG_PAGE = b"<pre>DB_PASSWORD=hunter2 db01.corp.internal\nwebhook-signature: v1,abc</pre>"


def test_a_failed_webhook_test_says_why_in_our_words_only(api: Api) -> None:
    with WebhookReceiver([]) as receiver:
        platform = new_platform(receiver)
        receiver.fail_next(1, status=500, body=DEBUG_PAGE)

        answer = api.post("/v1/webhook-test", {}, platform)

    assert answer.status == 200, answer
    assert answer.body["delivered"] is False and answer.body["status_code"] == 500
    assert answer.body["error"] == "HTTP 500 from the platform's endpoint"


def test_a_missing_signing_secret_is_not_named_to_the_platform(api: Api) -> None:
    platform_id = f"plat-{uuid.uuid4().hex[:8]}"
    secret_name = signing_secret_name("psx-dev", platform_id)
    PlatformStore(table()).create(  # registered without `psx platforms add`: no secret
        Platform(
            platform_id=platform_id,
            name=platform_id,
            jurisdictions=["KR"],
            webhook_url="https://hooks.example/psx",
            signing_secret_ref=secret_name,
        )
    )

    answer = api.post("/v1/webhook-test", {}, key_for(PrincipalKind.PLATFORM, platform_id))

    assert answer.status == 409 and answer.problem_type.endswith("no-webhook"), answer
    assert secret_name not in json.dumps(answer.body)
