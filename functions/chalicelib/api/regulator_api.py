"""What a regulator does through the API: send, list, read, amend and withdraw its
notices, and follow every platform's answers on a notice's timeline.

A regulator sees only its own notices: any other notice id is simply not found.
New versions take the path intake takes: store the version, then start its lifecycle.

Concurrent changes: a notice sent whole (``POST /v1/notices``) replaces whatever version
is current, as a file row does. An amendment or a withdrawal is computed from the
version read here and applies to that version only: when another change wins the race
it is refused (412 with ``If-Match``, 409 ``concurrent-update`` without), never applied
to the newer version. The ETag names a version (``GET`` returns it).
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.api.calls import ApiCall, Reply, encode_cursor, page_request
from chalicelib.api.models import (
    Amendment,
    ExtensionReceipt,
    NoticeExtension,
    NoticeLine,
    NoticeReceipt,
    NoticesPage,
    NoticesQuery,
    Timeline,
    Withdrawal,
)
from chalicelib.api.notice_submission import (
    amended_record,
    raw_record,
    submitted_fields,
    validated_content,
)
from chalicelib.api.problems import (
    ApiProblem,
    FieldError,
    conflict,
    invalid,
    json_pointer,
    not_found,
)
from chalicelib.api.services import ApiServices
from chalicelib.api.views import notice_view, timeline_entry
from chalicelib.dispatch.extension import (
    NoticeWithdrawnError,
    PlatformsRefused,
    extend_notice,
)
from chalicelib.notices.extensions import AlreadyExtended
from chalicelib.notices.model import Notice, NoticeContent, NoticeStatus, notice_id_for
from chalicelib.notices.timeline import EventKind, TimelineEvent, event_key_for
from chalicelib.notices.versions import CurrentState, SaveOutcome, VersionConflict
from chalicelib.stores.index_pages import SORTABLE_TIME_PATTERN

NOTICES_SORT_KEY = re.compile(SORTABLE_TIME_PATTERN + r"#ntc-[0-9a-f]{24}")
SOURCE_FORMAT = "api"
# A notice sent whole replaces whatever is current; the others are computed from ``known``.
_WHOLE_NOTICE = "submission"


def submit_notice(call: ApiCall, services: ApiServices) -> Reply:
    assert call.body is not None
    record = raw_record(submitted_fields(call.body))
    content, warnings = validated_content(record, services.settings, call.principal.id)
    known = services.lifecycle.notices.current_state(_notice_id_of(call, content))
    return _store(call, services, content, warnings, known, (_WHOLE_NOTICE, {}))


def list_notices(call: ApiCall, services: ApiServices) -> Reply:
    query = call.query_as(NoticesQuery)
    page = services.lifecycle.notices.page_for_regulator(
        call.principal.id,
        page_request(query, NOTICES_SORT_KEY),
        statuses={query.status} if query.status else None,
    )
    lines = [
        NoticeLine(
            notice_id=summary.state.notice_id,
            version=summary.state.version,
            status=summary.state.status,
            source_reference=summary.state.source_reference,
            updated_at=summary.updated_at,
        )
        for summary in page.items
    ]
    return Reply(NoticesPage(items=lines, next_cursor=encode_cursor(page.next_after)))


def get_notice(call: ApiCall, services: ApiServices) -> Reply:
    """The current version, with every platform's dispatches of every version."""
    state, notice = _own_notice(call, services)
    dispatches = services.lifecycle.dispatches.for_notice(notice.notice_id)
    handed_off = services.lifecycle.hand_off_statuses(notice.notice_id)
    return Reply(notice_view(notice, dispatches, handed_off), etag=etag(state))


def get_timeline(call: ApiCall, services: ApiServices) -> Reply:
    state = _own_state(call, services)
    events = services.lifecycle.notices.timeline(state.notice_id)
    return Reply(
        Timeline(notice_id=state.notice_id, events=[timeline_entry(event) for event in events])
    )


def withdraw(call: ApiCall, services: ApiServices) -> Reply:
    request = call.body_as(Withdrawal)
    state, notice = _notice_to_change(call, services)
    if notice.status is NoticeStatus.WITHDRAWN:
        raise conflict(
            "already-withdrawn", "Already withdrawn", f"version {notice.version} withdrew it"
        )
    content = notice.content.model_copy(update={"withdrawn": True})
    return _store(call, services, content, [], state, ("withdrawal", {"reason": request.reason}))


