"""Everything the lifecycle's domain steps use, built once per process and configuration
(every workflow task asks for it; its stores are stateless apart from their clients)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.deadlines.policy import DeadlinePolicy, load_agreements, policy_for
from chalicelib.settings import Settings
from chalicelib.stores.aws_clients import per_world
from chalicelib.stores.dispatches_table import DispatchStore
from chalicelib.stores.escalation_topic import EscalationTopic
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

    def policy(self, regulator_id: str, platform_id: str) -> DeadlinePolicy:
        return policy_for(self.agreements, regulator_id, platform_id)

    def record(
        self, notice_id: str, key: str, kind: str, at: datetime, actor: str, **details: object
    ) -> None:
        """Append one event to the notice's timeline (a repeated key is a no-op)."""
        self.notices.append_event(TimelineEvent(notice_id, key, kind, at, actor, dict(details)))


@per_world
def lifecycle_services(settings: Settings) -> LifecycleServices:
    return LifecycleServices(
        notices=NoticeStore(settings.table_name),
        dispatches=DispatchStore(settings.table_name),
        platforms=PlatformStore(settings.table_name),
        tokens=TaskTokens(),
        escalations=EscalationTopic(settings.escalation_topic_arn),
        agreements=load_agreements(settings.agreements_json),
    )
