"""Where one platform's notification of one notice stands: counts only, never contacts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

# The counts of ``notification_completed`` (a contract: the regulator's reports read them).
COMPLETION_COUNTS = (
    "sellers_notified",
    "buyers_notified",
    "excluded_by_lookback",
    "failed",
    "fallback_language",
    "self_notified_sellers",
    "self_notified_buyers",
)


@dataclass(frozen=True)
class Progress:
    counts: dict[str, int]
    pending: int = 0  # stored recipients whose send has not ended yet
    undated_buyers: int = 0  # told although the platform gave no purchase date
    cancelled: int = 0  # unsent when the notice was withdrawn
    started_at: datetime | None = None
    final_at: datetime | None = None  # the platform's last batch (or its own counts)
    completed_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """The last batch arrived and every recipient's send has ended."""
        return self.final_at is not None and self.pending <= 0

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Progress:
        def moment(name: str) -> datetime | None:
            return datetime.fromisoformat(item[name]) if item.get(name) else None

        return cls(
            counts={name: int(item.get(name, 0)) for name in COMPLETION_COUNTS},
            pending=int(item.get("pending", 0)),
            undated_buyers=int(item.get("undated_buyers", 0)),
            cancelled=int(item.get("cancelled", 0)),
            started_at=moment("started_at"),
            final_at=moment("final_at"),
            completed_at=moment("completed_at"),
        )
