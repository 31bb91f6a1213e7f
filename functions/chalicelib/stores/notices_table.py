"""Data access for the single DynamoDB table (design: docs/dynamodb.md).

Items of one notice share the partition ``NOTICE#<id>``:
- ``META``           the current version, status and content hash (what is live now);
- ``V#000001``…      each version's full notice, immutable once written;
- ``EVENT#<key>``    timeline events, written once each (the key makes retries no-ops);
- ``EXTENSION#<platform>`` each platform the notice was extended to, written once.
``GSI1`` lists a regulator's notices by receipt time.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.notices.extensions import AlreadyExtended, Extension
from chalicelib.notices.model import Notice, NoticeContent, NoticeStatus, notice_id_for
from chalicelib.notices.timeline import EventKind, TimelineEvent, timeline_order
from chalicelib.notices.versions import (
    ConcurrentWriteError,
    CurrentState,
    NoticeSummary,
    SavedNotice,
    SaveOutcome,
    VersionConflict,
)
from chalicelib.reports.occurrences import occurrence_of
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import per_world, query_items
from chalicelib.stores.dynamodb_items import (
    batch_get,
    from_attributes,
    to_attributes,
    written,
)
from chalicelib.stores.index_pages import Page, PageRequest, gsi1_page, sortable_time
from chalicelib.stores.item_size import ensure_fits
from chalicelib.stores.report_log import ReportLog

_MAX_WRITE_ATTEMPTS = 5
# How much version text a process keeps per table (``KnownVersions``): a weekly file's
# notices many times over, and a small part of the smallest Lambda's memory.
_KNOWN_VERSION_BYTES = 8 * 1024 * 1024


def _event_item(event: TimelineEvent) -> dict[str, Any]:
    return to_attributes(
        {
            "PK": _notice_pk(event.notice_id),
            "SK": f"EVENT#{event.event_key}",
            "kind": event.kind,
            "at": event.at.isoformat(),
            "actor": event.actor,
            "details": json.dumps(event.details, sort_keys=True),
        }
    )


def _notice_pk(notice_id: str) -> str:
    return f"NOTICE#{notice_id}"


def _version_sk(version: int) -> str:
    return f"V#{version:06d}"


def _meta_key(notice_id: str) -> dict[str, str]:
    return {"PK": _notice_pk(notice_id), "SK": "META"}


class KnownVersions:
    """Notice versions this process has read, oldest dropped first beyond ``max_bytes``
    of stored text. A version item is written once and never changed (``_claim_version``),
    so a version read before is the version stored now: the lifecycle reads each one
    when it is received, planned and checked for follow-ups and once per push, and now
    asks DynamoDB once per process. Only versions found are kept (an absent one may be
    written any moment)."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._versions: dict[tuple[str, int], tuple[Notice, int]] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, notice_id: str, version: int) -> Notice | None:
        found = self._versions.get((notice_id, version))
        return found[0] if found else None

    def keep(self, notice: Notice, size: int) -> None:
        with self._lock:
            key = (notice.notice_id, notice.version)
            if key in self._versions or size > self._max_bytes:
                return
            self._versions[key] = (notice, size)
            self._bytes += size
            while self._bytes > self._max_bytes:
                # Dicts keep insertion order: the first key is the oldest.
                _, dropped = self._versions.pop(next(iter(self._versions)))
                self._bytes -= dropped


@per_world
def _known_versions(table_name: str) -> KnownVersions:
    """One per process and table, whichever store reads (a new AWS world starts empty)."""
    return KnownVersions(_KNOWN_VERSION_BYTES)


class NoticeStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()
        self._report_log = ReportLog(table_name)
        self._known_versions = _known_versions(table_name)

    # -- notices ---------------------------------------------------------------------------

    def save(
        self,
        content: NoticeContent,
        *,
        regulator_id: str,
        source_format: str,
        source_file: str | None,
        received_at: datetime,
        known: CurrentState | None = None,
        based_on_known: bool = False,
    ) -> SavedNotice:
        """Store ``content`` as the notice's next version, unless it is already current.

        ``known`` is the notice's state as the writer read it (``current_states``; None:
        not stored yet). Safe under retries and concurrent writers: a version item is
        written once (conditional put), then META moves to it (compare-and-set on the
        version).

        Who wins a race for the next version number decides what the loser does:
        - ``based_on_known`` (an amendment or a withdrawal, computed from ``known``): it
          becomes the version after ``known`` or nothing (``VersionConflict``), never a
          version on top of someone else's;
        - otherwise (a full replacement: a file row, ``POST /v1/notices``) it is written
          on top of the newer version, last writer wins, except on top of a withdrawal
          it did not know of (``VersionConflict``): only a deliberate re-issue undoes a
          withdrawal.
        """
        notice_id = notice_id_for(regulator_id, content.source_reference)
        content_hash = content.content_hash()
        current = known
        for _ in range(_MAX_WRITE_ATTEMPTS):
            if current is not None and current.already_holds(content):
                return SavedNotice(current, SaveOutcome.UNCHANGED)
            notice = Notice(
                notice_id=notice_id,
                regulator_id=regulator_id,
                version=current.version + 1 if current else 1,
                status=_status_for(content, current),
                received_at=received_at,
                source_format=source_format,
                source_file=source_file,
                content=content,
                content_hash=content_hash,
            )
            if self._claim_version(notice):
                self._point_meta_at(notice)
                replaced = current.version if current else None
                return SavedNotice(_state_of(notice), _outcome_for(notice), replaced)
            # The version number is taken: by a concurrent writer, or by an earlier attempt
            # of ours that crashed before moving META. Finish that move, then decide again.
            newer = self._settle(notice_id, notice.version)
            if based_on_known or _withdrawn_meanwhile(current, newer, content):
                raise VersionConflict(current.version if current else 0, newer)
            current = newer
        raise ConcurrentWriteError(f"notice {notice_id} changed under {_MAX_WRITE_ATTEMPTS} writes")

    def current_states(self, notice_ids: list[str]) -> dict[str, CurrentState]:
        """META of many notices in few reads (BatchGetItem); absent ids are not stored."""
        return {
            notice_id: _state_from_meta(item) for notice_id, item in self._metas(notice_ids).items()
        }

    def page_for_regulator(
        self, regulator_id: str, request: PageRequest, statuses: set[NoticeStatus] | None = None
    ) -> Page[NoticeSummary]:
        """A page of the regulator's notices, most recently changed first (``GSI1``, see
        index_pages.py); ``statuses`` keeps only notices in those states."""

        def load(sort_keys: list[str]) -> list[NoticeSummary | None]:
            notice_ids = [_notice_of_sort_key(sort_key) for sort_key in sort_keys]
            metas = self._metas(notice_ids)
            return [_summary(metas[n]) if n in metas else None for n in notice_ids]

        return gsi1_page(
            self._table,
            f"REGULATOR#{regulator_id}",
            request,
            table_key=lambda sort_key: _meta_key(_notice_of_sort_key(sort_key)),
            load=load,
            keep=lambda summary: statuses is None or summary.state.status in statuses,
        )

    def _metas(self, notice_ids: list[str]) -> dict[str, dict[str, Any]]:
        keys = [_meta_key(notice_id) for notice_id in notice_ids]
        return {item["notice_id"]: item for item in batch_get(self._db, self._table, keys)}

    def current_state(self, notice_id: str) -> CurrentState | None:
        meta = self._get_meta(notice_id)
        return _state_from_meta(meta) if meta else None

    def get(self, notice_id: str) -> Notice | None:
        state = self.current_state(notice_id)
        return self.get_version(notice_id, state.version) if state else None

    def get_version(self, notice_id: str, version: int) -> Notice | None:
        known = self._known_versions.get(notice_id, version)
        if known is not None:
            return known
        item = self._db.get_item(
            TableName=self._table,
            Key=to_attributes({"PK": _notice_pk(notice_id), "SK": _version_sk(version)}),
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        body = from_attributes(item)["body"]
        notice = Notice.model_validate_json(body)
        self._known_versions.keep(notice, len(body))
        return notice

    def mark_lifecycle_started(self, notice_id: str, version: int) -> None:
        """Recorded by the workflow itself, so intake knows it need not start it again."""
        written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes(_meta_key(notice_id)),
            UpdateExpression="SET lifecycle_started_version = :v",
            # A newer version's META must not be marked by an older execution.
            ConditionExpression="current_version = :v",
            ExpressionAttributeValues=to_attributes({":v": version}),
        )

    # -- extensions ------------------------------------------------------------------------

    def extend(
        self, notice_id: str, version: int, platform_ids: list[str], at: datetime, by: str
    ) -> list[Extension]:
        """Extend the notice to ``platform_ids`` while ``version`` is current: all of them
        or none (one transaction, META checked at ``version``). ``VersionConflict`` when
        the notice moved on, ``AlreadyExtended`` when another request extended one of them.
        """
        extensions = [Extension(notice_id, p, version, at, by) for p in platform_ids]
        check = {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": to_attributes(_meta_key(notice_id)),
                "ConditionExpression": "current_version = :v",
                "ExpressionAttributeValues": to_attributes({":v": version}),
            }
        }
        puts = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _extension_item(extension),
                    "ConditionExpression": "attribute_not_exists(SK)",
                }
            }
            for extension in extensions
        ]
        try:
            self._db.transact_write_items(TransactItems=[check, *puts])  # type: ignore[list-item]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            current = self.current_state(notice_id)
            if current is None:
                raise LookupError(f"notice {notice_id} is not stored") from exc
            if current.version != version:
                raise VersionConflict(version, current) from exc
            raise AlreadyExtended(f"notice {notice_id} was extended concurrently") from exc
        return extensions

    def extensions(self, notice_id: str) -> list[Extension]:
        """Every platform the notice was extended to, by platform id."""
        items = query_items(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :extension)",
            ExpressionAttributeValues=to_attributes(
                {":pk": _notice_pk(notice_id), ":extension": "EXTENSION#"}
            ),
            ConsistentRead=True,
        )
        return [_extension_from(notice_id, from_attributes(item)) for item in items]

    # -- timeline --------------------------------------------------------------------------

    def append_event(self, event: TimelineEvent) -> bool:
        """Append an immutable timeline event; False when it was already recorded."""
        return self.append_events([event])[0]

    def append_events(self, events: list[TimelineEvent]) -> list[bool]:
        """Append immutable timeline events, then keep the counted ones in the report
        log together; for each, False when it was already recorded."""
        items = [_event_item(event) for event in events]
        for event, item in zip(events, items, strict=True):
            ensure_fits(f"the {event.kind} event", item)
        recorded = [self._put_once(item) for item in items]
        occurrences = [
            occurrence_of(event.notice_id, event.event_key, event.kind, event.at, event.details)
            for event in events
        ]
        # Also when an event was there already: a crash may have come in between.
        self._report_log.keep_all([found for found in occurrences if found is not None])
        return recorded

    def has_event(self, notice_id: str, event_key: str) -> bool:
        item = self._db.get_item(
            TableName=self._table,
            Key=to_attributes({"PK": _notice_pk(notice_id), "SK": f"EVENT#{event_key}"}),
            ConsistentRead=True,
            ProjectionExpression="SK",
        ).get("Item")
        return item is not None

    def timeline(self, notice_id: str) -> list[TimelineEvent]:
        items = query_items(
            self._db,
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :event)",
            ExpressionAttributeValues=to_attributes(
                {":pk": _notice_pk(notice_id), ":event": "EVENT#"}
            ),
            ConsistentRead=True,
        )
        events = [_event_from_item(notice_id, from_attributes(item)) for item in items]
        return sorted(events, key=lambda e: timeline_order(e.at, e.kind, e.details, e.event_key))

    # -- internals -------------------------------------------------------------------------

    def _get_meta(self, notice_id: str) -> dict[str, Any] | None:
        item = self._db.get_item(
            TableName=self._table, Key=to_attributes(_meta_key(notice_id)), ConsistentRead=True
        ).get("Item")
        return from_attributes(item) if item else None

    def _settle(self, notice_id: str, claimed_version: int) -> CurrentState:
        """Point META at a claimed version (it may not have moved yet) and read it."""
        claimed = self.get_version(notice_id, claimed_version)
        assert claimed is not None, f"{notice_id} v{claimed_version} vanished"
        self._point_meta_at(claimed)
        state = self.current_state(notice_id)
        assert state is not None, f"{notice_id} has a version but no META"
        return state

    def _claim_version(self, notice: Notice) -> bool:
        """Write the version item once; False when that version number is already taken.

        (No TransactWriteItems: two single-item conditional writes are idempotent on
        their own, and moto copies the whole table for every transaction.)
        """
        item = to_attributes(
            {
                "PK": _notice_pk(notice.notice_id),
                "SK": _version_sk(notice.version),
                "body": notice.model_dump_json(),
            }
        )
        ensure_fits("the notice version", item)
        return self._put_once(item)

    def _put_once(self, item: dict[str, Any]) -> bool:
        """Write an immutable item; False when it is already there."""
        return written(
            self._db.put_item,
            TableName=self._table,
            Item=item,
            ConditionExpression="attribute_not_exists(SK)",
        )

    def _point_meta_at(self, notice: Notice) -> None:
        """Make ``notice`` the current version, unless META already moved past it."""
        item = to_attributes(
            {
                **_meta_key(notice.notice_id),
                "notice_id": notice.notice_id,
                "regulator_id": notice.regulator_id,
                "source_reference": notice.content.source_reference,
                "current_version": notice.version,
                "status": notice.status.value,
                "content_hash": notice.content_hash,
                "updated_at": notice.received_at.isoformat(),
                "GSI1PK": f"REGULATOR#{notice.regulator_id}",
                "GSI1SK": f"{sortable_time(notice.received_at)}#{notice.notice_id}",
            }
        )
        ensure_fits("the notice's current state", item)
        written(
            self._db.put_item,
            TableName=self._table,
            Item=item,
            ConditionExpression="attribute_not_exists(PK) OR current_version < :version",
            ExpressionAttributeValues=to_attributes({":version": notice.version}),
        )


