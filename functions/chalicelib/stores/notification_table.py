"""Data access for notification deliveries: the contacts of affected parties and what
was sent to each, in their own table (its own KMS key, TTL deletion).

One partition per notice and platform: PK ``NOTIFY#<notice>#<platform>``. A recipient
is SK ``R#<party>#<hmac>[#<listing>]`` (``Recipient.key``), its contact one JSON
attribute, ``contact``: the key never holds the address, and its conditional put is
what makes a person told once per notice however many batches, retries or concurrent
posts name them. A follow-up to someone told (an
updated recall, a withdrawal notice) is SK ``F#<kind>#v<version>#<recipient key>``
(``recipients.follow_up_key``), put once the same way: once per person, kind and
version. ``PROGRESS`` holds the counts and whether the platform sent its last batch;
every change of a recipient's status moves those counts in the same transaction, so
they never drift from the recipients (follow-ups move none). A file of affected parties
a platform uploads is SK ``UPLOAD#<upload-id>``: its status, held by one processing at a
time (``claim_upload``), and its counts once finished (never a contact).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.notification.progress import Progress
from chalicelib.notification.recipients import (
    FOLLOW_UP_PREFIX,
    Outcome,
    Party,
    Recipient,
    RecipientStatus,
    StoredRecipient,
)
from chalicelib.notification.upload_model import Upload, UploadStatus
from chalicelib.stores import aws_clients
from chalicelib.stores.dynamodb_items import batch_get, from_attributes, to_attributes, written
from chalicelib.stores.index_pages import sortable_time

# TransactWriteItems' limit; one place is the progress item.
_TRANSACTION_ITEMS = 100
_PROGRESS = "PROGRESS"
_UPLOAD = "UPLOAD#"
_CONFLICT_RETRIES = 8


def _pk(notice_id: str, platform_id: str) -> str:
    return f"NOTIFY#{notice_id}#{platform_id}"


def _sk(key: str) -> str:
    # A recipient key starts with its party, never with the follow-up prefix.
    return key if key.startswith(FOLLOW_UP_PREFIX) else f"R#{key}"


def _key_of(sk: str) -> str:
    return sk if sk.startswith(FOLLOW_UP_PREFIX) else sk.removeprefix("R#")


def _item_key(notice_id: str, platform_id: str, key: str) -> dict[str, Any]:
    return to_attributes({"PK": _pk(notice_id, platform_id), "SK": _sk(key)})


def _keys(notice_id: str, platform_id: str, keys: Iterable[str]) -> list[dict[str, str]]:
    return [{"PK": _pk(notice_id, platform_id), "SK": _sk(key)} for key in keys]


class NotificationStore:
    def __init__(self, table_name: str, retention_days: int) -> None:
        self._table = table_name
        self._retention = timedelta(days=retention_days)
        self._db = aws_clients.dynamodb()

    # -- recipients ------------------------------------------------------------------

    def add(
        self,
        notice_id: str,
        platform_id: str,
        recipients: dict[str, tuple[Recipient, RecipientStatus]],
        at: datetime,
        counted: bool = True,
    ) -> list[str]:
        """Store each recipient not stored yet (by key) and move the progress counts of
        those stored by this call (unless not ``counted``: follow-ups are not part of the
        notification's end); returns their keys. A key another writer stores first is
        left out, so concurrent posts of one person store it once."""
        stored: list[str] = []
        pending = dict(recipients)
        for attempt in range(_CONFLICT_RETRIES):
            existing = self._existing(notice_id, platform_id, list(pending))
            pending = {key: value for key, value in pending.items() if key not in existing}
            if not pending:
                return stored
            try:
                for chunk in _chunks(list(pending), _TRANSACTION_ITEMS - 1):
                    self._put_chunk(
                        notice_id, platform_id, {k: pending[k] for k in chunk}, at, counted
                    )
                    stored.extend(chunk)
                    for key in chunk:
                        del pending[key]
                return stored
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                time.sleep(0.01 * 2**attempt)  # another writer: read again, then retry
        raise RuntimeError(f"could not store recipients of {notice_id} for {platform_id}")

    def _put_chunk(
        self,
        notice_id: str,
        platform_id: str,
        chunk: dict[str, tuple[Recipient, RecipientStatus]],
        at: datetime,
        counted: bool,
    ) -> None:
        moved = (
            _sum_counters(_arrival_counters(r, status) for r, status in chunk.values())
            if counted
            else {}
        )
        puts = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_attributes(
                        self._recipient_item(notice_id, platform_id, key, recipient, status, at)
                    ),
                    "ConditionExpression": "attribute_not_exists(SK)",
                }
            }
            for key, (recipient, status) in chunk.items()
        ]
        self._db.transact_write_items(
            TransactItems=[*puts, self._progress_update(notice_id, platform_id, moved)]  # type: ignore[list-item]
        )

    def _recipient_item(
        self,
        notice_id: str,
        platform_id: str,
        key: str,
        recipient: Recipient,
        status: RecipientStatus,
        at: datetime,
    ) -> dict[str, Any]:
        return {
            "PK": _pk(notice_id, platform_id),
            "SK": _sk(key),
            # One attribute, not one per field: nothing queries the contact by its
            # fields, and each attribute costs every write and read (the embedded
            # runtime's DynamoDB most: ~10 % of notifying a buyer, README).
            "contact": recipient.model_dump_json(exclude_none=True),
            "status": status.value,
            "updated_at": sortable_time(at),
            "expires_at": self._expiry(at),
        }

    def _expiry(self, at: datetime) -> int:
        """The TTL: contacts are deleted this long after the last delivery attempt."""
        return int((at + self._retention).timestamp())

    def _existing(self, notice_id: str, platform_id: str, keys: list[str]) -> set[str]:
        # The keys only: a batch of 1,000 need not carry back 1,000 contacts.
        items = batch_get(self._db, self._table, _keys(notice_id, platform_id, keys), "SK")
        return {_key_of(item["SK"]) for item in items}

    def get_many(
        self, notice_id: str, platform_id: str, keys: Sequence[str]
    ) -> list[StoredRecipient]:
        items = batch_get(
            self._db,
            self._table,
            _keys(notice_id, platform_id, keys),
        )
        return [_stored(item) for item in items]

    def unsent(self, notice_id: str, platform_id: str, keys: Iterable[str]) -> list[str]:
        """Of ``keys``, those still queued (a lost enqueue is made good by a repeat post)."""
        return [
            r.key
            for r in self.get_many(notice_id, platform_id, list(keys))
            if r.status is RecipientStatus.QUEUED
        ]

    def page(
        self, notice_id: str, platform_id: str, limit: int, after: str | None
    ) -> tuple[list[StoredRecipient], str | None]:
        """A page of the recipients, by key; the key of the last one when more follow."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :r)",
            "ExpressionAttributeValues": to_attributes(
                {":pk": _pk(notice_id, platform_id), ":r": "R#"}
            ),
            "Limit": limit,
        }
        if after is not None:
            request["ExclusiveStartKey"] = to_attributes(
                {"PK": _pk(notice_id, platform_id), "SK": f"R#{after}"}
            )
        response = self._db.query(**request)
        items = [_stored(from_attributes(item)) for item in response["Items"]]
        more = "LastEvaluatedKey" in response and items
        return items, (items[-1].key if more else None)

    def claim(
        self,
        notice_id: str,
        platform_id: str,
        recipients: Sequence[StoredRecipient],
        claim: str,
        version: int,
        at: datetime,
    ) -> list[StoredRecipient]:
        """Take the queued ``recipients`` (as just read) for one delivery of ``version``
        of the notice (what each is told, kept as ``told_version``); returns those taken,
        as now held. Each is a put conditional on the recipient still being queued, so
        exactly one claim of a recipient ever succeeds; they go in transactions of up to
        100 (one request, not one per recipient), and a recipient no longer queued is
        left out and the others are claimed again.

        A put, not an update, because it is far cheaper for the embedded runtime's
        DynamoDB (no update expression to validate): rewriting the whole item loses
        nothing, as a queued recipient holds only its contact (written once, by ``add``)
        and what this claim sets; a release (the only write that makes a recipient
        queued again) removes the claim it gives back."""
        held = [
            replace(r, status=RecipientStatus.SENDING, claim=claim, told_version=version)
            for r in {r.key: r for r in recipients}.values()
        ]
        taken: list[StoredRecipient] = []
        for chunk in _chunks(held, _TRANSACTION_ITEMS):
            taken.extend(self._claim_chunk(notice_id, platform_id, chunk, at))
        return taken

    def _claim_chunk(
        self, notice_id: str, platform_id: str, held: list[StoredRecipient], at: datetime
    ) -> list[StoredRecipient]:
        condition = self._rewrite_condition(RecipientStatus.QUEUED, None)
        remaining = held
        for attempt in range(_CONFLICT_RETRIES):
            if not remaining:
                return []
            puts = [self._rewrite(notice_id, platform_id, r, condition, at) for r in remaining]
            try:
                self._db.transact_write_items(TransactItems=puts)  # type: ignore[arg-type]
                return remaining
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                reasons = exc.response.get("CancellationReasons", [])
                refused = {
                    i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"
                }
                remaining = [r for i, r in enumerate(remaining) if i not in refused]
                if not refused:
                    time.sleep(0.01 * 2**attempt)  # a conflict with another writer: again
        raise RuntimeError(f"could not claim recipients of {notice_id} for {platform_id}")

    @staticmethod
    def _rewrite_condition(from_status: RecipientStatus, claim: str | None) -> dict[str, Any]:
        """The condition a rewrite of a recipient holds to: still ``from_status`` and,
        when it is claimed, still under ``claim``."""
        values: dict[str, Any] = {":from": from_status.value}
        expression = "#status = :from"
        if claim is not None:
            expression += " AND claim = :claim"
            values[":claim"] = claim
        return {
            "ConditionExpression": expression,
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_attributes(values),
        }

    def _rewrite(
        self,
        notice_id: str,
        platform_id: str,
        held: StoredRecipient,
        condition: dict[str, Any],
        at: datetime,
    ) -> dict[str, Any]:
        """A conditional put of the whole recipient item as ``held`` says it is now."""
        item = self._recipient_item(
            notice_id, platform_id, held.key, held.recipient, held.status, at
        )
        extra = {
            "claim": held.claim,
            "told_version": held.told_version,
            "kind": held.kind,
            "error": held.error,
        }
        item.update({name: value for name, value in extra.items() if value is not None})
        return {"Put": {"TableName": self._table, "Item": to_attributes(item), **condition}}

    def told_buyers(
        self, notice_id: str, platform_id: str, before_version: int, after: str | None
    ) -> tuple[list[StoredRecipient], str | None]:
        """A page of the buyers sent a message of a version before ``before_version``;
        the key to go on from when more may follow."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :buyers)",
            "FilterExpression": "#status = :sent AND told_version < :version",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": to_attributes(
                {
                    ":pk": _pk(notice_id, platform_id),
                    ":buyers": f"R#{Party.BUYER.value}#",
                    ":sent": RecipientStatus.SENT.value,
                    ":version": before_version,
                }
            ),
        }
        if after is not None:
            request["ExclusiveStartKey"] = _item_key(notice_id, platform_id, after)
        response = self._db.query(**request)
        items = [_stored(from_attributes(item)) for item in response["Items"]]
        last = response.get("LastEvaluatedKey")
        return items, (_key_of(from_attributes(last)["SK"]) if last else None)

    def release(self, notice_id: str, platform_id: str, key: str, claim: str) -> bool:
        """Give a claimed recipient back to the queue: nothing was sent (throttled)."""
        return written(
            self._db.update_item,
            TableName=self._table,
            Key=_item_key(notice_id, platform_id, key),
            UpdateExpression="SET #status = :queued REMOVE claim",
            ConditionExpression="#status = :sending AND claim = :claim",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_attributes(
                {
                    ":sending": RecipientStatus.SENDING.value,
                    ":queued": RecipientStatus.QUEUED.value,
                    ":claim": claim,
                }
            ),
        )

    def settle(
        self,
        notice_id: str,
        platform_id: str,
        claim: str,
        outcomes: Sequence[Outcome],
        from_status: RecipientStatus,
        at: datetime,
    ) -> None:
        """Record how each claimed send ended and move the counts, in one transaction per
        chunk. A recipient no longer in ``from_status`` under ``claim`` (another delivery
        of the same message settled it) is left out, and its counts are not moved. Each
        record is a conditional put of the item as held (see ``claim``: nobody else
        writes a recipient held under a claim, nor a queued one but a claim)."""
        condition = self._rewrite_condition(
            from_status, claim if from_status is RecipientStatus.SENDING else None
        )
        for chunk in _chunks(list(outcomes), _TRANSACTION_ITEMS - 1):
            remaining = list(chunk)
            for attempt in range(_CONFLICT_RETRIES):
                if not remaining:
                    break
                puts = [
                    self._rewrite(notice_id, platform_id, _settled(outcome), condition, at)
                    for outcome in remaining
                ]
                moved = _sum_counters(outcome.counters for outcome in remaining)
                progress = self._progress_update(notice_id, platform_id, moved)
                try:
                    self._db.transact_write_items(TransactItems=[*puts, progress])  # type: ignore[list-item]
                    break
                except ClientError as exc:
                    if exc.response["Error"]["Code"] != "TransactionCanceledException":
                        raise
                    reasons = exc.response.get("CancellationReasons", [])
                    remaining = [
                        outcome
                        for outcome, reason in zip(remaining, reasons, strict=False)
                        if reason.get("Code") != "ConditionalCheckFailed"
                    ]
                    time.sleep(0.01 * 2**attempt)  # a conflict: another settle moved counts
            else:
                raise RuntimeError(f"could not record deliveries of {notice_id} for {platform_id}")

    # -- progress ----------------------------------------------------------------------

    def _progress_update(
        self, notice_id: str, platform_id: str, moved: dict[str, int]
    ) -> dict[str, Any]:
        names = {f"#c{i}": name for i, name in enumerate(sorted(moved))}
        values = {f":c{i}": moved[name] for i, name in enumerate(sorted(moved))}
        adds = ", ".join(f"#c{i} :c{i}" for i in range(len(names)))
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_attributes({"PK": _pk(notice_id, platform_id), "SK": _PROGRESS}),
            "UpdateExpression": f"ADD {adds}" if adds else "SET #n = if_not_exists(#n, :n)",
        }
        if not adds:
            names, values = {"#n": "pending"}, {":n": 0}
        update["ExpressionAttributeNames"] = names
        update["ExpressionAttributeValues"] = to_attributes(values)
        return {"Update": update}

    def mark(self, notice_id: str, platform_id: str, flag: str, at: datetime) -> bool:
        """Set ``flag`` (``final_at``, ``completed_at``) once; False when it was set."""
        return written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes({"PK": _pk(notice_id, platform_id), "SK": _PROGRESS}),
            UpdateExpression="SET #flag = :at",
            ConditionExpression="attribute_not_exists(#flag)",
            ExpressionAttributeNames={"#flag": flag},
            ExpressionAttributeValues=to_attributes({":at": sortable_time(at)}),
        )

    def report_self_notified(
        self, notice_id: str, platform_id: str, sellers: int, buyers: int
    ) -> None:
        """The platform's own counts: its latest report stands (a repeat changes nothing)."""
        self._db.update_item(
            TableName=self._table,
            Key=to_attributes({"PK": _pk(notice_id, platform_id), "SK": _PROGRESS}),
            UpdateExpression="SET self_notified_sellers = :s, self_notified_buyers = :b",
            ExpressionAttributeValues=to_attributes({":s": sellers, ":b": buyers}),
        )

    def progress(self, notice_id: str, platform_id: str) -> Progress:
        item = self._db.get_item(
            TableName=self._table,
            Key=to_attributes({"PK": _pk(notice_id, platform_id), "SK": _PROGRESS}),
            ConsistentRead=True,
        ).get("Item")
        return Progress.from_item(from_attributes(item) if item else {})

    # -- uploaded files --------------------------------------------------------------

    def create_upload(self, upload: Upload) -> None:
        """Announce a file (pending); its id is new, so the put never overwrites."""
        self._db.put_item(
            TableName=self._table,
            Item=to_attributes(
                {
                    **self._upload_key(upload),
                    "document": upload.model_dump_json(),
                    "status": upload.status.value,
                    "expires_at": self._expiry(upload.created_at),
                }
            ),
            ConditionExpression="attribute_not_exists(SK)",
        )

    def get_upload(self, notice_id: str, platform_id: str, upload_id: str) -> Upload | None:
        item = self._db.get_item(
            TableName=self._table,
            Key=to_attributes({"PK": _pk(notice_id, platform_id), "SK": _UPLOAD + upload_id}),
            ConsistentRead=True,
        ).get("Item")
        if item is None:
            return None
        values = from_attributes(item)
        upload = Upload.model_validate_json(values["document"])
        return upload.model_copy(update={"status": UploadStatus(values["status"])})

    def claim_upload(self, upload: Upload, attempt: str, at: datetime, until: datetime) -> bool:
        """Hold a pending upload for one processing until ``until``, or take over one
        whose holder's time ran out; False when it is held or finished."""
        return written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes(self._upload_key(upload)),
            UpdateExpression="SET #status = :processing, attempt = :attempt, hold_until = :until",
            ConditionExpression=(
                "#status = :pending OR (#status = :processing AND hold_until < :now)"
            ),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_attributes(
                {
                    ":processing": UploadStatus.PROCESSING.value,
                    ":pending": UploadStatus.PENDING.value,
                    ":attempt": attempt,
                    ":until": sortable_time(until),
                    ":now": sortable_time(at),
                }
            ),
        )

    def finish_upload(self, upload: Upload) -> bool:
        """Record how the processing that holds the upload ended; False when another
        processing took it over meanwhile (its own result stands)."""
        return written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes(self._upload_key(upload)),
            UpdateExpression="SET #status = :status, document = :document",
            ConditionExpression="#status = :processing AND attempt = :attempt",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_attributes(
                {
                    ":status": upload.status.value,
                    ":document": upload.model_dump_json(),
                    ":processing": UploadStatus.PROCESSING.value,
                    ":attempt": upload.attempt,
                }
            ),
        )

    @staticmethod
    def _upload_key(upload: Upload) -> dict[str, str]:
        return {"PK": _pk(upload.notice_id, upload.platform_id), "SK": _UPLOAD + upload.upload_id}


