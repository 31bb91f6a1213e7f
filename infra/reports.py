"""The scheduled compliance reports: the bucket they are published to, the workflow that
brings the report log's month summaries up to date and publishes them, the functions it
runs and the schedule that starts it, and their roles."""

from __future__ import annotations

from typing import Any

from infra.iam import allow, role
from infra.intrinsics import Template, arn_of, sub
from infra.storage import private_bucket_properties, table_access
from infra.workflows import STATE_MACHINE_TRACES, scheduled, state_machine

# Logical ids Chalice gives the functions of chalicelib/handlers/reports.py.
START_REPORTS_FUNCTION = "StartComplianceReports"
REPORT_TASK_FUNCTIONS = ("UpdateReportSummaries", "PublishComplianceReports")

WORKFLOW = "compliance-report"
STATE_MACHINE = "ComplianceReportStateMachine"
STATE_MACHINE_ROLE = "ComplianceReportStateMachineRole"
BUCKET = "ReportsBucket"
# chalicelib/reports/publication.py's keys: compliance-reports/<half year>/<platform>/.
PUBLISHED_PREFIX = "compliance-reports/"

SUBSTITUTIONS: dict[str, Any] = {
    f"{function}FunctionArn": arn_of(function) for function in REPORT_TASK_FUNCTIONS
}

# Built from the name (as the audit's): the definition names the functions.
STATE_MACHINE_ARN = sub(
    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
    f"${{AWS::StackName}}-{WORKFLOW}"
)

# Reads the counts, log items (BatchGetItem: their sizes), snapshots and summaries;
# writes snapshots and summaries.
_REPORT_LOG = table_access("BatchGetItem", "GetItem", "Query", "PutItem")


def function_permissions() -> dict[str, list[Template]]:
    return {
        START_REPORTS_FUNCTION: [allow(["states:StartExecution"], [STATE_MACHINE_ARN])],
        "UpdateReportSummaries": [_REPORT_LOG],
        "PublishComplianceReports": [
            _REPORT_LOG,
            allow(["s3:PutObject"], [sub(f"${{{BUCKET}.Arn}}/{PUBLISHED_PREFIX}*")]),
        ],
    }


# A publication replaces the day before's: the replaced ones stay this long.
REPLACED_DAYS = 30


def reports_bucket() -> Template:
    return {
        "Type": "AWS::S3::Bucket",
        # What regulators were shown: kept with the stack gone (old versions expire).
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **private_bucket_properties(),
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "expire-replaced-publications",
                        "Status": "Enabled",
                        "NoncurrentVersionExpiration": {"NoncurrentDays": REPLACED_DAYS},
                    }
                ]
            },
        },
    }


def state_machine_role() -> Template:
    """Invokes the two tasks."""
    return role(
        "states.amazonaws.com",
        [
            allow(
                ["lambda:InvokeFunction"],
                [arn_of(function) for function in REPORT_TASK_FUNCTIONS],
            ),
            STATE_MACHINE_TRACES,
        ],
    )


def resources() -> dict[str, Template]:
    return {
        BUCKET: reports_bucket(),
        STATE_MACHINE: state_machine(WORKFLOW, STATE_MACHINE_ROLE, SUBSTITUTIONS),
        STATE_MACHINE_ROLE: state_machine_role(),
    }


# The first run after the log fills folds every month (~1 min CPU at 100,000 notices x 3
# platforms a year, bench.reports); later runs bring a few months up to date in seconds.
REPORT_TASK_MEMORY_MB = 2048
REPORT_TASK_TIMEOUT_SECONDS = 900


def function_overrides() -> dict[str, Template]:
    """The report schedule of the stage (StageSettings ReportSchedule), not Chalice's
    rate; memory and time for the tasks that fold the log."""
    sized = {"MemorySize": REPORT_TASK_MEMORY_MB, "Timeout": REPORT_TASK_TIMEOUT_SECONDS}
    return {
        **{function: {"Properties": sized} for function in REPORT_TASK_FUNCTIONS},
        START_REPORTS_FUNCTION: scheduled(START_REPORTS_FUNCTION, "ReportSchedule"),
    }