def amend(call: ApiCall, services: ApiServices) -> Reply:
    request = call.body_as(Amendment)
    changes = submitted_fields(request.changes)
    if "status" in changes:
        raise invalid(
            [
                FieldError(
                    detail="use POST /v1/notices/{notice_id}/withdrawal to withdraw a notice",
                    code="not_amendable",
                    pointer="#/changes/status",
                )
            ]
        )
    state, notice = _notice_to_change(call, services)
    if notice.status is NoticeStatus.WITHDRAWN:
        raise conflict(
            "notice-withdrawn",
            "The notice was withdrawn",
            f"version {notice.version} withdrew it, and a withdrawal is final: to send it "
            "again, re-issue it whole with POST /v1/notices (same source_reference)",
        )
    record = amended_record(notice.content, changes)
    content, warnings = validated_content(
        record, services.settings, call.principal.id, under=("changes",)
    )
    if content.source_reference != notice.content.source_reference:
        raise invalid(
            [
                FieldError(
                    detail="the source reference names the notice: it cannot change",
                    code="not_amendable",
                    pointer="#/changes/source_reference",
                )
            ]
        )
    details = {"reason": request.reason, "fields": sorted(changes)}
    return _store(call, services, content, warnings, state, ("amendment", details))


def extend(call: ApiCall, services: ApiServices) -> Reply:
    request = call.body_as(NoticeExtension)
    state, notice = _notice_to_change(call, services)
    try:
        outcome = extend_notice(
            state,
            notice,
            request.platforms,
            by=str(call.principal),
            now=call.now,
            services=services.lifecycle,
            starter=services.starter,
            # Kept under the version it extends: an extension makes no version of its own.
            keep_request=lambda: _keep_request(
                call, services, notice.content, state.version, "extension"
            ),
            reason=request.reason,
        )
    except NoticeWithdrawnError as exc:
        raise conflict(
            "notice-withdrawn",
            "The notice was withdrawn",
            f"{exc}: re-issue it whole with POST /v1/notices (same source_reference) first",
        ) from exc
    except PlatformsRefused as exc:
        raise _platforms_refused(request.platforms, exc) from exc
    except VersionConflict as exc:
        raise _moved_on(call, exc.current, str(exc)) from exc
    except AlreadyExtended as exc:
        raise ApiProblem(
            409,
            "concurrent-update",
            "Changed concurrently",
            f"{exc}: nothing was changed; send the request again",
            headers={"Retry-After": "1"},
        ) from exc
    receipt = ExtensionReceipt(
        notice_id=outcome.notice_id,
        version=outcome.version,
        added=outcome.added,
        unchanged=outcome.unchanged,
    )
    status = 201 if outcome.added else 200
    return Reply(
        receipt, status=status, location=f"/v1/notices/{state.notice_id}", etag=etag(state)
    )


_REFUSED_PLATFORM = {"unknown_platform": "no such platform", "inactive_platform": "inactive"}


def _platforms_refused(named: list[str], refused: PlatformsRefused) -> ApiProblem:
    """400 naming each unknown or inactive platform; else 409 for those already targeted."""
    why = dict.fromkeys(refused.unknown, "unknown_platform")
    why |= dict.fromkeys(refused.inactive, "inactive_platform")
    if not why:
        return conflict(
            "already-targeted",
            "Already sent there",
            f"the notice already targets {', '.join(refused.already_targeted)}: nothing changed",
        )
    errors = [
        FieldError(
            detail=f"{platform_id}: {_REFUSED_PLATFORM[why[platform_id]]}",
            code=why[platform_id],
            pointer=json_pointer(("platforms", index)),
        )
        for index, platform_id in enumerate(named)
        if platform_id in why
    ]
    return invalid(errors, "only registered, active platforms can be added")


def etag(state: CurrentState) -> str:
    """The strong entity tag of a notice version: what ``If-Match`` names."""
    return f'"{state.notice_id}-v{state.version}"'


# -- helpers -----------------------------------------------------------------------------


def _own_state(call: ApiCall, services: ApiServices) -> CurrentState:
    state = services.lifecycle.notices.current_state(call.notice)
    if state is None or state.regulator_id != call.principal.id:
        raise not_found("such notice")
    return state


