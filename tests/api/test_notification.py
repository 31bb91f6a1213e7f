"""Seller and buyer notification through the API and the notify function, in the embedded
runtime: batches in, SES and SNS out (moto's), each person told once whatever comes
twice, counts (never contacts) for everyone else."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.sns.models import sns_backends

from chalicelib.deadlines.policy import DeadlinePolicy, NotificationMode
from chalicelib.notification.channels import SendingThrottled
from chalicelib.notification.delivery import INTERRUPTED, QueuedChunk, deliver_chunk
from chalicelib.notification.recipients import RecipientStatus
from chalicelib.notification.services import notification_services
from chalicelib.settings import load_settings
from chalicelib.stores.outbound_mail import OutboundMail
from chalicelib.stores.platforms_table import PlatformStore
from psx.embedded.runtime import ACCOUNT_ID, EmbeddedRuntime
from psx.outbox import OutboxMessage, in_process_data, messages, stored_templates
from tests.api.support import (
    Api,
    Caller,
    HttpApi,
    at_once,
    listing,
    new_platform,
    new_regulator,
    seed_notice,
    table,
)
from tests.e2e.lifecycle_steps import services

PARTIES = "/v1/notices/{}/affected-parties"


@pytest.fixture(scope="module")
def regulator(api: Api) -> Caller:
    return new_regulator()


def _delegating(regulator: Caller, **policy: Any) -> Caller:
    platform = new_platform()
    agreement = DeadlinePolicy(notification_mode=NotificationMode.EXCHANGE, **policy)
    PlatformStore(table()).set_agreement(platform.id, regulator.id, agreement)
    return platform


def _sent_to(address: str) -> list[OutboxMessage]:
    """Every e-mail that went to ``address``, as SES would have delivered it."""
    templates = stored_templates(boto3.client("sesv2"))
    sent = messages(in_process_data(os.environ["AWS_DEFAULT_REGION"]), templates)
    return [message for message in sent if message.recipient == address]


def _sms_to(phone: str) -> list[str]:
    backend = sns_backends[ACCOUNT_ID][os.environ["AWS_DEFAULT_REGION"]]
    return [message for number, message in backend.sms_messages.values() if number == phone]


def _buyer(ref: str, email: str, **fields: Any) -> dict[str, Any]:
    return {"buyer_ref": ref, "email": email, **fields}


def _post(api: Api, notice_id: str, platform: Caller, **body: Any) -> Any:
    return api.post(PARTIES.format(notice_id), body, platform)


def _listing(api: Api, notice_id: str, platform: Caller) -> list[dict[str, Any]]:
    page = api.get(f"/v1/notices/{notice_id}/notifications", platform, limit=100)
    assert page.status == 200, page
    return list(page.body["items"])


def test_a_platform_that_notifies_itself_reports_counts_and_finishes(
    api: Api, regulator: Caller
) -> None:
    platform = new_platform()  # default agreement: the platform notifies
    notice_id = seed_notice(regulator, [platform])

    contacts = _post(api, notice_id, platform, buyers=[_buyer("B-1", "b1@mail.example")])
    counts = _post(api, notice_id, platform, notified_by_platform={"buyers": 120}, final=True)

    assert contacts.status == 409 and contacts.problem_type == "notifies-itself"
    assert counts.status == 201 and counts.body["completed"] is True
    assert counts.body["mode"] == "platform"
    page = api.get(f"/v1/notices/{notice_id}/notifications", platform)
    assert page.body["counts"]["self_notified_buyers"] == 120 and page.body["items"] == []


def test_good_recipients_are_sent_while_bad_ones_are_refused_with_pointers(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    buyers = [
        _buyer("B-KO", "kim@mail.example", language="ko"),
        _buyer("B-DE", "anna@mail.example", country="DE"),
        _buyer("B-BAD", "not-an-address"),
        {"buyer_ref": "B-SMS", "phone": "+821023456789", "language": "ko"},
    ]

    answer = _post(api, notice_id, platform, buyers=buyers, final=True)
    runtime.pump()

    assert answer.status == 201, answer
    assert [e["pointer"] for e in answer.body["rejected"]] == ["#/buyers/2/email"]
    assert answer.body["queued"] == 3
    (korean,) = _sent_to("kim@mail.example")
    (german,) = _sent_to("anna@mail.example")
    assert (korean.kind, korean.language, german.language) == ("recall", "ko", "de")
    assert korean.notice_id == notice_id and b"multipart/alternative" in (korean.eml or b"")
    assert len(_sms_to("+821023456789")) == 1
    statuses = {item["buyer_ref"]: item["status"] for item in _listing(api, notice_id, platform)}
    assert statuses == {"B-KO": "sent", "B-DE": "sent", "B-SMS": "sent"}
    page = api.get(f"/v1/notices/{notice_id}/notifications", platform)
    assert page.body["completed"] is True
    assert page.body["counts"]["buyers_notified"] == 3
    timeline = services().notices.timeline(notice_id)
    (completed,) = [e for e in timeline if e.kind == "notification_completed"]
    assert completed.details["mode"] == "exchange"
    assert completed.details["counts"]["buyers_notified"] == 3
    assert "kim@" not in str([e.details for e in timeline])  # counts only on the timeline


def test_a_person_is_told_once_across_batches_duplicates_and_concurrent_posts(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    batch = [_buyer("B-1", "once@mail.example"), _buyer("B-1b", "ONCE@MAIL.EXAMPLE")]

    first = _post(api, notice_id, platform, buyers=batch)
    runtime.pump()
    again = _post(api, notice_id, platform, buyers=batch)  # a duplicate batch, new key
    runtime.pump()

    assert first.body["queued"] == 1 and first.body["duplicates"] == 1
    assert again.body["queued"] == 0 and again.body["duplicates"] == 2
    assert len(_sent_to("once@mail.example")) == 1


def test_buyers_past_the_lookback_are_excluded_and_undated_ones_told(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    platform = _delegating(regulator, lookback_months=6)
    notice_id = seed_notice(regulator, [platform])
    today = datetime.now(UTC).date()
    old = today - timedelta(days=400)

    answer = _post(
        api,
        notice_id,
        platform,
        buyers=[
            _buyer("B-OLD", "old@mail.example", purchased_on=old.isoformat()),
            _buyer("B-NEW", "new@mail.example", purchased_on=today.isoformat()),
            _buyer("B-UNDATED", "undated@mail.example"),
        ],
        final=True,
    )
    runtime.pump()

    assert answer.body["excluded_by_lookback"] == 1
    assert _sent_to("old@mail.example") == []
    assert len(_sent_to("new@mail.example")) == len(_sent_to("undated@mail.example")) == 1
    page = api.get(f"/v1/notices/{notice_id}/notifications", platform)
    counts = page.body["counts"]
    assert (counts["excluded_by_lookback"], counts["undated_buyers"]) == (1, 1)
    excluded = [i for i in page.body["items"] if i["buyer_ref"] == "B-OLD"]
    assert excluded[0]["status"] == "excluded"


def test_a_seller_gets_a_statement_of_reasons_for_its_listing(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    reported = api.post(f"/v1/notices/{notice_id}/actions", {"listings": [listing()]}, platform)
    assert reported.status == 201, reported
    seller = {"seller_id": "S-9", "email": "seller@shop.example", "listing_ids": ["L-1", "L-X"]}

    _post(api, notice_id, platform, sellers=[seller], final=True)
    runtime.pump()

    (statement,) = _sent_to("seller@shop.example")
    assert (statement.kind, statement.notice_id) == ("statement_of_reasons", notice_id)
    items = {item["listing_id"]: item for item in _listing(api, notice_id, platform)}
    assert items["L-1"]["status"] == "sent" and items["L-1"]["kind"] == "statement_of_reasons"
    assert items["L-X"]["status"] == "failed"  # not a listing the platform acted on


def _queued_chunk(api: Api, regulator: Caller, email: str) -> tuple[QueuedChunk, Any]:
    """A stored, queued recipient whose queue message is consumed by the test itself."""
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    _post(api, notice_id, platform, buyers=[_buyer("B-1", email)], final=True)
    nservices = notification_services(load_settings())
    stored = nservices.recipients.page(notice_id, platform.id, 10, None)[0]
    return QueuedChunk(notice_id, platform.id, [s.key for s in stored]), nservices


def test_a_crash_after_claiming_never_sends_twice(api: Api, regulator: Caller) -> None:
    chunk, nservices = _queued_chunk(api, regulator, "crash@mail.example")
    now = datetime.now(UTC)
    # The first delivery claimed the recipient, then its process died before recording.
    store = nservices.recipients
    queued = store.get_many(chunk.notice_id, chunk.platform_id, chunk.keys)
    taken = store.claim(chunk.notice_id, chunk.platform_id, queued, "m-1", 1, now)
    assert [r.key for r in taken] == chunk.keys

    deliver_chunk(chunk, "m-1", now, nservices)  # the same message, redelivered
    deliver_chunk(chunk, "m-2", now, nservices)  # and a duplicate message

    assert _sent_to("crash@mail.example") == []
    (stored,) = nservices.recipients.get_many(chunk.notice_id, chunk.platform_id, chunk.keys)
    assert (stored.status, stored.error) == (RecipientStatus.FAILED, INTERRUPTED)


def test_claiming_and_recording_rewrite_a_recipient_without_losing_what_it_holds(
    api: Api, regulator: Caller
) -> None:
    # Both are puts of the whole item: the contact stored by the post must survive them.
    chunk, nservices = _queued_chunk(api, regulator, "kept@mail.example")
    store = nservices.recipients
    (queued,) = store.get_many(chunk.notice_id, chunk.platform_id, chunk.keys)

    deliver_chunk(chunk, "m-1", datetime.now(UTC), nservices)

    (sent,) = store.get_many(chunk.notice_id, chunk.platform_id, chunk.keys)
    assert sent.recipient == queued.recipient and sent.recipient.email == "kept@mail.example"
    assert (sent.status, sent.claim, sent.told_version) == (RecipientStatus.SENT, "m-1", 1)
    assert (sent.kind, sent.error) == ("recall", None)
    assert len(_sent_to("kept@mail.example")) == 1


def test_a_chunk_claim_takes_only_the_recipients_still_queued(api: Api, regulator: Caller) -> None:
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    buyers = [_buyer(f"B-{n}", f"claim-{n}@mail.example") for n in range(3)]
    _post(api, notice_id, platform, buyers=buyers, final=True)
    store = notification_services(load_settings()).recipients
    keys = [s.key for s in store.page(notice_id, platform.id, 10, None)[0]]
    now = datetime.now(UTC)

    queued = {r.key: r for r in store.get_many(notice_id, platform.id, keys)}
    first = store.claim(notice_id, platform.id, [queued[keys[1]]], "m-1", 1, now)
    # One transaction for all three is refused for the one taken; the others are claimed.
    second = store.claim(notice_id, platform.id, [queued[k] for k in keys], "m-2", 1, now)

    assert ([r.key for r in first], [r.key for r in second]) == ([keys[1]], [keys[0], keys[2]])
    claims = {s.key: s.claim for s in store.get_many(notice_id, platform.id, keys)}
    assert claims == {keys[0]: "m-2", keys[1]: "m-1", keys[2]: "m-2"}


def test_throttling_gives_the_recipients_back_and_the_retry_sends_once(
    api: Api, regulator: Caller, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunk, nservices = _queued_chunk(api, regulator, "busy@mail.example")
    now = datetime.now(UTC)

    def throttled(*args: object) -> list[str | None]:
        raise SendingThrottled("Throttling")

    with monkeypatch.context() as patched:
        patched.setattr(OutboundMail, "send_bulk", throttled)
        with pytest.raises(SendingThrottled):
            deliver_chunk(chunk, "m-1", now, nservices)
    (held,) = nservices.recipients.get_many(chunk.notice_id, chunk.platform_id, chunk.keys)
    deliver_chunk(chunk, "m-1", now, nservices)  # the message comes back
    deliver_chunk(chunk, "m-1", now, nservices)  # and once more

    assert held.status is RecipientStatus.QUEUED
    assert len(_sent_to("busy@mail.example")) == 1
    assert nservices.recipients.progress(chunk.notice_id, chunk.platform_id).completed_at


def test_a_batch_over_the_limit_is_refused_with_its_pointer(api: Api, regulator: Caller) -> None:
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    buyers = [_buyer(f"B-{n}", f"b{n}@mail.example") for n in range(1001)]

    answer = _post(api, notice_id, platform, buyers=buyers)

    assert answer.status == 400
    assert [e["pointer"] for e in answer.body["errors"]] == ["#/buyers"]


def test_the_list_is_cursor_paged_and_names_only_the_platforms_ids(
    api: Api, regulator: Caller
) -> None:
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    _post(
        api, notice_id, platform, buyers=[_buyer(f"B-{n}", f"p{n}@mail.example") for n in range(5)]
    )
    other = new_platform()

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"/v1/notices/{notice_id}/notifications", platform, **params)
        seen += [item["buyer_ref"] for item in page.body["items"]]
        assert "mail.example" not in str(page.body)
        cursor = page.body["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == [f"B-{n}" for n in range(5)]
    assert api.get(f"/v1/notices/{notice_id}/notifications", other).status == 404
    forged = api.get(f"/v1/notices/{notice_id}/notifications", platform, cursor="eA")
    assert forged.status == 400


def test_purchase_dates_reach_the_message_as_the_buyers_order_date(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    bought = date.today() - timedelta(days=3)

    _post(
        api,
        notice_id,
        platform,
        buyers=[
            _buyer("B-1", "dated@mail.example", purchased_on=bought.isoformat(), language="en")
        ],
    )
    runtime.pump()

    (message,) = _sent_to("dated@mail.example")
    assert str(bought.year) in message.text and "{{" not in message.text


def test_concurrent_posts_of_the_same_people_tell_each_once(
    http: HttpApi, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    batch = [_buyer(f"B-{n}", f"same{n}@mail.example") for n in range(5)]

    # Over real HTTP (Chalice's test client is not for threads): three posts at once.
    answers = at_once(*[lambda: _post(http, notice_id, platform, buyers=batch)] * 3)
    runtime.pump()

    assert [a.status for a in answers] == [201, 201, 201], [a.body for a in answers]
    assert sum(a.body["queued"] for a in answers) == 5
    assert [len(_sent_to(f"same{n}@mail.example")) for n in range(5)] == [1] * 5
