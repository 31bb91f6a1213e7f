"""Sending one queue message's recipients: claim each once, render, send, record.

Exactly once: a recipient is claimed (``queued`` -> ``sending``) by one conditional
write before anything is sent, and never claimed again. A delivery that crashed after
claiming cannot know what SES accepted, so when the same message comes back its
claimed recipients are recorded as failed (``interrupted``) rather than sent twice;
a send refused for rate gives its recipients back to the queue before anything went.

Buyers with an e-mail address share one rendered recall notice per language: it
becomes an SES template (named by its content) and goes out in bulk calls of up to 50,
each buyer's order date filled in by SES. Buyers with only a phone number get the SMS
variant; each seller gets its own statement of reasons per listing. What was sent is
kept as evidence once per content: the message, never whom it went to.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from chalicelib.dispatch.actions import Listing
from chalicelib.notices.model import Notice, NoticeStatus
from chalicelib.notification.channels import (
    BULK_DESTINATIONS,
    Destination,
    Email,
    Sender,
    SendingThrottled,
)
from chalicelib.notification.completion import complete_if_finished
from chalicelib.notification.follow_ups import follow_up_told
from chalicelib.notification.recipients import (
    Outcome,
    Party,
    RecipientStatus,
    StoredRecipient,
)
from chalicelib.notification.rendering import (
    MessageKind,
    RenderedMessage,
    choose_language,
    personalise,
    render_buyer_message,
    render_seller_statement,
    ses_replacement_data,
)
from chalicelib.notification.services import NotificationServices
from chalicelib.platforms.model import Platform

INTERRUPTED = "interrupted: a delivery stopped after claiming it; not sent again"
# The most buyer messages a process keeps rendered.
_KNOWN_MESSAGES = 256


@dataclass(frozen=True)
class FollowUp:
    """What a chunk of follow-ups sends: ``kind`` of notice version ``version``."""

    kind: MessageKind
    version: int


@dataclass(frozen=True)
class QueuedChunk:
    notice_id: str
    platform_id: str
    keys: list[str]
    follow_up: FollowUp | None = None  # None: the first message (recall, statement)


def deliver_chunk(
    chunk: QueuedChunk, claim: str, now: datetime, services: NotificationServices
) -> None:
    """Send to the chunk's recipients that are still to be told (``claim``: the queue
    message's id, the same on every redelivery of it)."""
    store = services.recipients
    found = store.get_many(chunk.notice_id, chunk.platform_id, chunk.keys)
    notices = services.lifecycle.notices
    current = notices.get(chunk.notice_id)
    follow_up = chunk.follow_up
    notice = (
        notices.get_version(chunk.notice_id, follow_up.version)
        if follow_up and current
        else current
    )
    platform = services.lifecycle.platforms.get(chunk.platform_id)
    queued = [r for r in found if r.status is RecipientStatus.QUEUED]
    counted = follow_up is None  # only first messages count towards notification's end
    # A withdrawal cancels whatever is unsent, except the withdrawal notices themselves.
    withdrawn = current is not None and current.status is NoticeStatus.WITHDRAWN
    cancelled = withdrawn and (
        follow_up is None or follow_up.kind is not MessageKind.RECALL_WITHDRAWN
    )
    if notice is None or platform is None or cancelled:
        cancel = [_cancelled(r, counted) for r in queued]
        _settle(chunk, claim, cancel, RecipientStatus.QUEUED, now, services)
    else:
        interrupted = [r for r in found if r.status is RecipientStatus.SENDING and r.claim == claim]
        failed = [_failed(r, INTERRUPTED, counted=counted) for r in interrupted]
        _settle(chunk, claim, failed, RecipientStatus.SENDING, now, services)
        claimed = store.claim(
            chunk.notice_id, chunk.platform_id, queued, claim, notice.version, now
        )
        _send_claimed(chunk, claim, claimed, notice, platform, now, services)
    complete_if_finished(chunk.notice_id, chunk.platform_id, now, services)


