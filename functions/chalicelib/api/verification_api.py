"""Compliance verification through the API: a platform uploads catalogue snapshots
(presigned URLs) and reads the findings about its own listings; a regulator reads the
findings about its notices.

Each principal sees only its own: a regulator the findings of its notices, a platform
those on its own catalogue.
"""

from __future__ import annotations

import re
from datetime import timedelta

from chalicelib.api.calls import ApiCall, Reply, decode_cursor, encode_cursor, page_request
from chalicelib.api.models import ActionReport, AnswerReceipt
from chalicelib.api.principal import PrincipalKind
from chalicelib.api.problems import not_found
from chalicelib.api.services import ApiServices
from chalicelib.api.verification_models import (
    CatalogueSnapshotRequest,
    CatalogueSnapshotUpload,
    FindingListingView,
    FindingsPage,
    FindingsQuery,
    FindingView,
)
from chalicelib.dispatch.model import WaitKind
from chalicelib.notices.timeline import EventKind, event_key_for
from chalicelib.stores.index_pages import SORTABLE_TIME_PATTERN, sortable_time
from chalicelib.verification.findings import Finding, Resolution
from chalicelib.verification.snapshots import MANIFEST_NAME, new_snapshot_id

FINDINGS_SORT_KEY = re.compile(SORTABLE_TIME_PATTERN + r"#ntc-[0-9a-f]{24}#fnd-[0-9a-f]{24}")
# How long the upload URLs stay valid: an hour to start each PUT (a URL signed by the
# API's role cannot outlive the role's session credentials anyway).
UPLOAD_URL_SECONDS = 3600


def create_catalogue_snapshot(call: ApiCall, services: ApiServices) -> Reply:
    request = call.body_as(CatalogueSnapshotRequest)
    platform_id = call.principal.id
    snapshot_id = new_snapshot_id(call.now)
    catalogue = services.verification.catalogue

    def url(name: str) -> str:
        return catalogue.presigned_put(
            catalogue.part_key(platform_id, snapshot_id, name), UPLOAD_URL_SECONDS
        )

    upload = CatalogueSnapshotUpload(
        platform_id=platform_id,
        snapshot_id=snapshot_id,
        part_urls={name: url(name) for name in request.parts},
        manifest_url=url(MANIFEST_NAME),
        expires_at=call.now + timedelta(seconds=UPLOAD_URL_SECONDS),
    )
    return Reply(upload, status=201)


def list_findings(call: ApiCall, services: ApiServices) -> Reply:
    """A regulator's findings (filtered by kind and platform), or a platform's own."""
    query = call.query_as(FindingsQuery)
    request = page_request(query, FINDINGS_SORT_KEY)
    findings = services.verification.findings
    if call.principal.kind is PrincipalKind.REGULATOR:
        page = findings.page(
            request, regulator_id=call.principal.id, platform_id=query.platform, kind=query.kind
        )
    elif query.platform not in (None, call.principal.id):
        raise not_found("such platform")  # a platform reads its own findings only
    else:
        page = findings.page(request, platform_id=call.principal.id, kind=query.kind)
    views = [finding_view(finding) for finding in page.items]
    return Reply(FindingsPage(items=views, next_cursor=encode_cursor(page.next_after)))


def get_notice_findings(call: ApiCall, services: ApiServices) -> Reply:
    """Every finding about one of the regulator's notices, newest first, in pages."""
    query = call.query_as(FindingsQuery)
    state = services.lifecycle.notices.current_state(call.notice)
    if state is None or state.regulator_id != call.principal.id:
        raise not_found("such notice")
    after = decode_cursor(query.cursor, FINDINGS_SORT_KEY)
    since = sortable_time(query.since) if query.since else None
    shown = [
        (sort_key(finding), finding)
        for finding in services.verification.findings.for_notice(state.notice_id)
        if (query.kind is None or finding.kind is query.kind)
        and (query.platform is None or finding.platform_id == query.platform)
    ]
    shown = [
        (key, finding)
        for key, finding in shown
        if (after is None or key < after) and (since is None or key >= since)
    ]
    page = shown[: query.limit]
    next_after = page[-1][0] if len(shown) > query.limit else None
    views = [finding_view(finding) for _, finding in page]
    return Reply(FindingsPage(items=views, next_cursor=encode_cursor(next_after)))


def answer_findings(call: ApiCall, services: ApiServices, report: ActionReport) -> Reply:
    """A platform's answer to findings about its own listings: each resolved once
    (``removed``, or ``no_match`` with its reason), on the notice's timeline."""
    findings = services.verification.findings
    answered = []
    for listing in report.listings:
        assert listing.finding_id is not None  # report_actions sends findings only
        finding = findings.get(call.notice, listing.finding_id)
        if finding is None or finding.platform_id != call.principal.id:
            raise not_found("such finding")
        answered.append((finding, Resolution(listing.action.value), listing.reason))
    for finding, resolution, reason in answered:
        resolved = findings.resolve(finding, resolution, reason, call.now)
        if resolved is None:
            continue  # answered before: recorded once
        services.lifecycle.record(
            finding.notice_id,
            event_key_for(finding.version, "finding_resolved", finding.finding_id),
            EventKind.FINDING_RESOLVED,
            call.now,
            str(call.principal),
            platform_id=finding.platform_id,
            finding_id=finding.finding_id,
            finding_kind=finding.kind.value,
            resolution=resolution.value,
        )
    first = answered[0][0]
    receipt = AnswerReceipt(
        notice_id=first.notice_id,
        version=first.version,
        answer=WaitKind.ACTION_REPORT,
        recorded_at=call.now,
        deadline=None,
        late=False,
        late_working_days=0,
    )
    return Reply(receipt, status=201)


def sort_key(finding: Finding) -> str:
    return f"{sortable_time(finding.found_at)}#{finding.notice_id}#{finding.finding_id}"


def finding_view(finding: Finding) -> FindingView:
    return FindingView(
        finding_id=finding.finding_id,
        kind=finding.kind,
        notice_id=finding.notice_id,
        version=finding.version,
        platform_id=finding.platform_id,
        listing=FindingListingView.model_validate(finding.listing.model_dump()),
        tier=finding.tier,
        evidence=finding.evidence,
        score=finding.score,
        snapshot_id=finding.snapshot_id,
        snapshot_time=finding.snapshot_time,
        found_at=finding.found_at,
        status=finding.status,
        resolution=finding.resolution,
        resolution_reason=finding.resolution_reason,
        resolved_at=finding.resolved_at,
    )
