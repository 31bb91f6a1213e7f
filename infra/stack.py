"""Every AWS resource of the exchange besides the Chalice app, declared once.

``merge_template()`` is what ``chalice package --merge-template`` merges into the SAM
template Chalice generates for ``functions/app.py`` (see ``infra/build.py``); the
embedded runtime provisions moto from the very same declarations (``psx/embedded``),
so what the tests run against is what AWS gets.

The split (docs/infrastructure.md):

- ``resources()``: what both worlds create -- the exchange itself (table, queues,
  buckets, topics, state machines, roles). moto's CloudFormation creates every one of
  them; they reference only each other, pseudo parameters and the functions' ARNs.
- ``aws_only_resources()``: what only a real account has -- the S3 -> SQS queue policy,
  the functions' log groups, the alarms, the topic they notify and its key. These name
  resources Chalice creates (functions, the REST API), are types moto's CloudFormation
  cannot create, or have nothing to do locally. The embedded runtime never sees them.

The stage (``dev``/``prod``) is the template parameter ``Stage``; what differs by stage
sits in the ``StageSettings`` mapping. The stack name (``psx-<stage>``) carries the stage
into every generated name.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

Template = dict[str, Any]

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS_DIR = ROOT / "workflows"
CHALICE_CONFIG = ROOT / "chalice.json"

# Logical ids Chalice gives the functions of functions/app.py (CamelCase of their names).
INTAKE_FUNCTION = "IntakeNoticeFiles"
RECORD_RECEIVED_FUNCTION = "RecordReceived"
API_FUNCTION = "APIHandler"
# The API key authorizer (`@app.authorizer()` in functions/app.py): its own function.
AUTHORIZER_FUNCTION = "ApiKeyAuthorizer"
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
CHALICE_FUNCTIONS = (
    INTAKE_FUNCTION,
    *LIFECYCLE_TASK_FUNCTIONS,
    ENFORCE_DEADLINES_FUNCTION,
    API_FUNCTION,
    AUTHORIZER_FUNCTION,
)

INTAKE_PREFIX = "incoming/"

# At most this many intake invocations at once (the least Lambda allows). Each one starts
# lifecycles from STORE_WORKERS threads (chalicelib/intake/process.py), ~160 a second;
# two stay inside Step Functions' StartExecution refill of 300 a second (us-east-1; 150
# in smaller regions, where the token bucket absorbs bursts and boto3 retries the rest).
# docs/deploy.md, "Quotas".
INTAKE_MAX_CONCURRENCY = 2

STAGES = ("dev", "prod")

# What differs between stages. Data (table, buckets) is retained in every stage; see
# docs/infrastructure.md for why deletion policies do not vary.
STAGE_SETTINGS: dict[str, dict[str, int]] = {
    # Valid CloudWatch Logs retention periods only (1, 3, 5, 7, 14, 30, ... 731, ...).
    "dev": {"LogRetentionDays": 14},
    "prod": {"LogRetentionDays": 731},
}

# Alarms look at 5-minute periods; one bad period is enough to notify.
ALARM_PERIOD_SECONDS = 300

# moto's CloudFormation (5.2.5) creates these types; resources() holds nothing else.
LOCALLY_CREATABLE_TYPES = frozenset(
    {
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::S3::Bucket",
        "AWS::SNS::Topic",
        "AWS::StepFunctions::StateMachine",
        "AWS::IAM::Role",
    }
)


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


# Chalice names the REST API resource "RestAPI". Without a name of its own the API would
# be named after the Swagger title ("psx") in every stage, and API Gateway's metrics
# (dimension ApiName) of psx-dev and psx-prod would mix in one account.
API_RESOURCE = "RestAPI"
API_NAME = ref("AWS::StackName")


def stage_setting(name: str) -> dict[str, list[Any]]:
    return {"Fn::FindInMap": ["StageSettings", ref("Stage"), name]}


# How long each evidence object is locked (COMPLIANCE mode): five years, leap days
# included. Every write sets its own retention from PSX_EVIDENCE_RETENTION_DAYS; the
# bucket's default is the same, so nothing in it is ever unlocked. docs/evidence.md.
EVIDENCE_RETENTION_DAYS = 1827


# What every function reads from its environment (chalicelib/settings.py), resolved by
# CloudFormation on AWS and from the stack's outputs by the embedded runtime.
FUNCTION_ENVIRONMENT: dict[str, Any] = {
    "PSX_TABLE_NAME": ref("NoticesTable"),
    "PSX_INTAKE_BUCKET": ref("IntakeBucket"),
    "PSX_EVIDENCE_BUCKET": ref("EvidenceBucket"),
    # Built from the name rather than Ref'd: the state machine's definition names the
    # functions, so a Ref back from their environment would be a dependency cycle.
    "PSX_LIFECYCLE_STATE_MACHINE_ARN": sub(
        "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:"
        "${AWS::StackName}-notice-lifecycle"
    ),
    "PSX_ESCALATION_TOPIC_ARN": ref("EscalationTopic"),
    "PSX_EVIDENCE_RETENTION_DAYS": str(EVIDENCE_RETENTION_DAYS),
}

# Where `psx platforms add` keeps each platform's webhook signing secrets.
SIGNING_SECRETS_ARN = sub(
    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
    "psx/${AWS::StackName}/webhook-signing/*"
)

# The ${Placeholder}s of each workflow definition and what they stand for.
WORKFLOW_SUBSTITUTIONS: dict[str, dict[str, Any]] = {
    "notice-lifecycle": {
        f"{function}FunctionArn": arn_of(function) for function in LIFECYCLE_TASK_FUNCTIONS
    },
}


def notices_table() -> Template:
    key_attributes = ["PK", "SK", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK"]
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": name, "AttributeType": "S"} for name in key_attributes
            ],
            "KeySchema": [
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            # GSI1: a regulator's notices, a platform's inbox, the platform list.
            # GSI2 (sparse): platform waits whose deadline is still open.
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": index,
                    "KeySchema": [
                        {"AttributeName": f"{index}PK", "KeyType": "HASH"},
                        {"AttributeName": f"{index}SK", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
                for index in ("GSI1", "GSI2")
            ],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            # Only idempotency records carry "expiration"; notices never expire.
            "TimeToLiveSpecification": {"AttributeName": "expiration", "Enabled": True},
            "SSESpecification": {"SSEEnabled": True},
        },
    }


def _private_bucket_properties() -> Template:
    return {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        },
        "VersioningConfiguration": {"Status": "Enabled"},
    }


def intake_bucket() -> Template:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **_private_bucket_properties(),
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "expire-old-versions",
                        "Status": "Enabled",
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 365},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
                    }
                ]
            },
            "NotificationConfiguration": {
                "QueueConfigurations": [
                    {
                        "Event": "s3:ObjectCreated:*",
                        "Queue": arn_of("IntakeQueue"),
                        "Filter": {
                            "S3Key": {"Rules": [{"Name": "prefix", "Value": INTAKE_PREFIX}]}
                        },
                    }
                ]
            },
        },
    }


def evidence_bucket() -> Template:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **_private_bucket_properties(),
            "ObjectLockEnabled": True,
            "ObjectLockConfiguration": {
                "ObjectLockEnabled": "Enabled",
                "Rule": {
                    "DefaultRetention": {"Mode": "COMPLIANCE", "Days": EVIDENCE_RETENTION_DAYS}
                },
            },
        },
    }


def queue(dead_letter_queue: str, visibility_timeout: int) -> Template:
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "VisibilityTimeout": visibility_timeout,
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {
                "deadLetterTargetArn": arn_of(dead_letter_queue),
                "maxReceiveCount": 5,
            },
        },
    }


def dead_letter_queue() -> Template:
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True},
    }


def intake_queue_policy() -> Template:
    return {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [ref("IntakeQueue")],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "IntakeBucketNotifications",
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": arn_of("IntakeQueue"),
                        "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
                    }
                ],
            },
        },
    }


def workflow_definition(name: str) -> str:
    """The ASL text of ``workflows/<name>.asl.json``, minified, placeholders intact."""
    definition = json.loads((WORKFLOWS_DIR / f"{name}.asl.json").read_text(encoding="utf-8"))
    return json.dumps(definition, separators=(",", ":"))


def state_machine(workflow: str, role: str) -> Template:
    return {
        "Type": "AWS::StepFunctions::StateMachine",
        "Properties": {
            "StateMachineName": sub(f"${{AWS::StackName}}-{workflow}"),
            "StateMachineType": "STANDARD",
            "RoleArn": arn_of(role),
            "DefinitionString": {
                "Fn::Sub": [workflow_definition(workflow), WORKFLOW_SUBSTITUTIONS[workflow]]
            },
            "TracingConfiguration": {"Enabled": True},
        },
    }


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
# group with its retention (function_log_groups); a function creating it first would
# make the stack fail and leave logs kept forever.
_LOGS_AND_TRACES = [
    allow(["logs:CreateLogStream", "logs:PutLogEvents"], ["*"]),
    allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"]),
]


def _dynamodb(*actions: str) -> Template:
    return allow([f"dynamodb:{action}" for action in actions], [arn_of("NoticesTable")])


# Of the table's calls only Query reads an index (GSI1 lists, GSI2 open waits).
_QUERY_INDEXES = allow(["dynamodb:Query"], [sub("${NoticesTable.Arn}/index/*")])


# Step Functions' task-token calls cannot be scoped to a resource (the token names the
# execution), so they are the one "*" outside logs and traces.
def _task_tokens(*actions: str) -> Template:
    return allow([f"states:{action}" for action in actions], ["*"])


_PUBLISH_ESCALATIONS = allow(["sns:Publish"], [ref("EscalationTopic")])

# Writing evidence: a locked object (its retention is part of the write). Never delete.
_EVIDENCE_OBJECTS = sub("${EvidenceBucket.Arn}/*")
_KEEP_EVIDENCE = allow(["s3:PutObject", "s3:PutObjectRetention"], [_EVIDENCE_OBJECTS])


def _function_permissions() -> dict[str, list[Template]]:
    """What each function touches, beyond writing its logs and traces."""
    return {
        INTAKE_FUNCTION: [
            allow(
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                [arn_of("IntakeQueue")],
            ),
            allow(
                ["s3:GetObject", "s3:GetObjectVersion"],
                [sub(f"${{IntakeBucket.Arn}}/{INTAKE_PREFIX}*")],
            ),
            allow(["s3:PutObject"], [sub("${IntakeBucket.Arn}/results/*")]),
            _KEEP_EVIDENCE,
            # A retried delivery finds its file kept already and reads back its checksum
            # (the other writers' keys are unique to each write: an attempt, an answer).
            allow(["s3:GetObject"], [_EVIDENCE_OBJECTS]),
            _dynamodb("BatchGetItem", "GetItem", "PutItem", "UpdateItem", "DeleteItem"),
            allow(
                ["states:StartExecution"],
                [FUNCTION_ENVIRONMENT["PSX_LIFECYCLE_STATE_MACHINE_ARN"]],
            ),
        ],
        RECORD_RECEIVED_FUNCTION: [_dynamodb("GetItem", "PutItem", "UpdateItem")],
        # Reads the notice and its dispatches, lists the platforms (GSI1, then
        # BatchGetItem), stores the new dispatches, fails older versions' waits.
        "PlanDispatch": [
            _dynamodb("BatchGetItem", "GetItem", "Query", "PutItem", "UpdateItem"),
            _QUERY_INDEXES,
            _task_tokens("SendTaskFailure"),
        ],
        "PushWebhook": [
            _dynamodb("GetItem", "PutItem", "UpdateItem"),
            allow(["secretsmanager:GetSecretValue"], [SIGNING_SECRETS_ARN]),
            _KEEP_EVIDENCE,
        ],
        "FallBackToInbox": [_dynamodb("GetItem", "PutItem", "UpdateItem"), _PUBLISH_ESCALATIONS],
        "OpenWait": [
            _dynamodb("GetItem", "PutItem", "UpdateItem"),
            _task_tokens("SendTaskSuccess", "SendTaskFailure"),
        ],
        "Escalate": [_dynamodb("GetItem", "PutItem"), _PUBLISH_ESCALATIONS],
        "HandOff": [_dynamodb("GetItem", "PutItem", "UpdateItem")],
        # Finds the open waits past their deadline (GSI2) and fails them.
        ENFORCE_DEADLINES_FUNCTION: [
            _dynamodb("GetItem", "UpdateItem"),
            _QUERY_INDEXES,
            _task_tokens("SendTaskFailure"),
        ],
        # Reads and writes notices, dispatches, idempotency keys and affected parties;
        # starts the lifecycle of versions it stores (new, amended, withdrawn notices);
        # resumes waits answered through it; signs webhook tests.
        API_FUNCTION: [
            _dynamodb("BatchGetItem", "GetItem", "Query", "PutItem", "UpdateItem", "DeleteItem"),
            _QUERY_INDEXES,
            allow(
                ["states:StartExecution"],
                [FUNCTION_ENVIRONMENT["PSX_LIFECYCLE_STATE_MACHINE_ARN"]],
            ),
            _task_tokens("SendTaskSuccess"),
            allow(["secretsmanager:GetSecretValue"], [SIGNING_SECRETS_ARN]),
            _KEEP_EVIDENCE,
        ],
        # Looks up one API key by its id.
        AUTHORIZER_FUNCTION: [_dynamodb("GetItem")],
    }


def function_roles() -> dict[str, Template]:
    """One role per function, allowing only what that function touches."""
    roles = {
        f"{function}Role": role("lambda.amazonaws.com", [*_LOGS_AND_TRACES, *statements])
        for function, statements in _function_permissions().items()
    }
    roles["NoticeLifecycleStateMachineRole"] = role(
        "states.amazonaws.com",
        [
            allow(
                ["lambda:InvokeFunction"],
                [arn_of(function) for function in LIFECYCLE_TASK_FUNCTIONS],
            ),
            allow(
                [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ],
                ["*"],
            ),
        ],
    )
    return roles


def escalation_topic() -> Template:
    """Escalations of overdue notices; encrypted with the AWS managed key for SNS."""
    return {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}}


def resources() -> dict[str, Template]:
    """The resources both worlds create (AWS through CloudFormation, moto locally)."""
    return {
        "NoticesTable": notices_table(),
        "IntakeQueue": queue("IntakeDeadLetterQueue", visibility_timeout=6 * 300),
        "IntakeDeadLetterQueue": dead_letter_queue(),
        "IntakeBucket": intake_bucket(),
        "EvidenceBucket": evidence_bucket(),
        "EscalationTopic": escalation_topic(),
        "NoticeLifecycleStateMachine": state_machine(
            "notice-lifecycle", "NoticeLifecycleStateMachineRole"
        ),
        **function_roles(),
    }


# -- AWS only ---------------------------------------------------------------------------------


def function_log_groups() -> dict[str, Template]:
    """The log group Lambda writes each function's logs to, with the stage's retention.

    Retained on stack deletion in every stage: the retention period empties them.
    """
    return {
        f"{function}LogGroup": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "LogGroupName": sub(f"/aws/lambda/${{{function}}}"),
                "RetentionInDays": stage_setting("LogRetentionDays"),
            },
        }
        for function in CHALICE_FUNCTIONS
    }


def alarm_topic_key() -> Template:
    """A customer managed key for the alarm topic.

    CloudWatch cannot publish to a topic encrypted with the AWS managed key
    ``alias/aws/sns`` (its key policy cannot be changed to let CloudWatch use it), so the
    alarm topic needs a key whose policy lets CloudWatch encrypt messages.
    """
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Delete",
        "UpdateReplacePolicy": "Delete",
        "Properties": {
            "Description": sub("${AWS::StackName}: encrypts the alarm topic"),
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AccountAdministersKey",
                        "Effect": "Allow",
                        "Principal": {
                            "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
                        },
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        "Sid": "CloudWatchAlarmsEncryptNotifications",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource": "*",
                    },
                ],
            },
        },
    }


def alarm_topic() -> Template:
    return {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": ref("AlarmTopicKey")}}


def alarm(
    description: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, Any],
    statistic: str = "Sum",
) -> Template:
    """Notify the alarm topic when ``metric`` is above zero in any period (and when it recovers)."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": name, "Value": value} for name, value in dimensions.items()],
            "Statistic": statistic,
            "Period": ALARM_PERIOD_SECONDS,
            "EvaluationPeriods": 1,
            "Threshold": 0,
            "ComparisonOperator": "GreaterThanThreshold",
            # No data means nothing ran (or nothing waits in the queue): not a problem.
            "TreatMissingData": "notBreaching",
            "AlarmActions": [ref("AlarmTopic")],
            "OKActions": [ref("AlarmTopic")],
        },
    }


