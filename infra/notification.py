"""Seller and buyer notification: the contacts table and the queue of recipients, both
under the notification's own KMS key, and the notify function that sends through SES
and SNS; the bucket of files of affected parties platforms upload (the same key), the
queue its notifications go through, and the function that takes each file.
"""

from __future__ import annotations

from infra.iam import allow, task_tokens
from infra.intrinsics import Template, arn_of, ref, sub
from infra.storage import (
    EVIDENCE_OBJECTS,
    KEEP_EVIDENCE,
    bucket_notifications_policy,
    dead_letter_queue,
    private_bucket_properties,
    queue,
    table_access,
)

# The logical id Chalice gives the notify function of functions/app.py.
NOTIFY_FUNCTION = "NotifyRecipients"
NOTIFY_TIMEOUT_SECONDS = 120
# Sends at once, across the queue's pollers: SES's default sending rate in a new
# production account is 14 messages a second; bulk calls of 50 keep well within it.
NOTIFY_MAX_CONCURRENCY = 5

# The logical id Chalice gives the upload function of functions/app.py.
UPLOADS_FUNCTION = "TakeAffectedPartiesUploads"
# A file of PSX_AFFECTED_PARTIES_MAX_ROWS (200,000) rows is read twice and stored in
# batches of 1,000 within one invocation (chalicelib/notification/uploads.py holds an
# upload for as long).
UPLOADS_TIMEOUT_SECONDS = 900
UPLOADS_MAX_CONCURRENCY = 2
# Uploaded files hold contacts: gone after the contacts' default retention.
UPLOADS_EXPIRY_DAYS = 30

NOTIFICATION_KEY = "NotificationKey"
NOTIFICATION_TABLE = "NotificationTable"
NOTIFICATION_QUEUE = "NotificationQueue"
NOTIFICATION_DEAD_LETTER_QUEUE = "NotificationDeadLetterQueue"
UPLOADS_BUCKET = "AffectedPartiesBucket"
UPLOADS_QUEUE = "AffectedPartiesUploadQueue"
UPLOADS_DEAD_LETTER_QUEUE = "AffectedPartiesUploadDeadLetterQueue"
# chalicelib/stores/affected_parties_bucket.py: files, and their results.
UPLOADS_PREFIX = "affected-parties/"
RESULTS_PREFIX = "affected-parties-results/"
UPLOADED_FILES = sub(f"${{{UPLOADS_BUCKET}.Arn}}/{UPLOADS_PREFIX}*")
UPLOAD_RESULTS = sub(f"${{{UPLOADS_BUCKET}.Arn}}/{RESULTS_PREFIX}*")

# The exchange's verified SES identities (its own and the platforms'); SES checks the
# sender against them, so the grant is for identities of this account.
SES_IDENTITIES = sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*")
SES_TEMPLATES = sub("arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:template/*")


def notification_key() -> Template:
    """The customer managed key of the contacts (table and queue)."""
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Description": sub("${AWS::StackName}: encrypts affected parties' contacts"),
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
                    }
                ],
            },
        },
    }


def notification_table() -> Template:
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            "KeySchema": [
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            # Contacts go PSX_CONTACT_RETENTION_DAYS after the last delivery attempt.
            "TimeToLiveSpecification": {"AttributeName": "expires_at", "Enabled": True},
            "SSESpecification": {
                "SSEEnabled": True,
                "SSEType": "KMS",
                "KMSMasterKeyId": ref(NOTIFICATION_KEY),
            },
        },
    }


def notification_queue() -> Template:
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "VisibilityTimeout": 6 * NOTIFY_TIMEOUT_SECONDS,
            "KmsMasterKeyId": ref(NOTIFICATION_KEY),
            "RedrivePolicy": {
                "deadLetterTargetArn": arn_of(NOTIFICATION_DEAD_LETTER_QUEUE),
                "maxReceiveCount": 5,
            },
        },
    }


