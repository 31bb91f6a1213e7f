"""The messages of a notice, rendered: the buyer recall notice and the sellers'
statements of reasons, for the notice's regulator and the platforms it was sent to.

A platform that notifies its buyers and sellers itself fetches them here; in both modes
the exchange writes them (``chalicelib/notification/rendering.py``). A platform sees the
latest version sent to it and the listings of its own action report; the regulator
names the platform (``platform_id``) and sees the same.
"""

from __future__ import annotations

from chalicelib.api.calls import ApiCall, Reply
from chalicelib.api.models import (
    DsaTdbStatement,
    DsaTdbStatements,
    RecallNoticeQuery,
    RecallNoticeView,
    RenderedMessageView,
    StatementsAnswer,
    StatementsQuery,
    StatementsView,
    StatementView,
)
from chalicelib.api.principal import PrincipalKind
from chalicelib.api.problems import FieldError, conflict, invalid, not_found
from chalicelib.api.services import ApiServices
from chalicelib.dispatch.actions import Listing, ListingAction
from chalicelib.dispatch.model import Dispatch
from chalicelib.notices.model import Notice
from chalicelib.notification.dsa_tdb import NotForTransparencyDatabase
from chalicelib.notification.languages import primary_language
from chalicelib.notification.rendering import (
    MessageKind,
    RenderedMessage,
    dsa_tdb_record,
    render_buyer_message,
    render_seller_statement,
)
from chalicelib.platforms.model import ISO_639_1, Platform

_DOCUMENTS = {"html": "text/html", "text": "text/plain"}


def get_recall_notice(call: ApiCall, services: ApiServices) -> Reply:
    query = call.query_as(RecallNoticeQuery)
    language = _language(query.language)
    dispatches = _dispatches(call, services, query.platform_id)
    notice, platform = _sent(call, services, max(dispatches, key=lambda d: d.ref.version))
    url = query.notice_url or notice.content.source_url
    if not url:
        raise invalid(
            [
                FieldError(
                    detail="this notice has no page of the regulator (source_url): give the "
                    "link buyers should follow",
                    code="missing",
                    parameter="notice_url",
                )
            ]
        )
    default = MessageKind.RECALL_WITHDRAWN if notice.content.withdrawn else MessageKind.RECALL
    message = render_buyer_message(
        MessageKind(query.kind) if query.kind else default,
        notice,
        platform,
        language=language,
        country=query.country,
        notice_url=url,
    )
    if query.format in _DOCUMENTS:
        return _document(message, query.format)
    view = RecallNoticeView(
        notice_id=notice.notice_id,
        version=notice.version,
        platform_id=platform.platform_id,
        message=_view(message),
    )
    return Reply(view, language=message.language)


def get_statements_of_reasons(call: ApiCall, services: ApiServices) -> Reply:
    query = call.query_as(StatementsQuery)
    language = _language(query.language)
    if query.format in _DOCUMENTS and query.listing_id is None:
        raise invalid(
            [
                FieldError(
                    detail=f"format {query.format} shows one statement: give its listing_id",
                    code="missing",
                    parameter="listing_id",
                )
            ]
        )
    dispatch = _reported(_dispatches(call, services, query.platform_id))
    notice, platform = _sent(call, services, dispatch)
    listings = _acted_on(dispatch, query.listing_id)
    if query.format == "dsa-tdb":
        return Reply(StatementsAnswer(_dsa_records(notice, platform, listings)))
    rendered = [
        (
            listing,
            render_seller_statement(
                notice, platform, listing, language=language, country=query.country
            ),
        )
        for listing in listings
    ]
    if query.format in _DOCUMENTS:
        return _document(rendered[0][1], query.format)
    view = StatementsView(
        notice_id=notice.notice_id,
        version=notice.version,
        platform_id=platform.platform_id,
        statements=[
            StatementView(
                listing_id=listing.listing_id,
                seller_id=listing.seller_id,
                action=listing.action,
                message=_view(message),
            )
            for listing, message in rendered
        ],
    )
    return Reply(StatementsAnswer(view))


