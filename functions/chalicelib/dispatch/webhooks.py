"""Standard Webhooks: signing and delivering one message to a platform.

Headers (https://www.standardwebhooks.com): ``webhook-id``, ``webhook-timestamp`` (Unix
seconds) and ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``,
one per signing key, space-separated, so a platform rotating its secret verifies with
either the old or the new one. The HMAC comes from the ``standardwebhooks`` package.
"""

from __future__ import annotations

import hashlib
import http.client
import math
import socket
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

USER_AGENT = "psx-webhooks/1"
# How a failure is described wherever people read it (timelines, alerts, API answers).
ENDPOINT = "the platform's endpoint"


@dataclass(frozen=True)
class DeliveryResult:
    status_code: int
    elapsed_ms: int


class WebhookDeliveryFailed(Exception):
    """The platform did not accept the message (non-2xx, or unreachable).

    ``reason`` is short text of our own (status code, kind of network failure): never
    the platform's answer, its headers or a library's exception text, which may hold
    anything (a debug page with credentials, internal host names). Regulators read it.
    """

    def __init__(self, status_code: int | None, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.reason = reason

    @property
    def retryable(self) -> bool:
        """False for answers that a retry of the same message cannot change (4xx)."""
        if self.status_code is None:
            return True
        return self.status_code >= 500 or self.status_code in {408, 425, 429}


def message_id_for(notice_id: str, version: int, platform_id: str, event_type: str) -> str:
    """The same event to the same platform always has the same id: retries are
    recognisable as such, and platforms deduplicate on ``webhook-id``."""
    material = "\x1f".join([notice_id, str(version), platform_id, event_type])
    return "msg_" + hashlib.sha256(material.encode()).hexdigest()[:32]


def sign(
    payload: bytes, message_id: str, timestamp: datetime, secrets: list[str]
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``payload`` (UTF-8 JSON)."""
    if not secrets:
        raise ValueError("at least one signing secret is needed")
    if timestamp.tzinfo is None:
        raise ValueError("timestamp must be timezone-aware")
    # The library labels the timestamp UTC without converting it: convert first.
    utc = timestamp.astimezone(UTC)
    data = payload.decode("utf-8")
    signatures = [Webhook(secret).sign(message_id, utc, data) for secret in secrets]
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(math.floor(utc.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


def deliver(
    url: str, payload: bytes, headers: dict[str, str], timeout_seconds: float = 10
) -> DeliveryResult:
    """POST the signed message; raises ``WebhookDeliveryFailed`` unless answered 2xx.

    ``timeout_seconds`` bounds connecting and each read, not the whole exchange.
    """
    request = urllib.request.Request(
        url,
        data=payload,
        method="POST",
        headers={**headers, "Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    started = time.monotonic()
    try:
        # urllib raises HTTPError for every answer outside 2xx. The answer's body is
        # never read: nothing in it is ours to keep.
        with _OPENER.open(request, timeout=timeout_seconds) as response:
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise WebhookDeliveryFailed(exc.code, _http_failure(exc.code)) from exc
    except urllib.error.URLError as exc:
        raise _unreachable(exc.reason, timeout_seconds) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _unreachable(exc, timeout_seconds) from exc
    elapsed_ms = round((time.monotonic() - started) * 1000)
    return DeliveryResult(status, elapsed_ms)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib turns a redirected POST into a body-less GET, whose 200 would look like
    # a delivery; a redirect is reported as the non-2xx answer it is.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _http_failure(status_code: int) -> str:
    reason = f"HTTP {status_code} from {ENDPOINT}"
    if 300 <= status_code < 400:
        return f"{reason} (redirects are not followed)"
    return reason


def _unreachable(cause: object, timeout_seconds: float) -> WebhookDeliveryFailed:
    # The cause's own text stays out: it may quote the server (a TLS alert, a malformed
    # status line). The chained exception keeps it for the logs.
    if isinstance(cause, TimeoutError):
        text = f"no answer from {ENDPOINT} within {timeout_seconds:g} s"
    elif isinstance(cause, ConnectionRefusedError):
        text = f"connection refused by {ENDPOINT}"
    elif isinstance(cause, socket.gaierror):
        text = f"DNS lookup failed for {ENDPOINT}"
    elif isinstance(cause, ConnectionResetError):  # RemoteDisconnected is one
        text = f"{ENDPOINT} closed the connection without answering"
    elif isinstance(cause, ssl.SSLError):
        text = f"TLS error with {ENDPOINT}"
    elif isinstance(cause, http.client.HTTPException):
        text = f"{ENDPOINT} answered with something that is not HTTP"
    else:
        text = f"cannot reach {ENDPOINT}"
    return WebhookDeliveryFailed(None, text)
