"""Standard Webhooks signing, message ids, and failures that need no server."""

from __future__ import annotations

import socket
import ssl
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from chalicelib.dispatch.webhooks import (
    WebhookDeliveryFailed,
    deliver,
    message_id_for,
    sign,
)
from chalicelib.stores.signing_secrets import new_signing_secret

# The Standard Webhooks reference test vector.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIME = datetime.fromtimestamp(1614265330, tz=UTC)
VECTOR_PAYLOAD = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_sign_matches_the_reference_vector() -> None:
    assert sign(VECTOR_PAYLOAD, VECTOR_ID, VECTOR_TIME, [VECTOR_SECRET]) == {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": "1614265330",
        "webhook-signature": VECTOR_SIGNATURE,
    }


def test_a_timestamp_in_another_zone_signs_the_same_instant() -> None:
    seoul = VECTOR_TIME.astimezone(timezone(timedelta(hours=9)))
    assert sign(VECTOR_PAYLOAD, VECTOR_ID, seoul, [VECTOR_SECRET])["webhook-signature"] == (
        VECTOR_SIGNATURE
    )


@pytest.mark.parametrize(
    ("timestamp", "secrets", "problem"),
    [
        (VECTOR_TIME.replace(tzinfo=None), [VECTOR_SECRET], "timezone-aware"),
        (VECTOR_TIME, [], "at least one signing secret"),
    ],
)
def test_sign_refuses_ambiguous_input(
    timestamp: datetime, secrets: list[str], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        sign(VECTOR_PAYLOAD, VECTOR_ID, timestamp, secrets)


def test_each_secret_adds_a_signature_that_verifies_alone() -> None:
    old, new = new_signing_secret(), new_signing_secret()
    headers = sign(b'{"notice": 1}', "msg_1", datetime.now(UTC), [new, old])
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(b'{"notice": 1}', headers) == {"notice": 1}


def test_generated_secrets_are_standard_webhooks_secrets() -> None:
    secret = new_signing_secret()
    assert secret.startswith("whsec_")
    assert len(Webhook(secret)._whsecret) == 32
    assert secret != new_signing_secret()


def test_message_ids_are_stable_per_event_and_distinct_across_events() -> None:
    event = ("ntc-1", 2, "temu", "notice.published")
    assert message_id_for(*event) == message_id_for(*event)
    assert message_id_for(*event).startswith("msg_")
    variants = {
        message_id_for("ntc-2", 2, "temu", "notice.published"),
        message_id_for("ntc-1", 3, "temu", "notice.published"),
        message_id_for("ntc-1", 2, "aliexpress", "notice.published"),
        message_id_for("ntc-1", 2, "temu", "notice.withdrawn"),
        message_id_for(*event),
    }
    assert len(variants) == 5


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(None, True), (503, True), (429, True), (408, True), (400, False), (401, False)],
)
def test_which_failures_a_retry_can_fix(status: int | None, retryable: bool) -> None:
    assert WebhookDeliveryFailed(status, "x").retryable is retryable


def test_a_dns_failure_is_said_in_our_words(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_host(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_host)
    with pytest.raises(WebhookDeliveryFailed) as failure:
        deliver("https://hooks.internal.example/psx?token=s3cret", b"{}", {})
    assert failure.value.status_code is None
    assert str(failure.value) == "DNS lookup failed for the platform's endpoint"


def test_a_tls_failure_keeps_the_servers_text_out(monkeypatch: pytest.MonkeyPatch) -> None:
    def hostile_handshake(*args: Any, **kwargs: Any) -> Any:
        raise ssl.SSLError(1, "[SSL] alert from db01.corp.internal: DB_PASSWORD=hunter2")

    monkeypatch.setattr(socket, "create_connection", hostile_handshake)
    with pytest.raises(WebhookDeliveryFailed) as failure:
        deliver("https://hooks.example/psx", b"{}", {})
    assert str(failure.value) == "TLS error with the platform's endpoint"
