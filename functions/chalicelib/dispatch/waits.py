"""The workflow's waits on a platform: opened with a task token, resumed exactly once by
the platform's answer, failed with ``DeadlineMissed`` by the deadline check.

Answers may arrive before the workflow opens the wait (a fast platform); opening a wait
that is already answered resumes it at once. Resuming twice is harmless: the second
resume finds the token ended.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.deadlines.policy import policy_for
from chalicelib.deadlines.working_days import (
    UnknownJurisdiction,
    add_working_days,
    working_days_late,
)
from chalicelib.dispatch.cases import CaseStatus
from chalicelib.dispatch.model import Dispatch, DispatchRef, DispatchState, WaitKind
from chalicelib.dispatch.push import UnknownDispatch
from chalicelib.dispatch.services import LifecycleServices
from chalicelib.notices.model import NoticeStatus
from chalicelib.notices.timeline import EventKind, not_before
from chalicelib.notification.model import NotificationCase
from chalicelib.stores.evidence_bucket import content_name
from chalicelib.verification.model import VerificationCase
from chalicelib.workflow.errors import (
    DEADLINE_MISSED_ERROR,
    NOTICE_SUPERSEDED_ERROR,
    NOTICE_WITHDRAWN_ERROR,
)


class DispatchClosed(RuntimeError):
    """The platform answers a version that was superseded or withdrawn."""


@dataclass(frozen=True)
class AnswerOutcome:
    recorded: bool  # False: a duplicate of an answer already recorded
    late_working_days: int  # 0 when on time


def open_wait(
    ref: DispatchRef,
    kind: WaitKind,
    token: str,
    late: bool,
    now: datetime,
    services: LifecycleServices,
    **details: object,
) -> None:
    """Open the wait; ``details`` go on the event that opens it (beside the deadline)."""
    dispatch = _dispatch(ref, services)
    deadline = None if late else dispatch.deadline(kind)
    # The dispatch as opening the wait left it: an answer stored before shows in it, and
    # one stored after finds the token and resumes the workflow itself (``answer``).
    opened = services.dispatches.open_wait(ref, kind, token, deadline)
    if opened is None:
        services.tokens.fail(token, _closure_error(ref, services), "the dispatch is closed")
        return
    started = _STARTED_EVENTS.get(kind, EventKind(f"awaiting_{kind.value}"))
    services.record(
        ref.notice_id,
        ref.event_key(f"{started.value}{'_late' if late else ''}"),
        started,
        _wait_started(opened, kind, late, now),
        "psx",
        platform_id=ref.platform_id,
        deadline=deadline.isoformat() if deadline else None,
        late=late,
        **details,
    )
    _resume_if_answered(opened, services)


# The event that opens a wait, where it is not ``awaiting_<kind>`` (recorded by the hand-off).
_STARTED_EVENTS = {WaitKind.NOTIFICATION: EventKind.NOTIFICATION_STARTED}
_MISSED_EVENTS = {WaitKind.NOTIFICATION: EventKind.NOTIFICATION_DEADLINE_MISSED}


def _wait_started(dispatch: Dispatch, kind: WaitKind, late: bool, now: datetime) -> datetime:
    """When the wait began: not before what led to it (the acknowledgement before the
    action report, the missed deadline before a late wait), and, if the platform already
    answered, at that answer (a fast platform answers before the workflow gets here)."""
    causes = [dispatch.missed_at(kind) if late else None]
    if kind is WaitKind.ACTION_REPORT:
        causes.append(dispatch.answered_at(WaitKind.ACKNOWLEDGEMENT))
    if kind is WaitKind.NOTIFICATION:
        causes.append(dispatch.answered_at(WaitKind.ACTION_REPORT))
    started = not_before(now, *causes)
    answered = dispatch.answered_at(kind)
    return min(started, answered) if answered else started


def answer(
    ref: DispatchRef,
    kind: WaitKind,
    body: dict[str, Any],
    at: datetime,
    services: LifecycleServices,
) -> AnswerOutcome:
    """Record a platform's acknowledgement or action report and resume its workflow."""
    dispatch = _open_dispatch(ref, services)
    deadline = dispatch.deadline(kind)
    late_days = working_days_late(deadline, at, dispatch.jurisdiction) if deadline else 0
    # Kept before it is recorded: a failed write records nothing, and the platform's
    # retry starts clean. Named by content: a concurrent answer that loses the race
    # below is kept too (it was sent), but no event names it.
    received = _answer_evidence(ref, kind, at, body)
    kept = services.keep(ref, kind.value, content_name("answer", received), received)
    recorded = services.dispatches.record_answer(ref, kind, at, body)
    if recorded:
        services.record(
            ref.notice_id,
            ref.event_key(kind.value),
            EventKind(f"{kind.value}_received"),
            at,
            f"platform:{ref.platform_id}",
            platform_id=ref.platform_id,
            deadline=deadline.isoformat() if deadline else None,
            late=late_days > 0,  # after the deadline; at the deadline itself is on time
            late_working_days=late_days,
            report=body,
            evidence=kept,
        )
    else:
        _open_dispatch(ref, services)  # a duplicate; or refused: closed since the check
    _resume_if_answered(_dispatch(ref, services), services)
    return AnswerOutcome(recorded, late_days)


