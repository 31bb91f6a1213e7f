"""Where the exchange keeps its data: the notices table, the evidence bucket, and the
builders every bucket and queue of the stack shares.

Grants on the table live here too (``table_access``), so a role table names what a
function does with the table rather than how its ARN is spelled.
"""

from __future__ import annotations

from infra.iam import allow
from infra.intrinsics import Template, arn_of, ref, sub


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


def table_access(*actions: str) -> Template:
    """Allow ``dynamodb:<action>`` on the notices table (not its indexes)."""
    return allow([f"dynamodb:{action}" for action in actions], [arn_of("NoticesTable")])


# Of the table's calls only Query reads an index (GSI1 lists, GSI2 open waits).
TABLE_INDEX_QUERIES = allow(["dynamodb:Query"], [sub("${NoticesTable.Arn}/index/*")])


def private_bucket_properties() -> Template:
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


# How long each evidence object is locked (COMPLIANCE mode): five years, leap days
# included. Every write sets its own retention from PSX_EVIDENCE_RETENTION_DAYS; the
# bucket's default is the same, so nothing in it is ever unlocked. docs/evidence.md.
EVIDENCE_RETENTION_DAYS = 1827

# Writing evidence: a locked object (its retention is part of the write). Never delete.
EVIDENCE_OBJECTS = sub("${EvidenceBucket.Arn}/*")
KEEP_EVIDENCE = allow(["s3:PutObject", "s3:PutObjectRetention"], [EVIDENCE_OBJECTS])


def evidence_bucket() -> Template:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            **private_bucket_properties(),
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


def bucket_notifications_policy(queue_id: str, bucket_id: str) -> Template:
    """S3 may send ``bucket_id``'s event notifications to ``queue_id`` (AWS only: moto's
    CloudFormation cannot create queue policies)."""
    return {
        "Type": "AWS::SQS::QueuePolicy",
        "Properties": {
            "Queues": [ref(queue_id)],
            "PolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": f"{bucket_id}Notifications",
                        "Effect": "Allow",
                        "Principal": {"Service": "s3.amazonaws.com"},
                        "Action": "sqs:SendMessage",
                        "Resource": arn_of(queue_id),
                        "Condition": {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}},
                    }
                ],
            },
        },
    }


def dead_letter_queue() -> Template:
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True},
    }


def resources() -> dict[str, Template]:
    return {"NoticesTable": notices_table(), "EvidenceBucket": evidence_bucket()}
