"""Lenient models of the S3 event notifications that arrive through SQS.

Powertools' S3 models require fields that moto (and S3 test events) leave out, so
we model only what intake needs.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from pydantic import BaseModel, Field, field_validator


class S3ObjectRef(BaseModel):
    key: str
    size: int | None = None
    version_id: str | None = Field(default=None, alias="versionId")

    @field_validator("key")
    @classmethod
    def _decode_key(cls, key: str) -> str:
        # S3 URL-encodes keys in notifications (spaces as '+', slashes too in moto).
        return unquote_plus(key)


class S3BucketRef(BaseModel):
    name: str


class S3Entity(BaseModel):
    bucket: S3BucketRef
    object: S3ObjectRef


class S3NotificationRecord(BaseModel):
    event_name: str = Field(default="", alias="eventName")
    s3: S3Entity


class S3Notification(BaseModel):
    """``Records`` is absent from the ``s3:TestEvent`` S3 sends when a notification is set up."""

    records: list[S3NotificationRecord] = Field(default_factory=list, alias="Records")
    event: str | None = Field(default=None, alias="Event")
