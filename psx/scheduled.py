"""EventBridge's scheduled event, built for a chosen time (the injected clock of audits)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


def scheduled_event(at: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }
