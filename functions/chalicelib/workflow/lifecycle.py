"""Starting a notice's lifecycle workflow, exactly once per notice version."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.notices.versions import CurrentState
from chalicelib.stores import aws_clients


def execution_name(notice: CurrentState, extension: str | None = None) -> str:
    """Deterministic, so a retried start finds the execution it already started: one per
    version, and one per platform the version was extended to."""
    name = f"{notice.notice_id}-v{notice.version}"
    return f"{name}-ext-{extension}" if extension else name


class LifecycleStarter:
    def __init__(self, state_machine_arn: str) -> None:
        self._arn = state_machine_arn
        self._sfn = aws_clients.stepfunctions()

    def start(self, notice: CurrentState) -> str:
        """Start the lifecycle for this version and return the execution ARN.

        Standard workflows are idempotent by name for the same input; an execution that
        already exists under the name is the one we started before, so it is returned.
        """
        return self._start(notice, None, {})

    def start_extension(self, notice: CurrentState, platform_id: str) -> str:
        """Start the dispatch of this version to ``platform_id``, a platform the notice
        was extended to (the workflow's ``IsExtension`` branch); the execution ARN."""
        return self._start(notice, platform_id, {"extension": {"platform_id": platform_id}})

    def _start(self, notice: CurrentState, extension: str | None, extra: dict[str, Any]) -> str:
        name = execution_name(notice, extension)
        payload = json.dumps(
            {
                "notice_id": notice.notice_id,
                "version": notice.version,
                "regulator_id": notice.regulator_id,
                "status": notice.status.value,
                **extra,
            },
            sort_keys=True,
        )
        try:
            self._sfn.start_execution(stateMachineArn=self._arn, name=name, input=payload)
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ExecutionAlreadyExists":
                raise
        return self.execution_arn(notice, extension)

    def execution_arn(self, notice: CurrentState, extension: str | None = None) -> str:
        # Execution ARNs are the state machine ARN with the resource type swapped.
        name = execution_name(notice, extension)
        return self._arn.replace(":stateMachine:", ":execution:", 1) + f":{name}"


# Errors Step Functions answers for a token whose task already ended: a second resume of
# the same wait is then harmless, which is what makes callbacks safe to repeat.
_ENDED_TOKEN_ERRORS = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}


class TaskTokens:
    """Resume or fail a workflow wait (``.waitForTaskToken``) by its token."""

    def __init__(self) -> None:
        self._sfn = aws_clients.stepfunctions()

    def succeed(self, token: str, output: dict[str, Any]) -> bool:
        """False when the wait had already ended."""
        return self._call(
            lambda: self._sfn.send_task_success(taskToken=token, output=json.dumps(output))
        )

    def fail(self, token: str, error: str, cause: str) -> bool:
        return self._call(
            lambda: self._sfn.send_task_failure(taskToken=token, error=error, cause=cause)
        )

    @staticmethod
    def _call(send: Callable[[], object]) -> bool:
        try:
            send()
        except ClientError as exc:
            if exc.response["Error"]["Code"] in _ENDED_TOKEN_ERRORS:
                return False
            raise
        return True
