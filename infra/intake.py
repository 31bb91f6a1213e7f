"""Intake of regulators' notice files: the bucket they upload to, the queue its
notifications go through, and the function that reads them and starts lifecycles.
"""

from __future__ import annotations

from infra.iam import allow
from infra.intrinsics import Template, arn_of, sub
from infra.lifecycle import STATE_MACHINE_ARN
from infra.storage import (
    EVIDENCE_OBJECTS,
    KEEP_EVIDENCE,
    bucket_notifications_policy,
    dead_letter_queue,
    private_bucket_properties,
    queue,
    table_access,
)

# The logical id Chalice gives the intake function of functions/app.py.
INTAKE_FUNCTION = "IntakeNoticeFiles"

INTAKE_PREFIX = "incoming/"
# Lambda's ceiling: the largest file allowed (PSX_MAX_ROWS, 50,000 rows) must fit in one
# invocation, which an estimate of AWS latencies puts at the slow end near 300 s
# (docs/deploy.md, "How many rows one intake invocation takes").
INTAKE_TIMEOUT_SECONDS = 900

# At most this many intake invocations at once (the least Lambda allows). Each one starts
# lifecycles from STORE_WORKERS threads (chalicelib/intake/process.py), ~160 a second;
# two stay inside Step Functions' StartExecution refill of 300 a second (us-east-1; 150
# in smaller regions, where the token bucket absorbs bursts and boto3 retries the rest).
# docs/deploy.md, "Quotas".
INTAKE_MAX_CONCURRENCY = 2


def intake_bucket() -> Template:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **private_bucket_properties(),
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


def function_permissions() -> dict[str, list[Template]]:
    """What the intake function touches, beyond writing its logs and traces."""
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
            KEEP_EVIDENCE,
            # A retried delivery finds its file kept already and reads back its checksum
            # (the other writers' keys are unique to each write: an attempt, an answer).
            allow(["s3:GetObject"], [EVIDENCE_OBJECTS]),
            table_access("BatchGetItem", "GetItem", "PutItem", "UpdateItem", "DeleteItem"),
            allow(["states:StartExecution"], [STATE_MACHINE_ARN]),
        ],
    }


def function_overrides() -> dict[str, Template]:
    """What Chalice cannot say about the intake function: the real queue, partial batches."""
    return {
        INTAKE_FUNCTION: {
            "Properties": {
                "Events": {
                    f"{INTAKE_FUNCTION}SqsEventSource": {
                        "Properties": {
                            "Queue": arn_of("IntakeQueue"),
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            # Bursts of files wait in the queue instead of fanning out: see
                            # INTAKE_MAX_CONCURRENCY.
                            "ScalingConfig": {"MaximumConcurrency": INTAKE_MAX_CONCURRENCY},
                        }
                    }
                },
                "Timeout": INTAKE_TIMEOUT_SECONDS,
                "MemorySize": 1024,
            }
        }
    }


def resources() -> dict[str, Template]:
    return {
        "IntakeQueue": queue(
            "IntakeDeadLetterQueue", visibility_timeout=6 * INTAKE_TIMEOUT_SECONDS
        ),
        "IntakeDeadLetterQueue": dead_letter_queue(),
        "IntakeBucket": intake_bucket(),
    }


def aws_only_resources() -> dict[str, Template]:
    """S3 -> SQS permission: moto's CloudFormation cannot create queue policies."""
    return {"IntakeQueuePolicy": bucket_notifications_policy("IntakeQueue", "IntakeBucket")}


# Dependencies on AWS-only resources, added to resources() declarations for AWS only:
# S3 checks that it may send to the queue when the notification is configured.
AWS_ONLY_DEPENDENCIES: dict[str, list[str]] = {"IntakeBucket": ["IntakeQueuePolicy"]}
