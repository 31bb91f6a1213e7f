"""The compliance audit's live check of takedowns (the workflow's ``CheckTakedowns`` step,
before ``StoreFindings``): every listing the audited platform reported removed or
access-disabled, in its verification cases of every active notice, fetched on the
platform's registered listing hosts (``takedown_checks.py``). The checks are written
beside the audit; ``StoreFindings`` turns each listing still for sale into a
``still_listed`` finding with the check as its evidence (``rules.findings_of``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from chalicelib.verification.live_check import ListingChecker, LiveStatus
from chalicelib.verification.model import VerificationCase
from chalicelib.verification.services import VerificationServices
from chalicelib.verification.takedown_checks import TakedownCheck, check_takedowns, taken_down

# The longest one listing's check can take: robots.txt and the page, each up to three
# attempts of a 10 s connect and a 10 s read, and the backoff between them. A listing
# is checked only while this much time is left, so the step ends with what it checked
# (the rest counted as not checked; the next audit checks them) rather than cut off.
SECONDS_PER_CHECK = 130.0


def check_platform_takedowns(
    services: VerificationServices,
    platform_id: str,
    snapshot_id: str,
    checker: ListingChecker,
    time_left: Callable[[], float],
) -> dict[str, Any]:
    """Check the platform's takedowns, write the checks beside the audit; the summary."""
    platform = services.lifecycle.platforms.get(platform_id)
    checks: list[TakedownCheck] = []
    not_checked = 0
    # A catalogue of a platform not (or no longer) registered: no hosts, nothing to fetch.
    for notice_id, case in _cases(services, platform_id) if platform is not None else ():
        for listing in taken_down(case):
            if platform is None or time_left() < SECONDS_PER_CHECK:
                not_checked += 1
                continue
            one = case.model_copy(update={"reported_listings": [listing]})
            checks += [
                TakedownCheck.of(notice_id, listing, check)
                for check in check_takedowns(one, platform, checker)
            ]
    summary = {
        "checked": len(checks),
        "still_listed": sum(check.status is LiveStatus.STILL_LISTED for check in checks),
        "not_checked": not_checked,
    }
    document = summary | {"checks": [check.model_dump(mode="json") for check in checks]}
    services.catalogue.put_takedowns(platform_id, snapshot_id, document)
    return summary


def _cases(
    services: VerificationServices, platform_id: str
) -> Iterator[tuple[str, VerificationCase]]:
    """The platform's cases of every active notice, newest version first, each holding
    only the listings no newer case of the notice holds (a listing is checked once,
    as last reported)."""
    cases = services.lifecycle.verification_cases
    for notice_id in sorted({a.notice_id for a in services.active_notices.active()}):
        own = [case for case in cases.for_notice(notice_id) if case.platform_id == platform_id]
        seen: set[str] = set()
        for case in sorted(own, key=lambda c: c.version, reverse=True):
            fresh = [item for item in case.reported_listings if item.listing_id not in seen]
            seen |= {item.listing_id for item in fresh}
            pruned = case.model_copy(update={"reported_listings": fresh})
            if taken_down(pruned):
                yield notice_id, pruned
