"""`psx demo`'s live check of takedowns: each marketplace reported its listings removed;
the exchange fetches every one of them on the marketplace's registered listing host and
says whether it is really gone (chalicelib/verification/takedown_checks.py)."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

from chalicelib.stores.platforms_table import PlatformStore
from chalicelib.stores.verification_cases import VerificationCaseStore
from chalicelib.verification.takedown_checks import check_takedowns, listing_checker
from psx.terminal import echo

# The simulated marketplaces run on this machine and are ours: no need to space the
# requests by the 2 s a real marketplace gets.
DEMO_INTERVAL_SECONDS = 0.0


def show_live_checks(reports: list[dict[str, Any]]) -> None:
    """The verification case of every dispatch handed off, checked live with the
    platform as registered (its listing hosts)."""
    table = os.environ["PSX_TABLE_NAME"]
    cases, registry = VerificationCaseStore(table), PlatformStore(table)
    notice_ids = sorted(
        {
            row["notice_id"]
            for report in reports
            for row in report.get("rows", [])
            if "notice_id" in row
        }
    )
    checker = listing_checker(
        None,
        allow_loopback=True,  # the demo's marketplaces serve on 127.0.0.1
        min_interval_seconds=DEMO_INTERVAL_SECONDS,
    )
    outcomes: Counter[tuple[str, str]] = Counter()
    for notice_id in notice_ids:
        for case in cases.for_notice(notice_id):
            platform = registry.get(case.platform_id)
            assert platform is not None, f"case of unregistered platform {case.platform_id}"
            for check in check_takedowns(case, platform, checker):
                outcomes[(platform.name, check.status.value)] += 1
    echo("\nLive check of the reported takedowns (registered hosts, robots.txt)", bold=True)
    for (name, status), count in sorted(outcomes.items()):
        echo(f"  {name}: {count} {status}")
