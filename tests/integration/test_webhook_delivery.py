"""Signed deliveries to a platform's endpoint (a real HTTP server), working or not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from chalicelib.dispatch.webhooks import (
    USER_AGENT,
    WebhookDeliveryFailed,
    deliver,
    message_id_for,
    sign,
)
from chalicelib.stores import signing_secrets
from psx.embedded.runtime import EmbeddedRuntime
from psx.webhook_receiver import WebhookReceiver
from tests.support import unique_platform_id

SECRET = signing_secrets.new_signing_secret()
NOTICE = {"notice_id": "ntc-1", "version": 1, "product": {"name": "Baby walker"}}
PAYLOAD = json.dumps(NOTICE).encode()
# What a misconfigured platform answers: its environment and our request's headers.
DEBUG_PAGE = (
    b"<h1>Internal Server Error</h1><pre>DB_PASSWORD=hunter2 at db01.corp.internal:5432\n"
    b"webhook-signature: v1,abc</pre>"
)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver([SECRET]) as platform:
        yield platform


def _signed(secrets: list[str], event_type: str = "notice.published") -> dict[str, str]:
    message_id = message_id_for("ntc-1", 1, "temu", event_type)
    return sign(PAYLOAD, message_id, datetime.now(UTC), secrets)


def _failure(url: str, headers: dict[str, str], timeout: float = 10) -> WebhookDeliveryFailed:
    with pytest.raises(WebhookDeliveryFailed) as failure:
        deliver(url, PAYLOAD, headers, timeout_seconds=timeout)
    return failure.value


def test_a_signed_message_is_verified_and_delivered(receiver: WebhookReceiver) -> None:
    headers = _signed([SECRET])
    result = deliver(receiver.url, PAYLOAD, headers)
    assert result.status_code == 200
    assert result.elapsed_ms >= 0
    [delivery] = receiver.deliveries
    assert delivery.message_id == headers["webhook-id"]
    assert delivery.body == NOTICE
    assert delivery.headers["content-type"] == "application/json"
    assert delivery.headers["user-agent"] == USER_AGENT


def test_a_503_fails_with_its_status_and_the_retry_carries_the_same_id(
    receiver: WebhookReceiver,
) -> None:
    receiver.fail_next(1)
    failure = _failure(receiver.url, _signed([SECRET]))
    assert failure.status_code == 503 and failure.retryable
    assert str(failure) == "HTTP 503 from the platform's endpoint"

    deliver(receiver.url, PAYLOAD, _signed([SECRET]))  # the retry: re-signed, same event
    assert [d.message_id for d in receiver.deliveries] == [_signed([SECRET])["webhook-id"]]
    assert receiver.requests == 2


def test_a_platform_that_is_down_refuses_the_connection(receiver: WebhookReceiver) -> None:
    receiver.go_down()
    failure = _failure(receiver.url, _signed([SECRET]))
    assert failure.status_code is None and failure.retryable
    assert str(failure) == "connection refused by the platform's endpoint"

    receiver.come_up()
    deliver(receiver.url, PAYLOAD, _signed([SECRET]))
    assert len(receiver.deliveries) == 1


def test_a_slow_platform_times_out(receiver: WebhookReceiver) -> None:
    receiver.stall_next(1, seconds=2)
    failure = _failure(receiver.url, _signed([SECRET]), timeout=0.2)
    assert failure.status_code is None
    assert str(failure) == "no answer from the platform's endpoint within 0.2 s"


def test_a_wrong_signature_is_rejected_and_not_retryable(receiver: WebhookReceiver) -> None:
    failure = _failure(receiver.url, _signed([signing_secrets.new_signing_secret()]))
    assert failure.status_code == 401 and not failure.retryable
    assert str(failure) == "HTTP 401 from the platform's endpoint"
    assert receiver.deliveries == []
    assert receiver.rejections[0].reason == "No matching signature found"


def test_redirects_are_not_followed(receiver: WebhookReceiver) -> None:
    # Followed, urllib would re-send the POST as a body-less GET, which answers 200.
    receiver.redirect_next(1)
    failure = _failure(receiver.url, _signed([SECRET]))
    assert failure.status_code == 302
    assert str(failure) == "HTTP 302 from the platform's endpoint (redirects are not followed)"
    assert receiver.requests == 1


def test_query_strings_stay_out_of_failure_messages(receiver: WebhookReceiver) -> None:
    receiver.fail_next(1)
    failure = _failure(f"{receiver.url}?token=s3cret", _signed([SECRET]))
    assert "s3cret" not in str(failure)


@pytest.mark.parametrize("status", [500, 400])
def test_a_debug_page_stays_out_of_the_failure(receiver: WebhookReceiver, status: int) -> None:
    receiver.fail_next(1, status=status, body=DEBUG_PAGE)
    failure = _failure(receiver.url, _signed([SECRET]))
    assert failure.status_code == status
    assert str(failure) == f"HTTP {status} from the platform's endpoint"


def test_during_rotation_either_secret_verifies(runtime: EmbeddedRuntime) -> None:
    name = signing_secrets.signing_secret_name("psx-dev", unique_platform_id())
    old = signing_secrets.create_secret(name)
    new = signing_secrets.rotate(name)
    headers = _signed(signing_secrets.signing_keys(name))
    assert len(headers["webhook-signature"].split(" ")) == 2

    for platform_secret in (new, old):  # switched already, or not yet
        with WebhookReceiver([platform_secret]) as platform:
            deliver(platform.url, PAYLOAD, headers)
            assert len(platform.deliveries) == 1

    signing_secrets.retire_previous(name)
    with WebhookReceiver([old]) as late_platform:
        failure = _failure(late_platform.url, _signed(signing_secrets.signing_keys(name)))
        assert failure.status_code == 401
