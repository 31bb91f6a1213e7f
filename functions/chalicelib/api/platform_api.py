"""What a platform does through the API: read its inbox and notices, acknowledge, report
its actions and the affected parties, and test its webhook.

A platform only ever sees its own dispatches: every lookup starts from them, so another
platform's notice (or one never sent to this platform) is simply not found.
"""

from __future__ import annotations

import json
import re
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from chalicelib.api.calls import ApiCall, Reply, encode_cursor, page_request
from chalicelib.api.models import (
    Acknowledgement,
    ActionReport,
    AffectedParties,
    AffectedPartiesReceipt,
    AnswerReceipt,
    InboxEntry,
    InboxPage,
    InboxQuery,
    WebhookTestResult,
)
from chalicelib.api.problems import ApiProblem, FieldError, conflict, invalid, not_found
from chalicelib.api.services import ApiServices
from chalicelib.api.verification_api import answer_findings
from chalicelib.api.views import dispatch_view, notice_view
from chalicelib.dispatch.model import Dispatch, DispatchState, WaitKind
from chalicelib.dispatch.waits import DispatchClosed, answer
from chalicelib.dispatch.webhooks import WebhookDeliveryFailed, deliver, sign
from chalicelib.notices.model import NoticeKind
from chalicelib.notification.batches import NotifiesItself, accept_batch, record_received
from chalicelib.stores.index_pages import SORTABLE_TIME_PATTERN
from chalicelib.stores.signing_secrets import signing_keys

INBOX_SORT_KEY = re.compile(SORTABLE_TIME_PATTERN + r"#ntc-[0-9a-f]{24}#v[0-9]{6}")
# Clocks differ: an action reported a little in the future is the platform's clock.
CLOCK_SKEW = timedelta(minutes=5)
WEBHOOK_TEST_TIMEOUT_SECONDS = 10
WEBHOOK_TEST_EVENT = "webhook.test"


def list_inbox(call: ApiCall, services: ApiServices) -> Reply:
    query = call.query_as(InboxQuery)
    page = services.lifecycle.dispatches.inbox_page(
        call.principal.id,
        page_request(query, INBOX_SORT_KEY),
        states={query.status} if query.status else None,
    )
    items = [_inbox_entry(dispatch) for dispatch in page.items]
    return Reply(InboxPage(items=items, next_cursor=encode_cursor(page.next_after)))


def get_notice(call: ApiCall, services: ApiServices) -> Reply:
    """The latest version sent to this platform, with this platform's dispatches."""
    own = _own_dispatches(call, services)
    latest = max(own, key=lambda dispatch: dispatch.ref.version)
    notice = services.lifecycle.notices.get_version(call.notice, latest.ref.version)
    if notice is None:
        raise not_found("such notice")
    shown = notice.model_copy(update={"content": notice.content.as_sent_to(call.principal.id)})
    return Reply(notice_view(shown, own, services.lifecycle.hand_off_statuses(call.notice)))


def acknowledge(call: ApiCall, services: ApiServices) -> Reply:
    body = call.body_as(Acknowledgement)
    return _answer(call, services, WaitKind.ACKNOWLEDGEMENT, body.version, _report(body))


def report_actions(call: ApiCall, services: ApiServices) -> Reply:
    report = call.body_as(ActionReport)
    future = [
        FieldError(
            detail="is in the future", code="future_time", pointer=f"#/listings/{i}/acted_at"
        )
        for i, listing in enumerate(report.listings)
        if listing.acted_at > call.now + CLOCK_SKEW
    ]
    if future:
        raise invalid(future)
    answering = [listing.finding_id is not None for listing in report.listings]
    if any(answering):
        if not all(answering):
            raise invalid(
                [
                    FieldError(
                        detail="a report answers findings only, or none",
                        code="mixed_report",
                        pointer=f"#/listings/{i}/finding_id",
                    )
                    for i, answers in enumerate(answering)
                    if not answers
                ]
            )
        return answer_findings(call, services, report)
    return _answer(call, services, WaitKind.ACTION_REPORT, report.version, _report(report))


def report_affected_parties(call: ApiCall, services: ApiServices) -> Reply:
    """Take one batch: each good recipient is stored once and queued for sending; each
    bad one is refused with its pointer; the last batch (``final``) ends notification
    once everything queued is sent."""
    body = call.body_as(AffectedParties)
    dispatch = open_dispatch(call, services, body.version)
    ref = dispatch.ref
    batch_id = f"{call.now:%Y%m%dT%H%M%S%fZ}-{secrets.token_hex(4)}"
    try:
        outcome = accept_batch(dispatch, _report(body), call.now, services.notification)
    except NotifiesItself as exc:
        raise conflict("notifies-itself", "You notify sellers and buyers", str(exc)) from exc
    rejected = [
        FieldError(detail=problem.detail, code=problem.code, pointer=f"#{problem.pointer}")
        for problem in outcome.problems
    ]
    taken = outcome.queued + outcome.duplicates + outcome.excluded_by_lookback
    if rejected and not (taken or body.notified_by_platform or body.final):
        raise invalid(rejected, "no recipient of the batch could be taken")
    # Counts only, on the timeline and in evidence: the contacts are personal data.
    counts = {
        "sellers": len(body.sellers),
        "buyers": len(body.buyers),
        "queued": outcome.queued,
        "duplicates": outcome.duplicates,
        "excluded_by_lookback": outcome.excluded_by_lookback,
        "rejected": len(rejected),
        "final": body.final,
        "notified_by_platform": (
            body.notified_by_platform.model_dump() if body.notified_by_platform else None
        ),
    }
    record_received(ref, batch_id, counts, call.now, str(call.principal), services.notification)
    receipt = AffectedPartiesReceipt(
        notice_id=ref.notice_id,
        version=ref.version,
        batch_id=batch_id,
        sellers=len(body.sellers),
        buyers=len(body.buyers),
        notified_by_platform=body.notified_by_platform,
        received_at=call.now,
        mode=outcome.mode,
        queued=outcome.queued,
        duplicates=outcome.duplicates,
        excluded_by_lookback=outcome.excluded_by_lookback,
        rejected=rejected,
        final=body.final,
        completed=outcome.completed,
    )
    return Reply(receipt, status=201)


