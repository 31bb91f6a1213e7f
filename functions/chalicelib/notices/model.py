"""The notice: what a regulator tells marketplaces about a harmful product.

One model for every source (canonical CSV/XLSX/JSON, CPSC, Safety Gate, Korean
spreadsheets): parsers map their native fields onto ``NoticeContent``; the store
wraps it in a ``Notice`` with identity, version and status.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class NoticeKind(StrEnum):
    """An authority *order* (GPSR Art. 22: 2 working days) or a *notice* (3 working days)."""

    ORDER = "order"
    NOTICE = "notice"


class NoticeStatus(StrEnum):
    ACTIVE = "active"
    AMENDED = "amended"
    WITHDRAWN = "withdrawn"


class _Strict(BaseModel):
    # Unknown keys are a programming error inside the system, not user input:
    # user input is mapped field by field before it reaches these models.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Product(_Strict):
    name: str | None = None
    description: str | None = None
    brand: str | None = None
    manufacturer: str | None = None
    models: list[str] = Field(default_factory=list)
    barcodes: list[str] = Field(
        default_factory=list, description="GTIN/EAN/UPC codes whose check digit is valid."
    )
    suspect_barcodes: list[str] = Field(
        default_factory=list,
        description="Codes as the regulator wrote them that failed validation (kept: a typo "
        "must not make a harmful product disappear).",
    )
    batch_numbers: list[str] = Field(default_factory=list)
    company_recall_code: str | None = None
    production_dates: list[str] = Field(default_factory=list)
    kc_certificates: list[str] = Field(default_factory=list)
    category: str | None = None
    country_of_origin: str | None = None
    pictures: list[str] = Field(default_factory=list)


class Hazard(_Strict):
    types: list[str] = Field(default_factory=list)
    description: str | None = None
    risk_level: str | None = None


class NoticeContent(_Strict):
    """Everything a regulator says about one harmful product, normalised."""

    source_reference: str = Field(min_length=1, max_length=200)
    kind: NoticeKind = NoticeKind.NOTICE
    issued_on: date | None = None
    jurisdiction: str = Field(
        min_length=2, max_length=2, description="ISO 3166-1 alpha-2 (EU for Union-wide)."
    )
    language: str | None = Field(default=None, description="ISO 639-1 language code.")
    title: str | None = None
    product: Product
    hazard: Hazard = Field(default_factory=Hazard)
    measures: list[str] = Field(default_factory=list)
    remedy: str | None = None
    consumer_contact: str | None = None
    target_platforms: list[str] = Field(
        default_factory=list,
        description="Platform ids; empty means every platform serving the jurisdiction.",
    )
    source_url: str | None = None
    withdrawn: bool = Field(default=False, description="The regulator withdrew this notice.")
    global_watch: bool = Field(
        default=False,
        description="The regulator asks for the product to be looked for on every "
        "platform's catalogue, not only on the platforms the notice was sent to.",
    )

    def content_hash(self) -> str:
        """Stable fingerprint of the content: equal content is the same version."""
        data = self.model_dump(mode="json")
        if not self.global_watch:
            # Left out unset: a notice stored before the field existed keeps its hash,
            # so sending it again is not a new version.
            del data["global_watch"]
        canonical = json.dumps(data, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def as_sent_to(self, platform_id: str) -> NoticeContent:
        """What one platform is shown: which other marketplaces the regulator named is
        the regulator's business, not a competitor's."""
        if not self.target_platforms:
            return self
        return self.model_copy(update={"target_platforms": [platform_id]})


class Notice(_Strict):
    """A stored notice version: content plus identity and lifecycle state."""

    notice_id: str
    regulator_id: str
    version: int = Field(ge=1)
    status: NoticeStatus
    received_at: datetime
    source_format: str
    source_file: str | None = None
    content: NoticeContent
    content_hash: str


def notice_id_for(regulator_id: str, source_reference: str) -> str:
    """The same regulator reference always names the same notice (re-issues become versions)."""
    digest = hashlib.sha256(f"{regulator_id}\x1f{source_reference}".encode()).hexdigest()
    return f"ntc-{digest[:24]}"
