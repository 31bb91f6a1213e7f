"""``python -m tests.support.parked_executions N [--cooperative] [--idle-seconds S]``: N
executions of a
Map over three ``.waitForTaskToken`` Lambda tasks parked in moto's Step Functions
interpreter (the lifecycle's shape: one callback per platform), in a process of its
own because gevent's patching (psx/embedded/cooperative.py) cannot be undone.

Prints JSON: the callbacks waiting, the process's OS threads while they wait, the CPU
seconds from the first start to the last callback waiting (and with
``--idle-seconds`` its CPU over that many seconds of waiting and its resident memory),
and the executions' statuses once every token was answered.
"""

from __future__ import annotations

import sys

from psx.embedded.cooperative import make_threads_cooperative, threads_are_greenlets

if "--cooperative" in sys.argv:  # before moto binds threading's originals
    make_threads_cooperative()

import json
import time
from pathlib import Path
from typing import Any

import boto3

from psx.embedded.moto_seam import FunctionRegistry, embedded_aws

PLATFORMS = 3
ROLE_POLICY = json.dumps({"Version": "2012-10-17", "Statement": []})


def _definition(function_arn: str) -> dict[str, Any]:
    wait = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": function_arn, "Payload": {"token.$": "$$.Task.Token"}},
        "End": True,
    }
    return {
        "StartAt": "EachPlatform",
        "States": {
            "EachPlatform": {
                "Type": "Map",
                "ItemsPath": "$.platforms",
                "ItemProcessor": {"StartAt": "Wait", "States": {"Wait": wait}},
                "End": True,
            }
        },
    }


def _function(name: str) -> str:
    role = boto3.client("iam").create_role(RoleName="parked", AssumeRolePolicyDocument=ROLE_POLICY)
    return str(
        boto3.client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.11",
            Role=role["Role"]["Arn"],
            Handler="x.y",
            Code={"ZipFile": b"x"},
        )["FunctionArn"]
    )


def _status(field: str) -> int:
    status = Path("/proc/self/status").read_text()
    return int(
        next(line for line in status.splitlines() if line.startswith(f"{field}:")).split()[1]
    )


def _idle(seconds: float) -> dict[str, Any]:
    if not seconds:
        return {}
    cpu = time.process_time()
    time.sleep(seconds)
    return {
        "idle_cpu_percent_of_one_core": round(100 * (time.process_time() - cpu) / seconds, 2),
        "resident_mb": _status("VmRSS") // 1024,
    }


def _until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 1800
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def main(executions: int, idle_seconds: float) -> None:
    tokens: list[str] = []
    registry = FunctionRegistry()
    registry.register("park", lambda event, context: tokens.append(event["token"]))
    with embedded_aws(registry):
        sfn = boto3.client("stepfunctions")
        machine = sfn.create_state_machine(
            name="parked",
            definition=json.dumps(_definition(_function("park"))),
            roleArn="arn:aws:iam::123456789012:role/sfn",
        )["stateMachineArn"]
        cpu = time.process_time()
        started = [
            sfn.start_execution(
                stateMachineArn=machine,
                name=f"parked-{n}",
                input=json.dumps({"platforms": list(range(PLATFORMS))}),
            )["executionArn"]
            for n in range(executions)
        ]
        _until(lambda: len(tokens) == executions * PLATFORMS, "every callback to wait")
        time.sleep(0.5)  # the tasks settle into their waits
        cpu_to_park = time.process_time() - cpu
        threads_while_waiting = _status("Threads")
        idle = _idle(idle_seconds)
        for token in tokens:
            sfn.send_task_success(taskToken=token, output="{}")

        def statuses() -> list[str]:
            return [sfn.describe_execution(executionArn=arn)["status"] for arn in started]

        _until(lambda: "RUNNING" not in statuses(), "every execution to finish")
        print(
            json.dumps(
                {
                    "callbacks_waiting": len(tokens),
                    "os_threads_while_waiting": threads_while_waiting,
                    "cpu_seconds_to_park": round(cpu_to_park, 2),
                    "statuses": sorted(set(statuses())),
                    # what decides whether each DynamoDB call is a switch point
                    "threads_are_greenlets": threads_are_greenlets(),
                    **idle,
                }
            )
        )


if __name__ == "__main__":
    idle_seconds = (
        float(sys.argv[sys.argv.index("--idle-seconds") + 1])
        if "--idle-seconds" in sys.argv
        else 0.0
    )
    main(int(sys.argv[1]), idle_seconds)
