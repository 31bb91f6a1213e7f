"""The regulator's dashboard: static HTML, CSS and JavaScript shipped in the app package
(Chalice packages everything under ``chalicelib/``), served by the API at
``/v1/dashboard/``. No CDN, no build step: it reads the API with the key the regulator
signs in with (kept in ``sessionStorage``, sent as a Bearer header, never in a URL)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

_HERE = Path(__file__).parent
FILES = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "charts.js": "text/javascript; charset=utf-8",
}
INDEX = "index.html"
# The page's base element, as shipped: the API puts its mount point in front.
BASE = '<base href="/v1/dashboard/">'
# Everything from our own origin; no inline script, no framing by another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The page is asked again each time (it names the files' versions); a file asked for by
# its current version never changes, so the browser keeps it without asking.
REVALIDATE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class Asset:
    content_type: str
    body: str

    @property
    def version(self) -> str:
        return hashlib.sha256(self.body.encode()).hexdigest()[:16]


@cache
def asset(name: str) -> Asset | None:
    """One of the dashboard's files by name; None for any other name."""
    content_type = FILES.get(name)
    if content_type is None:
        return None
    return Asset(content_type, (_HERE / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=8)  # one per address the API is mounted at
def page(mount: str) -> str:
    """The page, its links resolved against ``<mount>/v1/dashboard/`` and naming each
    file's version (``dashboard.js?v=…``), so a new release is fetched at once."""
    found = asset(INDEX)
    assert found is not None
    body = found.body.replace(BASE, f'<base href="{mount}/v1/dashboard/">')
    for name in FILES:
        linked = asset(name)
        if name != INDEX and linked is not None:
            body = body.replace(f'"{name}"', f'"{name}?v={linked.version}"')
    return body


def cache_control(name: str, version: str | None) -> str:
    """Kept for a year when asked for by its current version, else asked again."""
    found = asset(name)
    if name != INDEX and found is not None and version == found.version:
        return IMMUTABLE
    return REVALIDATE
