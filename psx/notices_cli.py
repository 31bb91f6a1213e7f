"""`psx notices`: an operator acting on a regulator's notice.

`psx notices extend NOTICE --platform ID…` sends the notice's current version to more
platforms, as the regulator's ``POST /v1/notices/{id}/extensions`` does (the same
domain call): each added platform gets it like any other dispatch, and later versions
reach it too. The timeline names the operator as the one who asked.
"""

from __future__ import annotations

import json

import click

from chalicelib import clock
from chalicelib.dispatch.extension import (
    ExtensionOutcome,
    NoticeWithdrawnError,
    PlatformsRefused,
    extend_notice,
)
from chalicelib.dispatch.services import lifecycle_services
from chalicelib.intake.limits import IntakeLimits
from chalicelib.notices.extensions import AlreadyExtended
from chalicelib.notices.versions import VersionConflict
from chalicelib.settings import (
    AFFECTED_PARTIES_MAX_ROWS,
    CONTACT_RETENTION_DAYS,
    DEFAULT_NOTICE_URL,
    DEFAULT_SENDER_IDENTITY,
    NotificationSettings,
    Settings,
)
from chalicelib.workflow.lifecycle import LifecycleStarter
from psx.cli_common import reported_errors, target_options
from psx.target import Target
from psx.terminal import echo

OPERATOR = "operator:psx-cli"


@click.group()
def notices() -> None:
    """Act on a regulator's notice as the exchange's operator."""


def _settings(target: Target) -> Settings:
    """What the functions would see; limits and regulator defaults are for intake, which
    this command does not run."""
    return Settings(
        table_name=target.output("PSX_TABLE_NAME"),
        intake_bucket=target.output("PSX_INTAKE_BUCKET"),
        evidence_bucket=target.output("PSX_EVIDENCE_BUCKET"),
        lifecycle_state_machine_arn=target.output("PSX_LIFECYCLE_STATE_MACHINE_ARN"),
        escalation_topic_arn=target.output("PSX_ESCALATION_TOPIC_ARN"),
        catalogue_bucket=target.output("PSX_CATALOGUE_BUCKET"),
        audit_state_machine_arn=target.output("PSX_AUDIT_STATE_MACHINE_ARN"),
        limits=IntakeLimits(),
        regulators={},
        evidence_retention_days=int(target.output("PSX_EVIDENCE_RETENTION_DAYS")),
        notification=NotificationSettings(
            table_name=target.output("PSX_NOTIFICATION_TABLE_NAME"),
            queue_url=target.output("PSX_NOTIFICATION_QUEUE_URL"),
            key_arn=target.output("PSX_NOTIFICATION_KEY_ARN"),
            sender_identity=DEFAULT_SENDER_IDENTITY,
            contact_retention_days=CONTACT_RETENTION_DAYS,
            notice_url=DEFAULT_NOTICE_URL,
            uploads_bucket=target.output("PSX_AFFECTED_PARTIES_BUCKET"),
            max_upload_rows=AFFECTED_PARTIES_MAX_ROWS,
        ),
    )


@notices.command()
@click.argument("notice_id")
@click.option(
    "--platform",
    "platform_ids",
    multiple=True,
    required=True,
    help="A registered, active platform the notice does not target yet (repeatable).",
)
@click.option("--reason", help="Why, as the timeline will show it.")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@target_options
def extend(
    notice_id: str,
    platform_ids: tuple[str, ...],
    reason: str | None,
    as_json: bool,
    endpoint_url: str | None,
    stack: str,
) -> None:
    """Send NOTICE_ID's current version to more platforms (and its later versions too)."""
    with reported_errors(
        NoticeWithdrawnError, PlatformsRefused, VersionConflict, AlreadyExtended, LookupError
    ):
        target = Target(stack_name=stack, endpoint_url=endpoint_url)
        settings = _settings(target)
        services = lifecycle_services(settings)
        state = services.notices.current_state(notice_id)
        notice = services.notices.get_version(notice_id, state.version) if state else None
        if state is None or notice is None:
            raise LookupError(f"no notice {notice_id}")
        outcome = extend_notice(
            state,
            notice,
            list(platform_ids),
            by=OPERATOR,
            now=clock.now(),
            services=services,
            starter=LifecycleStarter(settings.lifecycle_state_machine_arn),
            reason=reason,
        )
    _print(outcome, as_json)


def _print(outcome: ExtensionOutcome, as_json: bool) -> None:
    if as_json:
        echo(json.dumps(vars(outcome), indent=2))
        return
    for platform_id in outcome.added:
        echo(f"Extended {outcome.notice_id} v{outcome.version} to {platform_id}: dispatching")
    for platform_id in outcome.unchanged:
        echo(f"{outcome.notice_id} v{outcome.version} was already extended to {platform_id}")