def _send_claimed(
    chunk: QueuedChunk,
    claim: str,
    claimed: list[StoredRecipient],
    notice: Notice,
    platform: Platform,
    now: datetime,
    services: NotificationServices,
) -> None:
    kind = chunk.follow_up.kind if chunk.follow_up else MessageKind.RECALL
    sending = _Sending(notice, platform, kind, services)
    try:
        sending.buyers_by_email(
            [r for r in claimed if r.recipient.party is Party.BUYER and r.recipient.email]
        )
        sending.buyers_by_sms(
            [r for r in claimed if r.recipient.party is Party.BUYER and not r.recipient.email]
        )
        sending.sellers([r for r in claimed if r.recipient.party is Party.SELLER])
    except SendingThrottled:
        # What went is recorded; the rest goes back to the queue and the message is retried.
        _settle_sent(chunk, claim, claimed, sending, now, services)
        done = {outcome.key for outcome in sending.outcomes}
        for r in claimed:
            if r.key not in done:
                services.recipients.release(chunk.notice_id, chunk.platform_id, r.key, claim)
        raise
    _settle_sent(chunk, claim, claimed, sending, now, services)


def _settle_sent(
    chunk: QueuedChunk,
    claim: str,
    claimed: list[StoredRecipient],
    sending: _Sending,
    now: datetime,
    services: NotificationServices,
) -> None:
    """Record the chunk's sends; buyers just sent the first message of a version that a
    newer one followed meanwhile get its follow-ups (its scan may not have seen them)."""
    _settle(chunk, claim, sending.outcomes, RecipientStatus.SENDING, now, services)
    if chunk.follow_up is not None:
        return
    sent = {o.key for o in sending.outcomes if o.status is RecipientStatus.SENT}
    told = [r for r in claimed if r.key in sent]
    version = sending.notice.version
    follow_up_told(chunk.notice_id, chunk.platform_id, version, told, now, services)


class _Sending:
    """One chunk's sends, and how each ended."""

    def __init__(
        self,
        notice: Notice,
        platform: Platform,
        kind: MessageKind,
        services: NotificationServices,
    ) -> None:
        self.notice = notice
        self._platform = platform
        self._kind = kind
        self._counted = kind is MessageKind.RECALL
        self._services = services
        self._sender = Sender(
            platform.sender_identity or services.sender_identity, platform.reply_to
        )
        self._url = services.notice_url.format(notice_id=notice.notice_id)
        self._messages: dict[str, RenderedMessage] = {}
        self.outcomes: list[Outcome] = []

    def buyers_by_email(self, buyers: list[StoredRecipient]) -> None:
        by_language: dict[str, list[tuple[StoredRecipient, bool]]] = defaultdict(list)
        for stored in buyers:
            language, fallback = choose_language(
                stored.recipient.language, stored.recipient.country
            )
            by_language[language].append((stored, fallback))
        for language, members in by_language.items():
            message = self._buyer_message(language)
            template = template_name(self.notice.notice_id, message)
            self._services.mail.ensure_template(
                template, Email(message.subject, message.text, message.html)
            )
            for start in range(0, len(members), BULK_DESTINATIONS):
                group = members[start : start + BULK_DESTINATIONS]
                destinations = [
                    Destination(
                        stored.recipient.email or "",
                        ses_replacement_data(message, stored.recipient.purchased_on),
                    )
                    for stored, _ in group
                ]
                errors = self._services.mail.send_bulk(self._sender, template, destinations)
                for (stored, fallback), error in zip(group, errors, strict=True):
                    self._record(stored, message.kind, error, "buyers_notified", fallback)

    def buyers_by_sms(self, buyers: list[StoredRecipient]) -> None:
        for stored in buyers:
            recipient = stored.recipient
            language, fallback = choose_language(recipient.language, recipient.country)
            message = personalise(self._buyer_message(language), recipient.purchased_on)
            error = self._services.sms.send(recipient.phone or "", message.sms)
            self._record(stored, message.kind, error, "buyers_notified", fallback)

    def sellers(self, sellers: list[StoredRecipient]) -> None:
        if not sellers:
            return  # a chunk of buyers: no action report to read
        listings = self._listings()
        for stored in sellers:
            recipient = stored.recipient
            listing = listings.get(recipient.listing_id or "")
            if listing is None:
                self.outcomes.append(_failed(stored, "the listing is not in the action report"))
                continue
            message = render_seller_statement(
                self.notice, self._platform, listing, language=recipient.language, country=None
            )
            self._keep(message, listing.listing_id)
            error = self._services.mail.send(
                self._sender,
                recipient.email or "",
                Email(message.subject, message.text, message.html),
                message_headers(self.notice.notice_id, message),
            )
            self._record(stored, message.kind, error, "sellers_notified", message.fallback_language)

    def _buyer_message(self, language: str) -> RenderedMessage:
        if language not in self._messages:
            self._messages[language] = self._rendered_and_kept(language)
        return self._messages[language]

    def _rendered_and_kept(self, language: str) -> RenderedMessage:
        """Rendered and kept once per process (rendering is a function of these)."""
        known = self._services.buyer_messages
        key = (
            self._kind.value,
            language,
            self._url,
            self.notice.model_dump_json(),
            self._platform.model_dump_json(),
        )
        if key not in known:
            message = render_buyer_message(
                self._kind,
                self.notice,
                self._platform,
                language=language,
                country=None,
                notice_url=self._url,
            )
            self._keep(message, None)
            if len(known) >= _KNOWN_MESSAGES:
                known.clear()  # a long-lived process sends many notices' messages
            known[key] = message
        return known[key]

    def _record(
        self, stored: StoredRecipient, kind: str, error: str | None, counter: str, fallback: bool
    ) -> None:
        if error is not None:
            self.outcomes.append(_failed(stored, error, kind, self._counted))
            return
        counters = {"pending": -1, counter: 1, **({"fallback_language": 1} if fallback else {})}
        moved = counters if self._counted else {}
        self.outcomes.append(Outcome(stored, RecipientStatus.SENT, kind, None, moved))

    def _listings(self) -> dict[str, Listing]:
        """The listings the platform reported acting on, in its latest report."""
        dispatches = self._services.lifecycle.dispatches.for_notice(self.notice.notice_id)
        reports = [
            d
            for d in dispatches
            if d.ref.platform_id == self._platform.platform_id and d.action_report
        ]
        latest = max(reports, key=lambda d: d.ref.version, default=None)
        if latest is None or latest.action_report is None:
            return {}
        return {listing.listing_id: listing for listing in latest.action_report.listings}

    def _keep(self, message: RenderedMessage, listing_id: str | None) -> None:
        """The message as sent (content only: no recipient) as evidence, once per content."""
        document = {
            "kind": str(message.kind),
            "language": message.language,
            "listing_id": listing_id,
            "subject": message.subject,
            "text": message.text,
            "html": message.html,
            "sms": message.sms,
        }
        stem = f"{self._platform.platform_id}-{message.kind}-{message.language}"
        self._services.lifecycle.keep_for_version(
            self.notice.notice_id, self.notice.version, "notification", stem, document
        )


