"""The regulator's dashboard: static HTML, CSS and JavaScript shipped in the app package
(Chalice packages everything under ``chalicelib/``), served by the API at
``/v1/dashboard/``. No CDN, no build step: it reads the API with the key the regulator
signs in with (kept in ``sessionStorage``, sent as a Bearer header, never in a URL)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
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
    "Cache-Control": "no-cache",
}


@dataclass(frozen=True)
class Asset:
    content_type: str
    body: str


@cache
def asset(name: str) -> Asset | None:
    """One of the dashboard's files by name; None for any other name."""
    content_type = FILES.get(name)
    if content_type is None:
        return None
    return Asset(content_type, (_HERE / name).read_text(encoding="utf-8"))
