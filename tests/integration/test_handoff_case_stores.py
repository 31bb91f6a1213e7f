"""The notification and verification case stores against moto: opened once, read back."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.notification.model import NotificationCase
from chalicelib.stores.notification_cases import NotificationCaseStore
from chalicelib.stores.verification_cases import VerificationCaseStore
from chalicelib.verification.model import ReportedListing, VerificationCase
from psx.embedded.runtime import EmbeddedRuntime

AT = datetime(2026, 12, 1, 9, tzinfo=UTC)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _fields(notice_id: str, platform_id: str, version: int = 1) -> dict[str, object]:
    return {
        "notice_id": notice_id,
        "version": version,
        "platform_id": platform_id,
        "regulator_id": "kftc",
        "jurisdiction": "KR",
        "opened_at": AT,
    }


def _notification(notice_id: str, platform_id: str, version: int = 1) -> NotificationCase:
    return NotificationCase.model_validate(
        {**_fields(notice_id, platform_id, version), "seller_ids": ["S-1"]}
    )


def _verification(notice_id: str, platform_id: str, version: int = 1) -> VerificationCase:
    listing = ReportedListing(listing_id="L-1", url="https://shop.example/L-1", action="removed")
    return VerificationCase.model_validate(
        {**_fields(notice_id, platform_id, version), "reported_listings": [listing]}
    )


CASES: dict[str, tuple[Any, Any]] = {
    "notification": (NotificationCaseStore, _notification),
    "verification": (VerificationCaseStore, _verification),
}


@pytest.mark.parametrize("capability", CASES)
def test_a_case_is_opened_once_and_read_back(runtime: EmbeddedRuntime, capability: str) -> None:
    store_type, make = CASES[capability]
    store = store_type(os.environ["PSX_TABLE_NAME"])
    notice_id = unique("N")
    first = make(notice_id, "temu")

    assert store.open(first) == first
    retried = first.model_copy(update={"opened_at": AT + timedelta(minutes=5)})
    # A retried hand-off changes nothing and gets the case as first opened.
    assert store.open(retried) == first
    assert store.get(first.ref) == first
    assert store.get(make(notice_id, "ali").ref) is None


@pytest.mark.parametrize("capability", CASES)
def test_a_notices_cases_are_listed_and_no_other_items(
    runtime: EmbeddedRuntime, capability: str
) -> None:
    store_type, make = CASES[capability]
    store = store_type(os.environ["PSX_TABLE_NAME"])
    notice_id = unique("N")
    opened = [make(notice_id, "temu"), make(notice_id, "ali"), make(notice_id, "temu", 2)]
    for case in opened:
        store.open(case)
    store.open(make(unique("N"), "temu"))

    assert sorted(store.for_notice(notice_id), key=lambda c: (c.version, c.platform_id)) == sorted(
        opened, key=lambda c: (c.version, c.platform_id)
    )


def test_the_two_capabilities_keep_apart_items_for_one_dispatch(runtime: EmbeddedRuntime) -> None:
    table = os.environ["PSX_TABLE_NAME"]
    notice_id = unique("N")
    NotificationCaseStore(table).open(_notification(notice_id, "temu"))

    assert VerificationCaseStore(table).for_notice(notice_id) == []
    assert VerificationCaseStore(table).open(_verification(notice_id, "temu")).reported_listings
