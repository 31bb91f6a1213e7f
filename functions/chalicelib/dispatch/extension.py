"""Extending a notice to more platforms: the regulator's one call when a product turns up
on a marketplace its notice never went to (a ``found_elsewhere`` finding).

Not a new version: the platforms that already have the notice owe what they owe, and a
new version would supersede their dispatches and restart their deadlines. The current
version is dispatched to each added platform like any other dispatch (inbox entry,
deadlines from its agreement, signed webhook, waits, hand-off), by one lifecycle
execution per added platform (``LifecycleStarter.start_extension``; planned by
``plan.plan_extension``), and every later version reaches it through its own plan.
docs/lifecycle.md says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.dispatch.services import LifecycleServices
from chalicelib.notices.extensions import Extension
from chalicelib.notices.model import Notice, NoticeStatus
from chalicelib.notices.timeline import EventKind, event_key_for
from chalicelib.notices.versions import CurrentState
from chalicelib.platforms.model import Platform, select_targets
from chalicelib.workflow.lifecycle import LifecycleStarter


class ExtensionRefused(Exception):
    """The request cannot be applied as it stands; nothing was written."""


class NoticeWithdrawnError(ExtensionRefused):
    """The current version withdrew the notice: there is nothing to send."""


@dataclass
class PlatformsRefused(ExtensionRefused):
    """Some named platforms cannot be extended to (``why`` by platform id)."""

    unknown: list[str]
    inactive: list[str]
    already_targeted: list[str]

    def __post_init__(self) -> None:
        super().__init__(", ".join(self.unknown + self.inactive + self.already_targeted))


@dataclass(frozen=True)
class ExtensionOutcome:
    notice_id: str
    version: int
    added: list[str]  # extended by this request
    unchanged: list[str]  # already extended to at this version: a repeat of the request


def extend_notice(
    state: CurrentState,
    notice: Notice,
    platform_ids: list[str],
    *,
    by: str,
    now: datetime,
    services: LifecycleServices,
    starter: LifecycleStarter,
    keep_request: Callable[[], dict[str, str] | None] = lambda: None,
    reason: str | None = None,
) -> ExtensionOutcome:
    """Extend ``notice`` (the current version, as ``state`` says) to ``platform_ids``.

    All of them or none. A platform already extended to at this version is a repeat
    (``unchanged``) and is made good: its event recorded and its execution started, if a
    crash lost them. ``keep_request`` keeps the request as evidence before anything is
    written and returns what the events name.
    """
    if notice.status is NoticeStatus.WITHDRAWN:
        raise NoticeWithdrawnError(f"version {notice.version} withdrew notice {notice.notice_id}")
    wanted = list(dict.fromkeys(platform_ids))
    extended = {e.platform_id: e for e in services.notices.extensions(notice.notice_id)}
    _check_platforms(notice, wanted, extended, services)
    repeated = [p for p in wanted if p in extended]
    added = [p for p in wanted if p not in extended]
    evidence = keep_request() if added else None
    made = services.notices.extend(notice.notice_id, state.version, added, now, by) if added else []
    for extension in [*made, *(extended[p] for p in repeated)]:
        _record_and_start(state, extension, evidence, reason, services, starter)
    return ExtensionOutcome(notice.notice_id, state.version, added, repeated)


def _check_platforms(
    notice: Notice,
    wanted: list[str],
    extended: dict[str, Extension],
    services: LifecycleServices,
) -> None:
    registered = {p.platform_id: p for p in services.platforms.list()}
    unknown = [p for p in wanted if p not in registered]
    inactive = [p for p in wanted if p in registered and not registered[p].active]
    targeted = _targeted(notice, list(registered.values()), services)
    # Extended at this version: a repeat (its dispatch is the extension's own). Extended
    # earlier: this version reached it through its plan.
    already = [
        p
        for p in wanted
        if (extended[p].version != notice.version if p in extended else p in targeted)
    ]
    if unknown or inactive or already:
        raise PlatformsRefused(unknown, inactive, already)


def _targeted(notice: Notice, registered: list[Platform], services: LifecycleServices) -> set[str]:
    """Who the version goes to without an extension: its content's targets (as its plan
    chooses them) and whoever has a dispatch of it."""
    chosen, _ = select_targets(
        registered, notice.content.jurisdiction, notice.content.target_platforms
    )
    dispatched = {
        d.ref.platform_id
        for d in services.dispatches.for_notice(notice.notice_id)
        if d.ref.version == notice.version
    }
    return {platform.platform_id for platform in chosen} | dispatched


def _record_and_start(
    state: CurrentState,
    extension: Extension,
    evidence: dict[str, str] | None,
    reason: str | None,
    services: LifecycleServices,
    starter: LifecycleStarter,
) -> None:
    # The event before the start: the dispatch it causes comes after it on the timeline.
    services.record(
        extension.notice_id,
        event_key_for(extension.version, "extended", extension.platform_id),
        EventKind.EXTENDED,
        extension.extended_at,
        extension.by,
        platform_id=extension.platform_id,
        reason=reason,
        evidence=evidence,
    )
    starter.start_extension(state, extension.platform_id)
