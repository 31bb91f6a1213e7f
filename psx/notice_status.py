"""`psx status`: a notice's current version and its timeline, from the table."""

from __future__ import annotations

from typing import Any

from chalicelib.stores.notices_table import NoticeStore
from psx.target import Target


def notice_status(target: Target, notice_id: str) -> dict[str, Any] | None:
    store = NoticeStore(target.output("PSX_TABLE_NAME"))
    notice = store.get(notice_id)
    if notice is None:
        return None
    return {
        "notice": notice.model_dump(mode="json"),
        "timeline": [
            {
                "at": event.at.isoformat(),
                "kind": event.kind,
                "actor": event.actor,
                "details": event.details,
            }
            for event in store.timeline(notice_id)
        ],
    }
