"""The API's request and response bodies. The OpenAPI document is generated from these
(``openapi.py``), and requests are validated by them: one definition of the contract.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StrictInt,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from chalicelib.api.notice_submission import NoticeSubmission
from chalicelib.api.problems import FieldError
from chalicelib.deadlines.policy import NotificationMode
from chalicelib.dispatch.actions import ListingAction
from chalicelib.dispatch.cases import CaseStatus
from chalicelib.dispatch.model import DispatchState, WaitKind
from chalicelib.feeds.model import FeedKind, Schedule
from chalicelib.identifiers.participants import PLATFORM_ID_PATTERN
from chalicelib.notices.model import NoticeContent, NoticeKind, NoticeStatus
from chalicelib.notices.versions import SaveOutcome
from chalicelib.notification.recipients import (
    MAX_PARTIES,
    BuyerIn,
    Party,
    RecipientStatus,
    SellerIn,
)
from chalicelib.platforms.model import Jurisdiction

MAX_LISTINGS = 1000
PAGE_LIMIT_DEFAULT = 50
PAGE_LIMIT_MAX = 100
# Notice versions are six digits in every sort key (``v000001``).
MAX_VERSION = 999_999
# More parties than any marketplace has buyers; DynamoDB numbers hold 38 digits.
MAX_PARTY_COUNT = 1_000_000_000
# Every time and date in a request lies in [EARLIEST_TIME, LATEST_TIME). Outside it, a
# time is a typo or a probe, and near year 1 or 9999 it cannot even be turned into UTC.
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(2100, 1, 1, tzinfo=UTC)

Id = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(max_length=2000)]

# RFC 3339: ISO 8601 with seconds and a zone, ASCII digits only. Unix seconds, a
# missing zone or a week date are refused, not guessed at.
RFC_3339_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
_RFC_3339 = re.compile(RFC_3339_PATTERN)
_WINDOW = f"{EARLIEST_TIME:%Y-%m-%d} to {LATEST_TIME.year - 1}-12-31"


def _rfc_3339_text(value: object) -> object:
    if not isinstance(value, str) or not _RFC_3339.fullmatch(value):
        raise PydanticCustomError(
            "time_format", "must be ISO 8601 with seconds and a zone, e.g. 2026-11-23T09:30:00Z"
        )
    return value


def _time_in_window(moment: datetime) -> datetime:
    if not EARLIEST_TIME <= moment < LATEST_TIME:
        raise PydanticCustomError("time_range", f"must lie in {_WINDOW} (UTC)")
    return moment


def _day_in_window(day: date) -> date:
    if not EARLIEST_TIME.date() <= day < LATEST_TIME.date():
        raise PydanticCustomError("time_range", f"must lie in {_WINDOW}")
    return day


def _decimal_text(value: object) -> object:
    """A query parameter's integer: ASCII digits only (no sign, space, ``_`` or ``.0``)."""
    if not isinstance(value, str) or not value.isascii() or not value.isdecimal():
        raise PydanticCustomError("int_parsing", "must be a whole number in ASCII digits")
    return value


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc_3339_text),
    AfterValidator(_time_in_window),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": f"^{RFC_3339_PATTERN}$"}),
]
Day = Annotated[date, Field(strict=True), AfterValidator(_day_in_window)]
Version = Annotated[StrictInt, Field(ge=1, le=MAX_VERSION)]
PartyCount = Annotated[StrictInt, Field(ge=0, le=MAX_PARTY_COUNT)]
QueryInt = Annotated[int, BeforeValidator(_decimal_text)]


def _http_url(value: str) -> str:
    if not value.startswith(("https://", "http://")) or any(c.isspace() for c in value):
        raise ValueError("must be an http(s) URL without spaces")
    return value


HttpUrl = Annotated[str, Field(min_length=8, max_length=2000), AfterValidator(_http_url)]


class _Request(BaseModel):
    # The API's one rule for unknown fields: rejected with a 400 naming each one. Ignoring
    # them would let a misspelt optional field vanish without anyone noticing.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Response(BaseModel):
    model_config = ConfigDict(frozen=True)


