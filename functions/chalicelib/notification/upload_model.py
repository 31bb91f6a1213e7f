"""What an uploaded file of affected parties is, and what became of it (the domain types
the notification table and the uploads bucket keep)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

UPLOAD_ID_PATTERN = r"upl-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}"


class UploadFormat(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"


class UploadStatus(StrEnum):
    PENDING = "pending"  # the URL is issued; nothing uploaded yet
    PROCESSING = "processing"
    COMPLETED = "completed"  # every row taken or refused
    FAILED = "failed"  # the file as a whole could not be read: nothing of it stored


class Upload(BaseModel):
    """One file a platform announced for a notice, and how its processing went."""

    upload_id: str
    notice_id: str
    platform_id: str
    version: int  # of the dispatch the file answers
    format: UploadFormat
    gzip: bool
    final: bool  # the file is the platform's last batch
    status: UploadStatus = UploadStatus.PENDING
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempt: str | None = None  # the processing that holds (or finished) the upload
    counts: dict[str, int] = Field(default_factory=dict)
    error: str | None = None  # why the file failed as a whole
    error_code: str | None = None

    def file_name(self) -> str:
        return f"{self.upload_id}.{self.format.value}" + (".gz" if self.gzip else "")


class RowError(BaseModel):
    row: int  # CSV: the record's number, the header being row 1; JSONL: the line
    field: str | None  # the column or field, or a path into it (``listing_ids/2``)
    reason: str
    code: str


class UploadResult(BaseModel):
    """What one processing made of a file: counts, and the refused rows."""

    counts: dict[str, int]
    errors: list[RowError]
    errors_total: int
    error: str | None = None
    error_code: str | None = None


def new_upload_id(now: datetime) -> str:
    """Sortable by creation time, unique per upload."""
    return f"upl-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(4)}"
