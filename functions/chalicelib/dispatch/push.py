"""Pushing a dispatch to the platform's webhook, signed per Standard Webhooks.

Each attempt is recorded. A failure the platform might recover from raises
``WebhookDeliveryFailed`` (the workflow retries it with backoff and jitter); an answer a
retry cannot change raises ``WebhookRejected``. Either way, after the last attempt the
notice stays in the platform's inbox and an alert goes out (``fall_back_to_inbox``).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib.dispatch.model import Dispatch, DispatchRef, DispatchState
from chalicelib.dispatch.services import LifecycleServices
from chalicelib.dispatch.webhooks import (
    ENDPOINT,
    WebhookDeliveryFailed,
    deliver,
    message_id_for,
    sign,
)
from chalicelib.notices.timeline import EventKind
from chalicelib.stores.signing_secrets import signing_keys

# States a successful push must not overwrite (the platform already answered).
_ANSWERED = {
    DispatchState.ACKNOWLEDGED,
    DispatchState.ACTION_REPORTED,
    DispatchState.HANDED_OFF,
    DispatchState.CLOSED,
}


class UnknownDispatch(LookupError):
    """The workflow names a dispatch or platform that is not stored."""


class WebhookRejected(Exception):
    """The platform refused the message in a way retrying cannot change (a 4xx)."""


# Why the workflow gave up, by the error it caught. Its Cause (the exception's message
# and, for a Lambda error, a stack trace with our file paths) stays out of timelines.
_GAVE_UP_REASONS = {
    WebhookDeliveryFailed.__name__: "every attempt failed (see the webhook_failed events)",
    WebhookRejected.__name__: f"{ENDPOINT} refused the message; a retry cannot change that",
}
_GAVE_UP_OTHERWISE = "the message could not be delivered"


def push_webhook(
    ref: DispatchRef, event_type: str, now: datetime, services: LifecycleServices
) -> dict[str, Any]:
    platform = services.platforms.get(ref.platform_id)
    if platform is None:
        raise UnknownDispatch(f"no platform {ref.platform_id} for {ref}")
    if not platform.webhook_url or not platform.signing_secret_ref:
        _without_webhook(ref, now, services)
        return {"delivered": False}
    # Counted only while the dispatch is not closed (superseded meanwhile): never push a
    # stale version. The count's own write answers with the dispatch (no read first).
    dispatch = services.dispatches.count_webhook_attempt(ref)
    if dispatch is None:
        _existing(ref, services)
        return {"delivered": False}
    attempt = dispatch.webhook_attempts
    payload = _payload(dispatch, event_type, services)
    headers = sign(
        payload,
        message_id_for(ref.notice_id, ref.version, ref.platform_id, event_type),
        now,
        signing_keys(platform.signing_secret_ref),
    )
    try:
        result = deliver(platform.webhook_url, payload, headers)
    except WebhookDeliveryFailed as exc:
        outcome = {"delivered": False, "status_code": exc.status_code, "reason": exc.reason}
        services.record(
            ref.notice_id,
            ref.event_key("webhook", f"{attempt:03d}"),
            EventKind.WEBHOOK_FAILED,
            now,
            "psx",
            platform_id=ref.platform_id,
            attempt=attempt,
            status_code=exc.status_code,
            reason=exc.reason,
            evidence=_keep_attempt(ref, attempt, now, payload, headers, outcome, services),
        )
        if exc.retryable:
            raise
        raise WebhookRejected(exc.reason) from exc
    outcome = {"delivered": True, "status_code": result.status_code, "reason": None}
    services.record(
        ref.notice_id,
        ref.event_key("webhook", f"{attempt:03d}"),
        EventKind.WEBHOOK_DELIVERED,
        now,
        "psx",
        platform_id=ref.platform_id,
        attempt=attempt,
        status_code=result.status_code,
        elapsed_ms=result.elapsed_ms,
        evidence=_keep_attempt(ref, attempt, now, payload, headers, outcome, services),
    )
    services.dispatches.set_state(ref, DispatchState.DELIVERED, unless=_ANSWERED)
    return {"delivered": True, "attempt": attempt}


def _without_webhook(ref: DispatchRef, now: datetime, services: LifecycleServices) -> None:
    """The platform has no webhook: the notice stays in its inbox (unless closed)."""
    if _existing(ref, services).state is DispatchState.CLOSED:
        return
    services.record(
        ref.notice_id,
        ref.event_key("no_webhook"),
        EventKind.INBOX_ONLY,
        now,
        "psx",
        platform_id=ref.platform_id,
        reason="the platform has no webhook",
    )
    services.dispatches.set_state(ref, DispatchState.INBOX_ONLY, unless=_ANSWERED)


def _existing(ref: DispatchRef, services: LifecycleServices) -> Dispatch:
    dispatch = services.dispatches.get(ref)
    if dispatch is None:
        raise UnknownDispatch(f"no dispatch of {ref}")
    return dispatch


def fall_back_to_inbox(
    ref: DispatchRef, error: str, now: datetime, services: LifecycleServices
) -> None:
    """Every push failed: the platform can still pull the notice; tell the operators.

    ``error`` is the name of the error the workflow caught (``WebhookDeliveryFailed``
    or ``WebhookRejected``).
    """
    dispatch = _existing(ref, services)
    reason = _GAVE_UP_REASONS.get(error, _GAVE_UP_OTHERWISE)
    services.dispatches.set_state(ref, DispatchState.INBOX_ONLY, unless=_ANSWERED)
    services.record(
        ref.notice_id,
        ref.event_key("webhook_gave_up"),
        EventKind.WEBHOOK_GAVE_UP,
        now,
        "psx",
        platform_id=ref.platform_id,
        attempts=dispatch.webhook_attempts,
        reason=reason,
    )
    services.escalations.publish(
        dispatch.regulator_id,
        "webhook_unreachable",
        f"Webhook of {ref.platform_id} unreachable for notice {ref.notice_id}",
        {
            "notice_id": ref.notice_id,
            "version": ref.version,
            "platform_id": ref.platform_id,
            "reason": reason,
            "fallback": "the notice is in the platform's inbox",
        },
    )


def _keep_attempt(
    ref: DispatchRef,
    attempt: int,
    now: datetime,
    payload: bytes,
    headers: dict[str, str],
    outcome: dict[str, Any],
    services: LifecycleServices,
) -> dict[str, str]:
    """The signed message exactly as sent, and how the attempt ended. Each attempt has
    its own number (counted before sending), so a retried task never rewrites one."""
    attempt_evidence = {
        "notice_id": ref.notice_id,
        "version": ref.version,
        "platform_id": ref.platform_id,
        "attempt": attempt,
        "sent_at": now.isoformat(),
        "headers": headers,
        "payload": payload.decode("utf-8"),
        "outcome": outcome,
    }
    return services.keep(ref, "webhooks", f"attempt-{attempt:03d}.json", attempt_evidence)


def _payload(dispatch: Dispatch, event_type: str, services: LifecycleServices) -> bytes:
    ref = dispatch.ref
    notice = services.notices.get_version(ref.notice_id, ref.version)
    if notice is None:
        raise UnknownDispatch(f"notice {ref.notice_id} has no version {ref.version}")
    body = {
        "type": event_type,
        "notice_id": ref.notice_id,
        "version": ref.version,
        "regulator_id": dispatch.regulator_id,
        "deadlines": {
            "acknowledgement": _iso(dispatch.acknowledgement_deadline),
            "action_report": _iso(dispatch.action_deadline),
        },
        "notice": notice.content.as_sent_to(ref.platform_id).model_dump(mode="json"),
    }
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
