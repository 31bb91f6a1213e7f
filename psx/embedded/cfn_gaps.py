"""Properties moto's CloudFormation (5.2.5) accepts but does not apply, applied with the
service APIs from the same declarations (tests/infra/test_drift.py proves the result)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra import stack

PhysicalId = Callable[[str], str]

# CloudFormation's lifecycle rule keys that S3's API takes unchanged.
_LIFECYCLE_RULE_KEYS = ("Status", "NoncurrentVersionExpiration", "AbortIncompleteMultipartUpload")


def apply_dropped_properties(client: Callable[[str], Any], physical_id: PhysicalId) -> None:
    for logical_id, resource in stack.resources().items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::S3::Bucket":
            _apply_bucket(client("s3"), physical_id(logical_id), properties)
        elif resource["Type"] == "AWS::DynamoDB::Table":
            _apply_table(client("dynamodb"), physical_id(logical_id), properties)


def _apply_bucket(s3: Any, bucket: str, properties: dict[str, Any]) -> None:
    if "VersioningConfiguration" in properties:
        s3.put_bucket_versioning(
            Bucket=bucket, VersioningConfiguration=properties["VersioningConfiguration"]
        )
    if "PublicAccessBlockConfiguration" in properties:
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration=properties["PublicAccessBlockConfiguration"],
        )
    if "ObjectLockConfiguration" in properties:  # after versioning, which it requires
        s3.put_object_lock_configuration(
            Bucket=bucket, ObjectLockConfiguration=properties["ObjectLockConfiguration"]
        )
    if "LifecycleConfiguration" in properties:
        rules = [
            {
                "ID": rule["Id"],
                "Filter": {"Prefix": rule.get("Prefix", "")},
                **{key: rule[key] for key in _LIFECYCLE_RULE_KEYS if key in rule},
            }
            for rule in properties["LifecycleConfiguration"]["Rules"]
        ]
        s3.put_bucket_lifecycle_configuration(
            Bucket=bucket, LifecycleConfiguration={"Rules": rules}
        )


def _apply_table(dynamodb: Any, table: str, properties: dict[str, Any]) -> None:
    if "PointInTimeRecoverySpecification" in properties:
        dynamodb.update_continuous_backups(
            TableName=table,
            PointInTimeRecoverySpecification=properties["PointInTimeRecoverySpecification"],
        )
    if "TimeToLiveSpecification" in properties:
        dynamodb.update_time_to_live(
            TableName=table, TimeToLiveSpecification=properties["TimeToLiveSpecification"]
        )