def dead_letter_queues(declared: dict[str, Template]) -> list[str]:
    """Logical ids of the queues some queue's redrive policy sends messages to."""
    return sorted(
        {
            r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
            for r in declared.values()
            if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in r["Properties"]
        }
    )


def state_machines(declared: dict[str, Template]) -> list[str]:
    return sorted(k for k, r in declared.items() if r["Type"] == "AWS::StepFunctions::StateMachine")


def api_gateway_stage() -> str:
    """The API Gateway stage Chalice deploys the REST API to (chalice.json)."""
    config = json.loads(CHALICE_CONFIG.read_text(encoding="utf-8"))
    stage_names: set[str] = {
        str(stage.get("api_gateway_stage", config.get("api_gateway_stage", "api")))
        for stage in config["stages"].values()
    }
    if len(stage_names) != 1:
        # The template is the same for every stage; so must the API Gateway stage be.
        raise ValueError(f"chalice.json stages use different api_gateway_stage: {stage_names}")
    return stage_names.pop()


def alarms() -> dict[str, Template]:
    """Every alarm, generated from what the stack declares (one per queue, machine, function)."""
    declared = resources()
    generated: dict[str, Template] = {}
    for queue_id in dead_letter_queues(declared):
        generated[f"{queue_id}NotEmptyAlarm"] = alarm(
            f"Messages reached {queue_id}: a notice file or message failed repeatedly.",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": {"Fn::GetAtt": [queue_id, "QueueName"]}},
            statistic="Maximum",
        )
    for machine_id in state_machines(declared):
        generated[f"{machine_id}ExecutionsFailedAlarm"] = alarm(
            f"An execution of {machine_id} failed.",
            "AWS/States",
            "ExecutionsFailed",
            {"StateMachineArn": ref(machine_id)},
        )
    generated[f"{API_RESOURCE}ServerErrorsAlarm"] = alarm(
        "The HTTPS API answered with 5XX errors.",
        "AWS/ApiGateway",
        "5XXError",
        {"ApiName": API_NAME, "Stage": api_gateway_stage()},
    )
    for function in CHALICE_FUNCTIONS:
        for metric in ("Errors", "Throttles"):
            generated[f"{function}{metric}Alarm"] = alarm(
                f"{function}: Lambda {metric.lower()}.",
                "AWS/Lambda",
                metric,
                {"FunctionName": ref(function)},
            )
    for logical_id, resource in generated.items():
        resource["Properties"]["AlarmName"] = sub(f"${{AWS::StackName}}-{logical_id}")
    return generated


