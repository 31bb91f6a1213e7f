"""The feed puller: its role and its timeout. Its hourly EventBridge schedule is
Chalice's (``@feeds.schedule`` in chalicelib/handlers/feeds.py), so the rule, its target
and the permission to invoke come with the function in the SAM template."""

from __future__ import annotations

from infra.iam import allow
from infra.intake import INTAKE_PREFIX
from infra.intrinsics import Template, sub
from infra.storage import TABLE_INDEX_QUERIES, table_access

PULL_FEEDS_FUNCTION = "PullFeeds"
# A pull waits at most attempts x timeout per page (fetch.py), a few pages per feed;
# the lease (chalicelib/feeds/pull.py LEASE, 15 minutes) outlasts this.
PULL_FEEDS_TIMEOUT_SECONDS = 300


def function_permissions() -> dict[str, list[Template]]:
    """What the puller touches, beyond writing its logs and traces."""
    return {
        PULL_FEEDS_FUNCTION: [
            # Lists the feeds (GSI1, then BatchGetItem), claims one (reads it when the claim is
            # refused: busy, or gone), moves its cursor.
            table_access("BatchGetItem", "GetItem", "UpdateItem"),
            TABLE_INDEX_QUERIES,
            # Writes each page as a regulator's notice file (If-None-Match: only new names).
            allow(["s3:PutObject"], [sub(f"${{IntakeBucket.Arn}}/{INTAKE_PREFIX}*")]),
        ]
    }


def function_overrides() -> dict[str, Template]:
    return {PULL_FEEDS_FUNCTION: {"Properties": {"Timeout": PULL_FEEDS_TIMEOUT_SECONDS}}}
