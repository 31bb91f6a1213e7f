"""A simulated marketplace's listing pages (for `psx demo` and the tests), which the live
check of takedowns fetches.

``with ListingSite(robots="User-agent: *\\nDisallow: /private/") as site:`` serves on
127.0.0.1 (a free port) at ``site.url``: ``/robots.txt``, and each page given with
``site.page(path, Page(...))``. A page can answer with a sequence of answers (the
last one repeats: ``[Page(503), Page(200, html)]`` is a server that recovers), late
(``delay_seconds``), redirect (``location``), or ask for a later retry
(``retry_after``). Unknown paths answer 404. Every
request's path and User-Agent is recorded.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

_NOT_FOUND = b"<html><body>This item is no longer available.</body></html>"


@dataclass(frozen=True)
class Page:
    status: int = 200
    body: bytes = b""
    delay_seconds: float = 0.0
    location: str | None = None
    content_type: str = "text/html; charset=utf-8"
    retry_after: int | None = None


def product_page(title: str, *offers: dict[str, Any]) -> bytes:
    """A listing page with schema.org ``Product`` JSON-LD and the given ``offers``."""
    product: dict[str, Any] = {"@context": "https://schema.org", "@type": "Product", "name": title}
    if offers:
        product["offers"] = list(offers) if len(offers) > 1 else offers[0]
    return listing_html(title, product)


def listing_html(title: str, *documents: object) -> bytes:
    """A page carrying each document as a JSON-LD block."""
    scripts = "".join(
        f'<script type="application/ld+json">{json.dumps(document)}</script>'
        for document in documents
    )
    return f"<html><head><title>{title}</title>{scripts}</head><body>{title}</body></html>".encode()


def offer(availability: str, price: str = "9.99") -> dict[str, Any]:
    return {"@type": "Offer", "price": price, "priceCurrency": "KRW", "availability": availability}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        site = self.server.site
        page = site.answer_for(self.path, self.headers.get("User-Agent", ""))
        if page.delay_seconds and site.stopping.wait(page.delay_seconds):
            return
        try:
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
            if page.location:
                self.send_header("Location", page.location)
            if page.retry_after is not None:
                self.send_header("Retry-After", str(page.retry_after))
            self.end_headers()
            self.wfile.write(page.body)
        except OSError:
            pass  # the client gave up (its timeout, its body cap): nothing more to send

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are recorded on the site, not printed


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    site: ListingSite


class ListingSite:
    def __init__(self, robots: str = "User-agent: *\nAllow: /\n") -> None:
        self._pages: dict[str, list[Page]] = {
            "/robots.txt": [Page(200, robots.encode(), content_type="text/plain")]
        }
        self._lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []  # (path, User-Agent)
        self.stopping = threading.Event()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.site = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``: what a platform registers as its listing host."""
        return f"127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def page(self, path: str, *answers: Page) -> str:
        """Serve ``answers`` at ``path`` (in turn; the last one repeats); its URL."""
        with self._lock:
            self._pages[path] = list(answers)
        return f"{self.url}{path}"

    def answer_for(self, path: str, user_agent: str) -> Page:
        with self._lock:
            self.requests.append((path, user_agent))
            answers = self._pages.get(path)
            if not answers:
                return Page(404, _NOT_FOUND)
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def __enter__(self) -> ListingSite:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
