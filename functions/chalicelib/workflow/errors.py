"""The error names the lifecycle workflow (workflows/notice-lifecycle.asl.json) matches on.

Step Functions matches errors by name (``ErrorEquals``), and they reach it two ways:

- a task's handler raises: the Lambda function error is named after the exception's
  class (``UnknownDispatch``, ``WebhookRejected``, ...). The classes stay with the code
  that raises them; what a handler may raise and its state does not catch is listed in
  ``DELIBERATELY_FATAL`` below.
- a wait is ended with SendTaskFailure and one of the ``CALLBACK_ERRORS``.

tests/unit/test_workflow_errors.py checks the definition against the code both ways.
"""

from __future__ import annotations

# SendTaskFailure errors that end a platform wait (the Await* states catch them).
NOTICE_SUPERSEDED_ERROR = "NoticeSuperseded"  # a newer version was planned
NOTICE_WITHDRAWN_ERROR = "NoticeWithdrawn"  # the notice was withdrawn
DEADLINE_MISSED_ERROR = "DeadlineMissed"  # the deadline check found the wait overdue
CALLBACK_ERRORS = frozenset(
    {NOTICE_SUPERSEDED_ERROR, NOTICE_WITHDRAWN_ERROR, DEADLINE_MISSED_ERROR}
)

_DISPATCH_GONE = (
    "PlanDispatch stored this dispatch before the execution reached the task; gone now "
    "means stored data was lost or the platform removed mid-flight, which no retry "
    "mends: the execution fails and its ExecutionsFailed alarm tells an operator"
)

# (Lambda function, error) -> why the execution should fail rather than catch it. The
# errors a task's handler raises on purpose that no Catch of its state names.
DELIBERATELY_FATAL: dict[tuple[str, str], str] = {
    ("PlanDispatch", "UnknownNoticeVersion"): (
        "RecordReceived has just read this version (a missing version ends there, by "
        "name); missing by PlanDispatch means stored data was lost: the execution fails "
        "and its ExecutionsFailed alarm tells an operator"
    ),
    ("PushWebhook", "UnknownDispatch"): _DISPATCH_GONE,
    ("PushWebhook", "SigningSecretNotFound"): (
        "the platform names a signing secret Secrets Manager does not hold (a registry "
        "mistake: `psx platforms add` stores both): never deliver unsigned; the "
        "execution fails and its ExecutionsFailed alarm tells an operator"
    ),
    ("FallBackToInbox", "UnknownDispatch"): _DISPATCH_GONE,
    ("OpenWait", "UnknownDispatch"): _DISPATCH_GONE,
    ("Escalate", "UnknownDispatch"): _DISPATCH_GONE,
    ("HandOff", "UnknownDispatch"): _DISPATCH_GONE,
}

# Errors any task may raise that no state catches, and why.
FATAL_IN_EVERY_TASK: dict[str, str] = {
    "SettingsError": (
        "a function deployed without its settings can do nothing until it is redeployed: "
        "the execution fails and the function's Errors alarm tells an operator"
    ),
}

# (wait state, callback error) -> why that wait never receives it, so needs no Catch.
NEVER_SENT: dict[tuple[str, str], str] = {
    ("AwaitLateAcknowledgement", DEADLINE_MISSED_ERROR): (
        "a late wait has no deadline (open_wait stores none), so the deadline check never fails it"
    ),
    ("AwaitLateActionReport", DEADLINE_MISSED_ERROR): (
        "a late wait has no deadline (open_wait stores none), so the deadline check never fails it"
    ),
    ("AwaitLateNotification", DEADLINE_MISSED_ERROR): (
        "a late wait has no deadline (open_wait stores none), so the deadline check never fails it"
    ),
}
