"""The queue of recipients to notify: each message names up to ``CHUNK`` recipients of
one notice and platform by key (never by address), for the notify function; a follow-up
chunk also says what it sends (``follow_up``: kind and version), and a follow-up scan
asks the notify function to find whom a new version must tell (``scan``)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from chalicelib.stores import aws_clients

# One SES bulk call's worth: a message is one SendBulkEmail when its recipients
# share content (the API orders them by language before chunking).
CHUNK = 50
# SendMessageBatch's limit.
_BATCH = 10


class NotificationQueue:
    def __init__(self, queue_url: str) -> None:
        self._url = queue_url
        self._sqs = aws_clients.sqs()

    def enqueue(
        self,
        notice_id: str,
        platform_id: str,
        keys: Sequence[str],
        follow_up: tuple[str, int] | None = None,
    ) -> int:
        """Put ``keys`` on the queue in chunks; returns how many messages."""
        extra = {"follow_up": {"kind": follow_up[0], "version": follow_up[1]}} if follow_up else {}
        bodies = [
            json.dumps(
                {"notice_id": notice_id, "platform_id": platform_id, "keys": list(chunk), **extra}
            )
            for chunk in (keys[i : i + CHUNK] for i in range(0, len(keys), CHUNK))
        ]
        self._send(bodies)
        return len(bodies)

    def enqueue_scan(self, notice_id: str, platform_ids: Sequence[str], version: int) -> None:
        """Ask for the follow-ups ``version`` owes those each platform told earlier."""
        self._send(
            [
                json.dumps({"notice_id": notice_id, "platform_id": p, "scan": {"version": version}})
                for p in platform_ids
            ]
        )

    def _send(self, bodies: list[str]) -> None:
        for start in range(0, len(bodies), _BATCH):
            entries = [
                {"Id": str(i), "MessageBody": body}
                for i, body in enumerate(bodies[start : start + _BATCH])
            ]
            response = self._sqs.send_message_batch(QueueUrl=self._url, Entries=entries)  # type: ignore[arg-type]
            if response.get("Failed"):
                # Nothing is lost: the recipients stay queued and a repeated post re-enqueues
                # them; the caller's retry is that repeat.
                raise RuntimeError(f"{len(response['Failed'])} notification messages not queued")
