"""Registering a marketplace: its record and its webhook signing secret, together."""

from __future__ import annotations

from chalicelib.platforms.model import Platform
from chalicelib.stores import signing_secrets
from chalicelib.stores.platforms_table import PlatformExists, PlatformStore


def register_platform(store: PlatformStore, platform: Platform) -> str:
    """Store ``platform`` and create its signing secret; returns the secret (show it once).

    ``platform.signing_secret_ref`` names the secret (``signing_secret_name``).
    """
    if platform.signing_secret_ref is None:
        raise ValueError(f"platform {platform.platform_id} needs a signing_secret_ref")
    if store.get(platform.platform_id) is not None:
        raise PlatformExists(f"platform {platform.platform_id} is already registered")
    # Not registered, so a secret already under this name is a leftover of an interrupted
    # registration that nobody was given: replacing it is safe.
    secret = signing_secrets.create_secret(
        platform.signing_secret_ref,
        overwrite=True,
        description=f"Standard Webhooks signing secret of platform {platform.platform_id}",
    )
    store.create(platform)
    return secret
