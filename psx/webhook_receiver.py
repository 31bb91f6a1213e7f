"""A simulated platform's webhook endpoint (for `psx demo` and the tests): verifies
Standard Webhooks signatures with the off-the-shelf library, as a platform would.

``with WebhookReceiver(["whsec_…"]) as receiver:`` listens on 127.0.0.1 (a free port)
at ``receiver.url``. Each POST is verified with ``standardwebhooks`` against every
configured secret (a platform in the middle of a rotation accepts either); verified
deliveries answer 200 and rejected ones 401, and both are recorded (bounded).
To play a platform in trouble: ``fail_next(n)`` answers 503 (or any status and body) to
the next n requests, ``stall_next(n, seconds)`` answers late, ``redirect_next(n)``
redirects, and ``go_down()`` closes the listening socket (connections are refused)
until ``come_up()``.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Delivery:
    message_id: str
    headers: dict[str, str]
    body: Any


@dataclass(frozen=True)
class Rejection:
    headers: dict[str, str]
    reason: str
    body: bytes


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    delay_seconds: float = 0.0
    location: str | None = None


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        receiver = self.server.receiver
        if length > receiver.max_body_bytes:
            self._answer(_Answer(413, b"too large"))
            return
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        self._answer(receiver.handle(headers, body))

    def do_GET(self) -> None:
        # Like many real endpoints, GET answers 200: a POST silently turned into a GET by
        # a followed redirect would look delivered.
        self.server.receiver.count_request()
        self._answer(_Answer(200, b'{"hello": "use POST"}'))

    def _answer(self, answer: _Answer) -> None:
        if answer.delay_seconds and self.server.receiver.stopping.wait(answer.delay_seconds):
            return
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer.body)))
            if answer.location:
                self.send_header("Location", answer.location)
            self.end_headers()
            self.wfile.write(answer.body)
        except OSError:
            pass  # the client gave up (e.g. its timeout): nothing to answer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int, receiver: WebhookReceiver) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.receiver = receiver


class WebhookReceiver:
    def __init__(
        self,
        secrets: list[str],
        *,
        path: str = "/webhooks/psx",
        max_records: int = 100,
        max_body_bytes: int = 1024 * 1024,
    ) -> None:
        self._webhooks = [Webhook(secret) for secret in secrets]
        self.path = path
        self.max_body_bytes = max_body_bytes
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._deliveries: deque[Delivery] = deque(maxlen=max_records)
        self._rejections: deque[Rejection] = deque(maxlen=max_records)
        self._planned: deque[_Answer] = deque()
        self._requests = 0
        self._port = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> WebhookReceiver:
        self.come_up()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stopping.set()  # wakes stalled handlers
        self.go_down()

    def trust(self, secret: str) -> None:
        """Also accept messages signed with ``secret`` (e.g. one issued after start-up)."""
        with self._lock:
            self._webhooks = [*self._webhooks, Webhook(secret)]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._port}{self.path}"

    def come_up(self) -> None:
        """Listen (again, on the same port after ``go_down``)."""
        if self._server is not None:
            return
        self._server = _Server(self._port, self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown() waits up to one poll interval
            name="webhook-receiver",
            daemon=True,
        )
        self._thread.start()

    def go_down(self) -> None:
        """Close the listening socket: new connections are refused."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    # -- behaviour -------------------------------------------------------------------------

    def fail_next(
        self, count: int, status: int = 503, body: bytes = b'{"error": "unavailable"}'
    ) -> None:
        """Answer the next ``count`` requests with ``status`` and ``body`` (e.g. a debug page)."""
        with self._lock:
            self._planned.extend(_Answer(status, body) for _ in range(count))

    def stall_next(self, count: int, seconds: float) -> None:
        """Answer the next ``count`` requests only after ``seconds`` (to trip timeouts)."""
        with self._lock:
            self._planned.extend(_Answer(503, delay_seconds=seconds) for _ in range(count))

    def redirect_next(self, count: int, status: int = 302) -> None:
        """Answer the next ``count`` requests with a redirect to this same URL."""
        with self._lock:
            self._planned.extend(_Answer(status, location=self.url) for _ in range(count))

    def count_request(self) -> None:
        with self._lock:
            self._requests += 1

    def handle(self, headers: dict[str, str], body: bytes) -> _Answer:
        """Called from the server's threads for each POST."""
        with self._lock:
            self._requests += 1
            if self._planned:
                return self._planned.popleft()
        reason = self._rejection_reason(headers, body)
        with self._lock:
            if reason:
                self._rejections.append(Rejection(headers, reason, body))
                return _Answer(401, json.dumps({"error": reason}).encode())
            self._deliveries.append(Delivery(headers["webhook-id"], headers, json.loads(body)))
        return _Answer(200, b'{"received": true}')

    def _rejection_reason(self, headers: dict[str, str], body: bytes) -> str | None:
        """None when any configured secret verifies the request."""
        reason = "no signing secret configured"
        for webhook in self._webhooks:
            try:
                webhook.verify(body, headers, json_parse=False)
            except WebhookVerificationError as exc:
                reason = str(exc)
            except ValueError as exc:  # malformed signature header or body
                reason = f"malformed request: {exc}"
            else:
                return None
        return reason

    # -- what happened ---------------------------------------------------------------------

    @property
    def deliveries(self) -> list[Delivery]:
        with self._lock:
            return list(self._deliveries)

    @property
    def rejections(self) -> list[Rejection]:
        with self._lock:
            return list(self._rejections)

    @property
    def requests(self) -> int:
        """Requests received, whatever the answer (connections refused while down excluded)."""
        with self._lock:
            return self._requests
