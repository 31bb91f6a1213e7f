"""The API's bodies for compliance verification: catalogue snapshot uploads and
findings (the OpenAPI document is generated from these, as from ``models.py``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import ConfigDict, Field, field_validator

from chalicelib.api.models import PageQuery, _Request, _Response
from chalicelib.verification.findings import FindingKind, FindingStatus, Resolution
from chalicelib.verification.snapshots import MAX_PARTS, PART_NAME_PATTERN, part_format

PartName = Annotated[str, Field(pattern=PART_NAME_PATTERN, max_length=200)]


class CatalogueSnapshotRequest(_Request):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"parts": ["part-0001.jsonl.gz", "part-0002.csv"]}]}
    )

    parts: list[PartName] = Field(
        min_length=1,
        max_length=MAX_PARTS,
        description="The file name of each part: .jsonl/.ndjson, .csv, .tsv or .parquet, "
        "optionally .gz. Upload each to its URL, then the manifest last.",
    )

    @field_validator("parts")
    @classmethod
    def _parts(cls, parts: list[str]) -> list[str]:
        if len(parts) != len(set(parts)):
            raise ValueError("each part name may appear once")
        for name in parts:
            part_format(name)
        return parts


class CatalogueSnapshotUpload(_Response):
    platform_id: str
    snapshot_id: str
    part_urls: dict[str, str] = Field(description="Part name -> presigned PUT URL.")
    manifest_url: str = Field(
        description="Presigned PUT URL of _manifest.json ({snapshot_time, parts: [{name, "
        "rows}]}): upload it last; the snapshot is audited once it and every part are there."
    )
    expires_at: datetime


class FindingsQuery(PageQuery):
    kind: FindingKind | None = Field(default=None, description="Only findings of this kind.")
    platform: str | None = Field(
        default=None, max_length=200, description="Only findings on this platform (regulators)."
    )


class FindingListingView(_Response):
    listing_id: str
    title: str
    seller_id: str | None
    link: str | None
    availability: str | None
    listed_at: datetime | None


class FindingView(_Response):
    finding_id: str
    kind: FindingKind
    notice_id: str
    version: int
    platform_id: str
    listing: FindingListingView
    tier: str = Field(
        description="certain (an exact identifier), probable, or live (a still_listed "
        "finding the live check of the listing page proved; evidence: its HTTP status and why)."
    )
    evidence: list[str]
    score: float
    snapshot_id: str
    snapshot_time: datetime
    found_at: datetime
    status: FindingStatus
    resolution: Resolution | None
    resolution_reason: str | None
    resolved_at: datetime | None


class FindingsPage(_Response):
    items: list[FindingView]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: done.")