def template_name(notice_id: str, message: RenderedMessage) -> str:
    """Named by notice and content (the same rendered message, the same SES template),
    within SES's 64 characters: ``psx-<notice hex>-<kind>-<language>-<content hash>``."""
    digest = hashlib.sha256("\x00".join((message.subject, message.text, message.html)).encode())
    notice = notice_id.removeprefix("ntc-")
    return f"psx-{notice}-{message.kind}-{message.language}-{digest.hexdigest()[:12]}"


def message_headers(notice_id: str, message: RenderedMessage) -> dict[str, str]:
    """What a message of its own says it is (read back by `psx outbox`)."""
    return {
        "X-PSX-Notice": notice_id,
        "X-PSX-Kind": str(message.kind),
        "X-PSX-Language": message.language,
    }


def _failed(
    stored: StoredRecipient, error: str, kind: str | None = None, counted: bool = True
) -> Outcome:
    moved = {"pending": -1, "failed": 1} if counted else {}
    return Outcome(stored, RecipientStatus.FAILED, kind, error, moved)


def _cancelled(stored: StoredRecipient, counted: bool) -> Outcome:
    moved = {"pending": -1, "cancelled": 1} if counted else {}
    return Outcome(stored, RecipientStatus.CANCELLED, None, None, moved)


def _settle(
    chunk: QueuedChunk,
    claim: str,
    outcomes: list[Outcome],
    from_status: RecipientStatus,
    now: datetime,
    services: NotificationServices,
) -> None:
    if outcomes:
        services.recipients.settle(
            chunk.notice_id, chunk.platform_id, claim, outcomes, from_status, now
        )
