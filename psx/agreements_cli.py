"""`psx agreements`: deadlines agreed between a regulator and a platform.

An agreement is stored with the platform it binds (the platform registry), so each
dispatch reads it with the platform it plans for. A change applies to notices
dispatched afterwards; deadlines already given to a platform stay as they were.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Any, TypeVar

import click

from chalicelib.deadlines.policy import DeadlinePolicy, NotificationMode
from chalicelib.platforms.model import Platform
from chalicelib.stores.platforms_table import (
    ConcurrentUpdateError,
    PlatformNotFound,
    PlatformStore,
)
from psx.cli_common import reported_errors, target_options
from psx.target import Target
from psx.terminal import echo

_DEFAULTS = DeadlinePolicy()
_Command = TypeVar("_Command", bound=Callable[..., Any])


@click.group()
def agreements() -> None:
    """Deadlines agreed between a regulator and a platform (in working days)."""


def _store(stack: str, endpoint_url: str | None) -> PlatformStore:
    return PlatformStore(
        Target(stack_name=stack, endpoint_url=endpoint_url).output("PSX_TABLE_NAME")
    )


def _days_option(flag: str, what: str) -> Callable[[_Command], _Command]:
    return click.option(flag, type=click.IntRange(min=1), help=f"Working days {what}.")


def _rows(platforms: list[Platform]) -> list[dict[str, Any]]:
    return [
        {"regulator_id": regulator_id, "platform_id": platform.platform_id, **asdict(policy)}
        for platform in platforms
        for regulator_id, policy in sorted(platform.agreements.items())
    ]


def _line(row: dict[str, Any]) -> str:
    return (
        f"{row['regulator_id']}:{row['platform_id']}  "
        f"acknowledge {row['acknowledge_working_days']}  "
        f"order action {row['order_action_working_days']}  "
        f"notice action {row['notice_action_working_days']}  "
        f"notification {row['notification_working_days']}  (working days)  "
        f"notifies: {row['notification_mode']}  lookback {row['lookback_months']} months"
    )


@agreements.command(name="set")
@click.argument("regulator_id")
@click.argument("platform_id")
@_days_option(
    "--acknowledge-days", f"to acknowledge a notice (default {_DEFAULTS.acknowledge_working_days})"
)
@_days_option("--action-days", "to report the action taken, for orders and notices alike")
@_days_option(
    "--order-action-days",
    f"to report the action on an authority order (default {_DEFAULTS.order_action_working_days})",
)
@_days_option(
    "--notice-action-days",
    f"to report the action on a notice (default {_DEFAULTS.notice_action_working_days})",
)
@_days_option(
    "--notification-days",
    f"to tell every affected party (default {_DEFAULTS.notification_working_days})",
)
@click.option(
    "--notification-mode",
    type=click.Choice([mode.value for mode in NotificationMode]),
    help=f"Who tells sellers and buyers (default {_DEFAULTS.notification_mode}).",
)
@click.option(
    "--lookback-months",
    type=click.IntRange(min=1),
    help=f"Buyers who bought within this many months are told "
    f"(default {_DEFAULTS.lookback_months}).",
)
@target_options
def set_agreement(
    regulator_id: str,
    platform_id: str,
    acknowledge_days: int | None,
    action_days: int | None,
    order_action_days: int | None,
    notice_action_days: int | None,
    notification_days: int | None,
    notification_mode: str | None,
    lookback_months: int | None,
    endpoint_url: str | None,
    stack: str,
) -> None:
    """Agree deadlines and notification between REGULATOR_ID (or '*', every regulator)
    and PLATFORM_ID.

    Replaces that pair's agreement; what is not given keeps the defaults. Applies to
    notices dispatched from now on.
    """
    given: dict[str, Any] = {
        "acknowledge_working_days": acknowledge_days,
        "order_action_working_days": order_action_days or action_days,
        "notice_action_working_days": notice_action_days or action_days,
        "notification_working_days": notification_days,
        "notification_mode": NotificationMode(notification_mode) if notification_mode else None,
        "lookback_months": lookback_months,
    }
    agreed = {field: value for field, value in given.items() if value is not None}
    if not agreed:
        raise click.UsageError("give at least one option of the agreement")
    with reported_errors(PlatformNotFound, ConcurrentUpdateError):
        # The id is checked by the platform model as the agreement is stored.
        updated = _store(stack, endpoint_url).set_agreement(
            platform_id, regulator_id, DeadlinePolicy(**agreed)
        )
    (row,) = [r for r in _rows([updated]) if r["regulator_id"] == regulator_id]
    echo(f"Agreed {_line(row)}; applies to notices dispatched from now on.")


@agreements.command(name="remove")
@click.argument("regulator_id")
@click.argument("platform_id")
@target_options
def remove_agreement(
    regulator_id: str, platform_id: str, endpoint_url: str | None, stack: str
) -> None:
    """Remove the agreement between REGULATOR_ID (or '*') and PLATFORM_ID."""
    with reported_errors(PlatformNotFound, ConcurrentUpdateError):
        store = _store(stack, endpoint_url)
        platform = store.get(platform_id)
        if platform is None:
            raise PlatformNotFound(f"no platform {platform_id}")
        if regulator_id not in platform.agreements:
            raise click.ClickException(f"no agreement {regulator_id}:{platform_id}")
        store.set_agreement(platform_id, regulator_id, None)
    echo(
        f"Removed {regulator_id}:{platform_id}; notices dispatched from now on follow the "
        "agreement that applies next (`psx agreements list`) or the defaults."
    )


@agreements.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the agreements as JSON.")
@target_options
def list_agreements(as_json: bool, endpoint_url: str | None, stack: str) -> None:
    """List every agreement, by platform then regulator ('*': every regulator)."""
    with reported_errors():
        rows = _rows(_store(stack, endpoint_url).list())
    if as_json:
        echo(json.dumps(rows, indent=2))
    elif not rows:
        echo("No agreements: every platform has the default deadlines.")
    else:
        echo("\n".join(_line(row) for row in rows))
