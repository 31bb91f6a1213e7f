"""The queue of recipients to notify: each message names up to ``CHUNK`` recipients of
one notice and platform by key (never by address), for the notify function."""

from __future__ import annotations

import json
from collections.abc import Sequence

from chalicelib.stores import aws_clients

# One SES bulk call's worth: a message is one SendBulkTemplatedEmail when its recipients
# share content (the API orders them by language before chunking).
CHUNK = 50
# SendMessageBatch's limit.
_BATCH = 10


class NotificationQueue:
    def __init__(self, queue_url: str) -> None:
        self._url = queue_url
        self._sqs = aws_clients.sqs()

    def enqueue(self, notice_id: str, platform_id: str, keys: Sequence[str]) -> int:
        """Put ``keys`` on the queue in chunks; returns how many messages."""
        bodies = [
            json.dumps({"notice_id": notice_id, "platform_id": platform_id, "keys": list(chunk)})
            for chunk in (keys[i : i + CHUNK] for i in range(0, len(keys), CHUNK))
        ]
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
        return len(bodies)
