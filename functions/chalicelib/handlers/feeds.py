"""The feed puller: EventBridge runs it every hour; it pulls each feed that is due."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from chalice import Rate  # type: ignore[attr-defined]
from chalice.app import CloudWatchEvent

from chalicelib import clock
from chalicelib.feeds.pull import pull_due_feeds
from chalicelib.feeds.services import feed_services
from chalicelib.handlers import entry_points
from chalicelib.observability import logger, metrics
from chalicelib.settings import load_settings

feeds = entry_points()


# Hourly: the finest schedule a feed may have; each feed's own decides whether it is due.
@feeds.schedule(Rate(1, unit=Rate.HOURS), name="pull_feeds")
def pull_feeds_task(event: CloudWatchEvent) -> dict[str, Any]:
    """Pull every due feed. The exchange's clock, not the event's time: a pull asks the
    feed for what is new up to now, and the cursor must never run ahead of that."""
    results = pull_due_feeds(clock.now(), feed_services(load_settings()))
    for result in results:
        if result.error:
            logger.warning("feed pull failed", extra=result.as_dict())
    failed = sum(1 for result in results if result.error)
    metrics.add_metric(name="FeedPullsFailed", unit=MetricUnit.Count, value=failed)
    metrics.add_metric(
        name="FeedFilesWritten", unit=MetricUnit.Count, value=sum(len(r.files) for r in results)
    )
    return {"pulls": [result.as_dict() for result in results]}
