"""Live check of a takedown: is the listing a platform reported removed still for sale?

One HTTP GET of the listing's URL, as a polite crawler: only http(s) URLs on the hosts
registered for the platform (``Platform.listing_hosts``; an address a platform's report
names is never fetched otherwise), robots.txt honoured (RFC 9309, ``urllib.robotparser``),
an identifying User-Agent, a minimum interval between requests to one host, timeouts, a
cap on the body read, retries with exponential backoff, and redirects followed only to
allowed hosts.

The verdict: 404/410 -> ``gone``; a page whose schema.org ``Product`` JSON-LD offers are
all out of stock, discontinued or sold out, or that offers it no more -> ``unavailable``;
any other page -> ``still_listed``. ``refused``: not ours to fetch (host, robots.txt,
redirect, a 401/403/4xx answer); ``unreachable``: no usable answer after the retries.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from chalicelib import clock
from chalicelib.verification.listing_page import availability_of

GONE_STATUSES = frozenset({404, 410})
# Answers a later attempt may change: rate limiting and server trouble.
RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
# A Retry-After up to this is waited for; a longer one ends the check (unreachable).
MAX_RETRY_AFTER_SECONDS = 60.0
_CHUNK = 64 * 1024


class LiveStatus(StrEnum):
    GONE = "gone"
    UNAVAILABLE = "unavailable"
    STILL_LISTED = "still_listed"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class LiveCheck:
    url: str
    status: LiveStatus
    http_status: int | None
    reason: str
    checked_at: datetime


class _Verdict(Exception):
    """Ends a check early with its outcome (a refusal, an unreachable host)."""

    def __init__(self, status: LiveStatus, reason: str, http_status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.http_status = http_status


@dataclass(frozen=True)
class _Answer:
    status: int
    location: str | None
    body: bytes
    truncated: bool
    retry_after: float | None = None  # seconds, from a Retry-After header


Resolver = Callable[[str], list[str]]


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to (what the address policy judges)."""
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


