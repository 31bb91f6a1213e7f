"""Planning a notice version's dispatch: which platforms, their inbox entries, deadlines.

A new version also closes what older versions still wait for: an amendment supersedes
them (platforms answer the newest version), a withdrawal ends them and is itself sent
to every platform that had the notice. A notice re-issued after its withdrawal (status
active again) is published anew to the platforms its content targets, as a new notice.

A notice extended to more platforms (``dispatch/extension.py``) reaches each of them:
the version current at the extension through the extension's own execution
(``plan_extension``), every later version through its plan, as the content's targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.deadlines.policy import DeadlineKind, DeadlinePolicy, deadline_for, policy_for
from chalicelib.deadlines.working_days import UnknownJurisdiction
from chalicelib.dispatch.model import Dispatch, DispatchRef, DispatchState
from chalicelib.dispatch.services import LifecycleServices
from chalicelib.notices.model import Notice, NoticeStatus
from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for, not_before
from chalicelib.platforms.model import Platform, select_targets
from chalicelib.workflow.errors import NOTICE_SUPERSEDED_ERROR, NOTICE_WITHDRAWN_ERROR
from chalicelib.workflow.received import UnknownNoticeVersion

NOTICE_PUBLISHED = "notice.published"
NOTICE_AMENDED = "notice.amended"
NOTICE_WITHDRAWN = "notice.withdrawn"


@dataclass(frozen=True)
class DispatchPlan:
    event_type: str
    platform_ids: list[str]


def plan_dispatch(
    notice_id: str, version: int, now: datetime, services: LifecycleServices
) -> DispatchPlan:
    notice = services.notices.get_version(notice_id, version)
    if notice is None:
        raise UnknownNoticeVersion(f"notice {notice_id} has no version {version}")
    withdrawn = notice.status is NoticeStatus.WITHDRAWN
    earlier = _earlier_dispatches(notice_id, version, services)
    for dispatch in earlier:
        close_dispatch(dispatch, notice, now, services)
    if withdrawn:
        targets = _platforms_that_had_it(earlier, services)
        event_type = NOTICE_WITHDRAWN
    else:
        targets = _targets(notice, now, services)
        event_type = NOTICE_AMENDED if notice.status is NoticeStatus.AMENDED else NOTICE_PUBLISHED
    created = _create_dispatches(notice, targets, now, services)
    if _superseded_meanwhile(notice, created, now, services):
        return DispatchPlan(event_type, [])
    return DispatchPlan(event_type, [platform.platform_id for platform in targets])


def _earlier_dispatches(
    notice_id: str, version: int, services: LifecycleServices
) -> list[Dispatch]:
    """The dispatches of the notice's versions before ``version`` (a first version has
    none: nothing to read)."""
    if version == 1:
        return []
    return [d for d in services.dispatches.for_notice(notice_id) if d.ref.version < version]


def plan_extension(
    notice_id: str, version: int, platform_id: str, now: datetime, services: LifecycleServices
) -> DispatchPlan:
    """The dispatch of ``version`` to a platform the notice was extended to while that
    version was current: a notice new to the platform (``notice.published``)."""
    notice = services.notices.get_version(notice_id, version)
    if notice is None:
        raise UnknownNoticeVersion(f"notice {notice_id} has no version {version}")
    extended = {e.platform_id: e.version for e in services.notices.extensions(notice_id)}
    platform = services.platforms.get(platform_id)
    # Deactivated since (the switch that stops deliveries), or no such extension of this
    # version (a start nobody asked for): nothing to dispatch.
    if extended.get(platform_id) != version or platform is None or not platform.active:
        return DispatchPlan(NOTICE_PUBLISHED, [])
    created = _create_dispatches(notice, [platform], now, services)
    if _superseded_meanwhile(notice, created, now, services):
        return DispatchPlan(NOTICE_PUBLISHED, [])
    return DispatchPlan(NOTICE_PUBLISHED, [platform_id])


def _superseded_meanwhile(
    notice: Notice, created: list[Dispatch], now: datetime, services: LifecycleServices
) -> bool:
    """Closes ``created`` if a newer version was planned while they were being made (its
    plan then found none of them to close): looked at once they are stored."""
    current = services.notices.current_state(notice.notice_id)
    if current is None or current.version <= notice.version:
        return False
    newer = services.notices.get_version(notice.notice_id, current.version)
    if newer is None:
        raise UnknownNoticeVersion(f"notice {notice.notice_id} has no version {current.version}")
    for dispatch in created:
        close_dispatch(dispatch, newer, now, services)
    return True


def close_dispatch(
    dispatch: Dispatch, closing: Notice, now: datetime, services: LifecycleServices
) -> None:
    """End an older version's dispatch, and whatever its workflow waits for, because of
    the newer version ``closing``."""
    if dispatch.state is DispatchState.CLOSED:
        return
    withdrawn = closing.status is NoticeStatus.WITHDRAWN
    services.dispatches.set_state(dispatch.ref, DispatchState.CLOSED, unless=set())
    # The wait open now, not the one ``dispatch`` was read with: the workflow may have
    # moved on to its next wait since (an answer came). Once closed, no wait can open
    # (``open_wait`` refuses a closed dispatch), so this read sees the last one.
    closed = services.dispatches.get(dispatch.ref)
    token = closed.task_token if closed else None
    error = NOTICE_WITHDRAWN_ERROR if withdrawn else NOTICE_SUPERSEDED_ERROR
    if token and services.dispatches.close_wait(dispatch.ref, token):
        services.tokens.fail(token, error, f"notice {dispatch.ref.notice_id} {error}")
    services.record(
        dispatch.ref.notice_id,
        dispatch.ref.event_key("closed"),
        EventKind.CLOSED,
        # Not before the version that closes it arrived: a plan's clock, read when it
        # started, may precede a withdrawal it only finds at its end.
        not_before(now, closing.received_at),
        "psx",
        platform_id=dispatch.ref.platform_id,
        by_version=closing.version,
        reason="withdrawn" if withdrawn else "superseded by a newer version",
    )


def _targets(notice: Notice, now: datetime, services: LifecycleServices) -> list[Platform]:
    registered = services.platforms.list()
    targets, unknown = select_targets(
        registered, notice.content.jurisdiction, notice.content.target_platforms
    )
    targets = _with_extensions(notice, targets, registered, services)
    if unknown:
        services.record(
            notice.notice_id,
            event_key_for(notice.version, "unknown_platforms"),
            EventKind.UNKNOWN_PLATFORMS,
            now,
            "psx",
            platform_ids=unknown,
        )
    if not targets:
        services.record(
            notice.notice_id,
            event_key_for(notice.version, "no_platforms"),
            EventKind.NO_PLATFORMS,
            now,
            "psx",
            jurisdiction=notice.content.jurisdiction,
        )
    return targets


def _with_extensions(
    notice: Notice,
    targets: list[Platform],
    registered: list[Platform],
    services: LifecycleServices,
) -> list[Platform]:
    """The content's targets and the platforms the notice was extended to before this
    version; those extended at this version are their extension's to dispatch."""
    extended = {e.platform_id: e.version for e in services.notices.extensions(notice.notice_id)}
    if not extended:
        return targets
    chosen = {platform.platform_id for platform in targets}
    earlier = [
        platform
        for platform in registered
        if platform.active
        and extended.get(platform.platform_id, notice.version) < notice.version
        and platform.platform_id not in chosen
    ]
    ours = [t for t in targets if extended.get(t.platform_id) != notice.version]
    return ours + earlier


