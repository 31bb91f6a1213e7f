"""The feed puller: EventBridge runs it every hour; it pulls each feed that is due."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Rate  # type: ignore[attr-defined]
from chalice.app import CloudWatchEvent

from chalicelib.feeds.pull import pull_due_feeds
from chalicelib.feeds.services import feed_services
from chalicelib.handlers import entry_points
from chalicelib.handlers.lifecycle import ScheduledEvent
from chalicelib.observability import logger, metrics
from chalicelib.settings import load_settings

feeds = entry_points()


# Hourly: the finest schedule a feed may have; each feed's own decides whether it is due.
@feeds.schedule(Rate(1, unit=Rate.HOURS), name="pull_feeds")
def pull_feeds_task(event: CloudWatchEvent) -> dict[str, Any]:
    """Pull every due feed, as of when the schedule fired (never after now: a pull asks
    for what is new up to that day, and the cursor must not run ahead of it)."""
    scheduled = ScheduledEvent.model_validate(event.to_dict())
    results = pull_due_feeds(scheduled.time, feed_services(load_settings()))
    for result in results:
        if result.error:
            logger.warning("feed pull failed", extra=result.as_dict())
    failed = sum(1 for result in results if result.error)
    metrics.add_metric(name="FeedPullsFailed", unit=MetricUnit.Count, value=failed)
    metrics.add_metric(
        name="FeedFilesWritten", unit=MetricUnit.Count, value=sum(len(r.files) for r in results)
    )
    return {"pulls": [result.as_dict() for result in results]}