def notification_dead_letter_queue() -> Template:
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {"MessageRetentionPeriod": 1209600, "KmsMasterKeyId": ref(NOTIFICATION_KEY)},
    }


def uploads_bucket() -> Template:
    """Files of affected parties: private, under the contacts' key, expiring (versions
    too: an expired file leaves nothing behind)."""
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **private_bucket_properties(),
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": arn_of(NOTIFICATION_KEY),
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "expire-contacts",
                        "Status": "Enabled",
                        "ExpirationInDays": UPLOADS_EXPIRY_DAYS,
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    }
                ]
            },
            "NotificationConfiguration": {
                "QueueConfigurations": [
                    {
                        "Event": "s3:ObjectCreated:*",
                        "Queue": arn_of(UPLOADS_QUEUE),
                        "Filter": {
                            "S3Key": {"Rules": [{"Name": "prefix", "Value": UPLOADS_PREFIX}]}
                        },
                    }
                ]
            },
        },
    }


def notification_table_access(*actions: str) -> Template:
    return allow([f"dynamodb:{action}" for action in actions], [arn_of(NOTIFICATION_TABLE)])


# The HMAC key of recipients is a data key wrapped by the notification key.
RECIPIENT_KEY = allow(["kms:GenerateDataKey", "kms:Decrypt"], [arn_of(NOTIFICATION_KEY)])
# Sending to the queue encrypts with the notification key (SQS asks on the sender's behalf).
ENQUEUE = [
    allow(["sqs:SendMessage"], [arn_of(NOTIFICATION_QUEUE)]),
    allow(["kms:GenerateDataKey", "kms:Decrypt"], [arn_of(NOTIFICATION_KEY)]),
]
# Reading and settling recipients, and the progress of each notice and platform.
RECIPIENTS = notification_table_access("BatchGetItem", "GetItem", "PutItem", "UpdateItem")
# TransactWriteItems is authorised per item action (PutItem, UpdateItem) on the table.
PROGRESS = notification_table_access("GetItem", "UpdateItem")


def function_permissions() -> dict[str, list[Template]]:
    """What the notify and upload functions touch, beyond writing their logs and traces."""
    return {
        **uploads_permissions(),
        NOTIFY_FUNCTION: [
            allow(
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                [arn_of(NOTIFICATION_QUEUE)],
            ),
            allow(["kms:Decrypt", "kms:GenerateDataKey"], [arn_of(NOTIFICATION_KEY)]),
            RECIPIENTS,
            # Follow-ups of a new version: its told buyers found, their follow-ups queued.
            notification_table_access("Query"),
            allow(["sqs:SendMessage"], [arn_of(NOTIFICATION_QUEUE)]),
            # Notices, platforms, dispatches and cases; timeline events; the wait's answer.
            table_access("GetItem", "Query", "PutItem", "UpdateItem"),
            # SES API v2: a bulk send is authorised against its identity and template, a
            # raw SendEmail against its identity.
            allow(["ses:CreateEmailTemplate"], [SES_TEMPLATES]),
            allow(["ses:SendBulkEmail"], [SES_IDENTITIES, SES_TEMPLATES]),
            allow(["ses:SendEmail"], [SES_IDENTITIES]),
            # SMS to a phone number has no topic to name.
            allow(["sns:Publish"], ["*"]),
            task_tokens("SendTaskSuccess"),
            KEEP_EVIDENCE,
            # Content-named evidence: a repeat finds it kept and compares its checksum.
            allow(["s3:GetObject"], [EVIDENCE_OBJECTS]),
        ],
    }


