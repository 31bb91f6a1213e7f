"""What the matcher reads (a catalogue listing) and what it says (a match)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class CatalogueListing:
    """One row of a platform's catalogue: Google Merchant Center product-data field
    names (``id`` is ``listing_id``) plus the exchange's ``seller_id``,
    ``kc_certificate`` and ``listed_at``."""

    listing_id: str
    title: str
    seller_id: str | None = None
    brand: str | None = None
    gtin: str | None = None
    mpn: str | None = None
    kc_certificate: str | None = None
    link: str | None = None
    image_link: str | None = None
    availability: str | None = None
    condition: str | None = None
    price: str | None = None
    description: str | None = None
    listed_at: datetime | None = None


class MatchTier(StrEnum):
    # An exact identifier matched: GTIN, KC certificate, or the brand with a model or
    # batch number. Similarity alone never gives this tier.
    CERTAIN = "certain"
    # The brand with a title similar enough (or a notice's suspect barcode).
    PROBABLE = "probable"


@dataclass(frozen=True, slots=True)
class Match:
    notice_id: str
    version: int
    listing_id: str
    tier: MatchTier
    # What matched, e.g. ("gtin:08801234567893", "brand:kidsblock", "title_similarity:0.97").
    evidence: tuple[str, ...]
    # Title similarity with the notice's product name or title, 0..1.
    score: float
