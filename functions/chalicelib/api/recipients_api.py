"""What a platform sees of the notifications sent for it: each of its recipients by its
own id (``buyer_ref`` / ``seller_id``) with status, and the counts. Never a contact."""

from __future__ import annotations

import re

from chalicelib.api.calls import ApiCall, Reply, decode_cursor, encode_cursor
from chalicelib.api.models import (
    NotificationCounts,
    NotificationsPage,
    NotificationsQuery,
    RecipientView,
)
from chalicelib.api.problems import not_found
from chalicelib.api.services import ApiServices
from chalicelib.notification.recipients import Party, StoredRecipient

# Recipient keys (``Recipient.key``): a cursor can only point into the caller's own list.
RECIPIENT_KEY = re.compile(r"(buyer|seller)#[0-9a-f]{64}(#[^#]{1,200})?")


def list_notifications(call: ApiCall, services: ApiServices) -> Reply:
    query = call.query_as(NotificationsQuery)
    platform_id = call.principal.id
    dispatches = services.lifecycle.dispatches.for_notice(call.notice)
    if not any(dispatch.ref.platform_id == platform_id for dispatch in dispatches):
        raise not_found("such notice")
    store = services.notification.recipients
    after = decode_cursor(query.cursor, RECIPIENT_KEY)
    items, last = store.page(call.notice, platform_id, query.limit, after)
    progress = store.progress(call.notice, platform_id)
    page = NotificationsPage(
        notice_id=call.notice,
        final=progress.final_at is not None,
        completed=progress.completed_at is not None,
        counts=NotificationCounts(
            **progress.counts, undated_buyers=progress.undated_buyers, pending=progress.pending
        ),
        items=[_view(stored) for stored in items],
        next_cursor=encode_cursor(last),
    )
    return Reply(page)


def _view(stored: StoredRecipient) -> RecipientView:
    recipient = stored.recipient
    buyer = recipient.party is Party.BUYER
    return RecipientView(
        party=recipient.party,
        buyer_ref=recipient.ref if buyer else None,
        seller_id=None if buyer else recipient.ref,
        listing_id=recipient.listing_id,
        status=stored.status,
        kind=stored.kind,
        error=stored.error,
    )
