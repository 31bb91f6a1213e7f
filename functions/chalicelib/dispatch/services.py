"""Everything the lifecycle's domain steps use, built once per invocation from settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.deadlines.policy import DeadlinePolicy, load_agreements, policy_for
from chalicelib.dispatch.model import DispatchRef
from chalicelib.settings import Settings
from chalicelib.stores.dispatches_table import DispatchStore
from chalicelib.stores.escalation_topic import EscalationTopic
from chalicelib.stores.evidence_bucket import EvidenceBucket, notice_evidence_key
from chalicelib.stores.notices_table import NoticeStore, TimelineEvent
from chalicelib.stores.platforms_table import PlatformStore
from chalicelib.workflow.lifecycle import TaskTokens

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class LifecycleServices:
    notices: NoticeStore
    dispatches: DispatchStore
    platforms: PlatformStore
    tokens: TaskTokens
    escalations: EscalationTopic
    agreements: dict[tuple[str, str], DeadlinePolicy]
    evidence: EvidenceBucket

    def policy(self, regulator_id: str, platform_id: str) -> DeadlinePolicy:
        return policy_for(self.agreements, regulator_id, platform_id)

    def record(
        self, notice_id: str, key: str, kind: str, at: datetime, actor: str, **details: object
    ) -> None:
        """Append one event to the notice's timeline (a repeated key is a no-op)."""
        self.notices.append_event(TimelineEvent(notice_id, key, kind, at, actor, dict(details)))

    def keep(self, ref: DispatchRef, kind: str, name: str, document: object) -> dict[str, str]:
        """Keep ``document`` as locked evidence of this dispatch; what the event that it
        backs names (record it after this returns, so no event names missing evidence)."""
        key = notice_evidence_key(ref.notice_id, ref.version, kind, f"{ref.platform_id}/{name}")
        return self.evidence.put_json(key, document).as_details()


def lifecycle_services(settings: Settings) -> LifecycleServices:
    return LifecycleServices(
        notices=NoticeStore(settings.table_name),
        dispatches=DispatchStore(settings.table_name),
        platforms=PlatformStore(settings.table_name),
        tokens=TaskTokens(),
        escalations=EscalationTopic(settings.escalation_topic_arn),
        agreements=load_agreements(settings.agreements_json),
        evidence=EvidenceBucket(settings.evidence_bucket, settings.evidence_retention_days),
    )
