"""Data access for dispatches (one notice version sent to one platform) in the single table.

Items share the notice's partition: PK ``NOTICE#<id>``, SK ``DISPATCH#v000001#<platform>``.
``GSI1`` (``INBOX#<platform>``, ``<created>#<notice>#v<version>``) is a platform's inbox;
``GSI2`` (``OPEN_WAIT``, ``<deadline>#…``) holds only waits with a deadline still open,
so the deadline check reads exactly the overdue ones.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.dispatch.actions import ActionReport
from chalicelib.dispatch.model import Dispatch, DispatchRef, DispatchState, WaitKind
from chalicelib.record_size import ensure_within, utf8_bytes
from chalicelib.stores import aws_clients
from chalicelib.stores.aws_clients import query_items
from chalicelib.stores.dynamodb_items import (
    batch_get,
    from_attributes,
    is_condition_failure,
    to_attributes,
    written,
)
from chalicelib.stores.index_pages import Page, PageRequest, gsi1_page, sortable_time, stored_time

OPEN_WAIT_PARTITION = "OPEN_WAIT"
_ANSWER_ATTRIBUTES = {
    WaitKind.ACKNOWLEDGEMENT: ("acknowledged_at", "acknowledgement"),
    WaitKind.ACTION_REPORT: ("action_reported_at", "action_report"),
    WaitKind.NOTIFICATION: ("notification_completed_at", "notification"),
}
_MISSED_ATTRIBUTES = {
    WaitKind.ACKNOWLEDGEMENT: "acknowledgement_missed_at",
    WaitKind.ACTION_REPORT: "action_report_missed_at",
    WaitKind.NOTIFICATION: "notification_missed_at",
}
_ANSWER_STATES = {
    WaitKind.ACKNOWLEDGEMENT: DispatchState.ACKNOWLEDGED,
    WaitKind.ACTION_REPORT: DispatchState.ACTION_REPORTED,
    # Notification ends after the hand-off: the dispatch stays handed off.
    WaitKind.NOTIFICATION: DispatchState.HANDED_OFF,
}


def _key(ref: DispatchRef) -> dict[str, str]:
    return {"PK": f"NOTICE#{ref.notice_id}", "SK": f"DISPATCH#v{ref.version:06d}#{ref.platform_id}"}


class DispatchStore:
    def __init__(self, table_name: str) -> None:
        self._table = table_name
        self._db = aws_clients.dynamodb()

    def create(self, dispatch: Dispatch) -> Dispatch:
        """Create the dispatch (its inbox entry) once; a retry gets the stored one back."""
        ref = dispatch.ref
        item: dict[str, Any] = {
            **_key(ref),
            "notice_id": ref.notice_id,
            "version": ref.version,
            "platform_id": ref.platform_id,
            "regulator_id": dispatch.regulator_id,
            "notice_kind": dispatch.notice_kind,
            "jurisdiction": dispatch.jurisdiction,
            "withdrawal": dispatch.withdrawal,
            "created_at": sortable_time(dispatch.created_at),
            "state": dispatch.state.value,
            "webhook_attempts": 0,
            "GSI1PK": f"INBOX#{ref.platform_id}",
            "GSI1SK": f"{sortable_time(dispatch.created_at)}#{ref.notice_id}#v{ref.version:06d}",
        }
        for name, moment in (
            ("acknowledgement_deadline", dispatch.acknowledgement_deadline),
            ("action_deadline", dispatch.action_deadline),
        ):
            if moment is not None:
                item[name] = sortable_time(moment)
        attributes = to_attributes(item)
        if written(
            self._db.put_item,
            TableName=self._table,
            Item=attributes,
            ConditionExpression="attribute_not_exists(SK)",
        ):
            return _dispatch_from_item(from_attributes(attributes))  # what was just written
        stored = self.get(ref)
        assert stored is not None
        return stored

    def get(self, ref: DispatchRef) -> Dispatch | None:
        item = self._db.get_item(
            TableName=self._table, Key=to_attributes(_key(ref)), ConsistentRead=True
        ).get("Item")
        return _dispatch_from_item(from_attributes(item)) if item else None

    def for_notice(self, notice_id: str) -> list[Dispatch]:
        response = self._db.query(
            TableName=self._table,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :dispatch)",
            ExpressionAttributeValues=to_attributes(
                {":pk": f"NOTICE#{notice_id}", ":dispatch": "DISPATCH#"}
            ),
            ConsistentRead=True,
        )
        return [_dispatch_from_item(from_attributes(item)) for item in response["Items"]]

    def count_webhook_attempt(self, ref: DispatchRef) -> Dispatch | None:
        """Count one more push of a dispatch not closed; the dispatch with it counted, or
        None when it is closed (or absent): a stale version is never pushed."""
        return self._updated(
            Key=to_attributes(_key(ref)),
            UpdateExpression="ADD webhook_attempts :one",
            ConditionExpression="attribute_exists(SK) AND #state <> :closed",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_attributes(
                {":one": 1, ":closed": DispatchState.CLOSED.value}
            ),
        )

    def set_state(self, ref: DispatchRef, state: DispatchState, unless: set[DispatchState]) -> bool:
        """Move to ``state`` unless the dispatch is already in one of ``unless``."""
        blocked = {f":blocked{i}": s.value for i, s in enumerate(sorted(unless))}
        condition = "attribute_exists(SK)"
        if blocked:
            condition += f" AND NOT #state IN ({', '.join(blocked)})"
        return written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes(_key(ref)),
            UpdateExpression="SET #state = :state",
            ConditionExpression=condition,
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_attributes({":state": state.value, **blocked}),
        )

    def set_notification_deadline(self, ref: DispatchRef, deadline: datetime) -> None:
        """Set when notification is due, once (a retried hand-off keeps the first)."""
        written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes(_key(ref)),
            UpdateExpression="SET notification_deadline = :due",
            ConditionExpression=(
                "attribute_exists(SK) AND attribute_not_exists(notification_deadline)"
            ),
            ExpressionAttributeValues=to_attributes({":due": sortable_time(deadline)}),
        )

    def open_wait(
        self, ref: DispatchRef, kind: WaitKind, token: str, deadline: datetime | None
    ) -> Dispatch | None:
        """Store the workflow's task token; a deadline puts the wait on the overdue index.
        The dispatch as this write left it; None when it is closed (or absent)."""
        values: dict[str, Any] = {
            ":kind": kind.value,
            ":token": token,
            ":closed": DispatchState.CLOSED.value,
        }
        update = "SET open_wait = :kind, task_token = :token"
        if deadline is not None:
            update += ", GSI2PK = :partition, GSI2SK = :due"
            values[":partition"] = OPEN_WAIT_PARTITION
            values[":due"] = (
                f"{sortable_time(deadline)}#{ref.notice_id}#v{ref.version:06d}#{ref.platform_id}"
            )
        else:
            update += " REMOVE GSI2PK, GSI2SK"
        return self._updated(
            Key=to_attributes(_key(ref)),
            UpdateExpression=update,
            ConditionExpression="attribute_exists(SK) AND #state <> :closed",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_attributes(values),
        )

    def _updated(self, **update: Any) -> Dispatch | None:
        """A conditional update's dispatch as it left it; None when the condition failed."""
        try:
            response = self._db.update_item(TableName=self._table, ReturnValues="ALL_NEW", **update)
        except ClientError as exc:
            if is_condition_failure(exc):
                return None
            raise
        return _dispatch_from_item(from_attributes(response["Attributes"]))

    def close_wait(self, ref: DispatchRef, token: str) -> bool:
        """Forget the wait holding ``token``; False when another caller already did."""
        return self._end_wait(ref, token, missed=None)

    def miss_wait(self, ref: DispatchRef, token: str, kind: WaitKind, at: datetime) -> bool:
        """Close the wait holding ``token`` as missed at ``at`` (the deadline check's time);
        False when it was answered or closed meanwhile."""
        return self._end_wait(ref, token, missed=(kind, at))

    def _end_wait(
        self, ref: DispatchRef, token: str, missed: tuple[WaitKind, datetime] | None
    ) -> bool:
        update = "REMOVE open_wait, task_token, GSI2PK, GSI2SK"
        values = {":token": token}
        if missed is not None:
            kind, at = missed
            update = f"SET {_MISSED_ATTRIBUTES[kind]} = :missed_at {update}"
            values[":missed_at"] = sortable_time(at)
        return written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes(_key(ref)),
            UpdateExpression=update,
            ConditionExpression="task_token = :token",
            ExpressionAttributeValues=to_attributes(values),
        )

    def record_answer(
        self, ref: DispatchRef, kind: WaitKind, at: datetime, body: dict[str, Any]
    ) -> bool:
        """Record the platform's answer once; False for a duplicate, or when the dispatch
        was closed meanwhile (an answer must not reopen a superseded version). An answer
        over ``MAX_RECORD_BYTES`` raises ``RecordTooLarge`` before anything is written
        (the dispatch holds two answers, and the timeline event repeats this one)."""
        at_attribute, body_attribute = _ANSWER_ATTRIBUTES[kind]
        stored = json.dumps(body, sort_keys=True)
        ensure_within(f"the {kind.value.replace('_', ' ')}", body, utf8_bytes(stored))
        return written(
            self._db.update_item,
            TableName=self._table,
            Key=to_attributes(_key(ref)),
            UpdateExpression=f"SET {at_attribute} = :at, {body_attribute} = :body, #state = :state",
            ConditionExpression=(
                f"attribute_exists(SK) AND attribute_not_exists({at_attribute}) "
                "AND #state <> :closed"
            ),
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues=to_attributes(
                {
                    ":at": sortable_time(at),
                    ":body": stored,
                    ":state": _ANSWER_STATES[kind].value,
                    ":closed": DispatchState.CLOSED.value,
                }
            ),
        )

    def overdue(self, now: datetime) -> list[Dispatch]:
        """Dispatches whose open wait's deadline is before ``now``, as the index says:
        it is eventually consistent, so callers check the dispatch itself."""
        items = query_items(
            self._db,
            TableName=self._table,
            IndexName="GSI2",
            # "<deadline>#…" < "<now>#" exactly when the deadline is before now.
            KeyConditionExpression="GSI2PK = :partition AND GSI2SK < :now",
            ExpressionAttributeValues=to_attributes(
                {":partition": OPEN_WAIT_PARTITION, ":now": f"{sortable_time(now)}#"}
            ),
        )
        refs = [_ref_from_sort_key(from_attributes(item)["GSI2SK"]) for item in items]
        found = [self.get(ref) for ref in refs]
        return [dispatch for dispatch in found if dispatch is not None]

    def get_many(self, refs: list[DispatchRef]) -> list[Dispatch | None]:
        """The dispatches ``refs`` name, in that order (None where absent), in few reads."""
        items = batch_get(self._db, self._table, [_key(ref) for ref in refs])
        found = {dispatch.ref: dispatch for dispatch in map(_dispatch_from_item, items)}
        return [found.get(ref) for ref in refs]

    def inbox_page(
        self, platform_id: str, request: PageRequest, states: set[DispatchState] | None = None
    ) -> Page[Dispatch]:
        """A page of the platform's inbox, newest first (``GSI1``, see index_pages.py);
        ``states`` keeps only dispatches in those states."""

        def load(sort_keys: list[str]) -> list[Dispatch | None]:
            return self.get_many([_ref_from_inbox_sort_key(platform_id, k) for k in sort_keys])

        return gsi1_page(
            self._table,
            f"INBOX#{platform_id}",
            request,
            table_key=lambda sort_key: _key(_ref_from_inbox_sort_key(platform_id, sort_key)),
            load=load,
            keep=lambda dispatch: states is None or dispatch.state in states,
        )