def aws_only_resources() -> dict[str, Template]:
    """What only a real account gets: see the module docstring."""
    return {
        "IntakeQueuePolicy": intake_queue_policy(),
        **function_log_groups(),
        "AlarmTopicKey": alarm_topic_key(),
        "AlarmTopic": alarm_topic(),
        **alarms(),
    }


# Dependencies on AWS-only resources, added to resources() declarations for AWS only:
# S3 checks that it may send to the queue when the notification is configured.
AWS_ONLY_DEPENDENCIES: dict[str, list[str]] = {"IntakeBucket": ["IntakeQueuePolicy"]}


# -- the template -----------------------------------------------------------------------------


def parameters() -> dict[str, Template]:
    return {
        "Stage": {
            "Type": "String",
            "AllowedValues": list(STAGES),
            "Description": "The Chalice stage the template was built for: build/<stage>/sam.json.",
        }
    }


def mappings() -> dict[str, Template]:
    return {"StageSettings": STAGE_SETTINGS}


def output_name(environment_variable: str) -> str:
    """``PSX_TABLE_NAME`` -> ``PsxTableName`` (output names must be alphanumeric)."""
    return "".join(part.capitalize() for part in environment_variable.split("_"))


def outputs() -> dict[str, Template]:
    """Outputs of resources() (both worlds)."""
    return {output_name(name): {"Value": value} for name, value in FUNCTION_ENVIRONMENT.items()} | {
        "IntakeQueueUrl": {"Value": ref("IntakeQueue")},
        "EscalationTopicArn": {"Value": ref("EscalationTopic")},
    }