def _arrival_counters(recipient: Recipient, status: RecipientStatus) -> dict[str, int]:
    """What storing one recipient adds: pending unless excluded; undated buyers counted."""
    moved = {"pending": 1} if status is RecipientStatus.QUEUED else {"excluded_by_lookback": 1}
    if recipient.party is Party.BUYER and recipient.purchased_on is None:
        moved["undated_buyers"] = 1
    return moved


def _stored(item: dict[str, Any]) -> StoredRecipient:
    return StoredRecipient(
        key=_key_of(item["SK"]),
        recipient=Recipient.model_validate_json(item["contact"]),
        status=RecipientStatus(item["status"]),
        claim=item.get("claim"),
        error=item.get("error") or None,
        kind=item.get("kind") or None,
        told_version=int(item["told_version"]) if "told_version" in item else None,
    )


def _settled(outcome: Outcome) -> StoredRecipient:
    """The recipient as its outcome leaves it (its claim and told version kept)."""
    return replace(outcome.held, status=outcome.status, kind=outcome.kind, error=outcome.error)


def _sum_counters(counters: Iterable[dict[str, int]]) -> dict[str, int]:
    total: dict[str, int] = {}
    for moved in counters:
        for name, value in moved.items():
            total[name] = total.get(name, 0) + value
    return total


def _chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