def uploads_permissions() -> dict[str, list[Template]]:
    """What the upload function touches: the file and its result, then what a batch of
    affected parties touches (recipients stored and queued, the timeline, evidence)."""
    return {
        UPLOADS_FUNCTION: [
            allow(
                ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                [arn_of(UPLOADS_QUEUE)],
            ),
            allow(["s3:GetObject"], [UPLOADED_FILES]),
            allow(["s3:PutObject"], [UPLOAD_RESULTS]),
            RECIPIENTS,
            RECIPIENT_KEY,
            allow(["sqs:SendMessage"], [arn_of(NOTIFICATION_QUEUE)]),
            # The notice and its dispatches; the batch on the timeline; a last file with
            # nothing left to send ends the notification and resumes the workflow's wait.
            table_access("GetItem", "Query", "PutItem", "UpdateItem"),
            task_tokens("SendTaskSuccess"),
            KEEP_EVIDENCE,
        ],
    }


# What the lifecycle's OpenWait adds for a notification wait: the progress of the
# notice and platform, and the platform's dispatches of the notice.
OPEN_WAIT_PERMISSIONS = [PROGRESS, table_access("Query")]

# What the lifecycle's PlanDispatch adds: a new version asks the notify function to
# follow up the buyers told an earlier one (an updated recall, a withdrawal notice).
PLAN_PERMISSIONS = ENQUEUE

# What the API adds for affected parties: recipients stored once each (keyed by the
# HMAC key), queued, and the platform's own recipients listed.
API_PERMISSIONS = [
    notification_table_access("BatchGetItem", "GetItem", "PutItem", "UpdateItem", "Query"),
    RECIPIENT_KEY,
    *ENQUEUE,
    # Presigned PUTs of files (the URL carries the API's permission), and their results.
    allow(["s3:PutObject"], [UPLOADED_FILES]),
    allow(["s3:GetObject"], [UPLOAD_RESULTS]),
]


def function_overrides() -> dict[str, Template]:
    """What Chalice cannot say about the notify function: the real queue, partial batches."""
    return {
        NOTIFY_FUNCTION: {
            "Properties": {
                "Events": {
                    f"{NOTIFY_FUNCTION}SqsEventSource": {
                        "Properties": {
                            "Queue": arn_of(NOTIFICATION_QUEUE),
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            "ScalingConfig": {"MaximumConcurrency": NOTIFY_MAX_CONCURRENCY},
                        }
                    }
                },
                "Timeout": NOTIFY_TIMEOUT_SECONDS,
            }
        },
        UPLOADS_FUNCTION: {
            "Properties": {
                "Events": {
                    f"{UPLOADS_FUNCTION}SqsEventSource": {
                        "Properties": {
                            "Queue": arn_of(UPLOADS_QUEUE),
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                            "ScalingConfig": {"MaximumConcurrency": UPLOADS_MAX_CONCURRENCY},
                        }
                    }
                },
                "Timeout": UPLOADS_TIMEOUT_SECONDS,
                "MemorySize": 1024,
            }
        },
    }


def resources() -> dict[str, Template]:
    return {
        NOTIFICATION_KEY: notification_key(),
        NOTIFICATION_TABLE: notification_table(),
        NOTIFICATION_QUEUE: notification_queue(),
        NOTIFICATION_DEAD_LETTER_QUEUE: notification_dead_letter_queue(),
        UPLOADS_BUCKET: uploads_bucket(),
        UPLOADS_QUEUE: queue(
            UPLOADS_DEAD_LETTER_QUEUE, visibility_timeout=6 * UPLOADS_TIMEOUT_SECONDS
        ),
        UPLOADS_DEAD_LETTER_QUEUE: dead_letter_queue(),
    }


def aws_only_resources() -> dict[str, Template]:
    """S3 -> SQS permission: moto's CloudFormation cannot create queue policies."""
    return {
        "AffectedPartiesUploadQueuePolicy": bucket_notifications_policy(
            UPLOADS_QUEUE, UPLOADS_BUCKET
        )
    }


# S3 checks that it may send to the queue when the notification is configured.
AWS_ONLY_DEPENDENCIES: dict[str, list[str]] = {UPLOADS_BUCKET: ["AffectedPartiesUploadQueuePolicy"]}