def _answer_evidence(
    ref: DispatchRef, kind: WaitKind, at: datetime, body: dict[str, Any]
) -> dict[str, Any]:
    return {
        "notice_id": ref.notice_id,
        "version": ref.version,
        "platform_id": ref.platform_id,
        "answer": kind.value,
        "received_at": at.isoformat(),
        "body": body,
    }


def enforce_deadlines(now: datetime, services: LifecycleServices) -> list[DispatchRef]:
    """Fail every wait whose deadline is before ``now`` (the check's own clock: the
    schedule's time, or `psx audit --at`); returns the dispatches that missed."""
    missed = []
    for dispatch in services.dispatches.overdue(now):
        token, kind = dispatch.task_token, dispatch.open_wait
        if token is None or kind is None:
            continue
        if not dispatch.deadline_passed(kind, now):
            continue  # the index lags: this wait (or a later one) is not due yet
        if not services.dispatches.miss_wait(dispatch.ref, token, kind, now):
            continue  # answered or closed meanwhile
        deadline = dispatch.deadline(kind)
        services.tokens.fail(
            token,
            DEADLINE_MISSED_ERROR,
            f"{kind.value} was due {deadline.isoformat() if deadline else '?'}",
        )
        missed.append(dispatch.ref)
    return missed


def escalate(ref: DispatchRef, kind: WaitKind, now: datetime, services: LifecycleServices) -> None:
    """Record the breach and tell the regulator; the workflow then waits on, for late answers.

    The breach is dated when the deadline check found it; ``now`` only when the wait's
    backstop timeout ended it instead.
    """
    dispatch = _dispatch(ref, services)
    deadline = dispatch.deadline(kind)
    detected_at = dispatch.missed_at(kind) or now
    services.record(
        ref.notice_id,
        ref.event_key(f"missed_{kind.value}"),
        _MISSED_EVENTS.get(kind, EventKind.DEADLINE_MISSED),
        detected_at,
        "psx",
        platform_id=ref.platform_id,
        waiting_for=kind.value,
        deadline=deadline.isoformat() if deadline else None,
    )
    if kind is WaitKind.NOTIFICATION:
        services.notification_cases.set_status(
            ref, CaseStatus.OVERDUE, unless={CaseStatus.COMPLETED}
        )
    services.escalations.publish(
        dispatch.regulator_id,
        "deadline_missed",
        f"{ref.platform_id} missed the {kind.value} deadline for {ref.notice_id}",
        {
            "notice_id": ref.notice_id,
            "version": ref.version,
            "platform_id": ref.platform_id,
            "waiting_for": kind.value,
            "deadline": deadline.isoformat() if deadline else None,
            "detected_at": detected_at.isoformat(),
        },
    )


