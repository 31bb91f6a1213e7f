"""The synthesized template (build/dev/sam.json): lint, encryption, wiring, alarms."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]

from infra import api, intake, lifecycle, notification, reports, stack, stages, verification
from tests.infra.cfn import as_list, get_att_target, of_type

# Written out by hand on purpose: a generator bug must not hide an alarm.
EXPECTED_ALARMS = {
    "IntakeDeadLetterQueueNotEmptyAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    "NotificationDeadLetterQueueNotEmptyAlarm": ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    "AffectedPartiesUploadDeadLetterQueueNotEmptyAlarm": (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    ),
    "NoticeLifecycleStateMachineExecutionsFailedAlarm": ("AWS/States", "ExecutionsFailed"),
    "ComplianceAuditStateMachineExecutionsFailedAlarm": ("AWS/States", "ExecutionsFailed"),
    "ComplianceReportStateMachineExecutionsFailedAlarm": ("AWS/States", "ExecutionsFailed"),
    "RestAPIServerErrorsAlarm": ("AWS/ApiGateway", "5XXError"),
} | {
    f"{function}{metric}sAlarm": ("AWS/Lambda", f"{metric}s")
    for function in stack.CHALICE_FUNCTIONS
    for metric in ("Error", "Throttle")
}

# Valid values of AWS::Logs::LogGroup RetentionInDays.
LOG_RETENTION_DAYS = {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731}
LOG_RETENTION_DAYS |= {1096, 1827, 2192, 2557, 2922, 3288, 3653}


def test_template_lints_clean(template_file: Path) -> None:
    matches = lint_file(template_file, ManualArgs(regions=["us-east-1"]))
    assert [str(match) for match in matches] == []


def test_functions_are_the_ones_infra_expects(resources: dict[str, Any]) -> None:
    functions = of_type(resources, "AWS::Serverless::Function")
    assert set(functions) == set(stack.CHALICE_FUNCTIONS)
    for name, function in functions.items():
        assert function["Properties"]["Role"] == {"Fn::GetAtt": [f"{name}Role", "Arn"]}


# -- encryption and public access -----------------------------------------------------------


def test_every_table_is_encrypted(resources: dict[str, Any]) -> None:
    tables = of_type(resources, "AWS::DynamoDB::Table")
    assert tables
    for table in tables.values():
        assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True


def test_contacts_are_under_their_own_key_and_expire(resources: dict[str, Any]) -> None:
    key = {"Ref": "NotificationKey"}
    table = resources["NotificationTable"]["Properties"]
    assert table["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": key,
    }
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    for queue in ("NotificationQueue", "NotificationDeadLetterQueue"):
        assert resources[queue]["Properties"]["KmsMasterKeyId"] == key
    assert resources["NotificationKey"]["Properties"]["EnableKeyRotation"] is True


def test_notify_function_polls_its_queue_with_partial_batches(resources: dict[str, Any]) -> None:
    events = resources[notification.NOTIFY_FUNCTION]["Properties"]["Events"]
    (sqs_event,) = [e for e in events.values() if e["Type"] == "SQS"]
    assert sqs_event["Properties"]["Queue"] == {"Fn::GetAtt": ["NotificationQueue", "Arn"]}
    assert sqs_event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_every_bucket_is_encrypted_versioned_and_private(resources: dict[str, Any]) -> None:
    buckets = of_type(resources, "AWS::S3::Bucket")
    assert set(buckets) == {
        "IntakeBucket",
        "EvidenceBucket",
        "CatalogueBucket",
        "AffectedPartiesBucket",
        "ReportsBucket",
    }
    for bucket in buckets.values():
        properties = bucket["Properties"]
        rules = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules and all(r["ServerSideEncryptionByDefault"]["SSEAlgorithm"] for r in rules)
        assert properties["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
        assert bucket["DeletionPolicy"] == "Retain"


def test_evidence_bucket_locks_objects(resources: dict[str, Any]) -> None:
    properties = resources["EvidenceBucket"]["Properties"]
    assert properties["ObjectLockEnabled"] is True
    assert properties["ObjectLockConfiguration"]["ObjectLockEnabled"] == "Enabled"


def test_every_queue_is_encrypted(resources: dict[str, Any]) -> None:
    queues = of_type(resources, "AWS::SQS::Queue")
    assert queues
    for queue in queues.values():
        properties = queue["Properties"]
        assert properties.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in properties


def test_every_topic_is_encrypted(resources: dict[str, Any]) -> None:
    topics = of_type(resources, "AWS::SNS::Topic")
    assert set(topics) == {"EscalationTopic", "AlarmTopic"}
    for topic in topics.values():
        assert topic["Properties"]["KmsMasterKeyId"]
    assert resources["EscalationTopic"]["Properties"]["KmsMasterKeyId"] == "alias/aws/sns"


def test_alarm_topic_key_lets_cloudwatch_encrypt(resources: dict[str, Any]) -> None:
    # CloudWatch cannot use the AWS managed alias/aws/sns key: the alarm topic has its own.
    assert resources["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    key = resources["AlarmTopicKey"]["Properties"]
    assert key["EnableKeyRotation"] is True
    statements = key["KeyPolicy"]["Statement"]
    cloudwatch = [
        s for s in statements if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert len(cloudwatch) == 1
    assert set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}


# -- queues ---------------------------------------------------------------------------------


def _dead_letter_queues(resources: dict[str, Any]) -> set[str]:
    return {
        get_att_target(q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"])
        for q in of_type(resources, "AWS::SQS::Queue").values()
        if "RedrivePolicy" in q["Properties"]
    }


def test_every_queue_but_a_dead_letter_queue_redrives_to_one(resources: dict[str, Any]) -> None:
    queues = of_type(resources, "AWS::SQS::Queue")
    dead_letter_queues = _dead_letter_queues(resources)
    assert dead_letter_queues == {
        "IntakeDeadLetterQueue",
        "NotificationDeadLetterQueue",
        "AffectedPartiesUploadDeadLetterQueue",
    }
    for name, queue in queues.items():
        if name in dead_letter_queues:
            assert "RedrivePolicy" not in queue["Properties"], f"{name} is a DLQ with a DLQ"
            # Messages must outlive their stay in the source queue (default 4 days).
            assert queue["Properties"]["MessageRetentionPeriod"] == 14 * 24 * 3600
            continue
        redrive = queue["Properties"]["RedrivePolicy"]
        assert get_att_target(redrive["deadLetterTargetArn"]) in dead_letter_queues
        assert 1 < redrive["maxReceiveCount"] <= 10


def test_intake_function_polls_the_intake_queue_with_partial_batches(
    resources: dict[str, Any],
) -> None:
    events = resources[intake.INTAKE_FUNCTION]["Properties"]["Events"]
    sqs_events = [e for e in events.values() if e["Type"] == "SQS"]
    assert len(sqs_events) == 1
    properties = sqs_events[0]["Properties"]
    assert properties["Queue"] == {"Fn::GetAtt": ["IntakeQueue", "Arn"]}
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # Lambda's floor is 2; more would outrun Step Functions' StartExecution refill.
    assert properties["ScalingConfig"] == {"MaximumConcurrency": intake.INTAKE_MAX_CONCURRENCY}
    assert intake.INTAKE_MAX_CONCURRENCY == 2


def test_every_sqs_event_source_reports_partial_batches_and_fits_the_queue(
    resources: dict[str, Any],
) -> None:
    functions = of_type(resources, "AWS::Serverless::Function")
    for name, function in functions.items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] != "SQS":
                continue
            assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
            queue = resources[get_att_target(event["Properties"]["Queue"])]
            # AWS's advice: visibility timeout at least six times the function timeout.
            assert (
                queue["Properties"]["VisibilityTimeout"] >= 6 * function["Properties"]["Timeout"]
            ), name


# -- state machines -------------------------------------------------------------------------


def test_state_machine_substitutions_name_the_right_functions(resources: dict[str, Any]) -> None:
    machines = of_type(resources, "AWS::StepFunctions::StateMachine")
    assert set(machines) == {
        "NoticeLifecycleStateMachine",
        "ComplianceAuditStateMachine",
        "ComplianceReportStateMachine",
    }
    text, substitutions = machines["NoticeLifecycleStateMachine"]["Properties"]["DefinitionString"][
        "Fn::Sub"
    ]
    assert substitutions == {
        f"{function}FunctionArn": {"Fn::GetAtt": [function, "Arn"]}
        for function in lifecycle.LIFECYCLE_TASK_FUNCTIONS
    }
    definition = json.loads(text)
    assert definition["States"]["RecordReceived"]["Parameters"]["FunctionName"] == (
        "${RecordReceivedFunctionArn}"
    )
    dispatch = definition["States"]["DispatchToPlatforms"]["ItemProcessor"]["States"]
    assert dispatch["PushWebhook"]["Parameters"]["FunctionName"] == "${PushWebhookFunctionArn}"
    assert dispatch["AwaitAcknowledgement"]["Resource"].endswith("lambda:invoke.waitForTaskToken")
    text, substitutions = machines["ComplianceAuditStateMachine"]["Properties"]["DefinitionString"][
        "Fn::Sub"
    ]
    assert substitutions == {
        f"{function}FunctionArn": {"Fn::GetAtt": [function, "Arn"]}
        for function in verification.AUDIT_TASK_FUNCTIONS
    }
    parts = json.loads(text)["States"]["MatchParts"]
    assert parts["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
    match = parts["ItemProcessor"]["States"]["MatchPart"]
    assert match["Parameters"]["FunctionName"] == "${MatchCataloguePartFunctionArn}"
    text, substitutions = machines["ComplianceReportStateMachine"]["Properties"][
        "DefinitionString"
    ]["Fn::Sub"]
    assert substitutions == {
        f"{function}FunctionArn": {"Fn::GetAtt": [function, "Arn"]}
        for function in reports.REPORT_TASK_FUNCTIONS
    }
    states = json.loads(text)["States"]
    assert [states[name]["Parameters"]["FunctionName"] for name in states] == [
        "${UpdateReportSummariesFunctionArn}",
        "${PublishComplianceReportsFunctionArn}",
    ]


def test_state_machine_role_invokes_exactly_the_substituted_functions(
    resources: dict[str, Any],
) -> None:
    for machine in of_type(resources, "AWS::StepFunctions::StateMachine").values():
        _, substitutions = machine["Properties"]["DefinitionString"]["Fn::Sub"]
        functions = {
            get_att_target(v)
            for v in substitutions.values()
            if get_att_target(v) in stack.CHALICE_FUNCTIONS
        }
        role = resources[get_att_target(machine["Properties"]["RoleArn"])]
        invokable = {
            get_att_target(resource)
            for statement in role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            if "lambda:InvokeFunction" in as_list(statement["Action"])
            for resource in as_list(statement["Resource"])
        }
        assert invokable == functions


# -- alarms and logs ------------------------------------------------------------------------


@pytest.mark.parametrize("alarm_id", sorted(EXPECTED_ALARMS))
def test_alarm_exists_and_notifies_the_alarm_topic(
    resources: dict[str, Any], alarm_id: str
) -> None:
    alarm = resources[alarm_id]
    assert alarm["Type"] == "AWS::CloudWatch::Alarm"
    properties = alarm["Properties"]
    assert (properties["Namespace"], properties["MetricName"]) == EXPECTED_ALARMS[alarm_id]
    assert properties["AlarmActions"] == [{"Ref": "AlarmTopic"}]
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["Threshold"] == 0
    for dimension in properties["Dimensions"]:
        target = dimension["Value"]
        if isinstance(target, dict) and ("Ref" in target or "Fn::GetAtt" in target):
            name = target.get("Ref") or get_att_target(target)
            assert name == "AWS::StackName" or name in resources, f"{alarm_id}: {name}"


def test_no_alarm_beyond_the_listed_ones(resources: dict[str, Any]) -> None:
    assert set(of_type(resources, "AWS::CloudWatch::Alarm")) == set(EXPECTED_ALARMS)


def test_api_alarm_watches_the_chalice_stage_of_this_stack(resources: dict[str, Any]) -> None:
    api = resources["RestAPI"]["Properties"]
    dimensions = {
        d["Name"]: d["Value"]
        for d in resources["RestAPIServerErrorsAlarm"]["Properties"]["Dimensions"]
    }
    assert dimensions == {"ApiName": api["Name"], "Stage": api["StageName"]}
    assert api["Name"] == {"Ref": "AWS::StackName"}
    assert api["DefinitionBody"]["info"]["title"] == api["Name"]


def test_every_answer_of_the_gateway_itself_is_a_problem(resources: dict[str, Any]) -> None:
    body = resources["RestAPI"]["Properties"]["DefinitionBody"]
    responses = body["x-amazon-apigateway-gateway-responses"]

    # No key, a refused key, an unknown path; and every other 4xx and 5xx it answers.
    assert {"UNAUTHORIZED", "ACCESS_DENIED", "MISSING_AUTHENTICATION_TOKEN"} < set(responses)
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} < set(responses)
    for response in responses.values():
        content_type = response["responseParameters"]["gatewayresponse.header.Content-Type"]
        assert content_type == "'application/problem+json'"
        template = response["responseTemplates"]["application/json"]
        # What API Gateway sends, once it has put in its message (a quoted JSON string).
        problem = json.loads(template.replace("$context.error.messageString", '"Too Many"'))
        assert problem["type"].startswith("urn:psx:problem:") and problem["title"]
        assert response.get("statusCode", problem.get("status")) == problem.get("status")


@pytest.mark.parametrize("function", stack.CHALICE_FUNCTIONS)
def test_every_function_has_a_log_group_with_the_stage_retention(
    resources: dict[str, Any], function: str
) -> None:
    log_group = resources[f"{function}LogGroup"]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    properties = log_group["Properties"]
    assert properties["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{{function}}}"}
    assert properties["RetentionInDays"] == {
        "Fn::FindInMap": ["StageSettings", {"Ref": "Stage"}, "LogRetentionDays"]
    }


def test_stage_settings_cover_every_stage(template: dict[str, Any]) -> None:
    assert template["Parameters"]["Stage"]["AllowedValues"] == ["dev", "prod"]
    assert "Default" not in template["Parameters"]["Stage"], "the stage must be chosen"
    settings = template["Mappings"]["StageSettings"]
    assert set(settings) == {"dev", "prod"}
    for values in settings.values():
        assert values["LogRetentionDays"] in LOG_RETENTION_DAYS
    assert settings["prod"]["LogRetentionDays"] >= 365


def test_chalice_stages_are_the_template_stages() -> None:
    config = json.loads(api.CHALICE_CONFIG.read_text(encoding="utf-8"))
    assert set(config["stages"]) == set(stages.STAGES)