def _withdrawn_meanwhile(
    known: CurrentState | None, newer: CurrentState, content: NoticeContent
) -> bool:
    """A full replacement would re-issue a notice withdrawn while it was on its way."""
    known_withdrawn = known is not None and known.status is NoticeStatus.WITHDRAWN
    return newer.status is NoticeStatus.WITHDRAWN and not known_withdrawn and not content.withdrawn


def _status_for(content: NoticeContent, previous: CurrentState | None) -> NoticeStatus:
    if content.withdrawn:
        return NoticeStatus.WITHDRAWN
    if previous is None or previous.status is NoticeStatus.WITHDRAWN:
        return NoticeStatus.ACTIVE  # a new notice, or one re-issued after its withdrawal
    return NoticeStatus.AMENDED


def _state_of(notice: Notice) -> CurrentState:
    return CurrentState(
        notice_id=notice.notice_id,
        version=notice.version,
        status=notice.status,
        content_hash=notice.content_hash,
        regulator_id=notice.regulator_id,
        source_reference=notice.content.source_reference,
        lifecycle_started=False,
    )


def _state_from_meta(item: dict[str, Any]) -> CurrentState:
    version = int(item["current_version"])
    return CurrentState(
        notice_id=item["notice_id"],
        version=version,
        status=NoticeStatus(item["status"]),
        content_hash=item["content_hash"],
        regulator_id=item["regulator_id"],
        source_reference=item["source_reference"],
        lifecycle_started=item.get("lifecycle_started_version") == version,
    )


