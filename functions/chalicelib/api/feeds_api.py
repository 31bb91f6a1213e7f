"""What a regulator sees of the feeds that speak for it."""

from __future__ import annotations

from chalicelib.api.calls import ApiCall, Reply
from chalicelib.api.models import FeedLine, FeedsList
from chalicelib.api.services import ApiServices
from chalicelib.feeds.model import FeedRecord


def list_feeds(call: ApiCall, services: ApiServices) -> Reply:
    records = services.feeds.for_regulator(call.principal.id)
    return Reply(FeedsList(items=[_line(record) for record in records]))


def _line(record: FeedRecord) -> FeedLine:
    feed, state = record.feed, record.state
    return FeedLine(
        name=feed.name,
        kind=feed.kind,
        url=feed.url,
        target_platforms=feed.target_platforms,
        schedule=feed.schedule,
        paused=state.paused,
        cursor=state.cursor,
        last_attempt_at=state.last_attempt_at,
        last_success_at=state.last_success_at,
        last_error=state.last_error,
        last_error_at=state.last_error_at,
        next_pull_at=state.next_pull_at(feed.schedule),
    )