# -- query parameters --------------------------------------------------------------------


class PageQuery(_Request):
    since: Timestamp | None = Field(
        default=None,
        description="Only what arrived at or after this time (ISO 8601 with seconds and a "
        f"zone, {_WINDOW}).",
    )
    limit: QueryInt = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: str | None = Field(
        default=None, max_length=200, description="next_cursor of the previous page."
    )


class InboxQuery(PageQuery):
    status: DispatchState | None = Field(default=None, description="Only dispatches in this state.")


class NotificationsQuery(_Request):
    limit: QueryInt = Field(default=PAGE_LIMIT_DEFAULT, ge=1, le=PAGE_LIMIT_MAX)
    cursor: str | None = Field(
        default=None, max_length=300, description="next_cursor of the previous page."
    )


class NoticesQuery(PageQuery):
    status: NoticeStatus | None = Field(default=None, description="Only notices in this state.")


# -- platform requests -------------------------------------------------------------------


class _AnswersVersion(_Request):
    version: Version | None = Field(
        default=None,
        description="The notice version answered; default: the latest one sent to you.",
    )


class Acknowledgement(_AnswersVersion):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reference": "TICKET-4711", "note": "Searching for listings"}]
        }
    )

    reference: Id | None = Field(default=None, description="Your own case or ticket id.")
    note: Note | None = None


class Listing(_Request):
    listing_id: Id
    url: HttpUrl
    title: Annotated[str, Field(min_length=1, max_length=1000)]
    seller_id: Id
    action: ListingAction = Field(
        description="removed, access_disabled, warning_shown, or no_match (checked: not the "
        "product of the notice)."
    )
    acted_at: Timestamp = Field(
        description=f"When the action took effect (ISO 8601 with seconds and a zone, {_WINDOW}; "
        "at most 5 minutes in the future)."
    )
    evidence_ref: Annotated[str, Field(max_length=1000)] | None = Field(
        default=None, description="Where your evidence is kept: a case id, a screenshot URL."
    )
    finding_id: Annotated[str, Field(pattern=r"^fnd-[0-9a-f]{24}$")] | None = Field(
        default=None,
        description="Answers this compliance-audit finding (GET /v1/findings) instead of "
        "the notice: action removed, or no_match with a reason (a false positive: it is "
        "recorded and never raised again). A report answers findings only, or none.",
    )
    reason: Note | None = Field(
        default=None, description="Why a finding is no_match (required then; findings only)."
    )

    @model_validator(mode="after")
    def _finding_answer(self) -> Listing:
        if self.finding_id is None:
            if self.reason is not None:
                raise ValueError("reason answers a finding: give finding_id")
            return self
        if self.action not in (ListingAction.REMOVED, ListingAction.NO_MATCH):
            raise ValueError("a finding is answered removed or no_match")
        if self.action is ListingAction.NO_MATCH and not self.reason:
            raise ValueError("a finding answered no_match needs a reason")
        return self


class ActionReport(_AnswersVersion):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "listings": [
                        {
                            "listing_id": "L-1001",
                            "url": "https://market.example/item/1001",
                            "title": "Magnetic building blocks, 100 pieces",
                            "seller_id": "S-77",
                            "action": "removed",
                            "acted_at": "2025-05-02T09:30:00Z",
                            "evidence_ref": "case-4711/screenshot-1.png",
                        }
                    ]
                }
            ]
        }
    )

    listings: list[Listing] = Field(
        max_length=MAX_LISTINGS,
        description="Every listing identified; an empty list reports that none was found.",
    )
    note: Note | None = None

    @field_validator("listings")
    @classmethod
    def _listings_are_unique(cls, listings: list[Listing]) -> list[Listing]:
        ids = [listing.listing_id for listing in listings]
        if len(ids) != len(set(ids)):
            raise ValueError("each listing_id may appear once")
        return listings


def _parties_schema(party: type[BaseModel]) -> WithJsonSchema:
    # Each party is checked on its own (notification/recipients.py), so one bad entry
    # is refused with its pointer while the others go on; the document shows its shape.
    return WithJsonSchema(
        {"type": "array", "items": party.model_json_schema(), "maxItems": MAX_PARTIES}
    )


