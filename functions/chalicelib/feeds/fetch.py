"""Fetching one feed page: the policy every pull follows.

- Only the feed's own host (its URL's), and redirects are never followed: a redirect
  elsewhere would make the exchange fetch, and then publish as a regulator's notices,
  whatever another host serves.
- Conditional requests: the last answer's ETag / Last-Modified for the same URL go out
  as If-None-Match / If-Modified-Since; 304 means nothing new.
- A timeout on connecting and on each read, a size cap (a body over it is refused, not
  cut), and a body shorter than its Content-Length is a truncated answer, not a page.
- Failures of the moment (5xx, 408, 429, timeouts, resets, truncation) are retried with
  exponential backoff and full jitter; the others fail at once.

Failure reasons are short text of our own (status, kind of failure): never the server's
answer, which may hold anything. Operators and regulators read them.
"""

from __future__ import annotations

import http.client
import random
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlsplit

from chalicelib.feeds.model import Validators

USER_AGENT = "psx-feeds/1"
_CHUNK = 64 * 1024
_RETRYABLE_STATUSES = frozenset({408, 425, 429})


class FeedFetchFailed(Exception):
    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class FetchPolicy:
    timeout_seconds: float = 20
    attempts: int = 3
    backoff_seconds: float = 0.5
    backoff_cap_seconds: float = 8
    max_bytes: int = 25 * 1024 * 1024
    # Injected by tests; time.sleep and a uniform draw in production.
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    jitter: Callable[[float], float] = field(
        default=lambda ceiling: random.uniform(0, ceiling),
        compare=False,
    )

    def backoff(self, retry: int) -> float:
        """Full jitter: a uniform draw below the exponential ceiling of retry ``retry``."""
        return self.jitter(min(self.backoff_cap_seconds, self.backoff_seconds * 2**retry))


@dataclass(frozen=True)
class Fetched:
    """A page (200), nothing new (304) or nothing there (404: a report not yet out)."""

    status: int
    body: bytes = b""
    validators: Validators | None = None


def fetch(url: str, host: str, policy: FetchPolicy, known: Validators | None) -> Fetched:
    """GET ``url`` (which must be on ``host``) under ``policy``; raises ``FeedFetchFailed``."""
    if urlsplit(url).hostname != host:
        raise FeedFetchFailed(f"{url!r} is not on the feed's host {host}", retryable=False)
    conditional = known if known is not None and known.url == url else None
    for retry in range(policy.attempts):
        try:
            return _fetch_once(url, policy, conditional)
        except FeedFetchFailed as failed:
            if not failed.retryable or retry == policy.attempts - 1:
                raise
            policy.sleep(policy.backoff(retry))
    raise AssertionError("unreachable: the last attempt returns or raises")


def _fetch_once(url: str, policy: FetchPolicy, known: Validators | None) -> Fetched:
    request = urllib.request.Request(url, headers=_headers(known))
    try:
        with _OPENER.open(request, timeout=policy.timeout_seconds) as response:
            body = _body(response, policy)
            return Fetched(200, body, _validators(url, response.headers))
    except urllib.error.HTTPError as answer:
        answer.close()
        if answer.code in {304, 404}:
            return Fetched(answer.code)
        raise _http_failure(answer.code) from answer
    except urllib.error.URLError as exc:
        raise _unreachable(exc.reason, policy) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _unreachable(exc, policy) from exc


def _headers(known: Validators | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if known is not None and known.etag:
        headers["If-None-Match"] = known.etag
    if known is not None and known.last_modified:
        headers["If-Modified-Since"] = known.last_modified
    return headers


def _body(response: http.client.HTTPResponse, policy: FetchPolicy) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > policy.max_bytes:
        raise _too_large(policy)
    chunks: list[bytes] = []
    size = 0
    while chunk := response.read(_CHUNK):
        size += len(chunk)
        if size > policy.max_bytes:
            raise _too_large(policy)
        chunks.append(chunk)
    if declared is not None and declared.isdigit() and size != int(declared):
        raise FeedFetchFailed(
            f"the answer was cut off ({size} of {declared} bytes)", retryable=True
        )
    return b"".join(chunks)


def _validators(url: str, headers: Message) -> Validators | None:
    etag, last_modified = headers.get("ETag"), headers.get("Last-Modified")
    if etag is None and last_modified is None:
        return None
    return Validators(url=url, etag=etag, last_modified=last_modified)


def _too_large(policy: FetchPolicy) -> FeedFetchFailed:
    return FeedFetchFailed(
        f"the answer is larger than the {policy.max_bytes}-byte limit", retryable=False
    )


def _http_failure(status: int) -> FeedFetchFailed:
    if 300 <= status < 400:
        return FeedFetchFailed(f"HTTP {status}: redirects are not followed", retryable=False)
    retryable = status >= 500 or status in _RETRYABLE_STATUSES
    return FeedFetchFailed(f"HTTP {status} from the feed", retryable=retryable)


def _unreachable(cause: object, policy: FetchPolicy) -> FeedFetchFailed:
    if isinstance(cause, TimeoutError):
        text = f"no answer within {policy.timeout_seconds:g} s"
    elif isinstance(cause, ConnectionRefusedError):
        text = "connection refused"
    elif isinstance(cause, socket.gaierror):
        text = "DNS lookup failed for the feed's host"
    elif isinstance(cause, ConnectionResetError):
        text = "the server closed the connection"
    elif isinstance(cause, http.client.IncompleteRead):
        text = "the answer was cut off"
    elif isinstance(cause, ssl.SSLError):
        return FeedFetchFailed("TLS error with the feed's host", retryable=False)
    elif isinstance(cause, http.client.HTTPException):
        text = "the server answered with something that is not HTTP"
    else:
        text = "cannot reach the feed"
    return FeedFetchFailed(text, retryable=True)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)
