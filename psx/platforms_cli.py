"""`psx platforms`: register marketplaces and manage their webhook signing secrets.

A platform's signing secret lives in Secrets Manager under
``psx/<stack>/webhook-signing/<platform-id>``; the CLI prints a secret once, when it is
created or rotated, for the operator to hand to the platform.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager
from typing import Any

import click

from chalicelib.deadlines.policy import NotificationMode
from chalicelib.platforms.model import Platform
from chalicelib.platforms.registration import register_platform
from chalicelib.stores import signing_secrets
from chalicelib.stores.platforms_table import PlatformExists, PlatformNotFound, PlatformStore
from psx.cli_common import reported_errors, target_options
from psx.target import Target
from psx.terminal import echo, one_line

_SHOWN_ONCE = "It will not be shown again: hand it to the platform over a secure channel now."


@click.group()
def platforms() -> None:
    """Register marketplaces and manage their webhook signing secrets."""


def _reported_errors() -> AbstractContextManager[None]:
    return reported_errors(
        PlatformExists,
        PlatformNotFound,
        signing_secrets.SigningSecretNotFound,
        signing_secrets.SigningSecretExists,
    )


def _store(stack: str, endpoint_url: str | None) -> PlatformStore:
    target = Target(stack_name=stack, endpoint_url=endpoint_url)
    return PlatformStore(target.output("PSX_TABLE_NAME"))


def _platform(store: PlatformStore, platform_id: str) -> Platform:
    platform = store.get(platform_id)
    if platform is None:
        raise PlatformNotFound(f"no platform {platform_id}")
    return platform


def _secret_ref(platform: Platform) -> str:
    if platform.signing_secret_ref is None:
        raise click.ClickException(f"platform {platform.platform_id} has no signing secret")
    return platform.signing_secret_ref


def _summary(platform: Platform) -> str:
    state = "active" if platform.active else "inactive"
    webhook = platform.webhook_url or "no webhook (inbox only)"
    return (
        f"{platform.platform_id}  {one_line(platform.name)}  [{state}]  "
        f"{','.join(platform.jurisdictions)}  {webhook}  notifies: {_modes(platform)}"
    )


def _modes(platform: Platform) -> str:
    """Who notifies sellers and buyers, per agreement (``*``: every regulator)."""
    default = f"{NotificationMode.PLATFORM} (default)"
    modes = [
        f"{regulator_id}={policy.notification_mode}"
        for regulator_id, policy in sorted(platform.agreements.items())
    ]
    return ", ".join(modes) if modes else default


def _echo_json(value: Any) -> None:
    echo(json.dumps(value, ensure_ascii=False, indent=2))


@platforms.command()
@click.argument("platform_id")
@click.option("--name", required=True, help="The marketplace's name, e.g. Temu.")
@click.option(
    "--jurisdiction",
    "jurisdictions",
    multiple=True,
    required=True,
    help="Where it sells: ISO 3166-1 alpha-2 code or EU (repeat for several).",
)
@click.option("--webhook-url", help="Where notices are pushed (Standard Webhooks).")
@click.option("--contact-email", help="The platform's contact point for authorities.")
@click.option("--sender-identity", help="Its verified SES identity notifications come from.")
@click.option("--reply-to", help="Where replies to the notifications sent for it go.")
@click.option("--language", "languages", multiple=True, help="ISO 639-1 code (repeatable).")
@click.option(
    "--listing-host",
    "listing_hosts",
    multiple=True,
    help="Host (or host:port) of its listing pages, the only ones live checks fetch (repeatable).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the platform and secret as JSON.")
@target_options
def add(
    platform_id: str,
    name: str,
    jurisdictions: tuple[str, ...],
    webhook_url: str | None,
    contact_email: str | None,
    sender_identity: str | None,
    reply_to: str | None,
    languages: tuple[str, ...],
    listing_hosts: tuple[str, ...],
    as_json: bool,
    endpoint_url: str | None,
    stack: str,
) -> None:
    """Register PLATFORM_ID and create its webhook signing secret (printed once)."""
    secret_name = signing_secrets.signing_secret_name(stack, platform_id)
    with _reported_errors():
        platform = Platform(
            platform_id=platform_id,
            name=name,
            jurisdictions=list(jurisdictions),
            webhook_url=webhook_url,
            signing_secret_ref=secret_name,
            contact_email=contact_email,
            sender_identity=sender_identity,
            reply_to=reply_to,
            languages=list(languages),
            listing_hosts=list(listing_hosts),
        )
        secret = register_platform(_store(stack, endpoint_url), platform)
    if as_json:
        _echo_json({"platform": platform.model_dump(mode="json"), "signing_secret": secret})
        return
    echo(f"Registered {_summary(platform)}")
    echo(f"Webhook signing secret: {secret}")
    echo(_SHOWN_ONCE, err=True)


@platforms.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print the platforms as JSON.")
@target_options
def list_platforms(as_json: bool, endpoint_url: str | None, stack: str) -> None:
    """List registered platforms, active or not."""
    with _reported_errors():
        registered = _store(stack, endpoint_url).list()
    if as_json:
        _echo_json([platform.model_dump(mode="json") for platform in registered])
    elif not registered:
        echo("No platforms registered.")
    else:
        echo("\n".join(_summary(platform) for platform in registered))


@platforms.command()
@click.argument("platform_id")
@click.option("--name")
@click.option("--webhook-url", help="New webhook URL; an empty value removes the webhook.")
@click.option(
    "--jurisdiction",
    "jurisdictions",
    multiple=True,
    help="Replaces the jurisdictions (repeat for several).",
)
@click.option("--contact-email")
@click.option("--sender-identity", help="Its verified SES identity notifications come from.")
@click.option("--reply-to", help="Where replies to the notifications sent for it go.")
@click.option("--language", "languages", multiple=True, help="Replaces the languages.")
@click.option("--listing-host", "listing_hosts", multiple=True, help="Replaces the listing hosts.")
@click.option("--active/--inactive", default=None, help="Inactive platforms get no notices.")
@target_options
def update(
    platform_id: str,
    name: str | None,
    webhook_url: str | None,
    jurisdictions: tuple[str, ...],
    contact_email: str | None,
    sender_identity: str | None,
    reply_to: str | None,
    languages: tuple[str, ...],
    listing_hosts: tuple[str, ...],
    active: bool | None,
    endpoint_url: str | None,
    stack: str,
) -> None:
    """Change a registered platform."""
    changes: dict[str, Any] = {
        "name": name,
        "webhook_url": webhook_url,
        "jurisdictions": list(jurisdictions) or None,
        "contact_email": contact_email,
        "sender_identity": sender_identity,
        "reply_to": reply_to,
        "languages": list(languages) or None,
        "listing_hosts": list(listing_hosts) or None,
        "active": active,
    }
    changes = {field: value for field, value in changes.items() if value is not None}
    if not changes:
        raise click.UsageError("nothing to change: give at least one option")
    if changes.get("webhook_url") == "":
        changes["webhook_url"] = None
    with _reported_errors():
        store = _store(stack, endpoint_url)
        updated = store.update(platform_id, **changes)
    echo(f"Updated {_summary(updated)}")


@platforms.command(name="rotate-secret")
@click.argument("platform_id")
@target_options
def rotate_secret(platform_id: str, endpoint_url: str | None, stack: str) -> None:
    """Give PLATFORM_ID a new signing secret (printed once); the old one stays valid.

    Messages are signed with both until `psx platforms retire-secret PLATFORM_ID`.
    """
    with _reported_errors():
        platform = _platform(_store(stack, endpoint_url), platform_id)
        secret = signing_secrets.rotate(_secret_ref(platform))
    echo(f"New webhook signing secret for {platform_id}: {secret}")
    echo(_SHOWN_ONCE, err=True)
    echo(
        "Messages are signed with the new and the previous secret until "
        f"`psx platforms retire-secret {platform_id}`.",
        err=True,
    )


@platforms.command(name="retire-secret")
@click.argument("platform_id")
@target_options
def retire_secret(platform_id: str, endpoint_url: str | None, stack: str) -> None:
    """Stop signing PLATFORM_ID's messages with its previous secret."""
    with _reported_errors():
        platform = _platform(_store(stack, endpoint_url), platform_id)
        retired = signing_secrets.retire_previous(_secret_ref(platform))
    if retired:
        echo(f"Retired the previous signing secret of {platform_id}.")
    else:
        echo(f"{platform_id} has no previous signing secret to retire.")
