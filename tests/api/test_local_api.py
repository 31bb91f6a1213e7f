"""The API on a local server in-process (as `psx demo` runs it), the `psx` API client, and
the embedded runtime's clock: a platform answering "days later" is marked late."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib import clock
from chalicelib.deadlines.working_days import add_working_days
from psx.api_client import ApiClient, ApiError
from psx.embedded.runtime import EmbeddedRuntime
from psx.embedded.serve import LocalApi
from tests.api.support import UNKNOWN_KEY, new_platform, new_regulator, seed_notice

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def local_api(runtime: EmbeddedRuntime) -> Iterator[LocalApi]:
    with LocalApi(runtime, access_log=False) as api:
        yield api


def test_the_client_follows_every_page(local_api: LocalApi) -> None:
    regulator, platform = new_regulator(), new_platform()
    notice_ids = {seed_notice(regulator, [platform]) for _ in range(5)}
    client = ApiClient(local_api.url, platform.key)

    listed = [entry["notice_id"] for entry in client.pages("/v1/inbox", limit=2)]

    assert sorted(listed) == sorted(notice_ids)


def test_a_refusal_raises_with_its_problem_details(local_api: LocalApi) -> None:
    platform = new_platform()
    client = ApiClient(local_api.url, platform.key)

    with pytest.raises(ApiError) as refused:
        client.post("/v1/notices/ntc-000000000000000000000000/acknowledgement", {})
    with pytest.raises(ApiError) as unauthenticated:
        ApiClient(local_api.url, UNKNOWN_KEY).get("/v1/inbox")

    assert refused.value.status == 404
    assert refused.value.problem["type"].endswith("not-found")
    assert unauthenticated.value.status == 403
    assert unauthenticated.value.problem["status"] == 403


def test_an_answer_on_the_runtimes_later_clock_is_late(
    runtime: EmbeddedRuntime, local_api: LocalApi
) -> None:
    regulator, platform = new_regulator(), new_platform()
    sent = datetime.now(UTC)
    notice_id = seed_notice(regulator, [platform], at=sent, deadline=timedelta(days=1))
    client = ApiClient(local_api.url, platform.key)
    path = f"/v1/notices/{notice_id}/acknowledgement"
    # Three working days past the deadline, whatever the week: a calendar week holds
    # only two around Seollal or Chuseok.
    later = add_working_days(sent + timedelta(days=1), 3, "KR") + timedelta(minutes=1)

    with runtime.clock_at(later):
        receipt = client.post(path, {})
    with pytest.raises(ApiError) as again:
        client.post(path, {})

    assert receipt["late"] is True and receipt["late_working_days"] >= 3
    assert datetime.fromisoformat(receipt["recorded_at"]) >= later
    recorded = datetime.fromisoformat(receipt["recorded_at"]).isoformat()
    assert again.value.status == 409 and recorded in again.value.problem["detail"]
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=1)  # back to real time
