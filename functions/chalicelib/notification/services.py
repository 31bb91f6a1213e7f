"""Everything notification uses, built once per process and configuration: the
lifecycle's services (notices, dispatches, platforms, timeline, evidence) and its own
stores and channels."""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.dispatch.services import LifecycleServices, lifecycle_services
from chalicelib.notification.rendering import RenderedMessage
from chalicelib.settings import Settings
from chalicelib.stores.affected_parties_bucket import AffectedPartiesBucket
from chalicelib.stores.aws_clients import per_world
from chalicelib.stores.notification_queue import NotificationQueue
from chalicelib.stores.notification_table import NotificationStore
from chalicelib.stores.outbound_mail import OutboundMail
from chalicelib.stores.outbound_sms import OutboundSms
from chalicelib.stores.recipient_key import RecipientKey


@dataclass(frozen=True)
class NotificationServices:
    lifecycle: LifecycleServices
    recipients: NotificationStore
    queue: NotificationQueue
    mail: OutboundMail
    sms: OutboundSms
    recipient_key: RecipientKey  # what recipients are keyed by (an HMAC of the address)
    uploads: AffectedPartiesBucket  # files of affected parties and their results
    sender_identity: str  # the exchange's own, for platforms without one
    notice_url: str  # with {notice_id}
    # Buyer messages rendered and kept as evidence by this process, by everything they
    # are rendered from: every chunk of a notice's buyers sends the same few.
    buyer_messages: dict[tuple[str, ...], RenderedMessage] = field(default_factory=dict)


@per_world
def notification_services(settings: Settings) -> NotificationServices:
    own = settings.notification
    return NotificationServices(
        lifecycle=lifecycle_services(settings),
        recipients=NotificationStore(own.table_name, own.contact_retention_days),
        queue=NotificationQueue(own.queue_url),
        mail=OutboundMail(),
        sms=OutboundSms(),
        recipient_key=RecipientKey(own.table_name, own.key_arn),
        uploads=AffectedPartiesBucket(own.uploads_bucket),
        sender_identity=own.sender_identity,
        notice_url=own.notice_url,
    )
