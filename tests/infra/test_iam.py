"""Each role allows only what its function (or state machine) touches.

These tests pin each grant, so a grant that grows shows up in review; that every grant a
function needs is there is proven against its recorded calls (tests/support/aws_calls.py,
tests/infra/test_role_calls.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra.cfn import as_list, of_type, policy_statements, referenced_ids

LOGS_AND_TRACES = {
    "logs:CreateLogStream",
    "logs:PutLogEvents",
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
}

# Role -> the exact actions it may take, and the resources its statements may name.

# Writing locked evidence (intake also reads back what a retried delivery finds kept).
EVIDENCE = {"s3:PutObject", "s3:PutObjectRetention"}


def _table(*actions: str) -> set[str]:
    return {f"dynamodb:{action}" for action in actions}


EXPECTED = {
    "IntakeNoticeFilesRole": (
        LOGS_AND_TRACES
        | {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
        | {"s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"}
        | EVIDENCE
        | _table("BatchGetItem", "GetItem", "PutItem", "UpdateItem", "DeleteItem")
        | {"states:StartExecution"},
        {"IntakeQueue", "IntakeBucket", "EvidenceBucket", "NoticesTable"},
    ),
    "RecordReceivedRole": (
        LOGS_AND_TRACES | _table("GetItem", "PutItem", "UpdateItem"),
        {"NoticesTable"},
    ),
    "PlanDispatchRole": (
        LOGS_AND_TRACES
        | _table("BatchGetItem", "GetItem", "Query", "PutItem", "UpdateItem")
        | {"states:SendTaskFailure"}
        | {"sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt"},
        {"NoticesTable", "NotificationQueue", "NotificationKey"},
    ),
    "PushWebhookRole": (
        LOGS_AND_TRACES
        | _table("GetItem", "PutItem", "UpdateItem")
        | {"secretsmanager:GetSecretValue"}
        | EVIDENCE,
        {"NoticesTable", "EvidenceBucket"},
    ),
    "FallBackToInboxRole": (
        LOGS_AND_TRACES | _table("GetItem", "PutItem", "UpdateItem") | {"sns:Publish"},
        {"NoticesTable", "EscalationTopic"},
    ),
    "OpenWaitRole": (
        LOGS_AND_TRACES
        | _table("GetItem", "PutItem", "UpdateItem", "Query")
        | {"states:SendTaskSuccess", "states:SendTaskFailure"},
        {"NoticesTable", "NotificationTable"},
    ),
    "EscalateRole": (
        LOGS_AND_TRACES | _table("GetItem", "PutItem", "UpdateItem") | {"sns:Publish"},
        {"NoticesTable", "EscalationTopic"},
    ),
    "HandOffRole": (LOGS_AND_TRACES | _table("GetItem", "PutItem", "UpdateItem"), {"NoticesTable"}),
    "EnforceDeadlinesRole": (
        LOGS_AND_TRACES | _table("GetItem", "Query", "UpdateItem") | {"states:SendTaskFailure"},
        {"NoticesTable"},
    ),
    "APIHandlerRole": (
        LOGS_AND_TRACES
        | _table(
            "BatchGetItem",
            "GetItem",
            "Query",
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "ConditionCheckItem",
        )
        | {"states:StartExecution", "states:SendTaskSuccess", "secretsmanager:GetSecretValue"}
        | EVIDENCE
        | {"sqs:SendMessage", "kms:GenerateDataKey", "kms:Decrypt", "s3:GetObject"},
        {
            "NoticesTable",
            "EvidenceBucket",
            "CatalogueBucket",
            "NotificationTable",
            "NotificationQueue",
            "NotificationKey",
            "AffectedPartiesBucket",
        },
    ),
    "TakeAffectedPartiesUploadsRole": (
        LOGS_AND_TRACES
        | {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
        | {"s3:GetObject", "s3:PutObject", "sqs:SendMessage"}
        | {"kms:Decrypt", "kms:GenerateDataKey"}
        | _table("BatchGetItem", "GetItem", "Query", "PutItem", "UpdateItem")
        | {"states:SendTaskSuccess"}
        | EVIDENCE,
        {
            "AffectedPartiesUploadQueue",
            "AffectedPartiesBucket",
            "NotificationQueue",
            "NotificationKey",
            "NotificationTable",
            "NoticesTable",
            "EvidenceBucket",
        },
    ),
    "NotifyRecipientsRole": (
        LOGS_AND_TRACES
        | {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
        | {"sqs:SendMessage", "kms:Decrypt", "kms:GenerateDataKey"}
        | _table("BatchGetItem", "GetItem", "Query", "PutItem", "UpdateItem")
        | {"ses:CreateEmailTemplate", "ses:SendBulkEmail", "ses:SendEmail", "sns:Publish"}
        | {"states:SendTaskSuccess", "s3:GetObject"}
        | EVIDENCE,
        {
            "NotificationQueue",
            "NotificationKey",
            "NotificationTable",
            "NoticesTable",
            "EvidenceBucket",
        },
    ),
    "ApiKeyAuthorizerRole": (LOGS_AND_TRACES | _table("GetItem"), {"NoticesTable"}),
    "PullFeedsRole": (
        LOGS_AND_TRACES
        | _table("BatchGetItem", "GetItem", "Query", "UpdateItem")
        | {"s3:PutObject"},
        {"NoticesTable", "IntakeBucket"},
    ),
    "NoticeLifecycleStateMachineRole": (
        {"lambda:InvokeFunction"}
        | {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
        | {"xray:GetSamplingRules", "xray:GetSamplingTargets"},
        {
            "RecordReceived",
            "PlanDispatch",
            "PushWebhook",
            "FallBackToInbox",
            "OpenWait",
            "Escalate",
            "HandOff",
        },
    ),
    # Compliance audits (infra/verification.py).
    "StartComplianceAuditsRole": (
        LOGS_AND_TRACES | {"s3:ListBucket", "s3:GetObject", "states:StartExecution"},
        {"CatalogueBucket"},
    ),
    "PrepareAuditRole": (
        LOGS_AND_TRACES
        | {"s3:ListBucket", "s3:GetObject", "s3:PutObject"}
        | _table("GetItem", "Query"),
        {"CatalogueBucket", "NoticesTable"},
    ),
    "MatchCataloguePartRole": (
        LOGS_AND_TRACES | {"s3:GetObject", "s3:PutObject"},
        {"CatalogueBucket"},
    ),
    "CheckTakedownsRole": (
        LOGS_AND_TRACES | {"s3:PutObject"} | _table("GetItem", "Query"),
        {"CatalogueBucket", "NoticesTable"},
    ),
    "StoreFindingsRole": (
        LOGS_AND_TRACES
        | {"s3:GetObject", "s3:PutObject", "sns:Publish"}
        | _table("GetItem", "Query", "PutItem", "UpdateItem"),
        {"CatalogueBucket", "NoticesTable", "EscalationTopic"},
    ),
    "ComplianceAuditStateMachineRole": (
        {"lambda:InvokeFunction", "s3:GetObject"}
        | {"states:StartExecution", "states:DescribeExecution", "states:StopExecution"}
        | {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
        | {"xray:GetSamplingRules", "xray:GetSamplingTargets"},
        {
            "PrepareAudit",
            "MatchCataloguePart",
            "CheckTakedowns",
            "StoreFindings",
            "CatalogueBucket",
        },
    ),
    # Compliance reports (infra/reports.py).
    "StartComplianceReportsRole": (LOGS_AND_TRACES | {"states:StartExecution"}, set()),
    "UpdateReportSummariesRole": (
        LOGS_AND_TRACES | _table("BatchGetItem", "GetItem", "Query", "PutItem"),
        {"NoticesTable"},
    ),
    "PublishComplianceReportsRole": (
        LOGS_AND_TRACES | {"s3:PutObject"} | _table("BatchGetItem", "GetItem", "Query", "PutItem"),
        {"NoticesTable", "ReportsBucket"},
    ),
    "ComplianceReportStateMachineRole": (
        {"lambda:InvokeFunction"}
        | {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
        | {"xray:GetSamplingRules", "xray:GetSamplingTargets"},
        {"UpdateReportSummaries", "PublishComplianceReports"},
    ),
}

PSEUDO_PARAMETERS = {"AWS::Partition", "AWS::Region", "AWS::AccountId", "AWS::StackName"}


def test_every_role_is_expected(resources: dict[str, Any]) -> None:
    assert set(of_type(resources, "AWS::IAM::Role")) == set(EXPECTED)


@pytest.mark.parametrize("role_id", sorted(EXPECTED))
def test_role_allows_only_its_actions(resources: dict[str, Any], role_id: str) -> None:
    actions = {
        action for s in policy_statements(resources[role_id]) for action in as_list(s["Action"])
    }
    assert actions == EXPECTED[role_id][0]


@pytest.mark.parametrize("role_id", sorted(EXPECTED))
def test_role_names_only_its_resources(resources: dict[str, Any], role_id: str) -> None:
    named = set()
    for statement in policy_statements(resources[role_id]):
        assert statement["Effect"] == "Allow"
        named |= referenced_ids(statement["Resource"])
    assert named - PSEUDO_PARAMETERS == EXPECTED[role_id][1]


@pytest.mark.parametrize("role_id", sorted(EXPECTED))
def test_no_wildcards_but_for_logs_and_traces(resources: dict[str, Any], role_id: str) -> None:
    for statement in policy_statements(resources[role_id]):
        actions = as_list(statement["Action"])
        assert all("*" not in action for action in actions), statement
        if "*" in as_list(statement["Resource"]):
            # Task-token calls cannot be scoped: the token itself names the execution;
            # nor can an SMS, which goes to a phone number, not a topic.
            sms = role_id == "NotifyRecipientsRole" and actions == ["sns:Publish"]
            assert sms or all(
                a.split(":")[0] in {"logs", "xray"} or a.startswith("states:SendTask")
                for a in actions
            ), statement
        assert "NotAction" not in statement
        assert "NotResource" not in statement


def test_record_received_cannot_touch_s3_or_queues(resources: dict[str, Any]) -> None:
    actions = {
        action
        for s in policy_statements(resources["RecordReceivedRole"])
        for action in as_list(s["Action"])
    }
    assert not {a for a in actions if a.split(":")[0] in {"s3", "sqs", "states", "sns"}}


def test_intake_reads_only_incoming_and_writes_only_results(resources: dict[str, Any]) -> None:
    by_action: dict[str, list[Any]] = {}
    for statement in policy_statements(resources["IntakeNoticeFilesRole"]):
        for action in as_list(statement["Action"]):
            by_action.setdefault(action, []).extend(statement["Resource"])
    evidence = {"Fn::Sub": "${EvidenceBucket.Arn}/*"}
    assert by_action["s3:GetObject"] == [{"Fn::Sub": "${IntakeBucket.Arn}/incoming/*"}, evidence]
    assert by_action["s3:PutObject"] == [{"Fn::Sub": "${IntakeBucket.Arn}/results/*"}, evidence]
    assert by_action["s3:PutObjectRetention"] == [evidence]


@pytest.mark.parametrize("role_id", sorted(EXPECTED))
def test_evidence_is_never_deleted_nor_unlocked(resources: dict[str, Any], role_id: str) -> None:
    actions = {
        action for s in policy_statements(resources[role_id]) for action in as_list(s["Action"])
    }
    assert not {a for a in actions if a.startswith("s3:Delete") or "Bypass" in a}


@pytest.mark.parametrize("role_id", sorted(EXPECTED))
def test_only_queries_reach_the_indexes(resources: dict[str, Any], role_id: str) -> None:
    on_indexes = [
        as_list(statement["Action"])
        for statement in policy_statements(resources[role_id])
        if {"Fn::Sub": "${NoticesTable.Arn}/index/*"} in as_list(statement["Resource"])
    ]
    queries = "dynamodb:Query" in EXPECTED[role_id][0]
    # A role that queries may reach the indexes (with Query alone); one that does not, never.
    assert on_indexes in ([["dynamodb:Query"]], []) if queries else on_indexes == []


def test_functions_cannot_create_log_groups(resources: dict[str, Any]) -> None:
    # The stack creates each log group with its retention; see infra/stack.py.
    for role in of_type(resources, "AWS::IAM::Role").values():
        for statement in policy_statements(role):
            assert "logs:CreateLogGroup" not in as_list(statement["Action"])


def test_roles_trust_only_their_service(resources: dict[str, Any]) -> None:
    for role_id, role in of_type(resources, "AWS::IAM::Role").items():
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        service = "states" if role_id.endswith("StateMachineRole") else "lambda"
        assert trust["Principal"] == {"Service": f"{service}.amazonaws.com"}
        assert trust["Action"] == "sts:AssumeRole"