# Functions the CLI invokes itself (`psx audit` runs the deadline check on demand).
INVOKED_BY_CLI = (ENFORCE_DEADLINES_FUNCTION,)


def function_name_output(logical_id: str) -> str:
    return f"{logical_id}FunctionName"


def aws_only_outputs() -> dict[str, Template]:
    """On AWS CloudFormation names the functions; the embedded runtime knows its own."""
    return {"AlarmTopicArn": {"Value": ref("AlarmTopic")}} | {
        function_name_output(function): {"Value": ref(function)} for function in INVOKED_BY_CLI
    }


def function_overrides() -> dict[str, Template]:
    """What Chalice cannot say: per-function roles, the real intake queue, partial batches."""
    overrides: dict[str, Template] = {
        name: {"Properties": {"Role": arn_of(f"{name}Role")}} for name in CHALICE_FUNCTIONS
    }
    overrides[INTAKE_FUNCTION]["Properties"]["Events"] = {
        f"{INTAKE_FUNCTION}SqsEventSource": {
            "Properties": {
                "Queue": arn_of("IntakeQueue"),
                "FunctionResponseTypes": ["ReportBatchItemFailures"],
                # Bursts of files wait in the queue instead of fanning out: see
                # INTAKE_MAX_CONCURRENCY.
                "ScalingConfig": {"MaximumConcurrency": INTAKE_MAX_CONCURRENCY},
            }
        }
    }
    overrides[INTAKE_FUNCTION]["Properties"]["Timeout"] = 300
    overrides[INTAKE_FUNCTION]["Properties"]["MemorySize"] = 1024
    return overrides


