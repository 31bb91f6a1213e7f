"""The feeds capability wired to its stores (the only module of it that knows them)."""

from __future__ import annotations

from chalicelib.feeds.fetch import FetchPolicy
from chalicelib.feeds.pull import FeedServices
from chalicelib.settings import Settings
from chalicelib.stores.feeds_table import FeedsTable
from chalicelib.stores.intake_bucket import IncomingFeedFiles


def fetch_policy(settings: Settings) -> FetchPolicy:
    # No page larger than intake would accept as a file is worth fetching.
    return FetchPolicy(
        timeout_seconds=settings.feed_timeout_seconds,
        max_bytes=settings.limits.max_file_bytes,
    )


def feed_services(settings: Settings) -> FeedServices:
    return FeedServices(
        store=FeedsTable(settings.table_name),
        files=IncomingFeedFiles(settings.intake_bucket),
        policy=fetch_policy(settings),
    )
