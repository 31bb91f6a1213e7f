"""Powertools idempotency, wired once: records live in the single table."""

from __future__ import annotations

from functools import cache

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
)

from chalicelib.stores import aws_clients

# A file is reprocessed if it is delivered again after this long (S3 re-deliveries
# come within minutes; a re-upload is a new object version anyway).
FILE_IDEMPOTENCY_SECONDS = 7 * 24 * 3600


@cache
def persistence_layer(table_name: str) -> DynamoDBPersistenceLayer:
    return DynamoDBPersistenceLayer(
        table_name=table_name,
        key_attr="PK",
        sort_key_attr="SK",
        static_pk_value="IDEMPOTENCY#intake",
        boto3_client=aws_clients.dynamodb(),
    )


def intake_file_config() -> IdempotencyConfig:
    return IdempotencyConfig(
        # One delivery per object version: two uploads under one name are two files.
        event_key_jmespath="[bucket, key, version_id, etag]",
        expires_after_seconds=FILE_IDEMPOTENCY_SECONDS,
        raise_on_no_idempotency_key=True,
    )


def reset() -> None:
    persistence_layer.cache_clear()
