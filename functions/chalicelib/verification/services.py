"""Everything the compliance audit uses, built once per process and configuration."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.dispatch.services import LifecycleServices, lifecycle_services
from chalicelib.settings import Settings
from chalicelib.stores.active_notices_table import ActiveNoticeStore
from chalicelib.stores.aws_clients import per_world
from chalicelib.stores.catalogue_bucket import CatalogueBucket
from chalicelib.stores.findings_table import FindingStore
from chalicelib.stores.notice_index_bucket import NoticeIndexBucket
from chalicelib.stores.workflow_executions import WorkflowExecutions


@dataclass(frozen=True)
class VerificationServices:
    lifecycle: LifecycleServices
    catalogue: CatalogueBucket
    notice_indexes: NoticeIndexBucket
    active_notices: ActiveNoticeStore
    findings: FindingStore
    audits: WorkflowExecutions


@per_world
def verification_services(settings: Settings) -> VerificationServices:
    return VerificationServices(
        lifecycle=lifecycle_services(settings),
        catalogue=CatalogueBucket(settings.catalogue_bucket),
        notice_indexes=NoticeIndexBucket(settings.catalogue_bucket),
        active_notices=ActiveNoticeStore(settings.table_name),
        findings=FindingStore(settings.table_name),
        audits=WorkflowExecutions(settings.audit_state_machine_arn),
    )
