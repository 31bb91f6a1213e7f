"""Requests under the body limit whose content would not fit one stored record (DynamoDB's
400 KB item limit): a 400 naming the largest field, nothing written — never a 500."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.api.notice_submission import MAX_RECEIPT_WARNINGS
from chalicelib.dispatch.model import DispatchRef
from chalicelib.notices.model import notice_id_for
from chalicelib.record_size import MAX_RECORD_BYTES
from tests.api.support import (
    Api,
    Caller,
    listing,
    new_platform,
    new_regulator,
    seed_notice,
    unique,
)
from tests.e2e.lifecycle_steps import services

NOTICE = {"jurisdiction": "KR", "product_name": "Magnetic toy"}
# 90,000 short model numbers: about 900 KB of JSON, under the 1 MiB body limit.
MANY_MODELS = [f"M-{n:05d}" for n in range(90_000)]


@pytest.fixture(scope="module")
def regulator(api: Api) -> Caller:
    return new_regulator()


def _too_large(answer: Any, pointer: str, code: str) -> None:
    assert answer.status == 400, answer
    (error,) = answer.body["errors"]
    assert (error["pointer"], error["code"]) == (pointer, code)
    assert f"{MAX_RECORD_BYTES:,}" in error["detail"]


def test_a_notice_of_90000_models_is_400_naming_the_list(api: Api, regulator: Caller) -> None:
    reference = unique("BIG")

    answer = api.post(
        "/v1/notices", {**NOTICE, "source_reference": reference, "models": MANY_MODELS}, regulator
    )

    _too_large(answer, "#/models", "notice_too_large")
    assert services().notices.current_state(notice_id_for(regulator.id, reference)) is None


def test_an_amendment_that_would_outgrow_a_record_is_400(api: Api, regulator: Caller) -> None:
    sent = api.post("/v1/notices", {**NOTICE, "source_reference": unique("GROW")}, regulator)
    notice_id = sent.body["notice_id"]

    answer = api.post(
        f"/v1/notices/{notice_id}/amendment", {"changes": {"models": MANY_MODELS}}, regulator
    )

    _too_large(answer, "#/changes/models", "notice_too_large")
    assert services().notices.current_state(notice_id).version == 1  # type: ignore[union-attr]


def test_a_receipt_lists_a_bounded_number_of_warnings(api: Api, regulator: Caller) -> None:
    # Every code fails its check digit: a warning each, too many to keep for replays.
    bad_barcodes = [f"88{n:011d}" for n in range(0, 20_000, 10) if (n // 10) % 10 != 0]

    answer = api.post(
        "/v1/notices",
        {**NOTICE, "source_reference": unique("WARN"), "barcodes": bad_barcodes},
        regulator,
    )

    assert answer.status == 201, answer
    warnings = answer.body["warnings"]
    assert len(warnings) == MAX_RECEIPT_WARNINGS
    assert warnings[-1]["code"] == "more_warnings"


def test_an_action_report_over_a_record_is_400_and_nothing_is_recorded(
    api: Api, regulator: Caller
) -> None:
    platform = new_platform()
    notice_id = seed_notice(regulator, [platform])
    long_url = "https://market.example/item?" + "q" * 1000
    listings = [{**listing(f"L-{n}"), "url": long_url} for n in range(400)]

    answer = api.post(f"/v1/notices/{notice_id}/actions", {"listings": listings}, platform)

    _too_large(answer, "#/listings", "too_large")
    dispatch = services().dispatches.get(DispatchRef(notice_id, 1, platform.id))
    assert dispatch is not None and dispatch.action_reported_at is None
    assert not [e for e in services().notices.timeline(notice_id) if "action" in e.kind]