# What API Gateway itself answers (no key, a refused key, an unknown path), as the same
# RFC 9457 problem details the API answers with (chalicelib/api/problems.py). The local
# server of `psx serve` gives the same answers (psx/embedded/serve.py).
GATEWAY_PROBLEMS: dict[str, dict[str, Any]] = {
    "UNAUTHORIZED": {
        "type": "urn:psx:problem:unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "send your API key: Authorization: Bearer psx_...",
    },
    "ACCESS_DENIED": {
        "type": "urn:psx:problem:forbidden",
        "title": "Forbidden",
        "status": 403,
        "detail": "the API key is not valid: unknown, revoked or expired",
    },
    # API Gateway's answer to a path (or method) it does not know.
    "MISSING_AUTHENTICATION_TOKEN": {
        "type": "urn:psx:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "no such resource",
    },
}


# Every other answer of the gateway itself (throttled 429, its own 413 over 10 MB, an
# authorizer that failed, integration timeouts): the same shape, keeping the gateway's
# status and message. ``$context.error.messageString`` is a quoted JSON string.
GATEWAY_DEFAULT_PROBLEMS = {
    "DEFAULT_4XX": ("urn:psx:problem:gateway-refused", "Refused by the API gateway"),
    "DEFAULT_5XX": ("urn:psx:problem:gateway-error", "The API gateway failed"),
}
_PROBLEM_JSON_HEADER = {"gatewayresponse.header.Content-Type": "'application/problem+json'"}


