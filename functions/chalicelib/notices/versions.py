"""What saving a notice did, and what a notice's current version says: the outcomes the
store reports and intake, the API and the lifecycle decide on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.notices.model import NoticeContent, NoticeStatus


class SaveOutcome(StrEnum):
    CREATED = "created"
    NEW_VERSION = "new_version"
    WITHDRAWN = "withdrawn"
    # Sent again after a withdrawal: a new notice for the platforms (status active).
    REISSUED = "reissued"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class CurrentState:
    """What META says about a notice: enough to decide a save without reading a version."""

    notice_id: str
    version: int
    status: NoticeStatus
    content_hash: str
    regulator_id: str
    source_reference: str
    lifecycle_started: bool

    def already_holds(self, content: NoticeContent) -> bool:
        """Saving ``content`` on top would change nothing: the same content again, or a
        withdrawal of a withdrawn notice (withdrawn is final, whatever else it says)."""
        if content.withdrawn and self.status is NoticeStatus.WITHDRAWN:
            return True
        return self.content_hash == content.content_hash()


@dataclass(frozen=True)
class NoticeSummary:
    """A line of a regulator's list: the current state and when it last changed."""

    state: CurrentState
    updated_at: datetime


@dataclass(frozen=True)
class SavedNotice:
    current: CurrentState
    outcome: SaveOutcome
    # The version this one replaced (None: created, or unchanged).
    replaced_version: int | None = None


class ConcurrentWriteError(RuntimeError):
    """Another writer kept changing the same notice; the caller's retry will settle it."""


class VersionConflict(RuntimeError):
    """The notice moved past the version a change was based on, and the change must not
    be applied to the newer one: nothing was written."""

    def __init__(self, based_on: int, current: CurrentState) -> None:
        super().__init__(
            f"notice {current.notice_id} is at version {current.version} ({current.status}), "
            f"written since version {based_on} this change was based on"
        )
        self.based_on = based_on
        self.current = current