@dataclass(frozen=True)
class HandOff:
    """What the hand-off opened: the item key of each capability's case (none when the
    dispatch was closed meanwhile), for the workflow to start the capabilities with."""

    ref: DispatchRef
    cases: dict[str, dict[str, str]]


def hand_off(ref: DispatchRef, now: datetime, services: LifecycleServices) -> HandOff:
    """After the action report: seller/buyer notification and verification take over,
    each with a case of its own opened here (once: a retry finds them and changes nothing)."""
    dispatch = _dispatch(ref, services)
    if not services.dispatches.set_state(
        ref, DispatchState.HANDED_OFF, unless={DispatchState.CLOSED}
    ):
        return HandOff(ref, {})  # superseded or withdrawn: nothing is owed on this version
    at = not_before(now, dispatch.answered_at(WaitKind.ACTION_REPORT))
    _set_notification_deadline(dispatch, at, services)
    notification = services.notification_cases.open(NotificationCase.opened_for(dispatch, at))
    verification = services.verification_cases.open(VerificationCase.opened_for(dispatch, at))
    for step, case in (
        (EventKind.AWAITING_NOTIFICATION, notification),
        (EventKind.AWAITING_VERIFICATION, verification),
    ):
        services.record(
            ref.notice_id,
            ref.event_key(step),
            step,
            case.opened_at,
            "psx",
            platform_id=ref.platform_id,
        )
    return HandOff(
        ref,
        {
            "notification": services.notification_cases.key(ref),
            "verification": services.verification_cases.key(ref),
        },
    )


def _set_notification_deadline(
    dispatch: Dispatch, handed_off_at: datetime, services: LifecycleServices
) -> None:
    """The agreement's working days from the hand-off; none where there is no calendar
    (the dispatch's own deadlines are absent then too, and the timeline said why)."""
    platform = services.platforms.get(dispatch.ref.platform_id)
    agreements = platform.agreements if platform else {}
    policy = policy_for(agreements, dispatch.regulator_id, dispatch.ref.platform_id).policy
    try:
        due = add_working_days(
            handed_off_at, policy.notification_working_days, dispatch.jurisdiction
        )
    except UnknownJurisdiction:
        return
    services.dispatches.set_notification_deadline(dispatch.ref, due)


def resume_if_answered(ref: DispatchRef, services: LifecycleServices) -> None:
    """Resume the dispatch's open wait when what it waits for has come."""
    _resume_if_answered(_dispatch(ref, services), services)


def _resume_if_answered(current: Dispatch, services: LifecycleServices) -> None:
    """``current``: the dispatch read (or written) after what may resume it was stored."""
    ref = current.ref
    kind, token = current.open_wait, current.task_token
    if kind is None or token is None or current.answered_at(kind) is None:
        return
    if services.dispatches.close_wait(ref, token):
        services.tokens.succeed(token, {"answered": kind.value})


def _dispatch(ref: DispatchRef, services: LifecycleServices) -> Dispatch:
    dispatch = services.dispatches.get(ref)
    if dispatch is None:
        raise UnknownDispatch(
            f"no dispatch of notice {ref.notice_id} v{ref.version} to {ref.platform_id}"
        )
    return dispatch


def _open_dispatch(ref: DispatchRef, services: LifecycleServices) -> Dispatch:
    dispatch = _dispatch(ref, services)
    if dispatch.state is DispatchState.CLOSED:
        raise DispatchClosed(f"version {ref.version} of {ref.notice_id} is no longer current")
    return dispatch


def _closure_error(ref: DispatchRef, services: LifecycleServices) -> str:
    current = services.notices.current_state(ref.notice_id)
    withdrawn = current is not None and current.status is NoticeStatus.WITHDRAWN
    return NOTICE_WITHDRAWN_ERROR if withdrawn else NOTICE_SUPERSEDED_ERROR
