"""`psx keys`: API keys of platforms and regulators for the HTTPS API.

A key is printed once, when it is issued (or rotated in): only its SHA-256 is stored,
so a lost key is replaced, never recovered. Keys of a platform need the platform to be
registered (`psx platforms add`); regulator ids follow the intake bucket's rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any

import click

from chalicelib.api.keys import IssuedKey, issue_key, revoke_keys, rotate_keys
from chalicelib.api.principal import InvalidPrincipal, Principal, PrincipalKind
from chalicelib.stores.api_keys_table import ApiKeyStore, StoredKey
from chalicelib.stores.platforms_table import PlatformNotFound, PlatformStore
from psx.cli_common import reported_errors, target_options
from psx.target import Target
from psx.terminal import echo, printable

_SHOWN_ONCE = "It will not be shown again: hand it over a secure channel now."


@click.group()
def keys() -> None:
    """Issue, rotate and revoke API keys of platforms and regulators."""


def _principal_options(command: Callable[..., None]) -> Callable[..., None]:
    """--platform ID or --regulator ID (exactly one), passed on as ``principal``."""

    @click.option("--platform", "platform_id", help="A registered platform's id.")
    @click.option("--regulator", "regulator_id", help="A regulator's id, e.g. kftc.")
    @wraps(command)
    def with_principal(platform_id: str | None, regulator_id: str | None, **kwargs: Any) -> None:
        if (platform_id is None) == (regulator_id is None):
            raise click.UsageError("give exactly one of --platform ID and --regulator ID")
        if platform_id is not None:
            principal = (PrincipalKind.PLATFORM, platform_id)
        else:
            principal = (PrincipalKind.REGULATOR, str(regulator_id))
        command(principal=principal, **kwargs)

    return with_principal


def _resolve(
    principal: tuple[PrincipalKind, str], stack: str, endpoint_url: str | None
) -> tuple[ApiKeyStore, Principal]:
    kind, principal_id = principal
    table = Target(stack_name=stack, endpoint_url=endpoint_url).output("PSX_TABLE_NAME")
    resolved = Principal(kind, principal_id)
    if kind is PrincipalKind.PLATFORM and PlatformStore(table).get(principal_id) is None:
        raise PlatformNotFound(f"no platform {principal_id}: register it first")
    return ApiKeyStore(table), resolved


def _errors() -> Any:
    return reported_errors(PlatformNotFound, InvalidPrincipal)


def _now() -> datetime:
    return datetime.now(UTC)


def _echo_issued(issued: IssuedKey, as_json: bool, note: str = "") -> None:
    if as_json:
        echo(
            json.dumps(
                {"principal": str(issued.principal), "key_id": issued.key_id, "key": issued.key}
            )
        )
        return
    echo(f"API key {issued.key_id} for {issued.principal}: {issued.key}")
    echo(_SHOWN_ONCE, err=True)
    if note:
        echo(note, err=True)


def _key_json(key: StoredKey, now: datetime) -> dict[str, Any]:
    return {
        "key_id": key.key_id,
        "principal": key.principal,
        "created_at": key.created_at.isoformat(),
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
        "active": key.valid_at(now),
    }


@keys.command()
@_principal_options
@click.option("--json", "as_json", is_flag=True, help="Print the key as JSON.")
@target_options
def issue(
    principal: tuple[PrincipalKind, str], as_json: bool, endpoint_url: str | None, stack: str
) -> None:
    """Issue a new API key (printed once); existing keys keep working."""
    with _errors():
        store, resolved = _resolve(principal, stack, endpoint_url)
        issued = issue_key(store, resolved, _now())
    _echo_issued(issued, as_json)


@keys.command()
@_principal_options
@click.option(
    "--grace-hours",
    default=24.0,
    show_default=True,
    help="How long the previous keys keep working (0: they stop now).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the new key as JSON.")
@target_options
def rotate(
    principal: tuple[PrincipalKind, str],
    grace_hours: float,
    as_json: bool,
    endpoint_url: str | None,
    stack: str,
) -> None:
    """Issue a new key (printed once); the previous keys expire after the grace period."""
    if grace_hours < 0:
        raise click.UsageError("--grace-hours cannot be negative")
    with _errors():
        store, resolved = _resolve(principal, stack, endpoint_url)
        issued = rotate_keys(store, resolved, _now(), timedelta(hours=grace_hours))
    _echo_issued(issued, as_json, f"The previous keys stop working in {grace_hours:g} hours.")


@keys.command()
@_principal_options
@click.option("--key-id", help="Revoke only this key (default: every active key).")
@click.option("--json", "as_json", is_flag=True, help="Print the revoked key ids as JSON.")
@target_options
def revoke(
    principal: tuple[PrincipalKind, str],
    key_id: str | None,
    as_json: bool,
    endpoint_url: str | None,
    stack: str,
) -> None:
    """Stop keys working now (every active key of the principal, or --key-id)."""
    with _errors():
        store, resolved = _resolve(principal, stack, endpoint_url)
        revoked = revoke_keys(store, resolved, _now(), key_id)
    if as_json:
        echo(json.dumps({"principal": str(resolved), "revoked": revoked}))
    elif revoked:
        echo(f"Revoked {', '.join(revoked)} of {resolved}.")
    else:
        missing = f"{resolved} has no active key {key_id or ''}".rstrip()
        raise click.ClickException(printable(missing))


@keys.command(name="list")
@_principal_options
@click.option("--json", "as_json", is_flag=True, help="Print the keys as JSON.")
@target_options
def list_keys(
    principal: tuple[PrincipalKind, str], as_json: bool, endpoint_url: str | None, stack: str
) -> None:
    """List the principal's keys (ids and states, never the keys)."""
    now = _now()
    with _errors():
        store, resolved = _resolve(principal, stack, endpoint_url)
        listed = store.for_principal(str(resolved))
    if as_json:
        echo(json.dumps([_key_json(key, now) for key in listed], indent=2))
        return
    for key in listed:
        state = "active" if key.valid_at(now) else "inactive"
        if key.valid_at(now) and key.expires_at:
            state += f" until {key.expires_at.isoformat()}"
        echo(f"{key.key_id}  {state}  created {key.created_at.isoformat()}")
    if not listed:
        echo(f"{resolved} has no keys.")