class ListingChecker:
    """Checks listing URLs politely. One per process or run: it holds the per-host rate
    limiter and the robots.txt cache, which are shared by every check it makes."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout_seconds: float,
        max_body_bytes: int,
        min_interval_seconds: float,
        retries: int = 2,
        backoff_seconds: float = 1.0,
        allow_loopback: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = clock.now,
        resolver: Resolver = resolve,
    ) -> None:
        self._user_agent = user_agent
        self._max_body_bytes = max_body_bytes
        self._min_interval = min_interval_seconds
        self._retries = retries
        self._backoff = backoff_seconds
        self._allow_loopback = allow_loopback
        self._monotonic = monotonic
        self._sleep = sleep
        self._now = now
        self._resolver = resolver
        self._http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout_seconds, read=timeout_seconds),
            retries=False,  # retries and redirects are ours: each one is judged
        )
        self._lock = threading.Lock()
        self._last_request: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser] = {}

    def check(self, url: str, allowed_hosts: frozenset[str]) -> LiveCheck:
        """The live status of the listing at ``url``; fetched only on ``allowed_hosts``
        (``host`` or ``host:port`` entries, as ``Platform.listing_hosts``)."""
        try:
            status, http_status, reason = self._follow(url, allowed_hosts)
        except _Verdict as verdict:
            status, http_status, reason = verdict.status, verdict.http_status, verdict.reason
        return LiveCheck(url, status, http_status, reason, self._now())

    # -- the fetch ---------------------------------------------------------------------------

    def _follow(self, url: str, allowed: frozenset[str]) -> tuple[LiveStatus, int | None, str]:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                address = self._admit(current, allowed)
            except _Verdict as verdict:
                if current == url:
                    raise
                raise _Verdict(verdict.status, f"redirected: {verdict.reason}") from None
            answer = self._get_with_retries(current, address)
            if answer.status in REDIRECT_STATUSES and answer.location:
                current = urljoin(current, answer.location)
                continue
            return _judge(answer, self._max_body_bytes)
        raise _Verdict(LiveStatus.UNREACHABLE, f"more than {MAX_REDIRECTS} redirects")

    def _admit(self, url: str, allowed: frozenset[str]) -> str:
        """Refuses a URL that is not ours to fetch: scheme, host, address, robots.txt;
        the vetted address to connect to."""
        try:
            parts = urlsplit(url)
            port = parts.port  # ValueError for a port that is not a number
        except ValueError:
            raise _Verdict(LiveStatus.REFUSED, "not a valid URL") from None
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise _Verdict(LiveStatus.REFUSED, "not an http(s) URL")
        if parts.username is not None or parts.password is not None:
            raise _Verdict(LiveStatus.REFUSED, "the URL carries credentials")
        if not _registered(parts.hostname, port, allowed):
            raise _Verdict(
                LiveStatus.REFUSED, f"host {parts.hostname} is not a listing host of the platform"
            )
        address = self._vetted_address(parts.hostname)
        robots = self._robots_for(parts.scheme, parts.netloc, address)
        if not robots.can_fetch(self._user_agent, url):
            raise _Verdict(LiveStatus.REFUSED, f"robots.txt of {parts.hostname} disallows it")
        return address

    def _vetted_address(self, host: str) -> str:
        """The address to connect to. A registered name that resolves into a private
        network would reach our own infrastructure (loopback only where the runtime
        allows it: the embedded runtime); every address it resolves to is checked, and the
        connection goes to a checked one, so a second lookup cannot swap it."""
        try:
            addresses = [ipaddress.ip_address(address) for address in self._resolver(host)]
        except OSError as exc:
            raise _Verdict(LiveStatus.UNREACHABLE, f"DNS lookup failed for {host}") from exc
        if not addresses:
            raise _Verdict(LiveStatus.UNREACHABLE, f"DNS lookup failed for {host}")
        for address in addresses:
            if address.is_loopback and self._allow_loopback:
                continue
            if not address.is_global:
                raise _Verdict(LiveStatus.REFUSED, f"{host} resolves to a non-public address")
        return str(addresses[0])

    def _robots_for(self, scheme: str, netloc: str, address: str) -> RobotFileParser:
        origin = f"{scheme}://{netloc}"
        with self._lock:
            cached = self._robots.get(origin)
        if cached is not None:
            return cached
        parser = RobotFileParser(f"{origin}/robots.txt")
        try:
            answer = self._robots_answer(f"{origin}/robots.txt", address)
        except _Verdict as verdict:
            # RFC 9309 2.3.1.4: an unreachable robots.txt means "crawl nothing"; not
            # cached, so the next check asks again.
            raise _Verdict(verdict.status, f"robots.txt: {verdict.reason}") from None
        parser.parse(_robots_rules(answer))
        with self._lock:
            self._robots[origin] = parser
        return parser

    def _robots_answer(self, url: str, address: str) -> _Answer | None:
        """robots.txt, redirects followed on its own host (RFC 9309 2.3.1.2: up to five,
        as the site moving to https); None when it leads elsewhere (no verdict on it)."""
        host = urlsplit(url).hostname
        for _ in range(MAX_REDIRECTS + 1):
            answer = self._get_with_retries(url, address)
            if answer.status not in REDIRECT_STATUSES or not answer.location:
                return answer
            url = urljoin(url, answer.location)
            target = urlsplit(url)
            if target.hostname != host or target.scheme not in {"http", "https"}:
                return None
        return None

    def _get_with_retries(self, url: str, address: str) -> _Answer:
        failure = "no answer"
        pause = 0.0
        for attempt in range(self._retries + 1):
            if attempt:
                self._sleep(max(pause, self._backoff * 2 ** (attempt - 1)))
            try:
                answer = self._get(url, address)
            except (Urllib3Error, OSError) as exc:
                failure, pause = _network_failure(exc), 0.0
                continue
            if answer.status not in RETRYABLE_STATUSES:
                return answer
            failure, pause = f"HTTP {answer.status}", answer.retry_after or 0.0
            if pause > MAX_RETRY_AFTER_SECONDS:
                break  # the site asks us to come back much later: so we will, next run
        raise _Verdict(LiveStatus.UNREACHABLE, f"{failure} after {attempt + 1} attempts", None)

    def _get(self, url: str, address: str) -> _Answer:
        """GET ``url`` from ``address`` (vetted), named by its host for Host and TLS."""
        parts = urlsplit(url)
        self._wait_turn(parts.netloc.lower())
        hostname = parts.hostname or ""
        tls = {"server_hostname": hostname, "assert_hostname": hostname}
        pool = self._http.connection_from_host(
            address, parts.port, parts.scheme, pool_kwargs=tls if parts.scheme == "https" else {}
        )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        response = pool.urlopen(
            "GET",
            target,
            headers={"User-Agent": self._user_agent, "Host": parts.netloc},
            preload_content=False,
            redirect=False,
            retries=False,
        )
        try:
            body, truncated = _read_capped(response, self._max_body_bytes)
        finally:
            response.release_conn()
        retry_after = _seconds(response.headers.get("Retry-After"))
        return _Answer(
            response.status, response.headers.get("Location"), body, truncated, retry_after
        )

    def _wait_turn(self, host: str) -> None:
        """Space requests to one host by ``min_interval_seconds`` (start to start)."""
        with self._lock:
            now = self._monotonic()
            earliest = self._last_request.get(host, now - self._min_interval) + self._min_interval
            start = max(now, earliest)
            self._last_request[host] = start  # claimed under the lock: threads queue up
        if start > now:
            self._sleep(start - now)


_DISALLOW_ALL = ["User-agent: *", "Disallow: /"]


def _robots_rules(answer: _Answer | None) -> list[str]:
    """The robots.txt lines that apply, by the rules of RFC 9309 2.3.1 (``None``: it
    could not be read on its own host, so nothing may be fetched)."""
    if answer is None:
        return _DISALLOW_ALL
    if 200 <= answer.status < 300:
        return answer.body.decode("utf-8", errors="replace").splitlines()
    if answer.status in {401, 403} or answer.status >= 500:
        return _DISALLOW_ALL  # 401/403 as urllib.robotparser's own read() takes them
    return []  # 404 and the like: no robots.txt, no rules


def _registered(hostname: str, port: int | None, allowed: frozenset[str]) -> bool:
    host = hostname.lower()
    return host in allowed or (port is not None and f"{host}:{port}" in allowed)


def _read_capped(response: urllib3.BaseHTTPResponse, cap: int) -> tuple[bytes, bool]:
    """At most ``cap`` bytes of the (decoded) body, and whether there was more."""
    chunks: list[bytes] = []
    size = 0
    while size <= cap:
        chunk = response.read(_CHUNK)
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
    response.close()  # the rest is never read: drop the connection instead
    return b"".join(chunks)[:cap], True


def _judge(answer: _Answer, cap: int) -> tuple[LiveStatus, int | None, str]:
    status = answer.status
    if status in GONE_STATUSES:
        return LiveStatus.GONE, status, f"HTTP {status}"
    if status in REDIRECT_STATUSES:
        raise _Verdict(LiveStatus.UNREACHABLE, f"HTTP {status} without a Location", status)
    if not 200 <= status < 300:
        raise _Verdict(LiveStatus.REFUSED, f"HTTP {status}", status)
    if answer.truncated:
        # A page cut short may hide the offer that decides: no verdict either way.
        raise _Verdict(LiveStatus.UNREACHABLE, f"page larger than {cap} bytes", status)
    verdict = availability_of(answer.body.decode("utf-8", errors="replace"))
    if verdict.available:
        return LiveStatus.STILL_LISTED, status, verdict.reason
    return LiveStatus.UNAVAILABLE, status, verdict.reason


def _seconds(retry_after: str | None) -> float | None:
    """Retry-After in delay-seconds (its HTTP-date form is rare on 429/503: ignored)."""
    if retry_after is None or not retry_after.strip().isdigit():
        return None
    return float(retry_after.strip())


def _network_failure(exc: BaseException) -> str:
    # Our own words: the exception's text may quote the server.
    if isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
        return "timed out"
    if isinstance(exc, urllib3.exceptions.NewConnectionError | ConnectionError):
        return "connection failed"
    if isinstance(exc, urllib3.exceptions.SSLError):
        return "TLS error"
    return "network error"