def _platforms_that_had_it(earlier: list[Dispatch], services: LifecycleServices) -> list[Platform]:
    platform_ids = sorted({dispatch.ref.platform_id for dispatch in earlier})
    found = [services.platforms.get(platform_id) for platform_id in platform_ids]
    return [platform for platform in found if platform is not None]


def _create_dispatches(
    notice: Notice, platforms: list[Platform], now: datetime, services: LifecycleServices
) -> list[Dispatch]:
    """A dispatch to each platform, then their ``dispatched`` events, recorded together
    (the report log keeps a notice's in one write)."""
    created = [_create_dispatch(notice, platform, now, services) for platform in platforms]
    services.record_all([event for _, event in created])
    return [dispatch for dispatch, _ in created]


def _create_dispatch(
    notice: Notice, platform: Platform, now: datetime, services: LifecycleServices
) -> tuple[Dispatch, TimelineEvent]:
    """The stored dispatch, and the event that records it (not recorded yet)."""
    withdrawal = notice.status is NoticeStatus.WITHDRAWN
    # The agreement as stored when this plan read the platform: a later change applies
    # to later dispatches only. Nothing is owed on a withdrawal.
    applied = (
        None
        if withdrawal
        else policy_for(platform.agreements, notice.regulator_id, platform.platform_id)
    )
    acknowledgement, action = (
        _deadlines(notice, platform, applied.policy, now, services) if applied else (None, None)
    )
    dispatch = services.dispatches.create(
        Dispatch(
            ref=DispatchRef(notice.notice_id, notice.version, platform.platform_id),
            regulator_id=notice.regulator_id,
            notice_kind=notice.content.kind.value,
            jurisdiction=notice.content.jurisdiction,
            withdrawal=withdrawal,
            created_at=now,
            acknowledgement_deadline=acknowledgement,
            action_deadline=action,
            state=DispatchState.IN_INBOX,
            webhook_attempts=0,
            open_wait=None,
            task_token=None,
            acknowledged_at=None,
            action_reported_at=None,
        )
    )
    dispatched = TimelineEvent(
        notice.notice_id,
        dispatch.ref.event_key("dispatched"),
        EventKind.WITHDRAWAL_DISPATCHED if withdrawal else EventKind.DISPATCHED,
        now,
        "psx",
        {
            "platform_id": platform.platform_id,
            # What the compliance reports group and count by (docs/reports.md).
            "regulator_id": notice.regulator_id,
            "jurisdiction": notice.content.jurisdiction,
            "title": notice.content.title,
            "acknowledgement_deadline": _iso(dispatch.acknowledgement_deadline),
            "action_deadline": _iso(dispatch.action_deadline),
            "agreement": applied.agreement if applied else None,
        },
    )
    return dispatch, dispatched


def _deadlines(
    notice: Notice,
    platform: Platform,
    policy: DeadlinePolicy,
    now: datetime,
    services: LifecycleServices,
) -> tuple[datetime | None, datetime | None]:
    """Acknowledgement and action-report deadlines, counted from now (receipt)."""
    content = notice.content
    try:
        return (
            deadline_for(
                now, DeadlineKind.ACKNOWLEDGEMENT, content.kind.value, content.jurisdiction, policy
            ),
            deadline_for(
                now, DeadlineKind.ACTION_REPORT, content.kind.value, content.jurisdiction, policy
            ),
        )
    except UnknownJurisdiction as exc:
        # No working-day calendar for this country: dispatch anyway (the inbox and the
        # webhook matter more than the clock) and say so on the timeline.
        services.record(
            notice.notice_id,
            event_key_for(notice.version, platform.platform_id, "no_calendar"),
            EventKind.NO_DEADLINE_CALENDAR,
            now,
            "psx",
            platform_id=platform.platform_id,
            reason=str(exc),
        )
        return None, None


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