def _language(requested: str | None) -> str | None:
    """A language code as asked; one that names no language at all is refused (a real
    language the exchange does not write falls back, and the answer says so)."""
    if requested is not None and primary_language(requested) not in ISO_639_1:
        raise invalid(
            [
                FieldError(
                    detail=f"{requested!r} is not an ISO 639-1 language code (or a tag such "
                    "as ko-KR)",
                    code="unknown_language",
                    parameter="language",
                )
            ]
        )
    return requested


def _dispatches(call: ApiCall, services: ApiServices, platform_id: str | None) -> list[Dispatch]:
    """The dispatches of the notice to one platform: the caller's own, or for the
    notice's regulator, the platform it names."""
    if call.principal.kind is PrincipalKind.PLATFORM:
        if platform_id not in {None, call.principal.id}:
            raise not_found("such notice")
        platform_id = call.principal.id
    else:
        state = services.lifecycle.notices.current_state(call.notice)
        if state is None or state.regulator_id != call.principal.id:
            raise not_found("such notice")
    dispatches = services.lifecycle.dispatches.for_notice(call.notice)
    if platform_id is None:
        platform_id = _the_only_platform(dispatches)
    own = [dispatch for dispatch in dispatches if dispatch.ref.platform_id == platform_id]
    if not own:
        raise not_found("such notice" if platform_id == call.principal.id else "such dispatch")
    return own


def _the_only_platform(dispatches: list[Dispatch]) -> str:
    """The platform a regulator means without naming one: the notice's only platform."""
    platforms = sorted({dispatch.ref.platform_id for dispatch in dispatches})
    if len(platforms) == 1:
        return platforms[0]
    raise invalid(
        [
            FieldError(
                detail=f"the notice went to {len(platforms)} platforms: name one",
                code="missing",
                parameter="platform_id",
            )
        ]
    )


def _sent(call: ApiCall, services: ApiServices, dispatch: Dispatch) -> tuple[Notice, Platform]:
    """The notice version as the dispatch's platform was sent it, and that platform."""
    notice = services.lifecycle.notices.get_version(call.notice, dispatch.ref.version)
    platform = services.lifecycle.platforms.get(dispatch.ref.platform_id)
    if notice is None or platform is None:
        raise not_found("such notice")
    shown = notice.model_copy(update={"content": notice.content.as_sent_to(platform.platform_id)})
    return shown, platform


def _reported(dispatches: list[Dispatch]) -> Dispatch:
    """The latest dispatch the platform reported its actions on."""
    reported = [dispatch for dispatch in dispatches if dispatch.action_report is not None]
    if not reported:
        raise conflict(
            "no-action-report",
            "No action report yet",
            "statements of reasons follow the platform's action report: none was reported",
        )
    return max(reported, key=lambda dispatch: dispatch.ref.version)


def _acted_on(dispatch: Dispatch, listing_id: str | None) -> list[Listing]:
    assert dispatch.action_report is not None
    listings = [
        listing
        for listing in dispatch.action_report.listings
        if listing.action is not ListingAction.NO_MATCH and listing_id in {None, listing.listing_id}
    ]
    if listing_id is not None and not listings:
        raise not_found("listing acted on with this listing_id in the action report")
    return listings


def _dsa_records(notice: Notice, platform: Platform, listings: list[Listing]) -> DsaTdbStatements:
    try:
        records = [dsa_tdb_record(notice, platform, listing) for listing in listings]
    except NotForTransparencyDatabase as exc:
        raise conflict("not-for-dsa-database", "Not for the DSA database", str(exc)) from exc
    return DsaTdbStatements(
        statements=[DsaTdbStatement.model_validate(record) for record in records]
    )


def _document(message: RenderedMessage, format_name: str) -> Reply:
    body = message.html if format_name == "html" else message.text
    return Reply(body, media_type=_DOCUMENTS[format_name], language=message.language)


def _view(message: RenderedMessage) -> RenderedMessageView:
    return RenderedMessageView(
        kind=message.kind.value,
        language=message.language,
        fallback_language=message.fallback_language,
        subject=message.subject,
        text=message.text,
        html=message.html,
        sms=message.sms,
    )