Parties = list[dict[str, Any]]


class SelfNotified(_Request):
    sellers: PartyCount = 0
    buyers: PartyCount = 0


class AffectedParties(_AnswersVersion):
    """One batch of affected parties; send as many batches as needed."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "sellers": [
                        {
                            "seller_id": "S-77",
                            "email": "seller@shop.example",
                            "listing_ids": ["L-1001"],
                        }
                    ],
                    "buyers": [
                        {"buyer_ref": "B-9", "email": "buyer@mail.example", "language": "ko"}
                    ],
                    "notified_by_platform": {"sellers": 0, "buyers": 120},
                }
            ]
        }
    )

    sellers: Annotated[Parties, _parties_schema(SellerIn)] = Field(
        default_factory=list,
        max_length=MAX_PARTIES,
        description="Sellers for us to notify (exchange mode): a statement of reasons per listing.",
    )
    buyers: Annotated[Parties, _parties_schema(BuyerIn)] = Field(
        default_factory=list,
        max_length=MAX_PARTIES,
        description="Buyers for us to notify (exchange mode): e-mail, else SMS to `phone`.",
    )
    notified_by_platform: SelfNotified | None = Field(
        default=None, description="How many you notify yourselves (counts only; your totals)."
    )
    final: bool = Field(
        default=False, description="This is your last batch: notification ends once it is sent."
    )

    @model_validator(mode="after")
    def _says_something(self) -> AffectedParties:
        if not (self.sellers or self.buyers or self.notified_by_platform or self.final):
            raise ValueError("give sellers, buyers, notified_by_platform, or final")
        return self


class WebhookTest(_Request):
    """No fields: the test message goes to your registered webhook URL."""


# -- regulator requests ------------------------------------------------------------------


class Withdrawal(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reason": "The manufacturer's tests were confirmed wrong"}]
        }
    )

    reason: Note | None = None


class Amendment(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"changes": {"remedy": "Full refund at any store"}, "reason": "Remedy agreed"}
            ]
        }
    )

    changes: NoticeSubmission = Field(  # type: ignore[valid-type]  # a generated model
        description="The fields that change (null clears one); the rest stays as it is."
    )
    reason: Note | None = None


# A transaction writes each platform's extension with the notice's check: DynamoDB
# takes at most 100 items in one, and no notice needs more marketplaces at once.
MAX_EXTENSION_PLATFORMS = 50


class NoticeExtension(_Request):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"platforms": ["coupang"], "reason": "Found on Coupang by the audit"}]
        }
    )

    platforms: list[Annotated[str, Field(pattern=PLATFORM_ID_PATTERN)]] = Field(
        min_length=1,
        max_length=MAX_EXTENSION_PLATFORMS,
        description="Registered, active platforms the notice does not target yet.",
    )
    reason: Note | None = None


# -- responses ---------------------------------------------------------------------------


class Deadlines(_Response):
    acknowledgement: datetime | None
    action_report: datetime | None


class DispatchView(_Response):
    """One notice version sent to one platform, and what that platform answered."""

    platform_id: str
    version: int
    status: DispatchState
    withdrawal: bool = Field(description="This version withdraws the notice: nothing is owed.")
    dispatched_at: datetime
    deadlines: Deadlines
    acknowledged_at: datetime | None
    action_reported_at: datetime | None


class NoticeDispatchView(DispatchView):
    """A dispatch in a notice's view: also where the capabilities that take over after
    the hand-off stand."""

    notification: CaseStatus | None = Field(
        description="Seller/buyer notification of this dispatch; null: not handed off."
    )
    verification: CaseStatus | None = Field(
        description="Compliance verification of this dispatch; null: not handed off."
    )


class InboxEntry(_Response):
    notice_id: str
    version: int
    regulator_id: str
    kind: NoticeKind
    jurisdiction: str
    dispatch: DispatchView


class InboxPage(_Response):
    items: list[InboxEntry]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: done.")


class RecipientView(_Response):
    """One of your recipients, by your own id: never the contact itself."""

    party: Party
    buyer_ref: str | None
    seller_id: str | None
    listing_id: str | None
    status: RecipientStatus
    kind: str | None = Field(description="What was sent: recall, statement_of_reasons, ….")
    error: str | None = Field(description="Why sending failed, for status failed.")


class NotificationCounts(_Response):
    sellers_notified: int
    buyers_notified: int
    excluded_by_lookback: int
    failed: int
    fallback_language: int
    self_notified_sellers: int
    self_notified_buyers: int
    undated_buyers: int = Field(description="Buyers told although no purchase date was given.")
    pending: int = Field(description="Recipients whose send has not ended yet.")


class NotificationsPage(_Response):
    notice_id: str
    final: bool = Field(description="Your last batch has come.")
    completed: bool
    counts: NotificationCounts
    items: list[RecipientView]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null: done.")


class NoticeView(_Response):
    notice_id: str
    version: int
    status: NoticeStatus
    regulator_id: str
    received_at: datetime
    content: NoticeContent
    dispatches: list[NoticeDispatchView] = Field(
        description="A platform sees its own dispatches; the regulator sees every platform's."
    )


class NoticeLine(_Response):
    notice_id: str
    version: int
    status: NoticeStatus
    source_reference: str
    updated_at: datetime


class NoticesPage(_Response):
    items: list[NoticeLine]
    next_cursor: str | None


class TimelineEntry(_Response):
    at: datetime
    kind: str
    actor: str
    version: int  # the notice version the event is about
    platform_id: str | None
    details: dict[str, Any]


class Timeline(_Response):
    notice_id: str
    events: list[TimelineEntry]


class AnswerReceipt(_Response):
    notice_id: str
    version: int
    answer: WaitKind
    recorded_at: datetime
    deadline: datetime | None
    late: bool
    late_working_days: int


class AffectedPartiesReceipt(_Response):
    notice_id: str
    version: int
    batch_id: str
    sellers: int
    buyers: int
    notified_by_platform: SelfNotified | None
    received_at: datetime
    mode: NotificationMode = Field(description="Who notifies under your agreement.")
    queued: int = Field(description="Recipients new in this batch, queued for sending.")
    duplicates: int = Field(description="Recipients already known: not told again.")
    excluded_by_lookback: int = Field(description="Buyers who bought before the window.")
    rejected: list[FieldError] = Field(
        description="Each refused recipient, by pointer; the others went on."
    )
    final: bool
    completed: bool = Field(description="Notification of this notice has ended.")


class NoticeReceipt(_Response):
    notice_id: str
    version: int
    status: NoticeStatus
    outcome: SaveOutcome = Field(description="unchanged: the same content was already current.")
    warnings: list[FieldError]


class ExtensionReceipt(_Response):
    notice_id: str
    version: int = Field(description="The version dispatched to the added platforms.")
    added: list[str] = Field(description="Platforms this request extended the notice to.")
    unchanged: list[str] = Field(
        description="Platforms it was already extended to at this version (a repeat)."
    )


class WebhookTestResult(_Response):
    delivered: bool
    webhook_id: str
    url: str
    status_code: int | None
    elapsed_ms: int | None
    error: str | None


# -- notification messages (GET …/recall-notice, …/statements-of-reasons) -----------------


class _MessageQuery(_Request):
    language: str | None = Field(
        default=None,
        max_length=8,
        description="ISO 639-1 code of the language wanted (ko, en, de, fr, nl, es, it, pl "
        "are written; another language falls back as described under country).",
    )
    country: Jurisdiction | None = Field(
        default=None,
        description="ISO 3166-1 alpha-2 code of the person's country: its main language is "
        "used when the language is not given or not written; else English (a fallback).",
    )
    platform_id: str | None = Field(
        default=None,
        pattern=PLATFORM_ID_PATTERN,
        description="Regulators: the platform whose message to show (one the notice was "
        "sent to; needed when it went to several). Platforms: omit it, or give your own id.",
    )


class RecallNoticeQuery(_MessageQuery):
    format: Literal["json", "html", "text"] = Field(
        default="json", description="json: every part; html or text: that part alone."
    )
    kind: Literal["recall", "updated_recall", "recall_withdrawn"] | None = Field(
        default=None,
        description="Which buyer message; by default recall, or recall_withdrawn when the "
        "version shown withdraws the notice.",
    )
    notice_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://\S+$",
        description="The link buyers follow for details (in the SMS and the footer); by "
        "default the regulator's page of the notice (source_url).",
    )


class StatementsQuery(_MessageQuery):
    listing_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=500,
        description="One listing of the action report; without it, every listing acted on "
        "(format json or dsa-tdb only).",
    )
    format: Literal["json", "html", "text", "dsa-tdb"] = Field(
        default="json",
        description="json: every part per listing; html or text: one listing's statement; "
        "dsa-tdb: DSA Transparency Database records, the body of its POST /api/v1/statements.",
    )


class RenderedMessageView(_Response):
    kind: Literal["recall", "updated_recall", "recall_withdrawn", "statement_of_reasons"]
    language: str
    fallback_language: bool = Field(
        description="True when neither the language asked for nor the country's was written."
    )
    subject: str
    text: str = Field(
        description="Buyer messages: the order date is an SES template placeholder, "
        "{{#if order_date}}…{{order_date}}…{{/if}} (README, Notification messages)."
    )
    html: str
    sms: str = Field(description="At most two SMS segments, with the link.")


class RecallNoticeView(_Response):
    notice_id: str
    version: int
    platform_id: str
    message: RenderedMessageView


class StatementView(_Response):
    listing_id: str
    seller_id: str
    action: ListingAction
    message: RenderedMessageView


class StatementsView(_Response):
    notice_id: str
    version: int
    platform_id: str
    statements: list[StatementView]


class DsaTdbStatement(_Response):
    """One statement of reasons as the DSA Transparency Database takes it (no personal data)."""

    decision_visibility: list[
        Literal[
            "DECISION_VISIBILITY_CONTENT_REMOVED",
            "DECISION_VISIBILITY_CONTENT_DISABLED",
            "DECISION_VISIBILITY_CONTENT_LABELLED",
        ]
    ]
    decision_ground: Literal["DECISION_GROUND_ILLEGAL_CONTENT"]
    category: Literal["STATEMENT_CATEGORY_UNSAFE_AND_PROHIBITED_PRODUCTS"]
    illegal_content_legal_ground: str = Field(max_length=500)
    illegal_content_explanation: str = Field(max_length=2000)
    territorial_scope: list[str]
    content_type: list[Literal["CONTENT_TYPE_PRODUCT"]]
    application_date: date
    decision_facts: str = Field(max_length=5000)
    source_type: Literal["SOURCE_ARTICLE_16", "SOURCE_TYPE_OTHER_NOTIFICATION"]
    automated_detection: Literal["Yes", "No"]
    automated_decision: Literal[
        "AUTOMATED_DECISION_FULLY",
        "AUTOMATED_DECISION_PARTIALLY",
        "AUTOMATED_DECISION_NOT_AUTOMATED",
    ]
    puid: str = Field(pattern=r"^[A-Za-z0-9_-]{1,500}$")


class DsaTdbStatements(_Response):
    statements: list[DsaTdbStatement]


class StatementsAnswer(RootModel[StatementsView | DsaTdbStatements]):
    """format json: StatementsView; format dsa-tdb: DsaTdbStatements."""


# -- feeds -------------------------------------------------------------------------------


class FeedLine(_Response):
    name: str
    kind: FeedKind
    url: str
    target_platforms: list[str] = Field(
        description="Where its notices go; empty: every platform registered for each "
        "notice's jurisdiction."
    )
    schedule: Schedule
    paused: bool
    cursor: str | None = Field(
        description="How far it has been pulled: a date (YYYY-MM-DD) for CPSC recalls, a "
        "week (YYYY-Www) for Safety Gate reports; null before the first page is stored."
    )
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    next_pull_at: datetime | None = Field(
        description="When the schedule pulls it next; null: at its next run."
    )


class FeedsList(_Response):
    items: list[FeedLine]