def _ref_from_sort_key(sort_key: str) -> DispatchRef:
    _, notice_id, version, platform_id = sort_key.split("#")
    return DispatchRef(notice_id, int(version.removeprefix("v")), platform_id)


def _ref_from_inbox_sort_key(platform_id: str, sort_key: str) -> DispatchRef:
    _, notice_id, version = sort_key.split("#")
    return DispatchRef(notice_id, int(version.removeprefix("v")), platform_id)


def _action_report(stored: str | None) -> ActionReport | None:
    return ActionReport.model_validate_json(stored) if stored else None


def _dispatch_from_item(item: dict[str, Any]) -> Dispatch:
    created_at = stored_time(item, "created_at")
    assert created_at is not None
    open_wait = item.get("open_wait")
    return Dispatch(
        ref=DispatchRef(item["notice_id"], int(item["version"]), item["platform_id"]),
        regulator_id=item["regulator_id"],
        notice_kind=item["notice_kind"],
        jurisdiction=item["jurisdiction"],
        withdrawal=item["withdrawal"],
        created_at=created_at,
        acknowledgement_deadline=stored_time(item, "acknowledgement_deadline"),
        action_deadline=stored_time(item, "action_deadline"),
        state=DispatchState(item["state"]),
        webhook_attempts=int(item["webhook_attempts"]),
        open_wait=WaitKind(open_wait) if open_wait else None,
        task_token=item.get("task_token"),
        acknowledged_at=stored_time(item, "acknowledged_at"),
        action_reported_at=stored_time(item, "action_reported_at"),
        acknowledgement_missed_at=stored_time(item, "acknowledgement_missed_at"),
        action_report_missed_at=stored_time(item, "action_report_missed_at"),
        action_report=_action_report(item.get("action_report")),
        notification_deadline=stored_time(item, "notification_deadline"),
        notification_completed_at=stored_time(item, "notification_completed_at"),
        notification_missed_at=stored_time(item, "notification_missed_at"),
    )
