"""`psx report --publish`: the daily compliance report publication, run now.

It invokes the deployed schedule function as EventBridge does (a scheduled event), asking
for a run of its own (the day's may have run already), on AWS or on `psx serve`, and
waits for the run's workflow to end.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from infra.reports import START_REPORTS_FUNCTION
from infra.stack import function_name_output
from psx.scheduled import scheduled_event
from psx.target import Target, TargetError


def publish_reports(target: Target, at: datetime, wait_seconds: float = 900.0) -> dict[str, Any]:
    """The run's name, status and what it published (its workflow's output)."""
    function_name = target.output_named(function_name_output(START_REPORTS_FUNCTION))
    event = scheduled_event(at) | {"on_demand": True}
    response = target.client("lambda").invoke(
        FunctionName=function_name, Payload=json.dumps(event).encode()
    )
    payload = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        raise TargetError(f"starting the reports failed: {payload.get('errorMessage', payload)}")
    name = payload["started"]
    machine = target.output("PSX_REPORT_STATE_MACHINE_ARN")
    execution_arn = f"{machine.replace(':stateMachine:', ':execution:')}:{name}"
    sfn = target.client("stepfunctions")
    deadline = time.monotonic() + wait_seconds
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            output = json.loads(described.get("output") or "{}")
            return {"run": name, "status": described["status"], **output.get("published", {})}
        time.sleep(0.5)
