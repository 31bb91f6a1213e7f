"""What the hand-off opens for each dispatch: one case per capability that takes over
after the action report (seller/buyer notification, compliance verification). Each
capability keeps its own case; the dispatch's own state stops at ``HANDED_OFF``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from chalicelib.dispatch.model import Dispatch, DispatchRef


class CaseStatus(StrEnum):
    PENDING = "pending"  # opened by the hand-off; the capability has not acted yet
    # Seller and buyer notification.
    IN_PROGRESS = "in_progress"  # the capability's stage opened (notification: its wait)
    OVERDUE = "overdue"  # its deadline passed first
    COMPLETED = "completed"
    # Compliance verification: a catalogue audit after the hand-off found nothing open,
    # or found listings still for sale (findings the platform has not answered).
    VERIFIED = "verified"
    FINDINGS_OPEN = "findings_open"


class HandOffCase(BaseModel):
    """The dispatch a capability works on, and for which regulator and jurisdiction."""

    model_config = ConfigDict(frozen=True)

    notice_id: str
    version: int
    platform_id: str
    regulator_id: str
    jurisdiction: str
    opened_at: datetime
    status: CaseStatus = CaseStatus.PENDING

    @property
    def ref(self) -> DispatchRef:
        return DispatchRef(self.notice_id, self.version, self.platform_id)


def case_fields(dispatch: Dispatch, at: datetime) -> dict[str, object]:
    """The fields every case opened for ``dispatch`` at ``at`` shares."""
    return {
        "notice_id": dispatch.ref.notice_id,
        "version": dispatch.ref.version,
        "platform_id": dispatch.ref.platform_id,
        "regulator_id": dispatch.regulator_id,
        "jurisdiction": dispatch.jurisdiction,
        "opened_at": at,
    }


@dataclass(frozen=True)
class HandOffStatus:
    """Where each capability's case of one dispatch stands; None: no case (not handed off)."""

    notification: CaseStatus | None = None
    verification: CaseStatus | None = None


def hand_off_statuses(
    notification: Iterable[HandOffCase], verification: Iterable[HandOffCase]
) -> dict[DispatchRef, HandOffStatus]:
    """Each handed-off dispatch's case statuses, from the two capabilities' cases."""
    notified = {case.ref: case.status for case in notification}
    verified = {case.ref: case.status for case in verification}
    return {
        ref: HandOffStatus(notified.get(ref), verified.get(ref))
        for ref in notified.keys() | verified.keys()
    }
