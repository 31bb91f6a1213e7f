"""Policy builders: roles, statements, and the grants every function needs.

Each capability module keeps a role table (``function_permissions()``: function ->
statements); ``infra/stack.py`` turns the tables into one least-privilege role per function.
"""

from __future__ import annotations

from typing import Any

from infra.intrinsics import Template


def role(service: str, statements: list[Template]) -> Template:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": "least-privilege",
                    "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
                }
            ],
        },
    }


def allow(actions: list[str], resources: list[Any]) -> Template:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


# "*" because naming the log group would need the function's name, and the function
# needs this role first (a cycle). No logs:CreateLogGroup: the stack creates each log
# group with its retention (observability.function_log_groups); a function creating it
# first would make the stack fail and leave logs kept forever.
_LOGS_AND_TRACES = [
    allow(["logs:CreateLogStream", "logs:PutLogEvents"], ["*"]),
    allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"]),
]


# Step Functions' task-token calls cannot be scoped to a resource (the token names the
# execution), so they are the one "*" outside logs and traces.
def task_tokens(*actions: str) -> Template:
    return allow([f"states:{action}" for action in actions], ["*"])


def function_roles(permissions: dict[str, list[Template]]) -> dict[str, Template]:
    """One role per function, allowing only what that function touches (and its logs)."""
    return {
        f"{function}Role": role("lambda.amazonaws.com", [*_LOGS_AND_TRACES, *statements])
        for function, statements in permissions.items()
    }