def _notice_of_sort_key(sort_key: str) -> str:
    """``GSI1SK`` of a regulator's notice is ``<received-at>#<notice-id>``."""
    return sort_key.rsplit("#", 1)[1]


def _summary(item: dict[str, Any]) -> NoticeSummary:
    updated_at = datetime.fromisoformat(item["updated_at"]).astimezone(UTC)
    return NoticeSummary(_state_from_meta(item), updated_at)


def _outcome_for(notice: Notice) -> SaveOutcome:
    if notice.status is NoticeStatus.WITHDRAWN:
        return SaveOutcome.WITHDRAWN
    if notice.version == 1:
        return SaveOutcome.CREATED
    return SaveOutcome.REISSUED if notice.status is NoticeStatus.ACTIVE else SaveOutcome.NEW_VERSION


def _extension_item(extension: Extension) -> dict[str, Any]:
    return to_attributes(
        {
            "PK": _notice_pk(extension.notice_id),
            "SK": f"EXTENSION#{extension.platform_id}",
            "version": extension.version,
            "extended_at": extension.extended_at.isoformat(),
            "by": extension.by,
        }
    )


def _extension_from(notice_id: str, item: dict[str, Any]) -> Extension:
    return Extension(
        notice_id=notice_id,
        platform_id=item["SK"].removeprefix("EXTENSION#"),
        version=int(item["version"]),
        extended_at=datetime.fromisoformat(item["extended_at"]).astimezone(UTC),
        by=item["by"],
    )


def _event_from_item(notice_id: str, item: dict[str, Any]) -> TimelineEvent:
    return TimelineEvent(
        notice_id=notice_id,
        event_key=item["SK"].removeprefix("EVENT#"),
        kind=EventKind(item["kind"]),
        at=datetime.fromisoformat(item["at"]).astimezone(UTC),
        actor=item["actor"],
        details=json.loads(item["details"]),
    )
