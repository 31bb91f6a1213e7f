"""Starting a notice's lifecycle workflow, exactly once per notice version."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from chalicelib.stores import aws_clients
from chalicelib.stores.notices_table import CurrentState


def execution_name(notice: CurrentState) -> str:
    """Deterministic, so a retried start finds the execution it already started."""
    return f"{notice.notice_id}-v{notice.version}"


class LifecycleStarter:
    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn
        self._sfn = aws_clients.stepfunctions()

    def start(self, notice: CurrentState) -> str:
        """Start the lifecycle for this version and return the execution ARN.

        Standard workflows are idempotent by name for the same input; an execution that
        already exists under the name is the one we started before, so it is returned.
        """
        name = execution_name(notice)
        payload = json.dumps(
            {
                "notice_id": notice.notice_id,
                "version": notice.version,
                "regulator_id": notice.regulator_id,
                "status": notice.status.value,
            },
            sort_keys=True,
        )
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=payload)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
        return self.execution_arn(notice)

    def execution_arn(self, notice: CurrentState) -> str:
        # Execution ARNs are the state machine ARN with the resource type swapped.
        name = execution_name(notice)
        return self._arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"
