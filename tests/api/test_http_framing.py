"""`psx serve`'s HTTP server (``LocalApi``) over real sockets: a body arrives as sent,
chunked or not, or the request is refused; and whatever the server refuses itself is a
problem, as the API's own answers are (issue 15, finding 9)."""

from __future__ import annotations

import http.client
import json
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest

from chalicelib.api.problems import PROBLEM_JSON
from psx.embedded.runtime import EmbeddedRuntime
from psx.embedded.serve import LocalApi
from tests.api.support import Caller, new_regulator

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def local_api(runtime: EmbeddedRuntime) -> Iterator[LocalApi]:
    with LocalApi(runtime, access_log=False) as api:
        yield api


@pytest.fixture(scope="module")
def regulator(local_api: LocalApi) -> Caller:
    return new_regulator()


@dataclass(frozen=True)
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: Any


def _send(
    api: LocalApi,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes | Iterator[bytes] | None = None,
) -> Reply:
    """One request with exactly these headers (http.client adds only Host), sent with its
    body in one write: a server refusing it early must not meet a half-sent request."""
    if body is not None and not isinstance(body, bytes):
        body = b"".join(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for chunk in body)
        body += b"0\r\n\r\n"
    connection = http.client.HTTPConnection(urlsplit(api.url).netloc, timeout=30)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders(body)
        response = connection.getresponse()
        raw = response.read()
        return Reply(response.status, response.headers, json.loads(raw) if raw else None)
    finally:
        connection.close()


def _write_headers(caller: Caller, **extra: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {caller.key}",
        "Content-Type": "application/json",
        "Idempotency-Key": str(uuid.uuid4()),
        **extra,
    }


def _notice(reference: str) -> bytes:
    return json.dumps(
        {"source_reference": reference, "product_name": "Chunked kettle", "jurisdiction": "KR"}
    ).encode()


def _problem(reply: Reply, status: int) -> dict[str, Any]:
    assert reply.status == status, reply
    assert reply.headers["Content-Type"] == PROBLEM_JSON
    body: dict[str, Any] = reply.body
    assert body["status"] == status and body["type"].startswith("urn:psx:problem:gateway-")
    assert body["title"] and body["detail"]
    return body


def test_a_chunked_body_is_read_whole(local_api: LocalApi, regulator: Caller) -> None:
    reference = f"CHUNKED-{uuid.uuid4().hex[:6]}"
    body = _notice(reference)
    chunks = iter([body[:7], body[7:30], body[30:]])

    sent = _send(
        local_api,
        "POST",
        "/v1/notices",
        _write_headers(regulator, **{"Transfer-Encoding": "chunked"}),
        chunks,
    )
    assert sent.status == 201, sent
    notice_id = sent.body["notice_id"]
    stored = _send(local_api, "GET", f"/v1/notices/{notice_id}", _write_headers(regulator))

    assert stored.body["content"]["source_reference"] == reference
    assert stored.body["content"]["product"]["name"] == "Chunked kettle"


@pytest.mark.parametrize(
    ("length", "status"),
    [("-5", 400), ("+5", 400), ("5_0", 400), ("0x10", 400), ("5, 5", 400), ("20000000", 413)],
)
def test_a_content_length_that_is_not_a_byte_count_is_refused(
    local_api: LocalApi, regulator: Caller, length: str, status: int
) -> None:
    reply = _send(
        local_api,
        "POST",
        "/v1/notices",
        _write_headers(regulator, **{"Content-Length": length}),
        _notice("NEGATIVE-1"),
    )

    _problem(reply, status)
    assert reply.headers["Connection"] == "close"  # the unread bytes start no request


@pytest.mark.parametrize(
    ("headers", "chunks", "status"),
    [
        ({"Transfer-Encoding": "chunked", "Content-Length": "2"}, [b"{}"], 400),
        ({"Transfer-Encoding": "gzip, chunked"}, [b"{}"], 501),
    ],
    ids=["two-framings", "unknown-coding"],
)
def test_a_body_framed_two_ways_or_encoded_is_refused(
    local_api: LocalApi,
    regulator: Caller,
    headers: dict[str, str],
    chunks: list[bytes],
    status: int,
) -> None:
    reply = _send(
        local_api, "POST", "/v1/notices", _write_headers(regulator, **headers), iter(chunks)
    )

    _problem(reply, status)


def test_a_malformed_chunk_is_a_400(local_api: LocalApi, regulator: Caller) -> None:
    headers = _write_headers(regulator, **{"Transfer-Encoding": "chunked"})

    bad_size = _send(local_api, "POST", "/v1/notices", headers, b"zz\r\n{}\r\n0\r\n\r\n")
    too_long = _send(local_api, "POST", "/v1/notices", headers, b"1\r\n{}\r\n0\r\n\r\n")

    _problem(bad_size, 400)
    _problem(too_long, 400)


@pytest.mark.parametrize(
    ("method", "path", "headers", "status"),
    [
        ("GET", "/v1/inbox?x=" + "a" * 100_000, {}, 414),
        ("GET", "/v1/health", {"X-Padding": "a" * 70_000}, 431),
        ("TRACE", "/v1/health", {}, 501),
        ("FOO", "/v1/health", {}, 501),
    ],
    ids=["long-url", "long-header", "trace", "unknown-method"],
)
def test_what_the_server_refuses_itself_is_a_problem(
    local_api: LocalApi, method: str, path: str, headers: dict[str, str], status: int
) -> None:
    reply = _send(local_api, method, path, headers)

    _problem(reply, status)


def test_a_request_line_that_is_not_http_is_a_problem(local_api: LocalApi) -> None:
    address = urlsplit(local_api.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(b"GET /v1/health two-paths HTTP/1.1\r\n\r\n")
        head, _, body = sock.makefile("rb").read().partition(b"\r\n\r\n")

    assert head.startswith(b"HTTP/1.1 400")
    assert b"Content-Type: application/problem+json" in head
    assert json.loads(body)["status"] == 400


def test_an_authorizer_that_answers_nothing_is_a_problem(
    local_api: LocalApi, runtime: EmbeddedRuntime, regulator: Caller, monkeypatch: Any
) -> None:
    authorizer = runtime.app.app.routes["/v1/notices"]["GET"].authorizer
    monkeypatch.setattr(authorizer, "func", lambda request: None)

    reply = _send(local_api, "GET", "/v1/notices", _write_headers(regulator))

    assert _problem(reply, 500)["detail"] == "AuthorizerConfigurationException"
