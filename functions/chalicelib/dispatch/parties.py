"""The sellers and buyers a platform reports as affected by a dispatched notice.

The API checks what a platform sends (``api/models.py``) and maps it to these; the
notification step will read them back from the store. They hold contact data, so they
never reach the timeline (it gets the counts).
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class _Party(BaseModel):
    model_config = ConfigDict(frozen=True)


class Seller(_Party):
    seller_id: str
    name: str | None = None
    email: str
    language: str | None = None
    listing_ids: list[str]


class Buyer(_Party):
    buyer_ref: str  # the platform's pseudonymous id of the buyer
    email: str
    language: str | None = None
    country: str | None = None
    listing_id: str | None = None
    purchased_on: date | None = None


class PartyCounts(_Party):
    """How many the platform notifies itself (counts only)."""

    sellers: int = 0
    buyers: int = 0


class AffectedPartiesBatch(_Party):
    """One report of affected parties; a platform sends as many as it needs."""

    sellers: list[Seller] = []
    buyers: list[Buyer] = []
    notified_by_platform: PartyCounts | None = None