def test_webhook(call: ApiCall, services: ApiServices) -> Reply:
    """Send a signed ``webhook.test`` message to the platform's webhook and say how it went."""
    platform = services.lifecycle.platforms.get(call.principal.id)
    if platform is None or not platform.webhook_url or not platform.signing_secret_ref:
        raise conflict("no-webhook", "No webhook", "no webhook URL is registered for you")
    webhook_id = "msg_" + secrets.token_hex(16)
    payload = json.dumps(
        {"type": WEBHOOK_TEST_EVENT, "platform_id": platform.platform_id, "sent_at": _iso(call.now)}
    ).encode("utf-8")
    headers = sign(payload, webhook_id, call.now, signing_keys(platform.signing_secret_ref))
    parts = urlsplit(platform.webhook_url)
    shown_url = f"{parts.scheme}://{parts.netloc}{parts.path}"  # query strings may hold tokens
    try:
        result = deliver(
            platform.webhook_url, payload, headers, timeout_seconds=WEBHOOK_TEST_TIMEOUT_SECONDS
        )
    except WebhookDeliveryFailed as exc:
        failed = WebhookTestResult(
            delivered=False,
            webhook_id=webhook_id,
            url=shown_url,
            status_code=exc.status_code,
            elapsed_ms=None,
            error=exc.reason,
        )
        return Reply(failed)
    delivered = WebhookTestResult(
        delivered=True,
        webhook_id=webhook_id,
        url=shown_url,
        status_code=result.status_code,
        elapsed_ms=result.elapsed_ms,
        error=None,
    )
    return Reply(delivered)


# -- helpers -----------------------------------------------------------------------------


def _own_dispatches(call: ApiCall, services: ApiServices) -> list[Dispatch]:
    own = [
        dispatch
        for dispatch in services.lifecycle.dispatches.for_notice(call.notice)
        if dispatch.ref.platform_id == call.principal.id
    ]
    if not own:
        raise not_found("such notice")
    return own


def open_dispatch(call: ApiCall, services: ApiServices, version: int | None) -> Dispatch:
    """The dispatch a platform answers: ``version``, or the latest one sent to it."""
    own = _own_dispatches(call, services)
    if version is None:
        dispatch = max(own, key=lambda d: d.ref.version)
    else:
        matching = [d for d in own if d.ref.version == version]
        if not matching:
            raise not_found(f"version {version} of this notice")
        dispatch = matching[0]
    if dispatch.withdrawal:
        raise conflict(
            "nothing-owed",
            "The notice was withdrawn",
            f"version {dispatch.ref.version} withdraws the notice: nothing is owed",
        )
    if dispatch.state is DispatchState.CLOSED:
        raise DispatchClosed(f"version {dispatch.ref.version} of {dispatch.ref.notice_id}")
    return dispatch


def _answer(
    call: ApiCall,
    services: ApiServices,
    kind: WaitKind,
    version: int | None,
    body: dict[str, Any],
) -> Reply:
    """Record the answer and resume the waiting workflow, exactly once per dispatch."""
    dispatch = open_dispatch(call, services, version)
    if dispatch.answered_at(kind) is not None:
        raise _already_answered(kind, dispatch)
    outcome = answer(dispatch.ref, kind, body, call.now, services.lifecycle)
    if not outcome.recorded:  # a concurrent request (another idempotency key) was first
        current = services.lifecycle.dispatches.get(dispatch.ref) or dispatch
        raise _already_answered(kind, current)
    deadline = dispatch.deadline(kind)
    receipt = AnswerReceipt(
        notice_id=dispatch.ref.notice_id,
        version=dispatch.ref.version,
        answer=kind,
        recorded_at=call.now,
        deadline=deadline,
        late=outcome.late_working_days > 0,
        late_working_days=outcome.late_working_days,
    )
    return Reply(receipt, status=201)


def _already_answered(kind: WaitKind, dispatch: Dispatch) -> ApiProblem:
    version = dispatch.ref.version
    if kind is WaitKind.ACKNOWLEDGEMENT and dispatch.acknowledged_at is None:
        detail = (
            f"the action report for version {version} recorded at "
            f"{_iso(dispatch.action_reported_at)} already acknowledged it"
        )
    else:
        detail = (
            f"the {kind.value.replace('_', ' ')} for version {version} was recorded at "
            f"{_iso(dispatch.answered_at(kind))}"
        )
    return conflict("already-answered", "Already answered", detail)


def _inbox_entry(dispatch: Dispatch) -> InboxEntry:
    return InboxEntry(
        notice_id=dispatch.ref.notice_id,
        version=dispatch.ref.version,
        regulator_id=dispatch.regulator_id,
        kind=NoticeKind(dispatch.notice_kind),
        jurisdiction=dispatch.jurisdiction,
        dispatch=dispatch_view(dispatch),
    )


def _report(body: Acknowledgement | ActionReport | AffectedParties) -> dict[str, Any]:
    return body.model_dump(mode="json", exclude={"version"})


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else "?"
