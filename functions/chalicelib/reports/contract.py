"""Timeline event kinds recorded by other capabilities, named by their contract.

CONTRACT (issue 13, shared with the notification and verification capabilities, which
add these kinds to ``EventKind``): the reports count them by these strings and read
exactly these details.

- ``notification_completed``: ``{"platform_id", "mode": "exchange"|"platform",
  "counts": {"sellers_notified", "buyers_notified", "excluded_by_lookback", "failed",
  "fallback_language", "self_notified_sellers", "self_notified_buyers"}}`` (ints);
- ``finding_recorded``: ``{"platform_id", "finding_id", "finding_kind", "listing_id",
  "regulator_id", "jurisdiction"}`` (the notice's), ``finding_kind`` one of
  ``FINDING_KINDS``; a ``found_elsewhere`` finding is counted by these two, as it has no
  dispatch to take them from;
- ``finding_resolved``: ``{"platform_id", "finding_id", "finding_kind",
  "resolution": "removed"|"no_match"}``.
"""

from __future__ import annotations

NOTIFICATION_COMPLETED = "notification_completed"
FINDING_RECORDED = "finding_recorded"
FINDING_RESOLVED = "finding_resolved"

NOTIFICATION_COUNTS = (
    "sellers_notified",
    "buyers_notified",
    "excluded_by_lookback",
    "failed",
    "fallback_language",
    "self_notified_sellers",
    "self_notified_buyers",
)
FOUND_ELSEWHERE = "found_elsewhere"
FINDING_KINDS = ("still_listed", "missed", "relisted", FOUND_ELSEWHERE)
