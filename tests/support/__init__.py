"""Test doubles shared by several test modules."""

from __future__ import annotations

import itertools
import uuid

_platform_numbers = itertools.count()


def unique_platform_id(prefix: str = "plat") -> str:
    """A platform id no other test uses (the session shares one table)."""
    return f"{prefix}-{next(_platform_numbers)}-{uuid.uuid4().hex[:6]}"
