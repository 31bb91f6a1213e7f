"""boto3 clients, created lazily and cached per process (Lambda reuses them across calls).

The embedded runtime and tests call ``reset_clients`` when they start a fresh moto
world, so no client outlives the AWS it was created for.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_stepfunctions.client import SFNClient

_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})


@cache
def _client(service: str) -> Any:
    return boto3.session.Session().client(service, config=_CONFIG)  # type: ignore[call-overload]


def dynamodb() -> DynamoDBClient:
    client: DynamoDBClient = _client("dynamodb")
    return client


def s3() -> S3Client:
    client: S3Client = _client("s3")
    return client


def stepfunctions() -> SFNClient:
    client: SFNClient = _client("stepfunctions")
    return client


def secretsmanager() -> Any:
    # Typed as Any until boto3-stubs[secretsmanager] joins the dev dependencies.
    return _client("secretsmanager")


def sns() -> SNSClient:
    client: SNSClient = _client("sns")
    return client


def query_items(db: DynamoDBClient, **query: Any) -> Iterator[dict[str, Any]]:
    """Every item a DynamoDB Query matches, across as many pages as it takes."""
    for page in db.get_paginator("query").paginate(**query):
        yield from page["Items"]


def reset_clients() -> None:
    _client.cache_clear()
