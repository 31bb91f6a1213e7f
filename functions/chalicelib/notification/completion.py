"""The end of one platform's notification of a notice, and the lifecycle's wait for it.

Notification is finished when the platform's last batch has come (``"final": true``, or
its own counts in ``platform`` mode) and every recipient's send has ended. Whoever sees
that first (the API taking the last batch, the notify function settling the last send,
the workflow opening its wait) records it; every step is conditional, so the others
(and retries) change nothing.
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.deadlines.policy import NotificationMode
from chalicelib.dispatch.cases import CaseStatus
from chalicelib.dispatch.model import Dispatch, DispatchRef, DispatchState, WaitKind
from chalicelib.dispatch.push import UnknownDispatch
from chalicelib.dispatch.services import LifecycleServices
from chalicelib.dispatch.waits import open_wait, resume_if_answered
from chalicelib.notices.timeline import EventKind
from chalicelib.notification.progress import Progress
from chalicelib.notification.services import NotificationServices


def current_dispatch(
    notice_id: str, platform_id: str, lifecycle: LifecycleServices
) -> Dispatch | None:
    """The platform's dispatch of the notice that is still open (none once withdrawn)."""
    open_ones = [
        dispatch
        for dispatch in lifecycle.dispatches.for_notice(notice_id)
        if dispatch.ref.platform_id == platform_id
        and dispatch.state is not DispatchState.CLOSED
        and not dispatch.withdrawal
    ]
    return max(open_ones, key=lambda d: d.ref.version) if open_ones else None


def notification_mode(dispatch: Dispatch, lifecycle: LifecycleServices) -> NotificationMode:
    platform = lifecycle.platforms.get(dispatch.ref.platform_id)
    return (
        platform.notification_mode(dispatch.regulator_id) if platform else NotificationMode.PLATFORM
    )


def completion_details(
    platform_id: str, mode: NotificationMode, progress: Progress
) -> dict[str, object]:
    """What ``notification_completed`` says (a contract: docs/lifecycle.md)."""
    return {"platform_id": platform_id, "mode": mode.value, "counts": dict(progress.counts)}


def complete_if_finished(
    notice_id: str, platform_id: str, now: datetime, services: NotificationServices
) -> bool:
    """Record the end of notification, once, if it has ended; True when it has."""
    store = services.recipients
    if not store.progress(notice_id, platform_id).finished:
        return False
    store.mark(notice_id, platform_id, "completed_at", now)
    progress = store.progress(notice_id, platform_id)  # the completion as first marked
    completed_at = progress.completed_at or now
    lifecycle = services.lifecycle
    dispatch = current_dispatch(notice_id, platform_id, lifecycle)
    if dispatch is None:
        return True  # superseded or withdrawn meanwhile: the next version's wait finds it
    ref = dispatch.ref
    details = completion_details(platform_id, notification_mode(dispatch, lifecycle), progress)
    if dispatch.answered_at(WaitKind.NOTIFICATION) is None:
        lifecycle.dispatches.record_answer(ref, WaitKind.NOTIFICATION, completed_at, details)
    recorded = lifecycle.dispatches.get(ref)
    if recorded is None or recorded.notification_completed_at is None:
        return True  # closed meanwhile: nothing is recorded on a closed version
    lifecycle.record(
        notice_id,
        ref.event_key("notification_completed"),
        EventKind.NOTIFICATION_COMPLETED,
        recorded.notification_completed_at,
        "psx",
        **details,
    )
    lifecycle.notification_cases.set_status(ref, CaseStatus.COMPLETED)
    resume_if_answered(ref, lifecycle)
    return True


def open_notification_wait(
    ref: DispatchRef, token: str, late: bool, now: datetime, services: NotificationServices
) -> None:
    """The workflow waits for notification after the hand-off (or at once resumes, when
    the platform finished first)."""
    lifecycle = services.lifecycle
    dispatch = lifecycle.dispatches.get(ref)
    if dispatch is None:
        raise UnknownDispatch(f"no dispatch of {ref.notice_id} v{ref.version} to {ref.platform_id}")
    complete_if_finished(ref.notice_id, ref.platform_id, now, services)
    mode = notification_mode(dispatch, lifecycle)
    lifecycle.notification_cases.set_status(
        ref, CaseStatus.IN_PROGRESS, unless={CaseStatus.COMPLETED, CaseStatus.OVERDUE}
    )
    open_wait(ref, WaitKind.NOTIFICATION, token, late, now, lifecycle, mode=mode.value)
