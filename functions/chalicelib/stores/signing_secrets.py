"""Platforms' Standard Webhooks signing secrets, in Secrets Manager.

Each platform's secret is a JSON document ``{"current": "whsec_…", "previous": [...]}``.
Rotation without downtime: ``rotate`` makes a new current secret and keeps the old one
as previous; messages are signed with every key (the spec allows several space-separated
signatures), so the platform's receiver verifies with either secret while it switches.
``retire_previous`` ends the overlap once the platform confirms it uses the new secret.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.stores import aws_clients

SECRET_PREFIX = "whsec_"
# Standard Webhooks asks for 24 to 64 random bytes.
_SECRET_BYTES = 32
# One previous secret bounds the overlap: a second rotation before retiring drops the
# oldest, which the platform cannot still need if it switched to the one in between.
_MAX_PREVIOUS = 1


class SigningSecretExists(RuntimeError):
    """``create_secret`` found a secret under that name."""


class SigningSecretNotFound(LookupError):
    """No secret under that name."""


@dataclass(frozen=True)
class _Keys:
    current: str
    previous: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({"current": self.current, "previous": self.previous})


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(_SECRET_BYTES)).decode("ascii")


def signing_secret_name(stack_name: str, platform_id: str) -> str:
    """Where a platform's keys live: one prefix per stack, for a narrow IAM grant."""
    return f"psx/{stack_name}/webhook-signing/{platform_id}"


def create_secret(name: str, *, overwrite: bool = False, description: str = "") -> str:
    """Create the secret and return its value (show it once: it is not shown again).

    ``overwrite`` gives an existing secret a fresh value, dropping its old keys: only for
    a leftover that nothing uses yet (e.g. from an interrupted registration).
    """
    value = new_signing_secret()
    client = aws_clients.secretsmanager()
    try:
        client.create_secret(
            Name=name,
            SecretString=_Keys(value).to_json(),
            Description=description or "Standard Webhooks signing secret",
        )
    except ClientError as exc:
        if _code(exc) != "ResourceExistsException":
            raise
        if not overwrite:
            raise SigningSecretExists(f"signing secret {name} already exists") from exc
        _write(name, _Keys(value))
    return value


def rotate(name: str) -> str:
    """Make a new current secret; the old current stays valid as previous. Returns the new."""
    keys = _read(name)
    value = new_signing_secret()
    _write(name, _Keys(value, [keys.current, *keys.previous][:_MAX_PREVIOUS]))
    return value


def retire_previous(name: str) -> bool:
    """Stop signing with previous secrets; False when there were none."""
    keys = _read(name)
    if not keys.previous:
        return False
    _write(name, _Keys(keys.current))
    return True


def signing_keys(name: str) -> list[str]:
    """The keys to sign with: current first, then any still-valid previous ones."""
    keys = _read(name)
    return [keys.current, *keys.previous]


def _read(name: str) -> _Keys:
    try:
        response = aws_clients.secretsmanager().get_secret_value(SecretId=name)
    except ClientError as exc:
        if _code(exc) == "ResourceNotFoundException":
            raise SigningSecretNotFound(f"no signing secret {name}") from exc
        raise
    document: dict[str, Any] = json.loads(response["SecretString"])
    return _Keys(document["current"], list(document.get("previous", [])))


def _write(name: str, keys: _Keys) -> None:
    aws_clients.secretsmanager().put_secret_value(SecretId=name, SecretString=keys.to_json())


def _code(exc: ClientError) -> str:
    return str(exc.response["Error"]["Code"])
