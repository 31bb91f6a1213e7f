"""`psx audit`: run the scheduled deadline check on demand, at a chosen time.

It invokes the deployed function exactly as EventBridge does (a scheduled event whose
``time`` is the audit time), on AWS or on `psx serve`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from infra.lifecycle import ENFORCE_DEADLINES_FUNCTION
from infra.stack import function_name_output
from psx.scheduled import scheduled_event
from psx.target import Target, TargetError


def run_deadline_check(target: Target, at: datetime) -> dict[str, Any]:
    function_name = target.output_named(function_name_output(ENFORCE_DEADLINES_FUNCTION))
    response = target.client("lambda").invoke(
        FunctionName=function_name, Payload=json.dumps(scheduled_event(at)).encode()
    )
    payload = json.loads(response["Payload"].read())
    if response.get("FunctionError"):
        raise TargetError(f"the deadline check failed: {payload.get('errorMessage', payload)}")
    result: dict[str, Any] = payload
    return result
