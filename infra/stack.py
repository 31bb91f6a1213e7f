"""Every AWS resource of the exchange besides the Chalice app, declared once.

``merge_template()`` is what ``chalice package --merge-template`` merges into the SAM
template Chalice generates for ``functions/app.py`` (see ``infra/build.py``); the
embedded runtime provisions moto from the very same declarations (``psx/embedded``),
so what the tests run against is what AWS gets.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Template = dict[str, Any]

WORKFLOWS_DIR = Path(__file__).resolve().parent.parent / "workflows"

# Logical ids Chalice gives the functions of functions/app.py (CamelCase of their names).
INTAKE_FUNCTION = "IntakeNoticeFiles"
RECORD_RECEIVED_FUNCTION = "RecordReceived"
API_FUNCTION = "APIHandler"
CHALICE_FUNCTIONS = (INTAKE_FUNCTION, RECORD_RECEIVED_FUNCTION, API_FUNCTION)

INTAKE_PREFIX = "incoming/"


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def arn_of(logical_id: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, "Arn"]}


def sub(text: str) -> dict[str, str]:
    return {"Fn::Sub": text}


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
}

# The ${Placeholder}s of each workflow definition and what they stand for.
WORKFLOW_SUBSTITUTIONS: dict[str, dict[str, Any]] = {
    "notice-lifecycle": {"RecordReceivedFunctionArn": arn_of(RECORD_RECEIVED_FUNCTION)},
}


def notices_table() -> Template:
    key_attributes = ["PK", "SK", "GSI1PK", "GSI1SK"]
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
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "GSI1",
                    "KeySchema": [
                        {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                        {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
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
        "DependsOn": ["IntakeQueuePolicy"],
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
                "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 5}},
            },
        },
    }


def queue(dead_letter_queue: str, visibility_timeout: int) -> Template:
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "VisibilityTimeout": visibility_timeout,
            "SqsManagedSseEnabled": True,
            "RedrivePolicy": {"deadLetterTargetArn": arn_of(dead_letter_queue), "maxReceiveCount": 5},
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
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}
                        },
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


def _table_arns() -> list[Any]:
    return [arn_of("NoticesTable"), sub("${NoticesTable.Arn}/index/*")]


_LOGS_AND_TRACES = [
    allow(["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"], ["*"]),
    allow(["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"]),
]


def function_roles() -> dict[str, Template]:
    """One role per function, allowing only what that function touches."""
    lambda_service = "lambda.amazonaws.com"
    return {
        f"{INTAKE_FUNCTION}Role": role(
            lambda_service,
            [
                *_LOGS_AND_TRACES,
                allow(
                    ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                    [arn_of("IntakeQueue")],
                ),
                allow(["s3:GetObject", "s3:GetObjectVersion"], [sub("${IntakeBucket.Arn}/incoming/*")]),
                allow(["s3:PutObject"], [sub("${IntakeBucket.Arn}/results/*")]),
                allow(
                    ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                     "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"],
                    _table_arns(),
                ),
                allow(["states:StartExecution"], [FUNCTION_ENVIRONMENT["PSX_LIFECYCLE_STATE_MACHINE_ARN"]]),
            ],
        ),
        f"{RECORD_RECEIVED_FUNCTION}Role": role(
            lambda_service,
            [
                *_LOGS_AND_TRACES,
                allow(["dynamodb:GetItem", "dynamodb:PutItem"], _table_arns()),
            ],
        ),
        f"{API_FUNCTION}Role": role(
            lambda_service,
            [*_LOGS_AND_TRACES, allow(["dynamodb:GetItem", "dynamodb:Query"], _table_arns())],
        ),
        "NoticeLifecycleStateMachineRole": role(
            "states.amazonaws.com",
            [
                allow(["lambda:InvokeFunction"], [arn_of(RECORD_RECEIVED_FUNCTION)]),
                allow(
                    ["xray:PutTraceSegments", "xray:PutTelemetryRecords",
                     "xray:GetSamplingRules", "xray:GetSamplingTargets"],
                    ["*"],
                ),
            ],
        ),
    }


def resources() -> dict[str, Template]:
    """The resources both worlds create (AWS through CloudFormation, moto locally)."""
    return {
        "NoticesTable": notices_table(),
        "IntakeQueue": queue("IntakeDeadLetterQueue", visibility_timeout=6 * 300),
        "IntakeDeadLetterQueue": dead_letter_queue(),
        "IntakeQueuePolicy": intake_queue_policy(),
        "IntakeBucket": intake_bucket(),
        "EvidenceBucket": evidence_bucket(),
        "NoticeLifecycleStateMachine": state_machine(
            "notice-lifecycle", "NoticeLifecycleStateMachineRole"
        ),
        **function_roles(),
    }


def output_name(environment_variable: str) -> str:
    """``PSX_TABLE_NAME`` -> ``PsxTableName`` (output names must be alphanumeric)."""
    return "".join(part.capitalize() for part in environment_variable.split("_"))


def outputs() -> dict[str, Template]:
    return {
        output_name(name): {"Value": value} for name, value in FUNCTION_ENVIRONMENT.items()
    } | {"IntakeQueueUrl": {"Value": ref("IntakeQueue")}}


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
            }
        }
    }
    overrides[INTAKE_FUNCTION]["Properties"]["Timeout"] = 300
    overrides[INTAKE_FUNCTION]["Properties"]["MemorySize"] = 1024
    return overrides


def merge_template() -> Template:
    return {
        "Globals": {"Function": {"Environment": {"Variables": FUNCTION_ENVIRONMENT}}},
        "Resources": {**resources(), **function_overrides()},
        "Outputs": outputs(),
    }
