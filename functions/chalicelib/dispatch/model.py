"""A dispatch: one notice version sent to one platform, and what that platform owes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.dispatch.actions import ActionReport
from chalicelib.notices.timeline import event_key_for


class WaitKind(StrEnum):
    """What the workflow waits for from a platform, in this order."""

    ACKNOWLEDGEMENT = "acknowledgement"
    ACTION_REPORT = "action_report"
    NOTIFICATION = "notification"  # after the hand-off: every affected party told


class DispatchState(StrEnum):
    IN_INBOX = "in_inbox"  # created; the platform can pull it
    DELIVERED = "delivered"  # the webhook push was accepted
    INBOX_ONLY = "inbox_only"  # every push failed; the inbox still holds it
    ACKNOWLEDGED = "acknowledged"
    ACTION_REPORTED = "action_reported"
    HANDED_OFF = "handed_off"  # awaiting seller/buyer notification and verification
    CLOSED = "closed"  # superseded by a newer version, or the notice was withdrawn


@dataclass(frozen=True)
class DispatchRef:
    notice_id: str
    version: int
    platform_id: str

    def event_key(self, *parts: str) -> str:
        """The key of a timeline event about this dispatch (``v<version>#<platform>#…``)."""
        return event_key_for(self.version, self.platform_id, *parts)


@dataclass(frozen=True)
class Dispatch:
    ref: DispatchRef
    regulator_id: str
    notice_kind: str
    jurisdiction: str
    withdrawal: bool
    created_at: datetime
    acknowledgement_deadline: datetime | None
    action_deadline: datetime | None
    state: DispatchState
    webhook_attempts: int
    open_wait: WaitKind | None
    task_token: str | None
    acknowledged_at: datetime | None
    action_reported_at: datetime | None
    # When the deadline check found a deadline missed (its own clock: `psx audit --at`).
    acknowledgement_missed_at: datetime | None = None
    action_report_missed_at: datetime | None = None
    action_report: ActionReport | None = None  # what the platform reported it did
    # Set by the hand-off (the agreement's working days from then).
    notification_deadline: datetime | None = None
    notification_completed_at: datetime | None = None
    notification_missed_at: datetime | None = None

    def deadline(self, kind: WaitKind) -> datetime | None:
        if kind is WaitKind.ACKNOWLEDGEMENT:
            return self.acknowledgement_deadline
        if kind is WaitKind.NOTIFICATION:
            return self.notification_deadline
        return self.action_deadline

    def missed_at(self, kind: WaitKind) -> datetime | None:
        if kind is WaitKind.ACKNOWLEDGEMENT:
            return self.acknowledgement_missed_at
        if kind is WaitKind.NOTIFICATION:
            return self.notification_missed_at
        return self.action_report_missed_at

    def deadline_passed(self, kind: WaitKind, now: datetime) -> bool:
        """Missed means strictly after: an answer at the deadline itself is on time."""
        deadline = self.deadline(kind)
        return deadline is not None and now > deadline

    def answered_at(self, kind: WaitKind) -> datetime | None:
        if kind is WaitKind.ACKNOWLEDGEMENT:
            # An action report implies the notice was received and read.
            return self.acknowledged_at or self.action_reported_at
        if kind is WaitKind.NOTIFICATION:
            return self.notification_completed_at
        return self.action_reported_at

    def deadline_state(self, kind: WaitKind, now: datetime) -> str:
        """For people reading a status: none, open, missed, met, met late, or closed."""
        deadline = self.deadline(kind)
        answered = self.answered_at(kind)
        if deadline is None:
            return "none"
        if answered is not None:
            return "met" if answered <= deadline else "met late"
        if self.state is DispatchState.CLOSED:
            return "closed"
        return "missed" if self.deadline_passed(kind, now) else "open"
