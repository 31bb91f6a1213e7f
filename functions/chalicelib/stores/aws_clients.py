"""boto3 clients, created lazily and cached per process (Lambda reuses them across calls).

Creation is serialised: building a botocore client loads service models from disk, and
without a lock every thread that asks for a client before the first one is cached
builds its own (the embedded runtime runs many workflow tasks at once). One session
serves every client, so its loader reads each model file once.

The embedded runtime and tests call ``reset_clients`` when they start a fresh moto
world, so no client outlives the AWS it was created for; ``per_world`` caches anything
built from clients (a capability's services) for exactly as long.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sns.client import SNSClient
    from mypy_boto3_sqs.client import SQSClient
    from mypy_boto3_stepfunctions.client import SFNClient

_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})
# DynamoDB checks every request itself (a ValidationException, which aws_errors counts
# as permanent like botocore's ParamValidationError), so botocore's own walk over each
# item's every attribute only repeats it: it was ~15 % of the CPU of notifying 10,000
# buyers (README, "Seller and buyer notification"). botocore documents the switch as
# the one to turn "for performance reasons".
_CONFIGS = {"dynamodb": _CONFIG.merge(Config(parameter_validation=False))}

# Reentrant: what per_world builds asks for clients while holding it.
_lock = threading.RLock()
_session: boto3.session.Session | None = None
_clients: dict[str, Any] = {}
# Bumped by reset_clients: whatever per_world cached before belongs to an old world.
_world = 0

Key = TypeVar("Key")
Built = TypeVar("Built")


def _client(service: str) -> Any:
    client = _clients.get(service)
    if client is not None:
        return client
    with _lock:
        if service not in _clients:
            config = _CONFIGS.get(service, _CONFIG)
            _clients[service] = _current_session().client(service, config=config)  # type: ignore[call-overload]
        return _clients[service]


def _current_session() -> boto3.session.Session:
    global _session  # noqa: PLW0603 -- one session per process, replaced by reset_clients
    if _session is None:
        _session = boto3.session.Session()
    return _session


def per_world(build: Callable[[Key], Built]) -> Callable[[Key], Built]:
    """``build(key)`` once per process and key, rebuilt when the key or the clients change.

    Keeps only the latest key (a process serves one configuration; tests switch between
    them), so keys need equality, not hashing.
    """
    latest: list[tuple[int, Key, Built]] = []  # at most one entry, replaced whole

    def cached(key: Key) -> Built | None:
        entry = latest[0] if latest else None
        if entry is not None and entry[0] == _world and entry[1] == key:
            return entry[2]
        return None

    def built_once(key: Key) -> Built:
        found = cached(key)
        if found is not None:
            return found
        with _lock:
            found = cached(key)
            if found is None:
                found = build(key)
                latest[:] = [(_world, key, found)]
            return found

    return built_once


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


def sesv2() -> Any:
    # Typed as Any: boto3-stubs[sesv2] is not among the dev dependencies.
    return _client("sesv2")


def kms() -> Any:
    # Typed as Any: boto3-stubs[kms] is not among the dev dependencies.
    return _client("kms")


def sqs() -> SQSClient:
    client: SQSClient = _client("sqs")
    return client


def sns() -> SNSClient:
    client: SNSClient = _client("sns")
    return client


def query_items(db: DynamoDBClient, **query: Any) -> Iterator[dict[str, Any]]:
    """Every item a DynamoDB Query matches, across as many pages as it takes."""
    for page in db.get_paginator("query").paginate(**query):
        yield from page["Items"]


def reset_clients() -> None:
    global _session, _world  # noqa: PLW0603 -- see _current_session
    with _lock:
        _clients.clear()
        _session = None
        _world += 1
