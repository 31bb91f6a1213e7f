"""API keys of platforms and regulators: issued, rotated and revoked by `psx keys`,
checked by the API's authorizer on every request.

A key reads ``psx_<key-id>_<secret>``: the key id (16 hex digits) finds the stored
record in one read, the secret (43 base62 characters, about 256 bits) is what proves
possession. Only the SHA-256 of the whole key is stored: with that much entropy a fast
hash is enough (no guessing to slow down), and a leaked table reveals no key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.api.principal import InvalidPrincipal, Principal
from chalicelib.stores.api_keys_table import ApiKeyStore, StoredKey

KEY_PREFIX = "psx_"
_KEY_ID_BYTES = 8
_SECRET_CHARS = 43
_BASE62 = string.ascii_letters + string.digits
_KEY = re.compile(r"^psx_([0-9a-f]{16})_[A-Za-z0-9]{43}$")
_MAX_DRAWS = 5


@dataclass(frozen=True)
class IssuedKey:
    key_id: str
    principal: Principal
    key: str  # shown once, never stored


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def issue_key(store: ApiKeyStore, principal: Principal, now: datetime) -> IssuedKey:
    for _ in range(_MAX_DRAWS):
        key_id = secrets.token_hex(_KEY_ID_BYTES)
        secret = "".join(secrets.choice(_BASE62) for _ in range(_SECRET_CHARS))
        key = f"{KEY_PREFIX}{key_id}_{secret}"
        if store.create(StoredKey(key_id, str(principal), hash_key(key), now)):
            return IssuedKey(key_id, principal, key)
    raise RuntimeError(f"no free key id after {_MAX_DRAWS} draws")  # 64-bit ids: never


def rotate_keys(
    store: ApiKeyStore, principal: Principal, now: datetime, grace: timedelta
) -> IssuedKey:
    """Issue a new key; the principal's other keys keep working for ``grace`` only, so a
    client can switch to the new key without a moment when neither works."""
    issued = issue_key(store, principal, now)
    for key in active_keys(store, principal, now):
        if key.key_id != issued.key_id:
            store.expire(key.key_id, now + grace)
    return issued


def revoke_keys(
    store: ApiKeyStore, principal: Principal, now: datetime, key_id: str | None = None
) -> list[str]:
    """Stop the principal's keys (or just ``key_id``) working now; returns the ids revoked."""
    revoked = []
    for key in active_keys(store, principal, now):
        if key_id in (None, key.key_id) and store.revoke(key.key_id, now):
            revoked.append(key.key_id)
    return revoked


def active_keys(store: ApiKeyStore, principal: Principal, now: datetime) -> list[StoredKey]:
    return [key for key in store.for_principal(str(principal)) if key.valid_at(now)]


def authenticate(store: ApiKeyStore, authorization: str, now: datetime) -> Principal | None:
    """The principal an ``Authorization: Bearer <key>`` header proves, or None."""
    scheme, _, key = authorization.strip().partition(" ")
    match = _KEY.fullmatch(key.strip())
    if scheme.lower() != "bearer" or match is None:
        return None
    stored = store.get(match.group(1))
    if stored is None or not stored.valid_at(now):
        return None
    if not hmac.compare_digest(stored.secret_sha256, hash_key(key.strip())):
        return None
    try:
        return Principal.parse(stored.principal)
    except InvalidPrincipal:
        return None
