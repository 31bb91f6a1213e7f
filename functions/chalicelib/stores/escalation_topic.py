"""Publishing to the escalation topic regulators (and on-call) subscribe to.

One topic for the deployment; each message carries ``regulator_id`` and ``event_type``
as message attributes, so a regulator subscribes with a filter policy on its own id.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.stores import aws_clients


class EscalationTopic:
    def __init__(self, topic_arn: str) -> None:
        self._arn = topic_arn
        self._sns = aws_clients.sns()

    def publish(
        self, regulator_id: str, event_type: str, subject: str, body: dict[str, Any]
    ) -> str:
        response = self._sns.publish(
            TopicArn=self._arn,
            Subject=subject[:100],  # SNS limit
            Message=json.dumps(body, ensure_ascii=False, sort_keys=True),
            MessageAttributes={
                "regulator_id": {"DataType": "String", "StringValue": regulator_id},
                "event_type": {"DataType": "String", "StringValue": event_type},
            },
        )
        return response["MessageId"]
