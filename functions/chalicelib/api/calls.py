"""What an operation's logic receives (a validated call) and returns (a reply)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel

from chalicelib.api.models import PageQuery
from chalicelib.api.principal import Principal
from chalicelib.api.problems import FieldError, invalid, not_found
from chalicelib.api.services import ApiServices
from chalicelib.notification.upload_model import UPLOAD_ID_PATTERN as UPLOAD_ID
from chalicelib.stores.index_pages import PageRequest, sortable_time

M = TypeVar("M", bound=BaseModel)

# Python's ``$`` also matches before a final newline: every check of an id, key or
# cursor is a ``fullmatch`` (the ``^…$`` serve the OpenAPI document's patterns).
NOTICE_ID_PATTERN = r"^ntc-[0-9a-f]{24}$"
_NOTICE_ID = re.compile(NOTICE_ID_PATTERN)
UPLOAD_ID_PATTERN = f"^{UPLOAD_ID}$"
_UPLOAD_ID = re.compile(UPLOAD_ID)


@dataclass(frozen=True)
class ApiCall:
    principal: Principal
    now: datetime
    notice_id: str | None = None
    upload_id: str | None = None
    query: BaseModel | None = None
    body: BaseModel | None = None
    # The strong entity tags of an ``If-Match`` header ("*": any); None without one.
    if_match: frozenset[str] | None = None
    # The ``Idempotency-Key`` of a write (None for a read): kept with what the call sent.
    idempotency_key: str | None = None

    def body_as(self, model: type[M]) -> M:
        assert isinstance(self.body, model), f"{self.body!r} is not a {model.__name__}"
        return self.body

    def query_as(self, model: type[M]) -> M:
        assert isinstance(self.query, model), f"{self.query!r} is not a {model.__name__}"
        return self.query

    @property
    def notice(self) -> str:
        """The ``{notice_id}`` of the path; an id that cannot exist is simply not found."""
        if self.notice_id is None or not _NOTICE_ID.fullmatch(self.notice_id):
            raise not_found("such notice")
        return self.notice_id

    @property
    def upload(self) -> str:
        """The ``{upload_id}`` of the path, like ``notice``."""
        if self.upload_id is None or not _UPLOAD_ID.fullmatch(self.upload_id):
            raise not_found("such upload")
        return self.upload_id


@dataclass(frozen=True)
class Reply:
    # A model answers as JSON; a document (a rendered message) as its ``media_type``.
    body: BaseModel | str
    status: int = 200
    location: str | None = None
    etag: str | None = None
    media_type: str | None = None
    # Content-Language of a rendered message.
    language: str | None = None
    # The same answer as CSV, for an operation that offers it (``Operation.csv``).
    csv: str | None = None


Handler = Callable[[ApiCall, ApiServices], Reply]


def encode_cursor(sort_key: str | None) -> str | None:
    if sort_key is None:
        return None
    return base64.urlsafe_b64encode(sort_key.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None, shape: re.Pattern[str]) -> str | None:
    """The sort key a cursor carries, checked against the shape of that list's keys (a
    forged cursor can only move within the caller's own list, never out of it). Only a
    cursor exactly as ``encode_cursor`` writes it is taken: base64 decoding alone skips
    characters outside its alphabet, so other spellings of a key would pass."""
    if cursor is None:
        return None
    try:
        sort_key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        sort_key = ""
    if encode_cursor(sort_key) != cursor or not shape.fullmatch(sort_key):
        raise invalid(
            [FieldError(detail="not a cursor this list gave", code="cursor", parameter="cursor")]
        )
    return sort_key


def page_request(query: PageQuery, sort_key_shape: re.Pattern[str]) -> PageRequest:
    """The store's page request for a list's query parameters (``since``, ``limit``,
    ``cursor``), its cursor checked against the shape of that list's sort keys."""
    return PageRequest(
        limit=query.limit,
        since=sortable_time(query.since) if query.since else None,
        after=decode_cursor(query.cursor, sort_key_shape),
    )
