"""Every operation of the API: who may call it, what it takes and returns, what runs.

``http.handle`` enforces this table and ``openapi.py`` documents it, so the contract and
the behaviour cannot drift apart; functions/app.py routes each path to its operation
(tests/api check that the routes and this table agree).
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from chalicelib.api import (
    feeds_api,
    notification_api,
    platform_api,
    recipients_api,
    regulator_api,
    reports_api,
    uploads_api,
    verification_api,
)
from chalicelib.api.calls import ApiCall, Handler, Reply
from chalicelib.api.models import (
    Acknowledgement,
    ActionReport,
    AffectedParties,
    AffectedPartiesReceipt,
    Amendment,
    AnswerReceipt,
    ExtensionReceipt,
    FeedsList,
    InboxPage,
    InboxQuery,
    NoticeExtension,
    NoticeReceipt,
    NoticesPage,
    NoticesQuery,
    NoticeView,
    NotificationsPage,
    NotificationsQuery,
    RecallNoticeQuery,
    RecallNoticeView,
    StatementsAnswer,
    StatementsQuery,
    Timeline,
    WebhookTest,
    WebhookTestResult,
    Withdrawal,
)
from chalicelib.api.notice_submission import NoticeSubmission
from chalicelib.api.principal import PrincipalKind
from chalicelib.api.report_models import ComplianceQuery, ComplianceReportView
from chalicelib.api.services import ApiServices
from chalicelib.api.upload_models import (
    AffectedPartiesUpload,
    AffectedPartiesUploadRequest,
    AffectedPartiesUploadView,
)
from chalicelib.api.verification_models import (
    CatalogueSnapshotRequest,
    CatalogueSnapshotUpload,
    FindingsPage,
    FindingsQuery,
)

PLATFORMS = frozenset({PrincipalKind.PLATFORM})
REGULATORS = frozenset({PrincipalKind.REGULATOR})
EVERYONE = PLATFORMS | REGULATORS


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    summary: str
    principals: frozenset[PrincipalKind]
    handler: Handler
    response: type[BaseModel]
    status: int = 200
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    description: str = ""
    # Other successful answers with the same body, and what they mean.
    also: tuple[tuple[int, str], ...] = ()
    # Media types the answer may have besides JSON (a rendered document, chosen by format).
    documents: tuple[str, ...] = ()
    # Problems the logic may answer besides those every operation of its shape has.
    problems: tuple[int, ...] = ()
    # Answers carry the ETag of the notice version they show or made.
    etag: bool = False
    # Takes If-Match (412 when the notice moved on); applied only to the version it
    # was computed from (409 concurrent-update otherwise).
    conditional: bool = False
    # Also answers ``text/csv`` to a request that asks for it (``Accept``).
    csv: bool = False

    @property
    def writes(self) -> bool:
        return self.method == "POST"


def _get_notice(call: ApiCall, services: ApiServices) -> Reply:
    if call.principal.kind is PrincipalKind.PLATFORM:
        return platform_api.get_notice(call, services)
    return regulator_api.get_notice(call, services)


_NOTICE = "/v1/notices/{notice_id}"
_UNCHANGED = ((200, "Nothing changed: this content is already the current version."),)

OPERATIONS: dict[str, Operation] = {
    operation.operation_id: operation
    for operation in (
        Operation(
            "listInbox",
            "GET",
            "/v1/inbox",
            "Your notices, newest first",
            PLATFORMS,
            platform_api.list_inbox,
            InboxPage,
            query=InboxQuery,
            description="One entry per notice version sent to you. Pages are stable while "
            "notices arrive: follow next_cursor until it is null.",
        ),
        Operation(
            "getNotice",
            "GET",
            _NOTICE,
            "A notice and its dispatches",
            EVERYONE,
            _get_notice,
            NoticeView,
            description="A platform gets the latest version sent to it and its own "
            "dispatches; the regulator gets the current version and every platform's, "
            "and its ETag for If-Match.",
            etag=True,
        ),
        Operation(
            "acknowledge",
            "POST",
            f"{_NOTICE}/acknowledgement",
            "Acknowledge a notice",
            PLATFORMS,
            platform_api.acknowledge,
            AnswerReceipt,
            status=201,
            body=Acknowledgement,
            description="Recorded once; after the deadline it is accepted and marked late.",
        ),
        Operation(
            "reportActions",
            "POST",
            f"{_NOTICE}/actions",
            "Report the listings found and what was done to each",
            PLATFORMS,
            platform_api.report_actions,
            AnswerReceipt,
            status=201,
            body=ActionReport,
            description="Recorded once (it also acknowledges the notice); after the deadline "
            "it is accepted and marked late.",
        ),
        Operation(
            "reportAffectedParties",
            "POST",
            f"{_NOTICE}/affected-parties",
            "Report sellers and buyers to notify, or how many you notify yourselves",
            PLATFORMS,
            platform_api.report_affected_parties,
            AffectedPartiesReceipt,
            status=201,
            body=AffectedParties,
            description="Send as many batches as needed (each at most 1000 of each).",
        ),
        Operation(
            "createAffectedPartiesUpload",
            "POST",
            f"{_NOTICE}/affected-parties/uploads",
            "Upload a large list of sellers and buyers to notify as a CSV or JSONL file",
            PLATFORMS,
            uploads_api.create_upload,
            AffectedPartiesUpload,
            status=201,
            body=AffectedPartiesUploadRequest,
            description="PUT the file to upload_url; it is taken row by row like JSON "
            "batches (the same checks, once per person). 409 notifies-itself when your "
            "agreement has you notify yourselves. Follow Location for the result.",
            problems=(409,),
        ),
        Operation(
            "getAffectedPartiesUpload",
            "GET",
            f"{_NOTICE}/affected-parties/uploads/{{upload_id}}",
            "What became of an uploaded file of sellers and buyers, row by row",
            PLATFORMS,
            uploads_api.get_upload,
            AffectedPartiesUploadView,
            description="pending until the file arrives; completed with the counts and "
            "each refused row (row, field, reason); failed when the file as a whole could "
            "not be read (nothing of it stored).",
        ),
        Operation(
            "listNotifications",
            "GET",
            f"{_NOTICE}/notifications",
            "Your recipients of this notice and what was sent to each",
            PLATFORMS,
            recipients_api.list_notifications,
            NotificationsPage,
            query=NotificationsQuery,
            description="By your own buyer_ref / seller_id (never the contact), with the "
            "counts; follow next_cursor until it is null.",
        ),
        Operation(
            "testWebhook",
            "POST",
            "/v1/webhook-test",
            "Send a signed test message to your webhook",
            PLATFORMS,
            platform_api.test_webhook,
            WebhookTestResult,
            body=WebhookTest,
        ),
        Operation(
            "submitNotice",
            "POST",
            "/v1/notices",
            "Send one notice",
            REGULATORS,
            regulator_api.submit_notice,
            NoticeReceipt,
            status=201,
            body=NoticeSubmission,
            description="Validated like a row of a notice file. The same source_reference "
            "again replaces the notice with a new version (200 and outcome unchanged when "
            "nothing changed); after a withdrawal, an active notice re-issues it (outcome "
            "reissued: sent to its platforms as a new notice).",
            also=_UNCHANGED,
            etag=True,
        ),
        Operation(
            "listNotices",
            "GET",
            "/v1/notices",
            "Your notices, most recently changed first",
            REGULATORS,
            regulator_api.list_notices,
            NoticesPage,
            query=NoticesQuery,
        ),
        Operation(
            "getTimeline",
            "GET",
            f"{_NOTICE}/timeline",
            "Everything that happened to a notice, every platform's answers included",
            REGULATORS,
            regulator_api.get_timeline,
            Timeline,
        ),
        Operation(
            "withdrawNotice",
            "POST",
            f"{_NOTICE}/withdrawal",
            "Withdraw a notice",
            REGULATORS,
            regulator_api.withdraw,
            NoticeReceipt,
            status=201,
            body=Withdrawal,
            description="A new version that ends what platforms still owe and tells them. "
            "Applied to the version it was computed from: with If-Match, 412 when the "
            "notice moved on; without, 409 concurrent-update when another change won.",
            etag=True,
            conditional=True,
        ),
        Operation(
            "amendNotice",
            "POST",
            f"{_NOTICE}/amendment",
            "Amend a notice",
            REGULATORS,
            regulator_api.amend,
            NoticeReceipt,
            status=201,
            body=Amendment,
            description="A new version with the changed fields; platforms answer it anew. "
            "Applied to the version it was computed from: with If-Match, 412 when the "
            "notice moved on; without, 409 concurrent-update when another change won. "
            "A withdrawn notice is not amended (409): re-issue it with POST /v1/notices.",
            also=_UNCHANGED,
            etag=True,
            conditional=True,
        ),
        Operation(
            "getRecallNotice",
            "GET",
            f"{_NOTICE}/recall-notice",
            "The buyer recall notice, in a buyer's language",
            EVERYONE,
            notification_api.get_recall_notice,
            RecallNoticeView,
            query=RecallNoticeQuery,
            description="What buyers are told (GPSR Art. 36): HTML, plain text, SMS. A "
            "platform gets the latest version sent to it; a regulator names the platform. "
            "The order date is an SES template placeholder, filled per buyer.",
            documents=("text/html", "text/plain"),
        ),
        Operation(
            "getStatementsOfReasons",
            "GET",
            f"{_NOTICE}/statements-of-reasons",
            "The sellers' statements of reasons, or DSA Transparency Database records",
            EVERYONE,
            notification_api.get_statements_of_reasons,
            StatementsAnswer,
            query=StatementsQuery,
            description="One per listing of the platform's action report that was acted on "
            "(DSA Art. 17). A platform gets its own; a regulator names the platform. 409 "
            "no-action-report before the action report; 409 not-for-dsa-database for "
            "dsa-tdb when the measure applies outside the EU/EEA.",
            documents=("text/html", "text/plain"),
            problems=(409,),
        ),
        Operation(
            "listFeeds",
            "GET",
            "/v1/feeds",
            "The public feeds pulled on your behalf, and how far each has got",
            REGULATORS,
            feeds_api.list_feeds,
            FeedsList,
            description="Each feed the exchange pulls as you (CPSC recalls, Safety Gate "
            "weekly reports): its cursor, its last success and its last error.",
        ),
        Operation(
            "extendNotice",
            "POST",
            f"{_NOTICE}/extensions",
            "Send a notice to more platforms",
            REGULATORS,
            regulator_api.extend,
            ExtensionReceipt,
            status=201,
            body=NoticeExtension,
            description="The current version is dispatched to each added platform like any "
            "other dispatch (webhook, inbox, deadlines), and every later version reaches it; "
            "the platforms that have it already are not disturbed (no new version). All "
            "named platforms or none: unknown or inactive ones are 400, ones the notice "
            "already targets 409 already-targeted, a withdrawn notice 409 notice-withdrawn. "
            "Applied to the version it was computed from: with If-Match, 412 when the "
            "notice moved on; without, 409 concurrent-update when another change won.",
            also=((200, "Nothing changed: already extended to these platforms."),),
            etag=True,
            conditional=True,
        ),
        Operation(
            "createCatalogueSnapshot",
            "POST",
            "/v1/catalogue-snapshots",
            "Upload a catalogue snapshot: presigned URLs for its parts and manifest",
            PLATFORMS,
            verification_api.create_catalogue_snapshot,
            CatalogueSnapshotUpload,
            status=201,
            body=CatalogueSnapshotRequest,
            description="PUT each part to its URL, then _manifest.json ({snapshot_time, "
            "parts: [{name, rows}]}). The next compliance audit checks the newest complete "
            "snapshot; a snapshot whose manifest or parts are missing is never audited.",
        ),
        Operation(
            "listFindings",
            "GET",
            "/v1/findings",
            "Findings of the compliance audits, newest first",
            EVERYONE,
            verification_api.list_findings,
            FindingsPage,
            query=FindingsQuery,
            description="A regulator gets the findings about its notices (kind and platform "
            "filter them); a platform gets those about its own listings. Answer a finding "
            "through POST /v1/notices/{notice_id}/actions.",
        ),
        Operation(
            "getNoticeFindings",
            "GET",
            f"{_NOTICE}/findings",
            "Findings about one notice, newest first",
            REGULATORS,
            verification_api.get_notice_findings,
            FindingsPage,
            query=FindingsQuery,
        ),
        Operation(
            "getComplianceReport",
            "GET",
            "/v1/reports/compliance",
            "Compliance figures per platform, regulator and week or month",
            EVERYONE,
            reports_api.compliance,
            ComplianceReportView,
            query=ComplianceQuery,
            description="A regulator sees every platform on its own notices; a platform "
            "sees only itself, on every regulator's notices sent to it. The figures are "
            "defined in docs/reports.md; null where no event exists to count (e.g. no "
            "notification_completed yet). Send Accept: text/csv for one CSV line per row.",
            csv=True,
        ),
    )
}
