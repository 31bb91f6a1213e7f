"""Everything the API's logic uses, built once per process and configuration."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.dispatch.services import LifecycleServices, lifecycle_services
from chalicelib.notification.services import NotificationServices, notification_services
from chalicelib.settings import Settings
from chalicelib.stores.api_keys_table import ApiKeyStore
from chalicelib.stores.aws_clients import per_world
from chalicelib.stores.feeds_table import FeedsTable
from chalicelib.stores.idempotency_keys import IdempotencyKeyStore
from chalicelib.stores.report_log import ReportLog
from chalicelib.verification.services import VerificationServices, verification_services
from chalicelib.workflow.lifecycle import LifecycleStarter


@dataclass(frozen=True)
class ApiServices:
    settings: Settings
    lifecycle: LifecycleServices
    starter: LifecycleStarter
    idempotency: IdempotencyKeyStore
    feeds: FeedsTable
    verification: VerificationServices
    report_log: ReportLog
    notification: NotificationServices


@per_world
def api_services(settings: Settings) -> ApiServices:
    return ApiServices(
        settings=settings,
        lifecycle=lifecycle_services(settings),
        starter=LifecycleStarter(settings.lifecycle_state_machine_arn),
        idempotency=IdempotencyKeyStore(settings.table_name),
        feeds=FeedsTable(settings.table_name),
        verification=verification_services(settings),
        report_log=ReportLog(settings.table_name),
        notification=notification_services(settings),
    )


def api_key_store(settings: Settings) -> ApiKeyStore:
    return ApiKeyStore(settings.table_name)
