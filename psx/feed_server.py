"""A local stand-in for the public recall feeds: replays recorded pages over HTTP.

- ``/cpsc/Recall?format=json&LastPublishDateStart=…&LastPublishDateEnd=…``: the CPSC
  Recall API's answer, the recorded recalls published in that date range (a JSON array,
  ``[]`` when none);
- ``/safety-gate/<year>/<week>.xml``: that week's recorded Safety Gate report, 404 for a
  week not recorded (not published yet).

Answers carry an ETag and Last-Modified and honour If-None-Match (304). Faults are
queued per path prefix and served before normal answers, one per request: an HTTP
status (a 500), a slow answer (past the puller's timeout), a truncated body and a page
that is not the expected format. Tests and ``psx demo`` use it; nothing reaches the
internet.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).resolve().parents[1] / "samples" / "feeds"
_LAST_MODIFIED = "Mon, 30 Nov 2026 06:00:00 GMT"
_NOT_THE_FORMAT = b"<!DOCTYPE html><html><body>Service under maintenance</body></html>"


@dataclass(frozen=True)
class Fault:
    status: int = 200
    delay_seconds: float = 0
    truncated: bool = False
    wrong_format: bool = False

    @classmethod
    def error(cls, status: int = 500) -> Fault:
        return cls(status=status)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls(delay_seconds=seconds)

    @classmethod
    def cut_off(cls) -> Fault:
        return cls(truncated=True)

    @classmethod
    def not_the_format(cls) -> Fault:
        return cls(wrong_format=True)


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json"


class FeedServer:
    """``with FeedServer() as server:`` serves on 127.0.0.1 at a free port."""

    def __init__(self, recorded: Path = RECORDED) -> None:
        self.recalls: list[dict[str, Any]] = json.loads(
            (recorded / "cpsc-recalls.json").read_text(encoding="utf-8")
        )
        self.reports: dict[tuple[int, int], bytes] = {
            _week_of(path): path.read_bytes() for path in recorded.glob("safety-gate-*.xml")
        }
        self.requests: list[str] = []
        self._faults: dict[str, deque[Fault]] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def cpsc_url(self) -> str:
        return f"{self.url}/cpsc/Recall?format=json"

    @property
    def safety_gate_url(self) -> str:
        return f"{self.url}/safety-gate/{{year}}/{{week}}.xml"

    def inject(self, path_prefix: str, *faults: Fault) -> None:
        """Serve ``faults`` (in order, one per request) to requests under ``path_prefix``."""
        with self._lock:
            self._faults.setdefault(path_prefix, deque()).extend(faults)

    def publish(self, recall: dict[str, Any]) -> None:
        """A recall (re-)published: replaces the recorded one with the same number."""
        with self._lock:
            self.recalls = [r for r in self.recalls if r["RecallNumber"] != recall["RecallNumber"]]
            self.recalls.append(recall)

    def __enter__(self) -> FeedServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- answering ---------------------------------------------------------------------------

    def next_fault(self, path: str) -> Fault | None:
        with self._lock:
            self.requests.append(path)
            for prefix, faults in self._faults.items():
                if path.startswith(prefix) and faults:
                    return faults.popleft()
        return None

    def answer(self, target: str) -> _Answer:
        parts = urlsplit(target)
        if parts.path == "/cpsc/Recall":
            return _Answer(200, self._recalls_between(parse_qs(parts.query)))
        pieces = parts.path.removesuffix(".xml").split("/")
        if len(pieces) == 4 and pieces[1] == "safety-gate" and all(map(str.isdigit, pieces[2:])):
            report = self.reports.get((int(pieces[2]), int(pieces[3])))
            if report is not None:
                return _Answer(200, report, "application/xml")
        return _Answer(404)

    def _recalls_between(self, query: dict[str, list[str]]) -> bytes:
        start = query.get("LastPublishDateStart", [""])[0]
        end = query.get("LastPublishDateEnd", ["9999-12-31"])[0]
        with self._lock:
            found = [r for r in self.recalls if start <= r["LastPublishDate"][:10] <= end]
        return json.dumps(found, ensure_ascii=False).encode("utf-8")


def _handler_for(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fault = server.next_fault(self.path)
            if fault is not None and fault.delay_seconds:
                time.sleep(fault.delay_seconds)
            if fault is not None and fault.status != 200:
                self._send(_Answer(fault.status, b"internal error", "text/plain"))
                return
            answer = server.answer(self.path)
            if fault is not None and fault.wrong_format:
                answer = _Answer(200, _NOT_THE_FORMAT, "text/html")
            etag = f'"{hashlib.sha256(answer.body).hexdigest()[:20]}"'
            if answer.status == 200 and self.headers.get("If-None-Match") == etag:
                self._send(_Answer(304), etag)
                return
            self._send(answer, etag, truncated=fault is not None and fault.truncated)

        def _send(self, answer: _Answer, etag: str | None = None, truncated: bool = False) -> None:
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(answer.body)))
                if etag and answer.status in {200, 304}:
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", _LAST_MODIFIED)
                self.end_headers()
                if answer.status != 304:
                    self.wfile.write(
                        answer.body[: len(answer.body) // 2] if truncated else answer.body
                    )
                self.close_connection = True
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the slow answer's timeout)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    return Handler


def _week_of(path: Path) -> tuple[int, int]:
    """``safety-gate-2026-W48.xml`` -> (2026, 48)."""
    year, _, week = path.stem.removeprefix("safety-gate-").partition("-W")
    return int(year), int(week)