def gateway_responses() -> Template:
    responses: Template = {
        name: {
            "statusCode": problem["status"],
            "responseParameters": _PROBLEM_JSON_HEADER,
            "responseTemplates": {"application/json": json.dumps(problem)},
        }
        for name, problem in GATEWAY_PROBLEMS.items()
    }
    for name, (problem_type, title) in GATEWAY_DEFAULT_PROBLEMS.items():
        responses[name] = {
            "responseParameters": _PROBLEM_JSON_HEADER,
            "responseTemplates": {
                "application/json": f'{{"type": "{problem_type}", "title": "{title}", '
                '"detail": $context.error.messageString}'
            },
        }
    return responses


def api_overrides() -> dict[str, Template]:
    return {
        API_RESOURCE: {
            "Properties": {
                "Name": API_NAME,
                "DefinitionBody": {
                    "info": {"title": API_NAME},
                    "x-amazon-apigateway-gateway-responses": gateway_responses(),
                },
            }
        }
    }


def merge_template() -> Template:
    """What infra/build.py merges into Chalice's SAM template."""
    declared = {**resources(), **aws_only_resources()}
    for logical_id, depends_on in AWS_ONLY_DEPENDENCIES.items():
        declared[logical_id] = {**declared[logical_id], "DependsOn": depends_on}
    return {
        "Parameters": parameters(),
        "Mappings": mappings(),
        "Globals": {"Function": {"Environment": {"Variables": FUNCTION_ENVIRONMENT}}},
        "Resources": {**declared, **function_overrides(), **api_overrides()},
        "Outputs": outputs() | aws_only_outputs(),
    }


# -- static checks shared with the tests ----------------------------------------------------

_PLACEHOLDER = re.compile(r"\$\{([^}!][^}]*)\}")


def workflow_placeholders(name: str) -> set[str]:
    """The ``${Placeholder}``s of ``workflows/<name>.asl.json`` (pseudo parameters excluded)."""
    text = (WORKFLOWS_DIR / f"{name}.asl.json").read_text(encoding="utf-8")
    return {p for p in _PLACEHOLDER.findall(text) if not p.startswith("AWS::")}
