"""Amendments and withdrawals reach the buyers already told, once per person, kind and
version: an updated recall when the hazard, remedy or product identification changed
(nothing for other amendments), a withdrawal notice when the notice is withdrawn (and
what was not sent yet is cancelled). Through the API, the lifecycle's plan and the
notify function, in the embedded runtime."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.notices.model import Hazard, NoticeContent
from chalicelib.notification.delivery import FollowUp, QueuedChunk, deliver_chunk
from chalicelib.notification.follow_ups import (
    follow_up_platform,
    material_change,
    queue_follow_ups,
)
from chalicelib.notification.recipients import RecipientStatus, follow_up_key
from chalicelib.notification.rendering import MessageKind
from chalicelib.notification.services import NotificationServices, notification_services
from chalicelib.settings import load_settings
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.stores.outbound_mail import OutboundMail
from psx.embedded.runtime import EmbeddedRuntime
from tests.api.support import (
    Api,
    Caller,
    at_once,
    new_regulator,
    notice_content,
    seed_notice,
    table,
)
from tests.api.test_notification import _buyer, _delegating, _post, _sent_to, _sms_to


@pytest.fixture(scope="module")
def regulator(api: Api) -> Caller:
    return new_regulator()


def _services() -> NotificationServices:
    return notification_services(load_settings())


def _new_version(notice_id: str, **changes: Any) -> int:
    """Store the notice's next version with ``changes`` to its content."""
    store = NoticeStore(table())
    current = store.get(notice_id)
    assert current is not None
    content = current.content.model_copy(update=changes)
    saved = store.save(
        content,
        regulator_id=current.regulator_id,
        source_format="api",
        source_file=None,
        received_at=datetime.now(UTC),
        known=store.current_state(notice_id),
        based_on_known=True,
    )
    return saved.current.version


def _plan(runtime: EmbeddedRuntime, notice_id: str, version: int) -> None:
    """The lifecycle's PlanDispatch of a new version, as the workflow invokes it."""
    event = {"notice_id": notice_id, "version": version}
    runtime.registry.invoke(runtime.function_name("plan_dispatch"), event)


def _kinds(address: str) -> list[str | None]:
    return sorted(message.kind for message in _sent_to(address))


def _told(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime, *emails: str
) -> tuple[str, Caller]:
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    buyers = [_buyer(f"B-{n}", email) for n, email in enumerate(emails)]
    _post(api, notice_id, platform, buyers=buyers, final=True)
    runtime.pump()
    return notice_id, platform


