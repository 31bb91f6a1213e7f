"""Everything the lifecycle's domain steps use, built once per process and configuration
(every workflow task asks for it; its stores are stateless apart from their clients)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.dispatch.cases import HandOffStatus, hand_off_statuses
from chalicelib.dispatch.model import DispatchRef
from chalicelib.notices.timeline import EventKind, TimelineEvent
from chalicelib.settings import Settings
from chalicelib.stores.aws_clients import per_world
from chalicelib.stores.dispatches_table import DispatchStore
from chalicelib.stores.escalation_topic import EscalationTopic
from chalicelib.stores.evidence_bucket import (
    EvidenceBucket,
    content_name,
    notice_evidence_key,
)
from chalicelib.stores.notices_table import NoticeStore
from chalicelib.stores.notification_cases import NotificationCaseStore
from chalicelib.stores.platforms_table import PlatformStore
from chalicelib.stores.verification_cases import VerificationCaseStore
from chalicelib.workflow.lifecycle import TaskTokens

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class LifecycleServices:
    notices: NoticeStore
    dispatches: DispatchStore
    platforms: PlatformStore
    tokens: TaskTokens
    escalations: EscalationTopic
    evidence: EvidenceBucket
    notification_cases: NotificationCaseStore
    verification_cases: VerificationCaseStore

    def record(
        self,
        notice_id: str,
        key: str,
        kind: EventKind,
        at: datetime,
        actor: str,
        **details: object,
    ) -> None:
        """Append one event to the notice's timeline (a repeated key is a no-op)."""
        self.notices.append_event(TimelineEvent(notice_id, key, kind, at, actor, dict(details)))

    def record_all(self, events: list[TimelineEvent]) -> None:
        """Append events to their notices' timelines at once (each repeated key a no-op)."""
        self.notices.append_events(events)

    def hand_off_statuses(self, notice_id: str) -> dict[DispatchRef, HandOffStatus]:
        """Each handed-off dispatch of the notice: its notification and verification case."""
        return hand_off_statuses(
            self.notification_cases.for_notice(notice_id),
            self.verification_cases.for_notice(notice_id),
        )

    def keep(self, ref: DispatchRef, kind: str, name: str, document: object) -> dict[str, str]:
        """Keep ``document`` as locked evidence of this dispatch; what the event that it
        backs names (record it after this returns, so no event names missing evidence)."""
        key = notice_evidence_key(ref.notice_id, ref.version, kind, f"{ref.platform_id}/{name}")
        return self.evidence.put_json(key, document).as_details()

    def keep_for_version(
        self, notice_id: str, version: int, kind: str, stem: str, document: object
    ) -> dict[str, str]:
        """Keep ``document`` as locked evidence of one notice version, named by its content
        (the same document, the same key); what the event that it backs names."""
        key = notice_evidence_key(notice_id, version, kind, content_name(stem, document))
        return self.evidence.put_json(key, document).as_details()


@per_world
def lifecycle_services(settings: Settings) -> LifecycleServices:
    return LifecycleServices(
        notices=NoticeStore(settings.table_name),
        dispatches=DispatchStore(settings.table_name),
        platforms=PlatformStore(settings.table_name),
        tokens=TaskTokens(),
        escalations=EscalationTopic(settings.escalation_topic_arn),
        evidence=EvidenceBucket(settings.evidence_bucket, settings.evidence_retention_days),
        notification_cases=NotificationCaseStore(settings.table_name),
        verification_cases=VerificationCaseStore(settings.table_name),
    )
