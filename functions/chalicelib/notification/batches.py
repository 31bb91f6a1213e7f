"""A batch of affected parties from a platform: checked recipient by recipient, stored
once per person (the conditional write on the recipient's key), and queued for sending.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.deadlines.policy import DeadlinePolicy, NotificationMode, policy_for
from chalicelib.dispatch.model import Dispatch, DispatchRef
from chalicelib.notices.timeline import EventKind
from chalicelib.notification.completion import complete_if_finished
from chalicelib.notification.recipients import (
    Party,
    Problem,
    Recipient,
    RecipientStatus,
    check_parties,
    within_lookback,
)
from chalicelib.notification.services import NotificationServices


class NotifiesItself(RuntimeError):
    """The agreement has the platform tell its sellers and buyers itself: no contacts."""


@dataclass(frozen=True)
class BatchOutcome:
    queued: int  # recipients stored by this batch and queued for sending
    duplicates: int  # already known from an earlier batch (or twice in this one)
    excluded_by_lookback: int
    problems: list[Problem]  # the refused recipients; the others went on
    mode: NotificationMode
    completed: bool  # this batch finished the platform's notification of the notice


def notification_policy(dispatch: Dispatch, services: NotificationServices) -> DeadlinePolicy:
    """The agreement between the notice's regulator and the platform it was sent to."""
    ref = dispatch.ref
    platform = services.lifecycle.platforms.get(ref.platform_id)
    agreements = platform.agreements if platform else {}
    return policy_for(agreements, dispatch.regulator_id, ref.platform_id).policy


def refuse_contacts(policy: DeadlinePolicy) -> None:
    """``NotifiesItself`` when the platform tells its sellers and buyers itself."""
    if policy.notification_mode is NotificationMode.PLATFORM:
        raise NotifiesItself(
            f"your agreement has you notify sellers and buyers yourselves "
            f"(mode {policy.notification_mode}): report notified_by_platform counts"
        )


def accept_batch(
    dispatch: Dispatch, body: dict[str, Any], now: datetime, services: NotificationServices
) -> BatchOutcome:
    ref = dispatch.ref
    policy = notification_policy(dispatch, services)
    checked = check_parties(body)
    if checked.recipients:
        refuse_contacts(policy)
    received_on = dispatch.created_at.date()
    secret = services.recipient_key.secret()
    entries: dict[str, tuple[Recipient, RecipientStatus]] = {}
    for recipient in checked.recipients:
        key = recipient.key(secret)
        told = recipient.party is Party.SELLER or within_lookback(
            recipient.purchased_on, received_on, policy.lookback_months
        )
        # An excluded buyer is counted under its key, but its contact is not kept.
        stored = recipient if told else recipient.model_copy(update={"email": None, "phone": None})
        entries.setdefault(
            key, (stored, RecipientStatus.QUEUED if told else RecipientStatus.EXCLUDED)
        )
    store = services.recipients
    added = store.add(ref.notice_id, ref.platform_id, entries, now)
    new = set(added)
    queued = [key for key in added if entries[key][1] is RecipientStatus.QUEUED]
    # Known but never sent: a post whose enqueue was lost is made good by its repeat.
    known = [
        k for k, (_, status) in entries.items() if k not in new and status is RecipientStatus.QUEUED
    ]
    to_send = queued + store.unsent(ref.notice_id, ref.platform_id, known)
    to_send.sort(key=lambda key: _send_order(entries[key][0]))
    services.queue.enqueue(ref.notice_id, ref.platform_id, to_send)
    counts = body.get("notified_by_platform")
    if counts:
        store.report_self_notified(
            ref.notice_id, ref.platform_id, counts.get("sellers", 0), counts.get("buyers", 0)
        )
    if body.get("final") is True:
        store.mark(ref.notice_id, ref.platform_id, "final_at", now)
    return BatchOutcome(
        queued=len(queued),
        duplicates=len(checked.recipients) - len(new),
        excluded_by_lookback=sum(1 for k in added if entries[k][1] is RecipientStatus.EXCLUDED),
        problems=checked.problems,
        mode=policy.notification_mode,
        completed=complete_if_finished(ref.notice_id, ref.platform_id, now, services),
    )


def _send_order(recipient: Recipient) -> tuple[str, str, str]:
    """Recipients of the same content next to each other, so a queue message (one SES bulk
    call) holds one language's recall notice."""
    return (recipient.party.value, recipient.language or "", recipient.country or "")


def record_received(
    ref: DispatchRef,
    batch_id: str,
    counts: dict[str, Any],
    now: datetime,
    actor: str,
    services: NotificationServices,
) -> None:
    """A batch (or an uploaded file) on the timeline and in evidence: counts only, the
    contacts being personal data; once per ``batch_id``."""
    lifecycle = services.lifecycle
    kept = lifecycle.keep(
        ref, "affected-parties", f"{batch_id}.json", {**counts, "received_at": now.isoformat()}
    )
    lifecycle.record(
        ref.notice_id,
        ref.event_key("affected_parties", batch_id),
        EventKind.AFFECTED_PARTIES_RECEIVED,
        now,
        actor,
        platform_id=ref.platform_id,
        batch_id=batch_id,
        **counts,
        evidence=kept,
    )
