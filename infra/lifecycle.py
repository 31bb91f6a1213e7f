"""The notice lifecycle: its state machine, the functions it runs (and the deadline check
that ends its waits), their roles, and the topic escalations go to.
"""

from __future__ import annotations

from typing import Any

from infra.iam import allow, role, task_tokens
from infra.intrinsics import Template, arn_of, ref, sub
from infra.notification import OPEN_WAIT_PERMISSIONS, PLAN_PERMISSIONS
from infra.storage import KEEP_EVIDENCE, TABLE_INDEX_QUERIES, table_access
from infra.workflows import STATE_MACHINE_TRACES, state_machine

# Logical ids Chalice gives the functions of functions/app.py (CamelCase of their names).
RECORD_RECEIVED_FUNCTION = "RecordReceived"
ENFORCE_DEADLINES_FUNCTION = "EnforceDeadlines"
# The lifecycle workflow's Lambda tasks, in the order the workflow reaches them.
LIFECYCLE_TASK_FUNCTIONS = (
    RECORD_RECEIVED_FUNCTION,
    "PlanDispatch",
    "PushWebhook",
    "FallBackToInbox",
    "OpenWait",
    "Escalate",
    "HandOff",
)

WORKFLOW = "notice-lifecycle"
STATE_MACHINE = "NoticeLifecycleStateMachine"
STATE_MACHINE_ROLE = "NoticeLifecycleStateMachineRole"

# The ${Placeholder}s of workflows/notice-lifecycle.asl.json and what they stand for.
SUBSTITUTIONS: dict[str, Any] = {
    f"{function}FunctionArn": arn_of(function) for function in LIFECYCLE_TASK_FUNCTIONS
}

# Built from the name rather than Ref'd: the state machine's definition names the
# functions, so a Ref back from their environment would be a dependency cycle.
STATE_MACHINE_ARN = sub(
    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
    f"${{AWS::StackName}}-{WORKFLOW}"
)

# Where `psx platforms add` keeps each platform's webhook signing secrets.
SIGNING_SECRETS_ARN = sub(
    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
    "psx/${AWS::StackName}/webhook-signing/*"
)

_PUBLISH_ESCALATIONS = allow(["sns:Publish"], [ref("EscalationTopic")])


def function_permissions() -> dict[str, list[Template]]:
    """What each lifecycle function touches, beyond writing its logs and traces."""
    return {
        RECORD_RECEIVED_FUNCTION: [table_access("GetItem", "PutItem", "UpdateItem")],
        # Reads the notice and its dispatches, lists the platforms (GSI1, then
        # BatchGetItem), stores the new dispatches, fails older versions' waits.
        "PlanDispatch": [
            table_access("BatchGetItem", "GetItem", "Query", "PutItem", "UpdateItem"),
            TABLE_INDEX_QUERIES,
            task_tokens("SendTaskFailure"),
            *PLAN_PERMISSIONS,
        ],
        "PushWebhook": [
            table_access("GetItem", "PutItem", "UpdateItem"),
            allow(["secretsmanager:GetSecretValue"], [SIGNING_SECRETS_ARN]),
            KEEP_EVIDENCE,
        ],
        "FallBackToInbox": [
            table_access("GetItem", "PutItem", "UpdateItem"),
            _PUBLISH_ESCALATIONS,
        ],
        "OpenWait": [
            table_access("GetItem", "PutItem", "UpdateItem"),
            task_tokens("SendTaskSuccess", "SendTaskFailure"),
            *OPEN_WAIT_PERMISSIONS,
        ],
        # UpdateItem: the breach is also kept in the report log (stores/report_log.py).
        "Escalate": [table_access("GetItem", "PutItem", "UpdateItem"), _PUBLISH_ESCALATIONS],
        "HandOff": [table_access("GetItem", "PutItem", "UpdateItem")],
        # Finds the open waits past their deadline (GSI2) and fails them.
        ENFORCE_DEADLINES_FUNCTION: [
            table_access("GetItem", "UpdateItem"),
            TABLE_INDEX_QUERIES,
            task_tokens("SendTaskFailure"),
        ],
    }


def state_machine_role() -> Template:
    """Invokes exactly the functions the definition names."""
    return role(
        "states.amazonaws.com",
        [
            allow(
                ["lambda:InvokeFunction"],
                [arn_of(function) for function in LIFECYCLE_TASK_FUNCTIONS],
            ),
            STATE_MACHINE_TRACES,
        ],
    )


def escalation_topic() -> Template:
    """Escalations of overdue notices; encrypted with the AWS managed key for SNS."""
    return {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}}


def resources() -> dict[str, Template]:
    return {
        "EscalationTopic": escalation_topic(),
        STATE_MACHINE: state_machine(WORKFLOW, STATE_MACHINE_ROLE, SUBSTITUTIONS),
        STATE_MACHINE_ROLE: state_machine_role(),
    }
