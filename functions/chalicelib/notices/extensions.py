"""A notice extended to platforms its content did not target (``POST
/v1/notices/{id}/extensions``, ``psx notices extend``): which platform, from which version.

An extension belongs to the notice, not to one version: the version current when it was
made is dispatched to the platform by the extension's own workflow execution, and every
later version reaches it as it reaches the platforms the content targets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Extension:
    notice_id: str
    platform_id: str
    version: int  # the version current when the notice was extended to the platform
    extended_at: datetime
    by: str  # who asked (``regulator:<id>``, or the operator through the CLI)


class AlreadyExtended(RuntimeError):
    """A platform of the request was extended meanwhile by another request: nothing was
    written."""
