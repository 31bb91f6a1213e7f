"""Compliance verification: the catalogue bucket platforms deliver snapshots to, the
audit state machine (a Distributed Map over a snapshot's parts), the functions it runs
and the schedule that starts it, and their roles.
"""

from __future__ import annotations

from typing import Any

from infra.iam import allow, role
from infra.intrinsics import Template, arn_of, ref, sub
from infra.storage import private_bucket_properties, table_access
from infra.workflows import STATE_MACHINE_TRACES, scheduled, state_machine

# Logical ids Chalice gives the functions of chalicelib/handlers/verification.py.
START_AUDITS_FUNCTION = "StartComplianceAudits"
AUDIT_TASK_FUNCTIONS = ("PrepareAudit", "MatchCataloguePart", "CheckTakedowns", "StoreFindings")

WORKFLOW = "compliance-audit"
STATE_MACHINE = "ComplianceAuditStateMachine"
STATE_MACHINE_ROLE = "ComplianceAuditStateMachineRole"
BUCKET = "CatalogueBucket"

SUBSTITUTIONS: dict[str, Any] = {
    f"{function}FunctionArn": arn_of(function) for function in AUDIT_TASK_FUNCTIONS
}

# Built from the name (as the lifecycle's): the definition names the functions.
STATE_MACHINE_ARN = sub(
    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
    f"${{AWS::StackName}}-{WORKFLOW}"
)
# A Distributed Map's children are executions of the map run, named under it.
_MAP_RUN_EXECUTIONS = sub(
    "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:"
    f"${{AWS::StackName}}-{WORKFLOW}/*"
)

# How long what the audits keep lives (days): a snapshot is superseded by the next
# (daily), an audit's work files are read once, an index is rebuilt when missing.
SNAPSHOT_DAYS = 30
AUDIT_WORK_DAYS = 30
INDEX_DAYS = 30


def _objects(prefix: str) -> Template:
    return sub(f"${{{BUCKET}.Arn}}/{prefix}*")


_LIST = allow(["s3:ListBucket"], [arn_of(BUCKET)])
_READ_SNAPSHOTS = allow(["s3:GetObject"], [_objects("catalogues/")])
_READ_AUDITS = allow(["s3:GetObject"], [_objects("audits/")])
_WRITE_AUDITS = allow(["s3:PutObject"], [_objects("audits/")])
_READ_INDEXES = allow(["s3:GetObject"], [_objects("notice-index/")])
# A presigned URL carries the signer's permissions: the API signs platforms' uploads.
UPLOAD_SNAPSHOTS = allow(["s3:PutObject"], [_objects("catalogues/")])


def function_permissions() -> dict[str, list[Template]]:
    return {
        # Lists platforms and snapshots, reads manifests and reports, starts audits.
        START_AUDITS_FUNCTION: [
            _LIST,
            _READ_SNAPSHOTS,
            _READ_AUDITS,
            allow(["states:StartExecution"], [STATE_MACHINE_ARN]),
        ],
        # Checks completeness, reads the active notices and their dispatches, builds the
        # index of those watched on the platform once.
        "PrepareAudit": [
            _LIST,
            _READ_SNAPSHOTS,
            _READ_INDEXES,
            allow(["s3:PutObject"], [_objects("notice-index/")]),
            _WRITE_AUDITS,
            table_access("GetItem", "Query"),
        ],
        "MatchCataloguePart": [_READ_SNAPSHOTS, _READ_INDEXES, _WRITE_AUDITS],
        # Reads the active notices, their verification cases and the platform (its
        # listing hosts), writes the live checks; the listing pages are fetched over the
        # function's default internet egress (no VPC), which needs no grant.
        "CheckTakedowns": [_WRITE_AUDITS, table_access("GetItem", "Query")],
        # Reads the parts' results, notices, dispatches and cases; stores findings once,
        # records them (UpdateItem: each recorded event joins the report log, reports/),
        # escalates them, moves the cases on.
        "StoreFindings": [
            _READ_SNAPSHOTS,
            _READ_AUDITS,
            _WRITE_AUDITS,
            table_access("GetItem", "Query", "PutItem", "UpdateItem"),
            allow(["sns:Publish"], [ref("EscalationTopic")]),
        ],
    }


def catalogue_bucket() -> Template:
    def expire(rule_id: str, prefix: str, days: int) -> Template:
        return {
            "Id": rule_id,
            "Status": "Enabled",
            "Prefix": prefix,
            "ExpirationInDays": days,
            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        }

    return {
        "Type": "AWS::S3::Bucket",
        # What a platform delivered is what findings were proven from: never deleted with
        # the stack (the lifecycle rules below expire it).
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **private_bucket_properties(),
            "LifecycleConfiguration": {
                "Rules": [
                    expire("expire-snapshots", "catalogues/", SNAPSHOT_DAYS),
                    expire("expire-audit-work", "audits/", AUDIT_WORK_DAYS),
                    expire("expire-notice-indexes", "notice-index/", INDEX_DAYS),
                    {
                        "Id": "abort-uploads",
                        "Status": "Enabled",
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2},
                    },
                ]
            },
        },
    }


def state_machine_role() -> Template:
    """Invokes the four tasks, reads the Map's items, runs the Map's child executions."""
    return role(
        "states.amazonaws.com",
        [
            allow(
                ["lambda:InvokeFunction"],
                [arn_of(function) for function in AUDIT_TASK_FUNCTIONS],
            ),
            allow(["s3:GetObject"], [_objects("audits/")]),
            allow(["states:StartExecution"], [STATE_MACHINE_ARN]),
            allow(["states:DescribeExecution", "states:StopExecution"], [_MAP_RUN_EXECUTIONS]),
            STATE_MACHINE_TRACES,
        ],
    )


def resources() -> dict[str, Template]:
    return {
        BUCKET: catalogue_bucket(),
        STATE_MACHINE: state_machine(WORKFLOW, STATE_MACHINE_ROLE, SUBSTITUTIONS),
        STATE_MACHINE_ROLE: state_machine_role(),
    }


# A part of 500,000 listings (docs/deploy.md, "Compliance audits at scale") is read,
# parsed and matched in well under a minute with one vCPU (1,769 MB and up); the
# reduce step reads every part's matches. Lambda's ceiling, so a slow part retries
# rather than times out half-way.
AUDIT_TASK_MEMORY_MB = 2048
AUDIT_TASK_TIMEOUT_SECONDS = 900


def function_overrides() -> dict[str, Template]:
    """The audit schedule of the stage (StageSettings AuditSchedule), not Chalice's
    rate; memory and time for the tasks that read whole parts."""
    sized = {"MemorySize": AUDIT_TASK_MEMORY_MB, "Timeout": AUDIT_TASK_TIMEOUT_SECONDS}
    return {
        "MatchCataloguePart": {"Properties": sized},
        # Fetching is waiting, not computing: the time, not the memory.
        "CheckTakedowns": {"Properties": {"Timeout": AUDIT_TASK_TIMEOUT_SECONDS}},
        "StoreFindings": {"Properties": sized},
        START_AUDITS_FUNCTION: scheduled(START_AUDITS_FUNCTION, "AuditSchedule"),
    }