def _own_notice(call: ApiCall, services: ApiServices) -> tuple[CurrentState, Notice]:
    state = _own_state(call, services)
    notice = services.lifecycle.notices.get_version(state.notice_id, state.version)
    if notice is None:
        raise not_found("such notice")
    return state, notice


def _notice_to_change(call: ApiCall, services: ApiServices) -> tuple[CurrentState, Notice]:
    """The regulator's notice as it is now, if it is the version ``If-Match`` names."""
    state, notice = _own_notice(call, services)
    if call.if_match is not None and not call.if_match & {"*", etag(state)}:
        raise _moved_on(call, state, f"the notice is at version {state.version}")
    return state, notice


def _moved_on(call: ApiCall, current: CurrentState, what: str) -> ApiProblem:
    """412 for a change made with ``If-Match``, 409 for one without: nothing changed."""
    detail = (
        f"{what}, ETag {etag(current)}: nothing was changed. Read the notice again "
        f"(GET /v1/notices/{current.notice_id}) and send your change again if it still applies"
    )
    headers = {"ETag": etag(current)}
    if call.if_match is not None:
        return ApiProblem(412, "precondition-failed", "The notice changed", detail, headers=headers)
    return ApiProblem(409, "concurrent-update", "Changed concurrently", detail, headers=headers)


def _notice_id_of(call: ApiCall, content: NoticeContent) -> str:
    return notice_id_for(call.principal.id, content.source_reference)


def _store(
    call: ApiCall,
    services: ApiServices,
    content: NoticeContent,
    warnings: list[FieldError],
    known: CurrentState | None,
    request: tuple[str, dict[str, Any]],
) -> Reply:
    """Store ``content`` as the next version and start its lifecycle (as intake does).

    ``request`` (kind and details) is what the regulator asked for: an amendment or a
    withdrawal, computed from ``known``, is stored as the version after ``known`` or
    refused; a notice sent whole replaces whatever version is current.
    """
    kind, details = request
    notices = services.lifecycle.notices
    # Kept before the version is stored: a failed write stores nothing, and the client's
    # retry starts clean. A re-send that changes nothing keeps nothing.
    kept = (
        None
        if known and known.already_holds(content)
        else _keep_request(call, services, content, known.version + 1 if known else 1, kind)
    )
    try:
        saved = notices.save(
            content,
            regulator_id=call.principal.id,
            source_format=SOURCE_FORMAT,
            source_file=None,
            received_at=call.now,
            known=known,
            based_on_known=kind != _WHOLE_NOTICE,
        )
    except VersionConflict as exc:
        raise _moved_on(call, exc.current, str(exc)) from exc
    state = saved.current
    changed = saved.outcome is not SaveOutcome.UNCHANGED
    if changed:
        notices.append_event(
            TimelineEvent(
                state.notice_id,
                event_key_for(state.version, f"{kind}_requested"),
                EventKind(f"{kind}_requested"),
                call.now,
                str(call.principal),
                {**details, "evidence": kept},
            )
        )
    if not state.lifecycle_started:
        # Also when unchanged: a start lost to a crash after the save is made good here.
        services.starter.start(state)
    receipt = NoticeReceipt(
        notice_id=state.notice_id,
        version=state.version,
        status=state.status,
        outcome=saved.outcome,
        warnings=warnings,
    )
    return Reply(
        receipt,
        status=201 if changed else 200,
        location=f"/v1/notices/{state.notice_id}",
        etag=etag(state),
    )


def _keep_request(
    call: ApiCall,
    services: ApiServices,
    content: NoticeContent,
    version: int,
    kind: str,
) -> dict[str, str]:
    """Keep the request as received, under the version it asks for (or, for an
    extension, extends); what its event names.

    Named by content (its time included): a retry after a failure is received anew and
    kept as such, one after success is replayed and keeps nothing. An amendment or a
    withdrawal that then loses the race for its version is kept, named by no event; a
    notice sent whole that a concurrent change pushes to a later version is named by that
    version's event under the key of the version it asked for.
    """
    assert call.body is not None
    received = {
        "principal": str(call.principal),
        "received_at": call.now.isoformat(),
        "idempotency_key": call.idempotency_key,
        "request": call.body.model_dump(mode="json", exclude_unset=True),
    }
    return services.lifecycle.keep_for_version(
        _notice_id_of(call, content),
        version,
        "regulator-request",
        kind,
        received,
    )
