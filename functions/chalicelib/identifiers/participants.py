"""Ids of the exchange's participants: regulators and platforms.

A regulator id names its folder in the intake bucket (``incoming/<regulator-id>/``) and
its API keys; a platform id names its registry item, its API keys and its secret.
"""

from __future__ import annotations

REGULATOR_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
PLATFORM_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"
