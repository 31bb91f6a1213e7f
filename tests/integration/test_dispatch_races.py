"""A newer version closing a dispatch while the platform answers it and its workflow moves
on: the close fails the wait that is open when it lands, and an answer never reopens a
closed dispatch. (Either race left a superseded or withdrawn version's workflow waiting
on, to escalate at its deadline.)"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.dispatch.model import DispatchRef, DispatchState, WaitKind
from chalicelib.dispatch.plan import close_dispatch
from chalicelib.dispatch.push import push_webhook
from chalicelib.dispatch.services import LifecycleServices
from chalicelib.dispatch.waits import DispatchClosed, answer
from chalicelib.notices.model import Notice, NoticeContent, NoticeStatus, Product
from chalicelib.stores.dispatches_table import DispatchStore
from chalicelib.workflow.errors import NOTICE_WITHDRAWN_ERROR
from chalicelib.workflow.lifecycle import TaskTokens
from psx.embedded.runtime import EmbeddedRuntime
from tests.api.support import seed_dispatch, unique
from tests.e2e.lifecycle_steps import receiving_platforms, services

NOW = datetime.now(UTC)


class RecordedTokens(TaskTokens):
    """Task tokens as the workflow would see them: which were failed, with what."""

    def __init__(self) -> None:
        self.failed: list[tuple[str, str]] = []

    def fail(self, token: str, error: str, cause: str) -> bool:
        self.failed.append((token, error))
        return True

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        return True


def withdrawing_version(ref: DispatchRef) -> Notice:
    """The version after ``ref``'s, withdrawing the notice."""
    content = NoticeContent(
        source_reference="REF-1", jurisdiction="KR", product=Product(name="Toy"), withdrawn=True
    )
    return Notice(
        notice_id=ref.notice_id,
        regulator_id="reg",
        version=ref.version + 1,
        status=NoticeStatus.WITHDRAWN,
        received_at=NOW,
        source_format="api",
        content=content,
        content_hash=content.content_hash(),
    )


@pytest.fixture
def lifecycle(runtime: EmbeddedRuntime) -> LifecycleServices:
    return dataclasses.replace(services(), tokens=RecordedTokens())


@pytest.fixture
def ref(runtime: EmbeddedRuntime) -> DispatchRef:
    dispatch = seed_dispatch(unique("ntc"), unique("shop"), unique("reg"), NOW)
    return dispatch.ref


def test_a_close_fails_the_wait_opened_after_the_dispatch_was_read(
    lifecycle: LifecycleServices, ref: DispatchRef
) -> None:
    store = lifecycle.dispatches
    store.open_wait(ref, WaitKind.ACKNOWLEDGEMENT, "token-1", NOW + timedelta(days=1))
    read_by_the_newer_version = store.get(ref)
    assert read_by_the_newer_version is not None
    # Meanwhile the platform acknowledged, and the workflow waits for the action report.
    store.close_wait(ref, "token-1")
    store.open_wait(ref, WaitKind.ACTION_REPORT, "token-2", NOW + timedelta(days=3))

    close_dispatch(read_by_the_newer_version, withdrawing_version(ref), NOW, lifecycle)

    assert lifecycle.tokens.failed == [("token-2", NOTICE_WITHDRAWN_ERROR)]  # type: ignore[attr-defined]
    closed = store.get(ref)
    assert closed is not None and closed.state is DispatchState.CLOSED
    assert closed.open_wait is None
    assert ref not in [d.ref for d in store.overdue(NOW + timedelta(days=30))]


def test_an_answer_racing_the_close_is_refused_and_never_reopens_the_dispatch(
    lifecycle: LifecycleServices, ref: DispatchRef, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_record_answer = DispatchStore.record_answer

    def closed_just_before(self: DispatchStore, *args: Any) -> bool:
        self.set_state(ref, DispatchState.CLOSED, unless=set())  # the newer version's plan
        return real_record_answer(self, *args)

    monkeypatch.setattr(DispatchStore, "record_answer", closed_just_before)

    with pytest.raises(DispatchClosed):
        answer(ref, WaitKind.ACKNOWLEDGEMENT, {}, NOW, lifecycle)

    dispatch = lifecycle.dispatches.get(ref)
    assert dispatch is not None and dispatch.state is DispatchState.CLOSED
    assert dispatch.acknowledged_at is None


def test_creating_a_dispatch_gives_what_is_stored_first_time_and_on_a_retry(
    lifecycle: LifecycleServices, ref: DispatchRef
) -> None:
    """``create`` answers the first time from what it wrote (no read back), a retry from
    the stored item: the same dispatch either way, and a retry changes nothing."""
    store = lifecycle.dispatches
    stored = store.get(ref)
    assert stored is not None
    store.set_state(ref, DispatchState.DELIVERED, unless=set())  # the workflow moved on

    retried = store.create(dataclasses.replace(stored, created_at=NOW + timedelta(hours=1)))

    assert retried == dataclasses.replace(stored, state=DispatchState.DELIVERED)
    fresh = seed_dispatch(unique("ntc"), unique("shop"), unique("reg"), NOW)
    assert fresh == store.get(fresh.ref)


def test_opening_a_wait_gives_the_dispatch_as_that_write_left_it(
    lifecycle: LifecycleServices, ref: DispatchRef
) -> None:
    """What ``open_wait`` decides with (resume at once, when the event began) without
    reading the dispatch again: an answer stored before the wait opened is in it."""
    store = lifecycle.dispatches
    store.record_answer(ref, WaitKind.ACKNOWLEDGEMENT, NOW, {"note": "fast platform"})

    opened = store.open_wait(ref, WaitKind.ACKNOWLEDGEMENT, "token-1", NOW + timedelta(days=1))

    assert opened == store.get(ref)
    assert opened is not None
    assert (opened.open_wait, opened.task_token) == (WaitKind.ACKNOWLEDGEMENT, "token-1")
    assert opened.answered_at(WaitKind.ACKNOWLEDGEMENT) == NOW
    store.set_state(ref, DispatchState.CLOSED, unless=set())
    assert store.open_wait(ref, WaitKind.ACTION_REPORT, "token-2", None) is None


def test_a_dispatch_closed_before_its_push_is_neither_counted_nor_sent(
    lifecycle: LifecycleServices, runtime: EmbeddedRuntime
) -> None:
    with receiving_platforms("shop") as receivers:
        [(platform_id, receiver)] = receivers.items()
        ref = seed_dispatch(unique("ntc"), platform_id, unique("reg"), NOW).ref
        lifecycle.dispatches.set_state(ref, DispatchState.CLOSED, unless=set())  # superseded

        pushed = push_webhook(ref, "notice.published", NOW, lifecycle)

    assert pushed == {"delivered": False}
    closed = lifecycle.dispatches.get(ref)
    assert closed is not None and closed.webhook_attempts == 0
    assert receiver.requests == 0
