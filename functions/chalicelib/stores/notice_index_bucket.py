"""Data access for the notice indexes the audits match with (``notice-index/<key>``, in
the catalogue bucket). An index is keyed by the set of notice versions it was built
from (an audit's: the active ones watched on its platform) and the brand aliases it was
built with, so it is built once per change of either and shared by every audit of that
set and every match Lambda until the set changes (a notice version stored, withdrawn,
sent or extended to the platform) or the alias table does."""

from __future__ import annotations

import hashlib

from chalicelib.stores.catalogue_bucket import CatalogueBucket

INDEX_PREFIX = "notice-index/"


def index_key(notice_versions: list[tuple[str, int]], aliases_fingerprint: str) -> str:
    listed = "\n".join(f"{notice_id}:{version}" for notice_id, version in sorted(notice_versions))
    listed += f"\naliases:{aliases_fingerprint}"
    return f"{INDEX_PREFIX}{hashlib.sha256(listed.encode()).hexdigest()[:32]}.idx"


class NoticeIndexBucket:
    def __init__(self, bucket: str) -> None:
        self._bucket = CatalogueBucket(bucket)

    def key_for(self, notice_versions: list[tuple[str, int]], aliases_fingerprint: str) -> str:
        return index_key(notice_versions, aliases_fingerprint)

    def get(self, key: str) -> bytes | None:
        return self._bucket.get_bytes(key)

    def exists(self, key: str) -> bool:
        return self._bucket.exists(key)

    def put(self, key: str, data: bytes) -> None:
        self._bucket.put_bytes(key, data)