def test_a_changed_hazard_sends_an_updated_recall_to_those_told_once(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    notice_id, platform = _told(api, regulator, runtime, "upd@mail.example")
    _post(api, notice_id, platform, buyers=[{"buyer_ref": "B-SMS", "phone": "+821098765432"}])
    runtime.pump()

    version = _new_version(notice_id, hazard=Hazard(description="Magnets can be swallowed"))
    _plan(runtime, notice_id, version)
    runtime.pump()
    # The plan retried, and the scan asked again: nothing is sent twice.
    queue_follow_ups(notice_id, version, _services())
    _plan(runtime, notice_id, version)
    runtime.pump()

    assert _kinds("upd@mail.example") == ["recall", "updated_recall"]
    (updated,) = [m for m in _sent_to("upd@mail.example") if m.kind == "updated_recall"]
    assert "Magnets can be swallowed" in updated.text
    assert len(_sms_to("+821098765432")) == 2
    # Follow-ups are not part of notification's end, nor of the platform's list.
    listed = api.get(f"/v1/notices/{notice_id}/notifications", platform, limit=100).body
    assert len(listed["items"]) == 2 and listed["counts"]["buyers_notified"] == 2


def test_other_amendments_send_nothing(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    notice_id, _ = _told(api, regulator, runtime, "quiet@mail.example")

    version = _new_version(notice_id, title="A better title", issued_on=None)

    assert queue_follow_ups(notice_id, version, _services()) == []
    runtime.pump()
    assert _kinds("quiet@mail.example") == ["recall"]


_BEFORE = notice_content("REF-M", [])


@pytest.mark.parametrize(
    ("after", "material"),
    [
        (_BEFORE.model_copy(update={"remedy": "Return it for a refund"}), True),
        (
            _BEFORE.model_copy(
                update={"product": _BEFORE.product.model_copy(update={"batch_numbers": ["B-7"]})}
            ),
            True,
        ),
        (_BEFORE.model_copy(update={"hazard": Hazard(risk_level="serious")}), True),
        (
            _BEFORE.model_copy(
                update={"product": _BEFORE.product.model_copy(update={"description": "Longer"})}
            ),
            False,
        ),
        (_BEFORE.model_copy(update={"measures": ["recall"], "title": "Renamed"}), False),
    ],
)
def test_what_counts_as_a_material_change(after: NoticeContent, material: bool) -> None:
    assert material_change(_BEFORE, after) is material


def test_a_withdrawal_cancels_the_unsent_and_tells_those_told(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    notice_id, platform = _told(api, regulator, runtime, "told@mail.example")
    _post(api, notice_id, platform, buyers=[_buyer("B-LATE", "late@mail.example")])
    # The late buyer's message waits on the queue while the notice is withdrawn.

    version = _new_version(notice_id, withdrawn=True)
    _plan(runtime, notice_id, version)
    runtime.pump()

    assert _kinds("told@mail.example") == ["recall", "recall_withdrawn"]
    assert _sent_to("late@mail.example") == []
    items = api.get(f"/v1/notices/{notice_id}/notifications", platform).body["items"]
    assert {i["buyer_ref"]: i["status"] for i in items}["B-LATE"] == "cancelled"


def test_an_update_queued_before_a_withdrawal_is_cancelled(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    notice_id, platform = _told(api, regulator, runtime, "both@mail.example")
    amended = _new_version(notice_id, remedy="Refund at any shop")
    services = _services()
    follow_up_platform(notice_id, platform.id, amended, datetime.now(UTC), services)
    withdrawn = _new_version(notice_id, withdrawn=True)
    queue_follow_ups(notice_id, withdrawn, services)
    runtime.pump()

    assert _kinds("both@mail.example") == ["recall", "recall_withdrawn"]


def test_a_follow_up_is_claimed_once_under_redelivery_and_concurrent_scans(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime
) -> None:
    notice_id, platform = _told(api, regulator, runtime, "conc@mail.example")
    version = _new_version(notice_id, remedy="Bring it back")
    services = _services()
    now = datetime.now(UTC)

    # Three scans at once, then the queue (with each chunk queued up to three times).
    at_once(*[lambda: follow_up_platform(notice_id, platform.id, version, now, services)] * 3)
    (told,) = services.recipients.page(notice_id, platform.id, 10, None)[0]
    key = follow_up_key(MessageKind.UPDATED_RECALL, version, told.key)
    chunk = QueuedChunk(
        notice_id, platform.id, [key], FollowUp(MessageKind.UPDATED_RECALL, version)
    )
    deliver_chunk(chunk, "m-1", now, services)
    deliver_chunk(chunk, "m-1", now, services)  # redelivered
    runtime.pump()

    assert _kinds("conc@mail.example") == ["recall", "updated_recall"]
    (stored,) = services.recipients.get_many(notice_id, platform.id, [key])
    assert stored.status is RecipientStatus.SENT and stored.told_version == version


def test_a_buyer_sent_the_old_version_while_the_new_one_arrived_is_followed_up(
    api: Api, regulator: Caller, runtime: EmbeddedRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    platform = _delegating(regulator)
    notice_id = seed_notice(regulator, [platform])
    _post(api, notice_id, platform, buyers=[_buyer("B-1", "race@mail.example")], final=True)
    services = _services()
    (queued,) = services.recipients.page(notice_id, platform.id, 10, None)[0]
    send_bulk = OutboundMail.send_bulk
    scanned: list[int] = []

    def amended_while_sending(self: OutboundMail, *args: Any) -> list[str | None]:
        # The amendment is stored and its scan runs while this buyer is still "sending".
        version = _new_version(notice_id, hazard=Hazard(description="It overheats"))
        scanned.append(
            follow_up_platform(notice_id, platform.id, version, datetime.now(UTC), services)
        )
        return send_bulk(self, *args)

    with monkeypatch.context() as patched:
        patched.setattr(OutboundMail, "send_bulk", amended_while_sending)
        deliver_chunk(
            QueuedChunk(notice_id, platform.id, [queued.key]), "m-1", datetime.now(UTC), services
        )
    runtime.pump()

    assert scanned == [0]  # the scan could not see the buyer told
    assert _kinds("race@mail.example") == ["recall", "updated_recall"]
