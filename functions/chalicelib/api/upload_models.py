"""The API's bodies for files of affected parties (the OpenAPI document is generated from
these, as from ``models.py``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import ConfigDict, Field

from chalicelib.api.models import _AnswersVersion, _Response
from chalicelib.notification.upload_model import RowError, UploadFormat, UploadStatus


class AffectedPartiesUploadRequest(_AnswersVersion):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"format": "csv", "gzip": True, "final": True}]}
    )

    format: UploadFormat = Field(
        description="csv: a header naming the columns (the JSON recipients' field names), "
        "one recipient a row; jsonl: one recipient object a line."
    )
    gzip: bool = Field(default=False, description="The file is gzip-compressed.")
    final: bool = Field(
        default=False,
        description="The file is your last batch: notification ends once it is sent.",
    )


class AffectedPartiesUpload(_Response):
    upload_id: str
    notice_id: str
    version: int = Field(description="The notice version the file answers.")
    status: UploadStatus
    upload_url: str = Field(description="PUT the file here (the body is the file).")
    expires_at: datetime = Field(description="Start the PUT before this.")
    status_path: str = Field(
        description="GET it (under the API's base URL, as in Location) for the result."
    )


class UploadCounts(_Response):
    rows: int = Field(description="Rows read (blank lines aside).")
    queued: int = Field(description="Recipients new in the file, queued for sending.")
    duplicates: int = Field(description="Recipients already known: not told again.")
    excluded_by_lookback: int = Field(description="Buyers who bought before the window.")
    refused: int = Field(description="Rows refused; each of their reasons is in errors.")


class FileError(_Response):
    code: str = Field(
        description="not_utf8, not_gzip, missing_header, unknown_column, repeated_column, "
        "not_csv, line_too_long, too_many_rows, empty_file, notifies-itself, nothing-owed."
    )
    detail: str


class AffectedPartiesUploadView(_Response):
    upload_id: str
    notice_id: str
    version: int
    format: UploadFormat
    gzip: bool
    final: bool
    status: UploadStatus = Field(
        description="pending (nothing uploaded yet), processing, completed (every row "
        "taken or refused), failed (the file as a whole was refused: nothing stored)."
    )
    created_at: datetime
    finished_at: datetime | None
    counts: UploadCounts | None = Field(description="Once completed.")
    errors: list[RowError] = Field(
        description="The refused rows' reasons (row, field, reason), by row; at most 1000."
    )
    errors_total: int = Field(description="All the reasons, beyond those listed.")
    error: FileError | None = Field(description="Why the file failed.")
