"""Starting a scheduled workflow's executions, each named for what it does (a compliance
audit: its platform snapshot; the compliance reports: their day), so a second start of
the same work starts nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping

from botocore.exceptions import ClientError

from chalicelib.stores import aws_clients


class WorkflowExecutions:
    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn
        self._sfn = aws_clients.stepfunctions()

    def start(self, name: str, payload: Mapping[str, object]) -> bool:
        """Start the execution ``name``; False when it was started before."""
        try:
            self._sfn.start_execution(
                stateMachineArn=self._arn, name=name, input=json.dumps(payload, sort_keys=True)
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
            return False
        return True
